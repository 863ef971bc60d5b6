// Few-valued text columns stored as ENUMs. DuckDB-WASM 0.9.1 keeps every in-memory string at 16
// bytes and scans it as such: an ENUM's one- or two-byte codes take a sixteenth of the memory, and a
// filter or group-by on one ran 2–3× as fast (bench/README.md). Every reader sees VARCHAR all the same:
// the corrected view casts the raw table's text columns back (corrections.ts `readRaw`).
//
// Two ways in. A table built from fetched Parquet bytes casts its columns as it is made
// (bytes-first.ts), the footers having shown which have small dictionaries. A table made any other
// way (a CSV read as it downloads, a JSON file, a Parquet file read through its URL) is encoded in
// place after its panels drew (`encodeInPlace`): one column at a time, so the engine answers a click
// between two columns, and the table never needs more memory than itself and one more column.
// 5M demo orders from a 470 MB CSV: 716 MB in memory as read, 396 MB encoded, in ~3.4 s.
import { endsTheLoad, type QueryResult } from './engine/engine';
import { Sql, alterColumnType, createEnumType, ident, str } from './sql';

/** What an engine must do to encode text (the runner's `QueryEngine` fits). */
export interface TextEngine {
  exec(sql: Sql): Promise<void>;
  query(sql: Sql): Promise<QueryResult>;
}

/** An ENUM with more values than this (two-byte codes) is not made: the column is left as text. */
export const TEXT_MAX_DISTINCT = 65_535;

// Numbers the ENUM types of every build in this module's life, so no two builds (of any scope) share a name.
let typeBuilds = 0;

/** A new build number: the types one build makes share it (`enumTypeName`). */
export function nextTypeBuild(): number {
  typeBuilds += 1;
  return typeBuilds;
}

/** The name of a build's ENUM type for `column` of `rawTable`: `<rawTable> (text <n>) <column>`. */
export function enumTypeName(rawTable: string, build: number, column: string): string {
  return `${rawTable} (text ${build}) ${column}`;
}

/**
 * Make the ENUM type `type` of every value `column` has in `from`, sorted, and push it to `types`.
 * Returns whether it is usable: false (and the type dropped again) when it would have no values or
 * more than `TEXT_MAX_DISTINCT`. Throws what the engine throws.
 */
export async function makeEnumType(engine: TextEngine, type: string, column: string, from: Sql, types: string[]): Promise<boolean> {
  await engine.exec(createEnumType(type, column, from));
  types.push(type);
  const size = Number((await engine.query(Sql.concat('SELECT len(enum_range(NULL::', ident(type), ')) AS "n"'))).rows[0]?.n);
  if (size > 0 && size <= TEXT_MAX_DISTINCT) return true;
  await dropTypes(engine, types.splice(types.indexOf(type), 1));
  return false;
}

/** The ENUM types the engine has for `rawTable`'s builds, but for `keep`: those of earlier tables. */
export async function olderTypes(engine: TextEngine, rawTable: string, keep: readonly string[]): Promise<string[]> {
  const found = await engine.query(Sql.concat('SELECT type_name AS "t" FROM duckdb_types() WHERE starts_with(type_name, ', str(`${rawTable} (text `), ')')).catch(() => null);
  return (found?.rows ?? []).map((r) => String(r.t)).filter((t) => !keep.includes(t));
}

/** Drop ENUM types (emptying the list). Names only: a table made with one keeps its values (0.9.1 allows the drop). */
export async function dropTypes(engine: TextEngine, types: string[]): Promise<void> {
  for (const type of types.splice(0)) await engine.exec(Sql.concat('DROP TYPE IF EXISTS ', ident(type))).catch(() => {});
}

/** Rows the candidates are judged on: the table's first ones (a LIMIT stops the scan there). */
const SAMPLE_ROWS = 200_000;
/** A column is worth a type when its sample has at most this many values… */
const CANDIDATE_MAX_VALUES = 10_000;
/** …and at most one per this many rows (ids and free text have many more). */
const CANDIDATE_ROWS_PER_VALUE = 20;

/**
 * Store the few-valued VARCHAR columns of the in-memory table `table` as ENUMs, in place. Candidates
 * are the `columns` (VARCHAR, by name) whose first rows show few distinct values; each gets a type
 * of all its values and is altered to it, one column at a time (`isCurrent` is asked before each:
 * false once the table was replaced). Returns the columns encoded. Never rejects: a column that
 * cannot be encoded stays text, and a cancelled, crashed or out-of-memory engine ends it quietly
 * (the table is as good as it was; what was encoded stays encoded).
 */
export async function encodeInPlace(engine: TextEngine, table: string, columns: readonly string[], isCurrent: () => boolean = () => true): Promise<string[]> {
  const encoded: string[] = [];
  if (columns.length === 0) return encoded;
  const types: string[] = [];
  try {
    const sample = Sql.concat('(SELECT ', Sql.join(columns.map((c) => ident(c))), ' FROM ', ident(table), ' LIMIT ', String(SAMPLE_ROWS), ')');
    const counts = (await engine.query(Sql.concat('SELECT count(*) AS "rows", ', Sql.join(columns.map((c, i) => Sql.concat('approx_count_distinct(', ident(c), ') AS ', ident(`d${i}`)))), ' FROM ', sample))).rows[0] ?? {};
    const rows = Number(counts.rows ?? 0);
    const candidates = columns.filter((_c, i) => {
      const values = Number(counts[`d${i}`] ?? Number.POSITIVE_INFINITY);
      return values <= CANDIDATE_MAX_VALUES && values * CANDIDATE_ROWS_PER_VALUE <= rows;
    });
    const build = nextTypeBuild();
    for (const column of candidates) {
      if (!isCurrent()) break;
      const type = enumTypeName(table, build, column);
      try {
        if (!(await makeEnumType(engine, type, column, Sql.concat('SELECT * FROM ', ident(table)), types))) continue;
        if (!isCurrent()) break;
        await engine.exec(alterColumnType(table, column, type));
        encoded.push(column);
      } catch (err) {
        if (endsTheLoad(err)) throw err;
        // Left as text; its type, if made, goes.
        if (types.includes(type)) await dropTypes(engine, types.splice(types.indexOf(type), 1));
      }
    }
    // The tables of earlier loads of this name are gone: so can their types be.
    if (isCurrent()) await dropTypes(engine, await olderTypes(engine, table, types));
  } catch {
    // Stopped: what was altered stays altered, and the rest stays text.
  }
  return encoded;
}
