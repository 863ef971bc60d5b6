// Loading a file to profile ("New from data…", a dropped file) through the runner's readable form,
// in the pinned engine (its Node build) over a real local HTTP server: JSON becomes rows, a bad JSON
// file fails with its line and column, and the open dashboard's view of a source with the same
// name is left alone, as are no staging relations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeEngineBootstrap } from '../cli/engine-node';
import { serveWithEngine, type ServedEngine } from '../cli/test-harness';
import type { Source } from '../dashboards/schema';
import { Engine } from './engine/engine';
import { loadProfileTable, profileTable } from './profile';
import { Sql, createViewAs, dropRelation, ident, readFile } from './sql';

const readFileQuery = (file: string) => Sql.concat('SELECT * FROM ', readFile([file], 'csv'));

const FILES: Record<string, Buffer> = {
  'sales.ndjson': Buffer.from('{"day": "2025-01-01", "region": "north", "amount": 1.5}\n{"day": "2025-01-02", "region": "south", "amount": 2}\n'),
  'broken.json': Buffer.from('{"day": "2025-01-01"}\n{"day": }\n'),
  'shops.csv': Buffer.from('shop,staff\nCaf\xe9 Ren\xe9,4\nB\xe4ckerei,12\n', 'latin1'),
  'stores.csv': Buffer.from('store,staff\nKöln,4\nZürich,12\n', 'utf8'),
};

let served: ServedEngine | undefined;
let base = '';
let boot: NodeEngineBootstrap;
let engine: Engine;
let dir = '';
let parquet = '';

beforeAll(async () => {
  // A Parquet file on disk (the Node build reads local files only), written by native DuckDB.
  dir = mkdtempSync(path.join(tmpdir(), 'northstar-profile-load-'));
  parquet = path.join(dir, 'orders.parquet');
  const native = await DuckDBInstance.create(':memory:');
  const conn = await native.connect();
  await conn.run(`COPY (SELECT range AS order_id, 'r' || (range % 4) AS region, range * 1.5 AS amount FROM range(1000)) TO '${parquet}' (FORMAT PARQUET)`);
  conn.closeSync();
  native.closeSync();
  served = await serveWithEngine((req, res) => {
    const body = FILES[(req.url ?? '').slice(1)];
    if (body === undefined) res.writeHead(404).end('no such file');
    else res.writeHead(200, { 'Content-Length': String(body.length) }).end(body);
  }, [parquet]);
  ({ base, boot, engine } = served);
}, 60_000);

