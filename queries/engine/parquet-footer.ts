// What a Parquet footer says of its top-level columns, read in JS in one streaming pass over the
// Thrift FileMetaData: the schema's top-level elements, each row group's rows, and the statistics
// of the columns asked for. Two readers use it:
// - parquet-window.ts `timeStatistics`: where the newest rows are, for a first paint from them;
// - bytes-first.ts `probeFooters`: the columns and their types, the row count and the statistics the
//   first KPIs need, which the engine would otherwise be asked (three statements on a cold engine,
//   on a cold open's critical path). Only what can be read exactly as DuckDB 0.9.1 reads it is
//   answered here; anything else (nested schemas, dates, unsigned or decimal columns, nanosecond,
//   zoned or out-of-range timestamps) is left to the engine.
import { PHYSICAL_TYPES } from '../memory-estimate';
import { CompactReader, T } from './thrift-compact';

type Physical = (typeof PHYSICAL_TYPES)[number];

/** A schema element's name, physical type, children, and what its annotations say. */
export interface SchemaElement {
  name: string;
  /** Physical type (null: none, a group). */
  type: Physical | null;
  children: number;
  /** A timestamp's units per millisecond (1n, 1000n, 1000000n); null: not a timestamp. */
  unit: bigint | null;
  /** The ConvertedType, or null. */
  converted: number | null;
  /** The LogicalType union's field id (1 STRING, 8 TIMESTAMP, 10 INTEGER, ...), or null. */
  logical: number | null;
  /** A TIMESTAMP logical type's isAdjustedToUTC; null when not one. */
  utc: boolean | null;
  /** repetition_type REPEATED (a legacy list when a leaf). */
  repeated: boolean;
}

/** A column chunk's statistics as encoded: min_value (6), max_value (5), and the older min (2), max (1). */
export type RawStatistics = Partial<Record<1 | 2 | 5 | 6, Uint8Array>>;

/** A footer's schema, declared rows, and row groups with the statistics asked for. */
export interface FooterColumns {
  /** Every schema element, root first, in the footer's order (depth first). */
  schema: SchemaElement[];
  /** FileMetaData.num_rows; null when absent. */
  numRows: number | null;
  /** Each row group's rows, and the statistics of each asked column (every one when none were named) that is a top-level leaf there. */
  groups: { rows: number; stats: Map<string, RawStatistics> }[];
}

/**
 * Read a footer (the Thrift FileMetaData, without its length and magic) once, keeping only the
 * schema, the row counts, and the statistics of the top-level columns named in `columns` (null: of
 * every top-level column; they are views of the footer's bytes, not copies).
 */
export function readFooterColumns(footer: Uint8Array, columns: ReadonlySet<string> | null): FooterColumns {
  const reader = new CompactReader(footer);
  const out: FooterColumns = { schema: [], numRows: null, groups: [] };
  reader.readStruct((id, type) => {
    if (id === 2 && type === T.LIST) reader.readList(() => out.schema.push(schemaElement(reader)));
    else if (id === 3 && type === T.I64) out.numRows = reader.readVarLong();
    else if (id === 4 && type === T.LIST) reader.readList(() => out.groups.push(groupStatistics(reader, columns)));
    else reader.skip(type);
  });
  return out;
}

/** The footer's top-level columns by name (the root's children; nested ones with their children). */
export function topLevel(schema: readonly SchemaElement[]): Map<string, SchemaElement> {
  const found = new Map<string, SchemaElement>();
  let i = 1;
  const skipSubtree = (): void => {
    const el = schema[i++];
    for (let c = 0; c < (el?.children ?? 0); c++) skipSubtree();
  };
  for (let c = 0; c < (schema[0]?.children ?? 0) && i < schema.length; c++) {
    const el = schema[i];
    if (el) found.set(el.name, el);
    skipSubtree();
  }
  return found;
}

