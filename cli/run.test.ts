// `northstar run`, through the real bin on the demo dashboard, checked against an independent oracle:
// hand-written SQL on native DuckDB (@duckdb/node-api), which shares no code with the query builder.
// Each run starts DuckDB-WASM in a worker thread and loads the demo data (about 3 s a run here).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpisNative, queryNative, type Kpis } from '../e2e/oracle';
import { binRunner, DEMO_PARQUET, expectNoStack, ROOT, type Run } from './test-harness';

const DEMO = 'dashboards/examples/customer-kpis.dashboard.json';
const RUN_TIMEOUT_MS = 40_000;
// A test may wait for two runs ahead of it on a busy machine before its own starts.
const TEST_TIMEOUT_MS = 3 * RUN_TIMEOUT_MS;

const northstar = binRunner({ timeoutMs: RUN_TIMEOUT_MS });

type Row = Record<string, string | number | boolean | null>;
type PanelOut = { id: string; kind: string; title: string; rows: Row[] };
type Output = { panels: PanelOut[] };

type DemoFile = {
  panels: { id: string; kind: string; title: string }[];
  layout: { panel: string; x: number; y: number }[];
  timeRange: { lastDays?: number };
  sources: Record<string, unknown>[];
};
const demo = (): DemoFile => JSON.parse(readFileSync(path.join(ROOT, DEMO), 'utf8')) as DemoFile;

function parse(r: Run): Output {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Output;
}

const panel = (out: Output, id: string): PanelOut => {
  const found = out.panels.find((p) => p.id === id);
  if (!found) throw new Error(`no panel ${id} in the output`);
  return found;
};

/** A KPI panel's value per period, as the output shows it. */
function kpi(out: Output, id: string): { current: number; previous: number } {
  const rows = panel(out, id).rows;
  expect(rows.map((r) => r.period)).toEqual(['current', 'previous']);
  return { current: rows[0]?.value as number, previous: rows[1]?.value as number };
}

function expectKpisMatch(out: Output, native: { current: Kpis; previous: Kpis }) {
  const pairs: [string, keyof Kpis][] = [
    ['kpi_revenue', 'revenue'],
    ['kpi_orders', 'orders'],
    ['kpi_aov', 'aov'],
    ['kpi_active_customers', 'activeCustomers'],
  ];
  for (const [id, measure] of pairs) {
    const shown = kpi(out, id);
    expect(shown.current, `${id} current`).toBeCloseTo(native.current[measure], 6);
    expect(shown.previous, `${id} previous`).toBeCloseTo(native.previous[measure], 6);
  }
}

/** The demo's period, hand-written: the last N whole days up to the newest day in the (unfiltered) data. */
const bounds = (lastDays: number) => `
  WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS end_ts FROM orders)
  SELECT end_ts - INTERVAL ${lastDays} DAY AS start_ts, end_ts, end_ts - INTERVAL ${2 * lastDays} DAY AS prev_ts FROM b`;

/** KPIs of the rows whose region is one of `regions`, on the period of the whole data. */
async function regionKpisNative(lastDays: number, regions: string[]): Promise<{ current: Kpis; previous: Kpis }> {
  const list = regions.map((r) => `'${r.replaceAll("'", "''")}'`).join(', ');
  const rows = await queryNative(
    DEMO_PARQUET,
    `WITH p AS (${bounds(lastDays)})
     SELECT CASE WHEN o.order_ts >= p.start_ts THEN 'current' ELSE 'previous' END AS period,
            sum(o.amount)::DOUBLE AS revenue, count(DISTINCT o.order_id) AS orders, count(DISTINCT o.customer_id) AS customers
     FROM orders o, p
     WHERE o.order_ts >= p.prev_ts AND o.order_ts < p.end_ts AND o.region IN (${list})
     GROUP BY 1`,
  );
  const pick = (period: string): Kpis => {
    const r = rows.find((x) => x.period === period);
    if (!r) throw new Error(`oracle: no ${period} row`);
    const revenue = Number(r.revenue);
    const orders = Number(r.orders);
    return { revenue, orders, aov: revenue / orders, activeCustomers: Number(r.customers) };
  };
  return { current: pick('current'), previous: pick('previous') };
}

