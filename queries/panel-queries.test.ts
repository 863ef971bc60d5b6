import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ChartPanel, DataPanel, Dataset, KpiPanel, TablePanel } from '../dashboards/schema';
import { MAX_SERIES, chartQuery, datasetStatsQuery, earliestRead, heatmapQuery, kpiBatchQuery, kpiQuery, measureExpr, memberCountsQuery, resolvePeriod, shiftYears, tableQuery, tableTopN, type DatasetContext, type PanelRefinement } from './panel-queries';
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
    const panel: KpiPanel = { id: 'k', kind: 'kpi', sparkline: false, format: 'auto', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up' };
    const out = Object.fromEntries((await rows(kpiQuery(panel, ctx))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 75, previous: 30 });
    const aov: KpiPanel = { ...panel, measure: 'aov' };
    const out2 = Object.fromEntries((await rows(kpiQuery(aov, ctx))).map((r) => [r.period, r.value]));
    expect(out2).toEqual({ current: 37.5, previous: 15 });
  });

  it('kpi without comparison returns only the current period', async () => {
    const panel: KpiPanel = { id: 'k', kind: 'kpi', sparkline: false, format: 'auto', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'orders', comparison: 'none', goodDirection: 'up' };
    expect(await rows(kpiQuery(panel, ctx))).toEqual([{ period: 'current', value: 2 }]);
  });

  it('time chart buckets by day in epoch ms', async () => {
    const panel: ChartPanel = { id: 'c', kind: 'chart', otherBucket: false, axisFormat: 'auto', followFilters: true, chart: 'line', title: 'Daily', dataset: 'sales', x: { type: 'time', grain: 'day' }, measures: ['revenue'], sort: 'label', limit: 100 };
    expect(await rows(chartQuery(panel, ctx))).toEqual([
      { x: Date.UTC(2025, 0, 3), revenue: 35 },
      { x: Date.UTC(2025, 0, 4), revenue: 40 },
    ]);
  });

  it('dimension chart sorts by value with hostile member names intact', async () => {
    const panel: ChartPanel = { id: 'c', kind: 'chart', otherBucket: false, axisFormat: 'auto', followFilters: true, chart: 'bar', title: 'By region', dataset: 'sales', x: { type: 'dimension', dimension: 'region' }, measures: ['revenue', 'orders'], sort: 'value_desc', limit: 2 };
    expect(await rows(chartQuery(panel, ctx))).toEqual([
      { x: 'APAC', revenue: 40, orders: 1 },
      { x: 'O\'Brien\'s "land"', revenue: 30, orders: 1 },
    ]);
  });

  it('table returns the chosen columns, ordered and limited', async () => {
    const panel: TablePanel = { id: 't', kind: 'table', pageSize: 25, rules: [], followFilters: true, title: 'Rows', dataset: 'sales', columns: ['select', 'the "amount"'], orderBy: { column: 'the "amount"', direction: 'asc' }, limit: 2 };
    const sql = tableQuery(panel, ctx);
    expect(sql.text).toContain('"the ""amount"""');
    const out = await rows(sql);
    expect(out.map((r) => Number(r.select))).toEqual([3, 3]);
    expect(out.map((r) => r['the "amount"'])).toEqual([5, 30]);
  });

  it('names a missing column in the error', () => {
    const panel: TablePanel = { id: 't', kind: 'table', pageSize: 25, rules: [], followFilters: true, title: 'Rows', dataset: 'sales', columns: ['gone'], limit: 2 };
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
    const panel: ChartPanel = { id: 'c', kind: 'chart', otherBucket: false, axisFormat: 'auto', followFilters: true, chart: 'bar', title: 'By region', dataset: 'sales', x: { type: 'dimension', dimension: 'region' }, measures: ['revenue'], sort: 'value_desc', limit: 10 };
    const sql = chartQuery(panel, ctx, { members: [{ dimension: 'region', values: ['O\'Brien\'s "land"', null] }] });
    expect(sql.text).toContain(`CAST("region name" AS VARCHAR) IN ('O''Brien''s "land"') OR "region name" IS NULL`);
    expect(await rows(sql)).toEqual([{ x: 'O\'Brien\'s "land"', revenue: 30 }]);
    const kpi: KpiPanel = { id: 'k', kind: 'kpi', sparkline: false, format: 'auto', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up' };
    const out = Object.fromEntries((await rows(kpiQuery(kpi, ctx, { members: [{ dimension: 'region', values: ['EMEA'] }] }))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 5, previous: 30 });
  });

  it('a time window replaces the period, with the same length before it for comparison', async () => {
    const kpi: KpiPanel = { id: 'k', kind: 'kpi', sparkline: false, format: 'auto', title: 'Rev', followFilters: true, dataset: 'sales', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up' };
    const window = { start: Date.UTC(2025, 0, 2), end: Date.UTC(2025, 0, 3) };
    const out = Object.fromEntries((await rows(kpiQuery(kpi, ctx, { window }))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 20, previous: 10 });
    const chart: ChartPanel = { id: 'c', kind: 'chart', otherBucket: false, axisFormat: 'auto', followFilters: true, chart: 'line', title: 'Daily', dataset: 'sales', x: { type: 'time', grain: 'month' }, measures: ['revenue'], sort: 'label', limit: 100 };
    expect(await rows(chartQuery(chart, ctx, { grain: 'day', window: { start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 0, 3) } }))).toEqual([
      { x: Date.UTC(2025, 0, 1), revenue: 10 },
      { x: Date.UTC(2025, 0, 2), revenue: 20 },
    ]);
  });

  it('refuses a filter on a dimension the dataset does not have', () => {
    const panel: TablePanel = { id: 't', kind: 'table', pageSize: 25, rules: [], followFilters: true, title: 'Rows', dataset: 'sales', columns: ['select'], limit: 2 };
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

// ---- Comparisons, sparklines, series and "Other" ------------------------------------------------

// Names that collide with the query's own CTE columns ("k", "r", "v") and aliases ("g"), on purpose.
const facts: Dataset = {
  name: 'facts',
  kind: 'table',
  source: 'src',
  timeColumn: 'day',
  measures: [
    { name: 'revenue', agg: 'sum', column: 'amount "$"', format: 'currency' },
    { name: 'orders', agg: 'count_distinct', column: 'g', format: 'integer' },
    { name: 'aov', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
    { name: 'rows', agg: 'count', format: 'integer' },
  ],
  dimensions: [
    { name: 'region', column: 'r' },
    { name: 'product', column: 'k' },
  ],
  hierarchies: [],
};
const FACTS = 'facts "y"';
const HOSTILE = `O'Brien "<b>&amp;</b>"; DROP TABLE x; --`;
let factsCtx: DatasetContext;

const kpiPanel = (over: Partial<KpiPanel>): KpiPanel => ({
  id: 'k', kind: 'kpi', title: 'K', followFilters: true, dataset: 'facts', measure: 'revenue',
  comparison: 'previous_period', goodDirection: 'up', sparkline: false, format: 'auto', ...over,
});
const chartPanel = (over: Partial<ChartPanel>): ChartPanel => ({
  id: 'c', kind: 'chart', title: 'C', followFilters: true, dataset: 'facts', chart: 'bar',
  x: { type: 'dimension', dimension: 'region' }, measures: ['revenue'], sort: 'value_desc', limit: 2,
  otherBucket: false, axisFormat: 'auto', ...over,
});

describe('comparisons, sparklines, series and Other', () => {
  beforeAll(async () => {
    await conn.run(`CREATE TABLE "facts ""y""" ("day" TIMESTAMP, "r" VARCHAR, "k" VARCHAR, "amount ""$""" DOUBLE, "g" INTEGER)`);
    // Revenue by region: A 180, B 90, C 60, hostile 40, NULL 40, D 5, 'Other' 1.
    // By product: p1 250, p2 150, p3 16.
    await conn.run(`INSERT INTO "facts ""y""" VALUES
      ('2025-03-01 10:00', 'A', 'p1', 100, 1), ('2025-03-01 11:00', 'A', 'p2', 50, 2), ('2025-03-01 12:00', 'A', 'p1', 30, 2),
      ('2025-03-01 13:00', 'B', 'p1', 80, 3), ('2025-03-01 14:00', 'B', 'p3', 10, 4),
      ('2025-03-02 10:00', 'C', 'p2', 60, 5), ('2025-03-02 11:00', 'D', 'p3', 5, 6), ('2025-03-02 12:00', NULL, 'p1', 40, 7),
      ('2025-03-02 13:00', ${"'" + HOSTILE.replaceAll("'", "''") + "'"}, 'p2', 20, 8), ('2025-03-02 14:00', ${"'" + HOSTILE.replaceAll("'", "''") + "'"}, 'p2', 20, 9),
      ('2025-03-02 15:00', 'Other', 'p3', 1, 10),
      ('2024-02-28 09:00', 'A', 'p1', 50000, 11), ('2024-02-29 12:00', 'A', 'p1', 300, 12), ('2024-03-01 09:00', 'A', 'p1', 4000, 13),
      ('2024-03-03 09:00', 'A', 'p1', 700000, 14)`);
    factsCtx = {
      dataset: facts,
      table: FACTS,
      columns: new Set(['day', 'r', 'k', 'amount "$"', 'g']),
      period: resolvePeriod({ from: '2025-02-28', to: '2025-03-02' }, null, 0),
    };
  });

  it('shifts dates by calendar years, Feb 29 to Feb 28', () => {
    expect(shiftYears(Date.UTC(2024, 1, 29, 12), -1)).toBe(Date.UTC(2023, 1, 28, 12));
    expect(shiftYears(Date.UTC(2025, 2, 1), -1)).toBe(Date.UTC(2024, 2, 1));
    expect(shiftYears(Date.UTC(2025, 0, 1), -1)).toBe(Date.UTC(2024, 0, 1));
  });

  it('kpi previous_year compares with the same dates a year earlier', async () => {
    // Current: 2025-02-28 .. 2025-03-02; a year earlier: [2024-02-28, 2024-03-03), leap day included.
    const sql = kpiQuery(kpiPanel({ comparison: 'previous_year' }), factsCtx);
    expect(sql.text).toContain(`TIMESTAMP '2024-02-28 00:00:00.000'`);
    expect(sql.text).toContain(`TIMESTAMP '2024-03-03 00:00:00.000'`);
    expect(await rows(sql)).toEqual([
      { period: 'current', value: 416 },
      { period: 'previous', value: 54300 },
    ]);
    // A period longer than a year overlaps its previous year: the rows of 2024-02-29 and 03-01 count in both.
    const long = { ...factsCtx, period: resolvePeriod({ from: '2024-02-29', to: '2025-03-02' }, null, 0) };
    const out = Object.fromEntries((await rows(kpiQuery(kpiPanel({ comparison: 'previous_year' }), long))).map((r) => [r.period, r.value]));
    expect(out).toEqual({ current: 416 + 300 + 4000 + 700000, previous: 50000 + 300 + 4000 });
  });

  it('kpi with a target or no earlier rows: only the current period, or an empty previous one', async () => {
    expect(await rows(kpiQuery(kpiPanel({ comparison: 'target', target: 500 }), factsCtx))).toEqual([{ period: 'current', value: 416 }]);
    const early = { ...factsCtx, period: resolvePeriod({ from: '2024-03-03', to: '2024-03-03' }, null, 0) };
    expect(await rows(kpiQuery(kpiPanel({ measure: 'rows' }), early))).toEqual([
      { period: 'current', value: 1 },
      { period: 'previous', value: 0 },
    ]);
    expect(await rows(kpiQuery(kpiPanel({}), early))).toEqual([
      { period: 'current', value: 700000 },
      { period: 'previous', value: null },
    ]);
  });

  it('kpi sparkline: one "spark" row per day of the current period, in the same query', async () => {
    const sql = kpiQuery(kpiPanel({ sparkline: true, measure: 'aov' }), factsCtx);
    expect(sql.text.match(/SELECT/g)?.length).toBe(3);
    expect(await rows(sql)).toEqual([
      { period: 'current', x: null, value: 416 / 10 },
      { period: 'previous', x: null, value: null },
      { period: 'spark', x: Date.UTC(2025, 2, 1), value: 270 / 4 },
      { period: 'spark', x: Date.UTC(2025, 2, 2), value: 146 / 6 },
    ]);
    const target = await rows(kpiQuery(kpiPanel({ sparkline: true, comparison: 'target', target: 1 }), factsCtx));
    expect(target.map((r) => r.period)).toEqual(['current', 'spark', 'spark']);
  });

  it('dimension chart with Other: top N by the first measure, the rest re-aggregated exactly', async () => {
    const sql = chartQuery(chartPanel({ measures: ['revenue', 'orders', 'aov'], otherBucket: true }), factsCtx);
    expect(await rows(sql)).toEqual([
      { x: 'A', revenue: 180, orders: 2, aov: 90, x_other: false },
      { x: 'B', revenue: 90, orders: 2, aov: 45, x_other: false },
      // Not 60 + 5 + 40 + 20 + 1 summed AOVs: the ratio of the remaining rows' revenue and orders.
      { x: 'Other', revenue: 146, orders: 6, aov: 146 / 6, x_other: true },
    ]);
  });

  it('a member named "Other" stays apart from the Other bucket; NULL and hostile members stay intact', async () => {
    const asc = await rows(chartQuery(chartPanel({ sort: 'value_asc', otherBucket: true }), factsCtx));
    expect(asc).toEqual([
      { x: 'Other', revenue: 1, x_other: false },
      { x: 'D', revenue: 5, x_other: false },
      { x: 'Other', revenue: 410, x_other: true },
    ]);
    const top5 = await rows(chartQuery(chartPanel({ limit: 5, series: 'product' }), factsCtx));
    expect(top5.map((r) => [r.x, r.series, r.revenue])).toEqual([
      ['A', 'p1', 130], ['A', 'p2', 50],
      ['B', 'p1', 80], ['B', 'p3', 10],
      ['C', 'p2', 60],
      [HOSTILE, 'p2', 40],
      [null, 'p1', 40],
    ]);
  });

  it('series split: top N series by total, Other for the rest, per x member and for x Other', async () => {
    const out = await rows(chartQuery(chartPanel({ series: 'product', otherBucket: true }), factsCtx));
    expect(out).toEqual([
      { x: 'A', series: 'p1', series_rank: 1, revenue: 130, x_other: false, series_other: false },
      { x: 'A', series: 'p2', series_rank: 2, revenue: 50, x_other: false, series_other: false },
      { x: 'B', series: 'p1', series_rank: 1, revenue: 80, x_other: false, series_other: false },
      { x: 'B', series: 'Other', series_rank: 3, revenue: 10, x_other: false, series_other: true },
      { x: 'Other', series: 'p1', series_rank: 1, revenue: 40, x_other: true, series_other: false },
      { x: 'Other', series: 'p2', series_rank: 2, revenue: 100, x_other: true, series_other: false },
      { x: 'Other', series: 'Other', series_rank: 3, revenue: 6, x_other: true, series_other: true },
    ]);
    // Every row is in exactly one bucket: the total is the dataset's.
    expect(out.reduce((s, r) => s + Number(r.revenue), 0)).toBe(416);
  });

  it('time chart split into series: buckets are never cut, series are', async () => {
    const panel = chartPanel({ chart: 'line', x: { type: 'time', grain: 'day' }, series: 'product', limit: 1, otherBucket: true, measures: ['revenue', 'aov'] });
    expect(await rows(chartQuery(panel, factsCtx))).toEqual([
      { x: Date.UTC(2025, 2, 1), series: 'p1', series_rank: 1, revenue: 210, aov: 70, series_other: false },
      { x: Date.UTC(2025, 2, 1), series: 'Other', series_rank: 2, revenue: 60, aov: 30, series_other: true },
      { x: Date.UTC(2025, 2, 2), series: 'p1', series_rank: 1, revenue: 40, aov: 40, series_other: false },
      { x: Date.UTC(2025, 2, 2), series: 'Other', series_rank: 2, revenue: 106, aov: 106 / 5, series_other: true },
    ]);
    // Without Other, the series beyond the top N are left out.
    const top = await rows(chartQuery({ ...panel, otherBucket: false }, factsCtx));
    expect(top.map((r) => [r.series, r.revenue])).toEqual([['p1', 210], ['p1', 40]]);
  });

  it('pies ignore the series split; series are capped at MAX_SERIES', () => {
    expect(chartQuery(chartPanel({ chart: 'pie', series: 'product' }), factsCtx).text).not.toContain('"series"');
    expect(chartQuery(chartPanel({ series: 'product', limit: 500 }), factsCtx).text).toContain(`"r" <= ${MAX_SERIES})`);
  });

  it('refuses measures named like the chart columns', () => {
    const ds: Dataset = { ...facts, measures: [...facts.measures, { name: 'x', agg: 'count', format: 'integer' }] };
    expect(() => chartQuery(chartPanel({ measures: ['x'] }), { ...factsCtx, dataset: ds })).toThrow('a chart cannot show a measure named "x"');
  });

  it('10,000 members: the query ships only the top N and an exact Other', async () => {
    await conn.run(`CREATE TABLE "many" AS SELECT TIMESTAMP '2025-03-01' + to_seconds(i % 86400) AS "day", 'member ' || (i % 10000) AS "r",
      'p' || (i % 7) AS "k", CAST((i * 7919) % 1000 AS DOUBLE) - 100 AS "amount ""$""", CAST(i % 4321 AS INTEGER) AS "g" FROM range(50000) t(i)`);
    const ctxMany: DatasetContext = { ...factsCtx, table: 'many' };
    const out = await rows(chartQuery(chartPanel({ limit: 20, otherBucket: true, measures: ['revenue', 'orders', 'aov'] }), ctxMany));
    expect(out).toHaveLength(21);
    const native = (await rows({ text: `WITH m AS (SELECT "r", sum("amount ""$""") AS v FROM "many" GROUP BY 1 ORDER BY v DESC, "r" LIMIT 20)
      SELECT sum("amount ""$""") AS revenue, count(DISTINCT "g") AS orders FROM "many" WHERE "r" NOT IN (SELECT "r" FROM m)` }))[0];
    const other = out[20];
    expect(other?.x_other).toBe(true);
    expect(other?.revenue).toBe(native?.revenue);
    expect(other?.orders).toBe(Number(native?.orders));
    expect(other?.aov).toBeCloseTo(Number(native?.revenue) / Number(native?.orders), 9);
    const total = (await rows({ text: `SELECT sum("amount ""$""") AS t FROM "many"` }))[0]?.t;
    expect(out.reduce((s, r) => s + Number(r.revenue), 0)).toBe(total);
  });
});

describe('heatmap: x by y, the first measure, top N of each dimension axis', () => {
  let heatCtx: DatasetContext;
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  beforeAll(async () => {
    await conn.run(`CREATE TABLE "heat ""map""" ("day" TIMESTAMP, "r" VARCHAR, "k" VARCHAR, "amount ""$""" DOUBLE, "g" INTEGER)`);
    // Revenue by region: C 100, A 31, hostile 7, B 5, NULL 3. By product: p3 103, p2 27, p1 16.
    await conn.run(`INSERT INTO "heat ""map""" VALUES
      ('2025-01-05 10:00', 'A', 'p1', 10, 1), ('2025-01-06 10:00', 'A', 'p2', 20, 2), ('2025-02-10 10:00', 'B', 'p1', 5, 3),
      ('2025-02-11 10:00', ${q(HOSTILE)}, 'p2', 7, 4), ('2025-03-01 10:00', 'A', 'p1', 1, 5), ('2025-03-02 10:00', NULL, 'p3', 3, 6),
      ('2025-03-03 10:00', 'C', 'p3', 100, 7), ('2024-12-31 10:00', 'C', 'p3', 9999, 8)`);
    heatCtx = { dataset: facts, table: 'heat "map"', columns: new Set(['day', 'r', 'k', 'amount "$"', 'g']), period: resolvePeriod({ from: '2025-01-01', to: '2025-03-31' }, null, 0) };
  });
  const heatmap = (over: Partial<ChartPanel>) => chartPanel({ chart: 'heatmap', y: { type: 'dimension', dimension: 'product' }, ...over });

  it('two dimensions: only cells of the top N of each, ranked by total', async () => {
    const out = await rows(chartQuery(heatmap({ limit: 2 }), heatCtx));
    expect(out).toEqual([
      { x: 'C', y: 'p3', revenue: 100, x_rank: 1, y_rank: 1 },
      { x: 'A', y: 'p2', revenue: 20, x_rank: 2, y_rank: 2 },
    ]);
  });

  it('time x: buckets ascending and never cut, members by total with hostile names intact', async () => {
    const out = await rows(chartQuery(heatmap({ x: { type: 'time', grain: 'month' }, y: { type: 'dimension', dimension: 'region' }, limit: 3 }), heatCtx));
    expect(out).toEqual([
      { x: Date.UTC(2025, 0, 1), y: 'A', revenue: 30, x_rank: 1, y_rank: 2 },
      { x: Date.UTC(2025, 1, 1), y: HOSTILE, revenue: 7, x_rank: 2, y_rank: 3 },
      { x: Date.UTC(2025, 2, 1), y: 'C', revenue: 100, x_rank: 3, y_rank: 1 },
      { x: Date.UTC(2025, 2, 1), y: 'A', revenue: 1, x_rank: 3, y_rank: 2 },
    ]);
  });

  it('quarter and year grains, NULL as a member, and a hostile member filter', async () => {
    const quarter = await rows(chartQuery(heatmap({ x: { type: 'time', grain: 'quarter' }, y: { type: 'dimension', dimension: 'region' }, limit: 10 }), heatCtx));
    const q1 = Date.UTC(2025, 0, 1);
    expect(quarter.map((r) => [r.x, r.y, r.revenue])).toEqual([[q1, 'C', 100], [q1, 'A', 31], [q1, HOSTILE, 7], [q1, 'B', 5], [q1, null, 3]]);
    const year = heatmap({ x: { type: 'dimension', dimension: 'region' }, y: { type: 'time', grain: 'year' } });
    const filtered = await rows(chartQuery(year, heatCtx, { members: [{ dimension: 'region', values: [HOSTILE, null] }] }));
    expect(filtered).toEqual([
      { x: HOSTILE, y: q1, revenue: 7, x_rank: 1, y_rank: 1 },
      { x: null, y: q1, revenue: 3, x_rank: 2, y_rank: 1 },
    ]);
  });

  it('refuses a heatmap without y, and a measure named like its columns', () => {
    expect(() => heatmapQuery(chartPanel({ chart: 'heatmap' }), heatCtx)).toThrow('a heatmap needs y');
    const ds: Dataset = { ...facts, measures: [...facts.measures, { name: 'y', agg: 'count', format: 'integer' }] };
    expect(() => chartQuery(heatmap({ measures: ['y'] }), { ...heatCtx, dataset: ds })).toThrow('a heatmap cannot show a measure named "y"');
  });
});

describe('faster queries with the same answers', () => {
  // The shape a result has in the app: the engine's rows with the period and value columns.
  async function result(sql: { text: string }) {
    const reader = await conn.runAndReadAll(sql.text);
    const names = reader.columnNames();
    const types = reader.columnTypes().map(String);
    return { columns: names.map((name, i) => ({ name, type: types[i] ?? '' })), rows: reader.getRowObjects() as Record<string, string | number | boolean | null>[] };
  }

  it('a KPI batch gives every panel the rows of its own kpiQuery, under filters and windows', async () => {
    const panels = [
      kpiPanel({ id: 'rev', measure: 'revenue' }),
      kpiPanel({ id: 'orders', measure: 'orders', comparison: 'previous_year' }),
      kpiPanel({ id: 'aov', measure: 'aov' }),
      kpiPanel({ id: 'rows', measure: 'rows', comparison: 'target', target: 3 }),
      kpiPanel({ id: 'none', measure: 'revenue', comparison: 'none' }),
      kpiPanel({ id: 'rev_py', measure: 'revenue', comparison: 'previous_year' }),
    ];
    const long = { ...factsCtx, period: resolvePeriod({ from: '2024-02-29', to: '2025-03-02' }, null, 0) };
    const untimed = { ...factsCtx, period: null };
    const cases: [DatasetContext, PanelRefinement | undefined][] = [
      [factsCtx, undefined],
      [factsCtx, { members: [{ dimension: 'region', values: ['A', HOSTILE, null] }] }],
      [factsCtx, { window: { start: Date.UTC(2025, 2, 2), end: Date.UTC(2025, 2, 3) } }],
      [long, undefined],
      [untimed, { members: [{ dimension: 'region', values: ['B'] }] }],
    ];
    for (const [ctx, refine] of cases) {
      const batch = kpiBatchQuery(panels, ctx, refine);
      const split = batch.split(await result(batch.sql));
      for (const [i, panel] of panels.entries()) {
        const own = await result(kpiQuery(panel, ctx, refine));
        expect({ panel: panel.id, ...split[i] }).toEqual({ panel: panel.id, ...own });
      }
    }
    // Two KPIs with the same comparison window share its branch: one branch per window.
    expect(kpiBatchQuery(panels, factsCtx).sql.text.match(/UNION ALL/g)?.length).toBe(2);
  });

  it('a KPI batch counts distinct integers by bitmap, exactly as count(DISTINCT) on native DuckDB', async () => {
    // Ids with duplicates, NULLs and negatives; a text id and an all-NULL id get no bitmap.
    await conn.run(`CREATE TABLE "ids ""z""" ("day" TIMESTAMP, "r" VARCHAR, "amount" DOUBLE, "order id" BIGINT, "cust" INTEGER, "code" VARCHAR, "never" BIGINT)`);
    await conn.run(`INSERT INTO "ids ""z"""
      SELECT TIMESTAMP '2025-01-01' + to_days(CAST(i % 40 AS INTEGER)) + to_hours(CAST(i % 24 AS INTEGER)),
        ['A', 'B', 'C', NULL][i % 4 + 1], i % 97,
        CASE WHEN i % 13 = 0 THEN NULL WHEN i % 11 = 0 THEN 40000 - i % 3 ELSE (i * 7919) % 5003 - 2000 END,
        CAST((i * 31) % 700 AS INTEGER), 'c' || (i % 50), NULL
      FROM range(20000) t(i)`);
    const ds: Dataset = {
      name: 'ids', kind: 'table', source: 's', timeColumn: 'day',
      measures: [
        { name: 'orders', agg: 'count_distinct', column: 'order id', format: 'integer' },
        { name: 'customers', agg: 'count_distinct', column: 'cust', format: 'integer' },
        { name: 'codes', agg: 'count_distinct', column: 'code', format: 'integer' },
        { name: 'nevers', agg: 'count_distinct', column: 'never', format: 'integer' },
        { name: 'revenue', agg: 'sum', column: 'amount', format: 'currency' },
        { name: 'aov', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
      ],
      dimensions: [{ name: 'region', column: 'r' }],
      hierarchies: [],
    };
    const base = { dataset: ds, table: 'ids "z"', columns: new Set(['day', 'r', 'amount', 'order id', 'cust', 'code', 'never']) };
    const types = (await rows({ text: `DESCRIBE "ids ""z"""` })).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const stats = datasetStatsQuery(base, types);
    if (!stats) throw new Error('expected a stats query');
    const read = stats.read(await result(stats.sql));
    expect(read.newest).toBe(Date.UTC(2025, 1, 9, 23));
    // Text and all-NULL columns have no bounds: they keep count(DISTINCT).
    expect(Object.fromEntries(read.distinctBounds)).toEqual({ 'order id': { min: -2000, max: 40000 }, cust: { min: 0, max: 699 } });

    const panels = ds.measures.filter((m) => m.agg !== 'sum').map((m) => kpiPanel({ id: m.name, dataset: 'ids', measure: m.name }));
    const periods = [
      resolvePeriod({ lastDays: 7, anchor: 'data' }, read.newest, 0),
      resolvePeriod({ from: '2025-01-10', to: '2025-01-20' }, null, 0),
      // No row in either window: the bitmap is NULL there, where count(DISTINCT) is 0.
      resolvePeriod({ from: '2030-01-01', to: '2030-01-02' }, null, 0),
      null,
    ];
    const refines: (PanelRefinement | undefined)[] = [undefined, { members: [{ dimension: 'region', values: ['A', null] }] }, { members: [{ dimension: 'region', values: ['nobody'] }] }];
    for (const period of periods) {
      for (const refine of refines) {
        const ctx: DatasetContext = { ...base, period, distinctBounds: read.distinctBounds };
        const batch = kpiBatchQuery(panels, ctx, refine);
        expect(batch.sql.text).toContain('bitstring_agg("order id", -2000, 40000)');
        expect(batch.sql.text).toContain('bitstring_agg("cust", 0, 699)');
        expect(batch.sql.text).toContain('count(DISTINCT "code")');
        const split = batch.split(await result(batch.sql));
        for (const [i, panel] of panels.entries()) {
          // The panel's own SQL (what the reader sees and the result cache keys on) counts with count(DISTINCT): the reference.
          const own = kpiQuery(panel, ctx, refine);
          expect(own.text).not.toContain('bitstring_agg');
          expect({ panel: panel.id, ...split[i] }, JSON.stringify({ period, refine })).toEqual({ panel: panel.id, ...(await result(own)) });
        }
      }
    }
  });

  it('dataset stats: bounds only for integer count-distinct columns within the bitmap limit', async () => {
    await conn.run(`CREATE TABLE "wide" ("id" BIGINT, "small" UTINYINT, "huge" HUGEINT)`);
    await conn.run(`INSERT INTO "wide" VALUES (-9007199254740991, 3, 1), (9007199254740991, 9, 170141183460469231731687303715884105727), (0, NULL, 2)`);
    const ds: Dataset = {
      name: 'wide', kind: 'table', source: 's',
      measures: ['id', 'small', 'huge'].map((c) => ({ name: c, agg: 'count_distinct' as const, column: c, format: 'integer' as const })),
      dimensions: [], hierarchies: [],
    };
    const base = { dataset: ds, table: 'wide', columns: new Set(['id', 'small', 'huge']) };
    const stats = datasetStatsQuery(base, [{ name: 'id', type: 'BIGINT' }, { name: 'small', type: 'UTINYINT' }, { name: 'huge', type: 'HUGEINT' }]);
    if (!stats) throw new Error('expected a stats query');
    // "id" spans 2^54 values and "huge" is beyond 2^53: neither fits a bitmap.
    expect(Object.fromEntries(stats.read(await result(stats.sql)).distinctBounds)).toEqual({ small: { min: 3, max: 9 } });
    const plain: Dataset = { ...facts, measures: [{ name: 'revenue', agg: 'sum', column: 'amount "$"', format: 'currency' }] };
    const factsBase = { dataset: plain, table: FACTS, columns: factsCtx.columns };
    expect(datasetStatsQuery(factsBase, [{ name: 'g', type: 'BIGINT' }])?.sql.text).toBe(`SELECT CAST(epoch_ms(max("day")) AS DOUBLE) AS "newest" FROM "facts ""y"""`);
    expect(datasetStatsQuery({ ...factsBase, dataset: { ...plain, timeColumn: undefined } }, [])).toBeNull();
    expect(() => datasetStatsQuery({ ...factsBase, columns: new Set(['g']) }, [])).toThrow(SqlBuildError);
  });

  it('a KPI batch refuses sparklines and an empty list, with the panel named', () => {
    expect(() => kpiBatchQuery([kpiPanel({ id: 'spark', sparkline: true })], factsCtx)).toThrow('panel "spark": a sparkline KPI cannot be batched');
    expect(() => kpiBatchQuery([], factsCtx)).toThrow('a KPI batch needs a panel');
  });

  it('the table top-N finds the rows of tableQuery: ties, NULLs last, fewer rows than the limit, both directions', async () => {
    await conn.run(`CREATE TABLE "tops" ("ts" TIMESTAMP, "id" INTEGER, "name" VARCHAR, "v" DOUBLE)`);
    // Distinct ids and names; v has a tie at 5 and two NULLs; ts has one NULL. Values one microsecond,
    // or one unit in the last place, apart: a cut-off written back inexactly would lose a row.
    await conn.run(`INSERT INTO "tops" VALUES
      ('2025-03-01 10:00', 1, 'a', 5), ('2025-03-01 11:00', 2, 'b', 5), ('2025-03-02 10:00', 3, 'c', 0.30000000000000004),
      ('2025-03-02 13:00', 4, 'd', NULL), (NULL, 5, 'e', 0.3), ('2025-03-02 13:00:00.000001', 6, 'f', 7), ('2025-03-03 09:00', 7, 'g', NULL)`);
    const ds: Dataset = { name: 'tops', kind: 'table', source: 's', timeColumn: 'ts', measures: [], dimensions: [{ name: 'name', column: 'name' }], hierarchies: [] };
    const tctx: DatasetContext = { dataset: ds, table: 'tops', columns: new Set(['ts', 'id', 'name', 'v']), period: null };
    const table = (over: Partial<TablePanel>): TablePanel => ({ id: 't', kind: 'table', pageSize: 25, rules: [], followFilters: true, title: 'T', dataset: 'tops', columns: ['id', 'name', 'v', 'ts'], limit: 3, ...over });
    // Both steps, as the runner runs them; step 2 reads only rows at or beyond the cut-off, unless step 1 cannot narrow.
    const fastRows = async (panel: TablePanel, refine?: PanelRefinement) => {
      const steps = tableTopN(panel, tctx, refine);
      if (!steps) throw new Error('an ordered table has two steps');
      const cutoff = await rows(steps.cutoff);
      const sql = steps.rows({ columns: [], rows: cutoff.map((r) => ({ cutoff: r.cutoff === null ? null : String(r.cutoff), type: String(r.type), n: Number(r.n) })) });
      const narrowed = Number(cutoff[0]?.n) >= panel.limit;
      expect(sql.text === tableQuery(panel, tctx, refine).text, `${panel.orderBy?.column} ${panel.limit}`).toBe(!narrowed);
      return rows(sql);
    };
    for (const column of ['ts', 'v', 'name']) {
      for (const direction of ['asc', 'desc'] as const) {
        for (const limit of [1, 3, 6, 7, 50]) {
          for (const refine of [undefined, { members: [{ dimension: 'name', values: ['a', 'd', 'e', 'g', null] }] }]) {
            const panel = table({ orderBy: { column, direction }, limit });
            const fast = await fastRows(panel, refine);
            const plain = await rows(tableQuery(panel, tctx, refine));
            // Ties (v) may come in either order in both queries: compare the order column; without ties, the rows too.
            expect(fast.map((r) => String(r[column])), `${column} ${direction} ${limit}`).toEqual(plain.map((r) => String(r[column])));
            if (column !== 'v') expect(fast.map((r) => Number(r.id))).toEqual(plain.map((r) => Number(r.id)));
          }
        }
      }
    }
    expect(tableTopN(table({}), tctx)).toBeNull();
  });

  it('the table top-N by the time column tries the end of the period first, and falls back when it holds fewer rows than the limit', async () => {
    // Every 6 hours over 64 days (a few NULL times, a second region), anchored on the newest: a
    // 32-day period, whose last sixteenth (2 days) holds 8 rows.
    await conn.run(`CREATE TABLE "recent" AS SELECT TIMESTAMP '2025-01-01' + INTERVAL (i * 6) HOUR AS "ts", i AS "id", CASE WHEN i % 3 = 0 THEN 'APAC' ELSE 'EMEA' END AS "region", i * 1.5 AS "v" FROM range(256) t(i)`);
    await conn.run(`INSERT INTO "recent" VALUES (NULL, 1000, 'EMEA', 1), (NULL, 1001, 'APAC', 2)`);
    const ds: Dataset = { name: 'recent', kind: 'table', source: 's', timeColumn: 'ts', measures: [], dimensions: [{ name: 'region', column: 'region' }], hierarchies: [] };
    const newest = Date.UTC(2025, 0, 1) + 255 * 6 * 3_600_000;
    const rctx: DatasetContext = { dataset: ds, table: 'recent', columns: new Set(['ts', 'id', 'region', 'v']), period: resolvePeriod({ lastDays: 32, anchor: 'data' }, newest, 0) };
    const table = (over: Partial<TablePanel>): TablePanel => ({ id: 't', kind: 'table', pageSize: 25, rules: [], followFilters: true, title: 'T', dataset: 'recent', columns: ['id', 'region', 'ts'], limit: 3, ...over });
    const asResult = (found: Record<string, unknown>[]) => ({ columns: [], rows: found.map((r) => ({ cutoff: r.cutoff === null ? null : String(r.cutoff), type: String(r.type), n: Number(r.n) })) });
    let usedNarrowed = 0;
    let fellBack = 0;
    for (const direction of ['asc', 'desc'] as const) {
      for (const limit of [1, 5, 8, 9, 20, 200]) {
        for (const refine of [undefined, { members: [{ dimension: 'region', values: ['APAC'] }] }, { window: { start: Date.UTC(2025, 1, 1), end: Date.UTC(2025, 1, 17) } }]) {
          const panel = table({ orderBy: { column: 'ts', direction }, limit });
          const steps = tableTopN(panel, rctx, refine);
          if (!steps?.narrowed) throw new Error('ordered by the time column within a period: a narrowed step');
          // As the runner does: the narrowed cut-off when it found enough rows, else the whole period's.
          const narrowed = asResult(await rows(steps.narrowed));
          const cutoff = steps.enough(narrowed) ? narrowed : asResult(await rows(steps.cutoff));
          if (steps.enough(narrowed)) {
            usedNarrowed += 1;
            // The very cut-off of the whole period (a lower one would give the same rows, reading more).
            expect(narrowed.rows[0], `${direction} ${limit} cut-off`).toEqual(asResult(await rows(steps.cutoff)).rows[0]);
          } else fellBack += 1;
          const fast = await rows(steps.rows(cutoff));
          const plain = await rows(tableQuery(panel, rctx, refine));
          expect(fast.map((r) => Number(r.id)), `${direction} ${limit} ${JSON.stringify(refine)}`).toEqual(plain.map((r) => Number(r.id)));
        }
      }
    }
    // Both paths ran: small limits from the slice, large ones from the whole period.
    expect(usedNarrowed).toBeGreaterThan(0);
    expect(fellBack).toBeGreaterThan(0);
    // Ordered by another column, or without a period: no narrowed step.
    expect(tableTopN(table({ orderBy: { column: 'id', direction: 'desc' } }), rctx)?.narrowed).toBeUndefined();
    expect(tableTopN(table({ orderBy: { column: 'ts', direction: 'desc' } }), { ...rctx, period: null })?.narrowed).toBeUndefined();
  });
});

describe('earliestRead: the rows a panel reads start there', () => {
  // Every panel kind, over the facts table (rows in 2024 and 2025), once over all rows and once over
  // only the rows from `earliestRead` on: the same answers. A first paint from the newest row groups
  // (parquet-window.ts) sends only queries this holds for.
  const fromView = 'facts from';
  const over = async (sql: { text: string }, bound: number) => {
    await conn.run(`CREATE OR REPLACE VIEW "${fromView}" AS SELECT * FROM "facts ""y""" WHERE "day" >= epoch_ms(${bound})`);
    const all = await rows(sql);
    const some = await rows({ text: sql.text.replaceAll('"facts ""y"""', `"${fromView}"`) });
    return { all: JSON.stringify(all, (_, v) => (typeof v === 'bigint' ? Number(v) : v)), some: JSON.stringify(some, (_, v) => (typeof v === 'bigint' ? Number(v) : v)) };
  };
  const tablePanel: TablePanel = { id: 't', kind: 'table', title: 'T', followFilters: true, dataset: 'facts', columns: ['day', 'r', 'amount "$"'], orderBy: { column: 'day', direction: 'desc' }, limit: 3, pageSize: 3, rules: [] };
  const drill: PanelRefinement = { window: { start: Date.UTC(2025, 2, 2), end: Date.UTC(2025, 2, 3) } };
  const region: PanelRefinement = { members: [{ dimension: 'region', values: ['A', null] }] };
  const cases: [string, DataPanel, PanelRefinement | undefined][] = [
    ['kpi, previous period', kpiPanel({}), undefined],
    ['kpi, previous year', kpiPanel({ comparison: 'previous_year' }), undefined],
    ['kpi, no comparison, filtered', kpiPanel({ comparison: 'none', measure: 'aov' }), region],
    ['kpi with sparkline', kpiPanel({ sparkline: true }), undefined],
    ['kpi, drilled into a day', kpiPanel({ comparison: 'previous_period' }), drill],
    ['bar by region', chartPanel({ limit: 10 }), undefined],
    ['bar with Other', chartPanel({ otherBucket: true, limit: 2 }), region],
    ['line by day with series', chartPanel({ chart: 'line', x: { type: 'time', grain: 'day' }, series: 'product', limit: 1, otherBucket: true }), undefined],
    ['pie', chartPanel({ chart: 'pie' }), drill],
    ['heatmap', chartPanel({ chart: 'heatmap', y: { type: 'dimension', dimension: 'product' }, limit: 2 }), undefined],
    ['table', tablePanel, undefined],
    ['table, filtered', { ...tablePanel, orderBy: { column: 'amount "$"', direction: 'asc' } }, region],
  ];

  it('a panel answers the same over only the rows from its earliest read on', async () => {
    for (const [name, panel, refine] of cases) {
      const bound = earliestRead(panel, factsCtx, refine);
      expect(bound, name).not.toBeNull();
      const sqls: { text: string }[] = [];
      if (panel.kind === 'kpi') sqls.push(kpiQuery(panel, factsCtx, refine), ...(panel.sparkline ? [] : [kpiBatchQuery([panel], factsCtx, refine).sql]));
      else if (panel.kind === 'chart') sqls.push(chartQuery(panel, factsCtx, refine));
      else {
        sqls.push(tableQuery(panel, factsCtx, refine));
        const steps = tableTopN(panel, factsCtx, refine);
        if (steps?.narrowed) sqls.push(steps.narrowed);
        if (steps) sqls.push(steps.cutoff);
      }
      for (const sql of sqls) {
        const { all, some } = await over(sql, bound as number);
        expect(some, name).toBe(all);
      }
    }
  });

  it('and a later bound would change answers (the data can tell)', async () => {
    // A year back for previous_year: a day later leaves its first day's rows out; so do two days for the bar chart's period.
    const kpi = kpiPanel({ comparison: 'previous_year' });
    const bar = chartPanel({ limit: 10 });
    for (const [sql, later] of [[kpiQuery(kpi, factsCtx), (earliestRead(kpi, factsCtx) as number) + DAY], [chartQuery(bar, factsCtx), (earliestRead(bar, factsCtx) as number) + 2 * DAY]] as const) {
      const { all, some } = await over(sql, later);
      expect(some).not.toBe(all);
    }
    // No time column, or no period: any time.
    expect(earliestRead(kpiPanel({}), { ...factsCtx, period: null })).toBeNull();
    expect(earliestRead(kpiPanel({}), { ...factsCtx, dataset: { ...facts, timeColumn: undefined } as Dataset })).toBeNull();
  });
});
