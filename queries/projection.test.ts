import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile, Dataset, Source } from '../dashboards/schema';
import { openNativeEngine, type NativeEngine } from './checks/testing-engine';
import { runDashboardQueries, type DatasetRunState, type LoadedDataset, type PanelRunState, type QueryEngine, type RunOptions } from './dashboard-runner';
import { Engine } from './engine/engine';
import { parseParquetFooter } from './engine/prefetch';
import { projectedColumns } from './projection';
import { createSourceView, createTableAs, ident, parquetFileFacts, selectColumns, Sql } from './sql';

const EXAMPLES = path.join(__dirname, '..', 'dashboards', 'examples');
const PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');
const FILE_COLUMNS = ['order_id', 'order_ts', 'customer_id', 'region', 'country', 'city', 'channel', 'campaign', 'category', 'amount', 'quantity'];

const demo = (): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
};

/** The demo without its "Recent orders" table: the semantic layer alone does not use `quantity`. */
const withoutTable = (): DashboardFile => {
  const d = demo();
  return { ...d, panels: d.panels.filter((p) => p.kind !== 'table'), layout: d.layout.filter((l) => l.panel !== 'recent_orders') };
};

const ordersOf = (d: DashboardFile): Dataset => d.datasets[0] as Dataset;

describe('projectedColumns', () => {
  it('keeps the semantic layer and table panel columns, in the file order', () => {
    const d = withoutTable();
    expect(projectedColumns(d, ordersOf(d), FILE_COLUMNS)).toEqual(FILE_COLUMNS.filter((c) => c !== 'quantity'));
    // The demo's table shows quantity too: everything is used, so nothing is projected away.
    expect(projectedColumns(demo(), ordersOf(demo()), FILE_COLUMNS)).toBeNull();
  });

  it('keeps columns named by check and correction parameters, whatever the parameter is called', () => {
    const d = withoutTable();
    const checked: DashboardFile = {
      ...d,
      checks: [{ id: 'c1', title: 'qty', dataset: 'orders', rule: 'range', params: { column: 'quantity', min: 0 }, severity: 'warn', guards: [] }],
    };
    expect(projectedColumns(checked, ordersOf(checked), [...FILE_COLUMNS, 'note'])).toEqual(FILE_COLUMNS);
  });

  it('loads everything for a SQL dataset, a schema or custom SQL check, and SQL in parameters', () => {
    const d = withoutTable();
    const sqlDataset: Dataset = { name: 'q', kind: 'sql', sql: 'SELECT 1', measures: [], dimensions: [], hierarchies: [] } as unknown as Dataset;
    expect(projectedColumns(d, sqlDataset, FILE_COLUMNS)).toBeNull();
    const check = (rule: string, params: Record<string, unknown>) =>
      ({ ...d, checks: [{ id: 'c', title: 't', dataset: 'orders', rule, params, severity: 'warn' }] }) as DashboardFile;
    expect(projectedColumns(check('schema', { columns: ['order_id'] }), ordersOf(d), FILE_COLUMNS)).toBeNull();
    expect(projectedColumns(check('custom_sql', { sql: 'SELECT quantity FROM t' }), ordersOf(d), FILE_COLUMNS)).toBeNull();
  });
});

describe('loading a projection, on native DuckDB', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run(createSourceView('orders', [PARQUET], 'parquet').text);
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
  });

  async function describeTable(table: string): Promise<string[]> {
    const reader = await conn.runAndReadAll(Sql.concat('DESCRIBE ', ident(table)).text);
    return reader.getRowObjectsJS().map((r) => String(r.column_name));
  }

  async function load(d: DashboardFile): Promise<{ sql: string; columns: string[] }> {
    const columns = projectedColumns(d, ordersOf(d), await describeTable('orders'));
    const sql = createTableAs('ds_raw_orders', selectColumns('orders', columns)).text;
    await conn.run(sql);
    return { sql, columns: await describeTable('ds_raw_orders') };
  }

  it('loads only the columns the dashboard uses, and only their Parquet chunks are read', async () => {
    const { sql, columns } = await load(withoutTable());
    expect(columns).toEqual(FILE_COLUMNS.filter((c) => c !== 'quantity'));
    expect(sql).toContain('SELECT "order_id", "order_ts"');
    expect(sql).not.toContain('quantity');
    // DuckDB's plan reads just those columns from the file.
    const plan = await conn.runAndReadAll(`EXPLAIN ${selectColumns('orders', columns).text}`);
    const text = JSON.stringify(plan.getRowObjectsJS());
    expect(text).toContain('amount');
    expect(text).not.toContain('quantity');
  });

  it('loads every column when the dashboard uses them all', async () => {
    expect((await load(demo())).columns).toEqual(FILE_COLUMNS);
    expect(selectColumns('orders', null).text).toBe('SELECT * FROM "orders"');
    expect(() => selectColumns('orders', [])).toThrow(/no columns/);
  });
});

