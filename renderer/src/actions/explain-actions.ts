// "Why did this move?": which periods a KPI or a time-chart point compares, the path of members
// drilled into, the ranking of dimensions, the headline sentence and the contribution chart. Pure
// functions (plus one that runs the queries on a given engine), testable without React.
import type { EChartsCoreOption } from 'echarts/core';
import type { DashboardFile, DataPanel, Dataset, Measure, TimeGrain } from '../../../dashboards/schema';
import { datasetTable, type QueryEngine } from '../../../queries/dashboard-runner';
import { explainDimension, measurePlan, type DimensionExplanation, type ExplainMethod, type ExplainSpec, type MemberContribution, type MeasurePlan } from '../../../queries/explain-queries';
import { comparisonWindow, effectivePeriod, type DatasetContext, type Period, type TimeWindow } from '../../../queries/panel-queries';
import type { Row } from '../../../queries/engine/engine';
import { escapeHtml } from '../charts/chart-options';
import { bucketEnd, currentGrain, refinementFor, type Exploration } from '../explore';
import { formatAxisAs, formatChange, formatTimeBucket, formatValue, isoDay, type ValueFormat } from '../format';

const DAY_MS = 86_400_000;

/** What "Why did this move?" was opened on: a KPI (point null), or one bucket of a time chart. */
export interface WhyMovedTarget {
  panelId: string;
  /** The bucket start (epoch ms) of a time chart; null for a KPI, or a chart's latest bucket. */
  point: number | null;
}

/** One member drilled into, with its contribution when it was clicked (in the measure's unit). */
export interface ExplainStep {
  dimension: string;
  value: string | null;
  contribution: number | null;
}

/** Everything an explanation needs, resolved from the dashboard and the exploration. */
export interface ExplainSetup {
  panel: DataPanel;
  dataset: Dataset;
  measure: Measure;
  plan: MeasurePlan;
  /** The periods and the filters the panel runs with (before any member of the path). */
  spec: ExplainSpec;
  /** "previous 30 days", "same period last year", "previous day (2025-12-30)". */
  comparisonLabel: string;
  /** "2025-12-02 – 2025-12-31", or the bucket ("2025-12-31"). */
  currentLabel: string;
  /** Why the comparison is not the panel's own (a KPI against a target). */
  note: string | null;
  goodDirection: 'up' | 'down';
  format: ValueFormat;
  /** Time charts: the grain of the bucket explained. */
  grain: TimeGrain | null;
}

/** The start of the bucket of the same grain just before the bucket starting at `start`. */
export function previousBucketStart(start: number, grain: TimeGrain): number {
  if (grain === 'day') return start - DAY_MS;
  if (grain === 'week') return start - 7 * DAY_MS;
  const d = new Date(start);
  const months = grain === 'month' ? 1 : grain === 'quarter' ? 3 : 12;
  // setUTCFullYear (unlike Date.UTC) keeps years below 100 as they are.
  const previous = new Date(0);
  previous.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() - months, 1);
  return previous.getTime();
}

function range(w: TimeWindow): string {
  const first = isoDay(w.start);
  const last = isoDay(w.end - 1);
  return first === last ? first : `${first} – ${last}`;
}

/** Whether a panel offers "Why did this move?": KPIs, and line, area and bar charts over time. */
export function canExplain(panel: DataPanel): boolean {
  if (panel.kind === 'kpi') return true;
  if (panel.kind !== 'chart') return false;
  return panel.x.type === 'time' && (panel.chart === 'line' || panel.chart === 'area' || panel.chart === 'bar' || panel.chart === 'stacked_bar');
}

/**
 * Resolve what to explain. A KPI compares exactly as its tile does (its period, or drilled window,
 * against the previous period or the same period last year; a target falls back to the previous
 * period, and says so). A time-chart point compares its bucket with the previous bucket of the
 * grain drawn. Both keep the filters, click filter and drill path the panel runs with.
 * Throws an Error whose message says why when it cannot.
 */
