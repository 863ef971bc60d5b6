// countColumns: exact distinct counts in statements of bounded memory, the same as one count(DISTINCT)
// per column over the whole table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryEngine } from './dashboard-runner';
import { countColumns } from './column-kinds';
import { openNativeEngine, type NativeEngine } from './checks/testing-engine';

let engine: NativeEngine;
const TABLE = 'many "values"';
beforeAll(async () => {
  engine = await openNativeEngine();
  // 2,000 rows: a unique id, 1,000 timestamps, 5 categories (one of them NULL), a text column half NULL, a list.
  await engine.run(
    `CREATE TABLE "many ""values""" AS SELECT range AS id, TIMESTAMP '2025-01-01' + to_seconds(range % 1000) AS ts, CASE WHEN range % 5 = 0 THEN NULL ELSE 'c' || (range % 5) END AS cat, CASE WHEN range % 2 = 0 THEN 'v' || range END AS half, [range] AS list FROM range(2000)`,
  );
});
afterAll(() => engine.close());

describe('countColumns', () => {
  const described = [
    { name: 'id', type: 'BIGINT' },
    { name: 'ts', type: 'TIMESTAMP' },
    { name: 'cat', type: 'VARCHAR' },
    { name: 'half', type: 'VARCHAR' },
    { name: 'list', type: 'BIGINT[]' },
  ];
  const recording = (statements: string[]): QueryEngine => ({ exec: (sql) => engine.exec(sql), describe: (t) => engine.describe(t), query: (sql) => (statements.push(sql.text), engine.query(sql)) });

  it('counts distinct values exactly, in one statement while they fit', async () => {
    const statements: string[] = [];
    const counted = await countColumns(recording(statements), TABLE, described, { span: true });
    expect(counted.rows).toBe(2000);
    expect(counted.columns.map((c) => [c.name, c.nonNull, c.distinct])).toEqual([
      ['id', 2000, 2000],
      ['ts', 2000, 1000],
      ['cat', 1600, 4],
      ['half', 1000, 1000],
      ['list', 0, 0],
    ]);
    expect(counted.columns[1]?.minMs).toBe(Date.UTC(2025, 0, 1));
    // The estimating pass, the engine's size, then one exact count of every column.
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/approx_count_distinct\("id"\)/);
    expect(statements[2]).toMatch(/^SELECT CAST\(count\(DISTINCT "id"\) .*count\(DISTINCT "half"\) AS DOUBLE\) AS "d3" FROM "many ""values"""$/);
  });

  it('counts a column with more values than a statement may group in slices of its hash, the others together', async () => {
    const statements: string[] = [];
    const counted = await countColumns(recording(statements), TABLE, described, { maxGroupRows: 700 });
    expect(counted.columns.map((c) => c.distinct)).toEqual([2000, 1000, 4, 1000, 0]);
    const exact = statements.slice(2);
    // Estimates (a little high, never above the values there are): id 2,000, 3 slices of 700 at most;
    // ts and half ~1,050, 2 slices each; cat alone (4 values).
    expect(exact.filter((sql) => /count\(DISTINCT "id"\) AS DOUBLE\) AS "d" FROM .* WHERE hash\("id"\) % 3::UBIGINT = \d$/.test(sql))).toHaveLength(3);
    expect(exact.filter((sql) => /WHERE hash\("ts"\) % 2::UBIGINT/.test(sql))).toHaveLength(2);
    expect(exact.filter((sql) => /WHERE hash\("half"\) % 2::UBIGINT/.test(sql))).toHaveLength(2);
    expect(exact.filter((sql) => /^SELECT CAST\(count\(DISTINCT "cat"\) AS DOUBLE\) AS "d2" FROM/.test(sql))).toHaveLength(1);
    expect(exact).toHaveLength(8);
  });
});
