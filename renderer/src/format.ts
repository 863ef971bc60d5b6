// Number and date formatting for display. Raw values stay available to tests via data-value.
import type { Measure, TimeGrain } from '../../dashboards/schema';

const compactCurrency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 2 });
const currency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2, minimumFractionDigits: 2 });
const compactNumber = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** A measure value for a KPI tile: short (compact) above 10,000. */
export function formatMeasure(value: number | null, format: Measure['format'], compact = true): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const big = Math.abs(value) >= 10_000 && compact;
  switch (format) {
    case 'currency':
      return big ? compactCurrency.format(value) : currency.format(value);
    case 'integer':
      return big ? compactNumber.format(value) : integer.format(value);
    case 'percent':
      return percent.format(value);
    case 'number':
      return big ? compactNumber.format(value) : decimal.format(value);
  }
}

const axisCurrency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 });
const axisNumber = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** An axis tick: short at every magnitude ($8K, $10K, 1.5M). */
export function formatAxis(value: number, format: Measure['format']): string {
  if (!Number.isFinite(value)) return '';
  if (format === 'percent') return percent.format(value);
  return format === 'currency' ? axisCurrency.format(value) : axisNumber.format(value);
}

/** A chart's axis format: the panel's override, or (auto) the format of its first measure. */
export type AxisFormat = 'auto' | 'number' | 'currency' | 'percent' | 'compact';

/** An axis tick in the panel's axis format: "number" writes the whole number (12,000), "compact" shortens it (12K). */
export function formatAxisAs(value: number, axisFormat: AxisFormat, measureFormat: Measure['format']): string {
  if (!Number.isFinite(value)) return '';
  switch (axisFormat) {
    case 'auto':
      return formatAxis(value, measureFormat);
    case 'number':
      return decimal.format(zeroed(value));
    case 'compact':
      return axisNumber.format(zeroed(value));
    case 'currency':
    case 'percent':
      return formatAxis(zeroed(value), axisFormat);
  }
}

/** How a KPI shows its value: a measure format, or "compact" (12.3K) at every size. */
export type ValueFormat = Measure['format'] | 'compact';

const formatters = new Map<string, Intl.NumberFormat>();
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', options);
    formatters.set(key, f);
  }
  return f;
}

// -0 would print as "-0".
const zeroed = (v: number) => (Object.is(v, -0) ? 0 : v);

/**
 * A value in a chosen format, with a fixed number of decimals when given. `compact` (the default)
 * shortens values of 10,000 and more, as KPI tiles do; "integer" never shows decimals.
 */
export function formatValue(value: number | null, format: ValueFormat, opts: { decimals?: number; compact?: boolean } = {}): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const v = zeroed(value);
  const { decimals, compact = true } = opts;
  if (decimals === undefined) return format === 'compact' ? compactNumber.format(v) : formatMeasure(v, format, compact);
  const digits = { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
  const short = compact && Math.abs(v) >= 10_000 ? { notation: 'compact' as const } : {};
  switch (format) {
    case 'currency':
      return numberFormat({ style: 'currency', currency: 'USD', ...short, ...digits }).format(v);
    case 'percent':
      return numberFormat({ style: 'percent', ...digits }).format(v);
    case 'integer':
      return formatMeasure(v, 'integer', compact);
    case 'compact':
      return numberFormat({ notation: 'compact', ...digits }).format(v);
    case 'number':
      return numberFormat({ ...short, ...digits }).format(v);
  }
}

/** A share of a total, e.g. 12.3%. */
export function formatShare(share: number): string {
  return Number.isFinite(share) ? percent.format(share) : '–';
}

/**
 * The tone of a KPI value against its thresholds: "bad" once it reaches badAt, "warn" once it
 * reaches warnAt, in the bad direction (down when up is good, up when down is good).
 */
export function thresholdTone(
  value: number | null,
  thresholds: { warnAt?: number; badAt?: number } | undefined,
  goodDirection: 'up' | 'down',
): 'bad' | 'warn' | null {
  if (value === null || !Number.isFinite(value) || !thresholds) return null;
  const crossed = (limit: number | undefined) => limit !== undefined && (goodDirection === 'up' ? value <= limit : value >= limit);
  if (crossed(thresholds.badAt)) return 'bad';
  if (crossed(thresholds.warnAt)) return 'warn';
  return null;
}

/** A conditional formatting rule of a table column. */
export interface CellRule {
  op: 'lt' | 'lte' | 'gt' | 'gte' | 'eq' | 'neq';
  value: number | string;
  tone: 'good' | 'warn' | 'bad';
}

const TONE_WEIGHT = { good: 1, warn: 2, bad: 3 } as const;

/**
 * The tone of a table cell under the rules of its column; the most severe matching rule wins.
 * Numbers compare as numbers (a rule value like "10" counts as 10), text compares as text, NULL
 * never matches.
 */
