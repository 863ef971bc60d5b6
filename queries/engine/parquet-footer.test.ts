// The row count and footer statistics read in JS (parquet-footer.ts) against what the pinned
// DuckDB-WASM's parquet_metadata and count(*) answer over the same files: equal wherever JS
// answers, and JS declines (the engine is asked) wherever it cannot read them exactly.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../../cli/engine-node';
import { footerStatisticsQuery, probeFooters } from '../bytes-first';
import { Sql, readFile } from '../sql';
import { Engine } from './engine';
import { footerColumnTypes, footerMetadata, footerRowCount, footerStatistics, readFooterColumns } from './parquet-footer';
import { footerOnlyFile } from './prefetch';

const DEMO = path.join(__dirname, '..', '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const CORPUS = path.resolve(__dirname, '../../../shared/data/parquet-testing/data');
const CORPUS_FILES = ['alltypes_plain.parquet', 'alltypes_tiny_pages.parquet', 'alltypes_dictionary.parquet', 'int32_with_null_pages.parquet', 'delta_binary_packed.parquet', 'datapage_v2.snappy.parquet', 'alltypes_plain.snappy.parquet', 'repeated_no_annotation.parquet', 'nested_lists.snappy.parquet', 'int32_decimal.parquet', 'int64_decimal.parquet', 'data_index_bloom_encoding_stats.parquet', 'nulls.snappy.parquet'];
const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;

let dir: string;
let boot: NodeEngineBootstrap;
let engine: Engine;
let registered = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'northstar-footer-'));
  const native = await DuckDBInstance.create(':memory:');
  const conn = await native.connect();
  await conn.run('SET threads = 1');
  // Written by native DuckDB (an independent writer): three row groups of 2,048 rows, negative and
  // huge integers, every integer width, unsigned and decimal columns, four timestamp kinds, and a
  // first row group whose "partly_null" and "ts_late" are all NULL (no statistics there).
  const select = `SELECT i AS "id", CAST(i % 100 - 50 AS TINYINT) AS "i8", CAST(i - 3000 AS SMALLINT) AS "i16", CAST(i * -7 AS INTEGER) AS "i32",
      CAST(i AS BIGINT) * -1000000007 AS "i64", 9007199254740993 + i AS "huge", CAST(i AS UINTEGER) AS "u32", CAST(i AS DECIMAL(9,0)) AS "dec",
      CASE WHEN i >= 2048 THEN i END AS "partly_null",
      TIMESTAMP '1969-12-31 23:59:00' + to_microseconds(i * 1000001) AS "ts_us", CAST(TIMESTAMP '2024-01-01' + to_minutes(i) AS TIMESTAMP_MS) AS "ts_ms",
      CAST(TIMESTAMP '2024-01-01' + to_minutes(i) AS TIMESTAMP_NS) AS "ts_ns", CAST(TIMESTAMP '2024-01-01' + to_minutes(i) AS TIMESTAMPTZ) AS "ts_tz",
      CASE WHEN i >= 2048 THEN TIMESTAMP '2024-01-01' + to_minutes(i) END AS "ts_late"
    FROM range(6144) AS t(i) ORDER BY i`;
  await conn.run(`COPY (${select}) TO '${path.join(dir, 'all.parquet')}' (FORMAT PARQUET, ROW_GROUP_SIZE 2048)`);
  await conn.run(`COPY (SELECT * FROM (${select}) WHERE id < 3000) TO '${path.join(dir, 'part-1.parquet')}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000)`);
  await conn.run(`COPY (SELECT * FROM (${select}) WHERE id >= 3000) TO '${path.join(dir, 'part-2.parquet')}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000)`);
  // Every type footerColumnTypes reads, and some it leaves to the engine.
  await conn.run(
    `COPY (SELECT i % 2 = 0 AS "b", CAST(i AS TINYINT) AS "i8", CAST(i AS SMALLINT) AS "i16", CAST(i AS INTEGER) AS "i32", CAST(i AS BIGINT) AS "i64",
      CAST(i AS FLOAT) AS "f", CAST(i AS DOUBLE) AS "d", 'v' || i AS "s", CAST('x' || i AS BLOB) AS "bl", TIMESTAMP '2024-01-01' + to_seconds(i) AS "ts",
      CAST(TIMESTAMP '2024-01-01' + to_seconds(i) AS TIMESTAMP_MS) AS "ts_ms" FROM range(100) AS t(i)) TO '${path.join(dir, 'simple.parquet')}' (FORMAT PARQUET)`,
  );
  await conn.run(
    `COPY (SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS "day", CAST(i AS DECIMAL(9,2)) AS "dec", [i] AS "list", {'a': i} AS "st", CAST(i AS UBIGINT) AS "u64", TIME '00:00:00' + to_seconds(i) AS "t", gen_random_uuid() AS "id"
      FROM range(10) AS t(i)) TO '${path.join(dir, 'other.parquet')}' (FORMAT PARQUET)`,
  );
  conn.closeSync();
  native.closeSync();
  boot = nodeBootstrap();
  boot.allowReading([...Array.from({ length: 128 }, (_, i) => `footer-test-${i}.parquet`), 'northstar-probe-test/year=2024/orders.parquet']);
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Register files' whole bytes with the engine, under fresh names. */
async function register(files: readonly Uint8Array[]): Promise<string[]> {
  const names: string[] = [];
  for (const bytes of files) {
    const name = `footer-test-${registered++}.parquet`;
    await engine.registerFile(name, bytes);
    names.push(name);
  }
  return names;
}

