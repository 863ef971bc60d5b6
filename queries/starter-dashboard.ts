// An instant dashboard: a profiled data set and the user's picks become a DashboardFile with KPI
// tiles (each compared with the period before), a trend chart, top-N breakdown bars and an
// anomaly panel listing the checks the dataset scan proposes. Pure: no engine, no I/O.
import { CURRENT_SCHEMA_VERSION, DASHBOARD_FILE_TYPE, type Check, type DashboardFile, type Dimension, type LayoutItem, type Measure, type Panel, type Source, type TimeGrain, type TimeRange } from '../dashboards/schema';
import { scanCheckParams, type ScanFinding } from './checks/scan';
import { looksLikeMoney, type DatasetProfile, type StarterPicks } from './profile';

export interface StarterInput {
  /** A fresh UUID for the new dashboard (the caller owns randomness). */
  id: string;
  title: string;
  /** The one source the dataset reads; its name becomes the dataset's name. */
  source: Source;
  profile: DatasetProfile;
  picks: StarterPicks;
  /** What `scanDataset` found: each finding becomes a check on the anomaly panel. */
  findings: readonly ScanFinding[];
  /** The key column the scan inferred, if any (a duplicate_key check is proposed on it when it found none). */
  key?: string | null;
}

const DAY_MS = 86_400_000;
const ROWS_MEASURE = 'row_count';
/** Bars per breakdown chart; the rest add up as "Other". */
const TOP_N = 10;

/** Build the starter dashboard; throws with a clear message when a pick is not a column of the data. */
export function buildStarterDashboard(input: StarterInput): DashboardFile {
  const { profile, picks, source } = input;
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  const need = (name: string, what: string) => {
    if (!byName.has(name)) throw new Error(`The ${what} "${name}" is not a column of the data.`);
  };
  if (picks.time !== null) need(picks.time, 'time column');
  picks.measures.forEach((m) => need(m, 'measure column'));
  picks.dimensions.forEach((d) => need(d, 'dimension column'));

  const names = new UniqueNames([source.name, ROWS_MEASURE]);
  const measures: Measure[] = [{ name: ROWS_MEASURE, label: 'Rows', agg: 'count', format: 'integer' }];
  for (const col of picks.measures) {
    const type = byName.get(col)?.type ?? '';
    measures.push({
      name: names.take(`total_${col}`),
      label: `Total ${humanize(col).toLowerCase()}`,
      agg: 'sum',
      column: col,
      format: looksLikeMoney(col) ? 'currency' : /INT/i.test(type) ? 'integer' : 'number',
    });
  }
  const dimensions: Dimension[] = picks.dimensions.map((col) => ({ name: names.take(col), label: humanize(col), column: col }));

  const dataset = {
    name: source.name,
    kind: 'table' as const,
    source: source.name,
    label: humanize(source.name),
    ...(picks.time !== null ? { timeColumn: picks.time } : {}),
    measures,
    dimensions,
    hierarchies: [],
  };

  const time = picks.time !== null ? byName.get(picks.time) : undefined;
  const spanDays = time?.minMs != null && time.maxMs != null ? Math.max(1, Math.ceil((time.maxMs - time.minMs) / DAY_MS)) : null;
  const periodDays = periodFor(spanDays);
  const timeRange: TimeRange = { lastDays: periodDays, anchor: 'data' };

  const panels: Panel[] = [];
  const layout: LayoutItem[] = [];
  const place = (panel: Panel, x: number, y: number, w: number, h: number) => {
    panels.push(panel);
    layout.push({ panel: panel.id, x, y, w, h });
  };

  // KPI tiles: the picked sums first (they are what the data is about), then the row count.
  const kpiMeasures = [...measures.slice(1, 4), measures[0] as Measure];
  const kpiWidth = Math.floor(12 / kpiMeasures.length);
  kpiMeasures.forEach((m, i) => {
    place(
      {
        id: names.take(`kpi_${m.name}`),
        title: m.label ?? m.name,
        kind: 'kpi',
        dataset: dataset.name,
        measure: m.name,
        // Without a time column there is no "period before" to compare with.
        comparison: picks.time !== null ? 'previous_period' : 'none',
        goodDirection: 'up',
        sparkline: picks.time !== null,
        format: 'auto',
        followFilters: true,
      },
      i * kpiWidth,
      0,
      kpiWidth,
      2,
    );
  });
  let y = 2;

  const main = measures[1] ?? (measures[0] as Measure);
  const checks = proposeChecks(input, dataset.name, names);
  const anomaly: Panel = { id: names.take('data_quality'), title: 'Data quality', kind: 'anomaly', checks: [], followFilters: true };
  if (picks.time !== null) {
    place(
      {
        id: names.take('trend'),
        title: `${main.label ?? main.name} by ${grainFor(periodDays)}`,
        kind: 'chart',
        dataset: dataset.name,
        chart: 'line',
        x: { type: 'time', grain: grainFor(periodDays) },
        measures: [main.name],
        sort: 'label',
        limit: 1000,
        otherBucket: false,
        axisFormat: 'auto',
        followFilters: true,
      },
      0,
      y,
      8,
      6,
    );
    place(anomaly, 8, y, 4, 6);
  } else {
    place(anomaly, 0, y, 12, 4);
  }
  y += 6;

  const bars = dimensions.slice(0, 3);
  const barWidth = bars.length > 0 ? Math.floor(12 / bars.length) : 12;
  bars.forEach((d, i) => {
    place(
      {
        id: names.take(`by_${d.name}`),
        title: `${main.label ?? main.name} by ${(d.label ?? d.name).toLowerCase()}`,
        kind: 'chart',
        dataset: dataset.name,
        chart: 'horizontal_bar',
        x: { type: 'dimension', dimension: d.name },
        measures: [main.name],
        sort: 'value_desc',
        limit: TOP_N,
        otherBucket: true,
        axisFormat: 'auto',
        followFilters: true,
      },
      i * barWidth,
      y,
      barWidth,
      6,
    );
  });

  return {
    type: DASHBOARD_FILE_TYPE,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    id: input.id,
    title: input.title,
    description: describe(profile, picks, spanDays),
    owner: '',
    timeRange,
    sources: [source],
    datasets: [dataset],
    filters: [],
    panels,
    layout,
    views: [],
    checks,
    corrections: [],
  };
}