let tmp = '';
let lastDays = 0;
let demoRun: Promise<{ run: Run; out: Output }> | undefined;
/** The plain demo run, shared by the tests that read it (started once, by whichever asks first). */
const demoOutput = () => (demoRun ??= northstar(['run', DEMO, '--json']).then((run) => ({ run, out: parse(run) })));

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-run-'));
  const days = demo().timeRange.lastDays;
  if (days === undefined) throw new Error('these tests expect the demo to show the last N days');
  lastDays = days;
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent('northstar run --json on the demo dashboard', { timeout: TEST_TIMEOUT_MS }, () => {
  it('prints exactly {panels: [{id, kind, title, rows}]} for every panel, in layout order', async () => {
    const { run: full, out: fullOut } = await demoOutput();
    expectNoStack(full);
    expect(Object.keys(fullOut)).toEqual(['panels']);
    const file = demo();
    const place = new Map(file.layout.map((l) => [l.panel, l]));
    const expected = [...file.panels].sort((a, b) => {
      const pa = place.get(a.id);
      const pb = place.get(b.id);
      return (pa?.y ?? 1e9) - (pb?.y ?? 1e9) || (pa?.x ?? 1e9) - (pb?.x ?? 1e9);
    });
    expect(fullOut.panels.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    for (const p of fullOut.panels) {
      expect(Object.keys(p)).toEqual(['id', 'kind', 'title', 'rows']);
      const spec = file.panels.find((x) => x.id === p.id);
      expect([p.kind, p.title]).toEqual([spec?.kind, spec?.title]);
      if (p.kind === 'text' || p.kind === 'anomaly') expect(p.rows).toEqual([]);
      else expect(p.rows.length).toBeGreaterThan(0);
      for (const row of p.rows) for (const v of Object.values(row)) expect(['string', 'number', 'boolean'].includes(typeof v) || v === null).toBe(true);
    }
    console.info(`northstar run (demo, --json): ${full.ms.toFixed(0)} ms for the whole process`);
  });

  it('shows the KPIs the native oracle computes', async () => {
    const { out: fullOut } = await demoOutput();
    expectKpisMatch(fullOut, await computeKpisNative(DEMO_PARQUET, lastDays));
  });

  it('shows the daily revenue rows of a hand-written native query', async () => {
    const native = await queryNative(
      DEMO_PARQUET,
      `WITH p AS (${bounds(lastDays)})
       SELECT epoch_ms(date_trunc('day', o.order_ts))::DOUBLE AS x, sum(o.amount)::DOUBLE AS revenue
       FROM orders o, p WHERE o.order_ts >= p.start_ts AND o.order_ts < p.end_ts
       GROUP BY 1 ORDER BY 1`,
    );
    const rows = panel((await demoOutput()).out, 'daily_revenue').rows;
    expect(rows).toHaveLength(native.length);
    expect(rows.length).toBe(lastDays);
    rows.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(['x', 'revenue']);
      expect(row.x).toBe(native[i]?.x);
      expect(row.revenue as number).toBeCloseTo(native[i]?.revenue as number, 6);
    });
  });

  it('shows the revenue-by-campaign bars of a hand-written native query', async () => {
    const native = await queryNative(
      DEMO_PARQUET,
      `WITH p AS (${bounds(lastDays)})
       SELECT CAST(o.campaign AS VARCHAR) AS x, sum(o.amount)::DOUBLE AS revenue
       FROM orders o, p WHERE o.order_ts >= p.start_ts AND o.order_ts < p.end_ts
       GROUP BY 1 ORDER BY revenue DESC NULLS LAST, x ASC LIMIT 15`,
    );
    const rows = panel((await demoOutput()).out, 'revenue_by_campaign').rows;
    expect(rows.map((r) => r.x)).toEqual(native.map((r) => r.x));
    rows.forEach((row, i) => expect(row.revenue as number).toBeCloseTo(native[i]?.revenue as number, 6));
  });
});

