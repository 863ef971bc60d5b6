// Few-valued text stored as ENUMs in place (enum-columns.ts), in the pinned engine's Node build: which
// columns are chosen, and that the table answers exactly as before, row for row and in row order.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { serveWithEngine, type ServedEngine } from '../cli/test-harness';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile } from '../dashboards/schema';
import { openNativeEngine } from './checks/testing-engine';
import { runDashboardQueries, type LoadedDataset, type PanelRunState, type QueryEngine } from './dashboard-runner';
import { encodeInPlace } from './enum-columns';
import { Engine } from './engine/engine';
import { Sql, ident } from './sql';

let boot: NodeEngineBootstrap;
let engine: Engine;
const q = async (text: string) => (await engine.query(Sql.concat(text))).rows;
const types = async (table: string) => Object.fromEntries((await engine.describe(table)).map((c) => [c.name, c.type]));

beforeAll(async () => {
  boot = nodeBootstrap();
  engine = await Engine.start(boot);
});
afterAll(async () => {
  await engine.terminate();
  boot.dispose();
});

/**
 * 10,000 rows: a region of four values and NULLs, a city with quotes and one empty value, an id-like
 * name (one value per row), a code of 3,000 values (too many for 10,000 rows), a number.
 */
async function makeOrders(table: string): Promise<void> {
  await engine.exec(
    Sql.concat(
      'CREATE OR REPLACE TABLE ',
      ident(table),
      ` AS SELECT i AS id,
        CASE WHEN i % 10 = 9 THEN NULL WHEN i % 4 = 0 THEN 'EMEA' WHEN i % 4 = 1 THEN 'APAC' WHEN i % 4 = 2 THEN 'AMER' ELSE 'LATAM' END AS region,
        CASE WHEN i % 7 = 0 THEN '' WHEN i % 4 = 0 THEN 'O''Hare' WHEN i % 4 = 1 THEN 'Zürich' WHEN i % 4 = 2 THEN 'São Paulo' ELSE 'a "quoted" town' END AS city,
        'customer ' || i AS name,
        'code ' || (i % 3000) AS code,
        i * 1.5 AS amount
      FROM range(10000) t(i)`,
    ),
  );
}