/** The checks the scan's findings stand for, with the rule defaults the scan used; a row-volume check when it found nothing. */
function proposeChecks(input: StarterInput, dataset: string, names: UniqueNames): Check[] {
  const out: Check[] = [];
  const seen = new Set<string>();
  const add = (rule: string, column: string | null, severity: 'warn' | 'error', title: string) => {
    // The scan's own params, so a proposed check judges exactly what the scan judged.
    const params = scanCheckParams(rule, column);
    if (!params) return;
    const key = JSON.stringify([rule, params]);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ id: names.take(`check_${rule}${column ? `_${column}` : ''}`), title: title.slice(0, 300), dataset, rule, params, severity, guards: [] });
  };
  for (const f of input.findings) add(f.rule, f.column, f.severity, titleFor(f.rule, f.column));
  // Checks that pass are worth having too: they keep watching. Row volume needs a time column.
  if (input.key && !seen.has(JSON.stringify(['duplicate_key', { key: input.key }]))) add('duplicate_key', input.key, 'error', titleFor('duplicate_key', input.key));
  if (input.picks.time !== null && !out.some((c) => c.rule === 'volume')) add('volume', input.picks.time, 'warn', titleFor('volume', null));
  return out;
}

function titleFor(rule: string, column: string | null): string {
  const c = column ?? '';
  switch (rule) {
    case 'duplicate_key':
      return `${c} is unique`;
    case 'near_duplicate_values':
      return `No look-alike values in ${c}`;
    case 'unexpected_values':
      return `No new values in ${c}`;
    case 'null_rate':
      return `${c} is filled in as usual`;
    case 'range':
      return `${c} is not negative`;
    case 'volume':
      return 'Rows per day as usual';
    case 'total_jump':
      return `Daily total of ${c} as usual`;
    case 'freshness':
      return 'Data is fresh';
    default:
      return `${rule} ${c}`.trim();
  }
}

/** The KPI period: a month when there is plenty of history, else a week, else half the span. */
export function periodFor(spanDays: number | null): number {
  if (spanDays === null) return 30;
  if (spanDays >= 120) return 30;
  if (spanDays >= 28) return 7;
  return Math.max(1, Math.floor(spanDays / 2));
}

/** The trend's time bucket for a period of this many days. */
export function grainFor(periodDays: number): TimeGrain {
  return periodDays <= 92 ? 'day' : periodDays <= 400 ? 'week' : 'month';
}

function describe(profile: DatasetProfile, picks: StarterPicks, spanDays: number | null): string {
  const parts = [`Made from ${profile.rows.toLocaleString('en-US')} rows`];
  if (picks.time !== null && spanDays !== null) parts.push(`over ${spanDays.toLocaleString('en-US')} days of ${picks.time}`);
  return `${parts.join(' ')}.`;
}

/** "order_amount" → "Order amount", "unitPrice" → "Unit price". */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.\s]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : name;
}

/** Machine names (schema: letters, digits and _, at most 64) made from column names, never repeated. */
class UniqueNames {
  private readonly used: Set<string>;
  constructor(reserved: readonly string[]) {
    this.used = new Set(reserved);
  }

  take(wanted: string): string {
    let base = wanted
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .toLowerCase()
      .slice(0, 56);
    if (!/^[a-z_]/.test(base)) base = `c_${base}`;
    let name = base;
    for (let i = 2; this.used.has(name); i += 1) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** A source name for a data file or object: its file name without extensions, as a machine name. */
export function sourceNameFor(location: string): string {
  const file = location.split(/[\\/]/).filter((p) => p !== '').pop() ?? 'data';
  const stem = file.replace(/\?.*$/, '').replace(/(\.[A-Za-z0-9]+)+$/, '');
  return new UniqueNames([]).take(stem || 'data') || 'data';
}
