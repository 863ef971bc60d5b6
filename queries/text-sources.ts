// Text sources the pinned engine cannot read as they are, made readable before their view is made:
// JSON (DuckDB 0.9.1 reads it only through the json extension, fetched from the network) is fetched,
// parsed and inserted as an Arrow table; a CSV that is not UTF-8 (0.9.1 reads nothing else), or is
// gzip-compressed, is fetched, converted or decompressed, and registered as an in-memory file. A
// file that is no text at all (a workbook, an archive, a Parquet file) is refused, saying what it
// is. Both read through the data gateway's URLs in the app; the CLI hands over a JSON file's bytes
// (`LinkedSource.contents`) and converts its CSVs itself (cli/local-sources.ts). A UTF-8 CSV's view
// and every Parquet source keep the engine's own reader; a table dataset's load of a CSV reads a
// copy of its bytes instead (`fetchCsvCopy`).
import type { Source } from '../dashboards/schema';
import type { LinkedSource, QueryEngine } from './dashboard-runner';
import { jsonToArrowIpc, jsonTooLarge, MAX_JSON_BYTES, type ParsedShare } from './json-source';
import { createSourceView, createViewAs, dropRelation, Sql, selectAll } from './sql';
import { binaryFormat, concatBytes, detectTextEncoding, ENCODING_NAMES, gunzip, MAX_TRANSCODE_BYTES, notTextMessage, tooLargeToConvert, tooLargeToDecompress, toUtf8 } from './text-encoding';

/** The bytes of a CSV's start that decide its encoding. */
export const ENCODING_SNIFF_BYTES = 64 * 1024;

/** A source ready for its view: where it is read from now, and the statement that makes the view. */
export interface ReadableSource {
  linked: LinkedSource;
  view: Sql;
}

// A JSON source's table is dropped and inserted again on every link. Two runs may link the same
// source at once (a new run starts while the old one still loads): one at a time per source, or the
// second insert would find the first one's table.
const inserting = new Map<string, Promise<unknown>>();

function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const run = (inserting.get(key) ?? Promise.resolve()).catch(() => {}).then(work);
  inserting.set(key, run.catch(() => {}));
  return run;
}

/**
 * Make a linked source readable by the engine and return the statement that makes its view: JSON
 * becomes a table, a CSV that is not UTF-8 a converted in-memory file; anything else is unchanged.
 */
