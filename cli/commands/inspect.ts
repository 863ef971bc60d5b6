// `northstar inspect`: what is in a data file (columns, types, rows, size, Parquet row groups and
// writer), or one clear sentence on why it cannot be read. It must never crash or hang on a bad
// file: the bytes are checked before the engine sees them (encrypted or truncated Parquet), every
// value is decoded once (a damaged page fails here, not later in a dashboard), and the engine runs
// under a deadline after which its thread is killed.
import { randomUUID } from 'node:crypto';
import { open, readFile as readFileBytes, stat } from 'node:fs/promises';
import path from 'node:path';
import { Engine, EngineError } from '../../queries/engine/engine';
import { describeReadFailure, ENCRYPTED_PARQUET, summarizeParquetFooter, sniffParquetMagic, type ParquetFooterSummary, type ReadFailureKind } from '../../queries/engine/read-errors';
import { MAX_DATASET_ROWS, tooManyRowsMessage } from '../../queries/load-guard';
import { JsonSourceError, jsonToArrowIpc, jsonTooLarge, MAX_JSON_BYTES } from '../../queries/json-source';
import { dropRelation, ident, readFile, Sql } from '../../queries/sql';
import { binaryFormat, detectTextEncoding, gunzip, MAX_TRANSCODE_BYTES, tooLargeToConvert, toUtf8 } from '../../queries/text-encoding';
import { MAX_CSV_COPY_BYTES } from '../../queries/text-sources';
import { nodeBootstrap, type NodeEngineBootstrap } from '../engine-node';
import { localPathArg, parseOptions } from '../headless';
import { counted, printable, UsageError, type Command } from './command';

export type DataFormat = 'parquet' | 'csv' | 'json';

export interface InspectedColumn {
  name: string;
  type: string;
  /** Values that are not NULL (every row was decoded to count them); null when the file is too big to decode. */
  nonNull: number | null;
}

export interface InspectedFile {
  file: string;
  format: DataFormat;
  sizeBytes: number;
  rows: number;
  columns: InspectedColumn[];
  /** Parquet only: from the footer. */
  rowGroups: number | null;
  writer: string | null;
  /** CSV only: the text encoding found, e.g. "UTF-8" or "Windows-1252 (Latin-1)" (other than UTF-8 it was converted to read it). */
  encoding?: string;
  /** Why the app will not load this file (its footer declares more rows than a dataset may have); its values were not decoded. */
  notLoadable?: string;
}

/** Why a file could not be inspected: the read-failure kinds plus what only a runner can see. */
export type InspectFailureKind = ReadFailureKind | 'missing' | 'timeout' | 'crashed';

export type InspectOutcome = { ok: true; info: InspectedFile } | { ok: false; kind: InspectFailureKind; message: string; detail?: string };

export interface InspectOptions {
  /** Deadline for the engine's work on this file; the engine thread is killed after it. */
  timeoutMs: number;
}

const DEFAULT_TIMEOUT_S = 60;

export const inspectCommand: Command = {
  name: 'inspect',
  synopsis: 'inspect FILE [--timeout SECONDS] [--json]',
  summary: 'Show the columns, types and row count of a Parquet, CSV or JSON file, or why it cannot be read.',
  details: [
    'Reads the file with the app\'s own engine (DuckDB-WASM, Node build) and decodes every value once, so a',
    'file that inspects cleanly also loads in a dashboard. Parquet is recognised by its bytes; .json, .jsonl',
    'and .ndjson files are read as JSON; anything else as CSV (the dialect is sniffed).',
    '',
    '  --timeout SECONDS  give up after this long (default 60); the engine is stopped, never left running.',
    '  --json             print { "file", "format", "sizeBytes", "rows", "rowGroups", "writer",',
    '                     "columns": [{ "name", "type", "nonNull" }] } (and "notLoadable" with the reason when the',
    '                     file declares more rows than a dataset may have: its values are then not decoded and',
    '                     nonNull is null); on failure { "file", "error": { "kind", "message" } }.',
    '',
    'Exit 0 when the file was read, 1 when it cannot be (the message says why), 2 on usage errors.',
  ].join('\n'),
  async run(args, io) {
    const parsed = parseOptions(args, ['--timeout'], ['--json']);
    if (parsed.positionals.length !== 1) throw new UsageError('inspect needs exactly one FILE');
    const file = localPathArg('FILE', parsed.positionals[0] as string);
    let timeoutMs = DEFAULT_TIMEOUT_S * 1000;
    for (const [flag, value] of parsed.values) {
      const seconds = Number(value);
      if (flag === '--timeout' && !(value.trim() !== '' && Number.isFinite(seconds) && seconds > 0 && seconds <= 86400)) {
        throw new UsageError(`--timeout needs a number of seconds above 0 and at most 86400, not ${printable(JSON.stringify(value))}`);
      }
      timeoutMs = seconds * 1000;
    }
    const outcome = await inspectDataFile(file, { timeoutMs });
    const json = parsed.switches.has('--json');
    if (!outcome.ok) {
      if (json) io.stdout(`${JSON.stringify({ file, error: { kind: outcome.kind, message: outcome.message } }, null, 2)}\n`);
      io.stderr(`northstar: ${printable(file)}: ${printable(outcome.message)}\n`);
      return 1;
    }
    io.stdout(json ? `${JSON.stringify(outcome.info, null, 2)}\n` : formatText(outcome.info));
    return 0;
  },
};

