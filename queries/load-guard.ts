// A refusal before a load, from the Parquet metadata alone: a file of a few kilobytes can declare
// billions of rows (one constant column, run-length encoded: 2 billion rows of `true` take 10 KB,
// dashboards/testdata/hostile/two-billion-rows.parquet). The memory estimate does not stop it (250 MB
// of run lengths uncompressed, 2.0 GB at a byte per value: under the 2 GiB budget), so the load would start:
// measured, the engine then worked for 48 s filling its memory before failing with out-of-memory,
// every other query of the dashboard waiting behind it. From the metadata it is refused at once.
import type { QueryResult } from './engine/engine';
import { parquetFileFacts, type Sql } from './sql';

/**
 * The most rows a dataset may have. DuckDB-WASM 1.28.0 is wasm32: a 4 GiB heap, of which a
 * dataset load gets about 2 GiB (`DEFAULT_MEMORY_BUDGET_BYTES`). A loaded value takes at least a
 * byte, so 500 million rows of a single boolean column are already a quarter of that budget, and
 * every real dataset has more columns. Reading instead of loading (scan mode) is no way out: the
 * engine runs one thread and scanned 100 million rows of that file's shape with a filter in 12 s
 * on the 2-core test machine (SECURITY.md), so 500 million rows is about a minute per panel.
 */
export const MAX_DATASET_ROWS = 500_000_000;

/** A refusal to load: the message names the file, its rows and the cap. */
export class TooManyRows extends Error {
  override readonly name = 'TooManyRows';
  constructor(
    message: string,
    /** Rows declared by all the files of the source. */
    readonly rows: number,
    readonly cap: number,
  ) {
    super(message);
  }
}

/** What the Parquet files of a source declare in their metadata, summed over the files. */
export interface ParquetFacts {
  rows: number;
  /** Their estimated size once loaded (sql.ts `parquetFileFacts`); NaN when the engine did not say. */
  estimateBytes: number;
}

/**
 * Reads every Parquet file's metadata once: throws TooManyRows when the rows they declare are above
 * the cap, else returns their rows and estimated in-memory size (for scan mode).
 */
export async function guardParquetFiles(
  engine: { query(sql: Sql): Promise<QueryResult> },
  urls: readonly string[],
  location: string,
  cap: number = MAX_DATASET_ROWS,
  /** The columns a load reads (its estimate counts those); null for all. */
  columns: readonly string[] | null = null,
): Promise<ParquetFacts> {
  if (urls.length === 0) return { rows: 0, estimateBytes: 0 };
  const files = (await engine.query(parquetFileFacts(urls, columns))).rows.map((r) => ({ file: String(r.file), rows: Number(r.rows), bytes: Number(r.bytes) }));
  const total = files.reduce((sum, f) => sum + f.rows, 0);
  const estimateBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  // Counts the metadata does not give (an engine answering otherwise) refuse nothing: the load
  // itself reports a real problem with the files.
  if (!Number.isFinite(total) || total <= cap) return { rows: total, estimateBytes };
  throw new TooManyRows(tooManyRowsMessage(location, files, total, cap), total, cap);
}

/** The sentence for a refused source, naming the file, the rows it declares and the cap. */
export function tooManyRowsMessage(location: string, files: readonly { file: string; rows: number }[], total: number, cap: number): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const biggest = files[0];
  const which =
    files.length <= 1
      ? `${location} declares ${count(total)} rows in its Parquet metadata`
      : `the ${count(files.length)} files of ${location} declare ${count(total)} rows in their Parquet metadata (the most, ${count(biggest?.rows ?? 0)}, in ${biggest?.file ?? location})`;
  return (
    `${which}, more than the ${count(cap)} rows a dataset may have in Northstar (its query engine has at most 4 GiB of memory), ` +
    'so Northstar does not load it. Filter or aggregate it into a smaller file first.'
  );
}
