// The ONE place where SQL text meets user- or file-provided values. Identifiers are quoted (with
// `"` doubled) and checked against the dataset's real columns; values become typed literals.
// Every other module composes SQL only from the fragments this module returns.

import { OTHER_VALUE_WIDTH, VALUE_WIDTHS } from './memory-estimate';

/** A fragment of SQL text that is safe by construction: only this module creates them. */
export class Sql {
  private constructor(readonly text: string) {}

  /** For fragments with no outside values in them (keywords, operators). Never pass user text. */
  static raw(text: TemplateStringsArray): Sql {
    if (text.length !== 1) throw new Error('Sql.raw takes no interpolations');
    return new Sql(text[0] ?? '');
  }

  /** Internal: join fragments. */
  static join(parts: readonly Sql[], separator = ', '): Sql {
    return new Sql(parts.map((p) => p.text).join(separator));
  }

  /** Internal: concatenate fragments with literal glue (the glue is code, never data). */
  static concat(...parts: (Sql | string)[]): Sql {
    return new Sql(parts.map((p) => (typeof p === 'string' ? p : p.text)).join(''));
  }

  toString(): string {
    return this.text;
  }
}

/** An identifier did not name a real column, or a value could not be made a literal. */
export class SqlBuildError extends Error {
  override readonly name = 'SqlBuildError';
}

/** Quote an identifier: `my "col"` → `"my ""col"""`. */
export function ident(name: string): Sql {
  if (name.length === 0) throw new SqlBuildError('an empty name cannot be a SQL identifier');
  if (name.includes('\u0000')) throw new SqlBuildError('a SQL identifier cannot contain a NUL character');
  return Sql.concat('"', name.replaceAll('"', '""'), '"');
}

/** Quote a column after checking that the dataset really has it. */
export function column(name: string, columns: ReadonlySet<string>, where: string): Sql {
  if (!columns.has(name)) {
    throw new SqlBuildError(`${where}: the data has no column "${name}"`);
  }
  return ident(name);
}

/** A string literal: `it's` → `'it''s'`. */
export function str(value: string): Sql {
  if (value.includes('\u0000')) throw new SqlBuildError('a SQL string cannot contain a NUL character');
  return Sql.concat("'", value.replaceAll("'", "''"), "'");
}

/** A numeric literal; refuses NaN and infinities rather than producing invalid SQL. */
export function num(value: number): Sql {
  if (!Number.isFinite(value)) throw new SqlBuildError(`${value} is not a finite number`);
  return Sql.concat(Number.isInteger(value) ? value.toFixed(0) : String(value));
}

/** A whole number literal in a fixed range (limits, day counts). */
export function int(value: number, min: number, max: number): Sql {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SqlBuildError(`${value} is not a whole number between ${min} and ${max}`);
  }
  return Sql.concat(value.toFixed(0));
}

/** A TIMESTAMP literal from epoch milliseconds, read as a wall-clock (time zone free) time. */
export function timestamp(epochMs: number): Sql {
  if (!Number.isFinite(epochMs)) throw new SqlBuildError(`${epochMs} is not a time: a timestamp needs finite epoch milliseconds`);
  const date = new Date(Math.floor(epochMs));
  if (Number.isNaN(date.getTime())) {
    throw new SqlBuildError(`${epochMs} ms from 1970 is outside the times a timestamp can hold (years -271821 to 275760)`);
  }
  // toISOString writes years outside 0000-9999 as "+010000" / "-000001", which DuckDB refuses;
  // DuckDB reads astronomical years (0 = 1 BC, as JS counts them) as a sign and at least 4 digits.
  const year = date.getUTCFullYear();
  const yyyy = `${year < 0 ? '-' : ''}${String(Math.abs(year)).padStart(4, '0')}`;
  const rest = date.toISOString().replace(/^[+-]?\d+/u, '').replace('T', ' ').replace('Z', '');
  return Sql.concat('TIMESTAMP ', str(yyyy + rest));
}

/** DuckDB types whose values it writes as text (CAST to VARCHAR) that it reads back as the same value. */
const TEXT_EXACT_TYPE = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DATE|TIME|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE|VARCHAR|UUID|DECIMAL\(\d{1,2},\d{1,2}\))$/;

/** Whether `castText` can write a value of this type (a name as DuckDB's typeof() gives it). */
export function isTextExactType(type: string): boolean {
  return TEXT_EXACT_TYPE.test(type);
}