describe('the runner loads a projection from fetched bytes, on DuckDB-WASM', () => {
  let boot: NodeEngineBootstrap;
  let wasm: Engine;
  let engine: QueryEngine;
  let server: http.Server;
  let url: string;
  const file = readFileSync(PARQUET);
  /** Bytes the test server sent, reset per run. */
  let sent = 0;

  beforeAll(async () => {
    boot = nodeBootstrap();
    wasm = await Engine.start(boot);
    // The CLI's engine thread opens only allowed paths, and the Node build of DuckDB-WASM asks its
    // file system about registered names too: allow each one as the runner registers it.
    engine = {
      exec: (sql) => wasm.exec(sql),
      query: (sql) => wasm.query(sql),
      describe: (t) => wasm.describe(t),
      registerFile: (name, bytes) => {
        boot.allowReading([name]);
        return wasm.registerFile(name, bytes);
      },
      dropFile: (name) => wasm.dropFile(name),
    };
    server = http.createServer((req, res) => {
      const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (!m) {
        res.writeHead(200, { 'Content-Length': String(file.length) }).end(file);
        sent += file.length;
        return;
      }
      const start = m[1] === '' ? Math.max(0, file.length - Number(m[2])) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? file.length - 1 : Math.min(file.length - 1, Number(m[2]));
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${file.length}`, 'Content-Length': String(end - start + 1) }).end(file.subarray(start, end + 1));
      sent += end - start + 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders.parquet`;
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await wasm?.terminate();
    boot?.dispose();
  });

  async function run(d: DashboardFile, cache: Map<string, LoadedDataset>, on: QueryEngine = engine, urls = [url]) {
    const datasets: DatasetRunState[] = [];
    const panels: Record<string, PanelRunState> = {};
    sent = 0;
    await runDashboardQueries(
      on,
      d,
      { linkSource: async () => ({ urls, location: 'orders.parquet', sizeBytes: file.length }), onDataset: (_n, st) => datasets.push(st), onPanel: (id, st) => (panels[id] = st) },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache },
    );
    return { datasets, panels, sent };
  }

  const loadedColumns = async () => (await wasm.describe('ds_raw_orders')).map((c) => c.name);
  // Sums over doubles differ in the last digits between engines (another summation order): cents are exact enough.
  const rowsOf = (st: PanelRunState | undefined) =>
    st?.status === 'ready' ? st.result.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 100) / 100 : v]))) : st;

  it('loads only the needed columns, reads only their chunks, still lists every column, and computes what native DuckDB computes', async () => {
    const cache = new Map<string, LoadedDataset>();
    const d = withoutTable();
    const first = await run(d, cache);
    expect(await loadedColumns()).toEqual(FILE_COLUMNS.filter((c) => c !== 'quantity'));
    const ready = first.datasets.find((st) => st.status === 'ready');
    expect(ready?.status === 'ready' && ready.columns.map((c) => c.name)).toEqual(FILE_COLUMNS);
    // The footer (in the first read from the end) plus the kept columns' chunks, nothing of quantity.
    const footer = parseParquetFooter(new Uint8Array(file), file.length);
    const needed = footer.chunks.filter((c) => c.column !== 'quantity').reduce((n, c) => n + c.length, 0);
    expect(first.sent).toBeLessThanOrEqual(needed + 256 * 1024);
    expect(first.sent).toBeLessThan(file.length);
    // Progress said bytes, then the rows the footer counts.
    const phases = first.datasets.flatMap((st) => (st.status === 'loading' && st.progress ? [st.progress.phase] : []));
    expect(phases[0]).toBe('fetching');
    expect(phases[phases.length - 1]).toBe('reading');
    expect(first.datasets.some((st) => st.status === 'loading' && st.progress?.phase === 'reading' && st.progress.rowsTotal === footer.numRows)).toBe(true);

    const oracle = await openNativeEngine();
    try {
      const truth = await run(d, new Map(), oracle, [PARQUET]);
      for (const id of ['kpi_revenue', 'kpi_orders', 'revenue_by_region']) expect(rowsOf(first.panels[id]), id).toEqual(rowsOf(truth.panels[id]));
    } finally {
      oracle.close();
    }
  }, 60_000);

  it('loads again, with the union, when a later run needs a column not in memory, and never computes on a table without it', async () => {
    const cache = new Map<string, LoadedDataset>();
    await run(withoutTable(), cache);
    expect(await loadedColumns()).not.toContain('quantity');
    // The demo's "Recent orders" table shows quantity: the dataset loads again before its panels run.
    const withTable = await run(demo(), cache);
    expect(withTable.datasets[0]?.status).toBe('loading');
    expect(await loadedColumns()).toEqual(FILE_COLUMNS);
    const recent = withTable.panels.recent_orders;
    expect(recent?.status, JSON.stringify(recent)).toBe('ready');
    expect(recent?.status === 'ready' && recent.result.columns.map((c) => c.name)).toContain('quantity');
    // Back to the panels without it: what is in memory covers them, so nothing is read again.
    const back = await run(withoutTable(), cache);
    expect(back.sent).toBe(0);
    expect(back.datasets.map((st) => st.status)).toEqual(['ready']);
  }, 60_000);
});

