// Scan mode on a real engine: a dataset whose Parquet is estimated above the memory budget is a view
// over its source (read on every query), and its panels show exactly what a loaded one shows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile } from '../dashboards/schema';
import { openNativeEngine, type NativeEngine } from './checks/testing-engine';
import { runDashboardQueries, type DatasetRunState, type LoadedDataset, type PanelRunState, type RunOptions } from './dashboard-runner';
import { ResultCache } from './result-cache';
import { parseParquetFooter } from './engine/prefetch';
import { encodableColumns, loadedMemoryBytes } from './memory-estimate';
import { Sql, ident, parquetFileFacts, relationKind, str } from './sql';

const EXAMPLES = path.join(__dirname, '..', 'dashboards', 'examples');
const ORDERS = path.join(EXAMPLES, 'data', 'orders.parquet');

const demo = (): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
};

describe('scan mode', () => {
  let engine: NativeEngine;
  beforeAll(async () => {
    engine = await openNativeEngine();
  });
  afterAll(() => engine.close());

  async function run(dashboard: DashboardFile, opts: Partial<RunOptions> = {}) {
    const datasets: Record<string, DatasetRunState> = {};
    const panels: Record<string, PanelRunState> = {};
    const statements: string[] = [];
    await runDashboardQueries(
      {
        exec: (sql) => (statements.push(sql.text), engine.exec(sql)),
        query: (sql) => (statements.push(sql.text), engine.query(sql)),
        describe: (table) => engine.describe(table),
      },
      dashboard,
      {
        linkSource: async () => ({ urls: [ORDERS], location: ORDERS }),
        onDataset: (name, s) => (datasets[name] = s),
        onPanel: (id, s) => (panels[id] = s),
      },
      { trusted: true, now: Date.UTC(2026, 1, 1), ...opts },
    );
    const kind = String((await engine.query(relationKind('ds_raw_orders'))).rows[0]?.kind);
    return { datasets, panels, kind, statements };
  }
  // Sums of doubles differ in their last bits with the order rows are added in (a parallel scan of the
  // file vs. of the table): compare to 12 significant digits.
  const rounded = (v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v);
  const results = (panels: Record<string, PanelRunState>) =>
    Object.fromEntries(
      Object.entries(panels).map(([id, s]) => [id, s.status === 'ready' ? s.result.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, rounded(v)]))) : s]),
    );

  /** The files' estimated size in memory, summed (`parquetFileFacts`). */
  const estimated = async (urls: string[]) => (await engine.query(parquetFileFacts(urls))).rows.reduce((n, r) => n + Number(r.bytes), 0);

  it('estimates the demo data from its Parquet footers', async () => {
    const bytes = await estimated([ORDERS]);
    // Uncompressed column chunks: more than the 5.3 MB file, well below a GiB.
    expect(bytes).toBeGreaterThan(readFileSync(ORDERS).byteLength);
    expect(bytes).toBeLessThan(1024 ** 3);
    const twice = await estimated([ORDERS, ORDERS]);
    expect(twice).toBe(2 * bytes);
  });

  it('estimates about the memory the loaded table really takes (not the far smaller uncompressed chunk sizes)', async () => {
    const estimate = await estimated([ORDERS]);
    const uncompressed = Number((await engine.query(Sql.concat(Sql.raw`SELECT CAST(sum(total_uncompressed_size) AS DOUBLE) AS "b" FROM parquet_metadata(`, str(ORDERS), Sql.raw`)`))).rows[0]?.b);
    const used = async () => Number((await engine.query(Sql.raw`SELECT CAST(sum(memory_usage_bytes) AS DOUBLE) AS "b" FROM duckdb_memory()`)).rows[0]?.b);
    const before = await used();
    await engine.exec(Sql.concat(Sql.raw`CREATE TABLE estimate_probe AS SELECT * FROM read_parquet(`, str(ORDERS), Sql.raw`)`));
    const table = (await used()) - before;
    await engine.exec(Sql.raw`DROP TABLE estimate_probe`);
    // Native DuckDB's accounting of the same table: the estimate lands within a factor of 1.5 either way,
    // where the uncompressed sizes alone were several times too low.
    expect(estimate / table).toBeGreaterThan(1 / 1.5);
    expect(estimate / table).toBeLessThan(1.5);
    expect(uncompressed).toBeLessThan(estimate);
  });

  it('estimates the same from the footer the page parses before a fetch as from parquet_metadata()', async () => {
    const bytes = readFileSync(ORDERS);
    const footer = parseParquetFooter(new Uint8Array(bytes), bytes.byteLength);
    const sql = await estimated([ORDERS]);
    expect(footer.chunks.reduce((n, c) => n + c.memoryBytes, 0)).toBe(sql);
  });

  it('estimates a table whose few-valued text columns are ENUMs as about what such a table takes, and only from the row threshold on', async () => {
    const bytes = readFileSync(ORDERS);
    const footer = parseParquetFooter(new Uint8Array(bytes), bytes.byteLength);
    // The demo's text columns have dictionary pages of a few hundred bytes in every row group; no other column counts.
    expect([...encodableColumns(footer.chunks)].sort()).toEqual(['campaign', 'category', 'channel', 'city', 'country', 'region']);
    const plain = footer.chunks.reduce((n, c) => n + c.memoryBytes, 0);
    expect(loadedMemoryBytes(footer.chunks, footer.numRows)).toBe(plain); // the demo is below TEXT_ENCODING_MIN_ROWS
    const encodedEstimate = loadedMemoryBytes(footer.chunks, footer.numRows, 0);
    expect(encodedEstimate).toBeLessThan(plain * 0.75);
    // Native DuckDB's accounting of the table with those columns as ENUMs (as bytes-first.ts builds it).
    const used = async () => Number((await engine.query(Sql.raw`SELECT CAST(sum(memory_usage_bytes) AS DOUBLE) AS "b" FROM duckdb_memory()`)).rows[0]?.b);
    const columns = [...encodableColumns(footer.chunks)];
    for (const c of columns) await engine.exec(Sql.concat('CREATE TYPE ', ident(`probe ${c}`), ' AS ENUM (SELECT DISTINCT ', ident(c), ' FROM read_parquet(', str(ORDERS), ') WHERE ', ident(c), ' IS NOT NULL ORDER BY 1)'));
    const before = await used();
    const casts = Sql.join(columns.map((c) => Sql.concat('CAST(', ident(c), ' AS ', ident(`probe ${c}`), ') AS ', ident(c))));
    await engine.exec(Sql.concat('CREATE TABLE encoded_probe AS SELECT * REPLACE (', casts, ') FROM read_parquet(', str(ORDERS), ')'));
    const table = (await used()) - before;
    await engine.exec(Sql.raw`DROP TABLE encoded_probe`);
    for (const c of columns) await engine.exec(Sql.concat('DROP TYPE ', ident(`probe ${c}`)));
    expect(encodedEstimate / table).toBeGreaterThan(1 / 1.5);
    expect(encodedEstimate / table).toBeLessThan(1.5);
  });

  it('reads a dataset above the budget from disk, with the same panel results as loaded in memory', async () => {
    const dashboard = demo();
    const loaded = await run(dashboard, { memoryBudgetBytes: 1024 ** 3 });
    expect(loaded.kind).toBe('BASE TABLE');
    const ready = loaded.datasets.orders;
    expect(ready?.status === 'ready' && ready.scan).toBeUndefined();

    const scanned = await run(dashboard, { memoryBudgetBytes: 1024 * 1024 });
    expect(scanned.kind).toBe('VIEW');
    // The row guard and the memory estimate came from one read of the file's metadata, in both runs.
    for (const r of [loaded, scanned]) expect(r.statements.filter((q) => q.includes('parquet_metadata(')).length).toBe(1);
    const state = scanned.datasets.orders;
    if (state?.status !== 'ready') throw new Error(`orders not ready: ${JSON.stringify(state)}`);
    expect(state.scan?.budgetBytes).toBe(1024 * 1024);
    expect(state.scan?.estimateBytes).toBeGreaterThan(1024 * 1024);
    expect(state.rowCount).toBeGreaterThan(0);
    expect(Object.values(scanned.panels).filter((s) => s.status !== 'ready')).toEqual([]);
    expect(results(scanned.panels)).toEqual(results(loaded.panels));

    // And back to a table under a big budget (DuckDB replaces neither kind by the other: the view is dropped first).
    const again = await run(dashboard, { memoryBudgetBytes: 1024 ** 3 });
    expect(again.kind).toBe('BASE TABLE');
    expect(results(again.panels)).toEqual(results(loaded.panels));
  });

  it('loads every dataset without a budget, as before', async () => {
    const { kind, datasets } = await run(demo());
    expect(kind).toBe('BASE TABLE');
    expect(datasets.orders?.status === 'ready' && datasets.orders.scan).toBeUndefined();
  });

  it('keeps its caches right across budgets: a dataset loaded under one budget is not reused under another', async () => {
    const dashboard = demo();
    const cache = new Map<string, LoadedDataset>();
    const resultCache = new ResultCache();
    const inMemory = await run(dashboard, { cache, results: resultCache, memoryBudgetBytes: 1024 ** 3 });
    const fromDisk = await run(dashboard, { cache, results: resultCache, memoryBudgetBytes: 1024 });
    expect(fromDisk.kind).toBe('VIEW');
    expect(fromDisk.datasets.orders?.status === 'ready' && fromDisk.datasets.orders.scan?.budgetBytes).toBe(1024);
    expect(results(fromDisk.panels)).toEqual(results(inMemory.panels));
    // Served from the cache: still scan mode, still reported as such.
    const cached = await run(dashboard, { cache, results: resultCache, memoryBudgetBytes: 1024 });
    expect(cached.datasets.orders?.status === 'ready' && cached.datasets.orders.scan?.budgetBytes).toBe(1024);
    expect(results(cached.panels)).toEqual(results(inMemory.panels));
  });

  it('applies row corrections to a dataset read from disk, keep-one de-duplication included (by file order)', async () => {
    const base = demo();
    const corrected: DashboardFile = {
      ...base,
      corrections: [{ id: 'no_web', kind: 'exclude_rows', dataset: 'orders', params: { key: 'channel', values: ['web'] }, reason: 'test', author: 'test' }],
    };
    const loaded = await run(corrected, { memoryBudgetBytes: 1024 ** 3 });
    const scanned = await run(corrected, { memoryBudgetBytes: 1024 });
    const state = scanned.datasets.orders;
    if (state?.status !== 'ready') throw new Error('orders not ready');
    expect(state.corrections?.applied).toEqual(['no_web']);
    expect(results(scanned.panels)).toEqual(results(loaded.panels));

    const keepOne: DashboardFile = {
      ...base,
      corrections: [{ id: 'dedupe', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'test', author: 'test' }],
    };
    const dedupeLoaded = await run(keepOne, { memoryBudgetBytes: 1024 ** 3 });
    const dedupe = await run(keepOne, { memoryBudgetBytes: 1024 });
    const dd = dedupe.datasets.orders;
    if (dd?.status !== 'ready') throw new Error('orders not ready');
    expect(dd.scan).toBeDefined();
    expect(dd.corrections?.applied).toEqual(['dedupe']);
    expect(dd.corrections?.problems).toEqual([]);
    // The same rows survive as in memory: one per order id, fewer than loaded.
    const n = Number((await engine.query(Sql.raw`SELECT count(*) AS "n" FROM "ds_orders"`)).rows[0]?.n);
    const ids = Number((await engine.query(Sql.raw`SELECT count(DISTINCT order_id) AS "n" FROM "ds_orders"`)).rows[0]?.n);
    expect(n).toBe(ids);
    expect(n).toBeLessThan(dd.corrections?.rawRowCount ?? 0);
    expect(results(dedupe.panels)).toEqual(results(dedupeLoaded.panels));
  });
});
