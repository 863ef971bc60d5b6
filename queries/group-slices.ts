// Statements that group every row of a table by a key of its own hold a hash table (or a window's
// partitions) of every key: the duplicate-key check's GROUP BY, "keep one row per key"'s
// row_number(). In DuckDB-WASM 1.28 that is ~40 bytes a row for integer keys and ~60 for text
// (measured in its Node build: 813 MB at 20M orders; the window ~75 bytes a row), on top of the
// table, in a heap of 4 GiB that never shrinks. Such work runs in slices of the keys' hash instead,
// one statement a slice: each statement holds 1/n of the keys, and frees them before the next.
// One statement of UNION ALL parts does not do this (each part keeps its table until the statement
// ends), so the slices are separate statements.
import type { QueryResult } from './engine/engine';
import { Sql, ident, int } from './sql';

/** Rows one statement groups by a key at most: ~0.25 GB of hash table (~0.35 GB for text keys). */
export const MAX_GROUP_ROWS = 6_000_000;

/** Slices at most: past 4,096 statements a table this large is better judged slowly in larger slices. */
export const MAX_SLICES = 4096;

/** Bytes a grouped row takes, text keys included (measured ~40 for integers, ~58 for text). */
const GROUPED_ROW_BYTES = 64;

/** A table's rows, and how many of them one statement may group by a key. */
export interface GroupingSize {
  rows: number;
  maxGroupRows: number;
}

type Querying = { query(sql: Sql): Promise<QueryResult> };

/** The engine's memory, from `pragma_database_size()`: its limit, and what it holds. */
const MEMORY = Sql.raw`"memory_usage" AS "used", "memory_limit" AS "limit" FROM pragma_database_size() LIMIT 1`;

/** `cap`, or fewer rows when the engine's free memory would not hold their hash table twice over. */
function maxGroupRowsOf(memory: QueryResult['rows'][number] | undefined, cap: number): number {
  const free = (sizeBytes(memory?.limit) ?? Infinity) - (sizeBytes(memory?.used) ?? 0);
  return Math.min(cap, Math.max(1, Math.floor(free / 2 / GROUPED_ROW_BYTES)));
}

/** What the engine's buffers hold now and may hold at most, in bytes (null where it does not say). */
export async function engineMemory(engine: Querying): Promise<{ usedBytes: number | null; limitBytes: number | null }> {
  const row = (await engine.query(Sql.concat('SELECT ', MEMORY))).rows[0];
  return { usedBytes: sizeBytes(row?.used), limitBytes: sizeBytes(row?.limit) };
}

/** How many rows one statement may group: `cap` (default MAX_GROUP_ROWS), or fewer for the engine's free memory. */
export async function freeGroupRows(engine: Querying, cap: number = MAX_GROUP_ROWS): Promise<number> {
  return maxGroupRowsOf((await engine.query(Sql.concat('SELECT ', MEMORY))).rows[0], cap);
}

/**
 * The rows of `table` and how many one statement may group (`freeGroupRows`), asked in one
 * statement. Rows are NaN when the engine says no count.
 */
export async function groupingSize(engine: Querying, table: string, cap: number = MAX_GROUP_ROWS): Promise<GroupingSize> {
  const row = (await engine.query(Sql.concat('SELECT (SELECT count(*) FROM ', ident(table), ') AS "rows", ', MEMORY))).rows[0];
  return { rows: Number(row?.rows), maxGroupRows: maxGroupRowsOf(row, cap) };
}

/** How many statements group `size.rows` rows, `size.maxGroupRows` at most each (1 for a count that is not one). */
export function sliceCount(size: GroupingSize): number {
  if (!Number.isSafeInteger(size.rows) || size.rows <= 0) return 1;
  return Math.min(MAX_SLICES, Math.ceil(size.rows / Math.max(1, size.maxGroupRows)));
}

/**
 * The condition that puts a row in slice `i` of `n` by its keys' hash. `% n::UBIGINT`: hash() is a
 * UBIGINT, and a plain integer divisor makes 1.28 evaluate the modulo ~8x slower and hold more than
 * the whole GROUP BY (one slice of 10M ids: 451 MB in 3.1 s, against 157 MB in 0.43 s).
 */
export function hashSlice(keys: readonly Sql[], i: number, n: number): Sql {
  return Sql.concat('hash(', Sql.join(keys), ') % ', int(n, 2, MAX_SLICES), '::UBIGINT = ', int(i, 0, MAX_SLICES - 1));
}

const SIZE_UNITS: Record<string, number> = { bytes: 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** Bytes from a size as DuckDB prints one ("3.4GB", "106.9MB", "0 bytes", "1.5 GiB"); null when it is not one. */
export function sizeBytes(text: unknown): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(bytes|B|[KMGT]i?B)$/.exec(String(text ?? '').trim());
  const unit = m ? SIZE_UNITS[m[2] as string] : undefined;
  return m && unit ? Number(m[1]) * unit : null;
}
