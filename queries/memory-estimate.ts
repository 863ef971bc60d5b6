// How much memory a Parquet column chunk takes once loaded into a DuckDB table, estimated from the
// footer alone (before any data is read): its values at their in-memory width (a string is a
// 16-byte reference, its text inline up to 12 bytes), or its uncompressed size when that is more
// (long text). On the demo orders the estimate lands within a few percent of native DuckDB's own
// accounting of the loaded table (scan-mode.test.ts); compressed file size says little (demo
// files expand 11x, ZSTD-written copies 30x). One definition for both places that estimate: the
// footer parsed in the page before a fetch (engine/prefetch.ts) and parquet_metadata() in SQL
// (sql.ts `parquetFileFacts`), for loads the engine reads itself.

/** Parquet physical types in the footer's order (the Thrift enum `Type`). */
export const PHYSICAL_TYPES = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'] as const;

/** Bytes per value in memory by physical type; any other (strings, fixed-length bytes, decimals) takes 16. */
export const VALUE_WIDTHS: Readonly<Record<string, number>> = { BOOLEAN: 1, INT32: 4, FLOAT: 4, INT64: 8, DOUBLE: 8, INT96: 8 };
export const OTHER_VALUE_WIDTH = 16;

/** The estimated in-memory bytes of one column chunk of `values` values of a physical type. */
export function chunkMemoryBytes(type: string, values: number, uncompressedBytes: number): number {
  return Math.max(uncompressedBytes, values * (VALUE_WIDTHS[type] ?? OTHER_VALUE_WIDTH));
}

/**
 * Text column chunks with a dictionary page of at most this many bytes (as stored) hold few distinct
 * values. A table built from fetched bytes (from `TEXT_ENCODING_MIN_ROWS` rows) stores a text column
 * whose every chunk is such as an ENUM (bytes-first.ts), so its values take `ENCODED_TEXT_WIDTH`
 * bytes each instead of a 16-byte string: the demo's six text columns have dictionary pages of
 * 59–314 bytes. One rule for the estimate before a fetch and for the build after it.
 */
export const SMALL_DICTIONARY_BYTES = 8 * 1024;
/**
 * Bytes per value of an ENUM-encoded text column in memory. The codes are 1–2 bytes, but the table
 * keeps each column of each row group (122,880 rows) in 256 KiB blocks, its validity mask included:
 * native DuckDB counts 5.4 bytes per value for the demo's six encoded columns at 5M rows.
 */
export const ENCODED_TEXT_WIDTH = 6;
/** Rows from which a table built from fetched bytes encodes its text columns: below, its queries are quick anyway. */
export const TEXT_ENCODING_MIN_ROWS = 500_000;

/** What the estimate needs of a column chunk from the footer (prefetch.ts `ParquetFooter`). */
export interface ChunkFacts {
  column: string;
  values: number;
  memoryBytes: number;
  /** A text (BYTE_ARRAY) chunk whose dictionary page is at most `SMALL_DICTIONARY_BYTES`. */
  smallDictionary: boolean;
}

/** Whether a chunk of a physical type with a dictionary page of this many bytes (null: none) is a small text dictionary. */
export function isSmallTextDictionary(type: string, dictionaryBytes: number | null): boolean {
  return type === 'BYTE_ARRAY' && dictionaryBytes !== null && dictionaryBytes > 0 && dictionaryBytes <= SMALL_DICTIONARY_BYTES;
}

/** The columns every chunk of which is a small text dictionary: those a build encodes. */
export function encodableColumns(chunks: readonly ChunkFacts[]): Set<string> {
  const all = new Set(chunks.map((c) => c.column));
  for (const c of chunks) if (!c.smallDictionary) all.delete(c.column);
  return all;
}

/** The memory `chunks` (of `rows` rows in all) take once built into a table: encodable text columns at their ENUM width. */
export function loadedMemoryBytes(chunks: readonly ChunkFacts[], rows: number, minRows = TEXT_ENCODING_MIN_ROWS): number {
  const encoded = rows >= minRows ? encodableColumns(chunks) : new Set<string>();
  return chunks.reduce((n, c) => n + (encoded.has(c.column) ? c.values * ENCODED_TEXT_WIDTH : c.memoryBytes), 0);
}