/** What the engine's parquet_metadata says over `names`, as statsFromFooters reads it (before any bitmap limit). */
async function engineStatistics(names: readonly string[], time: string | undefined, integers: readonly string[]) {
  const rows = (columns: string[]) => engine.query(footerStatisticsQuery(names, columns));
  let newest: number | null = null;
  if (time !== undefined) {
    const row = (await rows([time])).rows[0];
    if (row && Number(row.newest_known) === Number(row.groups)) newest = row.newest as number;
  }
  const bounds = new Map<string, { min: bigint; max: bigint }>();
  if (integers.length > 0)
    for (const row of (await rows([...integers])).rows)
      if (Number(row.min_known) === Number(row.groups) && Number(row.max_known) === Number(row.groups)) bounds.set(String(row.c), { min: BigInt(String(row.min)), max: BigInt(String(row.max)) });
  return { newest, bounds };
}

/** Each file's footer read for every column, the engine's DESCRIBE types, and its count(*). */
async function readBoth(paths: readonly string[]) {
  const bytes = paths.map((p) => new Uint8Array(readFileSync(p)));
  // Copied: registering hands the bytes to the engine's worker.
  const metadata = bytes.map((b) => (footerMetadata(b) as Uint8Array).slice());
  const names = await register(bytes);
  const from = readFile(names, 'parquet');
  const described = (await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', from))).rows.map((r) => [String(r.column_name), String(r.column_type)] as const);
  const types = new Map(described);
  const footers = metadata.map((m) => readFooterColumns(m, null));
  const count = Number((await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', from))).rows[0]?.n);
  return { names, types, footers, count };
}

describe('footerStatistics and footerRowCount', () => {
  it('read the newest time and integer bounds exactly as parquet_metadata gives them, in one file or several', async () => {
    for (const files of [['all.parquet'], ['part-1.parquet', 'part-2.parquet']]) {
      const { names, types, footers, count } = await readBoth(files.map((f) => path.join(dir, f)));
      expect(footerRowCount(footers)).toBe(count);
      expect(count).toBe(6144);
      const signed = ['id', 'i8', 'i16', 'i32', 'i64', 'huge', 'partly_null'];
      for (const time of ['ts_us', 'ts_ms', 'ts_late']) {
        const js = footerStatistics(footers, types, { time, integers: signed });
        expect(js, `${files} ${time}`).not.toBeNull();
        expect(js, `${files} ${time}`).toEqual(await engineStatistics(names, time, signed));
      }
      // Negative values, every width, and a column one row group has no statistics for.
      const js = footerStatistics(footers, types, { time: 'ts_us', integers: signed });
      expect(js?.bounds.get('i64')).toEqual({ min: -6143n * 1000000007n, max: 0n });
      expect(js?.bounds.get('i8')).toEqual({ min: -50n, max: 49n });
      expect(js?.bounds.has('partly_null')).toBe(false);
      expect(js?.newest).toBe(Math.trunc((-60_000_000 + 6143 * 1000001) / 1000));
      expect(footerStatistics(footers, types, { time: 'ts_late', integers: [] })?.newest).toBeNull();
    }
  }, 60_000);

  it('decline what they cannot read exactly: unsigned, decimal and absent columns, nanosecond and zoned times', async () => {
    const { types, footers } = await readBoth([path.join(dir, 'all.parquet')]);
    for (const integers of [['u32'], ['dec'], ['not_a_column']]) expect(footerStatistics(footers, types, { integers }), integers[0]).toBeNull();
    for (const time of ['ts_ns', 'ts_tz', 'id']) expect(footerStatistics(footers, types, { time, integers: [] }), time).toBeNull();
  }, 60_000);

  it('agree with the engine, or decline, over the demo data and the parquet-testing corpus (legacy, nested, decimal files)', async () => {
    let answered = 0;
    for (const file of [DEMO, ...CORPUS_FILES.map((f) => path.join(CORPUS, f))]) {
      const { names, types, footers, count } = await readBoth([file]);
      const rows = footerRowCount(footers);
      if (rows !== null) expect(rows, file).toBe(count);
      const time = [...types].find(([, t]) => t === 'TIMESTAMP')?.[0];
      const integers = [...types].filter(([, t]) => INTEGER.test(t)).map(([c]) => c);
      const asks: { time?: string; integers: string[] }[] = [{ ...(time ? { time } : {}), integers }, ...integers.map((c) => ({ integers: [c] }))];
      for (const ask of asks) {
        const js = footerStatistics(footers, types, ask);
        if (js === null) continue;
        answered++;
        expect(js, `${file} ${JSON.stringify(ask)}`).toEqual(await engineStatistics(names, ask.time, ask.integers));
      }
    }
    // The demo's time and id columns, and the corpus's plain integer columns, are read here.
    expect(answered).toBeGreaterThan(10);
    // A legacy nested file declares 0 rows and holds 6: the engine counts it.
    const legacy = await readBoth([path.join(CORPUS, 'repeated_no_annotation.parquet')]);
    expect(footerRowCount(legacy.footers)).toBeNull();
    expect(legacy.count).toBe(6);
  }, 60_000);
});

describe('footerColumnTypes', () => {
  it('gives the columns and types DESCRIBE gives, or declines, over files native DuckDB wrote, the demo data and the parquet-testing corpus', async () => {
    const named = (files: string[]) => files.map((f) => path.join(dir, f));
    let answered = 0;
    for (const files of [named(['simple.parquet']), named(['all.parquet']), named(['part-1.parquet', 'part-2.parquet']), named(['other.parquet']), [DEMO], ...CORPUS_FILES.map((f) => [path.join(CORPUS, f)])]) {
      const { types, footers } = await readBoth(files);
      const js = footerColumnTypes(footers);
      if (js === null) continue;
      answered++;
      expect(js, files.join(', ')).toEqual([...types].map(([name, type]) => ({ name, type })));
    }
    const simple = await readBoth(named(['simple.parquet']));
    expect(footerColumnTypes(simple.footers)?.map((c) => c.type)).toEqual(['BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'BLOB', 'TIMESTAMP', 'TIMESTAMP']);
    // Dates, decimals, lists, structs, unsigned, times and UUIDs, and zoned or nanosecond times, are the engine's to say.
    expect(footerColumnTypes((await readBoth(named(['other.parquet']))).footers)).toBeNull();
    expect(footerColumnTypes((await readBoth(named(['all.parquet']))).footers)).toBeNull();
    expect(answered).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe('probeFooters', () => {
  it('asks the engine nothing when the footers answer it all, and the same answers as when it asks', async () => {
    const whole = new Uint8Array(readFileSync(DEMO));
    // A footer-only file per probe, made first: registering hands bytes to the engine's worker.
    const [first, second] = [0, 1].map(() => footerOnlyFile(whole.subarray(whole.length - Math.min(whole.length, 256 * 1024)), whole.length));
    const asked: string[] = [];
    const recording = {
      registerFile: (name: string, bytes: Uint8Array) => engine.registerFile(name, bytes),
      dropFile: (name: string) => engine.dropFile(name),
      exec: (sql: Sql) => engine.exec(sql),
      query: (sql: Sql) => {
        asked.push(sql.text);
        return engine.query(sql);
      },
    } as unknown as Engine;
    const name = `footer-test-${registered++}.parquet`;
    const probe = await probeFooters(recording, [{ name, bytes: first as Uint8Array }], () => ({ time: 'order_ts', integers: ['customer_id'] }));
    expect(asked).toEqual([]);
    expect(probe.columns.map((c) => `${c.name} ${c.type}`)).toContain('order_ts TIMESTAMP');
    // What the engine answers over the whole file.
    const [wholeName] = await register([whole]);
    const from = readFile(wholeName as string, 'parquet');
    expect(probe.rows).toBe(Number((await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', from))).rows[0]?.n));
    const truth = await engineStatistics([wholeName as string], 'order_ts', ['customer_id']);
    expect(probe.stats?.newest).toBe(truth.newest);
    const bounds = truth.bounds.get('customer_id');
    expect(probe.stats?.bounds.get('customer_id')).toEqual({ min: Number(bounds?.min), max: Number(bounds?.max) });
    // A column the footers cannot answer for (a decimal) sends the statistics to the engine, with the same result shape.
    asked.length = 0;
    const viaEngine = await probeFooters(recording, [{ name: `footer-test-${registered++}.parquet`, bytes: second as Uint8Array }], () => ({ time: 'order_ts', integers: ['quantity', 'amount'] }));
    expect(asked.some((s) => s.includes('parquet_metadata'))).toBe(true);
    expect(viaEngine.stats?.newest).toBe(truth.newest);
    // Told not to read them in JS, it asks the engine all three questions, with the same answers.
    asked.length = 0;
    const third = footerOnlyFile(new Uint8Array(readFileSync(DEMO)).subarray(-256 * 1024), statSync(DEMO).size);
    const asking = await probeFooters(recording, [{ name: `footer-test-${registered++}.parquet`, bytes: third }], () => ({ time: 'order_ts', integers: ['customer_id'] }), { inJs: false });
    expect(asked.map((s) => s.split(' ')[0])).toEqual(['DESCRIBE', 'SELECT', 'SELECT']);
    expect(asking).toEqual(probe);
    // In a hive-style folder the folder's key is a column too: the engine is asked for the columns.
    asked.length = 0;
    const hive = footerOnlyFile(new Uint8Array(readFileSync(DEMO)).subarray(-256 * 1024), statSync(DEMO).size);
    const inFolder = await probeFooters(recording, [{ name: 'northstar-probe-test/year=2024/orders.parquet', bytes: hive }], () => ({ time: 'order_ts', integers: ['customer_id'] }));
    expect(asked.map((s) => s.split(' ')[0])).toEqual(['DESCRIBE']);
    expect(inFolder.columns).toEqual([...probe.columns, { name: 'year', type: 'BIGINT' }]);
    expect(inFolder.rows).toBe(probe.rows);
  }, 60_000);
});
