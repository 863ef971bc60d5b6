// The settings of every DuckDB-WASM database Northstar opens, in one place, so hardening and
// upgrades touch one list (duckdb-wasm's own `react-duckdb/database_provider.tsx` keeps them so).
//
// What DuckDB 0.9.1 (duckdb-wasm 1.28.0) offers, and what we use of it:
// - `enable_external_access = false` is NOT set: in 0.9.1 it disables every file scan
//   ("Scanning Parquet files is disabled through configuration"), the data gateway's URLs included,
//   and it cannot be switched back for the next dataset. Measured in engine-settings.test.ts.
// - `disabled_filesystems` is NOT available: 0.9.1 answers "BufferedFileSystem: Can't disable file
//   systems on a non-virtual file system" (also measured there).
// - So the engine is confined from outside: in the browser the page's CSP lets the worker connect
//   to the app and the data gateway only (electron/services/csp.ts), and the gateway serves only
//   approved sources; DuckDB-WASM has no disk of its own. Dashboard SQL is one SELECT, wrapped as
//   a subquery (queries/sql.ts `userSelect`), so it cannot be a SET, LOAD, INSTALL or ATTACH.
// - Extensions are never installed or loaded on demand, and after setup the configuration is
//   locked: nothing later (dashboard SQL included) can change a setting.
import type * as duckdb from '@duckdb/duckdb-wasm';
import { Sql, str } from '../sql';

/** Options of `AsyncDuckDB.open` for every single-threaded database (see `engineConfig`). */
export const ENGINE_CONFIG: duckdb.DuckDBConfig = {
  query: {
    // Results as plain numbers: measures are cast to DOUBLE in SQL, counts fit in 2^53.
    castBigIntToDouble: true,
    castDecimalToDouble: true,
    castTimestampToDate: false,
    // A query read with send() (engine.ts) runs to its first rows in one call to the worker, not
    // in slices of 100 ms, each of which waited for the page to ask for the next (a long task in
    // the page left the worker idle). Nothing cancels between slices: a cancel stops the worker.
    queryPollingInterval: 60_000,
  },
  filesystem: { allowFullHTTPReads: false },
};

/**
 * The most threads one database uses. The 1.28.0 `coi` build starts a pool of 4 pthread workers
 * (Emscripten's PTHREAD_POOL_SIZE) and DuckDB runs N threads as the calling thread plus N-1
 * background threads, so 4 stays well within the pool (larger counts were not tried).
 */
export const MAX_ENGINE_THREADS = 4;

/** DuckDB's feature bit for a build with wasm threads (`DuckDBFeature.WASM_THREADS`, a type-only enum in 1.28.0). */
export const WASM_THREADS_FEATURE = 2;

/** Threads for a threaded build: the machine's logical cores, at least 1, at most MAX_ENGINE_THREADS. */
export function engineThreads(hardwareConcurrency: number | undefined): number {
  // Browsers may hide the core count (undefined or 0): 2 is a modest guess that still uses threads.
  const cores = hardwareConcurrency !== undefined && Number.isFinite(hardwareConcurrency) && hardwareConcurrency >= 1 ? Math.floor(hardwareConcurrency) : 2;
  return Math.min(cores, MAX_ENGINE_THREADS);
}

/**
 * Options of `AsyncDuckDB.open` for a database that may use `threads` threads. Only the threaded
 * `coi` build accepts more than 1: the `eh` and `mvp` builds fail to open with "DuckDB was compiled
 * without threads", so `maximumThreads` is left out for them.
 */
export function engineConfig(threads: number): duckdb.DuckDBConfig {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_ENGINE_THREADS) {
    throw new RangeError(`engine threads must be a whole number from 1 to ${MAX_ENGINE_THREADS}, not ${threads}`);
  }
  return threads === 1 ? ENGINE_CONFIG : { ...ENGINE_CONFIG, maximumThreads: threads };
}

/**
 * Statements run once on a new connection, before any dashboard SQL; `lock_configuration` last,
 * since after it no setting can change (a `SET` fails with "the configuration has been locked").
 */
export const ENGINE_LOCKDOWN: readonly string[] = [
  // A query naming a file type must not fetch or load an extension behind our back.
  'SET autoinstall_known_extensions = false',
  'SET autoload_known_extensions = false',
  'SET lock_configuration = true',
];

/** A memory limit as DuckDB's `memory_limit` takes it: a number and a unit, e.g. 32MB. */
const MEMORY_LIMIT = /^\d{1,7}(\.\d{1,3})?(KB|MB|GB)$/;

/**
 * The lockdown, after a cap on the engine's memory when one is given (none: DuckDB's default, 80%
 * of what the wasm heap may grow to). It has to come first: once locked, no setting can change.
 */
export function lockdownStatements(memoryLimit?: string): string[] {
  if (memoryLimit === undefined) return [...ENGINE_LOCKDOWN];
  if (!MEMORY_LIMIT.test(memoryLimit)) throw new RangeError(`The engine's memory limit must be a size such as 32MB or 2GB, not ${JSON.stringify(memoryLimit)}.`);
  // The value comes from the page's address: quoted by sql.ts, as every outside value is.
  return [Sql.concat('SET memory_limit = ', str(memoryLimit)).text, ...ENGINE_LOCKDOWN];
}

/**
 * Apply the lockdown to a fresh connection. The statements are sent together and run in the order
 * sent (one connection runs one statement at a time); any failure fails the lockdown.
 */
export async function lockDownEngine(conn: Pick<duckdb.AsyncDuckDBConnection, 'query'>, memoryLimit?: string): Promise<void> {
  await Promise.all(lockdownStatements(memoryLimit).map((statement) => conn.query(statement)));
}
