import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard, serializeDashboard } from '../dashboards/document';
import type { DashboardFile, KpiPanel } from '../dashboards/schema';
import { openNativeEngine, type NativeEngine } from './checks/testing-engine';
import { runDashboardQueries, type PanelRunState } from './dashboard-runner';
import { profileTable, proposePicks, scanForStarter } from './profile';
import { buildStarterDashboard, grainFor, humanize, periodFor, sourceNameFor } from './starter-dashboard';
import { Sql, createTableAs, readFile } from './sql';

const ROOT = path.resolve(__dirname, '..');
const DEMO = path.join(ROOT, 'dashboards', 'examples', 'data', 'orders.parquet');
const PARQUET_TESTING = path.resolve(ROOT, '..', 'shared', 'data', 'parquet-testing', 'data');

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
});
afterAll(() => engine.close());

/** Profile, scan and build, as the app does, then run every panel of the result on the same file. */
async function instant(file: string): Promise<{ dashboard: DashboardFile; panels: Map<string, PanelRunState> }> {
  const table = `t_${sourceNameFor(file)}`;
  await engine.exec(createTableAs(table, Sql.concat('SELECT * FROM ', readFile(file, 'parquet'))));
  const profile = await profileTable(engine, table);
  const picks = proposePicks(profile);
  const scan = await scanForStarter(engine, table, profile, picks);
  const name = sourceNameFor(file);
  const dashboard = buildStarterDashboard({
    id: '6f1c1a52-0d0e-4f4b-9b43-3f3a3c1d2e01',
    title: `${humanize(name)} overview`,
    source: { name, kind: 'file', path: path.basename(file), format: 'parquet' },
    profile,
    picks,
    findings: scan?.findings ?? [],
    key: scan?.inferred.key ?? null,
  });
  // What the app saves must load back without a single repair.
  const loaded = loadDashboard(serializeDashboard(dashboard));
  if (!loaded.ok) throw new Error(loaded.error.message);
  expect(loaded.warnings).toEqual([]);

  const panels = new Map<string, PanelRunState>();
  await runDashboardQueries(
    engine,
    loaded.dashboard,
    {
      linkSource: async () => ({ urls: [file], location: file }),
      onDataset: () => {},
      onPanel: (id, s) => panels.set(id, s),
    },
    { trusted: true, now: Date.now() },
  );
  return { dashboard: loaded.dashboard, panels };
}

function readyRows(panels: Map<string, PanelRunState>, id: string) {
  const state = panels.get(id);
  if (state?.status !== 'ready') throw new Error(`panel ${id} is ${JSON.stringify(state)}`);
  return state.result.rows;
}

describe('instant dashboard from the demo orders', () => {
  it('picks order_ts, amount and low-cardinality text dimensions, never ids', async () => {
    const { dashboard, panels } = await instant(DEMO);
    const ds = dashboard.datasets[0];
    expect(ds?.timeColumn).toBe('order_ts');
    const sums = ds?.measures.filter((m) => m.agg === 'sum').map((m) => m.column);
    expect(sums?.[0]).toBe('amount');
    expect(sums).not.toContain('order_id');
    expect(sums).not.toContain('customer_id');
    const dims = ds?.dimensions.map((d) => d.column) ?? [];
    expect(dims.length).toBeGreaterThan(0);
    for (const d of dims) expect(['region', 'country', 'channel', 'campaign', 'category']).toContain(d);

    // KPIs compare the last 30 days with the 30 before; the revenue KPI equals the oracle's sum.
    expect(dashboard.timeRange).toEqual({ lastDays: 30, anchor: 'data' });
    const kpi = dashboard.panels.find((p): p is KpiPanel => p.kind === 'kpi' && p.measure === 'total_amount');
    expect(kpi?.comparison).toBe('previous_period');
    const row = readyRows(panels, kpi?.id ?? '').find((r) => r.period === 'current') ?? {};
    const oracle = await engine.query(
      Sql.raw`SELECT sum(amount) AS v FROM t_orders WHERE order_ts >= (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY - INTERVAL 30 DAY FROM t_orders)`,
    );
    expect(Number(row.value)).toBeCloseTo(Number(oracle.rows[0]?.v), 2);

    // Trend, bars and the anomaly panel, all running.
    expect(dashboard.panels.map((p) => p.kind).sort()).toEqual(expect.arrayContaining(['anomaly', 'chart', 'kpi']));
    for (const p of dashboard.panels) if (p.kind === 'chart') expect(readyRows(panels, p.id).length).toBeGreaterThan(0);
    const bars = dashboard.panels.filter((p) => p.kind === 'chart' && p.chart === 'horizontal_bar');
    expect(bars.length).toBe(Math.min(3, dims.length));

    // The planted problems are proposed as checks: the duplicated day, the misspelt campaign, the negative amounts.
    const rules = dashboard.checks.map((c) => `${c.rule}:${String(c.params.column ?? c.params.key ?? '')}`);
    expect(rules).toEqual(expect.arrayContaining(['duplicate_key:order_id', 'near_duplicate_values:campaign', 'range:amount']));
  }, 60_000);
});

