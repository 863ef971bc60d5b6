// The row cap on the pinned DuckDB-WASM (its Node build: the app's wasm and Engine wrapper), with a
// real hostile file: dashboards/testdata/hostile/two-billion-rows.parquet, 2,000,000,000 rows of one
// constant boolean column written by native DuckDB (see SECURITY.md for how it was made).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { queryNative } from '../e2e/oracle';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile } from '../dashboards/schema';
import { runDashboardQueries, type DatasetRunState } from './dashboard-runner';
import { Engine } from './engine/engine';
import { guardParquetFiles, MAX_DATASET_ROWS, TooManyRows } from './load-guard';
import { Sql } from './sql';

const ROOT = path.join(__dirname, '..');
const HOSTILE = path.join(ROOT, 'dashboards/testdata/hostile/two-billion-rows.parquet');
const DEMO = path.join(ROOT, 'dashboards/examples/data/orders.parquet');

let boot: NodeEngineBootstrap;
let engine: Engine;

beforeAll(async () => {
  boot = nodeBootstrap();
  boot.allowReading([HOSTILE, DEMO]);
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
});

async function refusal(p: Promise<unknown>): Promise<TooManyRows> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TooManyRows);
    return err as TooManyRows;
  }
  throw new Error('expected TooManyRows');
}

describe('the hostile file', () => {
  it('is tiny and really declares 2 billion rows (native DuckDB, an independent reader, agrees)', async () => {
    expect(statSync(HOSTILE).size).toBeLessThan(64 * 1024);
    const [row] = await queryNative(HOSTILE, 'SELECT count(*) AS n, bool_and(flag) AS all_true FROM (SELECT * FROM orders LIMIT 1000)');
    expect(row).toEqual({ n: 1000, all_true: true });
    const [meta] = await queryNative(HOSTILE, `SELECT sum(row_group_num_rows) AS n FROM (SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${HOSTILE}'))`);
    expect(Number(meta?.n)).toBe(2_000_000_000);
  });
});

describe('guardParquetFiles', () => {
  it('refuses the hostile file from its metadata, naming the file, its rows and the cap; the engine keeps answering', async () => {
    const err = await refusal(guardParquetFiles(engine, [HOSTILE], 'data/two-billion-rows.parquet'));
    expect(err.rows).toBe(2_000_000_000);
    expect(err.cap).toBe(MAX_DATASET_ROWS);
    expect(err.message).toBe(
      'data/two-billion-rows.parquet declares 2,000,000,000 rows in its Parquet metadata, more than the 500,000,000 rows a dataset may have in Northstar ' +
        '(its query engine has at most 4 GiB of memory), so Northstar does not load it. Filter or aggregate it into a smaller file first.',
    );
    expect((await engine.query(Sql.concat('SELECT 42 AS "answer"'))).rows).toEqual([{ answer: 42 }]);
  });

  it('lets a file under the cap through with its row count, the one native DuckDB counts', async () => {
    const [native] = await queryNative(DEMO, 'SELECT count(*) AS n FROM orders');
    const facts = await guardParquetFiles(engine, [DEMO], 'data/orders.parquet');
    expect(facts.rows).toBe(Number(native?.n));
    // ...and its estimated size in memory, read in the same pass (more than the file, far below a GiB).
    expect(facts.estimateBytes).toBeGreaterThan(statSync(DEMO).size);
    expect(facts.estimateBytes).toBeLessThan(1024 ** 3);
  });

  it('sums the files of a glob, and names the biggest when their sum is above the cap', async () => {
    const err = await refusal(guardParquetFiles(engine, [DEMO, HOSTILE], 'data/*.parquet'));
    expect(err.rows).toBe(2_000_000_000 + 400_904);
    expect(err.message).toContain('the 2 files of data/*.parquet declare 2,000,400,904 rows in their Parquet metadata (the most, 2,000,000,000, in ');
    expect(err.message).toContain('two-billion-rows.parquet)');
    // At exactly the cap a source still loads: the cap is the most a dataset may have.
    expect((await guardParquetFiles(engine, [DEMO], 'data/orders.parquet', 400_904)).rows).toBe(400_904);
    await refusal(guardParquetFiles(engine, [DEMO], 'data/orders.parquet', 400_903));
  });
});

describe('a dashboard over the hostile file', () => {
  it("fails that dataset with the refusal before loading it; the other dataset loads", { timeout: 120_000 }, async () => {
    const loaded = loadDashboard(readFileSync(path.join(ROOT, 'dashboards/examples/customer-kpis.dashboard.json'), 'utf8'));
    if (!loaded.ok) throw new Error(loaded.error.message);
    // The demo's envelope, with two sources: the hostile file and the demo data.
    const dashboard: DashboardFile = {
      ...loaded.dashboard,
      sources: [
        { kind: 'file', name: 'huge', path: 'two-billion-rows.parquet', format: 'parquet' },
        { kind: 'file', name: 'orders', path: 'orders.parquet', format: 'parquet' },
      ],
      datasets: [
        { kind: 'table', name: 'huge', source: 'huge', label: 'Huge', dimensions: [], hierarchies: [], measures: [] },
        { kind: 'table', name: 'orders', source: 'orders', label: 'Orders', dimensions: [], hierarchies: [], measures: [] },
      ],
      panels: [],
      layout: [],
      checks: [],
      corrections: [],
      filters: [],
      views: [],
    } as DashboardFile;
    const states = new Map<string, DatasetRunState>();
    await runDashboardQueries(
      engine,
      dashboard,
      {
        linkSource: async (source) => {
          const file = source.name === 'huge' ? HOSTILE : DEMO;
          return { urls: [file], location: source.kind === 'file' ? source.path : file, sizeBytes: statSync(file).size };
        },
        onDataset: (name, state) => states.set(name, state),
        onPanel: () => {},
      },
      { trusted: true, now: Date.UTC(2026, 0, 1), memoryBudgetBytes: 2 * 1024 ** 3 },
    );
    expect(states.get('huge')).toMatchObject({ status: 'error', message: expect.stringContaining('two-billion-rows.parquet declares 2,000,000,000 rows') });
    expect(states.get('orders')).toMatchObject({ status: 'ready', rowCount: 400_904 });
  });
});