export function explainSetup(
  file: DashboardFile,
  explore: Exploration,
  target: WhyMovedTarget,
  loaded: { columns: ReadonlySet<string>; period: Period | null },
  latestBucket: number | null,
): ExplainSetup {
  const panel = file.panels.find((p) => p.id === target.panelId);
  if (!panel || (panel.kind !== 'kpi' && panel.kind !== 'chart')) throw new Error(`There is no KPI or chart "${target.panelId}" to explain.`);
  if (!canExplain(panel)) throw new Error(`"${panel.title}" is not a KPI or a line, area or bar chart over time.`);
  const dataset = file.datasets.find((d) => d.name === panel.dataset);
  if (!dataset) throw new Error(`"${panel.title}" reads a dataset "${panel.dataset}" that the dashboard does not define.`);
  if (!dataset.timeColumn) throw new Error(`Dataset "${dataset.label ?? dataset.name}" has no time column, so there are no two periods to compare.`);
  const measureName = panel.kind === 'kpi' ? panel.measure : panel.measures[0];
  const measure = dataset.measures.find((m) => m.name === measureName);
  if (!measure) throw new Error(`Dataset "${dataset.name}" has no measure "${measureName ?? ''}".`);
  const plan = measurePlan(dataset, measure.name);
  const refine = refinementFor(panel, file, explore);
  const members = refine.members ?? [];
  const ctx: DatasetContext = { dataset, table: datasetTable(dataset), columns: loaded.columns, period: loaded.period };
  if (panel.kind === 'kpi') {
    const period = effectivePeriod(ctx, refine);
    if (!period) throw new Error('The dashboard period could not be worked out (no data with a time?), so there is nothing to compare.');
    const current = { start: period.start, end: period.end };
    const own = comparisonWindow(panel.comparison, period);
    const previous = own ?? { start: period.previousStart, end: period.start };
    const comparisonLabel = panel.comparison === 'previous_year' ? 'same period last year' : `previous ${period.days} days`;
    const note =
      own === null
        ? `This KPI compares with ${panel.comparison === 'target' ? 'a target' : 'nothing'}; the change is explained against the previous ${period.days} days instead.`
        : null;
    const format: ValueFormat = panel.format === 'auto' ? measure.format : panel.format;
    return { panel, dataset, measure, plan, spec: { current, previous, members }, comparisonLabel, currentLabel: range(current), note, goodDirection: panel.goodDirection, format, grain: null };
  }
  const grain = currentGrain(panel, explore);
  const start = target.point ?? latestBucket;
  if (start === null) throw new Error(`"${panel.title}" has no point to explain in this period.`);
  const current = { start, end: bucketEnd(start, grain) };
  const previousStart = previousBucketStart(start, grain);
  return {
    panel,
    dataset,
    measure,
    plan,
    spec: { current, previous: { start: previousStart, end: start }, members },
    comparisonLabel: `previous ${grain} (${formatTimeBucket(previousStart, grain)})`,
    currentLabel: formatTimeBucket(start, grain),
    note: null,
    goodDirection: 'up',
    format: measure.format,
    grain,
  };
}

/** The time buckets of a time chart's result, oldest first (for the point picker). */
export function timeBuckets(rows: readonly Row[]): number[] {
  const seen = new Set<number>();
  for (const r of rows) if (typeof r.x === 'number') seen.add(r.x);
  return [...seen].sort((a, b) => a - b);
}

/** The spec with the drilled path added to its filters. */
export function specWithPath(spec: ExplainSpec, path: readonly ExplainStep[]): ExplainSpec {
  return { ...spec, members: [...spec.members, ...path.map((s) => ({ dimension: s.dimension, values: [s.value] }))] };
}

/** The dimensions still to explain by: all of the dataset's but those drilled into. */
export function remainingDimensions(dataset: Dataset, path: readonly ExplainStep[]): string[] {
  const used = new Set(path.map((s) => s.dimension));
  return dataset.dimensions.map((d) => d.name).filter((d) => !used.has(d));
}

/** The next level of the last drilled dimension's hierarchy (region → country), if any is left. */
export function nextLevel(dataset: Dataset, path: readonly ExplainStep[]): string | null {
  const last = path[path.length - 1];
  if (!last) return null;
  const used = new Set(path.map((s) => s.dimension));
  for (const h of dataset.hierarchies) {
    const i = h.levels.indexOf(last.dimension);
    if (i < 0) continue;
    const next = h.levels.slice(i + 1).find((l) => !used.has(l));
    if (next) return next;
  }
  return null;
}

