// Why a data file could not be read, in the user's words. DuckDB 0.9.1 reports a damaged Parquet
// page as "TProtocolException: Invalid data" or "Out of buffer" and an LZ4_RAW file as codec "7":
// true, but useless to someone who just wants to know whether the file is broken or unsupported.
// Every message about reading data goes through `describeReadFailure`, so the CLI and the app say
// the same thing. This module also looks at a Parquet file's bytes (magic, footer) before DuckDB
// does, so an encrypted file is named as such whatever the engine version says.
import { CompactReader, T } from './thrift-compact';

/** What kind of failure it is; the UI may group by it, tests assert on it. */
export type ReadFailureKind =
  | 'encrypted'
  | 'unsupportedCodec'
  | 'unsupportedEncoding'
  | 'unsupportedFormat'
  | 'malformed'
  | 'notParquet'
  | 'badText'
  | 'tooLarge'
  | 'unreachable'
  | 'other';

export interface ReadFailure {
  kind: ReadFailureKind;
  /** One sentence for people, without the engine's jargon. */
  message: string;
  /** The engine's own text (file paths removed), for a "details" line or a bug report. */
  detail: string;
}

/** The words used when a Parquet file is encrypted (Parquet Modular Encryption). */
export const ENCRYPTED_PARQUET = 'encrypted Parquet is not supported (the file is protected with Parquet Modular Encryption; decrypt it first)';

// The codec numbers of parquet.thrift's CompressionCodec, for when DuckDB prints only the number.
const CODEC_NAMES: Record<string, string> = { '0': 'UNCOMPRESSED', '1': 'SNAPPY', '2': 'GZIP', '3': 'LZO', '4': 'BROTLI', '5': 'LZ4', '6': 'ZSTD', '7': 'LZ4_RAW' };
/** The Parquet codecs (by their footer number, as above) the pinned engine decodes. */
export const READABLE_CODECS: ReadonlySet<number> = new Set([0, 1, 2, 6]);

// Messages of a Parquet reader that met bytes that do not decode: the file is damaged (or written
// by a buggy writer), not our bug and not the user's query.
const MALFORMED = [
  /TProtocolException/i,
  /Out of buffer/i,
  /Decode bit width too large/i,
  /decompression failure/i,
  /Not implemented Error: INVALID/i,
  /requires two children/i,
  /Corrupt|corrupted/i,
  /Invalid (page|dictionary|data)/i,
  /repetition|definition levels?/i,
  /Parquet file .* (too small|has no|is invalid)/i,
  /Incorrect \w+ for column/i,
  /Failed to read Parquet file/i,
];