/**
 * A value of a type `isTextExactType` accepts, from the text the engine wrote it as:
 * `CAST('2025-03-01 10:00:00.123456' AS TIMESTAMP)`. A constant, so the engine can skip row groups by it.
 */
export function castText(text: string, type: string): Sql {
  if (!TEXT_EXACT_TYPE.test(type)) throw new SqlBuildError(`a ${JSON.stringify(type.slice(0, 60))} value cannot be written back from its text`);
  return Sql.concat('CAST(', str(text), ' AS ', type, ')');
}

/** Any scalar as a typed literal. */
export function literal(value: string | number | boolean | null): Sql {
  if (value === null) return Sql.concat('NULL');
  if (typeof value === 'boolean') return Sql.concat(value ? 'TRUE' : 'FALSE');
  if (typeof value === 'number') return num(value);
  return str(value);
}

/** A time grain keyword for date_trunc. */
export function grain(value: 'day' | 'week' | 'month' | 'quarter' | 'year'): Sql {
  const allowed = ['day', 'week', 'month', 'quarter', 'year'];
  if (!allowed.includes(value)) throw new SqlBuildError(`unknown time grain "${String(value)}"`);
  return str(value);
}

/** A table function call that reads one data file, or several as one table, at URLs or paths. */
export function readFile(urls: string | readonly string[], format: 'parquet' | 'csv' | 'json', opts: { csvBufferBytes?: number } = {}): Sql {
  const list = typeof urls === 'string' ? [urls] : urls;
  if (list.length === 0) throw new SqlBuildError('no files to read');
  const arg = list.length === 1 ? str(list[0] as string) : Sql.concat('[', Sql.join(list.map(str)), ']');
  switch (format) {
    case 'parquet':
      return Sql.concat('read_parquet(', arg, list.length > 1 ? ', union_by_name = true)' : ')');
    case 'csv': {
      const buffer = opts.csvBufferBytes === undefined ? '' : Sql.concat(', buffer_size = ', int(opts.csvBufferBytes, 1, 2 ** 31));
      return Sql.concat('read_csv_auto(', arg, list.length > 1 ? ', union_by_name = true' : '', buffer, ')');
    }
    case 'json':
      return Sql.concat('read_json_auto(', arg, ')');
  }
}

/**
 * A later piece of one CSV file (csv-stream.ts), read as its first piece was: the file's header
 * line first, and every column's type as the first piece's read gave it, so each piece sniffs only
 * its dialect. Type names come from the engine's own DESCRIBE and are passed as strings.
 */
export function readCsvPiece(name: string, types: readonly { name: string; type: string }[]): Sql {
  if (types.length === 0) throw new SqlBuildError('no columns to read');
  const pinned = Sql.join(types.map((c) => Sql.concat(str(c.name), ': ', str(c.type))), ', ');
  return Sql.concat('read_csv_auto(', str(name), ', header = true, types = {', pinned, '})');
}

/** Append a query's rows to a table; the engine answers with their count ("Count"). */
export function insertInto(table: string, select: Sql): Sql {
  return Sql.concat('INSERT INTO ', ident(table), ' ', select);
}

/** An ENUM type of every value (but NULL) `column` has in the rows of `from`, sorted. */
export function createEnumType(type: string, column: string, from: Sql): Sql {
  return Sql.concat('CREATE TYPE ', ident(type), ' AS ENUM (SELECT DISTINCT ', ident(column), ' FROM (', from, ') WHERE ', ident(column), ' IS NOT NULL ORDER BY 1)');
}

/** Change a table column's type in place (its values cast to it). */
export function alterColumnType(table: string, column: string, type: string): Sql {
  return Sql.concat('ALTER TABLE ', ident(table), ' ALTER COLUMN ', ident(column), ' TYPE ', ident(type));
}

/** Keep rows whose column (compared as text) is one of the values; null matches NULL. */
export function memberIn(col: Sql, values: readonly (string | null)[]): Sql {
  const strings = values.filter((v): v is string => v !== null);
  const parts: Sql[] = [];
  if (strings.length > 0) parts.push(Sql.concat('CAST(', col, ' AS VARCHAR) IN (', Sql.join(strings.map(str)), ')'));
  if (strings.length !== values.length) parts.push(Sql.concat(col, ' IS NULL'));
  if (parts.length === 0) return Sql.concat('FALSE');
  return parts.length === 1 ? (parts[0] as Sql) : Sql.concat('(', Sql.join(parts, ' OR '), ')');
}