/**
 * The order dimensions are offered in: the next hierarchy level first after a drill, then by how
 * concentrated the explanation is (the biggest single member's absolute contribution), then by name.
 */
export function orderExplanations(explanations: readonly DimensionExplanation[], dataset: Dataset, path: readonly ExplainStep[]): DimensionExplanation[] {
  const next = nextLevel(dataset, path);
  return [...explanations].sort(
    (a, b) => Number(b.dimension === next) - Number(a.dimension === next) || b.concentration - a.concentration || a.dimension.localeCompare(b.dimension),
  );
}

/** Run the explanation by every remaining dimension, one query at a time (the engine runs one anyway). */
export async function explainAll(
  engine: QueryEngine,
  setup: ExplainSetup,
  loaded: { columns: ReadonlySet<string>; period: Period | null },
  path: readonly ExplainStep[],
  opts: { topN?: number; isStale?: () => boolean } = {},
): Promise<DimensionExplanation[]> {
  const ctx: DatasetContext = { dataset: setup.dataset, table: datasetTable(setup.dataset), columns: loaded.columns, period: loaded.period };
  const spec = specWithPath(setup.spec, path);
  const out: DimensionExplanation[] = [];
  for (const dimension of remainingDimensions(setup.dataset, path)) {
    if (opts.isStale?.()) break;
    out.push(await explainDimension(engine, ctx, setup.plan, spec, dimension, opts.topN ?? 8));
  }
  return orderExplanations(out, setup.dataset, path);
}

const MINUS = '\u2212';

/** A change with its sign: +$1.2K, −$41.2K, ±0. */
export function signedValue(value: number | null, format: ValueFormat): string {
  if (value === null || !Number.isFinite(value)) return '–';
  const sign = value > 0 ? '+' : value < 0 ? MINUS : '±';
  return `${sign}${formatValue(Math.abs(value), format)}`;
}

/** A contribution in points of the total's previous value: −9.1 pts; in the measure's unit when there is no base. */
export function signedPoints(contribution: number | null, basePrevious: number | null, format: ValueFormat): string {
  if (contribution === null || !Number.isFinite(contribution)) return '–';
  if (basePrevious === null || basePrevious === 0 || !Number.isFinite(basePrevious)) return signedValue(contribution, format);
  const points = (contribution / Math.abs(basePrevious)) * 100;
  const rounded = Math.abs(points).toFixed(1);
  const sign = rounded === '0.0' ? '±' : points > 0 ? '+' : MINUS;
  return `${sign}${rounded} pts`;
}

/** How a member is named in the explanation. */
export function memberLabel(m: Pick<MemberContribution, 'member' | 'other' | 'members'>): string {
  if (m.other) return `Other (${m.members} members)`;
  return m.member ?? '(null)';
}

/**
 * The headline: "Revenue −12.3% vs previous 30 days (−$41.2K): region=EMEA −9.1 pts, of which
 * country=Germany −7.0 pts". The path drilled so far, then the biggest member of the dimension shown.
 * Points are of the total's previous value before any drill, so the steps read against one base.
 */
export function headline(setup: ExplainSetup, root: { current: number | null; previous: number | null }, path: readonly ExplainStep[], lead: ExplainStep | null): string {
  const name = setup.measure.label ?? setup.measure.name;
  const change = formatChange(root.current, root.previous).text;
  const delta = root.current !== null && root.previous !== null ? signedValue(root.current - root.previous, setup.format) : '–';
  const steps = [...path, ...(lead ? [lead] : [])].map((s) => `${s.dimension}=${s.value ?? '(null)'} ${signedPoints(s.contribution, root.previous, setup.format)}`);
  // Sums split exactly, so a member's part is "of" its parent's; other measures are re-explained within the member.
  const joiner = setup.plan.method === 'difference' ? ', of which ' : ', within it ';
  return `${name} ${change} vs ${setup.comparisonLabel} (${delta})${steps.length ? `: ${steps.join(joiner)}` : ''}`;
}