/** Inspect one local data file with an engine of its own. Never throws: every failure is an outcome with a message. */
export async function inspectDataFile(file: string, opts: InspectOptions): Promise<InspectOutcome> {
  const session = new InspectSession();
  try {
    return await session.inspect(file, opts);
  } finally {
    session.close();
  }
}

/**
 * Inspects many files on one engine (starting one costs seconds on a busy machine), and starts a
 * fresh one only after a file crashed it or ran past its deadline.
 */
export class InspectSession {
  private running: { engine: Engine; bootstrap: NodeEngineBootstrap } | null = null;

  /** Inspect one local data file. Never throws: every failure is an outcome with a message. */
  async inspect(file: string, opts: InspectOptions): Promise<InspectOutcome> {
    const checked = await checkBytes(file);
    if ('outcome' in checked) return checked.outcome;
    const { absolute, format, sizeBytes, footer } = checked;
    try {
      const { engine, bootstrap } = await this.engine();
      // The engine reads only the file being inspected (cli/engine-thread.cjs).
      bootstrap.allowReading([absolute]);
      // A file declaring more rows than a dataset may have (a few KB can declare billions) is described
      // from its metadata only: decoding every value would take minutes, and the app refuses it anyway.
      const declared = footer?.numRows ?? null;
      const tooMany = declared !== null && declared > MAX_DATASET_ROWS ? tooManyRowsMessage(file, [{ file, rows: declared }], declared, MAX_DATASET_ROWS) : null;
      // CSV that is not UTF-8 is converted and read from memory, as `run` and `check` read it.
      const text = format === 'csv' ? await utf8Copy(engine, bootstrap, absolute, sizeBytes) : null;
      // JSON is parsed here and inserted as a table, as the app does (queries/json-source.ts): the engine has no JSON reader offline.
      const json = format === 'json' ? await jsonTable(engine, absolute, sizeBytes) : null;
      const read = await Promise.race([
        withDeadline(engine, opts.timeoutMs, () => (tooMany && declared !== null ? describeOnly(engine, absolute, declared) : readAll(engine, text?.name ?? absolute, format, json))),
        bootstrap.crashed,
      ]).finally(() => (json && engine.alive ? engine.exec(dropRelation(json, 'table')).catch(() => {}) : undefined));
      return {
        ok: true,
        info: {
          file,
          format,
          sizeBytes,
          rows: read.rows,
          columns: read.columns,
          rowGroups: footer?.rowGroups ?? null,
          writer: footer?.writer ?? null,
          ...(text ? { encoding: text.encoding } : {}),
          ...(tooMany ? { notLoadable: tooMany } : {}),
        },
      };
    } catch (err) {
      if (this.running && !this.running.engine.alive) this.close();
      if (err instanceof InspectTimeout) return { ok: false, kind: 'timeout', message: err.message };
      if (err instanceof EngineError && err.code === 'crashed') return { ok: false, kind: 'crashed', message: `the query engine crashed reading this file (${err.message})` };
      // The engine already put most read errors into words (the same module's); map the rest here.
      const failure = err instanceof EngineError && err.readFailure ? err.readFailure : describeReadFailure(err instanceof Error ? err.message : String(err));
      return { ok: false, kind: failure.kind, message: failure.message, detail: failure.detail };
    }
  }

  /** End the engine's thread (a live thread keeps the process running). */
  close(): void {
    const running = this.running;
    this.running = null;
    if (!running) return;
    // A stopped engine has nothing left to close; a live one is idle here, so cancel just ends it.
    running.engine.cancel();
    running.bootstrap.dispose();
  }

  private async engine(): Promise<{ engine: Engine; bootstrap: NodeEngineBootstrap }> {
    if (this.running?.engine.alive) return this.running;
    this.close();
    const bootstrap = nodeBootstrap();
    try {
      const engine = await Promise.race([Engine.start(bootstrap), bootstrap.crashed]);
      this.running = { engine, bootstrap };
      return this.running;
    } catch (err) {
      bootstrap.dispose();
      throw new EngineError('crashed', `the query engine could not start: ${(err as Error).message}`);
    }
  }
}

type CheckedFile = { absolute: string; format: DataFormat; sizeBytes: number; footer: ParquetFooterSummary | null };

