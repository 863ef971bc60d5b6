import { describe, expect, it } from 'vitest';
import { ChartPanel, Dataset, type DashboardFile } from '../../dashboards/schema';
import type { QueryResult } from '../../queries/engine/engine';
import { NO_EXPLORATION, bucketEnd, chartActions, currentGrain, finerGrain, refinementFor, type Exploration } from './explore';

const dataset = Dataset.parse({
  name: 'orders',
  kind: 'table',
  source: 'orders',
  timeColumn: 'order_ts',
  measures: [{ name: 'revenue', agg: 'sum', column: 'amount', format: 'currency' }],
  dimensions: [{ name: 'region', column: 'region' }, { name: 'country', column: 'country' }],
  hierarchies: [{ name: 'geo', levels: ['region', 'country'] }],
});
const yearly = ChartPanel.parse({ id: 'yearly', title: 'Yearly', kind: 'chart', dataset: 'orders', chart: 'line', x: { type: 'time', grain: 'year' }, measures: ['revenue'] });
const quarterly = ChartPanel.parse({ ...yearly, id: 'quarterly', x: { type: 'time', grain: 'quarter' } });
const heat = ChartPanel.parse({ ...yearly, id: 'heat', chart: 'heatmap', x: { type: 'dimension', dimension: 'region' }, y: { type: 'time', grain: 'month' } });

// refinementFor reads only the datasets and saved filters of the dashboard.
const dashboard = { datasets: [dataset], filters: [] } as unknown as DashboardFile;
const result = (rows: QueryResult['rows']): QueryResult => ({ columns: [], rows });
/** Choose a drill menu entry by its label, as a click would. */
function choose(panel: ChartPanel, x: number | string, label: string, state: Exploration, extra: Record<string, number | string> = {}): Exploration {
  const found = chartActions(panel, dataset, result([{ x, revenue: 1, ...extra }]), 0, state);
  const action = found?.actions.find((a) => a.label === label);
  if (!action) throw new Error(`no "${label}" in ${JSON.stringify(found?.actions.map((a) => a.label))}`);
  return action.run(state);
}

describe('year and quarter grains', () => {
  it('drill year → month → day and quarter → month → day; week → day', () => {
    expect(finerGrain('year')).toBe('month');
    expect(finerGrain('quarter')).toBe('month');
    expect(finerGrain('month')).toBe('day');
    expect(finerGrain('week')).toBe('day');
    expect(finerGrain('day')).toBeNull();
  });

  it('ends buckets on calendar boundaries, across year ends and leap years', () => {
    expect(bucketEnd(Date.UTC(2024, 0, 1), 'year')).toBe(Date.UTC(2025, 0, 1));
    expect(bucketEnd(Date.UTC(2025, 9, 1), 'quarter')).toBe(Date.UTC(2026, 0, 1));
    expect(bucketEnd(Date.UTC(2024, 0, 1), 'quarter')).toBe(Date.UTC(2024, 3, 1));
    expect(bucketEnd(Date.UTC(2024, 1, 1), 'month')).toBe(Date.UTC(2024, 2, 1));
    expect(bucketEnd(Date.UTC(2024, 1, 29), 'day')).toBe(Date.UTC(2024, 2, 1));
    expect(bucketEnd(Date.UTC(2024, 11, 30), 'week')).toBe(Date.UTC(2025, 0, 6));
  });

  it('the grain drawn follows the drill steps: year, then months, then days', () => {
    let state = NO_EXPLORATION;
    expect(currentGrain(yearly, state)).toBe('year');
    state = choose(yearly, Date.UTC(2025, 0, 1), 'Zoom into 2025 by month', state);
    expect(currentGrain(yearly, state)).toBe('month');
    expect(refinementFor(yearly, dashboard, state)).toMatchObject({ grain: 'month', window: { start: Date.UTC(2025, 0, 1), end: Date.UTC(2026, 0, 1) } });
    state = choose(yearly, Date.UTC(2025, 11, 1), 'Zoom into 2025-12 by day', state);
    expect(currentGrain(yearly, state)).toBe('day');
    expect(state.drills.yearly?.steps.map((s) => (s.kind === 'time' ? s.label : ''))).toEqual(['2025', '2025-12']);
    const rows = chartActions(yearly, dataset, result([{ x: Date.UTC(2025, 11, 10), revenue: 1 }]), 0, state);
    expect(rows?.actions.map((a) => a.label)).toEqual(['Show rows for 2025-12-10']);
  });

  it('quarters drill to months, and the grain picker starts the path', () => {
    const state = choose(quarterly, Date.UTC(2025, 9, 1), 'Zoom into 2025-Q4 by month', NO_EXPLORATION);
    expect(state.drills.quarterly?.steps[0]).toMatchObject({ start: Date.UTC(2025, 9, 1), end: Date.UTC(2026, 0, 1) });
    expect(currentGrain(quarterly, state)).toBe('month');
    expect(currentGrain(quarterly, { ...NO_EXPLORATION, grain: 'year' })).toBe('year');
    const picked: Exploration = { ...NO_EXPLORATION, grain: 'year' };
    expect(currentGrain(quarterly, choose(quarterly, Date.UTC(2025, 0, 1), 'Zoom into 2025 by month', picked))).toBe('month');
  });
});

describe('heatmap cells', () => {
  const cell = { y: Date.UTC(2025, 11, 1) };
  it('offer the rows of the cell and a filter on the x member, never a zoom', () => {
    const found = chartActions(heat, dataset, result([{ x: '<b>EMEA</b>', revenue: 1, ...cell }]), 0, NO_EXPLORATION);
    expect(found?.title).toBe('<b>EMEA</b> × 2025-12');
    expect(found?.actions.map((a) => a.label)).toEqual(['Show rows for <b>EMEA</b> × 2025-12', 'Filter other panels to <b>EMEA</b>']);
  });

  it('show rows narrows to both the member and the month', () => {
    const state = choose(heat, 'EMEA', 'Show rows for EMEA × 2025-12', NO_EXPLORATION, cell);
    expect(state.drills.heat?.showRows).toBe(true);
    const refine = refinementFor(heat, dashboard, state);
    expect(refine.members).toEqual([{ dimension: 'region', values: ['EMEA'] }]);
    expect(refine.window).toEqual({ start: Date.UTC(2025, 11, 1), end: Date.UTC(2026, 0, 1) });
    // No hierarchy step: the heatmap stays on its own x.
    expect(refine.xDimension).toBeUndefined();
  });

  it('filters the other panels to the x member', () => {
    const state = choose(heat, 'EMEA', 'Filter other panels to EMEA', NO_EXPLORATION, cell);
    expect(state.clickFilter).toEqual({ panelId: 'heat', dimension: 'region', value: 'EMEA' });
  });
});
