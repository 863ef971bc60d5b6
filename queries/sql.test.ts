import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
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
    expect(createTableAs('ds_a', selectAll('orders')).text).toBe('CREATE OR REPLACE TABLE "ds_a" AS SELECT * FROM "orders"');
  });
});
