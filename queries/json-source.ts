// JSON data files as tables. DuckDB-WASM 1.28.0 (DuckDB 0.9.1) has no JSON reader without the json
// extension, which it fetches from the network, so the app parses JSON itself and hands the engine an
// Arrow table: an array of objects, newline-delimited objects, or an object whose one array member
// holds the rows. Each column's type is inferred from all its values (see `inferColumn`).
// apache-arrow 13's package "exports" lead TypeScript's Bundler resolution to Arrow.dom.mjs, for which
// it ships no declarations; the few parts used here are typed by `ArrowApi` below.
// @ts-expect-error untyped ESM entry (see above)
import * as untypedArrow from 'apache-arrow';

interface ArrowApi {
  Field: new (name: string, type: unknown, nullable: boolean) => unknown;
  Schema: new (fields: unknown[]) => unknown;
  Struct: new (fields: unknown[]) => unknown;
  RecordBatch: new (schema: unknown, data: unknown) => unknown;
  Table: new (schema: unknown, batches: unknown[]) => ArrowTable;
  Int64: new () => unknown;
  Float64: new () => unknown;
  Bool: new () => unknown;
  TimestampMicrosecond: new () => unknown;
  Utf8: new () => unknown;
  makeData(opts: { type: unknown; length: number; nullCount: number; children?: unknown[]; nullBitmap?: Uint8Array; data?: ArrayBufferView; valueOffsets?: Int32Array }): unknown;
  tableToIPC(table: ArrowTable, format: 'stream'): Uint8Array;
}
/** An Arrow table (apache-arrow 13), as far as callers here use it. */
export interface ArrowTable {
  numRows: number;
  schema: { fields: { name: string; type: { toString(): string } }[] };
}
const arrow = untypedArrow as ArrowApi;

/** The largest JSON file read into memory; a bigger one is refused with this figure. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

/** A JSON file that cannot become a table, with a message that says where and why. */
export class JsonSourceError extends Error {
  override readonly name = 'JsonSourceError';
}

/** The SQL type a column gets: numbers, booleans and ISO-8601 timestamps keep their kind, the rest is text. */
export type JsonColumnType = 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP' | 'VARCHAR';

/** One column of the table: its key, its type, and a value (or null) per row. */
export interface JsonColumn {
  name: string;
  type: JsonColumnType;
  values: (string | number | bigint | boolean | null)[];
}

/** The rows of a JSON file as columns, ready for `jsonColumnsToArrow`. */
export interface JsonTable {
  columns: JsonColumn[];
  rowCount: number;
}

/** Why a file of `size` bytes is not read: it is above the limit. */
export function jsonTooLarge(name: string, size: number, maxBytes: number = MAX_JSON_BYTES): string {
  const count = (n: number) => n.toLocaleString('en-US');
  return `${name} is ${count(size)} bytes, more than the ${count(maxBytes)} a JSON source may have (it is read into memory): convert it to Parquet or CSV first.`;
}

/**
 * The rows of a JSON document: an array of objects, one object per line (NDJSON), or an object with
 * exactly one member that is an array of objects. `name` names the file in errors.
 */
export function parseJsonRows(text: string, name: string, onRows?: RowsParsed): Record<string, unknown>[] {
  const start = text.search(/\S/);
  if (start < 0) throw new JsonSourceError(`${name} is empty: a JSON source needs an array of objects or one object per line.`);
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch (err) {
    // One object per line is not one JSON document: read it line by line, with the line in errors.
    if (text[start] === '{' && firstLineIsJson(text)) return parseNdjson(text, name, onRows);
    throw new JsonSourceError(`${name} is not valid JSON: ${describeSyntaxError(text, err)}.`);
  }
  let rows: unknown[];
  let where = '';
  if (Array.isArray(whole)) rows = whole;
  else if (isObject(whole)) {
    const arrays = Object.keys(whole).filter((k) => Array.isArray(whole[k]));
    if (arrays.length === 1 && arrays[0] !== undefined && Object.keys(whole).length === 1) {
      rows = whole[arrays[0]] as unknown[];
      where = ` of "${arrays[0]}"`;
    } else rows = [whole]; // A one-line NDJSON file: one row.
  } else throw new JsonSourceError(`${name} holds ${kindOf(whole)}, not rows: a JSON source needs an array of objects or one object per line.`);
  if (rows.length === 0) throw new JsonSourceError(`${name} holds no rows (the array${where} is empty).`);
  rows.forEach((row, i) => {
    if (!isObject(row)) throw new JsonSourceError(`${name}: row ${i}${where} is ${kindOf(row)}, not an object: every row must be an object of fields.`);
  });
  return rows as Record<string, unknown>[];
}

