import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ChartPanel, Dataset, KpiPanel, TablePanel } from '../dashboards/schema';
import { chartQuery, kpiQuery, measureExpr, memberCountsQuery, resolvePeriod, tableQuery, type DatasetContext } from './panel-queries';
import { SqlBuildError } from './sql';

// A table whose names are hostile on purpose: a quote, a space and a keyword.
const dataset: Dataset = {
  name: 'sales',
  kind: 'table',
  source: 'src',
  timeColumn: 'order ts',
  measures: [
    { name: 'revenue', agg: 'sum', column: 'the "amount"', format: 'currency' },
    { name: 'orders', agg: 'count_distinct', column: 'select', format: 'integer' },
    { name: 'aov', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
    { name: 'rows', agg: 'count', format: 'integer' },
  ],
  dimensions: [{ name: 'region', column: 'region name' }],
  hierarchies: [],
};

const DAY = 86_400_000;
let conn: DuckDBConnection;
let ctx: DatasetContext;

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`CREATE TABLE "t ""x""" ("order ts" TIMESTAMP, "select" BIGINT, "the ""amount""" DOUBLE, "region name" VARCHAR)`);
  // Days 1..4 of Jan 2025; the newest is Jan 4 → with lastDays=2: current = Jan 3–4, previous = Jan 1–2.
  await conn.run(`INSERT INTO "t ""x""" VALUES
    ('2025-01-01 10:00', 1, 10, 'EMEA'), ('2025-01-02 11:00', 2, 20, 'EMEA'),
    ('2025-01-03 09:00', 3, 30, 'O''Brien''s "land"'), ('2025-01-03 12:00', 3, 5, 'EMEA'),
    ('2025-01-04 23:59:59', 4, 40, 'APAC'), ('2024-12-31 23:00', 9, 1000, 'EMEA')`);
  const newest = Date.UTC(2025, 0, 4, 23, 59, 59);
  ctx = {
    dataset,
    table: 't "x"',
    columns: new Set(['order ts', 'select', 'the "amount"', 'region name']),
    period: resolvePeriod({ lastDays: 2, anchor: 'data' }, newest, 0),
  };
});

async function rows(sql: { text: string }) {
  const reader = await conn.runAndReadAll(sql.text);
  return reader.getRowObjects();
}

describe('periods', () => {
  it('ends on the day after the newest row and compares with the same length before', () => {
    const p = resolvePeriod({ lastDays: 30, anchor: 'data' }, Date.UTC(2025, 11, 31, 18, 0), 0);
    expect(p).toEqual({ start: Date.UTC(2025, 11, 2), end: Date.UTC(2026, 0, 1), previousStart: Date.UTC(2025, 10, 2), days: 30 });
    expect(resolvePeriod({ lastDays: 7, anchor: 'now' }, null, Date.UTC(2026, 10, 26, 12))?.end).toBe(Date.UTC(2026, 10, 27));
    expect(resolvePeriod({ lastDays: 7, anchor: 'data' }, null, 0)).toBeNull();
    expect((ctx.period?.end ?? 0) - (ctx.period?.start ?? 0)).toBe(2 * DAY);
  });
});

describe('measures', () => {
  it('expands ratios and guards against division by zero', () => {
    expect(measureExpr(ctx, 'aov').text).toBe('(CAST(sum("the ""amount""") AS DOUBLE)) / NULLIF(CAST(count(DISTINCT "select") AS DOUBLE), 0)');
    expect(measureExpr(ctx, 'rows').text).toBe('CAST(count(*) AS DOUBLE)');
    expect(() => measureExpr(ctx, 'nope')).toThrow('dataset "sales" has no measure "nope"');
  });

  it('refuses a measure on a column the data does not have', () => {
    const broken = { ...ctx, columns: new Set(['order ts']) };
    expect(() => measureExpr(broken, 'revenue')).toThrow(SqlBuildError);
  });

  it('refuses self-referencing ratios instead of looping', () => {
    const loop: DatasetContext = { ...ctx, dataset: { ...dataset, measures: [{ name: 'a', agg: 'ratio', numerator: 'a', denominator: 'a', format: 'number' }] } };
    expect(() => measureExpr(loop, 'a')).toThrow('refers to itself');
  });
});