/** Map an engine error message about reading data to words a user can act on. */
export function describeReadFailure(engineMessage: string): ReadFailure {
  const detail = stripEngineNoise(engineMessage);
  const failure = (kind: ReadFailureKind, message: string): ReadFailure => ({ kind, message, detail });
  if (/encrypted parquet/i.test(engineMessage)) return failure('encrypted', ENCRYPTED_PARQUET);
  const codec = /Unsupported compression codec "([^"]+)"/i.exec(engineMessage);
  if (codec) {
    const name = CODEC_NAMES[codec[1] as string] ?? codec[1];
    return failure('unsupportedCodec', `the file is compressed with ${name}, which this version of the engine cannot read (it reads uncompressed, Snappy, gzip and zstd Parquet); rewrite it with one of those`);
  }
  const encoding = /(\w+) encoding is only supported for/i.exec(engineMessage) ?? /(?:unsupported|not supported|unknown) encoding:? "?(\w+)/i.exec(engineMessage);
  if (encoding) return failure('unsupportedEncoding', `a column uses the ${encoding[1]} encoding in a way this version of the engine cannot read; rewrite the file with default encodings`);
  // The pinned build has no JSON reader built in and cannot download extensions (offline by design).
  const extension = /exists in the (\w+) extension/i.exec(engineMessage);
  if (extension) {
    const what = extension[1]?.toLowerCase() === 'json' ? 'JSON files' : `this kind of data (it needs the ${extension[1]} extension)`;
    return failure('unsupportedFormat', `${what} cannot be read by this build of the query engine, which works offline without extensions; convert the data to Parquet or CSV`);
  }
  if (/No magic bytes found|not a parquet file|too small to be a Parquet file/i.test(engineMessage)) {
    return failure('notParquet', 'not a Parquet file: it does not end with the Parquet marker "PAR1" (it may be truncated, still being written, or another format)');
  }
  if (isOutOfMemory(engineMessage)) {
    return failure('tooLarge', 'the data does not fit in the memory the query engine may use; read fewer rows or columns (filter it in a SQL dataset) or split the file');
  }
  if (/row limit|too many rows/i.test(engineMessage)) return failure('tooLarge', detail);
  if (/Invalid unicode|byte sequence mismatch|not valid UTF-?8/i.test(engineMessage)) {
    return failure('badText', 'the text is not UTF-8 (perhaps Latin-1 or Windows-1252); save the file as UTF-8');
  }
  // Only messages that name the CSV reader: a conversion error in a user's SQL is the SQL's problem.
  if (/CSV|sniff|Error in file .* on line/i.test(engineMessage) && !/parquet/i.test(engineMessage)) {
    return failure('badText', `the text file could not be parsed as a table: ${firstLine(detail)}`);
  }
  if (/Malformed JSON|JSON reader|read_json/i.test(engineMessage) && !/parquet/i.test(engineMessage)) {
    return failure('badText', `the JSON could not be read as rows: ${firstLine(detail)}`);
  }
  // DuckDB-WASM's own words for a failed read through the gateway, with the gateway URL twice.
  const status = /non-success status: (\d{3})(?: "([^"]*)")?/i.exec(engineMessage) ?? /\(HTTP (\d{3})\)/.exec(engineMessage);
  if (status) {
    const code = Number(status[1]);
    const why =
      code === 403 ? 'access was refused' : code === 404 ? 'the file is not there (deleted or moved?)' : code >= 500 ? 'the storage behind it failed or could not be reached, even after retries' : 'the request was refused';
    return { kind: 'unreachable', message: `the data could not be fetched: HTTP ${code}${status[2] ? ` ${status[2]}` : ''}, ${why}`, detail: `HTTP ${code}` };
  }
  if (/HTTP (?:4|5)\d\d|HTTP Error|WebAssembly\.Exception|Network|Failed to fetch|connection/i.test(engineMessage)) {
    return failure('unreachable', 'the data could not be fetched: it was refused, went missing or the connection failed');
  }
  if (/No files found|does not exist|No such file|Cannot open file/i.test(engineMessage)) {
    return failure('unreachable', 'the file does not exist or cannot be opened');
  }
  if (MALFORMED.some((re) => re.test(engineMessage))) {
    return failure('malformed', `the file is damaged or malformed and cannot be decoded (${firstLine(detail)})`);
  }
  return failure('other', firstLine(detail));
}

// DuckDB's buffer manager ("Out of Memory Error: could not allocate block of size 262KB (3.4GB/3.4GB
// used)"), and the wasm heap that could not grow (an abort, which stops the engine). Not any message
// naming memory_limit: "Cannot change memory_limit: the configuration has been locked" is no OOM.
const OUT_OF_MEMORY = /Out of Memory|could not allocate|failed to allocate|std::bad_alloc|Cannot enlarge memory|Aborted\(OOM\)|Array buffer allocation failed|Maximum memory size exceeded/i;

/** Whether an engine's error text says it ran out of memory. */
export function isOutOfMemory(engineMessage: string): boolean {
  return OUT_OF_MEMORY.test(engineMessage);
}

/**
 * What to tell someone whose data `name` ran out of memory while it loaded (`of` "source": a table
 * dataset's source; "sql": a SQL dataset), or whose panel's query did ("panel"), or null when `err`
 * is no out-of-memory error: what happened (with the engine's limit when it says it), that the
 * engine was started again when the failure stopped it (an EngineError of code "crashed": the app
 * restarts it), and what to do. Duck-typed on EngineError's fields, which engine.ts builds from
 * this module.
 */
export function describeOutOfMemory(err: unknown, name: string, location?: string, of: 'source' | 'sql' | 'panel' = 'source'): string | null {
  const oom = outOfMemoryFacts(err);
  if (!oom) return null;
  const { limit, stopped } = oom;
  const fits = `the memory the query engine may use${limit ? ` (${limit})` : ''}${stopped}. `;
  // A panel's query over data that loaded: it is the query that holds too much at once.
  if (of === 'panel') return `This panel's query needs more than ${fits}Make it hold less at once: group by a column with fewer values, filter or drill into part of the data, or show fewer columns.`;
  // A SQL dataset is made smaller in its own SQL (neither scan mode nor the column projection applies to it).
  if (of === 'sql') return `"${name}" does not fit in ${fits}Load less of it: make its SQL return fewer rows or columns (filter or aggregate them), or split the data.`;
  return (
    `"${name}"${location ? ` (${location})` : ''} does not fit in ${fits}` +
    'Load less of it: filter it in a SQL dataset, remove panels and measures you do not need (only the columns panels read are loaded), or split the data. ' +
    'Parquet data estimated larger than the memory budget is read from disk instead (scan mode).'
  );
}

/**
 * What to tell someone whose own query (a SQL preview) ran out of memory, or null when `err` is no
 * out-of-memory error: a query is made to read less, not a file split. `restarted`: the app started
 * the engine afresh after it survived the error, to free the memory it took.
 */
