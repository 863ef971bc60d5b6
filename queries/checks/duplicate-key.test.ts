import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sql } from '../sql';
import type { QueryEngine } from '../dashboard-runner';
import { createTable, openNativeEngine, runRule as runWhole, type NativeEngine } from './testing-engine';

// Hostile names: quotes, a keyword, spaces, punctuation.
const KEY = 'order "id"';
const TIME = 'select';
const REGION = 'region; DROP TABLE t; --';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  const day = (d: number, id: number) => [id, `2025-01-0${d} 10:00:00`, 'EMEA'];
  const clean = [day(1, 1), day(1, 2), day(2, 3), day(2, 4), day(3, 5), day(3, 6), day(4, 7)];
  await createTable(engine, 'clean', { [KEY]: 'BIGINT', [TIME]: 'TIMESTAMP', [REGION]: 'VARCHAR' }, clean);
  // Day 3 loaded twice: its two orders appear again.
  await createTable(engine, 'twice', { [KEY]: 'BIGINT', [TIME]: 'TIMESTAMP', [REGION]: 'VARCHAR' }, [...clean, day(3, 5), day(3, 6)]);
  await createTable(engine, 'nulls', { [KEY]: 'BIGINT', [TIME]: 'TIMESTAMP', [REGION]: 'VARCHAR' }, [...clean, [null, '2025-01-05 00:00:00', 'x'], [null, '2025-01-05 00:00:00', 'y']]);
});
afterAll(() => engine.close());

const COLUMNS = [KEY, TIME, REGION];

// Every case runs as one statement, and split: with at most 2 rows grouped a statement, each table
// here is read in slices of its keys' hash, and must give the same answers.
describe.each([
  { mode: 'in one statement', maxGroupRows: undefined },
  { mode: 'split into slices of the keys', maxGroupRows: 2 },
])('duplicate_key $mode', ({ maxGroupRows }) => {
  const runRule: typeof runWhole = (e, table, columns, rule, params, opts = {}) => runWhole(e, table, columns, rule, params, { ...opts, ...(maxGroupRows ? { maxGroupRows } : {}) });

  it('finds a day loaded twice: the repeated keys, with their own types, and the day they fall on', async () => {
    const r = await runRule(engine, 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME });
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(2);
    expect(r.message).toBe('2 repeated order "id" values (2 extra rows), all on 2025-01-03');
    expect(r.examples).toEqual([
      { key: { [KEY]: 5 }, rows: 2, days: ['2025-01-03'] },
      { key: { [KEY]: 6 }, rows: 2, days: ['2025-01-03'] },
    ]);
  });

  it('passes on unique keys', async () => {
    const r = await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME });
    expect(r.status).toBe('pass');
    expect(r.observed).toBe(0);
    expect(r.examples).toEqual([]);
  });

  it('does not count rows without a key as repeats', async () => {
    expect((await runRule(engine, 'nulls', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME })).status).toBe('pass');
  });

  it('takes a composite key, and works without a time column', async () => {
    const unique = await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: [REGION, KEY] });
    expect(unique.status).toBe('pass');
    const repeated = await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: [REGION] });
    expect(repeated.status).toBe('fail');
    expect(repeated.message).toBe(`1 repeated ${REGION} value (6 extra rows)`);
    expect(repeated.examples).toEqual([{ key: { [REGION]: 'EMEA' }, rows: 7, days: [] }]);
  });

  it('takes a timestamp key, whose slices are by the hash of its values too', async () => {
    // Every day's orders share their timestamp: days 1 and 2 two rows each, day 3 four (loaded twice).
    const r = await runRule(engine, 'twice', COLUMNS, 'duplicate_key', { key: TIME }, { timeColumn: TIME });
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(3);
    expect(r.examples.map((e) => [e.key, e.rows])).toEqual([
      [{ [TIME]: Date.UTC(2025, 0, 3, 10) }, 4],
      [{ [TIME]: Date.UTC(2025, 0, 1, 10) }, 2],
      [{ [TIME]: Date.UTC(2025, 0, 2, 10) }, 2],
    ]);
  });

  it('lists several days, most repeated keys first', async () => {
    await createTable(engine, 'spread', { id: 'INTEGER', ts: 'DATE' }, [
      [1, '2025-02-01'],
      [1, '2025-02-02'],
      [2, '2025-02-02'],
      [2, '2025-02-02'],
      [3, '2025-02-03'],
    ]);
    const r = await runRule(engine, 'spread', ['id', 'ts'], 'duplicate_key', { key: 'id' }, { timeColumn: 'ts' });
    expect(r.message).toBe('2 repeated id values (2 extra rows) on 2 days: 2025-02-02 (2), 2025-02-01 (1)');
    expect(r.examples).toContainEqual({ key: { id: 1 }, rows: 2, days: ['2025-02-01', '2025-02-02'] });
  });

  it('places the repeats in time for charts, day by day, only when asked and only when failing', async () => {
    const twice = await runRule(engine, 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME, affected: true });
    expect(twice.affected).toEqual({ timeColumn: TIME, spans: [{ from: '2025-01-03', to: '2025-01-03', note: '2 repeated order "id" values (4 rows)' }] });
    expect((await runRule(engine, 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME })).affected).toBeUndefined();
    expect((await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME, affected: true })).affected).toBeUndefined();
    // Without a time column the repeats have no days.
    expect((await runRule(engine, 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { affected: true })).affected).toBeUndefined();
  });

  it('says which param is wrong, and which column is missing', async () => {
    const badType = await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: 42 });
    expect(badType.status).toBe('error');
    expect(badType.message).toMatch(/^check "c1" \(duplicate_key\): param "key": /);
    const missing = await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: 'order_id' });
    expect(missing.status).toBe('error');
    expect(missing.message).toBe('check "c1" param "key": the data has no column "order_id"');
    const unknown = await runRule(engine, 'clean', COLUMNS, 'duplicate_key', { key: KEY, keys: 'x' });
    expect(unknown.message).toBe('check "c1" (duplicate_key): unknown param "keys"');
  });

  it('applies dbt-style thresholds to the count of repeated keys', async () => {
    const r = await runRule(engine, 'twice', COLUMNS, 'duplicate_key', { key: KEY, error_if: '>5', warn_if: '>1' }, { timeColumn: TIME });
    expect(r.status).toBe('warn');
    expect(r.expected).toBe('no repeated order "id" (error if >5, warn if >1)');
  });
});