function firstLineIsJson(text: string): boolean {
  const first = text.split('\n').find((line) => line.trim() !== '') ?? '';
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

/** Told how far a parse got: the characters of the text read so far, and the rows. */
export type RowsParsed = (chars: number, rows: number) => void;

/** Rows between two reports of an NDJSON parse's progress. */
const ROWS_PER_REPORT = 25_000;

function parseNdjson(text: string, name: string, onRows?: RowsParsed): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  let chars = 0;
  lines.forEach((raw, i) => {
    chars += raw.length + 1;
    if (onRows && rows.length % ROWS_PER_REPORT === 0 && rows.length > 0) onRows(Math.min(chars, text.length), rows.length);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const { column } = lineAndColumn(line, errorOffset(line, err));
      throw new JsonSourceError(`${name} is not valid JSON at line ${i + 1}, column ${column}: ${syntaxReason(line, err)}.`);
    }
    if (!isObject(value)) throw new JsonSourceError(`${name}: row ${rows.length} (line ${i + 1}) is ${kindOf(value)}, not an object: every row must be an object of fields.`);
    rows.push(value);
  });
  return rows;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return 'an object';
}

/** "line 3, column 7: <reason>" for a document JSON.parse refused. */
function describeSyntaxError(text: string, err: unknown): string {
  const { line, column } = lineAndColumn(text, errorOffset(text, err));
  return `line ${line}, column ${column}: ${syntaxReason(text, err)}`;
}

/** JSON.parse's reason without its position (given separately) or its quote of the text. */
function syntaxReason(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/\s*in JSON at position \d+/, '')
    // V8 quotes the text around the error, cut with "..." at either end when it is long.
    .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .trim();
  return reason || 'unexpected input';
}

/**
 * Where JSON.parse stopped. V8 names the offset in some messages ("at position 42") but only quotes
 * the token in others, so the text is scanned again here to find the first offending character.
 */
function errorOffset(text: string, err: unknown): number {
  const at = /at position (\d+)/.exec(err instanceof Error ? err.message : String(err));
  if (at) return Number(at[1]);
  try {
    const end = scanValue(text, skipSpace(text, 0));
    return skipSpace(text, end);
  } catch (e) {
    // A stack overflow on hostile nesting: the position is unknown, say the end.
    return e instanceof ScanFailure ? e.at : text.length;
  }
}

class ScanFailure {
  constructor(readonly at: number) {}
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** The end of the JSON value starting at `i`, or a ScanFailure at its first wrong character. */
function scanValue(text: string, i: number): number {
  const c = text[i];
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    i = skipSpace(text, i + 1);
    if (text[i] === close) return i + 1;
    for (;;) {
      if (c === '{') {
        if (text[i] !== '"') throw new ScanFailure(i);
        i = skipSpace(text, scanValue(text, i));
        if (text[i] !== ':') throw new ScanFailure(i);
        i = skipSpace(text, i + 1);
      }
      i = skipSpace(text, scanValue(text, i));
      if (text[i] === close) return i + 1;
      if (text[i] !== ',') throw new ScanFailure(i);
      i = skipSpace(text, i + 1);
    }
  }
  if (c === '"') {
    for (i += 1; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) return i + 1;
      if (ch < 0x20) throw new ScanFailure(i);
      if (ch === 0x5c) {
        const e = text[i + 1] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new ScanFailure(i + 1);
          i += 5;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') i += 1;
        else throw new ScanFailure(i + 1);
      }
    }
    throw new ScanFailure(text.length);
  }
  const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
  if (!literal) throw new ScanFailure(i);
  return i + literal[0].length;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Columns from rows: the union of their keys in first-seen order (a missing key is NULL; within an
 * object JSON.parse puts integer-like keys such as "2" first, so they lead), each typed
 * by `inferColumn`. Keys are read as own properties only, so `__proto__` or `constructor` are plain
 * column names and a row without them is NULL there, never a value from Object.prototype.
 */
export function rowsToColumns(rows: readonly Record<string, unknown>[], name: string): JsonTable {
  const keys = new Map<string, number>();
  for (const row of rows) for (const key of Object.keys(row)) if (!keys.has(key)) keys.set(key, keys.size);
  if (keys.size === 0) throw new JsonSourceError(`${name}: no row has any field, so there are no columns.`);
  // DuckDB column names ignore case: two keys that differ only in case would be one column.
  const folded = new Map<string, string>();
  for (const key of keys.keys()) {
    const other = folded.get(key.toLowerCase());
    if (other !== undefined) throw new JsonSourceError(`${name}: the fields "${other}" and "${key}" differ only in case, and column names ignore case: rename one.`);
    folded.set(key.toLowerCase(), key);
  }
  const columns = [...keys.keys()].map((key) => inferColumn(key, rows.map((row) => (Object.hasOwn(row, key) ? row[key] : null))));
  return { columns, rowCount: rows.length };
}

