// ECharts options built from our own typed panel spec. Never from raw option JSON in a file.
// Axis and label formatters return plain text (ECharts draws it on the canvas). The tooltip is the
// one place ECharts reads a formatter's string as HTML: every piece of data in it is escaped here.
import type { EChartsCoreOption } from 'echarts/core';
import type { ChartPanel, Check, Dataset, Measure, TimeGrain } from '../../../dashboards/schema';
import type { AffectedSpan, CheckResult } from '../../../queries/checks/index';
import type { QueryResult, Row, Scalar } from '../../../queries/engine/engine';
import { formatAxisAs, formatMeasure, formatShare, formatTimeBucket } from '../format';

const PALETTE = ['#3b6fd8', '#e07b39', '#3aa57a', '#b5487b', '#7a5cc8', '#c9a227', '#2f9bb3', '#8a8f99'];
const OTHER_COLOR = '#a3a9b5';
const GRID_LINE = { lineStyle: { color: '#eceef2' } };
/** Above this many points, lines are down-sampled (LTTB) and scatters and bars draw in large mode. */
export const LARGE_SERIES = 2000;
/** What NULL members are called on a chart. */
export const NULL_LABEL = '(null)';

/** Escape text for the tooltip, which ECharts renders as HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** One position on the category axis (or one slice): a member or time bucket, or the "Other" bucket. */
export interface ChartCategory {
  key: Scalar;
  label: string;
  other: boolean;
  /** The first result row of this category, for drill-down (which reads `rows[i].x`). */
  row: number;
}

interface SeriesMember {
  key: Scalar;
  label: string;
  other: boolean;
  rank: number;
}

const isOther = (row: Row, flag: 'x_other' | 'series_other') => row[flag] === true;
const memberLabel = (v: Scalar) => (v === null ? NULL_LABEL : String(v));
const identity = (v: Scalar, other: boolean) => `${other ? 'o' : 'm'}${v === null ? 'n' : typeof v === 'number' ? `#${v}` : `s${String(v)}`}`;

/** The label of a chart axis value: a time bucket as its grain reads (see formatTimeBucket), or a member. */
function axisLabel(axis: ChartPanel['x'], grain: TimeGrain | undefined, key: Scalar): string {
  return axis.type === 'time' && typeof key === 'number' ? formatTimeBucket(key, grain ?? axis.grain) : memberLabel(key);
}

/**
 * The categories of a chart result, in the query's order (one per x, whatever the series).
 * `grain` is the one the chart draws now when a drill or the grain picker changed it.
 */
export function chartCategories(panel: ChartPanel, result: QueryResult, grain?: TimeGrain): ChartCategory[] {
  const label = (key: Scalar) => axisLabel(panel.x, grain, key);
  // Without series each row is its own category (the query groups by x): no lookups for 100k points.
  if (!hasSeriesSplit(result)) return result.rows.map((row, i) => ({ key: row.x ?? null, label: label(row.x ?? null), other: isOther(row, 'x_other'), row: i }));
  const seen = new Map<string, ChartCategory>();
  result.rows.forEach((row, i) => {
    const key = row.x ?? null;
    const other = isOther(row, 'x_other');
    const id = identity(key, other);
    if (!seen.has(id)) seen.set(id, { key, label: label(key), other, row: i });
  });
  return [...seen.values()];
}

/** Whether the result is split into series (it has a "series" column). */
export function hasSeriesSplit(result: QueryResult): boolean {
  return result.columns.some((c) => c.name === 'series');
}

function seriesMembers(result: QueryResult): SeriesMember[] {
  const seen = new Map<string, SeriesMember>();
  for (const row of result.rows) {
    const key = row.series ?? null;
    const other = isOther(row, 'series_other');
    const id = identity(key, other);
    if (!seen.has(id)) seen.set(id, { key, label: memberLabel(key), other, rank: Number(row.series_rank ?? Number.MAX_SAFE_INTEGER) });
  }
  return [...seen.values()].sort((a, b) => a.rank - b.rank);
}

const additive = (m: Measure) => m.agg === 'sum' || m.agg === 'count';