/** What the file system and the file's own bytes say, before any engine is involved. */
async function checkBytes(file: string): Promise<CheckedFile | { outcome: InspectOutcome }> {
  const fail = (kind: InspectFailureKind, message: string) => ({ outcome: { ok: false as const, kind, message } });
  const absolute = path.resolve(file);
  let sizeBytes: number;
  try {
    const info = await stat(absolute);
    if (info.isDirectory()) return fail('missing', 'this is a folder, not a data file');
    if (!info.isFile()) return fail('missing', 'not a regular file');
    sizeBytes = info.size;
  } catch (err) {
    return fail('missing', describeFsError(err));
  }
  if (sizeBytes === 0) return fail('notParquet', 'the file is empty');
  try {
    const bytes = await readEnds(absolute, sizeBytes);
    const sniff = sniffParquetMagic(bytes.head, bytes.tail.subarray(bytes.tail.length - 4));
    if (sniff.kind === 'encryptedParquet') return fail('encrypted', ENCRYPTED_PARQUET);
    if (sniff.kind === 'truncatedParquet') {
      return fail('notParquet', 'the file starts as Parquet but does not end with the Parquet marker "PAR1": it is truncated or still being written');
    }
    if (sniff.kind === 'parquet') {
      const footer = await readFooter(absolute, sizeBytes, bytes.tail);
      if (footer?.encrypted) return fail('encrypted', ENCRYPTED_PARQUET);
      return { absolute, format: 'parquet', sizeBytes, footer };
    }
    const byName = formatFromName(absolute);
    if (byName === 'parquet') return fail('notParquet', 'named .parquet but it is not a Parquet file (it does not start and end with "PAR1")');
    // Gzip-compressed text is read decompressed, as a source's is; other files that are no text say what they are.
    const binary = binaryFormat(bytes.head);
    if (binary && binary.kind !== 'gzip') return fail('notParquet', `${binary.what}, not Parquet, CSV or JSON: ${binary.advice}`);
    if (!binary && bytes.head.includes(0)) return fail('notParquet', 'a binary file that is not Parquet; Northstar reads Parquet, CSV and JSON');
    return { absolute, format: byName ?? 'csv', sizeBytes, footer: null };
  } catch (err) {
    return fail('missing', describeFsError(err));
  }
}

class InspectTimeout extends Error {}

/** Run `work`, and if it is not done by the deadline stop the engine (its thread dies) and say so. */
async function withDeadline<T>(engine: Engine, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      engine.cancel();
      reject(new InspectTimeout(`gave up after ${formatSeconds(timeoutMs)}: reading the file took too long (a huge or pathological file); the engine was stopped`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Columns and types, then one pass that decodes every value (count of non-NULLs per column). */
async function readAll(engine: Engine, file: string, format: DataFormat, table: string | null = null): Promise<{ rows: number; columns: InspectedColumn[] }> {
  const source = table ? ident(table) : readFile(file, format);
  const described = await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', source));
  const columns = described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  const counts = columns.map((c, i) => Sql.concat('count(', ident(c.name), ') AS ', ident(`c${i}`)));
  const result = await engine.query(Sql.concat('SELECT ', Sql.join([Sql.concat('count(*) AS "rows"'), ...counts]), ' FROM ', source));
  const row = result.rows[0] ?? {};
  return {
    rows: Number(row.rows ?? 0),
    columns: columns.map((c, i) => ({ ...c, nonNull: Number(row[`c${i}`] ?? 0) })),
  };
}

/** A JSON file parsed into a table of its own (json-source.ts), for `readAll`; drop it when done. */
async function jsonTable(engine: Engine, file: string, size: number): Promise<string> {
  const name = path.basename(file);
  if (size > MAX_JSON_BYTES) throw new EngineError('sourceUnreadable', jsonTooLarge(name, size));
  const read = new Uint8Array(await readFileBytes(file));
  const bytes = binaryFormat(read)?.kind === 'gzip' ? await gunzipped(read, name, MAX_JSON_BYTES) : read;
  let ipc: Uint8Array;
  try {
    ipc = jsonToArrowIpc([{ text: new TextDecoder().decode(toUtf8(bytes, name).bytes), name }], name).ipc;
  } catch (err) {
    // Not rows (invalid JSON, a row that is not an object, empty): damaged data, said in json-source.ts's words.
    if (!(err instanceof JsonSourceError)) throw err;
    throw new EngineError('sourceUnreadable', err.message, { kind: 'malformed', message: err.message, detail: err.message });
  }
  const table = `inspect_json_${randomUUID().replaceAll('-', '')}`;
  await engine.insertArrow(table, ipc);
  return table;
}

/** A CSV file's encoding, and the name of a UTF-8 copy given to the engine when it is not UTF-8 (null name: read the file). */
async function utf8Copy(engine: Engine, bootstrap: NodeEngineBootstrap, file: string, size: number): Promise<{ encoding: string; name: string | null }> {
  const start = await readStart(file, Math.min(size, 1024 * 1024));
  const gzip = binaryFormat(start)?.kind === 'gzip';
  const text = gzip ? await gunzipped(new Uint8Array(await readFileBytes(file)), file, MAX_CSV_COPY_BYTES) : null;
  const sniffed = detectTextEncoding(text ?? start, text === null && start.length < size);
  const encoding = gzip ? `${sniffed.label}, gzip-compressed` : sniffed.label;
  if (sniffed.encoding === 'utf-8' && !text) return { encoding, name: null };
  if (sniffed.encoding !== 'utf-8' && (text?.length ?? size) > MAX_TRANSCODE_BYTES) throw new EngineError('sourceUnreadable', tooLargeToConvert(file, sniffed, text?.length ?? size));
  const bytes = text ?? new Uint8Array(await readFileBytes(file));
  const converted = sniffed.encoding === 'utf-8' ? bytes : toUtf8(bytes, file).bytes;
  const name = `/northstar-utf8-${randomUUID()}/${path.basename(file).replace(/\.gz$/i, '')}`;
  // DuckDB globs even a registered name through Node's file system first (and finds nothing there).
  bootstrap.allowReading([name]);
  await engine.registerFile(name, converted);
  return { encoding, name };
}

/** Gzip-decompressed bytes, or the engine's kind of error for damaged or too much data. */
async function gunzipped(bytes: Uint8Array, name: string, max: number): Promise<Uint8Array> {
  try {
    return await gunzip(bytes, name, max);
  } catch (err) {
    throw new EngineError('sourceUnreadable', (err as Error).message, { kind: 'malformed', message: (err as Error).message, detail: (err as Error).message });
  }
}

async function readStart(file: string, length: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The columns from the Parquet schema and the rows from the footer, without decoding a value. */
async function describeOnly(engine: Engine, file: string, rows: number): Promise<{ rows: number; columns: InspectedColumn[] }> {
  const described = await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', readFile(file, 'parquet')));
  return { rows, columns: described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type), nonNull: null })) };
}