describe('the runner loads a projection the engine reads itself (no fetch), on native DuckDB', () => {
  let oracle: NativeEngine;
  let dir: string;
  let csv: string;
  beforeAll(async () => {
    oracle = await openNativeEngine();
    dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-projection-'));
    csv = path.join(dir, 'orders.csv');
    await oracle.run(`COPY (SELECT * FROM read_parquet('${PARQUET.replace(/'/g, "''")}')) TO '${csv.replace(/'/g, "''")}' (HEADER, DELIMITER ',')`);
  });
  afterAll(() => {
    oracle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The demo (or `d`) over one file in `format`, read by the engine through its view: the native engine fetches nothing itself. */
  async function run(d: DashboardFile, file: string, format: 'parquet' | 'csv', cache: Map<string, LoadedDataset>, extra: Partial<RunOptions> = {}) {
    const datasets: DatasetRunState[] = [];
    const panels: Record<string, PanelRunState> = {};
    const statements: string[] = [];
    const source = { ...(d.sources[0] as Source), format } as Source;
    await runDashboardQueries(
      { exec: (sql) => (statements.push(sql.text), oracle.exec(sql)), query: (sql) => (statements.push(sql.text), oracle.query(sql)), describe: (t) => oracle.describe(t) },
      { ...d, sources: [source] },
      { linkSource: async () => ({ urls: [file], location: path.basename(file) }), onDataset: (_n, st) => datasets.push(st), onPanel: (id, st) => (panels[id] = st) },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache, ...extra },
    );
    return { datasets, panels, statements };
  }
  const tableColumns = async () => (await oracle.describe('ds_raw_orders')).map((c) => c.name);
  const ready = (states: DatasetRunState[]) => states.filter((st) => st.status === 'ready').at(-1);
  const results = (panels: Record<string, PanelRunState>) =>
    Object.fromEntries(Object.entries(panels).map(([id, st]) => [id, st.status === 'ready' ? st.result.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 100) / 100 : v]))) : st]));

  for (const format of ['parquet', 'csv'] as const) {
    it(`${format}: copies only the needed columns into memory, still lists every column, loads again with the union for a new one, and computes what a whole load computes`, async () => {
      const file = format === 'csv' ? csv : PARQUET;
      const cache = new Map<string, LoadedDataset>();
      const first = await run(withoutTable(), file, format, cache);
      expect(await tableColumns()).toEqual(FILE_COLUMNS.filter((c) => c !== 'quantity'));
      expect(first.statements.find((sql) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders"'))).not.toContain('quantity');
      const st = ready(first.datasets);
      expect(st?.status === 'ready' && st.columns.map((c) => c.name)).toEqual(FILE_COLUMNS);
      // The same numbers as with every column loaded (the demo's table panel uses them all).
      const all = await run(demo(), file, format, new Map());
      expect(await tableColumns()).toEqual(FILE_COLUMNS);
      for (const id of ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers', 'revenue_by_region', 'revenue_by_campaign', 'daily_revenue']) {
        expect(first.panels[id]?.status, id).toBe('ready');
        expect(results(first.panels)[id], id).toEqual(results(all.panels)[id]);
      }
      // "Recent orders" shows quantity: the dataset loads again, with it; back without, nothing loads.
      await run(withoutTable(), file, format, cache);
      const withTable = await run(demo(), file, format, cache);
      expect(withTable.datasets[0]?.status).toBe('loading');
      expect(await tableColumns()).toEqual(FILE_COLUMNS);
      const back = await run(withoutTable(), file, format, cache);
      expect(back.datasets.map((s) => s.status)).toEqual(['ready']);
      expect(back.statements.some((sql) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders"'))).toBe(false);
    }, 60_000);
  }

  it("parquet: estimates the memory of the needed columns only (the footers' chunks of those), and reads from disk only what is needed", async () => {
    const bytes = readFileSync(PARQUET);
    const footer = parseParquetFooter(new Uint8Array(bytes), bytes.byteLength);
    const kept = footer.chunks.filter((c) => c.column !== 'quantity').reduce((n, c) => n + c.memoryBytes, 0);
    const all = footer.chunks.reduce((n, c) => n + c.memoryBytes, 0);
    expect(Number((await oracle.query(parquetFileFacts([PARQUET], FILE_COLUMNS.filter((c) => c !== 'quantity')))).rows[0]?.bytes)).toBe(kept);
    // A budget between the two: the needed columns load into memory, all of them would not.
    const between = Math.floor((kept + all) / 2);
    const projected = await run(withoutTable(), PARQUET, 'parquet', new Map(), { memoryBudgetBytes: between });
    expect(ready(projected.datasets)).toMatchObject({ status: 'ready' });
    expect((ready(projected.datasets) as { scan?: unknown }).scan).toBeUndefined();
    const everything = await run(demo(), PARQUET, 'parquet', new Map(), { memoryBudgetBytes: between });
    expect((ready(everything.datasets) as { scan?: unknown }).scan).toEqual({ estimateBytes: all, budgetBytes: between });
    // Read from disk, the view too reads only the needed columns.
    const scanned = await run(withoutTable(), PARQUET, 'parquet', new Map(), { memoryBudgetBytes: 1024 });
    expect((ready(scanned.datasets) as { scan?: { estimateBytes: number } }).scan?.estimateBytes).toBe(kept);
    expect(scanned.statements.find((sql) => sql.startsWith('CREATE OR REPLACE VIEW "ds_raw_orders"'))).not.toContain('quantity');
    expect(results(scanned.panels)).toEqual(results(projected.panels));
  }, 60_000);

  it('parquet: a nested column counts all its chunks in the estimate', async () => {
    const nested = path.join(dir, 'nested.parquet');
    await oracle.run(`COPY (SELECT range AS id, [range, range + 1] AS "l st", {'x': range, 'y': 'q'} AS s FROM range(1000)) TO '${nested.replace(/'/g, "''")}' (FORMAT PARQUET)`);
    const facts = async (columns: string[] | null) => Number((await oracle.query(parquetFileFacts([nested], columns))).rows[0]?.bytes);
    expect((await facts(['id'])) + (await facts(['l st'])) + (await facts(['s']))).toBe(await facts(null));
    expect(await facts(['l st'])).toBeGreaterThan(0);
    expect(await facts(['s'])).toBeGreaterThan(await facts(['id']));
  });
});