describe('encodeInPlace', () => {
  it('stores the few-valued text columns as ENUMs, with the same rows in the same order', async () => {
    await makeOrders('orders');
    await engine.exec(Sql.concat('CREATE OR REPLACE TABLE before AS SELECT rowid AS r, * FROM orders'));
    const encoded = await encodeInPlace(engine, 'orders', ['region', 'city', 'name', 'code']);
    expect(encoded).toEqual(['region', 'city']);
    const after = await types('orders');
    expect(after.region).toMatch(/^ENUM\(/);
    expect(after.city).toMatch(/^ENUM\(/);
    expect(after.name).toBe('VARCHAR');
    expect(after.code).toBe('VARCHAR');
    // Read back as the corrected view reads it (text cast to VARCHAR): the same rows, row for row.
    const same = `SELECT rowid AS r, id, CAST(region AS VARCHAR) AS region, CAST(city AS VARCHAR) AS city, name, code, amount FROM orders`;
    expect(await q(`SELECT count(*) AS n FROM ((${same}) EXCEPT ALL (SELECT * FROM before))`)).toEqual([{ n: 0 }]);
    expect(await q(`SELECT count(*) AS n FROM ((SELECT * FROM before) EXCEPT ALL (${same}))`)).toEqual([{ n: 0 }]);
    expect(await q(`SELECT count(*) AS n, count(region) AS regions, count(*) FILTER (WHERE city = '') AS empty FROM orders`)).toEqual([{ n: 10000, regions: 9000, empty: 1429 }]);
    // A filter on an encoded column compares values, not codes.
    expect(await q(`SELECT count(*) AS n FROM orders WHERE CAST(city AS VARCHAR) = 'O''Hare'`)).toEqual(await q(`SELECT count(*) AS n FROM before WHERE city = 'O''Hare'`));
  });

  it('leaves a column as text when the whole table has more values than an ENUM holds', async () => {
    // The first 200,000 rows (the sample) have 3 values; the rest bring 70,000 more.
    await engine.exec(Sql.concat(`CREATE OR REPLACE TABLE wide AS SELECT CASE WHEN i < 200000 THEN 'v' || (i % 3) ELSE 'w' || i END AS tag, i FROM range(270000) t(i)`));
    expect(await encodeInPlace(engine, 'wide', ['tag'])).toEqual([]);
    expect((await types('wide')).tag).toBe('VARCHAR');
    expect(await q(`SELECT count(DISTINCT tag) AS n FROM wide`)).toEqual([{ n: 70003 }]);
  });

  it('does nothing once the table is no longer the current one, and drops the types of earlier loads of the name', async () => {
    await makeOrders('again');
    expect(await encodeInPlace(engine, 'again', ['region'], () => false)).toEqual([]);
    expect((await types('again')).region).toBe('VARCHAR');
    expect(await encodeInPlace(engine, 'again', ['region'])).toEqual(['region']);
    const first = await q(`SELECT type_name AS t FROM duckdb_types() WHERE starts_with(type_name, 'again (text ')`);
    expect(first).toHaveLength(1);
    // A new load of the same name, encoded: only its own type is left.
    await makeOrders('again');
    expect(await encodeInPlace(engine, 'again', ['region', 'city'])).toEqual(['region', 'city']);
    const now = (await q(`SELECT type_name AS t FROM duckdb_types() WHERE starts_with(type_name, 'again (text ') ORDER BY 1`)).map((r) => r.t);
    expect(now).toHaveLength(2);
    expect(now).not.toContain(first[0]?.t);
  });

  it('a sample that cannot be read leaves every column as text', async () => {
    await makeOrders('partial');
    expect(await encodeInPlace(engine, 'partial', ['region', 'missing'])).toEqual([]);
    // The sample query names every column: one that is missing fails it, and nothing is encoded.
    expect((await types('partial')).region).toBe('VARCHAR');
  });
});

describe("the runner encodes a CSV dataset's table after its panels drew, on DuckDB-WASM's Node build", () => {
  const EXAMPLES = path.join(__dirname, '..', 'dashboards', 'examples');
  let served: ServedEngine;
  let csvPath = '';
  let dir = '';

  beforeAll(async () => {
    // 60,000 demo orders as a CSV file (native DuckDB writes it). The Node build reads local files
    // only, so the engine makes the table through the source's view, as the CLI does; the app's
    // streamed load is checked end to end (e2e/text-sources.spec.ts).
    dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-enum-'));
    const file = path.join(dir, 'orders.csv');
    const native = await openNativeEngine();
    try {
      await native.run(`COPY (SELECT * FROM read_parquet('${path.join(EXAMPLES, 'data', 'orders.parquet')}') ORDER BY order_ts DESC LIMIT 60000) TO '${file}' (HEADER, DELIMITER ',')`);
    } finally {
      native.close();
    }
    csvPath = file;
    served = await serveWithEngine((_req, res) => res.writeHead(404).end(), [file]);
  }, 60_000);
  afterAll(async () => {
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const demoOverCsv = (): DashboardFile => {
    const loaded = loadDashboard(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8'));
    if (!loaded.ok) throw new Error(loaded.error.message);
    return { ...loaded.dashboard, sources: [{ kind: 'file', name: 'orders', path: 'data/orders.csv', format: 'csv' }] };
  };

  async function run(cache: Map<string, LoadedDataset>, textEncodingMinRows: number, explore?: (p: DashboardFile['panels'][number]) => undefined) {
    const panels: Record<string, PanelRunState> = {};
    const statements: string[] = [];
    const engine: QueryEngine = {
      exec: (sql) => (statements.push(sql.text), served.engine.exec(sql)),
      query: (sql) => (statements.push(sql.text), served.engine.query(sql)),
      describe: (t) => served.engine.describe(t),
    };
    await runDashboardQueries(
      engine,
      demoOverCsv(),
      { linkSource: async () => ({ urls: [csvPath], location: 'orders.csv' }), onDataset: () => {}, onPanel: (id, st) => (panels[id] = st) },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache, textEncodingMinRows, ...(explore ? { refine: explore } : {}) },
    );
    return { panels, statements };
  }
  const rowsOf = (st: PanelRunState | undefined) => (st?.status === 'ready' ? st.result.rows : st);

  it('the table stores few-valued text as ENUMs, and every panel shows what it showed from text', async () => {
    const plain = await run(new Map(), Number.POSITIVE_INFINITY);
    expect(plain.statements.some((s) => s.startsWith('ALTER TABLE'))).toBe(false);
    const text = Object.fromEntries((await served.engine.describe('ds_raw_orders')).map((c) => [c.name, c.type]));
    expect(text.region).toBe('VARCHAR');

    const cache = new Map<string, LoadedDataset>();
    const encoded = await run(cache, 1000);
    const types = Object.fromEntries((await served.engine.describe('ds_raw_orders')).map((c) => [c.name, c.type]));
    for (const column of ['region', 'country', 'city', 'channel', 'campaign', 'category']) expect(types[column], column).toMatch(/^ENUM\(/);
    expect(types.order_id).toBe('BIGINT');
    const entry = [...cache.values()][0];
    expect(await entry?.textEncoding).toEqual(['region', 'country', 'city', 'channel', 'campaign', 'category']);
    // The ALTERs come after the panels' queries: the panels did not wait for them.
    const firstAlter = encoded.statements.findIndex((s) => s.startsWith('ALTER TABLE'));
    const lastPanel = encoded.statements.findLastIndex((s) => s.includes('FROM "ds_orders"'));
    expect(firstAlter).toBeGreaterThan(lastPanel);
    expect(Object.keys(encoded.panels).sort()).toEqual(Object.keys(plain.panels).sort());
    for (const id of Object.keys(plain.panels)) expect(rowsOf(encoded.panels[id]), id).toEqual(rowsOf(plain.panels[id]));

    // A later run on the table in memory (a click) answers from it, and encodes nothing again.
    const again = await run(cache, 1000);
    expect(again.statements.some((s) => s.startsWith('ALTER TABLE') || s.startsWith('CREATE TYPE'))).toBe(false);
    for (const id of Object.keys(plain.panels)) expect(rowsOf(again.panels[id]), id).toEqual(rowsOf(plain.panels[id]));
  }, 60_000);
});
