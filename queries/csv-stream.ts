// A CSV file loaded into a table piece by piece as it downloads. DuckDB-WASM parses a CSV on one
// thread, ~10 s for a 470 MB file, in one statement that says nothing until it ends and cannot be
// stopped. Cut at record ends into pieces of CSV_PIECE_BYTES, the file is read by one statement per
// piece: the page can say how far it got (bytes and rows, with the time left), a cancel takes
// effect after the piece being read, the download goes on while the engine parses, and no copy of
// the whole file is ever held (so there is no size cap). The first piece is read exactly as the
// whole file would be (its sniffed dialect, header and types come from the same first rows); each
// later one gets the header line and the first piece's types. Where that cannot be trusted to give
// the same rows, the load gives up and the caller reads the file whole (`null`).
import type { LinkedSource, QueryEngine } from './dashboard-runner';
import { endsTheLoad } from './engine/engine';
import { engineMemory } from './group-slices';
import { fileName, httpFailure } from './text-sources';
import { createTableAs, dropRelation, ident, insertInto, readCsvPiece, readFile, selectColumns, Sql, str } from './sql';

/** Bytes per piece: ~0.5 s of the engine's parse each on this machine, and few enough statements (15 for 470 MB). */
export const CSV_PIECE_BYTES = 32 * 1024 * 1024;

/** The rows DuckDB 0.9.1's sniffer reads to decide a CSV's types (`sample_size`). */
const SNIFF_ROWS = 20480;

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/**
 * Cuts a CSV's bytes, as they arrive, into pieces of at least `target` bytes (but the last) that end
 * just after the first record's line end at or past that size: a newline outside double quotes
 * (RFC 4180, where a quote in a quoted field is written twice). A quote closed right after a backslash means another escape convention, under
 * which record ends cannot be told from the quotes: `unsplittable` is then set and nothing more is cut.
 */
export class CsvSplitter {
  private pieces: Uint8Array[] = [];
  private size = 0;
  private inQuote = false;
  private lastByte = -1;
  /** Where the piece being gathered starts, and where the pieces found so far end, in the bytes not yet handed out. */
  private pieceStart = 0;
  private cuts: number[] = [];
  private headerEnd = -1;
  private emitted = 0;
  /** Bytes of the file in the pieces handed out (without the header lines they were given). */
  private handedOut = 0;
  /** The file's first line (its header), with its line end; known once the first piece is out. */
  header: Uint8Array | null = null;
  unsplittable = false;

  /** `totalBytes`, where known: no cut leaves less than half a piece after it (that rest joins the piece before). */
  constructor(
    private readonly target: number,
    private readonly totalBytes: number | null = null,
  ) {}

  /** Take more bytes; returns the pieces now complete (the first holds the header line). */
  push(bytes: Uint8Array): Uint8Array[] {
    this.scan(bytes, this.size);
    this.pieces.push(bytes);
    this.size += bytes.length;
    const out: Uint8Array[] = [];
    // Each cut is counted from the start of what is left, so the first one left is the next piece's length.
    for (let cut = this.cuts.shift(); cut !== undefined; cut = this.cuts.shift()) out.push(this.take(cut));
    return out;
  }

  /** The bytes left once the file has ended (the last piece), or null when none are. */
  finish(): Uint8Array | null {
    return this.size > 0 ? this.take(this.size) : null;
  }