interface BuiltSeries {
  name: string;
  measure: Measure;
  other: boolean;
  values: (number | null)[];
}

/**
 * Build the option for a chart panel from its query result; `grain` is the time grain drawn now,
 * when not the panel's own; `marks` are the failing checks' days on it (see anomalyMarks).
 */
export function buildChartOption(panel: ChartPanel, dataset: Dataset, result: QueryResult, grain?: TimeGrain, marks: readonly AnomalyMark[] = []): EChartsCoreOption {
  if (panel.chart === 'heatmap') return buildHeatmapOption(panel, dataset, result, grain);
  const measures = panel.measures.map((name) => dataset.measures.find((m) => m.name === name)).filter((m) => m !== undefined);
  const firstFormat = measures[0]?.format ?? 'number';
  const axisValue = (v: number) => formatAxisAs(v, panel.axisFormat, firstFormat);
  const categories = chartCategories(panel, result, grain);
  const labels = categories.map((c) => c.label);
  const measureLabel = (m: Measure) => m.label ?? m.name;

  const built: BuiltSeries[] = [];
  const split = hasSeriesSplit(result) && panel.chart !== 'pie';
  if (split) {
    const members = seriesMembers(result);
    const position = new Map(members.map((s, i) => [identity(s.key, s.other), i]));
    const index = new Map(categories.map((c, i) => [identity(c.key, c.other), i]));
    const categoryOf = (row: Row) => index.get(identity(row.x ?? null, isOther(row, 'x_other'))) ?? -1;
    for (const m of measures) {
      // No rows is zero for counts and sums, but unknown for averages and ratios.
      const grid = members.map(() => categories.map(() => (additive(m) || m.agg === 'count_distinct' ? 0 : null) as number | null));
      for (const row of result.rows) {
        const s = position.get(identity(row.series ?? null, isOther(row, 'series_other')));
        const c = categoryOf(row);
        const v = row[m.name];
        if (s !== undefined && c >= 0) (grid[s] as (number | null)[])[c] = typeof v === 'number' ? v : null;
      }
      members.forEach((s, i) =>
        built.push({ name: measures.length > 1 ? `${measureLabel(m)}: ${s.label}` : s.label, measure: m, other: s.other, values: grid[i] ?? [] }),
      );
    }
  } else {
    // One row per category (see chartCategories).
    for (const m of measures) {
      const values = result.rows.map((row) => {
        const v = row[m.name];
        return typeof v === 'number' ? v : null;
      });
      built.push({ name: measureLabel(m), measure: m, other: false, values });
    }
  }

  // A share is "of total" only when nothing was left out of the chart.
  const complete = panel.otherBucket || panel.x.type === 'time' || result.rows.length < panel.limit;
  const showShare = panel.chart === 'bar' || panel.chart === 'stacked_bar' || panel.chart === 'horizontal_bar' || panel.chart === 'pie';
  const shareOf = (s: BuiltSeries, category: number): number | null => {
    if (!showShare || !additive(s.measure)) return null;
    const value = s.values[category];
    if (typeof value !== 'number' || value < 0) return null;
    // Split charts: the share of this x across its series; otherwise the share among all categories.
    const parts = split ? built.filter((b) => b.measure === s.measure).map((b) => b.values[category]) : s.values;
    let total = 0;
    for (const p of parts) {
      if (typeof p !== 'number') continue;
      if (p < 0) return null;
      total += p;
    }
    return total > 0 ? value / total : null;
  };
  const shareText = (share: number | null) => (share === null ? '' : ` (${formatShare(share)} of ${complete ? 'total' : 'shown'})`);
  const tooltipBox = { confine: true, extraCssText: 'max-width: 360px; white-space: normal; overflow-wrap: anywhere;' };
  const legendNames = built.map((s) => s.name);
  const common = {
    animation: false,
    color: PALETTE,
    grid: { left: 12, right: 16, top: built.length > 1 ? 32 : 12, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    legend:
      built.length > 1
        ? { type: 'scroll', top: 0, data: legendNames, textStyle: { width: 140, overflow: 'truncate' } }
        : undefined,
  };

  if (panel.chart === 'pie') {
    const s = built[0];
    const format = s?.measure.format ?? 'number';
    return {
      ...common,
      legend: undefined,
      tooltip: {
        ...tooltipBox,
        trigger: 'item',
        formatter: (p: { dataIndex: number; percent?: number; marker?: string }) => {
          const c = categories[p.dataIndex];
          const value = s?.values[p.dataIndex];
          const percent = typeof p.percent === 'number' ? ` (${formatShare(p.percent / 100)})` : '';
          return `${escapeHtml(c?.label ?? '')}<br/>${p.marker ?? ''}${escapeHtml(`${s?.name ?? ''}: ${tooltipNumber(value, format)}${percent}`)}`;
        },
      },
      series: [
        {
          name: s?.name ?? '',
          type: 'pie',
          radius: ['36%', '64%'],
          avoidLabelOverlap: true,
          data: categories.map((c, i) => ({
            name: c.label,
            value: s?.values[i] ?? null,
            ...(c.other ? { itemStyle: { color: OTHER_COLOR } } : {}),
          })),
          // Labels line up at the chart's edges, truncated to fit: never cut by the canvas.
          label: { alignTo: 'edge', edgeDistance: 6, overflow: 'truncate', width: 100, formatter: (p: { name: string; percent?: number }) => `${p.name} ${formatShare((p.percent ?? 0) / 100)}` },
          labelLine: { length: 8, length2: 6 },
        },
      ],
    };
  }

  const horizontal = panel.chart === 'horizontal_bar';
  const seriesType = panel.chart === 'line' || panel.chart === 'area' ? 'line' : panel.chart === 'scatter' ? 'scatter' : 'bar';
  const large = categories.length > LARGE_SERIES;
  const series = built.map((s, i) => ({
    name: s.name,
    type: seriesType,
    data: s.values.map((v, c) => (categories[c]?.other && !split && seriesType === 'bar' ? { value: v, itemStyle: { color: OTHER_COLOR } } : v)),
    ...(s.other ? { color: OTHER_COLOR } : { color: PALETTE[i % PALETTE.length] }),
    showSymbol: seriesType === 'scatter' || categories.length === 1,
    barMaxWidth: 28,
    ...(panel.chart === 'stacked_bar' ? { stack: split ? s.measure.name : 'total' } : {}),
    ...(panel.chart === 'area' ? { areaStyle: { opacity: 0.25 } } : panel.chart === 'line' && built.length === 1 ? { areaStyle: { opacity: 0.06 } } : {}),
    ...(split && seriesType === 'line' && !additive(s.measure) ? { connectNulls: true } : {}),
    ...(large && seriesType === 'line' ? { sampling: 'lttb' } : {}),
    ...(large && seriesType === 'scatter' ? { large: true, largeThreshold: LARGE_SERIES, symbolSize: 3 } : {}),
    ...(large && seriesType === 'bar' && panel.chart !== 'stacked_bar' ? { large: true, largeThreshold: LARGE_SERIES } : {}),
  }));

  const tooltip = {
    ...tooltipBox,
    trigger: 'axis',
    axisPointer: { type: panel.x.type === 'time' && !horizontal ? 'line' : 'shadow' },
    formatter: (params: unknown) => {
      const list = (Array.isArray(params) ? params : [params]) as { dataIndex: number; seriesIndex: number; marker?: string }[];
      const c = list[0]?.dataIndex ?? -1;
      const lines = list.map((p) => {
        const s = built[p.seriesIndex];
        if (!s) return '';
        const text = `${s.name}: ${tooltipNumber(s.values[c], s.measure.format)}${shareText(shareOf(s, c))}`;
        return `${p.marker ?? ''}${escapeHtml(text)}`;
      });
      return [escapeHtml(categories[c]?.label ?? ''), ...lines].join('<br/>');
    },
  };
  // Long member names on a horizontal axis lean, so neighbours do not hide each other.
  const leaning = !horizontal && panel.x.type === 'dimension' && categories.length > 1 && labels.some((l) => l.length > 10);
  const category = {
    type: 'category',
    data: labels,
    boundaryGap: seriesType !== 'line',
    axisLabel: {
      hideOverlap: true,
      width: horizontal ? 130 : leaning ? 90 : 110,
      overflow: 'truncate',
      ...(leaning ? { rotate: 30 } : {}),
    },
  };
  const value = { type: 'value', axisLabel: { formatter: axisValue, hideOverlap: true }, splitLine: GRID_LINE };
  if (horizontal) {
    // Long category names stay readable on the vertical axis, biggest first.
    return { ...common, tooltip, xAxis: value, yAxis: { ...category, inverse: true }, series };
  }
  // A line's last label is centred on the plot's right edge: leave it room rather than cut it.
  const grid = seriesType === 'line' ? { ...common.grid, right: 36 } : common.grid;
  const first = series[0];
  if (first && marks.length > 0 && markable(panel)) {
    // On the first series: where the line or bar top is, the point sits (the stack's top for stacks).
    const height = (c: number) => {
      const values = built.map((b) => b.values[c]).filter((v): v is number => typeof v === 'number');
      if (values.length === 0) return 0;
      return panel.chart === 'stacked_bar' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
    };
    Object.assign(first, markOptions(marks, height));
  }
  return { ...common, grid, tooltip, xAxis: category, yAxis: value, series };
}

/** The values of one heatmap axis, in their rank order (see heatmapQuery), and each row's position on it. */
function heatmapAxis(result: QueryResult, key: 'x' | 'y', rank: 'x_rank' | 'y_rank', label: (v: Scalar) => string) {
  const byRank = new Map<number, string>();
  for (const row of result.rows) {
    const r = Number(row[rank]);
    if (!byRank.has(r)) byRank.set(r, label(row[key] ?? null));
  }
  const ranks = [...byRank.keys()].sort((a, b) => a - b);
  const position = new Map(ranks.map((r, i) => [r, i]));
  return { labels: ranks.map((r) => byRank.get(r) ?? ''), positionOf: (row: Row) => position.get(Number(row[rank])) ?? -1 };
}

/**
 * A heatmap: x across, y down (the biggest member, or the earliest bucket, on top), one cell per
 * result row (so a click's dataIndex is the row), coloured by the first measure.
 */
function buildHeatmapOption(panel: ChartPanel, dataset: Dataset, result: QueryResult, grain: TimeGrain | undefined): EChartsCoreOption {
  const measure = dataset.measures.find((m) => m.name === panel.measures[0]);
  const format = measure?.format ?? 'number';
  const name = measure ? (measure.label ?? measure.name) : (panel.measures[0] ?? '');
  const y = panel.y ?? panel.x;
  const xAxis = heatmapAxis(result, 'x', 'x_rank', (v) => axisLabel(panel.x, grain, v));
  const yAxis = heatmapAxis(result, 'y', 'y_rank', (v) => axisLabel(y, undefined, v));
  const cells = result.rows.map((row) => {
    const v = row[panel.measures[0] ?? ''];
    return [xAxis.positionOf(row), yAxis.positionOf(row), typeof v === 'number' ? v : null] as const;
  });
  const values = cells.map((c) => c[2]).filter((v): v is number => v !== null);
  const min = values.length ? Math.min(...values) : 0;
  const max = values.length ? Math.max(...values) : 0;
  const category = (labels: string[]) => ({
    type: 'category',
    data: labels,
    splitArea: { show: false },
    axisLabel: { hideOverlap: true, width: 110, overflow: 'truncate' },
  });
  return {
    animation: false,
    grid: { left: 12, right: 16, top: 12, bottom: 44, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: {
      confine: true,
      extraCssText: 'max-width: 360px; white-space: normal; overflow-wrap: anywhere;',
      trigger: 'item',
      formatter: (p: { dataIndex: number; marker?: string }) => {
        const cell = cells[p.dataIndex];
        if (!cell) return '';
        const text = `${xAxis.labels[cell[0]] ?? ''} × ${yAxis.labels[cell[1]] ?? ''}`;
        return `${escapeHtml(text)}<br/>${p.marker ?? ''}${escapeHtml(`${name}: ${tooltipNumber(cell[2], format)}`)}`;
      },
    },
    xAxis: category(xAxis.labels),
    yAxis: { ...category(yAxis.labels), inverse: true },
    visualMap: {
      type: 'continuous',
      min,
      // A flat map (every cell the same) still needs a range to colour in.
      max: max > min ? max : min + 1,
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 120,
      itemWidth: 10,
      text: [formatAxisAs(max, panel.axisFormat, format), formatAxisAs(min, panel.axisFormat, format)],
      inRange: { color: ['#eef3fc', '#3b6fd8', '#1d3f86'] },
    },
    series: [{ name, type: 'heatmap', data: cells.map((c) => [...c]), emphasis: { itemStyle: { borderColor: '#1f2329', borderWidth: 1 } } }],
  };
}

function tooltipNumber(v: number | null | undefined, format: Measure['format']): string {
  return typeof v === 'number' ? formatMeasure(v, format, false) : '–';
}

// ---- Anomaly marks: the days and buckets where a failing check found something. ----

const MARK_COLORS = { warn: '#d08a00', fail: '#d0342c' } as const;

/** A failing check whose failure sits in time, as a chart can mark it. */
export interface ChartFinding {
  checkId: string;
  title: string;
  status: 'warn' | 'fail';
  owner: string | null;
  spans: AffectedSpan[];
}

/** One mark on a time chart: a point on one category or an area over several, with its tooltip text. */
export interface AnomalyMark {
  checkId: string;
  kind: 'point' | 'area';
  /** Category positions on the x axis, inclusive. */
  from: number;
  to: number;
  /** The labels of those categories, as the axis shows them. */
  fromLabel: string;
  toLabel: string;
  status: 'warn' | 'fail';
  /** Plain text (escaped when shown): "Each order once — 904 repeated order_id values on 2025-12-10 (check dup_orders, owner …)". */
  text: string;
}

/** Whether a chart can carry marks: a time axis drawn across, as lines, bars or points. */
function markable(panel: ChartPanel): boolean {
  return panel.x.type === 'time' && ['line', 'area', 'bar', 'stacked_bar', 'scatter'].includes(panel.chart);
}

/**
 * The failing checks a chart shows: those with days on the chart's dataset that guard the panel, or
 * that judged by the time column the chart's x axis is drawn by.
 */
export function chartFindings(panel: ChartPanel, dataset: Dataset, checks: readonly Check[], results: readonly CheckResult[]): ChartFinding[] {
  if (!markable(panel)) return [];
  const findings: ChartFinding[] = [];
  for (const r of results) {
    const check = checks.find((c) => c.id === r.id);
    if (!check || check.dataset !== panel.dataset || !r.affected || (r.status !== 'warn' && r.status !== 'fail')) continue;
    const sameTime = dataset.timeColumn !== undefined && r.affected.timeColumn === dataset.timeColumn;
    if (!sameTime && !check.guards.includes(panel.id)) continue;
    findings.push({ checkId: r.id, title: r.title, status: r.status, owner: r.owner, spans: r.affected.spans });
  }
  return findings;
}

const DAY = 86_400_000;
const dayOf = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY);

/** The first day (UTC day number) of the bucket of `grain` holding `day`, as DuckDB's date_trunc. */
function bucketStart(day: number, grain: TimeGrain): number {
  if (grain === 'day') return day;
  // Day 0 (1970-01-01) is a Thursday; date_trunc('week') starts weeks on Monday.
  if (grain === 'week') return day - (((day + 3) % 7) + 7) % 7;
  const date = new Date(day * DAY);
  const year = date.getUTCFullYear();
  const month = grain === 'month' ? date.getUTCMonth() : grain === 'quarter' ? date.getUTCMonth() - (date.getUTCMonth() % 3) : 0;
  return Math.round(Date.UTC(year, month, 1) / DAY);
}

/**
 * The marks of failing checks on a time chart at the grain it draws: a day on a monthly chart
 * marks its month; a span over several buckets is an area. Spans outside the chart are left out,
 * and several days of one check in one bucket make one mark naming each day.
 */
export function anomalyMarks(panel: ChartPanel, result: QueryResult, findings: readonly ChartFinding[], grain?: TimeGrain): AnomalyMark[] {
  if (findings.length === 0 || panel.x.type !== 'time' || !markable(panel)) return [];
  const drawn = grain ?? panel.x.grain;
  const categories = chartCategories(panel, result, grain);
  // Category keys are bucket starts in epoch ms: index them by day number.
  const position = new Map<number, number>();
  categories.forEach((c, i) => {
    if (typeof c.key === 'number' && !c.other) position.set(Math.round(c.key / DAY), i);
  });
  const marks: AnomalyMark[] = [];
  for (const f of findings) {
    const byRange = new Map<string, { from: number; to: number; notes: string[]; days: string[] }>();
    for (const span of f.spans) {
      const start = bucketStart(dayOf(span.from), drawn);
      const end = bucketStart(dayOf(span.to), drawn);
      const covered = [...position.entries()].filter(([day]) => day >= start && day <= end).map(([, i]) => i);
      if (covered.length === 0) continue;
      const from = Math.min(...covered);
      const to = Math.max(...covered);
      const key = `${from}:${to}`;
      const entry = byRange.get(key) ?? { from, to, notes: [], days: [] };
      entry.notes.push(span.note);
      entry.days.push(span.from === span.to ? span.from : `${span.from} – ${span.to}`);
      byRange.set(key, entry);
    }
    for (const m of byRange.values()) {
      const fromLabel = categories[m.from]?.label ?? '';
      const toLabel = categories[m.to]?.label ?? '';
      const where = m.from === m.to ? fromLabel : `${fromLabel} – ${toLabel}`;
      // One day drawn as its own bucket needs no repeating; several in one bucket name their days.
      const what =
        m.notes.length === 1 && m.days[0] === where ? `${m.notes[0]} on ${where}` : `${m.notes.map((n, i) => `${n} on ${m.days[i]}`).join('; ')}`;
      marks.push({
        checkId: f.checkId,
        kind: m.from === m.to ? 'point' : 'area',
        from: m.from,
        to: m.to,
        fromLabel,
        toLabel,
        status: f.status,
        text: `${f.title} — ${what} (check ${f.checkId}${f.owner ? `, owner ${f.owner}` : ''})`,
      });
    }
  }
  return marks;
}

/** markPoint and markArea of the first series, carrying each mark's check id for clicks. */
function markOptions(marks: readonly AnomalyMark[], height: (category: number) => number): Record<string, unknown> {
  const tooltip = { trigger: 'item', formatter: (p: { data?: { texts?: string[] } }) => (p.data?.texts ?? []).map(escapeHtml).join('<br/>') };
  const areas = marks.filter((m) => m.kind === 'area');
  // Checks that mark the same category share one pin (stacked pins would hide each other), failures first.
  const byCategory = new Map<number, AnomalyMark[]>();
  for (const m of marks) if (m.kind === 'point') byCategory.set(m.from, [...(byCategory.get(m.from) ?? []), m]);
  const out: Record<string, unknown> = {};
  if (byCategory.size > 0) {
    out.markPoint = {
      symbol: 'pin',
      symbolSize: 38,
      tooltip,
      // In the charts' own font (not bold): the pins come with the checks, after the font warm-up
      // (font-warm-up.ts), and a new font on a chart's canvas then asks the browser for its strike,
      // synchronously (traced in loaded e2e runs; warming it on another canvas did not help).
      label: { formatter: '!', color: '#fff' },
      data: [...byCategory.entries()].map(([category, list]) => {
        const ordered = [...list].sort((a, b) => Number(b.status === 'fail') - Number(a.status === 'fail'));
        const first = ordered[0] as AnomalyMark;
        return { coord: [category, height(category)], checkId: first.checkId, texts: ordered.map((m) => m.text), itemStyle: { color: MARK_COLORS[first.status] } };
      }),
    };
  }
  if (areas.length > 0) {
    out.markArea = {
      tooltip,
      silent: false,
      data: areas.map((m) => [
        { xAxis: m.from, checkId: m.checkId, texts: [m.text], itemStyle: { color: MARK_COLORS[m.status], opacity: 0.15 } },
        { xAxis: m.to },
      ]),
    };
  }
  return out;
}
