// A Parquet file of some of another file's row groups: the ones whose time column reaches a given
// instant, for a first paint before the whole file has arrived. The demo data is in time order, so
// its last 60 days (a 30-day period and the one before) lie in the last few row groups: at 5M rows,
// 6 of 41, 8.9 of 64.6 MB. Those are fetched first (prefetch.ts), copied into a file of their own
// with a footer that lists only them (`windowFile`), and the panels whose rows all lie in that time
// window draw from it while the rest downloads (dashboard-runner.ts).
//
// The file holds whole row groups with a footer of their own, never zeros where data should be: a
// query that strayed outside the window would read fewer rows, not garbage, and the runner sends
// only queries whose time filter lies inside it (panel-queries.ts `earliestRead`). A zero-filled
// row group listed in a footer is not safe: a bare LIMIT over one answered no rows, silently.
import { readFooterColumns, signedValue, topLevel } from './parquet-footer';
import { CompactReader, CompactWriter, T, ThriftError } from './thrift-compact';

/** The statistics of a file's time column, per row group, in the column's own units. */
export interface TimeStatistics {
  /** The column's units per millisecond: 1n (MILLIS), 1000n (MICROS) or 1000000n (NANOS). */
  unitsPerMs: bigint;
  /** Each row group's rows and the column's min and max there (null: no statistic written). */
  groups: { rows: number; min: bigint | null; max: bigint | null }[];
}

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);
/** Where the chunks of columns not fetched are said to lie: far past the end, so a read of one fails. */
const NOT_HERE = 2n ** 40n;

type RawField = { id: number; type: number; bytes: Uint8Array };
/** A kept column chunk: its fields as encoded, and how far it moves (NOT_HERE: a column not fetched). */
type Chunk = { fields: RawField[]; meta: RawField[]; dictionary: boolean; delta: bigint };

/** A struct's fields, each with its value's bytes as encoded (to copy, or to read further). */
function rawFields(reader: CompactReader): RawField[] {
  const fields: RawField[] = [];
  reader.readStruct((id, type) => {
    const start = reader.offset;
    reader.skip(type);
    fields.push({ id, type, bytes: reader.span(start, reader.offset) });
  });
  return fields;
}

function listOf(bytes: Uint8Array, element: (reader: CompactReader) => void): void {
  const reader = new CompactReader(bytes);
  reader.readList(() => element(reader));
}

function i64(field: RawField | undefined): bigint | null {
  return field && (field.type === T.I64 || field.type === T.I32) ? new CompactReader(field.bytes).readBigVarLong() : null;
}

/** A column chunk's top-level column, and the byte range its pages take (dictionary first when it has one). */
function chunkFacts(meta: RawField[]): { column: string; depth: number; start: bigint; length: bigint; dictionary: boolean } {
  let column = '';
  let depth = 0;
  const path = meta.find((f) => f.id === 3 && f.type === T.LIST);
  if (path)
    listOf(path.bytes, (r) => {
      const name = r.readString();
      if (depth++ === 0) column = name;
    });
  const data = i64(meta.find((f) => f.id === 9));
  const dict = i64(meta.find((f) => f.id === 11));
  const length = i64(meta.find((f) => f.id === 7));
  if (data === null || length === null || data < 0n || length < 0n) throw new ThriftError('a column chunk without offsets');
  const dictionary = dict !== null && dict > 0n && dict < data;
  return { column, depth, start: dictionary ? (dict as bigint) : data, length, dictionary };
}

/**
 * The statistics of the top-level INT64 TIMESTAMP column `column` in a footer (the Thrift
 * FileMetaData, without its length and magic), or null when the file has no such column: another
 * type (INT96, DATE, text), nested, or of an unknown unit.
 */
export function timeStatistics(footer: Uint8Array, column: string): TimeStatistics | null {
  // One pass over the footer, reading only the schema and the time column's statistics (it runs
  // before the first paint's bytes are asked for: no copies of the other fields).
  const read = readFooterColumns(footer, new Set([column]));
  const found = topLevel(read.schema).get(column);
  if (!found || found.children !== 0 || found.type !== 'INT64' || found.unit === null) return null;
  return {
    unitsPerMs: found.unit,
    groups: read.groups.map((g) => {
      const stat = g.stats.get(column);
      // min_value / max_value; the older min / max are also right for a signed INT64.
      return { rows: g.rows, min: signedValue(stat?.[6] ?? stat?.[2], 'INT64'), max: signedValue(stat?.[5] ?? stat?.[1], 'INT64') };
    }),
  };
}

/**
 * The row groups holding every row whose time is at or after `fromMs`: all but those whose maximum
 * is known to be earlier. A row group without statistics is kept.
 */
export function groupsFrom(stats: TimeStatistics, fromMs: number): number[] {
  const from = BigInt(Math.ceil(fromMs)) * stats.unitsPerMs;
  return stats.groups.flatMap((g, i) => (g.max !== null && g.max < from ? [] : [i]));
}

/**
 * A Parquet file of the row groups `keep` of another: their column chunks copied from `source` (the
 * other file's bytes at their own offsets; only the chunks of `columns` need be there, null for
 * all) one after the other, and a footer that lists only those row groups, with its offsets moved
 * to where the chunks now are. The chunks of other columns are said to lie past the end of the file:
 * a read of one fails. `footer` is the other file's FileMetaData (without its length and magic).
 */
export function windowFile(source: Uint8Array, footer: Uint8Array, keep: readonly number[], columns: readonly string[] | null): Uint8Array {
  const layout = windowLayout(footer, keep, columns, source.length);
  const file = new Uint8Array(layout.at + layout.meta.length + 8);
  file.set(MAGIC, 0);
  for (const c of layout.copies) file.set(source.subarray(c.from, c.from + c.length), c.to);
  endWithFooter(file, layout.meta, layout.at);
  return file;
}