/** One sentence on the method, shown under the chart: the user sees which math they read. */
export function methodNote(method: ExplainMethod, measure: Measure, exclusiveDistinct = false): string {
  const name = measure.label ?? measure.name;
  // A distinct count split like a sum: say why that is right here.
  const exclusive = exclusiveDistinct ? ' No counted value occurs in two members here, so the distinct count splits like a sum.' : '';
  switch (method) {
    case 'difference':
      return `Each bar is the member's ${name} now minus before; the bars add up to the total change.${exclusive}`;
    case 'mix_rate':
      return `${name} is a ratio, so each bar is a rate effect (the member's own ratio moved) plus a mix effect (its weight moved, against the average); the bars add up to the total change.${exclusive}`;
    case 'leave_one_out':
      return `${name} counts distinct values, which members can share, so each bar is how much of the change goes away without that member. Bars can overlap and need not add up to the total.`;
  }
}

/** Carry the drilled path to the dashboard: member steps of the panel's drill path, which the other panels follow. */
export function applyPathAsFilter(explore: Exploration, panelId: string, path: readonly ExplainStep[]): Exploration {
  if (path.length === 0) return explore;
  const current = explore.drills[panelId] ?? { steps: [], showRows: false };
  const steps = [...current.steps, ...path.map((s) => ({ kind: 'member' as const, dimension: s.dimension, value: s.value }))];
  return { ...explore, drills: { ...explore.drills, [panelId]: { steps, showRows: false } } };
}

const GOOD = '#3aa57a';
const BAD = '#d64545';
const TOTAL = '#8a8f99';
const OTHER = '#a3a9b5';

/** The contribution chart and, per category (top to bottom), the member it shows (null for totals). */
export interface ContributionChart {
  option: EChartsCoreOption;
  members: (MemberContribution | null)[];
  waterfall: boolean;
}

/**
 * The contributions of one dimension as a horizontal chart: a waterfall from the previous total
 * through each member to the current total when the contributions add up (sums, mix/rate), plain
 * bars when they do not (leave one out) or when a running total goes below zero.
 */
