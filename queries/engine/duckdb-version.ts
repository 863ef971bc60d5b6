// The DuckDB-WASM pin, in one module. 1.28.0 (DuckDB 0.9.1) is the last release with Parquet and
// HTTP reads built in; every later one downloads extensions at run time, which fails offline.
// Upgrading means: bump package.json, then this constant and the bundle list in ./browser-bundles.

/** The exact @duckdb/duckdb-wasm version this build is made and tested with. */
export const DUCKDB_WASM_VERSION = '1.28.0';

/** The DuckDB library version inside that build. */
export const DUCKDB_LIBRARY_VERSION = 'v0.9.1';