  private scan(bytes: Uint8Array, base: number): void {
    let i = 0;
    while (i < bytes.length) {
      const q = bytes.indexOf(QUOTE, i);
      if (this.inQuote) {
        if (q < 0) break;
        if ((q > 0 ? bytes[q - 1] : this.lastByte) === BACKSLASH) this.unsplittable = true;
        this.inQuote = false;
        i = q + 1;
        continue;
      }
      const end = q < 0 ? bytes.length : q;
      if (this.headerEnd < 0 && this.emitted === 0) {
        const first = bytes.indexOf(NEWLINE, i);
        if (first >= 0 && first < end) this.headerEnd = base + first + 1;
      }
      // Each piece ends at the first record end at or past its target size; the first holds a record after the header line.
      for (let from = i; !this.unsplittable; ) {
        const first = this.emitted === 0 && this.cuts.length === 0;
        const floor = first ? Math.max(this.target - 1, this.headerEnd) : this.pieceStart + this.target - 1;
        const nl = bytes.indexOf(NEWLINE, Math.max(from, floor - base));
        if (nl < 0 || nl >= end) break;
        if (this.totalBytes !== null && this.totalBytes - (this.handedOut + base + nl + 1) < this.target / 2) break;
        this.pieceStart = base + nl + 1;
        this.cuts.push(this.pieceStart);
        from = nl + 1;
      }
      if (q < 0) break;
      this.inQuote = true;
      i = q + 1;
    }
    if (bytes.length > 0) this.lastByte = bytes[bytes.length - 1] as number;
  }
  /** Hand out the first `length` bytes as one piece (a later one after the header line). */
  private take(length: number): Uint8Array {
    const prefix = this.emitted > 0 && this.header ? this.header : null;
    const piece = new Uint8Array((prefix?.length ?? 0) + length);
    if (prefix) piece.set(prefix);
    let at = prefix?.length ?? 0;
    let left = length;
    const rest: Uint8Array[] = [];
    for (const bytes of this.pieces) {
      if (left === 0) rest.push(bytes);
      else if (bytes.length <= left) {
        piece.set(bytes, at);
        at += bytes.length;
        left -= bytes.length;
      } else {
        piece.set(bytes.subarray(0, left), at);
        rest.push(bytes.subarray(left));
        left = 0;
      }
    }
    if (this.emitted === 0 && this.headerEnd > 0) this.header = piece.slice(0, this.headerEnd);
    this.pieces = rest;
    this.size -= length;
    this.handedOut += length;
    this.pieceStart -= length;
    this.cuts = this.cuts.map((cut) => cut - length);
    this.emitted += 1;
    return piece;
  }
}

/** What a streamed load made: the table's rows and the file's bytes. */
export interface StreamedCsv {
  rows: number;
  bytes: number;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /** Bytes read into the table so far, of the file's size (the larger of what the host said and what came), and the rows. */
  onProgress?: (bytesDone: number, bytesTotal: number, rows: number) => void;
  /** Bytes per piece (tests cut small files); CSV_PIECE_BYTES by default. */
  pieceBytes?: number;
}

/** Why a streamed load stopped short of a table: the caller reads the file whole instead. */
class NotStreamable extends Error {}

/**
 * The table would not fit: judged once the first piece is in, from the memory it took, scaled to
 * the whole file (linear within 1% for the 5M demo orders: 1.53 bytes of memory per byte of CSV
 * after the first piece and 1.54 at the end). Thrown before the rest is read, so the user hears it
 * in seconds instead of after the engine ran out of memory a minute later.
 */
export class CsvTooLarge extends Error {
  override readonly name = 'CsvTooLarge';
  constructor(
    readonly needBytes: number,
    readonly freeBytes: number,
    readonly sampleBytes: number,
    readonly sampleMemoryBytes: number,
  ) {
    super(`the table would need about ${gigabytes(needBytes)} of memory, more than the ${gigabytes(freeBytes)} free`);
  }

  /** The words for the dataset's panels and banner. */
  describe(name: string, location: string): string {
    return (
      `"${name}" (${location}) would need about ${gigabytes(this.needBytes)} of memory once loaded (its first ${gigabytes(this.sampleBytes)} took ${gigabytes(this.sampleMemoryBytes)}), ` +
      `more than the ${gigabytes(this.freeBytes)} the query engine has free, so it was not loaded. ` +
      'Convert the file to Parquet (Parquet too large for memory is read from disk), remove panels and measures you do not need (only the columns panels read are loaded), or split the data.'
    );
  }
}

function gigabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/**
 * Load a CSV source over HTTP into `table` (only `columns`, or all for null), read piece by piece as
 * it downloads (see the top of this file); a source of several files, one after the other, as one
 * table (as the engine reads them, in order). The table is built under a name of its own and swapped
 * in at the end, so a failed or cancelled load leaves an earlier table as it was. Null where this
 * cannot be done or trusted: not HTTP, an unknown size, an engine without registered files, a file
 * without a header line, dates whose text the first piece's read did not take as ISO, another
 * quoting convention, a later file whose header line is not the first file's, or a later piece the
 * engine refused. A failure of the first piece is the file's own (it is read as the whole file would
 * be) and is thrown.
 */