/**
 * A footer of the same row groups as `windowFile` gives them, in a file of its own (its magic, the
 * footer, its length and the magic again), with no values: every chunk is said to lie far past its
 * end, so a read of one fails (an offset into the footer's own bytes could decode them as values).
 * DuckDB answers what a footer holds from it as from the window's file (its columns and types, its
 * rows), so a view over the window's name can be made before the window's bytes are in (prefetch.ts
 * `onPlan`). `sourceLength` is the other file's size.
 */
export function windowFooterFile(footer: Uint8Array, keep: readonly number[], sourceLength: number): Uint8Array {
  const { meta } = windowLayout(footer, keep, [], sourceLength);
  const file = new Uint8Array(4 + meta.length + 8);
  file.set(MAGIC, 0);
  endWithFooter(file, meta, 4);
  return file;
}

function endWithFooter(file: Uint8Array, meta: Uint8Array, at: number): void {
  file.set(meta, at);
  new DataView(file.buffer, file.byteOffset).setUint32(at + meta.length, meta.length, true);
  file.set(MAGIC, at + meta.length + 4);
}

/** Where a window's chunks go (`copies`, ending at `at`) and the footer (`meta`) that lists them there. */
function windowLayout(footer: Uint8Array, keep: readonly number[], columns: readonly string[] | null, sourceLength: number): { meta: Uint8Array; at: number; copies: { from: number; to: number; length: number }[] } {
  const wanted = columns ? new Set(columns) : null;
  const keeping = new Set(keep);
  const top = rawFields(new CompactReader(footer));
  // The kept row groups' chunks, in file order, where each will lie in the new file.
  const groups: { fields: RawField[]; chunks: Chunk[]; rows: bigint }[] = [];
  const copies: { from: number; to: number; length: number }[] = [];
  let at = 4;
  const rowGroups = top.find((f) => f.id === 4 && f.type === T.LIST);
  let index = 0;
  if (rowGroups)
    listOf(rowGroups.bytes, (r) => {
      const fields = rawFields(r);
      if (!keeping.has(index++)) return;
      const chunks: Chunk[] = [];
      const columnsField = fields.find((f) => f.id === 1 && f.type === T.LIST);
      if (columnsField)
        listOf(columnsField.bytes, (cr) => {
          const chunkFields = rawFields(cr);
          const metaField = chunkFields.find((f) => f.id === 3 && f.type === T.STRUCT);
          if (!metaField) throw new ThriftError('a column chunk without metadata');
          const meta = rawFields(new CompactReader(metaField.bytes));
          const facts = chunkFacts(meta);
          if (wanted && !wanted.has(facts.column)) {
            chunks.push({ fields: chunkFields, meta, dictionary: facts.dictionary, delta: NOT_HERE });
            return;
          }
          const from = Number(facts.start);
          const length = Number(facts.length);
          if (from + length > sourceLength) throw new ThriftError('a column chunk runs past the file');
          chunks.push({ fields: chunkFields, meta, dictionary: facts.dictionary, delta: BigInt(at) - facts.start });
          copies.push({ from, to: at, length });
          at += length;
        });
      groups.push({ fields, chunks, rows: i64(fields.find((f) => f.id === 3)) ?? 0n });
    });

  const w = new CompactWriter();
  w.beginStruct();
  for (const f of top) {
    if (f.id === 3) {
      w.field(3, T.I64);
      w.i64(groups.reduce((n, g) => n + g.rows, 0n));
    } else if (f.id === 4) {
      w.field(4, T.LIST);
      w.listHeader(groups.length, T.STRUCT);
      for (const g of groups) writeRowGroup(w, g);
    } else {
      w.field(f.id, f.type);
      w.raw(f.bytes);
    }
  }
  w.endStruct();
  return { meta: w.bytes(), at, copies };
}

function writeRowGroup(w: CompactWriter, g: { fields: RawField[]; chunks: Chunk[] }): void {
  w.beginStruct();
  for (const f of g.fields) {
    // file_offset (5) and ordinal (7) are optional and would be wrong here: left out.
    if (f.id === 5 || f.id === 7) continue;
    if (f.id !== 1) {
      w.field(f.id, f.type);
      w.raw(f.bytes);
      continue;
    }
    w.field(1, T.LIST);
    w.listHeader(g.chunks.length, T.STRUCT);
    for (const c of g.chunks) writeChunk(w, c);
  }
  w.endStruct();
}

function writeChunk(w: CompactWriter, c: Chunk): void {
  w.beginStruct();
  for (const f of c.fields) {
    // The page indexes (4-7) lie outside the chunks and are not copied: left out.
    if (f.id >= 4 && f.id <= 7) continue;
    if (f.id === 2) {
      w.field(2, T.I64);
      w.i64((i64(f) ?? 0n) + c.delta);
    } else if (f.id === 3) {
      w.field(3, T.STRUCT);
      w.beginStruct();
      for (const m of c.meta) {
        // index_page_offset (10), an unused dictionary offset, and the bloom filter (14, 15) are left out.
        if (m.id === 10 || m.id === 14 || m.id === 15 || (m.id === 11 && !c.dictionary)) continue;
        if (m.id === 9 || m.id === 11) {
          w.field(m.id, T.I64);
          w.i64((i64(m) ?? 0n) + c.delta);
        } else {
          w.field(m.id, m.type);
          w.raw(m.bytes);
        }
      }
      w.endStruct();
    } else {
      w.field(f.id, f.type);
      w.raw(f.bytes);
    }
  }
  w.endStruct();
}
