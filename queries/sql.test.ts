import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { nodeBootstrap } from '../cli/engine-node';
import { Engine } from './engine/engine';
import { Sql, SqlBuildError, column, createSourceView, createTableAs, ident, int, literal, num, readFile, selectAll, str, timestamp, userSelect } from './sql';

async function one(sql: Sql): Promise<unknown> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(`SELECT ${sql.text} AS v`);
  return reader.getRowObjects()[0]?.v;
}

describe('quoting', () => {
  it('doubles quotes in identifiers', () => {
    expect(ident('a "b" c').text).toBe('"a ""b"" c"');
    expect(ident('select').text).toBe('"select"');
  });

  it('refuses empty and NUL identifiers', () => {
    expect(() => ident('')).toThrow(SqlBuildError);
    expect(() => ident('a\u0000b')).toThrow(SqlBuildError);
  });

  it('round-trips hostile strings through DuckDB unchanged', async () => {
    for (const value of ["it's", "'; DROP TABLE x; --", 'back\\slash', '"quoted"', 'Zürich 東京 🚀', '$1', '']) {
      expect(await one(str(value))).toBe(value);
    }
  });

  it('checks columns against the real ones', () => {
    const cols = new Set(['amount', 'weird "col"']);
    expect(column('weird "col"', cols, 'panel x').text).toBe('"weird ""col"""');
    expect(() => column('missing', cols, 'panel x')).toThrow('panel x: the data has no column "missing"');
  });

  it('makes typed literals and refuses non-finite numbers', async () => {
    expect(num(42).text).toBe('42');
    expect(num(-1.5).text).toBe('-1.5');
    expect(() => num(Number.NaN)).toThrow(SqlBuildError);
    expect(() => num(Number.POSITIVE_INFINITY)).toThrow(SqlBuildError);
    expect(() => int(1.5, 0, 10)).toThrow(SqlBuildError);
    expect(() => int(11, 0, 10)).toThrow(SqlBuildError);
    expect(literal(null).text).toBe('NULL');
    expect(literal(true).text).toBe('TRUE');
    expect(String(await one(timestamp(Date.UTC(2025, 11, 31, 23, 59, 1))))).toBe('2025-12-31 23:59:01');
  });

  it('reads files through a quoted string literal', () => {
    expect(readFile("http://127.0.0.1:1/t/o/x/it's.parquet", 'parquet').text).toBe("read_parquet('http://127.0.0.1:1/t/o/x/it''s.parquet')");
    expect(readFile('/tmp/a.csv', 'csv').text).toBe("read_csv_auto('/tmp/a.csv')");
  });

  it('allows raw fragments only without interpolation', () => {
    expect(Sql.raw`TRUE`.text).toBe('TRUE');
  });
});

describe('user SQL of advanced datasets', () => {
  it('wraps one query as a subquery, dropping trailing semicolons', () => {
    expect(userSelect('select 1 as a;  \n').text).toBe('SELECT * FROM (\nselect 1 as a\n)');
  });

  it('refuses a second statement but not a ; inside quotes or comments', async () => {
    expect(() => userSelect('select 1; drop table x')).toThrow('single query');
    expect(() => userSelect("select 1 -- fine;\n; select 2")).toThrow('single query');
    expect(await one(Sql.concat('(', userSelect("select 'a;b' as v -- c;\n /* d; */"), ')'))).toBe('a;b');
    expect(await one(Sql.concat('(', userSelect(`select 'it''s;' as v`), ')'))).toBe("it's;");
    expect(() => userSelect('  ;  ')).toThrow('empty');
  });

  it('builds views and tables with quoted names', () => {
    expect(createSourceView('my "src"', 'http://h/x.parquet', 'parquet').text).toBe(`CREATE OR REPLACE VIEW "my ""src""" AS SELECT * FROM read_parquet('http://h/x.parquet')`);
    // A CSV view's reader takes 4 MiB at a time: making the view sniffs its first buffer, read whole.
    expect(createSourceView('o', ['http://h/a.csv', 'http://h/b.csv'], 'csv').text).toBe(`CREATE OR REPLACE VIEW "o" AS SELECT * FROM read_csv_auto(['http://h/a.csv', 'http://h/b.csv'], union_by_name = true, buffer_size = 4194304)`);
    expect(createTableAs('ds_a', selectAll('orders')).text).toBe('CREATE OR REPLACE TABLE "ds_a" AS SELECT * FROM "orders"');
  });
});

describe('timestamp literals over the whole range of JS times', () => {
  const utc = (year: number, month = 0, day = 1, ms = 0) => {
    // Date.UTC maps years 0-99 to 1900-1999: set the year afterwards.
    const d = new Date(Date.UTC(2000, month, day) + ms);
    d.setUTCFullYear(year);
    return d.getTime();
  };
  const times = [
    0,
    Date.UTC(2025, 11, 31, 23, 59, 1, 7),
    utc(9999, 11, 31, 86_399_999),
    utc(10000),
    utc(12345, 5, 6, 3_723_004),
    utc(1),
    utc(0, 2, 1),
    utc(-1),
    utc(-44, 2, 15, 43_200_000),
    -8_640_000_000_000_000,
    8_640_000_000_000_000,
  ];
  const probe = (t: number) => Sql.concat('SELECT CAST(epoch_ms(', timestamp(t), ') AS DOUBLE) AS "v"');

  it('round-trips every time through native DuckDB', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    for (const t of times) {
      const reader = await conn.runAndReadAll(probe(t).text);
      expect(reader.getRowObjects()[0]?.v, timestamp(t).text).toBe(t);
    }
  });

  it("round-trips every time through the app's pinned DuckDB-WASM", { timeout: 60_000 }, async () => {
    const boot = nodeBootstrap();
    const engine = await Engine.start(boot);
    try {
      for (const t of times) expect((await engine.query(probe(t))).rows[0]?.v, timestamp(t).text).toBe(t);
    } finally {
      await engine.terminate();
      boot.dispose();
    }
  });

  it('writes years as DuckDB reads them: a sign and at least four digits', () => {
    expect(timestamp(utc(10000)).text).toBe("TIMESTAMP '10000-01-01 00:00:00.000'");
    expect(timestamp(utc(-1)).text).toBe("TIMESTAMP '-0001-01-01 00:00:00.000'");
    expect(timestamp(utc(0, 2, 1)).text).toBe("TIMESTAMP '0000-03-01 00:00:00.000'");
    expect(timestamp(Date.UTC(2024, 1, 28)).text).toBe("TIMESTAMP '2024-02-28 00:00:00.000'");
  });

  it('refuses what is not a time, saying why', () => {
    expect(() => timestamp(Number.NaN)).toThrow(new SqlBuildError('NaN is not a time: a timestamp needs finite epoch milliseconds'));
    expect(() => timestamp(8_640_000_000_000_001)).toThrow(/outside the times a timestamp can hold/);
    expect(() => timestamp(-8_640_000_000_000_001)).toThrow(SqlBuildError);
  });
});