describe('panel SQL runs on DuckDB and gives the right numbers', () => {
  it('kpi: current and previous period from one scan', async () => {
    const panel: KpiPanel = { id: 'k', kind: 'kpi', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up' };
    const out = Object.fromEntries((await rows(kpiQuery(panel, ctx))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 75, previous: 30 });
    const aov: KpiPanel = { ...panel, measure: 'aov' };
    const out2 = Object.fromEntries((await rows(kpiQuery(aov, ctx))).map((r) => [r.period, r.value]));
    expect(out2).toEqual({ current: 37.5, previous: 15 });
  });

  it('kpi without comparison returns only the current period', async () => {
    const panel: KpiPanel = { id: 'k', kind: 'kpi', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'orders', comparison: 'none', goodDirection: 'up' };
    expect(await rows(kpiQuery(panel, ctx))).toEqual([{ period: 'current', value: 2 }]);
  });

  it('time chart buckets by day in epoch ms', async () => {
    const panel: ChartPanel = { id: 'c', kind: 'chart', followFilters: true, chart: 'line', title: 'Daily', dataset: 'sales', x: { type: 'time', grain: 'day' }, measures: ['revenue'], sort: 'label', limit: 100 };
    expect(await rows(chartQuery(panel, ctx))).toEqual([
      { x: Date.UTC(2025, 0, 3), revenue: 35 },
      { x: Date.UTC(2025, 0, 4), revenue: 40 },
    ]);
  });

  it('dimension chart sorts by value with hostile member names intact', async () => {
    const panel: ChartPanel = { id: 'c', kind: 'chart', followFilters: true, chart: 'bar', title: 'By region', dataset: 'sales', x: { type: 'dimension', dimension: 'region' }, measures: ['revenue', 'orders'], sort: 'value_desc', limit: 2 };
    expect(await rows(chartQuery(panel, ctx))).toEqual([
      { x: 'APAC', revenue: 40, orders: 1 },
      { x: 'O\'Brien\'s "land"', revenue: 30, orders: 1 },
    ]);
  });

  it('table returns the chosen columns, ordered and limited', async () => {
    const panel: TablePanel = { id: 't', kind: 'table', followFilters: true, title: 'Rows', dataset: 'sales', columns: ['select', 'the "amount"'], orderBy: { column: 'the "amount"', direction: 'asc' }, limit: 2 };
    const sql = tableQuery(panel, ctx);
    expect(sql.text).toContain('"the ""amount"""');
    const out = await rows(sql);
    expect(out.map((r) => Number(r.select))).toEqual([3, 3]);
    expect(out.map((r) => r['the "amount"'])).toEqual([5, 30]);
  });

  it('names a missing column in the error', () => {
    const panel: TablePanel = { id: 't', kind: 'table', followFilters: true, title: 'Rows', dataset: 'sales', columns: ['gone'], limit: 2 };
    expect(() => tableQuery(panel, ctx)).toThrow('panel "t": the data has no column "gone"');
  });
});

describe('time ranges', () => {
  const newest = Date.UTC(2025, 11, 10, 15, 0); // Wed 2025-12-10
  it('month, quarter and year to date end on the newest day and compare with the same length before', () => {
    expect(resolvePeriod({ toDate: 'month', anchor: 'data' }, newest, 0)).toEqual({ start: Date.UTC(2025, 11, 1), end: Date.UTC(2025, 11, 11), previousStart: Date.UTC(2025, 10, 21), days: 10 });
    expect(resolvePeriod({ toDate: 'quarter', anchor: 'data' }, newest, 0)?.start).toBe(Date.UTC(2025, 9, 1));
    expect(resolvePeriod({ toDate: 'year', anchor: 'data' }, newest, 0)?.start).toBe(Date.UTC(2025, 0, 1));
  });

  it('a custom range includes both days', () => {
    expect(resolvePeriod({ from: '2025-01-01', to: '2025-01-31' }, null, 0)).toEqual({ start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 1, 1), previousStart: Date.UTC(2024, 11, 1), days: 31 });
    expect(resolvePeriod({ from: '2025-02-01', to: '2025-01-01' }, null, 0)).toBeNull();
  });
});

describe('refinements: filters, drill level, time window', () => {
  it('filters members (hostile values and NULL) and draws the next drill level', async () => {
    const panel: ChartPanel = { id: 'c', kind: 'chart', followFilters: true, chart: 'bar', title: 'By region', dataset: 'sales', x: { type: 'dimension', dimension: 'region' }, measures: ['revenue'], sort: 'value_desc', limit: 10 };
    const sql = chartQuery(panel, ctx, { members: [{ dimension: 'region', values: ['O\'Brien\'s "land"', null] }] });
    expect(sql.text).toContain(`CAST("region name" AS VARCHAR) IN ('O''Brien''s "land"') OR "region name" IS NULL`);
    expect(await rows(sql)).toEqual([{ x: 'O\'Brien\'s "land"', revenue: 30 }]);
    const kpi: KpiPanel = { id: 'k', kind: 'kpi', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up' };
    const out = Object.fromEntries((await rows(kpiQuery(kpi, ctx, { members: [{ dimension: 'region', values: ['EMEA'] }] }))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 5, previous: 30 });
  });

  it('a time window replaces the period, with the same length before it for comparison', async () => {
    const kpi: KpiPanel = { id: 'k', kind: 'kpi', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up' };
    const window = { start: Date.UTC(2025, 0, 2), end: Date.UTC(2025, 0, 3) };
    const out = Object.fromEntries((await rows(kpiQuery(kpi, ctx, { window }))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 20, previous: 10 });
    const chart: ChartPanel = { id: 'c', kind: 'chart', followFilters: true, chart: 'line', title: 'Daily', dataset: 'sales', x: { type: 'time', grain: 'month' }, measures: ['revenue'], sort: 'label', limit: 100 };
    expect(await rows(chartQuery(chart, ctx, { grain: 'day', window: { start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 0, 3) } }))).toEqual([
      { x: Date.UTC(2025, 0, 1), revenue: 10 },
      { x: Date.UTC(2025, 0, 2), revenue: 20 },
    ]);
  });

  it('refuses a filter on a dimension the dataset does not have', () => {
    const panel: TablePanel = { id: 't', kind: 'table', followFilters: true, title: 'Rows', dataset: 'sales', columns: ['select'], limit: 2 };
    expect(() => tableQuery(panel, ctx, { members: [{ dimension: 'nope', values: ['x'] }] })).toThrow('has no dimension "nope"');
  });
});

describe('member counts for filter pickers', () => {
  it('counts members in the period, most frequent first', async () => {
    expect(await rows(memberCountsQuery(ctx, 'region'))).toEqual([
      { member: 'APAC', rows: 1 },
      { member: 'EMEA', rows: 1 },
      { member: 'O\'Brien\'s "land"', rows: 1 },
    ]);
  });
});
