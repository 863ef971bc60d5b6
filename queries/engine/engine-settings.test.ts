// The lockdown, on the pinned DuckDB-WASM (its Node build, the same wasm and Engine wrapper as the
// app): what dashboard SQL can no longer do, and the two 0.9.1 settings we measured and could not use.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../../cli/engine-node';
import { Sql, userSelect } from '../sql';
import { Engine, EngineError } from './engine';
import { outOfMemoryReason } from './read-errors';
import { ENGINE_CONFIG, ENGINE_LOCKDOWN, engineConfig, engineThreads, lockdownStatements, MAX_ENGINE_THREADS, WASM_THREADS_FEATURE } from './engine-settings';

let boot: NodeEngineBootstrap;
let engine: Engine;

beforeAll(async () => {
  boot = nodeBootstrap();
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
});

/** A statement as the engine would run it; only for probing settings, never for dashboard SQL. */
function statement(text: string): Sql {
  return Sql.concat(text);
}

async function engineError(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    return err as EngineError;
  }
  throw new Error('expected an EngineError');
}

describe('engine lockdown', () => {
  it('runs with autoinstall and autoload of extensions off and the configuration locked', async () => {
    const { rows } = await engine.query(
      statement("SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions', 'lock_configuration') ORDER BY name"),
    );
    expect(rows).toEqual([
      { name: 'autoinstall_known_extensions', value: 'false' },
      { name: 'autoload_known_extensions', value: 'false' },
      { name: 'lock_configuration', value: 'true' },
    ]);
    expect(ENGINE_LOCKDOWN[ENGINE_LOCKDOWN.length - 1]).toBe('SET lock_configuration = true');
  });

  it('refuses any SET once locked, even when sent as a statement', async () => {
    for (const text of ['SET threads = 2', 'SET enable_external_access = true', 'SET autoload_known_extensions = true', 'SET lock_configuration = false', "SET custom_extension_repository = 'http://evil.example'"]) {
      const err = await engineError(engine.exec(statement(text)));
      expect(err.message, text).toContain('the configuration has been locked');
    }
  });

  it('dashboard SQL cannot be a SET, LOAD, INSTALL, ATTACH or COPY: it is one SELECT, run as a subquery', async () => {
    for (const text of ['SET threads = 2', 'LOAD httpfs', 'INSTALL httpfs', "ATTACH '/tmp/x.db'", "COPY (SELECT 1) TO '/tmp/northstar-owned.csv'", 'PRAGMA enable_profiling']) {
      const err = await engineError(engine.query(userSelect(text)));
      // Wrapped as `SELECT * FROM (<text>)`, none of these parses (how the message reads is engine.ts's business).
      expect(err.code, text).not.toBe('crashed');
    }
    expect(existsSync('/tmp/northstar-owned.csv')).toBe(false);
    expect(() => userSelect('SELECT 1; SET threads = 2')).toThrow(/single query/);
  });

  it('caps the engine\'s memory before the lock when asked: a table too large for the cap runs out, queries still answer, and the cap cannot be raised', async () => {
    const fresh = nodeBootstrap();
    const capped = await Engine.start(fresh, { memoryLimit: '16MB' });
    try {
      const { rows } = await capped.query(statement("SELECT current_setting('memory_limit') AS m"));
      expect(String(rows[0]?.m)).toMatch(/^1[56]\.\d+ ?MB$|^16MB$/);
      // 2M rows of (BIGINT, VARCHAR) hold ~50 MB: more than the cap.
      const err = await engineError(capped.exec(statement("CREATE TABLE big AS SELECT i, 'row ' || i AS s FROM range(2000000) t(i)")));
      expect(outOfMemoryReason(err)).toBe('too large for memory');
      expect((await capped.query(statement('SELECT 42 AS x'))).rows).toEqual([{ x: 42 }]);
      expect((await engineError(capped.exec(statement("SET memory_limit = '1GB'")))).message).toContain('the configuration has been locked');
    } finally {
      await capped.terminate();
      fresh.dispose();
    }
    // A cap that is not a size is refused before anything runs; none gives the plain lockdown.
    for (const bad of ['16', "16MB'; SET lock_configuration = false; --", '1TB', '']) expect(() => lockdownStatements(bad), bad).toThrow(/must be a size such as 32MB or 2GB/);
    expect(lockdownStatements()).toEqual(ENGINE_LOCKDOWN);
    expect(lockdownStatements('2GB')[0]).toBe("SET memory_limit = '2GB'");
  }, 60_000);

  it('measured: 0.9.1 has no usable disabled_filesystems on the wasm file system', async () => {
    const fresh = nodeBootstrap();
    const db = await fresh.createDatabase({ log: () => {} }, () => {});
    try {
      await db.open({});
      const conn = await db.connect();
      await expect(conn.query("SET disabled_filesystems = 'LocalFileSystem'")).rejects.toThrow(/Can't disable file systems on a non-virtual file system/);
      // And enable_external_access = false stops every file scan, which the gateway URLs need.
      await conn.query('SET enable_external_access = false');
      await expect(conn.query("SELECT * FROM read_parquet('http://127.0.0.1:9/x.parquet')")).rejects.toThrow(/Scanning Parquet files is disabled through configuration/);
      await conn.close();
    } finally {
      await db.terminate();
      fresh.dispose();
    }
  });
});

describe('engine threads', () => {
  it('gives a threaded build the machine\'s cores, at most MAX_ENGINE_THREADS, and 2 when the browser hides them', () => {
    expect(engineThreads(1)).toBe(1);
    expect(engineThreads(2)).toBe(2);
    expect(engineThreads(3.5)).toBe(3);
    expect(engineThreads(64)).toBe(MAX_ENGINE_THREADS);
    for (const hidden of [undefined, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(engineThreads(hidden), String(hidden)).toBe(2);
  });

  it('asks for threads only above 1, and refuses a count no build can run', () => {
    expect(engineConfig(1)).toBe(ENGINE_CONFIG);
    expect(engineConfig(1).maximumThreads).toBeUndefined();
    expect(engineConfig(2)).toEqual({ ...ENGINE_CONFIG, maximumThreads: 2 });
    for (const bad of [0, 1.5, MAX_ENGINE_THREADS + 1, Number.NaN]) {
      expect(() => engineConfig(bad), String(bad)).toThrow(`engine threads must be a whole number from 1 to ${MAX_ENGINE_THREADS}, not ${bad}`);
    }
  });

  it('measured: a single-threaded build reports no thread support and refuses to open with 2 threads', async () => {
    const fresh = nodeBootstrap();
    const db = await fresh.createDatabase({ log: () => {} }, () => {});
    try {
      expect((await db.getFeatureFlags()) & WASM_THREADS_FEATURE).toBe(0);
      await expect(db.open(engineConfig(2))).rejects.toThrow(/compiled without threads/);
    } finally {
      await db.terminate();
      fresh.dispose();
    }
  });

  it('the engine opens such a build with one thread', async () => {
    const { rows } = await engine.query(statement("SELECT current_setting('threads') AS t"));
    expect(rows).toEqual([{ t: 1 }]);
  });
});
