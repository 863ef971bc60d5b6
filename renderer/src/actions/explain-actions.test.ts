import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChartPanel, Dataset, KpiPanel, type DashboardFile } from '../../../dashboards/schema';
import { datasetTable } from '../../../queries/dashboard-runner';
import { createTable, openNativeEngine, type NativeEngine } from '../../../queries/checks/testing-engine';
import type { DimensionExplanation } from '../../../queries/explain-queries';
import { NO_EXPLORATION } from '../explore';
import {
  applyPathAsFilter,
  canExplain,
  contributionChart,
  explainAll,
  explainSetup,
  headline,
  nextLevel,
  orderExplanations,
  previousBucketStart,
  remainingDimensions,
  signedPoints,
  type ExplainStep,
} from './explain-actions';

const dataset = Dataset.parse({
  name: 'orders',
  kind: 'table',
  source: 'orders',
  timeColumn: 'ts',
  measures: [
    { name: 'revenue', agg: 'sum', column: 'amount', format: 'currency', label: 'Revenue' },
    { name: 'customers', agg: 'count_distinct', column: 'cust', format: 'integer' },
    { name: 'top', agg: 'max', column: 'amount', format: 'currency' },
  ],
  dimensions: [
    { name: 'region', column: 'region', label: 'Region' },
    { name: 'country', column: 'country', label: 'Country' },
    { name: 'channel', column: 'channel', label: 'Channel' },
  ],
  hierarchies: [{ name: 'geo', levels: ['region', 'country'] }],
});
const kpi = KpiPanel.parse({ id: 'k', kind: 'kpi', title: 'Revenue', dataset: 'orders', measure: 'revenue' });
const daily = ChartPanel.parse({ id: 'daily', kind: 'chart', title: 'Daily', dataset: 'orders', chart: 'line', x: { type: 'time', grain: 'day' }, measures: ['revenue'] });
const monthly = ChartPanel.parse({ ...daily, id: 'monthly', x: { type: 'time', grain: 'month' } });
const pie = ChartPanel.parse({ ...daily, id: 'pie', chart: 'pie', x: { type: 'dimension', dimension: 'region' } });
const file = (panels: DashboardFile['panels'], filters: DashboardFile['filters'] = []) => ({ datasets: [dataset], filters, panels }) as unknown as DashboardFile;
// Jan 1–4 2025: the period is the last 2 days (Jan 3–4), the previous one Jan 1–2.
const period = { start: Date.UTC(2025, 0, 3), end: Date.UTC(2025, 0, 5), previousStart: Date.UTC(2025, 0, 1), days: 2 };
const loaded = { columns: new Set(['ts', 'amount', 'cust', 'region', 'country', 'channel']), period };

