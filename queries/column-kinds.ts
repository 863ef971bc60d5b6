// What a column is, from its DuckDB type and its name, and the one counting query both the dataset
// scan (checks/scan.ts) and the starter-dashboard profile (profile.ts) read columns with: so a column
// the scan calls a time or an id is one the starter calls so too.
import type { QueryResult, Scalar } from './engine/engine';
import { freeGroupRows, hashSlice, sliceCount } from './group-slices';
import { Sql, ident } from './sql';

const NUMERIC = /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL(\(.*\))?)$/i;
const TEMPORAL = /^(DATE|TIMESTAMP.*)$/i;
const TEXT = /^VARCHAR/i;
const BOOLEAN = /^BOOL(EAN)?$/i;
/** Nested values (lists, structs, maps) cannot be summed, grouped or counted distinct sensibly. */
const NESTED = /(\[\]$|^STRUCT|^MAP|^UNION|^LIST)/i;
const TIME_NAME = /(_ts$|_at$|^ts$|date|time|day)/i;

/** Whether a DuckDB type holds numbers (integers, floats, decimals). */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

/** Whether a DuckDB type is a DATE or a TIMESTAMP (with or without time zone or precision). */
export function isTemporalType(type: string): boolean {
  return TEMPORAL.test(type);
}

/** Whether a DuckDB type is text. */
export function isTextType(type: string): boolean {
  return TEXT.test(type);
}

/** Whether a DuckDB type is a boolean. */
export function isBooleanType(type: string): boolean {
  return BOOLEAN.test(type);
}

/** Whether a DuckDB type is nested (list, struct, map, union). */
export function isNestedType(type: string): boolean {
  return NESTED.test(type);
}

/** Whether a column name reads like a time: `*_ts`, `*_at`, `ts`, or one with date, time or day in it. */
export function namedLikeTime(name: string): boolean {
  return TIME_NAME.test(name);
}

/** Whether a column name reads like an identifier: its last word (or its first) is id, uuid, guid or key: `order_id`, `orderId`, `ID`. */
export function namedLikeId(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const ids = ['id', 'uuid', 'guid', 'key'];
  return words.length > 0 && (ids.includes(words[words.length - 1] as string) || words[0] === 'id');
}

/** A column with its counts from one pass over the table (zeros and nulls where not counted). */
export interface ColumnCounts {
  name: string;
  type: string;
  /** Non-NULL values. */
  nonNull: number;
  /** Distinct non-NULL values. */
  distinct: number;
  /** For numbers, with `signs`: values below zero, and at or above it. */
  negative: number;
  nonNegative: number;
  /** For DATE/TIMESTAMP columns, with `span`: oldest and newest value in epoch ms. */
  minMs: number | null;
  maxMs: number | null;
}

export interface ColumnCountsOptions {
  /** Count negative and non-negative values of numeric columns. */
  signs?: boolean;
  /** The oldest and newest value of time columns. */
  span?: boolean;
  /** Estimate distinct values (HyperLogLog, ~1% off) instead of counting them: `countColumns`' first pass. */
  approxDistinct?: boolean;
}

/**
 * The one query that counts rows and, per column, values and distinct values (nested columns are
 * skipped), plus what the options ask for. Columns get positional aliases, so no name from a file
 * ever becomes one of ours; read its row with `readColumnCounts`.
 */
export function columnCountsQuery(table: string, described: readonly { name: string; type: string }[], opts: ColumnCountsOptions = {}): Sql {
  const parts: Sql[] = [Sql.raw`CAST(count(*) AS DOUBLE) AS "rows"`];
  described.forEach((c, i) => {
    if (isNestedType(c.type)) return;
    const col = ident(c.name);
    parts.push(Sql.concat('CAST(count(', col, ') AS DOUBLE) AS ', ident(`n${i}`)));
    parts.push(Sql.concat(opts.approxDistinct ? 'CAST(approx_count_distinct(' : 'CAST(count(DISTINCT ', col, ') AS DOUBLE) AS ', ident(`d${i}`)));
    if (opts.signs && isNumericType(c.type)) {
      parts.push(Sql.concat('CAST(count(*) FILTER (WHERE ', col, ' < 0) AS DOUBLE) AS ', ident(`neg${i}`)));
      parts.push(Sql.concat('CAST(count(*) FILTER (WHERE ', col, ' >= 0) AS DOUBLE) AS ', ident(`pos${i}`)));
    }
    if (opts.span && isTemporalType(c.type)) {
      // TRY_CAST: a DATE can lie beyond the years a TIMESTAMP holds (a broken file); its span is then unknown, not an error.
      parts.push(Sql.concat('CAST(epoch_ms(TRY_CAST(min(', col, ') AS TIMESTAMP)) AS DOUBLE) AS ', ident(`lo${i}`)));
      parts.push(Sql.concat('CAST(epoch_ms(TRY_CAST(max(', col, ') AS TIMESTAMP)) AS DOUBLE) AS ', ident(`hi${i}`)));
    }
  });
  return Sql.concat('SELECT ', Sql.join(parts), ' FROM ', ident(table));
}