async function readEnds(file: string, size: number): Promise<{ head: Uint8Array; tail: Uint8Array }> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(4096, size));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(8, size));
    await handle.read(tail, 0, tail.length, size - tail.length);
    return { head, tail };
  } finally {
    await handle.close();
  }
}

/** The footer's top-level fields, or null when its length is impossible (the engine then reports the damage). */
async function readFooter(file: string, size: number, tail: Uint8Array): Promise<ParquetFooterSummary | null> {
  if (tail.length < 8) return null;
  const length = Buffer.from(tail).readUInt32LE(0);
  if (length === 0 || length > size - 12) return null;
  const handle = await open(file, 'r');
  try {
    const footer = Buffer.alloc(length);
    await handle.read(footer, 0, length, size - 8 - length);
    return summarizeParquetFooter(footer);
  } finally {
    await handle.close();
  }
}

function formatFromName(file: string): DataFormat | null {
  // orders.csv.gz is a CSV file, compressed.
  const ext = path.extname(file.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.parquet' || ext === '.parq') return 'parquet';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json';
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  return null;
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'this is a folder, not a data file';
  return `cannot read the file: ${err instanceof Error ? err.message : String(err)}`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function formatText(info: InspectedFile): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const parquet = info.format === 'parquet';
  const lines = [
    `${printable(info.file)}: ${parquet ? 'Parquet' : info.format.toUpperCase()}, ${formatBytes(info.sizeBytes)}, ${counted(info.rows, 'row')}, ${counted(info.columns.length, 'column')}`,
  ];
  if (parquet && info.rowGroups !== null) lines.push(`  row groups: ${count(info.rowGroups)}`);
  if (parquet && info.writer) lines.push(`  written by: ${printable(info.writer)}`);
  if (info.encoding) lines.push(`  encoding: ${info.encoding}${info.encoding.startsWith('UTF-8') ? '' : ' (converted to UTF-8 to read it)'}`);
  const width = Math.min(40, Math.max(4, ...info.columns.map((c) => printable(c.name).length)));
  const typeWidth = Math.min(40, Math.max(4, ...info.columns.map((c) => c.type.length)));
  lines.push(`  ${'name'.padEnd(width)}  ${'type'.padEnd(typeWidth)}  nulls`);
  for (const c of info.columns) {
    lines.push(`  ${printable(c.name).padEnd(width)}  ${printable(c.type).padEnd(typeWidth)}  ${c.nonNull === null ? 'not counted' : count(info.rows - c.nonNull)}`);
  }
  if (info.notLoadable) lines.push(`  not loadable: ${printable(info.notLoadable)}`);
  return `${lines.join('\n')}\n`;
}