export function contributionChart(e: DimensionExplanation, setup: ExplainSetup, basePrevious: number | null): ContributionChart {
  const format = setup.format;
  const tone = (v: number) => (v === 0 ? TOTAL : (v > 0) === (setup.goodDirection === 'up') ? GOOD : BAD);
  const axis = (v: number) => formatAxisAs(v, 'auto', format === 'compact' ? 'number' : format);
  const status = (m: MemberContribution) => (m.status === 'new' ? ' (new)' : m.status === 'gone' ? ' (gone)' : '');
  const unexplained = e.unexplained !== null && Math.abs(e.unexplained) > 1e-9 * Math.max(1, Math.abs(e.total.previous ?? 0)) ? e.unexplained : 0;
  const { current, previous } = e.total;
  const tooltipOf = (label: string, m: MemberContribution | null, value: number | null) => {
    if (!m) return `${label}: ${formatValue(value, format, { compact: false })}`;
    const was = m.current !== null || m.previous !== null ? ` · ${formatValue(m.current, format, { compact: false })} now, ${formatValue(m.previous, format, { compact: false })} before` : '';
    const parts = m.rate !== undefined && m.mix !== undefined ? ` · rate ${signedValue(m.rate, format)}, mix ${signedValue(m.mix, format)}` : '';
    return `${label}: ${signedValue(m.contribution, format)} (${signedPoints(m.contribution, basePrevious, format)})${was}${parts}`;
  };
  const common = {
    animation: false,
    grid: { left: 12, right: 24, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    xAxis: { type: 'value', axisLabel: { formatter: axis, hideOverlap: true }, splitLine: { lineStyle: { color: '#eceef2' } } },
  };
  const category = (labels: string[]) => ({ type: 'category', data: labels, inverse: true, axisLabel: { width: 150, overflow: 'truncate' } });
  // One tooltip for both charts: the bar under the pointer, described as text (escaped: labels are data).
  const tooltip = (bar: (i: number) => { label: string; member: MemberContribution | null; value: number | null } | null) => ({
    trigger: 'axis',
    axisPointer: { type: 'shadow' },
    confine: true,
    extraCssText: 'max-width: 380px; white-space: normal; overflow-wrap: anywhere;',
    formatter: (params: unknown) => {
      const list = (Array.isArray(params) ? params : [params]) as { dataIndex: number }[];
      const b = bar(list[0]?.dataIndex ?? -1);
      return b ? escapeHtml(tooltipOf(b.label, b.member, b.value)) : '';
    },
  });

  // A waterfall needs every running total on one side of zero (stacked bars cannot cross it).
  const additive = e.method !== 'leave_one_out' && current !== null && previous !== null;
  let running = previous ?? 0;
  const steps: { label: string; member: MemberContribution | null; base: number; size: number; color: string; value: number }[] = [];
  let fits = additive && previous !== null && previous >= 0;
  if (additive) {
    steps.push({ label: 'Before', member: null, base: 0, size: previous ?? 0, color: TOTAL, value: previous ?? 0 });
    const add = (label: string, member: MemberContribution | null, c: number, color: string) => {
      const next = running + c;
      if (next < 0) fits = false;
      steps.push({ label, member, base: Math.min(running, next), size: Math.abs(c), color, value: c });
      running = next;
    };
    for (const m of e.members) add(`${memberLabel(m)}${status(m)}`, m, m.contribution ?? 0, m.other ? OTHER : tone(m.contribution ?? 0));
    if (unexplained !== 0) add('Not attributed', null, unexplained, OTHER);
    steps.push({ label: 'Now', member: null, base: 0, size: current ?? 0, color: TOTAL, value: current ?? 0 });
  }
  if (fits) {
    const labels = steps.map((s) => s.label);
    // Start the value axis near the lowest running total, so the steps are not slivers at the end
    // of two long total bars (the totals are then drawn from the axis start, as a waterfall reads).
    const levels = steps.flatMap((s) => (s.member === null && s.base === 0 ? [s.size] : [s.base, s.base + s.size]));
    const low = Math.min(...levels);
    const high = Math.max(...levels);
    const axisMin = niceFloor(Math.max(0, low - (high - low) * 0.5));
    return {
      waterfall: true,
      members: steps.map((s) => s.member),
      option: {
        ...common,
        tooltip: tooltip((i) => steps[i] ?? null),
        xAxis: { ...common.xAxis, min: axisMin },
        yAxis: category(labels),
        series: [
          // The invisible base each step floats on.
          { type: 'bar', stack: 'waterfall', silent: true, itemStyle: { color: 'transparent' }, data: steps.map((s) => s.base), barMaxWidth: 22 },
          {
            type: 'bar',
            stack: 'waterfall',
            barMaxWidth: 22,
            data: steps.map((s) => ({ value: s.size, itemStyle: { color: s.color } })),
            label: {
              show: true,
              position: 'right',
              formatter: (p: { dataIndex: number }) => {
                const s = steps[p.dataIndex];
                if (!s) return '';
                return s.member === null && s.label !== 'Not attributed' ? formatValue(s.value, format) : signedPoints(s.value, basePrevious, format);
              },
            },
          },
        ],
      },
    };
  }
  const labels = e.members.map((m) => `${memberLabel(m)}${status(m)}`);
  return {
    waterfall: false,
    members: [...e.members],
    option: {
      ...common,
      tooltip: tooltip((i) => {
        const m = e.members[i];
        return m ? { label: labels[i] ?? '', member: m, value: m.contribution } : null;
      }),
      yAxis: category(labels),
      series: [
        {
          type: 'bar',
          barMaxWidth: 22,
          data: e.members.map((m) => ({ value: m.contribution, itemStyle: { color: m.other ? OTHER : tone(m.contribution ?? 0) } })),
          label: { show: true, position: 'right', formatter: (p: { dataIndex: number }) => signedPoints(e.members[p.dataIndex]?.contribution ?? null, basePrevious, format) },
        },
      ],
    },
  };
}

/** A round number at or below `v` (two significant digits), for an axis start. */
function niceFloor(v: number): number {
  if (!(v > 0)) return 0;
  const step = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Math.floor(v / step) * step;
}