/**
 * Every row of these Parquet files, as `readFile` reads them (or only `columns`), plus `orderColumn`:
 * a BIGINT that orders rows as a load of them would (file by file in the given order, then row by
 * row), for a view over files, which has no rowid. With `rowsBefore` (each file's rows before it) it
 * is the row's place in the whole list, which is the rowid a table loaded from the files in this
 * order gives it. Uses 0.9.1's `filename` and `file_row_number` options, so a file with a column of
 * either name cannot be read this way (the engine says so).
 */
export function selectParquetInFileOrder(urls: readonly string[], orderColumn: string, opts: { columns?: readonly string[]; rowsBefore?: readonly number[] } = {}): Sql {
  if (urls.length === 0) throw new SqlBuildError('no files to read');
  if (opts.rowsBefore && opts.rowsBefore.length !== urls.length) throw new SqlBuildError('one row offset per file is needed');
  const arg = urls.length === 1 ? str(urls[0] as string) : Sql.concat('[', Sql.join(urls.map(str)), ']');
  const place = Sql.concat('list_position(', arg, ', "filename")');
  // One file: its row number. Several: the rows of the files before it, or else the file's place in
  // the list in the high bits (2^40 rows per file).
  let order: Sql;
  if (urls.length === 1) order = Sql.concat('"file_row_number"');
  else if (opts.rowsBefore) order = Sql.concat('(CAST([', Sql.join(opts.rowsBefore.map((n) => int(n, 0, Number.MAX_SAFE_INTEGER))), '] AS BIGINT[])[', place, '] + "file_row_number")');
  else order = Sql.concat('(CAST(', place, ' AS BIGINT) * 1099511627776 + "file_row_number")');
  const columns = opts.columns ? Sql.join(opts.columns.map(ident)) : Sql.concat('* EXCLUDE ("filename", "file_row_number")');
  return Sql.concat(
    'SELECT ', columns, ', ', order, ' AS ', ident(orderColumn),
    ' FROM read_parquet(', arg, urls.length > 1 ? ', union_by_name = true' : '', ', filename = true, file_row_number = true)',
  );
}

/**
 * The CSV reader's buffer for a source's view: 4 MiB instead of 0.9.1's 32 MiB. Making the view
 * sniffs the file, which reads its first buffer whole: over the data gateway that took 0.8-1.0 s
 * of every CSV open. The sniff still samples the same rows (it reads on into the next buffers), and
 * a line may still be as long as the reader allows (`max_line_size`, 2 MiB).
 */
const CSV_VIEW_BUFFER_BYTES = 4 * 1024 * 1024;

/** A view named after a data source, so SQL datasets can say `FROM orders`. */
export function createSourceView(name: string, urls: string | readonly string[], format: 'parquet' | 'csv' | 'json'): Sql {
  return Sql.concat('CREATE OR REPLACE VIEW ', ident(name), ' AS SELECT * FROM ', readFile(urls, format, { csvBufferBytes: CSV_VIEW_BUFFER_BYTES }));
}

/** Materialize a query into an in-memory table (replacing an earlier load). */
export function createTableAs(table: string, select: Sql): Sql {
  return Sql.concat('CREATE OR REPLACE TABLE ', ident(table), ' AS ', select);
}

/** A view over a query: a dataset read from its source on every query instead of loaded into memory. */
export function createViewAs(view: string, select: Sql): Sql {
  return Sql.concat('CREATE OR REPLACE VIEW ', ident(view), ' AS ', select);
}

/** Whether a name in the main schema is a table or a view: one row whose "kind" is 'BASE TABLE' or 'VIEW', none when absent. */
export function relationKind(name: string): Sql {
  return Sql.concat('SELECT table_type AS "kind" FROM information_schema.tables WHERE table_schema = \'main\' AND table_name = ', str(name));
}

/** Drop a table or a view (DuckDB refuses to drop, or replace, one kind by the statement of the other). */
export function dropRelation(name: string, kind: 'table' | 'view'): Sql {
  return Sql.concat(kind === 'table' ? 'DROP TABLE IF EXISTS ' : 'DROP VIEW IF EXISTS ', ident(name));
}

