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

/** Options of `AsyncDuckDB.open` for every database. */
export const ENGINE_CONFIG: duckdb.DuckDBConfig = {
  query: {
    // Results as plain numbers: measures are cast to DOUBLE in SQL, counts fit in 2^53.
    castBigIntToDouble: true,
    castDecimalToDouble: true,
    castTimestampToDate: false,
  },
  filesystem: { allowFullHTTPReads: false },
};

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

/** Apply the lockdown to a fresh connection. */
export async function lockDownEngine(conn: Pick<duckdb.AsyncDuckDBConnection, 'query'>): Promise<void> {
  for (const statement of ENGINE_LOCKDOWN) await conn.query(statement);
}
