// The engine wrapper on the pinned DuckDB-WASM (its Node build): results are read so that an error
// raised while rows stream is reported, not dropped (duckdb-wasm 1.28.0's `query()` drops it:
// duckdb-wasm #1329, #1662), and statements still run in call order when several are in flight.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../../cli/engine-node';
import { Sql } from '../sql';
import { Engine, EngineError } from './engine';

const BAD = path.resolve(__dirname, '../../../shared/data/parquet-testing/bad_data');
let boot: NodeEngineBootstrap;
let engine: Engine;

beforeAll(async () => {
  boot = nodeBootstrap();
  boot.allowReading(['damaged.parquet']);
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
});

const sql = (text: string) => Sql.concat(text as never);

describe('Engine', () => {
  it('reports an error raised while rows stream, instead of answering fewer rows', async () => {
    // 0.9.1 fails the second row's cast: the rows before it must not come back as the answer.
    await expect(engine.query(sql("SELECT CAST(x AS TIME) AS t FROM (VALUES ('12:00:00'), ('24:01:01')) v(x)"))).rejects.toThrow(/out of range|Conversion/i);
    await expect(engine.query(sql('SELECT i, ln(i) AS l FROM range(3, -1, -1) r(i)'))).rejects.toThrow(/logarithm/i);
    // query() answered this with no rows and no error.
    await expect(engine.query(sql("SELECT CAST('x' AS INTEGER) AS n"))).rejects.toThrow(/Conversion error: Could not convert string 'x'/);
    // A Parquet file whose pages are damaged: a plain SELECT fails as its load does (count(*) reads only metadata).
    await engine.registerFile('damaged.parquet', new Uint8Array(readFileSync(path.join(BAD, 'ARROW-GH-41317.parquet'))));
    expect((await engine.query(sql("SELECT count(*) AS n FROM read_parquet('damaged.parquet')"))).rows).toEqual([{ n: 5 }]);
    const read = engine.query(sql("SELECT * FROM read_parquet('damaged.parquet')"));
    await expect(read).rejects.toBeInstanceOf(EngineError);
    await expect(read).rejects.toMatchObject({ code: 'sourceUnreadable' });
    await engine.dropFile('damaged.parquet');
    // And the engine goes on.
    expect((await engine.query(sql('SELECT 41 + 1 AS v'))).rows).toEqual([{ v: 42 }]);
  });

  it('runs statements in call order with many in flight, every result whole', async () => {
    // Not awaited one by one: each waits for its turn, none cuts another's result short.
    const calls = [
      engine.exec(sql('CREATE OR REPLACE TABLE ordered AS SELECT 1 AS v')),
      engine.query(sql('SELECT v FROM ordered')),
      engine.exec(sql('CREATE OR REPLACE TABLE ordered AS SELECT 2 AS v; INSERT INTO ordered VALUES (3)')),
      engine.query(sql('SELECT v FROM ordered ORDER BY v')),
      ...Array.from({ length: 12 }, (_, i) => engine.query(sql(`SELECT ${i} AS k, i FROM range(20000) r(i)`))),
      engine.exec(sql('DROP TABLE ordered')),
      engine.query(sql("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'ordered'")),
    ];
    const results = await Promise.all(calls);
    expect((results[1] as { rows: unknown[] }).rows).toEqual([{ v: 1 }]);
    expect((results[3] as { rows: unknown[] }).rows).toEqual([{ v: 2 }, { v: 3 }]);
    for (let i = 0; i < 12; i++) {
      const r = results[4 + i] as unknown as { rows: { k: number; i: number }[] };
      expect(r.rows).toHaveLength(20000);
      expect(r.rows.every((row) => row.k === i)).toBe(true);
      expect(r.rows[19999]?.i).toBe(19999);
    }
    expect((results[results.length - 1] as { rows: unknown[] }).rows).toEqual([{ n: 0 }]);
  });

  it('runs several statements (or none) in one call as before, and keeps the engine\'s words for a statement that fails before its first row', async () => {
    expect((await engine.query(sql('SELECT 1 AS a; SELECT 2 AS b'))).rows).toHaveLength(1);
    expect((await engine.query(sql(''))).rows).toEqual([]);
    await expect(engine.query(sql('SET threads = 2'))).rejects.toThrow(/^Invalid Input error: Cannot change configuration option "threads"/);
  });

  it('gives the columns of an empty result', async () => {
    const empty = await engine.query(sql('SELECT 1 AS a, \'x\' AS b WHERE false'));
    expect(empty.rows).toEqual([]);
    expect(empty.columns.map((c) => c.name)).toEqual(['a', 'b']);
  });
});