/**
 * Each Parquet file's declared rows ("rows", its row groups summed) and what it takes once loaded
 * into a DuckDB table ("bytes": an estimate of the memory a load needs), read from the footers only
 * (no data pages), in one pass over them. Per column chunk, the larger of its uncompressed size and
 * its values times their width in memory. The uncompressed size alone is far too low: dictionary-
 * and RLE-encoded chunks are small even uncompressed, while DuckDB keeps every value at full width
 * (16 bytes per string, 8 per BIGINT/DOUBLE/TIMESTAMP). Measured on the demo orders at 20M rows:
 * uncompressed sizes said 573 MB, the table took 2,696 MB, this says 2.7 GB. In doubles, so that a
 * footer declaring absurd value counts cannot overflow the arithmetic. Largest file first. With
 * `columns`, the bytes of those (top-level) columns only: what a load of them takes.
 */
export function parquetFileFacts(urls: readonly string[], columns: readonly string[] | null = null): Sql {
  if (urls.length === 0) throw new SqlBuildError('no files to read the metadata of');
  if (columns?.length === 0) throw new SqlBuildError('no columns to estimate');
  const arg = Sql.concat('[', Sql.join(urls.map(str)), ']');
  // Only these top-level columns (a nested one's chunks have paths "name, list, element"); rows come from any.
  const only = columns ? Sql.concat(' WHERE string_split(path_in_schema, \', \')[1] IN (', Sql.join(columns.map(str)), ')') : '';
  return Sql.concat(
    'SELECT "file", CAST(sum("group_rows") AS DOUBLE) AS "rows", sum("group_bytes") AS "bytes" FROM (',
    // parquet_metadata has a row per column chunk: a row group's row count appears once per column.
    'SELECT file_name AS "file", row_group_id, max(row_group_num_rows) AS "group_rows", ',
    // memory-estimate.ts's chunkMemoryBytes, per column chunk.
    'sum(greatest(CAST(total_uncompressed_size AS DOUBLE), CAST(num_values AS DOUBLE) * CASE "type" ',
    Sql.join(Object.entries(VALUE_WIDTHS).map(([type, width]) => Sql.concat('WHEN ', str(type), ' THEN ', int(width, 1, 64))), ' '),
    ' ELSE ', int(OTHER_VALUE_WIDTH, 1, 64), ' END)) AS "group_bytes" FROM parquet_metadata(',
    arg,
    ')', only, ' GROUP BY file_name, row_group_id) GROUP BY "file" ORDER BY "rows" DESC',
  );
}

/** Everything from a table or view. */
export function selectAll(from: string): Sql {
  return Sql.concat('SELECT * FROM ', ident(from));
}

/** These columns (quoted) of a table or view, or of a table function (`readFile`); every column when `columns` is null. */
export function selectColumns(from: string | Sql, columns: readonly string[] | null): Sql {
  const relation = typeof from === 'string' ? ident(from) : from;
  if (columns === null) return Sql.concat('SELECT * FROM ', relation);
  if (columns.length === 0) throw new SqlBuildError(`no columns to select from ${relation.text}`);
  return Sql.concat('SELECT ', Sql.join(columns.map(ident), ', '), ' FROM ', relation);
}

/**
 * The SQL of an "advanced" dataset, as one query. It is the author's code, not a value: it runs
 * only after the reader trusts the file. Here we only make sure it is a single statement, so it
 * can be wrapped as a subquery and cannot smuggle a second statement after a `;`.
 */
export function userSelect(text: string): Sql {
  const body = stripTrailingSemicolons(text);
  if (body.trim() === '') throw new SqlBuildError('the SQL is empty');
  const extra = findStatementBreak(body);
  if (extra !== null) throw new SqlBuildError(`the SQL must be a single query: found ";" at character ${extra + 1}`);
  return Sql.concat('SELECT * FROM (\n', body, '\n)');
}

function stripTrailingSemicolons(text: string): string {
  return text.replace(/[\s;]+$/u, '');
}

/** Position of a `;` outside quotes and comments, or null. */
function findStatementBreak(sql: string): number | null {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      // A doubled quote is an escaped quote: keep scanning after it.
      let j = close;
      while (j !== -1 && sql[j + 1] === c) j = sql.indexOf(c, j + 2);
      if (j === -1) return null; // unterminated: DuckDB will report it
      i = j + 1;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      if (end === -1) return null;
      i = end + 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return null;
      i = end + 2;
    } else if (c === ';') {
      return i;
    } else {
      i += 1;
    }
  }
  return null;
}
