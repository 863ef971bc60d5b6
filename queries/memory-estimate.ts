// How much memory a Parquet column chunk takes once loaded into a DuckDB table, estimated from the
// footer alone (before any data is read): its values at their in-memory width (a string is a
// 16-byte reference, its text inline up to 12 bytes), or its uncompressed size when that is more
// (long text). On the demo orders the estimate lands within a few percent of native DuckDB's own
// accounting of the loaded table (scan-mode.test.ts); compressed file size says little (demo
// files expand 11x, ZSTD-written copies 30x). One definition for both places that estimate: the
// footer parsed in the page before a fetch (engine/prefetch.ts) and parquet_metadata() in SQL
// (sql.ts `parquetSizeEstimate`), for loads the engine reads itself.

/** Parquet physical types in the footer's order (the Thrift enum `Type`). */
export const PHYSICAL_TYPES = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'] as const;

/** Bytes per value in memory by physical type; any other (strings, fixed-length bytes, decimals) takes 16. */
export const VALUE_WIDTHS: Readonly<Record<string, number>> = { BOOLEAN: 1, INT32: 4, FLOAT: 4, INT64: 8, DOUBLE: 8, INT96: 8 };
export const OTHER_VALUE_WIDTH = 16;

/** The estimated in-memory bytes of one column chunk of `values` values of a physical type. */
export function chunkMemoryBytes(type: string, values: number, uncompressedBytes: number): number {
  return Math.max(uncompressedBytes, values * (VALUE_WIDTHS[type] ?? OTHER_VALUE_WIDTH));
}