export function cellTone(value: string | number | boolean | null, rules: readonly CellRule[]): CellRule['tone'] | null {
  let tone: CellRule['tone'] | null = null;
  for (const rule of rules) {
    if (ruleMatches(value, rule) && (tone === null || TONE_WEIGHT[rule.tone] > TONE_WEIGHT[tone])) tone = rule.tone;
  }
  return tone;
}

function ruleMatches(value: string | number | boolean | null, rule: CellRule): boolean {
  if (value === null) return false;
  let a: number | string;
  let b: number | string;
  const ruleNumber = typeof rule.value === 'number' ? rule.value : rule.value.trim() !== '' ? Number(rule.value) : NaN;
  if (typeof value === 'number' && Number.isFinite(ruleNumber)) {
    a = value;
    b = ruleNumber;
  } else {
    a = String(value);
    b = String(rule.value);
  }
  switch (rule.op) {
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
  }
}

/** How a value moved against what it is compared with. */
export interface Change {
  /** "+12.3%", "−4%", "±0%", "new" (from zero) or "–" (nothing to compare). */
  text: string;
  /** (current − previous) / |previous|; null when there is no finite ratio. */
  ratio: number | null;
  direction: 'up' | 'down' | 'flat' | null;
}

/** A relative change such as +12.3%: "new" when it starts from zero, "–" when there is nothing to compare with. */
export function formatChange(current: number | null, previous: number | null): Change {
  if (current === null || previous === null || !Number.isFinite(current) || !Number.isFinite(previous)) {
    return { text: '–', ratio: null, direction: null };
  }
  if (previous === 0) {
    // No ratio from zero: "new" says it appeared, and which way it went decides good or bad.
    return current === 0 ? { text: '±0%', ratio: 0, direction: 'flat' } : { text: 'new', ratio: null, direction: current > 0 ? 'up' : 'down' };
  }
  const ratio = (current - previous) / Math.abs(previous);
  const sign = ratio > 0 ? '+' : ratio < 0 ? '−' : '±';
  return { text: `${sign}${percent.format(Math.abs(ratio))}`, ratio, direction: ratio > 0 ? 'up' : ratio < 0 ? 'down' : 'flat' };
}

/** The start of a time bucket (epoch ms) as its grain reads: 2025, 2025-Q4, 2025-12, or the day 2025-12-10 (weeks by their first day). */
export function formatTimeBucket(epochMs: number, grain: TimeGrain): string {
  const day = isoDay(epochMs);
  // The year is everything before the month's dash (years beyond 9999 or before 0 are longer).
  const year = day.slice(0, -6);
  switch (grain) {
    case 'year':
      return year;
    case 'quarter':
      return `${year}-Q${Math.floor((Number(day.slice(-5, -3)) - 1) / 3) + 1}`;
    case 'month':
      return day.slice(0, -3);
    case 'week':
    case 'day':
      return day;
  }
}

/** A wall-clock timestamp (epoch ms, time-zone free) as YYYY-MM-DD or YYYY-MM-DD HH:MM. */
export function formatTimestamp(epochMs: number, withTime: boolean): string {
  if (!withTime) return isoDay(epochMs);
  const iso = new Date(epochMs).toISOString();
  return withTime ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/**
 * YYYY-MM-DD of a UTC instant, by arithmetic (days → civil date, H. Hinnant's algorithm): charts
 * label up to 100k days, and Date#toISOString costs far more. Years outside 0–9999 take the slow road.
 */
export function isoDay(epochMs: number): string {
  const days = Math.floor(epochMs / 86_400_000);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (!Number.isFinite(year) || year < 0 || year > 9999) return new Date(epochMs).toISOString().slice(0, 10);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** A table cell. */
export function formatCell(value: string | number | boolean | null, type: string): string {
  if (value === null) return '∅';
  if (typeof value === 'number' && /^Timestamp|^Date/.test(type)) return formatTimestamp(value, /^Timestamp/.test(type));
  // Ids and counts read best without separators; other numbers with two decimals.
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** Two sizes written so that different sizes read differently ("2.02 GB, above the 2.00 GB budget", not 2.0 and 2.0), with at most 3 decimals. */
export function formatBytesApart(a: number, b: number): [string, string] {
  for (let digits = 1; ; digits++) {
    const pair: [string, string] = [formatBytes(a, digits), formatBytes(b, digits)];
    if (pair[0] !== pair[1] || a === b || digits === 3) return pair;
  }
}

/** A byte count, e.g. 4.2 MB (`digits` decimals). */
export function formatBytes(bytes: number | null, digits = 1): string {
  if (bytes === null) return 'unknown size';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(digits)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(digits)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(digits)} GB`;
}