export async function loadCsvStreamed(engine: QueryEngine, found: LinkedSource, table: string, columns: readonly string[] | null, opts: StreamOptions = {}): Promise<StreamedCsv | null> {
  const { registerFile, dropFile } = engine;
  const { urls } = found;
  const size = found.sizeBytes;
  if (!registerFile || !dropFile || urls.length === 0 || urls.some((url) => !/^https?:\/\//i.test(url)) || size == null) return null;
  const load = `northstar-csv-${globalThis.crypto.randomUUID()}`;
  const building = `${table} (loading ${load.slice(-8)})`;
  const registered = new Set<string>();
  const drop = async (name: string) => {
    if (registered.delete(name)) await dropFile.call(engine, name).catch(() => {});
  };
  let received = 0;
  let loadedBytes = 0;
  let rows = 0;
  let types: { name: string; type: string }[] | null = null;
  let firstPiece: string | null = null;
  /** The first file's header line: every later file must start with the same one. */
  let header: string | null = null;
  const report = () => opts.onProgress?.(loadedBytes, Math.max(size, received), rows);

  const readPiece = async (index: number, url: string, piece: Uint8Array, bodyBytes: number) => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('cancelled');
    // The file's own name last, so that the engine's messages name it.
    const name = `${load}/${index}/${fileName(url)}`;
    await registerFile.call(engine, name, piece);
    registered.add(name);
    if (index === 0) {
      firstPiece = name;
      // More to come: will the whole table fit in what the engine has free?
      const total = Math.max(size, received);
      const before = bodyBytes < total ? await engineMemory(engine) : null;
      rows += count(await engine.query(createTableAs(building, selectColumns(readFile(name, 'csv'), columns))));
      if (before?.usedBytes != null && before.limitBytes !== null) {
        const { usedBytes } = await engineMemory(engine);
        const taken = (usedBytes ?? before.usedBytes) - before.usedBytes;
        const need = Math.round((taken * total) / bodyBytes);
        const free = before.limitBytes - before.usedBytes;
        if (taken > 0 && need > free) throw new CsvTooLarge(need, free, bodyBytes, taken);
      }
    } else {
      if (firstPiece !== null) {
        types = await trustedTypes(engine, firstPiece, building, columns);
        await drop(firstPiece);
        firstPiece = null;
      }
      try {
        rows += count(await engine.query(insertInto(building, selectColumns(readCsvPiece(name, types ?? []), columns))));
      } catch (err) {
        if (endsTheLoad(err)) throw err;
        throw new NotStreamable(`a later piece was refused: ${err instanceof Error ? err.message : String(err)}`);
      }
      await drop(name);
    }
    loadedBytes += bodyBytes;
    report();
  };

  let reading: Promise<void> = Promise.resolve();
  let index = 0;
  // One piece is read while the next downloads: the download waits for the engine, not the other way round.
  const next = async (url: string, piece: Uint8Array, splitter: CsvSplitter, firstOfFile: boolean) => {
    await reading;
    const i = index++;
    // A file's first piece starts with its own header line; its later pieces with a copy of it (not the file's bytes).
    const body = firstOfFile ? piece.length : piece.length - (splitter.header?.length ?? 0);
    if (firstOfFile && splitter.header) {
      const line = headerLine(splitter.header);
      if (header === null) header = line;
      else if (line !== header) throw new NotStreamable(`${fileName(url)} has other columns than ${fileName(urls[0] as string)}`);
    }
    reading = readPiece(i, url, piece, body);
    reading.catch(() => {});
  };
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  report();
  try {
    for (const url of urls) {
      const res = await fetch(url, opts.signal ? { signal: opts.signal } : {});
      if (!res.ok || !res.body) throw new Error(await httpFailure(res, fileName(url)));
      reader = res.body.getReader();
      // One file's size is known when it is the only one: its last short rest then joins the piece before.
      const splitter = new CsvSplitter(opts.pieceBytes ?? CSV_PIECE_BYTES, urls.length === 1 ? size : null);
      let pieces = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        for (const piece of splitter.push(value)) await next(url, piece, splitter, pieces++ === 0);
        if (splitter.unsplittable) throw new NotStreamable('quotes escaped by a backslash');
      }
      const last = splitter.finish();
      if (last) await next(url, last, splitter, pieces++ === 0);
      reader = null;
    }
    await reading;
    await swapIn(engine, building, table);
    return { rows, bytes: received };
  } catch (err) {
    await reader?.cancel().catch(() => {});
    await reading.catch(() => {});
    for (const name of [...registered]) await drop(name);
    await engine.exec(dropRelation(building, 'table')).catch(() => {});
    if (err instanceof NotStreamable) return null;
    throw err;
  } finally {
    if (firstPiece !== null) await drop(firstPiece);
  }
}

