// ECharts' code runs for the first time in a page's first chart draw: measured in a cold open at
// 5M rows, the first chart's first draw was 34–41 ms of main-thread work (55–76 ms of wall time on
// this 2-core machine), a later chart's 10–20 ms. Before any chart has data (a cold open waits for
// its load), this draws two small charts nobody sees, a line over days and a bar over members,
// through the same option builder, in short queued jobs (chart-work.ts): the real charts' first
// draws then run code that has run before. It begins once the engine has started (lazy-echart.tsx):
// during the start, its steps of ~15 ms of work took 104–223 ms of wall time. A re-open draws its
// stored results before the engine starts, with no warm-up run: its first chart runs the first
// steps first (echart.tsx, `first`).
import type * as echartsCore from 'echarts/core';
import type { ChartPanel, Dataset } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import { buildChartOption, type AnomalyMark } from './chart-options';
import { queueChartWork } from './chart-work';
import { chartOptionFor, currentTheme } from '../theme';

const DAY_MS = 86_400_000;

const dataset = { kind: 'table', name: 'warm_up', source: 'warm_up', dimensions: [{ name: 'member', column: 'member' }], measures: [{ name: 'value', column: 'value', agg: 'sum', format: 'currency' }] } as unknown as Dataset;
const chart = (id: string, x: ChartPanel['x'], type: 'line' | 'horizontal_bar'): ChartPanel =>
  ({ id, kind: 'chart', title: id, dataset: 'warm_up', chart: type, x, measures: ['value'], limit: 20, sort: 'value_desc', otherBucket: false, followFilters: true, axisFormat: 'auto' }) as unknown as ChartPanel;
const line = chart('line', { type: 'time', grain: 'day' } as ChartPanel['x'], 'line');
const bar = chart('bar', { type: 'dimension', dimension: 'member' } as ChartPanel['x'], 'horizontal_bar');
const result = (xs: (number | string)[]): QueryResult => ({ columns: [{ name: 'x', type: 'VARCHAR' }, { name: 'value', type: 'DOUBLE' }], rows: xs.map((x, i) => ({ x, value: 1000 * (i + 1) })) });

let warmed = false;

/**
 * Queue the warm-up (once per page). `first`: a chart is about to draw and no warm-up ran (a re-open
 * draws its stored results as soon as ECharts arrives): only the first steps (the instance, the
 * grid, axes, a bar and a line series), queued ahead of the chart's work, one per task, and never
 * dropped for it.
 */
export function warmUpCharts(echarts: typeof echartsCore, opts: { first?: boolean } = {}): void {
  if (warmed) return;
  warmed = true;
  // For the bench's timeline and the tests: when it began (after the engine's start, lazy-echart.tsx;
  // the first steps before a re-open's first chart, echart.tsx).
  performance.mark('northstar:charts-warm-up-start');
  // A box never put in the page, its size given to ECharts: placed off screen in the page, making
  // the chart read the box's size laid out the whole page in the warm-up's task (28 ms of a 56 ms
  // task in a first launch at 5M rows). What warms up is ECharts' code, which draws the same.
  const box = document.createElement('div');
  let instance: echartsCore.ECharts | null = null;
  const draw = (panel: ChartPanel, xs: (number | string)[], marks: AnomalyMark[] = []) => () => {
    if (!instance) return;
    const theme = currentTheme();
    instance.setOption({ backgroundColor: 'transparent', ...chartOptionFor(buildChartOption(panel, dataset, result(xs), undefined, marks), theme), animation: false }, { notMerge: true });
  };
  // The chart goes after the last step, or as soon as a real chart's work drops the rest.
  // (A mark says which, for the bench's timeline and the tests.)
  let ended = false;
  const end = (how: 'done' | 'dropped') => {
    instance?.dispose();
    instance = null;
    if (!ended) performance.mark('northstar:charts-warm-up', { detail: how });
    ended = true;
  };
  const step = opts.first ? { alone: true } : { idle: true, dropped: () => end('dropped') };
  queueChartWork(() => {
    instance = echarts.init(box, currentTheme() === 'dark' ? 'dark' : undefined, { renderer: 'canvas', width: 480, height: 240 });
  }, step);
  // The first draw in small steps (a grid, its axes, a series of each kind, then whole options as
  // the panels build them, with an anomaly mark), each a task of its own (chart-work.ts runs idle
  // jobs one per task) of 3–16 ms of work (traced, cold opens at 1M rows).
  const merge = (option: Record<string, unknown>) => () => instance?.setOption({ animation: false, ...option });
  queueChartWork(merge({ grid: {} }), step);
  queueChartWork(merge({ xAxis: { type: 'value' }, yAxis: { type: 'value' } }), step);
  queueChartWork(merge({ yAxis: { type: 'category', data: ['a', 'b'] } }), step);
  queueChartWork(merge({ series: [{ type: 'bar', data: [1, 2] }] }), step);
  queueChartWork(merge({ tooltip: { trigger: 'axis' }, series: [{ type: 'line', data: [1, 2] }] }), step);
  if (opts.first) {
    queueChartWork(() => end('done'), step);
    return;
  }
  queueChartWork(draw(bar, ['North', 'South', 'East']), step);
  const days = [0, 1, 2].map((d) => Date.UTC(2025, 0, 1) + d * DAY_MS);
  const mark: AnomalyMark = { checkId: 'warm_up', kind: 'point', from: 1, to: 1, fromLabel: '', toLabel: '', status: 'fail', text: 'warm-up' };
  queueChartWork(draw(line, days, [mark]), step);
  queueChartWork(draw(line, days, [{ ...mark, kind: 'area', from: 0, to: 1 }]), step);
  queueChartWork(() => end('done'), step);
}