/**
 * One column's type from all its non-null values: all integers within ±(2^53-1) → BIGINT; all
 * numbers → DOUBLE (an integer beyond 2^53 is a DOUBLE: JSON.parse has already rounded it to the
 * nearest double, so BIGINT would state digits the file does not give); all booleans → BOOLEAN; all
 * ISO-8601 date-times → TIMESTAMP (UTC; an offset is applied; below a millisecond is dropped);
 * anything else → VARCHAR, where objects, arrays and non-string values are their JSON text.
 */
export function inferColumn(name: string, raw: readonly unknown[]): JsonColumn {
  // One pass over the values for what they all are (a column can hold a million of them).
  let present = 0;
  let ints = true;
  let numbers = true;
  let booleans = true;
  let strings = true;
  for (const v of raw) {
    if (v === null || v === undefined) continue;
    present += 1;
    if (typeof v === 'number') {
      booleans = strings = false;
      if (ints && !Number.isSafeInteger(v)) ints = false;
    } else {
      ints = numbers = false;
      if (typeof v !== 'boolean') booleans = false;
      if (typeof v !== 'string') strings = false;
    }
  }
  if (present > 0 && ints) return { name, type: 'BIGINT', values: raw.map((v) => (v === null || v === undefined ? null : BigInt(v as number))) };
  if (present > 0 && numbers) return { name, type: 'DOUBLE', values: raw.map((v) => (typeof v === 'number' ? v : null)) };
  if (present > 0 && booleans) return { name, type: 'BOOLEAN', values: raw.map((v) => (typeof v === 'boolean' ? v : null)) };
  if (present > 0 && strings) {
    // Each text parsed once: the first that is no date-time ends the try.
    const times = new Array<number | null>(raw.length);
    let allTimes = true;
    for (let i = 0; i < raw.length && allTimes; i++) {
      const v = raw[i];
      if (v === null || v === undefined) times[i] = null;
      else if ((times[i] = parseIsoTimestamp(v as string)) === null) allTimes = false;
    }
    if (allTimes) return { name, type: 'TIMESTAMP', values: times };
  }
  return { name, type: 'VARCHAR', values: raw.map((v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v))) };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch milliseconds of an ISO-8601 date or date-time (a real calendar date), or null. */