export async function readableSource(engine: QueryEngine, source: Source, found: LinkedSource, signal?: AbortSignal, onProgress?: TextSourceProgress): Promise<ReadableSource> {
  const plain = { linked: found, view: createSourceView(source.name, found.urls, source.format) };
  if (source.format === 'json' && engine.insertArrow && found.contents) return insertJson(engine, source, found, signal, onProgress);
  if (!found.urls.every(isHttpUrl)) return plain;
  if (source.format === 'json' && engine.insertArrow) return insertJson(engine, source, found, signal, onProgress);
  if (source.format === 'csv' && engine.registerFile) return convertCsv(engine, source, found, signal);
  return plain;
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** The table a JSON source's rows are in; its view (named after the source) selects from it. */
export function jsonSourceTable(sourceName: string): string {
  return `northstar_json_${sourceName}`;
}

/**
 * How far making a JSON source readable got: its bytes fetched (of the host's figure for them all),
 * then the share of them parsed and the rows so far.
 */
export type TextSourceProgress = (p: { stage: 'fetching' | 'parsing'; bytesDone: number; bytesTotal: number; rows: number }) => void;

async function insertJson(engine: QueryEngine, source: Source, found: LinkedSource, signal: AbortSignal | undefined, onProgress: TextSourceProgress | undefined): Promise<ReadableSource> {
  // The size known before any byte is read or parsed: the bytes handed over, or the host's figure.
  const known = found.contents ? found.contents.reduce((n, b) => n + b.length, 0) : found.sizeBytes;
  if (known != null && known > MAX_JSON_BYTES) throw new Error(jsonTooLarge(found.location, known));
  const reads: JsonRead[] = [];
  let total = 0;
  const fetched = (bytesDone: number) => onProgress?.({ stage: 'fetching', bytesDone, bytesTotal: Math.max(known ?? 0, bytesDone), rows: 0 });
  fetched(0);
  for (const [i, url] of found.urls.entries()) {
    const name = found.urls.length > 1 ? fileName(url) : found.location;
    const before = total;
    const bytes = found.contents?.[i] ?? (await fetchWhole(url, name, MAX_JSON_BYTES - total, (size) => jsonTooLarge(found.location, total + size), signal, (n) => fetched(before + n)));
    total += bytes.length;
    reads.push({ bytes, name });
  }
  // Parsing hundreds of megabytes takes seconds: the app does it in a worker, off the page's thread.
  const parsed: ParsedShare | undefined = onProgress && ((share, rows) => onProgress({ stage: 'parsing', bytesDone: Math.round(share * total), bytesTotal: total, rows }));
  const ipc = engine.jsonToArrow ? await engine.jsonToArrow(reads, found.location, signal, parsed) : await jsonToArrow(reads, found.location, parsed);
  const table = jsonSourceTable(source.name);
  await oneAtATime(table, async () => {
    await engine.exec(dropRelation(table, 'table'));
    await engine.insertArrow?.(table, ipc);
  });
  return { linked: found, view: createViewAs(source.name, selectAll(table)) };
}

/** One JSON file's bytes as fetched (or handed over), and the name its messages give it. */
export interface JsonRead {
  bytes: Uint8Array;
  name: string;
}

/**
 * JSON files' bytes as one Arrow IPC stream of their rows (json-source.ts): a gzip file is
 * decompressed, a BOM or UTF-16 taken care of, and a file that is no text at all refused, saying
 * what it is. Pure, so it runs the same in the page, in a worker (the app) and in Node (the CLI).
 */
export async function jsonToArrow(reads: readonly JsonRead[], location: string, onParsed?: ParsedShare): Promise<Uint8Array> {
  // Begun: decoding hundreds of megabytes takes a second before the first rows are counted.
  onParsed?.(0, 0);
  const files: { text: string; name: string }[] = [];
  let total = 0;
  for (const { bytes: read, name } of reads) {
    const binary = binaryFormat(read);
    if (binary && binary.kind !== 'gzip') throw new Error(notTextMessage(name, binary, 'JSON'));
    const bytes = binary ? await gunzip(read, name, MAX_JSON_BYTES - total) : read;
    total += bytes.length;
    // JSON is UTF-8 by its standard, but a file saved from Windows tools may carry a BOM or be UTF-16.
    files.push({ text: new TextDecoder().decode(toUtf8(bytes, name).bytes), name });
  }
  return jsonToArrowIpc(files, location, onParsed).ipc;
}

async function convertCsv(engine: QueryEngine, source: Source, found: LinkedSource, signal: AbortSignal | undefined): Promise<ReadableSource> {
  const urls: string[] = [];
  const converted = new Set<string>();
  let decompressed = false;
  for (const url of found.urls) {
    const name = found.urls.length > 1 ? fileName(url) : found.location;
    const start = await fetchStart(url, ENCODING_SNIFF_BYTES, signal);
    // A spreadsheet, an archive or a Parquet file named as CSV is said to be one; gzip is read decompressed.
    const binary = binaryFormat(start.bytes);
    if (binary && binary.kind !== 'gzip') throw new Error(notTextMessage(name, binary, 'CSV'));
    let text: Uint8Array | null = null;
    if (binary) {
      const tooLarge = (size: number) => tooLargeToDecompress(name, size, MAX_CSV_COPY_BYTES);
      if (start.size > MAX_CSV_COPY_BYTES) throw new Error(tooLarge(start.size));
      text = await gunzip(start.whole ? start.bytes : await fetchWhole(url, name, MAX_CSV_COPY_BYTES, tooLarge, signal), name, MAX_CSV_COPY_BYTES);
      decompressed = true;
    }
    const sniffed = detectTextEncoding(text ?? start.bytes, text === null && !start.whole);
    if (sniffed.encoding === 'utf-8' && text === null) {
      urls.push(url);
      continue;
    }
    if (sniffed.encoding !== 'utf-8') {
      const size = text?.length ?? start.size;
      if (size > MAX_TRANSCODE_BYTES) throw new Error(tooLargeToConvert(name, sniffed, size));
      text ??= start.whole ? start.bytes : await fetchWhole(url, name, MAX_TRANSCODE_BYTES, (n) => tooLargeToConvert(name, sniffed, n), signal);
      const utf8 = toUtf8(text, name);
      text = utf8.bytes;
      converted.add(ENCODING_NAMES[utf8.detected.encoding]);
    }
    // One name per source and file, registered again on every link: registering replaces the bytes,
    // so views of an older run read the same name and nothing piles up. It is no gateway URL, so no
    // dashboard path reaches it; SQL that names it reads only this source's own converted data.
    const file = `northstar-text/${source.name}/${urls.length}/${fileName(url).replace(/\.gz$/i, '')}`;
    await engine.registerFile?.(file, text as Uint8Array);
    urls.push(file);
  }
  if (converted.size === 0 && !decompressed) return { linked: found, view: createSourceView(source.name, found.urls, source.format) };
  const notes = [...(decompressed ? ['gzip, decompressed'] : []), ...(converted.size > 0 ? [`${[...converted].join(', ')}, converted`] : [])];
  const linked = { ...found, urls, location: `${found.location} (${notes.join('; ')})` };
  return { linked, view: createSourceView(source.name, urls, source.format) };
}

/**
 * The most bytes of a UTF-8 CSV source fetched whole for a load (`fetchCsvCopy`), as for Parquet
 * (PREFETCH_MAX_BYTES): the copy lives outside the engine's heap only while its table is built.
 */
export const MAX_CSV_COPY_BYTES = 512 * 1024 * 1024;

/** A CSV source's files fetched for one load: the engine reads `files`; `release` frees them. */
export interface CsvCopy {
  files: string[];
  bytes: number;
  release(): Promise<void>;
}

/**
 * A CSV source's files fetched whole, one streamed GET each, and handed to the engine as bytes under
 * fresh names for one load. DuckDB-WASM reads a CSV through its URL in small sequential requests:
 * ~8 MB/s, a minute for a 470 MB file over the data gateway, against ~11 s to load the same bytes
 * from memory. Null where the engine reads the files as they are: not every file an HTTP URL (the
 * CLI's paths, files converted or decompressed already), an unknown size, or above
 * MAX_CSV_COPY_BYTES in all.
 */
export async function fetchCsvCopy(engine: QueryEngine, found: LinkedSource, opts: { signal?: AbortSignal; onProgress?: (bytesDone: number, bytesTotal: number) => void } = {}): Promise<CsvCopy | null> {
  const total = found.sizeBytes;
  const { registerFile, dropFile } = engine;
  if (!registerFile || !dropFile || total == null || total > MAX_CSV_COPY_BYTES || found.urls.length === 0 || !found.urls.every(isHttpUrl)) return null;
  // Each file's own name last, so that the engine's messages name it.
  const load = `northstar-csv-${globalThis.crypto.randomUUID()}`;
  const names = found.urls.map((url, i) => `${load}/${i}/${fileName(url)}`);
  const registered: string[] = [];
  const release = async () => {
    for (const name of registered.splice(0)) await dropFile.call(engine, name).catch(() => {});
  };
  let done = 0;
  let grew = false;
  // The size is known before the first byte: say it at once.
  opts.onProgress?.(0, total);
  try {
    for (const [i, url] of found.urls.entries()) {
      const before = done;
      const tooLarge = () => ((grew = true), `${found.location} grew past ${MAX_CSV_COPY_BYTES} bytes`);
      const bytes = await fetchWhole(url, fileName(url), MAX_CSV_COPY_BYTES - before, tooLarge, opts.signal, (n) => {
        done = before + n;
        opts.onProgress?.(done, Math.max(total, done));
      });
      const name = names[i] as string;
      await registerFile.call(engine, name, bytes);
      registered.push(name);
    }
  } catch (err) {
    await release();
    // Larger than its size said (it grew since): the engine reads it from its URL after all.
    if (grew) return null;
    throw err;
  }
  return { files: [...registered], bytes: done, release };
}

/** A URL's or path's last segment: the name an engine's message gives a file. */
export function fileName(url: string): string {
  // A local path (the CLI) is no URL: its last segment is the name.
  const path = isHttpUrl(url) ? new URL(url).pathname : url.replaceAll('\\', '/');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || 'data';
}

/** The first `max` bytes of a file and its size: one ranged GET (a server that ignores Range sends it all). */
async function fetchStart(url: string, max: number, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; size: number; whole: boolean }> {
  const res = await fetch(url, { headers: { Range: `bytes=0-${max - 1}` }, ...(signal ? { signal } : {}) });
  // An empty file has no byte 0: nothing to convert.
  if (res.status === 416) return { bytes: new Uint8Array(0), size: 0, whole: true };
  if (res.status !== 206 && res.status !== 200) throw new Error(await httpFailure(res));
  if (res.status === 200) {
    const size = Number(res.headers.get('Content-Length') ?? NaN);
    // The whole file is coming: read at most what could be converted.
    const bytes = await readCapped(res, MAX_TRANSCODE_BYTES, () => `the file is larger than ${MAX_TRANSCODE_BYTES} bytes`);
    return { bytes, size: Number.isFinite(size) ? size : bytes.length, whole: true };
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const total = /\/(\d+)$/.exec(res.headers.get('Content-Range') ?? '');
  const size = total ? Number(total[1]) : bytes.length;
  return { bytes, size, whole: bytes.length >= size };
}

/** A whole file, refused (by its Content-Length, or as the bytes arrive) above `max` bytes. */
async function fetchWhole(url: string, name: string, max: number, tooLarge: (size: number) => string, signal: AbortSignal | undefined, onBytes?: (n: number) => void): Promise<Uint8Array> {
  const res = await fetch(url, signal ? { signal } : {});
  if (!res.ok) throw new Error(await httpFailure(res, name));
  const length = Number(res.headers.get('Content-Length') ?? NaN);
  if (Number.isFinite(length) && length > max) {
    await res.body?.cancel();
    throw new Error(tooLarge(length));
  }
  return readCapped(res, max, tooLarge, onBytes);
}

async function readCapped(res: Response, max: number, tooLarge: (size: number) => string, onBytes?: (n: number) => void): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  // A body of a known length is written into one buffer as it comes (a second whole copy of a
  // 500 MB file would double the page's memory for a moment); otherwise the chunks are joined.
  const length = Number(res.headers.get('Content-Length') ?? NaN);
  let sized = Number.isFinite(length) && length <= max && !res.headers.get('Content-Encoding') ? new Uint8Array(length) : null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.length > max) {
      await reader.cancel();
      throw new Error(tooLarge(total + value.length));
    }
    if (sized && total + value.length <= sized.length) sized.set(value, total);
    else {
      if (sized) chunks.push(sized.subarray(0, total));
      sized = null;
      chunks.push(value);
    }
    total += value.length;
    onBytes?.(total);
  }
  if (sized) return total === sized.length ? sized : sized.subarray(0, total);
  return concatBytes(chunks, total);
}

/** A refused request in words: the status and what the data gateway said about it. */
export async function httpFailure(res: Response, name?: string): Promise<string> {
  // The data gateway explains a refusal in its body (outside the opened folders, not approved...).
  const text = (await res.text().catch(() => '')).trim().slice(0, 300);
  return `${name ? `${name}: ` : ''}HTTP ${res.status}${text ? ` ${text}` : ''}`;
}