/**
 * The row count and column counts of a table, distinct values counted exactly, in statements that
 * each hold a bounded share of memory. One statement counting every column's distinct values at
 * once holds a hash table of each column's values together: at 10M demo orders 856 MB on top of the
 * table (its ids, its timestamps), enough to run the engine out of memory at 25M. So a first pass
 * counts everything else and estimates the distinct values (approx_count_distinct: 14 MB); then
 * columns are counted exactly together while their estimates add up to at most what one statement
 * may group (`freeGroupRows`), and a column with more values than that in slices of its values' hash
 * (each value falls in one slice, so the slices' counts add up).
 */
export async function countColumns(
  engine: { query(sql: Sql): Promise<QueryResult> },
  table: string,
  described: readonly { name: string; type: string }[],
  opts: ColumnCountsOptions & { maxGroupRows?: number } = {},
): Promise<{ rows: number; columns: ColumnCounts[] }> {
  const first = await engine.query(columnCountsQuery(table, described, { ...opts, approxDistinct: true }));
  const counted = readColumnCounts(described, first.rows[0] ?? {});
  // Estimates a little high (HyperLogLog is ~1% off either way), never above the values there are.
  const estimate = (c: ColumnCounts) => Math.min(c.nonNull, Math.ceil(c.distinct * 1.05) + 1);
  const counting = counted.columns.map((c, i) => ({ c, i })).filter(({ c }) => !isNestedType(c.type) && c.nonNull > 0);
  if (counting.length === 0) return counted;
  const maxGroupRows = await freeGroupRows(engine, opts.maxGroupRows);
  const from = ident(table);
  const batches: { c: ColumnCounts; i: number }[][] = [];
  let batch: { c: ColumnCounts; i: number }[] = [];
  let held = 0;
  for (const column of counting) {
    const size = estimate(column.c);
    if (size > maxGroupRows) {
      const slices = sliceCount({ rows: size, maxGroupRows });
      let total = 0;
      const col = ident(column.c.name);
      for (let k = 0; k < slices; k += 1) {
        const where = slices > 1 ? Sql.concat(' WHERE ', hashSlice([col], k, slices)) : '';
        const part = await engine.query(Sql.concat('SELECT CAST(count(DISTINCT ', col, ') AS DOUBLE) AS "d" FROM ', from, where));
        total += toNumber(part.rows[0]?.d) ?? 0;
      }
      column.c.distinct = total;
      continue;
    }
    if (held + size > maxGroupRows && batch.length > 0) {
      batches.push(batch);
      batch = [];
      held = 0;
    }
    batch.push(column);
    held += size;
  }
  if (batch.length > 0) batches.push(batch);
  for (const columns of batches) {
    const parts = columns.map(({ c, i }) => Sql.concat('CAST(count(DISTINCT ', ident(c.name), ') AS DOUBLE) AS ', ident(`d${i}`)));
    const row = (await engine.query(Sql.concat('SELECT ', Sql.join(parts), ' FROM ', from))).rows[0] ?? {};
    for (const { c, i } of columns) c.distinct = toNumber(row[`d${i}`]) ?? 0;
  }
  return counted;
}

/** The row count and column counts from the one row of `columnCountsQuery`. */
export function readColumnCounts(described: readonly { name: string; type: string }[], row: Record<string, Scalar>): { rows: number; columns: ColumnCounts[] } {
  const columns = described.map((c, i) => ({
    name: c.name,
    type: c.type,
    nonNull: toNumber(row[`n${i}`]) ?? 0,
    distinct: toNumber(row[`d${i}`]) ?? 0,
    negative: toNumber(row[`neg${i}`]) ?? 0,
    nonNegative: toNumber(row[`pos${i}`]) ?? 0,
    minMs: toNumber(row[`lo${i}`]),
    maxMs: toNumber(row[`hi${i}`]),
  }));
  return { rows: toNumber(row.rows) ?? 0, columns };
}

function toNumber(v: Scalar | undefined): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}