function schemaElement(reader: CompactReader): SchemaElement {
  const el: SchemaElement = { name: '', type: null, children: 0, unit: null, converted: null, logical: null, utc: null, repeated: false };
  let logicalUnit: bigint | null | undefined;
  reader.readStruct((id, type) => {
    if (id === 4 && type === T.BINARY) el.name = reader.readString();
    else if (id === 1 && type === T.I32) el.type = PHYSICAL_TYPES[reader.readVarLong()] ?? null;
    else if (id === 5 && type === T.I32) el.children = reader.readVarLong();
    else if (id === 3 && type === T.I32) el.repeated = reader.readVarLong() === 2;
    else if (id === 6 && type === T.I32) el.converted = reader.readVarLong();
    else if (id === 10 && type === T.STRUCT) {
      // LogicalType union: 8 = TIMESTAMP { 2: TimeUnit union { 1 MILLIS, 2 MICROS, 3 NANOS } }.
      reader.readStruct((lid, ltype) => {
        el.logical = lid;
        if (lid !== 8 || ltype !== T.STRUCT) return reader.skip(ltype);
        logicalUnit = null;
        reader.readStruct((tid, ttype) => {
          if (tid === 1 && (ttype === T.TRUE || ttype === T.FALSE)) el.utc = ttype === T.TRUE;
          if (tid !== 2 || ttype !== T.STRUCT) return reader.skip(ttype);
          reader.readStruct((uid, utype) => {
            logicalUnit = uid === 1 ? 1n : uid === 2 ? 1000n : uid === 3 ? 1_000_000n : null;
            reader.skip(utype);
          });
        });
      });
    } else reader.skip(type);
  });
  // converted_type TIMESTAMP_MILLIS (9) / TIMESTAMP_MICROS (10), unless the logical type says otherwise.
  el.unit = el.logical !== null ? (logicalUnit ?? null) : el.converted === 9 ? 1n : el.converted === 10 ? 1000n : null;
  return el;
}

function groupStatistics(reader: CompactReader, columns: ReadonlySet<string> | null): FooterColumns['groups'][number] {
  const group: FooterColumns['groups'][number] = { rows: 0, stats: new Map() };
  reader.readStruct((id, type) => {
    if (id === 3 && type === T.I64) group.rows = reader.readVarLong();
    else if (id === 1 && type === T.LIST)
      reader.readList(() =>
        reader.readStruct((cid, ctype) => {
          if (cid !== 3 || ctype !== T.STRUCT) return reader.skip(ctype);
          const path: string[] = [];
          const stat: RawStatistics = {};
          reader.readStruct((mid, mtype) => {
            if (mid === 3 && mtype === T.LIST) reader.readList(() => path.push(reader.readString()));
            else if (mid === 12 && mtype === T.STRUCT)
              reader.readStruct((sid, stype) => {
                if ((sid === 1 || sid === 2 || sid === 5 || sid === 6) && stype === T.BINARY) stat[sid] = reader.readBinary();
                else reader.skip(stype);
              });
            else reader.skip(mtype);
          });
          if (path.length === 1 && (columns === null || columns.has(path[0] as string))) group.stats.set(path[0] as string, stat);
        }),
      );
    else reader.skip(type);
  });
  return group;
}

/** A little-endian signed statistic of a physical INT32 (4 bytes) or INT64 (8 bytes); null otherwise. */
export function signedValue(value: Uint8Array | undefined, physical: Physical | null): bigint | null {
  if (!value) return null;
  const view = new DataView(value.buffer, value.byteOffset, value.length);
  if (physical === 'INT32' && value.length === 4) return BigInt(view.getInt32(0, true));
  if (physical === 'INT64' && value.length === 8) return view.getBigInt64(0, true);
  return null;
}