export function parseIsoTimestamp(text: string): number | null {
  const plain = plainTimestamp(text);
  if (plain !== undefined) return plain;
  const m = ISO.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate() || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const h = Number(digits.slice(1, 3));
    const mm = Number(digits.slice(3, 5));
    if (h > 23 || mm > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (h * 60 + mm);
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offsetMin * 60_000;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The common shapes "YYYY-MM-DD" and "YYYY-MM-DD HH:MM:SS" (or with a T), years 1000-9999, read
 * from their digits without a regular expression or a Date per value; undefined for any other
 * text, which `parseIsoTimestamp` reads in full. Null for such a text that is no real date-time.
 */
function plainTimestamp(text: string): number | null | undefined {
  const n = text.length;
  if (n !== 10 && n !== 19) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  const century = two(text, 0);
  const yy = two(text, 2);
  const y = century * 100 + yy;
  const month = two(text, 5);
  const day = two(text, 8);
  let hour = 0;
  let minute = 0;
  let second = 0;
  if (n === 19) {
    const sep = text.charCodeAt(10);
    if ((sep !== 32 && sep !== 84) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
    hour = two(text, 11);
    minute = two(text, 14);
    second = two(text, 17);
  }
  // A part that is not two digits is -1.
  if ((century | yy | month | day | hour | minute | second) < 0 || y < 1000) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (days === undefined || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return null;
  return daysFromCivil(y, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000;
}

/** The two decimal digits at `at` as a number, or -1 when either is not a digit. */
function two(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil), no Date per value. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const ARROW_TYPES: Record<JsonColumnType, () => unknown> = {
  BIGINT: () => new arrow.Int64(),
  DOUBLE: () => new arrow.Float64(),
  BOOLEAN: () => new arrow.Bool(),
  // Microseconds: DuckDB reads them as TIMESTAMP (milliseconds would be TIMESTAMP_MS). The builder takes epoch ms.
  TIMESTAMP: () => new arrow.TimestampMicrosecond(),
  VARCHAR: () => new arrow.Utf8(),
};

/** The columns as an Arrow table, one vector per column in order. */
export function jsonColumnsToArrow(table: JsonTable): ArrowTable {
  // Built from a schema, not from an object of vectors: an object would move integer-like keys
  // ("10") to the front and take "__proto__" as its prototype.
  const fields: unknown[] = [];
  const children: unknown[] = [];
  for (const column of table.columns) {
    const type = ARROW_TYPES[column.type]();
    fields.push(new arrow.Field(column.name, type, true));
    children.push(columnData(type, column));
  }
  const schema = new arrow.Schema(fields);
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: table.rowCount, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

/**
 * One column's Arrow data, its buffers written directly. apache-arrow's builders took most of a
 * large load's time (a 224 MB NDJSON file: ~6 s of their own work and ~7 s of garbage collection,
 * each string encoded into a fresh array), and their NULL test would be compiled with
 * `new Function`, which the app's CSP refuses.
 */
function columnData(type: unknown, column: JsonColumn): unknown {
  const { values } = column;
  const length = values.length;
  const nullBitmap = new Uint8Array(Math.ceil(length / 8));
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (values[i] === null) nullCount += 1;
    else nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
  }
  const base = { type, length, nullCount, ...(nullCount > 0 ? { nullBitmap } : {}) };
  switch (column.type) {
    case 'BIGINT': {
      const data = new BigInt64Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as bigint;
      return arrow.makeData({ ...base, data });
    }
    case 'TIMESTAMP': {
      // Epoch milliseconds in, microseconds out: written as two 32-bit halves (little-endian), no
      // BigInt per value, while the product is an exact double; beyond (years past ±285,000), as BigInt.
      const data = new BigInt64Array(length);
      const halves = new Int32Array(data.buffer);
      for (let i = 0; i < length; i++) {
        const ms = values[i] as number | null;
        if (ms === null) continue;
        const us = ms * 1000;
        if (!Number.isSafeInteger(us)) data[i] = BigInt(ms) * 1000n;
        else {
          const high = Math.floor(us / 4_294_967_296);
          halves[2 * i] = us - high * 4_294_967_296;
          halves[2 * i + 1] = high;
        }
      }
      return arrow.makeData({ ...base, data });
    }
    case 'DOUBLE': {
      const data = new Float64Array(length);
      for (let i = 0; i < length; i++) if (values[i] !== null) data[i] = values[i] as number;
      return arrow.makeData({ ...base, data });
    }
    case 'BOOLEAN': {
      const data = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
      return arrow.makeData({ ...base, data });
    }
    case 'VARCHAR': {
      const { valueOffsets, data } = utf8Buffers(values as (string | null)[]);
      return arrow.makeData({ ...base, valueOffsets, data });
    }
  }
}

const utf8Encoder = new TextEncoder();

/** Strings as Arrow's UTF-8 layout: one byte buffer and each value's start in it (NULL: empty). */
function utf8Buffers(values: readonly (string | null)[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const valueOffsets = new Int32Array(values.length + 1);
  let data = new Uint8Array(Math.max(64, values.reduce((n, v) => n + (v?.length ?? 0), 0)));
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value) {
      // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
      if (at + value.length * 3 > data.length) {
        const grown = new Uint8Array(Math.max(data.length * 2, at + value.length * 3));
        grown.set(data.subarray(0, at));
        data = grown;
      }
      let ascii = true;
      for (let k = 0; k < value.length; k++) {
        const code = value.charCodeAt(k);
        if (code > 0x7f) {
          ascii = false;
          break;
        }
        data[at + k] = code;
      }
      at += ascii ? value.length : (utf8Encoder.encodeInto(value, data.subarray(at)).written ?? 0);
    }
    valueOffsets[i + 1] = at;
  }
  return { valueOffsets, data: data.subarray(0, at) };
}

/** Told how far JSON files' parse got: the share of their text parsed (0–1), and the rows so far. */
export type ParsedShare = (share: number, rows: number) => void;

/**
 * JSON files' text as one Arrow IPC stream the engine inserts as a table: their rows in file order,
 * with the union of their fields. `name` names the whole source in errors about its columns.
 * `onParsed` hears, while one object per line is parsed and after each file, how far it got.
 */
export function jsonToArrowIpc(files: readonly { text: string; name: string }[], name: string, onParsed?: ParsedShare): { ipc: Uint8Array; table: JsonTable } {
  const chars = files.reduce((n, f) => n + f.text.length, 0) || 1;
  let before = 0;
  const rows: Record<string, unknown>[] = [];
  for (const file of files) {
    const counted = rows.length;
    for (const row of parseJsonRows(file.text, file.name, onParsed && ((done, n) => onParsed((before + done) / chars, counted + n)))) rows.push(row);
    before += file.text.length;
    onParsed?.(before / chars, rows.length);
  }
  const table = rowsToColumns(rows, name);
  return { ipc: arrow.tableToIPC(jsonColumnsToArrow(table), 'stream'), table };
}