afterAll(async () => {
  await served?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const source = (name: string, file: string, format: 'json' | 'csv' = 'json'): Source => ({ kind: 'url', name, url: `${base}/${file}`, format });

/** The engine as the app has it; the Node build reads a registered name only once told (as the CLI does). */
const appEngine = () => ({
  exec: (sql: Sql) => engine.exec(sql),
  query: (sql: Sql) => engine.query(sql),
  describe: (table: string) => engine.describe(table),
  insertArrow: (name: string, ipc: Uint8Array) => engine.insertArrow(name, ipc),
  dropFile: (name: string) => engine.dropFile(name),
  registerFile: async (name: string, bytes: Uint8Array) => {
    boot.allowReading([name]);
    await engine.registerFile(name, bytes);
  },
});

describe('loadProfileTable', () => {
  it('profiles a JSON file, leaving the open dashboard view of the same name and no staging relation behind', async () => {
    // The open dashboard has a source "sales" of its own.
    await engine.exec(createViewAs('sales', Sql.concat('SELECT 42 AS mine')));
    await loadProfileTable(engine, 'instant_profile', source('sales', 'sales.ndjson'), { urls: [`${base}/sales.ndjson`], location: 'sales.ndjson' });
    const profile = await profileTable(engine, 'instant_profile');
    expect(profile.rows).toBe(2);
    expect(profile.columns.map((c) => [c.name, c.type])).toEqual([
      ['day', 'TIMESTAMP'],
      ['region', 'VARCHAR'],
      ['amount', 'DOUBLE'],
    ]);
    expect((await engine.query(Sql.concat('SELECT mine FROM ', ident('sales')))).rows).toEqual([{ mine: 42 }]);
    const left = await engine.query(Sql.concat("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'instant_profile%' OR table_name LIKE 'northstar_json_%' ORDER BY 1"));
    expect(left.rows).toEqual([{ table_name: 'instant_profile' }]);
  });

  it('profiles a Windows-1252 CSV converted to UTF-8, and frees the converted copy once the table holds the rows', async () => {
    await loadProfileTable(appEngine(), 'instant_profile', source('shops', 'shops.csv', 'csv'), { urls: [`${base}/shops.csv`], location: 'shops.csv' });
    const rows = await engine.query(Sql.concat('SELECT shop, staff FROM ', ident('instant_profile'), ' ORDER BY staff'));
    expect(rows.rows).toEqual([
      { shop: 'Café René', staff: 4 },
      { shop: 'Bäckerei', staff: 12 },
    ]);
    await expect(engine.query(readFileQuery('northstar-text/instant_profile_source/0/shops.csv'))).rejects.toThrow();
  });

  it('profiles a UTF-8 CSV from its bytes as they download (the engine never reads its URL), and frees them', async () => {
    const registered: string[] = [];
    const statements: string[] = [];
    const recording = {
      ...appEngine(),
      exec: (sql: Sql) => (statements.push(sql.text), engine.exec(sql)),
      query: (sql: Sql) => (statements.push(sql.text), engine.query(sql)),
      registerFile: async (name: string, bytes: Uint8Array) => (registered.push(name), appEngine().registerFile(name, bytes)),
    };
    const size = (FILES['stores.csv'] as Buffer).length;
    // This engine (the Node build) cannot read an HTTP URL: only the copy can give it the rows.
    await loadProfileTable(recording, 'instant_profile', source('stores', 'stores.csv', 'csv'), { urls: [`${base}/stores.csv`], location: 'stores.csv', sizeBytes: size });
    expect((await engine.query(Sql.concat('SELECT store, staff FROM ', ident('instant_profile'), ' ORDER BY staff'))).rows).toEqual([
      { store: 'Köln', staff: 4 },
      { store: 'Zürich', staff: 12 },
    ]);
    expect(registered).toHaveLength(1);
    expect(statements.some((sql) => sql.includes(base))).toBe(false);
    expect(statements).toContainEqual(expect.stringMatching(/^CREATE OR REPLACE TABLE "instant_profile \(loading [0-9a-f]{8}\)" AS SELECT \* FROM read_csv_auto\('northstar-csv-[0-9a-f-]+\/0\/stores\.csv'\)$/));
    await expect(engine.query(readFileQuery(registered[0] as string))).rejects.toThrow();
  });

  it('fails on bad JSON with the runner message: the file, the line and the column', async () => {
    await expect(loadProfileTable(engine, 'instant_profile', source('broken', 'broken.json'), { urls: [`${base}/broken.json`], location: 'data/broken.json' })).rejects.toThrow(
      /^data\/broken\.json is not valid JSON at line 2, column 9: .+\.$/,
    );
  });

  it('leaves Parquet files too large for the budget where they are: the profile and the scan read them through a view', async () => {
    const orders: Source = { kind: 'file', name: 'orders', path: 'orders.parquet', format: 'parquet' };
    const found = { urls: [parquet], location: 'orders.parquet' };
    const kind = async () => (await engine.query(Sql.concat("SELECT table_type FROM information_schema.tables WHERE table_name = 'instant_profile'"))).rows.map((r) => r.table_type);
    // The footers say ~20 KB once loaded: a 1 KB budget leaves the file on disk.
    expect(await loadProfileTable(engine, 'instant_profile', orders, found, { budgetBytes: 1024 })).toEqual({ relation: 'view' });
    expect(await kind()).toEqual(['VIEW']);
    const profile = await profileTable(engine, 'instant_profile');
    expect(profile.rows).toBe(1000);
    expect(profile.columns.map((c) => [c.name, c.distinct])).toEqual([
      ['order_id', 1000],
      ['region', 4],
      ['amount', 1000],
    ]);
    // Within the budget, the same name becomes a table again (the view is replaced, not in the way).
    expect(await loadProfileTable(engine, 'instant_profile', orders, found)).toEqual({ relation: 'table' });
    expect(await kind()).toEqual(['BASE TABLE']);
    await engine.exec(dropRelation('instant_profile', 'table'));
    expect(await kind()).toEqual([]);
    await loadProfileTable(engine, 'instant_profile', orders, found, { budgetBytes: 1024 });
    await engine.exec(dropRelation('instant_profile', 'view'));
    expect(await kind()).toEqual([]);
  });
});