/** The Thrift FileMetaData of a Parquet file's tail (…, metadata, its length, "PAR1"); null when not one. */
export function footerMetadata(tail: Uint8Array): Uint8Array | null {
  if (tail.length < 12) return null;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.length);
  if (view.getUint32(tail.length - 4, true) !== 0x31524150) return null;
  const length = view.getUint32(tail.length - 8, true);
  if (length > tail.length - 8) return null;
  return tail.subarray(tail.length - 8 - length, tail.length - 8);
}

/**
 * count(*) over files of these footers, as DuckDB gives it: the sum of their row groups' rows. Null
 * (ask the engine) when a schema is nested, or a footer's declared rows differ from its row groups'
 * (legacy nested files declare 0 and hold rows).
 */
export function footerRowCount(footers: readonly FooterColumns[]): number | null {
  let rows = 0;
  for (const f of footers) {
    const root = f.schema[0];
    if (!root || root.children !== f.schema.length - 1 || f.schema.some((el, i) => i > 0 && el.children !== 0)) return null;
    const sum = f.groups.reduce((n, g) => n + g.rows, 0);
    if (f.numRows !== sum || !Number.isSafeInteger(sum) || sum < 0) return null;
    rows += sum;
  }
  return Number.isSafeInteger(rows) ? rows : null;
}

/** DuckDB's signed integer types, whose statistics are stored as signed INT32 or INT64. */
const SIGNED_INTEGER = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT']);
/** The instants JS dates hold (±8.64e15 ms): inside DuckDB's TIMESTAMP range, so its casts succeed. */
const MAX_DATE_MS = 8_640_000_000_000_000n;

/**
 * From footers (`readFooterColumns` of each file, asked for `time` and `integers`), what
 * `statsFromFooters` (bytes-first.ts) reads from the engine's `parquet_metadata`, exactly:
 * - `newest`: the largest max_value of the TIMESTAMP column `time` as epoch ms (truncated, as
 *   `epoch_ms` does), when every row group has one;
 * - `bounds`: for each column of `integers`, the smallest min_value and largest max_value, when every
 *   row group has both (only min_value / max_value: the engine's `stats_min_value` reads those).
 * Returns null when a column asked for is not one read exactly here: then ask the engine. `types`
 * are the columns' DuckDB types (DESCRIBE).
 */
export function footerStatistics(
  footers: readonly FooterColumns[],
  types: ReadonlyMap<string, string>,
  ask: { time?: string; integers: readonly string[] },
): { newest: number | null; bounds: Map<string, { min: bigint; max: bigint }> } | null {
  const tops = footers.map((f) => topLevel(f.schema));
  // Every file's element for a column, when each is a leaf of one of the physical types given.
  const elements = (column: string, physical: readonly Physical[]): SchemaElement[] | null => {
    const els = tops.map((t) => t.get(column));
    return els.every((el): el is SchemaElement => el !== undefined && el.children === 0 && el.type !== null && physical.includes(el.type)) ? els : null;
  };
  let newest: number | null = null;
  if (ask.time !== undefined) {
    if (types.get(ask.time) !== 'TIMESTAMP') return null;
    const els = elements(ask.time, ['INT64']);
    if (!els || els.some((el) => el.unit !== 1n && el.unit !== 1000n)) return null;
    let max: bigint | null = null;
    let known = true;
    footers.forEach((f, i) => {
      for (const g of f.groups) {
        const value = signedValue(g.stats.get(ask.time as string)?.[5], 'INT64');
        if (value === null) known = false;
        else {
          const ms = value / (els[i] as SchemaElement).unit!;
          if (max === null || ms > max) max = ms;
        }
      }
    });
    if (max !== null && (max > MAX_DATE_MS || max < -MAX_DATE_MS)) return null;
    newest = known && max !== null ? Number(max) : null;
  }
  const bounds = new Map<string, { min: bigint; max: bigint }>();
  for (const column of ask.integers) {
    if (!SIGNED_INTEGER.has(types.get(column) ?? '')) return null;
    const els = elements(column, ['INT32', 'INT64']);
    if (!els) return null;
    let range: { min: bigint; max: bigint } | null = null;
    let known = true;
    footers.forEach((f, i) => {
      const physical = (els[i] as SchemaElement).type;
      for (const g of f.groups) {
        const stat = g.stats.get(column);
        const min = signedValue(stat?.[6], physical);
        const max = signedValue(stat?.[5], physical);
        if (min === null || max === null) known = false;
        else range = range === null ? { min, max } : { min: min < range.min ? min : range.min, max: max > range.max ? max : range.max };
      }
    });
    if (known && range) bounds.set(column, range);
  }
  return { newest, bounds };
}