describe('instant dashboard from parquet-testing files with a timestamp column', () => {
  it('alltypes_tiny_pages: timestamp_col, numeric measures without id, year or month', async () => {
    const { dashboard, panels } = await instant(path.join(PARQUET_TESTING, 'alltypes_tiny_pages.parquet'));
    const ds = dashboard.datasets[0];
    expect(ds?.timeColumn).toBe('timestamp_col');
    const sums = ds?.measures.filter((m) => m.agg === 'sum').map((m) => m.column) ?? [];
    expect(sums.length).toBeGreaterThan(0);
    for (const bad of ['id', 'year', 'month']) expect(sums).not.toContain(bad);
    expect(ds?.dimensions.map((d) => d.column)).toContain('string_col');
    for (const p of dashboard.panels) if (p.kind === 'kpi' || p.kind === 'chart') expect(panels.get(p.id)?.status).toBe('ready');
  }, 60_000);

  it('int96_from_spark: dates in the year 9999 are not used as time; the row count still shows', async () => {
    const { dashboard, panels } = await instant(path.join(PARQUET_TESTING, 'int96_from_spark.parquet'));
    const ds = dashboard.datasets[0];
    expect(ds?.timeColumn).toBeUndefined();
    expect(ds?.measures.map((m) => m.agg)).toEqual(['count']);
    const kpis = dashboard.panels.filter((p) => p.kind === 'kpi');
    expect(kpis).toHaveLength(1);
    expect(kpis[0]?.kind === 'kpi' && kpis[0].comparison).toBe('none');
    expect(readyRows(panels, kpis[0]?.id ?? '')[0]?.value).toBe(6);
    expect(dashboard.panels.some((p) => p.kind === 'anomaly')).toBe(true);
  }, 60_000);

  it('alltypes_plain: BLOB text is not a dimension, and 8 rows still make a valid dashboard', async () => {
    const { dashboard } = await instant(path.join(PARQUET_TESTING, 'alltypes_plain.parquet'));
    expect(dashboard.datasets[0]?.dimensions.map((d) => d.column)).not.toContain('string_col');
    expect(dashboard.datasets[0]?.timeColumn).toBe('timestamp_col');
  }, 60_000);
});

describe('starter dashboard rules', () => {
  it('refuses a pick that is not a column', () => {
    expect(() =>
      buildStarterDashboard({
        id: '6f1c1a52-0d0e-4f4b-9b43-3f3a3c1d2e01',
        title: 'x',
        source: { name: 'x', kind: 'file', path: 'x.parquet', format: 'parquet' },
        profile: { rows: 1, columns: [] },
        picks: { time: null, measures: ['nope'], dimensions: [] },
        findings: [],
      }),
    ).toThrow('The measure column "nope" is not a column of the data.');
  });

  it('chooses the period and grain from the span of the data', () => {
    expect(periodFor(730)).toBe(30);
    expect(periodFor(60)).toBe(7);
    expect(periodFor(6)).toBe(3);
    expect(periodFor(0)).toBe(1);
    expect(grainFor(30)).toBe('day');
    expect(grainFor(365)).toBe('week');
  });

  it('makes machine names from any file name', () => {
    expect(sourceNameFor('/data/orders.parquet')).toBe('orders');
    expect(sourceNameFor('s3://b/2024 sales-EU.csv.gz')).toBe('2024_sales_eu'.replace(/^2/, 'c_2'));
    expect(sourceNameFor('https://x.test/a/Ünïcode file.parquet?sig=1')).toBe('unicode_file');
  });
});