describe('duplicate_key on a large table', () => {
  /** `native`, recording each statement's SQL, run or queried. */
  const recording = (statements: string[]): QueryEngine => ({
    exec: (sql) => (statements.push(sql.text), engine.exec(sql)),
    query: (sql) => (statements.push(sql.text), engine.query(sql)),
    describe: (table) => engine.describe(table),
  });

  it('groups a slice of the keys a statement, keeps only the repeated keys between them, and drops them after', async () => {
    const statements: string[] = [];
    const r = await runWhole(recording(statements), 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME, maxGroupRows: 4 });
    expect(r.message).toBe('2 repeated order "id" values (2 extra rows), all on 2025-01-03');
    // 9 rows counted, 4 a statement: 3 slices, then the judging query and the drop.
    expect(statements[0]).toMatch(/^SELECT \(SELECT count\(\*\) FROM "twice"\) AS "rows", .* FROM pragma_database_size\(\)/);
    expect(statements.slice(1, 4).map((s) => /^(CREATE TEMP TABLE|INSERT INTO) .* % 3::UBIGINT = (\d)/.exec(s)?.slice(1))).toEqual([
      ['CREATE TEMP TABLE', '0'],
      ['INSERT INTO', '1'],
      ['INSERT INTO', '2'],
    ]);
    expect(statements[5]).toMatch(/^DROP TABLE IF EXISTS "__northstar_repeated_keys_\d+"$/);
    expect(statements).toHaveLength(6);
    const left = await engine.query(Sql.raw`SELECT count(*) AS "n" FROM duckdb_tables() WHERE temporary`);
    expect(left.rows[0]?.n).toBe(0);
  });

  it('drops its table when the judging query fails, and says why the check could not run', async () => {
    const statements: string[] = [];
    const failing: QueryEngine = { ...recording(statements), query: (sql) => (sql.text.startsWith('WITH') ? Promise.reject(new Error('engine restarted')) : engine.query(sql)) };
    const r = await runWhole(failing, 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME, maxGroupRows: 4 });
    expect(r.status).toBe('error');
    expect(r.message).toBe('check "c1": engine restarted');
    expect(statements.at(-1)).toMatch(/^DROP TABLE/);
    const left = await engine.query(Sql.raw`SELECT count(*) AS "n" FROM duckdb_tables() WHERE temporary`);
    expect(left.rows[0]?.n).toBe(0);
  });

  it("splits by the engine's free memory too: a hash table of a slice's keys fits twice in it", async () => {
    const small = await openNativeEngine();
    try {
      await small.run("SET memory_limit = '64MB'");
      // 2M orders, the last 1,000 of them (ids 1,999,000 on: the day of id % 7, 2025-03-03 once fewer) loaded
      // again on 2025-03-09. The table holds some 20-30 MB of the 64: slices of a few 100,000 keys.
      await small.run('CREATE TABLE "orders" AS SELECT "range" AS "id", DATE \'2025-03-01\' + CAST("range" % 7 AS INTEGER) AS "day" FROM range(2000000) UNION ALL SELECT "range", DATE \'2025-03-09\' FROM range(1999000, 2000000)');
      const statements: string[] = [];
      const engine: QueryEngine = {
        exec: (sql) => (statements.push(sql.text), small.exec(sql)),
        query: (sql) => (statements.push(sql.text), small.query(sql)),
        describe: (table) => small.describe(table),
      };
      const r = await runWhole(engine, 'orders', ['id', 'day'], 'duplicate_key', { key: 'id' }, { timeColumn: 'day' });
      expect(r.message).toBe('1,000 repeated id values (1,000 extra rows) on 8 days: 2025-03-09 (1,000), 2025-03-01 (143), 2025-03-02 (143), 2025-03-04 (143), 2025-03-05 (143), …');
      const slices = () => statements.filter((sql) => /^(CREATE TEMP TABLE|INSERT INTO) /.test(sql)).length;
      expect(slices()).toBeGreaterThanOrEqual(2);
      expect(slices()).toBeLessThanOrEqual(64);
      // With memory to spare, the same 2M rows (below MAX_GROUP_ROWS) are one statement.
      await small.run("SET memory_limit = '1GB'");
      statements.length = 0;
      expect((await runWhole(engine, 'orders', ['id', 'day'], 'duplicate_key', { key: 'id' }, { timeColumn: 'day' })).message).toBe(r.message);
      expect(slices()).toBe(0);
    } finally {
      small.close();
    }
  });

  it('runs as one statement up to the limit', async () => {
    const statements: string[] = [];
    await runWhole(recording(statements), 'twice', COLUMNS, 'duplicate_key', { key: KEY }, { timeColumn: TIME, maxGroupRows: 9 });
    expect(statements.map((s) => s.slice(0, 30))).toEqual(['SELECT (SELECT count(*) FROM "', 'WITH "dup" AS MATERIALIZED (SE']);
  });
});
