import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { describedColumns, isNumericType, isTemporalType, locateSqlError, sqlDescribeQuery, sqlErrorSummary, sqlPreviewQuery } from './dataset-queries';
import { SqlBuildError, userSelect } from './sql';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.join(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`CREATE VIEW orders AS SELECT * FROM read_parquet('${PARQUET.replaceAll("'", "''")}')`);
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

/** The message native DuckDB gives for the preview of `sql`. */
async function nativeError(sql: string): Promise<string> {
  try {
    await conn.run(sqlPreviewQuery(sql).text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected an error from: ${sql}`);
}

function marked(sql: string, message: string): string | null {
  const loc = locateSqlError(message, sql);
  return loc ? `${loc.line}:${loc.column} ${JSON.stringify(sql.slice(loc.from, loc.to))}` : null;
}

// [the author's SQL, where the mark should be (line:column "text")]
const CASES: [string, string][] = [
  ['SELECT * FORM orders', '1:15 "orders"'],
  ['SELECT (1 + FROM orders', '1:13 "FROM"'],
  ["SELECT 'abc FROM orders", `1:8 "'abc FROM orders"`],
  ['SELECT\n  region,\n  sum(amount) AS revenue\nFROM orders\nGROUP BY region\nORDER BY revenue DESC\nLIMIT 10 10', '7:10 "10"'],
  ['SELECT region, sum(amount) AS revenue, count(*) FROM orders GROUP BY region HAVING sum(amount) > 10 ORDER BY 2 DESC LIMT 5', '1:117 "LIMT"'],
  // The SQL stops too early: DuckDB points at our closing parenthesis, i.e. the end of the author's text.
  ['SELECT amount,\n  FROM orders WHERE', '2:20 ""'],
];

describe('SQL error positions', () => {
  it.each(CASES)('native DuckDB (LINE + caret): %j', async (sql, expected) => {
    const message = await nativeError(sql);
    expect(message).toMatch(/LINE \d+:/);
    expect(marked(sql, message)).toBe(expected);
  });

  // Captured from the pinned DuckDB-WASM 1.28.0 (DuckDB 0.9.1) running the same preview queries:
  // "Error" is lower-cased by our engine wrapper, there is no blank line before LINE, binder and
  // catalog errors carry no position, and the caret of a cut line ("...") is off by several characters.
  const WASM_0_9_1: [string, string, string | null][] = [
    ['SELECT * FORM orders', 'Parser error: syntax error at or near "orders"\nLINE 2: SELECT * FORM orders\n                      ^', '1:15 "orders"'],
    ["SELECT 'abc FROM orders", `Parser error: unterminated quoted string at or near "'abc FROM orders\n) LIMIT 100"\nLINE 2: SELECT 'abc FROM orders\n               ^`, `1:8 "'abc FROM orders"`],
    [
      'SELECT region, sum(amount) AS revenue, count(*) FROM orders GROUP BY region HAVING sum(amount) > 10 ORDER BY 2 DESC LIMT 5',
      'Parser error: syntax error at or near "LIMT"\nLINE 2: ...ROUP BY region HAVING sum(amount) > 10 ORDER BY 2 DESC LIMT 5\n                                                  ^',
      '1:117 "LIMT"',
    ],
    ['SELECT amount,\n  FROM orders WHERE', 'Parser error: syntax error at or near ")"\nLINE 4: ) LIMIT 100\n        ^', '2:20 ""'],
    ['SELECT\n  nope\nFROM orders', 'Binder error: Referenced column "nope" not found in FROM clause!\nCandidate bindings: "orders.channel"', '2:3 "nope"'],
    ['SELECT amount FROM ordrs', 'Catalog error: Table with name ordrs does not exist!\nDid you mean "orders"?', '1:20 "ordrs"'],
    ["SELECT sum(region) FROM orders", "Binder error: No function matches the given name and argument types 'sum(VARCHAR)'.", null],
  ];
  it.each(WASM_0_9_1)('DuckDB 0.9.1 (wasm) message: %j', (sql, message, expected) => {
    expect(marked(sql, message)).toBe(expected);
  });

  it('finds "at or near" without a LINE snippet, and the end of input', () => {
    expect(marked('SELECT a\nFROM t WHERE WHERE x', 'Parser Error: syntax error at or near "WHERE"')).toBe('2:8 "WHERE"');
    expect(marked('SELECT a FROM', 'Parser Error: syntax error at end of input')).toBe('1:14 ""');
    expect(marked('SELECT 1', 'Invalid Input Error: something else')).toBeNull();
  });

  it('points at a second statement, which never reaches DuckDB', () => {
    let message = '';
    try {
      userSelect('SELECT 1;\nDROP TABLE x');
    } catch (err) {
      expect(err).toBeInstanceOf(SqlBuildError);
      message = (err as Error).message;
    }
    expect(marked('SELECT 1;\nDROP TABLE x', message)).toBe('1:9 ";"');
  });

  it('summarizes without the LINE snippet (its numbers are of the wrapped query)', async () => {
    const message = await nativeError('SELECT * FORM orders');
    expect(sqlErrorSummary(message)).toBe('Parser Error: syntax error at or near "orders"');
    expect(sqlErrorSummary('Parser error: syntax error at or near ")"\nLINE 4: ) LIMIT 100\n        ^')).toBe('Parser error: syntax error at or near ")"');
  });
});

describe('preview and columns', () => {
  it('previews at most 100 rows of a single query, trailing semicolon allowed', async () => {
    const reader = await conn.runAndReadAll(sqlPreviewQuery('SELECT * FROM orders ORDER BY order_id;\n').text);
    expect(reader.getRowObjects()).toHaveLength(100);
    expect(sqlPreviewQuery('SELECT 1', 5).text).toBe('SELECT * FROM (\nSELECT 1\n) LIMIT 5');
    expect(() => sqlPreviewQuery('SELECT 1; SELECT 2')).toThrow(SqlBuildError);
  });

  it('describes the columns without running the query, and classifies their types', async () => {
    const reader = await conn.runAndReadAll(sqlDescribeQuery('SELECT order_ts, region, amount, quantity, CAST(order_ts AS DATE) AS day FROM orders').text);
    const columns = describedColumns(reader.getRowObjectsJS() as Record<string, unknown>[]);
    expect(columns.map((c) => c.name)).toEqual(['order_ts', 'region', 'amount', 'quantity', 'day']);
    expect(columns.filter((c) => isNumericType(c.type)).map((c) => c.name)).toEqual(['amount', 'quantity']);
    expect(columns.filter((c) => isTemporalType(c.type)).map((c) => c.name)).toEqual(['order_ts', 'day']);
  });

  it('knows DuckDB type names', () => {
    for (const t of ['INTEGER', 'BIGINT', 'HUGEINT', 'DOUBLE', 'FLOAT', 'DECIMAL(18,3)', 'UBIGINT']) expect(isNumericType(t), t).toBe(true);
    for (const t of ['VARCHAR', 'INTERVAL', 'INTEGER[]', 'BOOLEAN', 'DATE']) expect(isNumericType(t), t).toBe(false);
    for (const t of ['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_NS']) expect(isTemporalType(t), t).toBe(true);
    for (const t of ['TIME', 'VARCHAR', 'INTERVAL', 'DATE[]']) expect(isTemporalType(t), t).toBe(false);
  });
});