describe('periods', () => {
  it('steps back one bucket of each grain across year ends', () => {
    expect(previousBucketStart(Date.UTC(2025, 0, 1), 'day')).toBe(Date.UTC(2024, 11, 31));
    expect(previousBucketStart(Date.UTC(2025, 0, 6), 'week')).toBe(Date.UTC(2024, 11, 30));
    expect(previousBucketStart(Date.UTC(2025, 0, 1), 'month')).toBe(Date.UTC(2024, 11, 1));
    expect(previousBucketStart(Date.UTC(2025, 0, 1), 'quarter')).toBe(Date.UTC(2024, 9, 1));
    expect(previousBucketStart(Date.UTC(2025, 0, 1), 'year')).toBe(Date.UTC(2024, 0, 1));
  });

  it('a KPI compares as its tile does; a target falls back to the previous period and says so', () => {
    const s = explainSetup(file([kpi]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null);
    expect(s.spec.current).toEqual({ start: period.start, end: period.end });
    expect(s.spec.previous).toEqual({ start: period.previousStart, end: period.start });
    expect(s.comparisonLabel).toBe('previous 2 days');
    expect(s.note).toBeNull();
    const yoy = explainSetup(file([{ ...kpi, comparison: 'previous_year' }]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null);
    expect(yoy.spec.previous).toEqual({ start: Date.UTC(2024, 0, 3), end: Date.UTC(2024, 0, 5) });
    expect(yoy.comparisonLabel).toBe('same period last year');
    const target = explainSetup(file([{ ...kpi, comparison: 'target', target: 10 }]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null);
    expect(target.spec.previous).toEqual({ start: period.previousStart, end: period.start });
    expect(target.note).toMatch(/compares with a target; the change is explained against the previous 2 days/);
  });

  it('keeps the saved filters, click filter and drill path the panel runs with', () => {
    const explore = { ...NO_EXPLORATION, clickFilter: { panelId: 'other', dimension: 'channel', value: "it's" } };
    const s = explainSetup(file([kpi], [{ dataset: 'orders', dimension: 'region', values: ['EMEA'] }] as DashboardFile['filters']), explore, { panelId: 'k', point: null }, loaded, null);
    expect(s.spec.members).toEqual([
      { dimension: 'region', values: ['EMEA'] },
      { dimension: 'channel', values: ["it's"] },
    ]);
  });

  it('a time-chart point compares its bucket with the one before; no point means the latest', () => {
    const s = explainSetup(file([monthly]), NO_EXPLORATION, { panelId: 'monthly', point: Date.UTC(2025, 2, 1) }, loaded, null);
    expect(s.spec.current).toEqual({ start: Date.UTC(2025, 2, 1), end: Date.UTC(2025, 3, 1) });
    expect(s.spec.previous).toEqual({ start: Date.UTC(2025, 1, 1), end: Date.UTC(2025, 2, 1) });
    expect(s.comparisonLabel).toBe('previous month (2025-02)');
    const latest = explainSetup(file([daily]), NO_EXPLORATION, { panelId: 'daily', point: null }, loaded, Date.UTC(2025, 0, 4));
    expect(latest.currentLabel).toBe('2025-01-04');
    expect(() => explainSetup(file([daily]), NO_EXPLORATION, { panelId: 'daily', point: null }, loaded, null)).toThrow(/has no point to explain/);
  });

  it('refuses what it cannot explain, with the reason', () => {
    expect(canExplain(pie)).toBe(false);
    expect(() => explainSetup(file([pie]), NO_EXPLORATION, { panelId: 'pie', point: null }, loaded, null)).toThrow(/not a KPI or a line, area or bar chart over time/);
    expect(() => explainSetup(file([{ ...kpi, measure: 'top' }]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null)).toThrow(/is a max/);
    const untimed = { ...dataset, timeColumn: undefined };
    expect(() => explainSetup({ ...file([kpi]), datasets: [untimed] }, NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null)).toThrow(/has no time column/);
  });
});

const explanation = (dimension: string, concentration: number): DimensionExplanation => ({
  dimension,
  method: 'difference',
  exclusiveDistinct: false,
  total: { current: 80, previous: 100, change: -20 },
  members: [],
  memberCount: 0,
  concentration,
  unexplained: 0,
});

describe('drill path', () => {
  const path: ExplainStep[] = [{ dimension: 'region', value: 'EMEA', contribution: -9 }];

  it('offers the next hierarchy level first, then the most concentrated dimension', () => {
    expect(remainingDimensions(dataset, path)).toEqual(['country', 'channel']);
    expect(nextLevel(dataset, path)).toBe('country');
    expect(orderExplanations([explanation('channel', 50), explanation('country', 1)], dataset, path).map((e) => e.dimension)).toEqual(['country', 'channel']);
    expect(orderExplanations([explanation('country', 1), explanation('channel', 50), explanation('region', 9)], dataset, []).map((e) => e.dimension)).toEqual(['channel', 'region', 'country']);
  });

  it('carries the path to the dashboard as the panel drill path the other panels follow', () => {
    const next = applyPathAsFilter(NO_EXPLORATION, 'k', [...path, { dimension: 'country', value: null, contribution: -1 }]);
    expect(next.drills.k?.steps).toEqual([
      { kind: 'member', dimension: 'region', value: 'EMEA' },
      { kind: 'member', dimension: 'country', value: null },
    ]);
    expect(applyPathAsFilter(NO_EXPLORATION, 'k', [])).toBe(NO_EXPLORATION);
  });

  it('writes the headline with points of the total before any drill', () => {
    const s = explainSetup(file([kpi]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null);
    const text = headline(s, { current: 287_700, previous: 328_900 }, [{ dimension: 'region', value: 'EMEA', contribution: -29_930 }], { dimension: 'country', value: 'Germany', contribution: -23_023 });
    expect(text).toBe('Revenue −12.5% vs previous 2 days (−$41.20K): region=EMEA −9.1 pts, of which country=Germany −7.0 pts');
    expect(signedPoints(0.0001, 100, 'number')).toBe('±0.0 pts');
    expect(signedPoints(5, 0, 'currency')).toBe('+$5.00');
  });
});

describe('contribution chart', () => {
  const s = () => explainSetup(file([kpi]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null);
  const members = [
    { member: '<b>EMEA</b>', other: false, members: 1, current: 10, previous: 40, contribution: -30, status: 'both' as const },
    { member: null, other: true, members: 3, current: null, previous: null, contribution: 10, status: 'both' as const },
  ];

  it('draws a waterfall from before to now when contributions add up, with escaped tooltips', () => {
    const chart = contributionChart({ ...explanation('region', 30), members }, s(), 100);
    expect(chart.waterfall).toBe(true);
    const option = chart.option as { xAxis: { min: number }; yAxis: { data: string[] }; series: { data: unknown[] }[]; tooltip: { formatter: (p: unknown) => string } };
    expect(option.yAxis.data).toEqual(['Before', '<b>EMEA</b>', 'Other (3 members)', 'Now']);
    // The axis starts below the lowest running total (70) by half the range (30), not at zero.
    expect(option.xAxis.min).toBe(55);
    // Bases: 0, then 100 − 30 = 70 (a drop floats from 70 to 100), 70 (a rise from 70 to 80), 0.
    expect(option.series[0]?.data).toEqual([0, 70, 70, 0]);
    expect(chart.members.map((m) => m?.member ?? null)).toEqual([null, '<b>EMEA</b>', null, null]);
    expect(option.tooltip.formatter([{ dataIndex: 1 }])).toContain('&lt;b&gt;EMEA&lt;/b&gt;: −$30.00 (−30.0 pts)');
  });

  it('draws plain bars when the contributions overlap', () => {
    const chart = contributionChart({ ...explanation('region', 30), method: 'leave_one_out', members }, s(), 100);
    expect(chart.waterfall).toBe(false);
    expect(chart.members).toHaveLength(2);
    // The same tooltip as the waterfall's: the member under the pointer, escaped; nothing off the bars.
    const tooltip = (chart.option as { tooltip: { trigger: string; confine: boolean; formatter: (p: unknown) => string } }).tooltip;
    expect(tooltip).toMatchObject({ trigger: 'axis', confine: true });
    expect(tooltip.formatter([{ dataIndex: 0 }])).toBe('&lt;b&gt;EMEA&lt;/b&gt;: −$30.00 (−30.0 pts) · $10.00 now, $40.00 before');
    expect(tooltip.formatter({ dataIndex: 1 })).toMatch(/^Other \(3 members\): \+\$10\.00 \(\+10\.0 pts\)/);
    expect(tooltip.formatter([{ dataIndex: 5 }])).toBe('');
  });
});

describe('explainAll on a real engine', () => {
  let engine: NativeEngine;
  beforeAll(async () => {
    engine = await openNativeEngine();
    await createTable(engine, datasetTable(dataset), { ts: 'TIMESTAMP', amount: 'DOUBLE', cust: 'VARCHAR', region: 'VARCHAR', country: 'VARCHAR', channel: 'VARCHAR' }, [
      ['2025-01-01 10:00:00', 100, 'a', 'EMEA', 'Germany', 'web'],
      ['2025-01-02 10:00:00', 50, 'b', 'EMEA', 'France', 'web'],
      ['2025-01-02 11:00:00', 50, 'c', 'APAC', 'Japan', 'partner'],
      ['2025-01-03 10:00:00', 30, 'a', 'EMEA', 'Germany', 'web'],
      ['2025-01-04 10:00:00', 55, 'b', 'EMEA', 'France', 'partner'],
      ['2025-01-04 11:00:00', 60, 'c', 'APAC', 'Japan', 'partner'],
    ]);
  });
  afterAll(() => engine.close());

  it('explains by every dimension, the most concentrated first, and re-explains a drilled member by the next level', async () => {
    const s = explainSetup(file([kpi]), NO_EXPLORATION, { panelId: 'k', point: null }, loaded, null);
    const root = await explainAll(engine, s, loaded, []);
    // revenue 200 → 145. Region: EMEA −65, APAC +10. Country: Germany −70. Channel: web −120, partner +65.
    expect(root.map((e) => [e.dimension, e.concentration])).toEqual([
      ['channel', 120],
      ['country', 70],
      ['region', 65],
    ]);
    const drilled = await explainAll(engine, s, loaded, [{ dimension: 'region', value: 'EMEA', contribution: -65 }]);
    expect(drilled.map((e) => e.dimension)).toEqual(['country', 'channel']);
    expect(drilled[0]?.members.map((m) => [m.member, m.contribution])).toEqual([
      ['Germany', -70],
      ['France', 5],
    ]);
    expect(drilled[0]?.total).toEqual({ current: 85, previous: 150, change: -65 });
  });
});
