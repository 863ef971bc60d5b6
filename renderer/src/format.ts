// Number and date formatting for display. Raw values stay available to tests via data-value.
import type { Measure } from '../../dashboards/schema';

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

const axisCurrency = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });
const axisNumber = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** An axis tick: short at every magnitude ($8K, $10K, 1.5M). */
export function formatAxis(value: number, format: Measure['format']): string {
  if (!Number.isFinite(value)) return '';
  if (format === 'percent') return percent.format(value);
  return format === 'currency' ? axisCurrency.format(value) : axisNumber.format(value);
}

/** A relative change such as +12.3% (or – when there is nothing to compare with). */
export function formatChange(current: number | null, previous: number | null): { text: string; ratio: number | null } {
  if (current === null || previous === null || previous === 0 || !Number.isFinite(current) || !Number.isFinite(previous)) {
    return { text: '–', ratio: null };
  }
  const ratio = (current - previous) / Math.abs(previous);
  const sign = ratio > 0 ? '+' : ratio < 0 ? '−' : '±';
  return { text: `${sign}${percent.format(Math.abs(ratio))}`, ratio };
}

/** A wall-clock timestamp (epoch ms, time-zone free) as YYYY-MM-DD or YYYY-MM-DD HH:MM. */
export function formatTimestamp(epochMs: number, withTime: boolean): string {
  const iso = new Date(epochMs).toISOString();
  return withTime ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** A table cell. */
export function formatCell(value: string | number | boolean | null, type: string): string {
  if (value === null) return '∅';
  if (typeof value === 'number' && /^Timestamp|^Date/.test(type)) return formatTimestamp(value, /^Timestamp/.test(type));
  // Ids and counts read best without separators; other numbers with two decimals.
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

/** A byte count, e.g. 4.2 MB. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return 'unknown size';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