/** The ConvertedTypes and LogicalType kinds that `footerColumnTypes` reads. */
const CONVERTED = { UTF8: 0, TIMESTAMP_MILLIS: 9, TIMESTAMP_MICROS: 10, INT_8: 15, INT_16: 16, INT_32: 17, INT_64: 18 } as const;
const LOGICAL = { STRING: 1, TIMESTAMP: 8, INTEGER: 10 } as const;

/** DuckDB 0.9.1's type for a top-level leaf, for the annotations read exactly here; null for any other. */
function duckdbType(el: SchemaElement): string | null {
  const { type, converted, logical } = el;
  const plain = converted === null && logical === null;
  switch (type) {
    case 'BOOLEAN':
    case 'FLOAT':
    case 'DOUBLE':
      return plain ? type : null;
    case 'BYTE_ARRAY':
      if (plain) return 'BLOB';
      return (converted === CONVERTED.UTF8 || converted === null) && (logical === LOGICAL.STRING || logical === null) ? 'VARCHAR' : null;
    case 'INT32':
    case 'INT64':
      break;
    default:
      return null;
  }
  // Local (not UTC-adjusted) milli- and microsecond times; DuckDB reads UTC-adjusted ones as TIMESTAMP WITH TIME ZONE.
  if (type === 'INT64' && (converted === CONVERTED.TIMESTAMP_MICROS || converted === CONVERTED.TIMESTAMP_MILLIS)) {
    return logical === LOGICAL.TIMESTAMP && el.utc === false && el.unit !== 1_000_000n ? 'TIMESTAMP' : null;
  }
  // Signed integers; an INTEGER logical type alone (its width and sign are not read here) is the engine's to say.
  if (logical !== null && (logical !== LOGICAL.INTEGER || converted === null)) return null;
  if (type === 'INT64') return converted === null || converted === CONVERTED.INT_64 ? 'BIGINT' : null;
  if (converted === null || converted === CONVERTED.INT_32) return 'INTEGER';
  if (converted === CONVERTED.INT_16) return 'SMALLINT';
  if (converted === CONVERTED.INT_8) return 'TINYINT';
  return null;
}

/**
 * The columns and DuckDB types `DESCRIBE SELECT * FROM read_parquet([...])` gives over files of
 * these footers, when every file has the same flat schema of columns whose types are read exactly
 * here (booleans, floats, signed integers, text and blobs, local milli- and microsecond times);
 * null otherwise (ask the engine).
 */
export function footerColumnTypes(footers: readonly FooterColumns[]): { name: string; type: string }[] | null {
  let columns: { name: string; type: string }[] | null = null;
  for (const f of footers) {
    const root = f.schema[0];
    if (!root || root.children !== f.schema.length - 1) return null;
    const mine: { name: string; type: string }[] = [];
    for (const el of f.schema.slice(1)) {
      const type = el.children === 0 && !el.repeated ? duckdbType(el) : null;
      // Names equal but for case the engine renames: it says those.
      if (type === null || mine.some((c) => c.name.toLowerCase() === el.name.toLowerCase())) return null;
      mine.push({ name: el.name, type });
    }
    if (columns && JSON.stringify(columns) !== JSON.stringify(mine)) return null;
    columns = mine;
  }
  return columns && columns.length > 0 ? columns : null;
}