export function describeQueryOutOfMemory(err: unknown, opts: { restarted?: boolean } = {}): string | null {
  const oom = outOfMemoryFacts(err);
  if (!oom) return null;
  const freed = !oom.stopped && opts.restarted ? '; Northstar started the query engine again to free the memory it took, and the data is loaded again' : '';
  return (
    `The query needs more memory than the query engine may use${oom.limit ? ` (${oom.limit})` : ''}${oom.stopped}${freed}. ` +
    'Make it hold less at once: aggregate or filter the rows in the query, select fewer columns, or add a LIMIT.'
  );
}

/** The engine's memory limit when its message says it, and the words for an engine the failure stopped (code "crashed"). */
function outOfMemoryFacts(err: unknown): { limit: string | undefined; stopped: string } | null {
  if (!(err instanceof Error)) return null;
  const { code, readFailure } = err as Error & { code?: string; readFailure?: ReadFailure };
  const text = readFailure?.detail ?? err.message;
  if (!isOutOfMemory(text)) return null;
  const limit = /\(([\d.]+ ?[KMGT]i?B)\/([\d.]+ ?[KMGT]i?B) used\)/i.exec(text)?.[2];
  const stopped = code === 'crashed' ? ': the query engine ran out of memory and stopped, and Northstar started it again' : '';
  return { limit, stopped };
}

/** The short reason panels give for a dataset that ran out of memory, or null when `err` is no such error. */
export function outOfMemoryReason(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const { code, readFailure } = err as Error & { code?: string; readFailure?: ReadFailure };
  if (!isOutOfMemory(readFailure?.detail ?? err.message)) return null;
  return code === 'crashed' ? 'too large for memory; the query engine was restarted' : 'too large for memory';
}

/** Drop DuckDB's "Invalid Input Error:" style prefixes and quoted paths, which only add noise. */
function stripEngineNoise(message: string): string {
  return message
    .replace(/^(?:[A-Za-z ]+ (?:Error|error)): /, '')
    .replace(/ for file '[^']*'/g, '')
    .replace(/ (?:at end of )?file ["'][^"']*["']/g, ' file')
    .trim();
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/** What the first and last bytes of a file say about it, before any engine reads it. */
export type ParquetSniff =
  | { kind: 'parquet' }
  | { kind: 'encryptedParquet' }
  | { kind: 'truncatedParquet' }
  | { kind: 'notParquet' };

/** Classify a file by its 4-byte head and tail magic: PAR1 plain, PARE encrypted footer. */
export function sniffParquetMagic(head: Uint8Array, tail: Uint8Array): ParquetSniff {
  const text = (bytes: Uint8Array) => String.fromCharCode(...bytes.subarray(0, 4));
  const h = text(head);
  const t = text(tail);
  if (h === 'PARE' || t === 'PARE') return { kind: 'encryptedParquet' };
  if (h === 'PAR1' && t === 'PAR1') return { kind: 'parquet' };
  if (h === 'PAR1') return { kind: 'truncatedParquet' };
  return { kind: 'notParquet' };
}

/** What the Parquet footer (FileMetaData) says, read without an engine. */
export interface ParquetFooterSummary {
  numRows: number | null;
  rowGroups: number | null;
  /** The `created_by` string, e.g. "parquet-cpp-arrow version 14.0.1". */
  writer: string | null;
  /** The footer is plaintext but columns are encrypted (FileMetaData.encryption_algorithm is set). */
  encrypted: boolean;
}

/**
 * A summary of a Parquet footer's top level (rows, row groups, writer, encryption) for error
 * messages; prefetch.ts `parseParquetFooter` reads the column chunks instead. The footer is the bytes between the 4-byte `PAR1` head and the
 * trailing `<length><PAR1>`, i.e. `file.subarray(size - 8 - length, size - 8)`. Returns null when
 * the bytes are not a well-formed Thrift compact struct (a damaged footer is the engine's to report).
 */
export function summarizeParquetFooter(footer: Uint8Array): ParquetFooterSummary | null {
  try {
    const reader = new CompactReader(footer);
    const out: ParquetFooterSummary = { numRows: null, rowGroups: null, writer: null, encrypted: false };
    reader.readStruct((id, type) => {
      if (id === 3 && type === T.I64) out.numRows = reader.readVarLong();
      else if (id === 4 && type === T.LIST) out.rowGroups = reader.skipList();
      else if (id === 6 && type === T.BINARY) out.writer = reader.readString();
      else if (id === 8 && type === T.STRUCT) {
        out.encrypted = true;
        reader.skip(type);
      } else reader.skip(type);
    });
    return out;
  } catch {
    return null;
  }
}