describe.concurrent('northstar run options', { timeout: TEST_TIMEOUT_MS }, () => {
  it('--filter region=EMEA narrows the KPIs to what native SQL with WHERE region = EMEA gives', async () => {
    const r = await northstar(['run', DEMO, '--filter', 'region=EMEA', '--json']);
    const out = parse(r);
    const { out: fullOut } = await demoOutput();
    expect(kpi(out, 'kpi_revenue').current).not.toBeCloseTo(kpi(fullOut, 'kpi_revenue').current, 0);
    expectKpisMatch(out, await regionKpisNative(lastDays, ['EMEA']));
  });

  it('--filter twice on one field keeps either value', async () => {
    const out = parse(await northstar(['run', DEMO, '--filter', 'region=EMEA', '--filter=region=APAC', '--json']));
    expectKpisMatch(out, await regionKpisNative(lastDays, ['EMEA', 'APAC']));
  });

  it('--source orders=PATH reads a copy elsewhere (relative to the current directory), with the same result', async () => {
    const copy = path.join(tmp, 'elsewhere.parquet');
    copyFileSync(DEMO_PARQUET, copy);
    const out = parse(await northstar(['run', DEMO, '--source', `orders=${path.relative(ROOT, copy)}`, '--json']));
    expect(out).toEqual((await demoOutput()).out);
  });

  it('prints a readable summary without --json, capped at 20 rows a panel', async () => {
    const r = await northstar(['run', DEMO]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (const p of demo().panels) expect(r.stdout).toContain(`${p.title}  [${p.id}, ${p.kind}]`);
    const revenue = kpi((await demoOutput()).out, 'kpi_revenue').current.toFixed(2);
    expect(r.stdout).toMatch(new RegExp(`^  current +${revenue.replace('.', '\\.')}$`, 'm'));
    expect(r.stdout).toContain(`… ${lastDays - 20} more rows`);
  });
});

describe.concurrent('northstar run errors', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a missing dashboard file: exit 1, FILE: $: message, nothing on stdout', async () => {
    const r = await northstar(['run', 'no/such.dashboard.json', '--json'], true);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('no/such.dashboard.json: $: cannot read the file: no such file\n');
  });

  it('a source rebound to a missing file: exit 1, naming the source and the path, every panel failing', async () => {
    const missing = path.join(tmp, 'missing.parquet');
    const r = await northstar(['run', DEMO, '--source', `orders=${missing}`, '--json']);
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`source orders: Data source "orders": cannot read ${missing} (from --source): no such file.\n`);
    for (const p of demo().panels.filter((x) => x.kind !== 'text' && x.kind !== 'anomaly')) expect(r.stderr).toMatch(new RegExp(`^${p.id}: `, 'm'));
    expect(r.stderr).toMatch(/^northstar: .* data panels failed$/m);
  });

  it('--source for an undeclared source: exit 2, listing the declared sources', async () => {
    const r = await northstar(['run', DEMO, '--source', 'nope=x.parquet', '--json'], true);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^northstar: --source: the dashboard has no source "nope"; its sources: orders\n/);
  });

  it('--source with a URL: exit 2, local files only', async () => {
    const r = await northstar(['run', DEMO, '--source', 'orders=https://example.com/orders.parquet'], true);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^northstar: --source orders: https:\/\/example\.com\/orders\.parquet is not a local file; the headless runner reads local files only/);
  });

  it('--filter on a field no dataset has: exit 2, listing the known dimensions', async () => {
    const r = await northstar(['run', DEMO, '--filter', 'nope=x'], true);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^northstar: --filter: no dataset has a dimension "nope"; known dimensions: region, country, city, channel, campaign, category\n/);
  });

  it('an S3 source without --source: exit 1, saying to rebind it', async () => {
    const file = demo();
    file.sources = [{ name: 'orders', kind: 's3', uri: 's3://bucket/orders.parquet', format: 'parquet' }];
    const dashboard = path.join(tmp, 's3.dashboard.json');
    writeFileSync(dashboard, `${JSON.stringify(file, null, 2)}\n`);
    const r = await northstar(['run', dashboard, '--json']);
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'source orders: Data source "orders" is in S3 (s3://bucket/orders.parquet), and the headless runner reads local files only: rebind it to a local copy with --source orders=PATH.\n',
    );
  });
});
