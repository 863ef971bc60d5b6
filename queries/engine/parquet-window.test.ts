// A file of some row groups (windowFile) against the whole file, read by native DuckDB and by the
// pinned DuckDB-WASM (its Node build): the rows of the window are the same, and nothing else is there.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../../cli/engine-node';
import { Sql } from '../sql';
import { Engine } from './engine';
import { groupsFrom, timeStatistics, windowFile, windowFooterFile } from './parquet-window';
import { parseParquetFooter } from './prefetch';

const DEMO = path.join(__dirname, '..', '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const DAY = 86_400_000;

let dir: string;
let native: DuckDBInstance;
let conn: DuckDBConnection;
let boot: NodeEngineBootstrap;
let engine: Engine;

async function nativeRows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

function footerOf(file: Uint8Array): Uint8Array {
  const n = file.length;
  const length = new DataView(file.buffer, file.byteOffset + n - 8, 4).getUint32(0, true);
  return file.subarray(n - 8 - length, n - 8);
}

/** Write `bytes` under `name` in the test folder, for native DuckDB. */
function put(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'northstar-window-'));
  native = await DuckDBInstance.create(':memory:');
  conn = await native.connect();
  // Time-ordered rows in many row groups (as the demo data), in three timestamp units, a nested
  // column, text with a dictionary, and NULL times in the middle.
  for (const [name, type] of [['ms', 'TIMESTAMP_MS'], ['us', 'TIMESTAMP'], ['ns', 'TIMESTAMP_NS']] as const) {
    await conn.run(
      `COPY (SELECT i AS id, CASE WHEN i % 1000 = 7 THEN NULL ELSE CAST(TIMESTAMP '2025-01-01' + to_milliseconds(i * 60000) AS ${type}) END AS ts,
               'city ' || (i % 37) AS city, {'x': i, 'y': i % 5} AS point, (i * 7919) % 100003 AS amount
             FROM range(200000) r(i)) TO '${path.join(dir, `${name}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`,
    );
  }
  boot = nodeBootstrap();
  boot.allowReading(['window.parquet', 'whole.parquet', 'window-direct.parquet', 'northstar-window-test/orders.parquet']);
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
  conn?.closeSync();
  native?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('timeStatistics', () => {
  it("reads each row group's min and max of a timestamp column in its unit, as DuckDB reads them", async () => {
    for (const [name, units] of [['ms', 1n], ['us', 1000n], ['ns', 1_000_000n]] as const) {
      const file = path.join(dir, `${name}.parquet`);
      const stats = timeStatistics(footerOf(new Uint8Array(readFileSync(file))), 'ts');
      expect(stats?.unitsPerMs).toBe(units);
      const meta = await nativeRows(
        `SELECT row_group_num_rows AS rows, epoch_ms(CAST(stats_min_value AS TIMESTAMP)) AS lo, epoch_ms(CAST(stats_max_value AS TIMESTAMP)) AS hi FROM parquet_metadata('${file}') WHERE path_in_schema = 'ts' ORDER BY row_group_id`,
      );
      expect(stats?.groups.map((g) => [g.rows, Number((g.min as bigint) / units), Number((g.max as bigint) / units)])).toEqual(meta.map((r) => [Number(r.rows), Number(r.lo), Number(r.hi)]));
    }
  });

  it('is null for a column that is not an INT64 timestamp at the top level', () => {
    const file = new Uint8Array(readFileSync(path.join(dir, 'us.parquet')));
    for (const column of ['city', 'id', 'point', 'x', 'missing']) expect(timeStatistics(footerOf(file), column)).toBeNull();
    expect(timeStatistics(footerOf(new Uint8Array(readFileSync(DEMO))), 'order_ts')).not.toBeNull();
  });
});

describe('windowFile', () => {
  it('holds exactly the rows of the kept row groups, the same as the whole file has there', async () => {
    for (const name of ['ms', 'us', 'ns']) {
      const whole = new Uint8Array(readFileSync(path.join(dir, `${name}.parquet`)));
      const stats = timeStatistics(footerOf(whole), 'ts');
      if (!stats) throw new Error('no statistics');
      const from = Date.UTC(2025, 3, 20, 13, 7);
      const keep = groupsFrom(stats, from);
      // Row groups ending before the instant are left out, and only those.
      expect(keep.length).toBeGreaterThan(0);
      expect(keep.length).toBeLessThan(stats.groups.length);
      expect(keep).toEqual(stats.groups.map((_, i) => i).slice(stats.groups.length - keep.length));
      const window = put(`${name}-window.parquet`, windowFile(whole, footerOf(whole), keep, null));
      const original = path.join(dir, `${name}.parquet`);
      const rowsFrom = `WHERE ts >= epoch_ms(${from})`;
      const ask = (f: string, where: string) => nativeRows(`SELECT count(*) AS n, count(ts) AS t, sum(amount) AS s, max(id) AS m, count(DISTINCT city) AS c, sum(point.y) AS y FROM '${f}' ${where}`);
      expect(await ask(window, rowsFrom)).toEqual(await ask(original, rowsFrom));
      // Nothing but the kept row groups: their rows, in order, and the footer's count agrees.
      const before = stats.groups.slice(0, keep[0]).reduce((n, g) => n + g.rows, 0);
      const kept = keep.reduce((n, i) => n + (stats.groups[i]?.rows ?? 0), 0);
      expect(await nativeRows(`SELECT count(*) AS n, min(id) AS lo FROM '${window}'`)).toEqual([{ n: BigInt(kept), lo: BigInt(before) }]);
      expect(await nativeRows(`SELECT id FROM '${window}' LIMIT 3`)).toEqual([0, 1, 2].map((k) => ({ id: BigInt(before + k) })));
    }
  });

  it('of no row groups is an empty file with the same columns (a file of a dataset whose rows are all older)', async () => {
    const whole = new Uint8Array(readFileSync(path.join(dir, 'us.parquet')));
    const empty = put('empty-window.parquet', windowFile(whole, footerOf(whole), [], null));
    expect(await nativeRows(`SELECT count(*) AS n FROM '${empty}'`)).toEqual([{ n: 0n }]);
    const columns = async (f: string) => (await nativeRows(`DESCRIBE SELECT * FROM '${f}'`)).map((r) => [r.column_name, r.column_type]);
    expect(await columns(empty)).toEqual(await columns(path.join(dir, 'us.parquet')));
    // Read together with another file's window, as a dataset of several files is.
    const other = put('other-window.parquet', windowFile(whole, footerOf(whole), [3], null));
    expect(await nativeRows(`SELECT count(*) AS n FROM read_parquet(['${empty}', '${other}'])`)).toEqual([{ n: BigInt(timeStatistics(footerOf(whole), 'ts')?.groups[3]?.rows ?? -1) }]);
  });

  it('reads the same in DuckDB-WASM, over the fetched columns only, and fails on a column not fetched', async () => {
    const whole = new Uint8Array(readFileSync(DEMO));
    const parsed = parseParquetFooter(whole, whole.length);
    const stats = timeStatistics(footerOf(whole), 'order_ts');
    if (!stats) throw new Error('no statistics');
    const newest = Number((stats.groups.reduce((m, g) => (g.max !== null && g.max > m ? g.max : m), 0n) as bigint) / stats.unitsPerMs);
    const from = Math.floor(newest / DAY) * DAY - 59 * DAY;
    const keep = groupsFrom(stats, from);
    // As a projection's fetch leaves them: only the chosen columns' chunks are there, zeros elsewhere.
    const columns = ['order_ts', 'amount', 'region', 'customer_id'];
    const fetched = new Uint8Array(whole.length);
    for (const c of parsed.chunks) if (columns.includes(c.column)) fetched.set(whole.subarray(c.start, c.start + c.length), c.start);
    fetched.set(footerOf(whole), parsed.footerStart);
    const window = windowFile(fetched, footerOf(whole), keep, columns);
    expect(window.length).toBeLessThan(whole.length);
    await engine.registerFile('window.parquet', window);
    await engine.registerFile('whole.parquet', whole.slice());
    const ask = (f: string) =>
      engine.query(Sql.concat(`SELECT count(*) AS n, sum(amount) AS s, count(DISTINCT customer_id) AS c, min(region) AS r, max(order_ts) AS t FROM read_parquet('${f}') WHERE order_ts >= epoch_ms(${from})` as never));
    const [inWindow, inWhole] = [await ask('window.parquet'), await ask('whole.parquet')];
    expect(inWindow.rows).toEqual(inWhole.rows);
    expect(Number(inWindow.rows[0]?.n)).toBeGreaterThan(0);
    // A column that was not fetched is not read as zeros: the read fails.
    await expect(engine.query(Sql.concat(`SELECT sum(quantity) AS q FROM read_parquet('window.parquet')` as never))).rejects.toThrow();
    await engine.dropFile('window.parquet');
    await engine.dropFile('whole.parquet');
  });

  it("has a footer-only file that DuckDB describes and counts as the window's, and a view made over it reads the window once its bytes take the name", async () => {
    const whole = new Uint8Array(readFileSync(DEMO));
    const stats = timeStatistics(footerOf(whole), 'order_ts');
    if (!stats) throw new Error('no statistics');
    const keep = groupsFrom(stats, Date.UTC(2025, 10, 1));
    expect(keep.length).toBeGreaterThan(0);
    expect(keep.length).toBeLessThan(stats.groups.length);
    const columns = ['order_ts', 'amount', 'region'];
    const window = windowFile(whole, footerOf(whole), keep, columns);
    const footerOnly = windowFooterFile(footerOf(whole), keep, whole.length);
    expect(footerOnly.length).toBeLessThan(window.length / 10);
    // Native DuckDB: its columns and rows (from the footer) are the window's; its values cannot be read.
    const [w, f] = [put('demo-window.parquet', window), put('demo-window-footer.parquet', footerOnly)];
    const facts = async (file: string) => ({ columns: await nativeRows(`DESCRIBE SELECT * FROM '${file}'`), rows: await nativeRows(`SELECT count(*) AS n FROM '${file}'`) });
    expect(await facts(f)).toEqual(await facts(w));
    // Every value lies past its end: a read fails, for a column fetched and for one not; what the
    // statistics answer is the window's.
    await expect(nativeRows(`SELECT sum(amount) AS s FROM '${f}'`)).rejects.toThrow();
    await expect(nativeRows(`SELECT order_id FROM '${f}' LIMIT 1`)).rejects.toThrow();
    expect(await nativeRows(`SELECT max(order_ts) AS t FROM '${f}'`)).toEqual(await nativeRows(`SELECT max(order_ts) AS t FROM '${w}'`));
    // DuckDB-WASM: a view made over the footer under the window's name reads the window's values
    // once its bytes are registered under that name instead.
    const name = 'northstar-window-test/orders.parquet';
    const sum = Sql.concat(`SELECT count(*) AS n, sum(amount) AS s, min(region) AS r FROM `);
    await engine.registerFile(name, footerOnly.slice());
    await engine.exec(Sql.concat(`CREATE OR REPLACE VIEW window_view AS SELECT order_ts, amount, region FROM read_parquet('${name}')` as never));
    await engine.dropFile(name);
    await engine.registerFile(name, window.slice());
    await engine.registerFile('window-direct.parquet', window.slice());
    const viaView = await engine.query(Sql.concat(sum, 'window_view'));
    const direct = await engine.query(Sql.concat(sum, `read_parquet('window-direct.parquet')` as never));
    expect(viaView.rows).toEqual(direct.rows);
    expect(Number(viaView.rows[0]?.n)).toBe(keep.reduce((n, i) => n + (stats.groups[i]?.rows ?? 0), 0));
    await engine.exec(Sql.concat('DROP VIEW window_view'));
    await engine.dropFile(name);
    await engine.dropFile('window-direct.parquet');
  });
});