/** A header line as text, without its line end (a CRLF file and an LF file with the same columns match). */
function headerLine(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replace(/\r?\n$/, '');
}

function count(result: { rows: Record<string, unknown>[] }): number {
  return Number(result.rows[0]?.Count ?? 0);
}


/**
 * Every column's type as the first piece's read gave it, for the later pieces, once it is sure
 * they read the same: the file has a header line (the engine names the columns of one without it
 * column0, column1…), and each date or time column the table kept holds what the ISO reading of
 * its text gives over the rows the types were sniffed from (a "24-01-31" read as %y-%m-%d is not).
 */
async function trustedTypes(engine: QueryEngine, firstPiece: string, building: string, columns: readonly string[] | null): Promise<{ name: string; type: string }[]> {
  const source = (await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', readFile(firstPiece, 'csv')))).rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  if (source.length === 0 || source.every((c) => /^column\d+$/.test(c.name))) throw new NotStreamable('no header line');
  const kept = new Set(columns ?? source.map((c) => c.name));
  const temporal = source.filter((c) => kept.has(c.name) && TEMPORAL_TYPES.has(c.type));
  if (temporal.length > 0) {
    const facts = (from: Sql, value: (c: { name: string; type: string }) => Sql) =>
      Sql.concat('SELECT ', Sql.join(temporal.map((c, i) => Sql.concat('count(', value(c), ') AS "n', String(i), '", CAST(min(', value(c), ') AS VARCHAR) AS "lo', String(i), '", CAST(max(', value(c), ') AS VARCHAR) AS "hi', String(i), '"')), ', '), ' FROM (SELECT * FROM ', from, ' LIMIT ', String(SNIFF_ROWS), ')');
    const asText = Sql.concat('read_csv_auto(', str(firstPiece), ', types = {', Sql.join(temporal.map((c) => Sql.concat(str(c.name), ": 'VARCHAR'")), ', '), '})');
    try {
      const parsed = (await engine.query(facts(ident(building), (c) => ident(c.name)))).rows[0];
      const iso = (await engine.query(facts(asText, (c) => Sql.concat('TRY_CAST(', ident(c.name), ' AS ', TEMPORAL_TYPES.get(c.type) as string, ')')))).rows[0];
      if (JSON.stringify(parsed) !== JSON.stringify(iso)) throw new NotStreamable('dates not in ISO form');
    } catch (err) {
      if (err instanceof NotStreamable || endsTheLoad(err)) throw err;
      throw new NotStreamable(`the dates could not be checked: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return source;
}

/** The date and time types DuckDB 0.9.1's CSV sniffer gives, with the SQL of each as a cast target. */
const TEMPORAL_TYPES = new Map([
  ['DATE', 'DATE'],
  ['TIME', 'TIME'],
  ['TIMESTAMP', 'TIMESTAMP'],
  ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ'],
]);

/**
 * Put the built table in the place of the dataset's relation (the view or table of an earlier load,
 * or none), each try in one call, so a query sees the old relation or the new table. Where the
 * name is a table's, dropping a view of that name does nothing and the rename is refused: then the
 * table goes instead. (Asking the catalog which it is took ~200 ms on a fresh engine.)
 */
async function swapIn(engine: QueryEngine, building: string, table: string): Promise<void> {
  const rename = Sql.concat('; ALTER TABLE ', ident(building), ' RENAME TO ', ident(table));
  try {
    await engine.exec(Sql.concat(dropRelation(table, 'view'), rename));
  } catch (err) {
    if (!/another entry with this name already exists|Existing object .* is of type Table/i.test(String((err as Error)?.message ?? err))) throw err;
    await engine.exec(Sql.concat(dropRelation(table, 'table'), rename));
  }
}
