// Bytes first, then load from memory. DuckDB-WASM reads a Parquet file over HTTP with small
// synchronous range reads from inside its worker, one after the other (5.2 s for 62 MB where
// native DuckDB takes 1.4 s). Fetching the same bytes here instead, in a few large ranged reads in
// parallel with `fetch` (asynchronous, off the worker, overlapping the engine's start), and handing
// them to the engine as one in-memory file takes a fraction of that.
//
// Only the bytes a load reads are fetched: the footer (read first, parsed here) says where each
// column chunk lies, so a projection fetches only its columns' chunks into a buffer the size of
// the file whose other bytes stay zero and are never read.
import { CompactReader, T } from './thrift-compact';
import { groupsFrom, timeStatistics, windowFile, windowFooterFile, type TimeStatistics } from './parquet-window';
import { contentVersion } from '../persisted-results';
import { chunkMemoryBytes, isSmallTextDictionary, PHYSICAL_TYPES, type ChunkFacts } from '../memory-estimate';
import { READABLE_CODECS } from './read-errors';

/** How far a fetch has got, for the progress line (rows from the footers, known before the data). */
export interface FetchProgress {
  bytesDone: number;
  bytesTotal: number;
  rowsTotal: number;
}

/** A prefetch failed for a reason the caller can fall back from (the engine then reads over HTTP). */
export class PrefetchError extends Error {
  override readonly name = 'PrefetchError';
}

/** One Parquet file's footer, as far as a load needs it. */
export interface ParquetFooter {
  /** Rows in the file. */
  numRows: number;
  /** Top-level column names, in the file's order. */
  columns: string[];
  /**
   * Every column chunk: its top-level column, its byte range in the file, its values and their
   * estimated size in memory (`chunkMemoryBytes`), whether it is text with a small dictionary
   * (memory-estimate.ts), and whether the engine reads its compression codec.
   */
  chunks: (ChunkFacts & { start: number; length: number; readable: boolean; group: number })[];
  /** Where the footer (metadata, its length and the magic) starts; it runs to the end of the file. */
  footerStart: number;
}

/** One fetched file: a buffer of the file's size holding the fetched ranges. */
export interface FetchedFile {
  url: string;
  size: number;
  bytes: Uint8Array;
  footer: ParquetFooter;
  /** The content version every response vouched for (ETag or date, and size; see persisted-results.ts), null if none. */
  version: string | null;
}

export interface PrefetchOptions {
  /** Stops every request in flight (Cancel, or a newer run). */
  signal?: AbortSignal;
  onProgress?: (progress: FetchProgress) => void;
  /**
   * Given the files' columns (union, in first-seen order), the columns to fetch; null for all.
   * Called once every footer is read, before any data is fetched.
   */
  choose?: (columns: string[]) => readonly string[] | null;
  /**
   * Called with the chosen columns' chunks (of `rows` rows in all: memory-estimate.ts
   * `loadedMemoryBytes` estimates their memory once loaded), and whether the engine reads every one
   * of those chunks' codecs, after `choose` and before any data is fetched; may throw to stop.
   */
  onEstimate?: (chunks: readonly ChunkFacts[], rows: number, readable: boolean) => void;
  /**
   * Called with each file's rows once the footers are read, before any data; may throw to stop.
   * `footerFile` is a Parquet file of the footer alone (`footerOnlyFile`), for asking the engine
   * about the file while its data downloads.
   */
  onFooters?: (files: { url: string; rows: number; footerFile: Uint8Array }[]) => void;
  /**
   * A first paint from the newest row groups (parquet-window.ts). Once the footers are read, `from`
   * is given the newest instant of the INT64 timestamp column `column` in their statistics (epoch
   * ms) and answers the instants from which rows may be needed first (one per panel); the earliest
   * of them whose row groups are at most WINDOW_MAX_SHARE of the bytes is taken. The chosen chunks
   * of the row groups that reach it are then fetched before the others (nothing else is asked for
   * until they are in), and `onWindow` gets a Parquet file of just those row groups per source
   * file. The rest downloads once the promise `onWindow` may return settles, so the paint has the
   * CPU (on a 2-core laptop, a request in flight during it made it ~0.1–0.4 s slower). Nothing
   * happens when the files lack the statistics, or when even the latest instant's row groups are
   * most of the bytes.
   */
  window?: {
    column: string;
    from(newestMs: number): readonly number[];
    /**
     * Told the window in a task after its requests are sent, unless its bytes are in by then (or the
     * fetch stopped): per source file, a Parquet file of the footer its window file will have
     * (`windowFooterFile`), for work that needs no values. Never after `onWindow`.
     */
    onPlan?(plan: WindowPlan): void;
    onWindow(window: WindowFiles): void | Promise<unknown>;
  };
  /**
   * Resolves in a task of its own: awaited once the footers are read, so that their parse and the
   * work they start (`onEstimate`'s, the plan) are two tasks on the page, not one long one.
   */
  nextTask?: () => Promise<void>;
  /**
   * The files' footers, read ahead (`readFooters`) while the caller waited for something else. Used
   * when they are of exactly these URLs, in order; otherwise they are read again.
   */
  footers?: Promise<readonly FileFooter[]>;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Refuse (with `PrefetchError`) files larger than this in total, learnt from their first reads. */
  maxBytes?: number;
  fetch?: typeof fetch;
}

/** A first paint's row groups, before their bytes are in (see `PrefetchOptions.window`). */
export interface WindowPlan {
  /** Every row at or after this instant (epoch ms) will be in the window's files. */
  from: number;
  /** One per source file, in the same order: the footer-only file of its window file. */
  files: { url: string; footerFile: Uint8Array }[];
}

/** The files of a first paint's row groups (see `PrefetchOptions.window`). */
export interface WindowFiles {
  /** Every row at or after this instant (epoch ms) is in `files`. */
  from: number;
  /** One file per source file, in the same order. */
  files: { url: string; bytes: Uint8Array }[];
  rows: number;
  bytes: number;
}

export interface PrefetchResult {
  files: FetchedFile[];
  /** The columns fetched (null: all of them), as `choose` returned them. */
  columns: readonly string[] | null;
  /** Every top-level column of the files, in first-seen order. */
  sourceColumns: string[];
  rows: number;
  /** Bytes requested over HTTP (footers included). */
  bytesFetched: number;
}

/**
 * Above this many bytes in total, a load keeps reading over HTTP. The fetched file is copied into
 * the engine's wasm32 heap (4 GiB, shared with the table being loaded and the queries) for the
 * length of the load; a projection's buffer is the whole file's size too (zeros where not fetched).
 * 512 MiB is about 40 million rows of the demo data and leaves most of the heap to the table.
 */
export const PREFETCH_MAX_BYTES = 512 * 1024 ** 2;
/** A first paint's row groups are fetched first only when they are at most this share of the bytes to fetch. */
const WINDOW_MAX_SHARE = 0.6;
/**
 * Bytes read from the end of each file first: the footer of nearly every file fits. The host's
 * probe of a single-file Parquet source reads them into its cache already (connectSource).
 */
export const TAIL_BYTES = 256 * 1024;
const MIN_CHUNK = 4 * 1024 ** 2;
const MIN_FIRST_CHUNK = 1024 ** 2;
const MAX_CHUNK = 16 * 1024 ** 2;
const CONCURRENCY = 4;
/** The longest the fetch copies arriving bytes in one task (see `pace` in `prefetchParquet`). */
export const PACE_MS = 8;

/** Whether a source's files can be prefetched: HTTP(S) URLs (the data gateway), not local paths. */
export function canPrefetch(urls: readonly string[]): boolean {
  return urls.length > 0 && urls.every((u) => /^https?:\/\//i.test(u));
}

/**
 * Fetch Parquet files for a load: each file's footer, then the chunks of the chosen columns in a
 * few large parallel range requests. Throws `PrefetchError` when a server does not answer ranges
 * as expected (the caller falls back to the engine's own reads) and rethrows an abort as is.
 */
export async function prefetchParquet(urls: readonly string[], opts: PrefetchOptions = {}): Promise<PrefetchResult> {
  // One failed read stops the others (and so does the caller's signal): nothing keeps downloading for a load that is over.
  const stop = new AbortController();
  const onAbort = () => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fetchAll(urls, { ...opts, signal: stop.signal });
  } catch (err) {
    stop.abort();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function fetchAll(urls: readonly string[], opts: PrefetchOptions & { signal: AbortSignal }): Promise<PrefetchResult> {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const startedAt = performance.now();
  let bytesFetched = 0;
  const ahead = opts.footers ? await opts.footers : null;
  const tails = ahead && ahead.length === urls.length && ahead.every((t, i) => t.url === urls[i]) ? ahead : await Promise.all(urls.map((url) => readTail(doFetch, url, opts.signal)));
  await opts.nextTask?.();
  opts.signal.throwIfAborted();
  const size = tails.reduce((n, t) => n + t.size, 0);
  if (opts.maxBytes !== undefined && size > opts.maxBytes) throw new PrefetchError(`${size} bytes is more than ${opts.maxBytes} to fetch into memory`);
  const rowsTotal = tails.reduce((n, t) => n + t.footer.numRows, 0);
  opts.onFooters?.(tails.map((t) => ({ url: t.url, rows: t.footer.numRows, footerFile: footerOnlyFile(t.tail, t.size) })));
  const sourceColumns: string[] = [];
  for (const t of tails) for (const c of t.footer.columns) if (!sourceColumns.includes(c)) sourceColumns.push(c);
  const columns = opts.choose?.(sourceColumns) ?? null;
  const wanted = columns ? new Set(columns) : null;
  const chosen = tails.flatMap((t) => t.footer.chunks.filter((c) => !wanted || wanted.has(c.column)));
  opts.onEstimate?.(
    chosen,
    rowsTotal,
    chosen.every((c) => c.readable),
  );

  // A first paint's row groups, per file, when there is one (their chunks are fetched first).
  const window = opts.window ? windowPlan(tails, opts.window, columns) : null;
  // What each file still needs: the chosen column chunks (merged where they touch), minus the tail
  // read; a first paint's first.
  const jobs: { file: number; start: number; end: number; first: boolean }[] = [];
  const files: FetchedFile[] = tails.map((t, i) => {
    const bytes = new Uint8Array(t.size);
    bytes.set(t.tail, t.size - t.tail.length);
    bytesFetched += t.fetched;
    const tailStart = t.size - t.tail.length;
    const keep = window ? new Set(window.keep[i]) : null;
    const clip = (ranges: readonly (readonly [number, number])[]) => mergeRanges(ranges.map(([a, b]) => [Math.max(0, a), Math.min(b, tailStart)] as const));
    const chosenRanges = (first?: boolean) => t.footer.chunks.filter((c) => (!wanted || wanted.has(c.column)) && (first === undefined || keep?.has(c.group) === first)).map((c) => [c.start, c.start + c.length] as const);
    if (!keep) for (const [start, end] of clip(wanted ? chosenRanges() : [[0, t.size]])) jobs.push({ file: i, start, end, first: false });
    else {
      const first = clip(chosenRanges(true));
      // The rest: the other chosen chunks, or, when every column is chosen, every other byte.
      const rest = wanted ? clip(chosenRanges(false)) : gaps(first, tailStart);
      for (const [start, end] of first) jobs.push({ file: i, start, end, first: true });
      for (const [start, end] of rest) jobs.push({ file: i, start, end, first: false });
    }
    return { url: t.url, size: t.size, bytes, footer: t.footer, version: t.version };
  });

  // A few large requests: the chunk size grows with the total so a big file is not hundreds of reads.
  const total = jobs.reduce((n, j) => n + j.end - j.start, 0);
  // Progress counts the footer reads too, so a whole file's total is its size.
  const footerBytes = tails.reduce((n, t) => n + t.fetched, 0);
  const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.ceil(total / 8)));
  // A first paint's bytes in one piece per request in flight, so they all arrive first.
  const firstTotal = jobs.reduce((n, j) => n + (j.first ? j.end - j.start : 0), 0);
  const firstChunk = Math.max(MIN_FIRST_CHUNK, Math.ceil(firstTotal / (opts.concurrency ?? CONCURRENCY)));
  const pieces: { file: number; start: number; end: number; first: boolean }[] = [];
  for (const first of [true, false]) {
    const size = first ? firstChunk : chunk;
    for (const j of jobs) if (j.first === first) for (let at = j.start; at < j.end; at += size) pieces.push({ file: j.file, start: at, end: Math.min(j.end, at + size), first });
  }
  let firstLeft = pieces.filter((p) => p.first).length;
  const windowReady = () => {
    hold = null;
    firstIn?.();
    if (!window || !opts.window) return;
    let made: WindowFiles;
    try {
      const windowFiles = files.map((f, i) => ({ url: f.url, bytes: windowFile(f.bytes, footerBytesOf(tails[i]?.tail as Uint8Array, f.size), window.keep[i] ?? [], columns) }));
      made = { from: window.from, files: windowFiles, rows: window.rows, bytes: windowFiles.reduce((n, f) => n + f.bytes.length, 0) };
    } catch {
      // A footer this cannot re-encode: no first paint, the load goes on.
      return;
    }
    const painting = opts.window.onWindow(made);
    if (painting) {
      hold = painting.then(
        () => (hold = null),
        () => (hold = null),
      );
    }
  };
  // Until a first paint's bytes are in, every request fetches them; the rest waits until it drew
  // (see `PrefetchOptions.window`).
  let firstIn!: () => void;
  let hold: Promise<unknown> | null = window && firstLeft > 0 ? new Promise<void>((resolve) => (firstIn = resolve)) : null;
  if (window && firstLeft === 0) windowReady();

  const progress = { bytesDone: footerBytes, bytesTotal: footerBytes + total, rowsTotal };
  opts.onProgress?.({ ...progress });
  // Bytes that arrive faster than they are copied (from the gateway's disk cache) are read one after
  // another in microtasks, with no task boundary: a warm re-open's load was one task of 58 ms of
  // this loop (5M rows). Once a task has copied for PACE_MS, the workers go on in a new task. A
  // timer, which runs only after the task that set it, tells a later task from the same one.
  let sliceFrom = 0;
  let sameTask = false;
  const newSlice = () => {
    sliceFrom = performance.now();
    sameTask = true;
    setTimeout(() => (sameTask = false), 0);
  };
  const pace = async () => {
    if (!sameTask) return newSlice();
    if (performance.now() - sliceFrom < PACE_MS) return;
    await (opts.nextTask?.() ?? new Promise((resolve) => setTimeout(resolve, 0)));
    newSlice();
  };
  let next = 0;
  const worker = async () => {
    while (next < pieces.length) {
      // No request of the rest while the window's pieces still download (they would share the
      // link), nor while it draws (the CPU is the paint's: its queries, its charts).
      if (hold && !pieces[next]?.first) {
        await hold;
        continue;
      }
      const piece = pieces[next++] as (typeof pieces)[number];
      const file = files[piece.file] as FetchedFile;
      await readRange(doFetch, file, piece.start, piece.end, opts.signal, (n) => {
        progress.bytesDone += n;
        opts.onProgress?.({ ...progress });
      }, pace);
      bytesFetched += piece.end - piece.start;
      if (piece.first && --firstLeft === 0) windowReady();
    }
  };
  const running = Promise.all(Array.from({ length: Math.min(opts.concurrency ?? CONCURRENCY, pieces.length) }, worker));
  // The window's requests are sent (each worker's first read started above): its footers, in a
  // task of their own (this one parsed the footers and sent the requests), unless it is in by then
  // (its paint then makes its views itself) or the fetch stopped.
  const onPlan = window && firstLeft > 0 ? opts.window?.onPlan : undefined;
  if (window && onPlan) {
    void (opts.nextTask?.() ?? Promise.resolve()).then(() => {
      if (firstLeft === 0 || opts.signal.aborted) return;
      let plan: WindowPlan;
      try {
        plan = { from: window.from, files: tails.map((t, i) => ({ url: t.url, footerFile: windowFooterFile(footerBytesOf(t.tail, t.size), window.keep[i] ?? [], t.size) })) };
      } catch {
        // A footer this cannot re-encode: the window's file will not be made either (`windowReady`).
        return;
      }
      onPlan(plan);
    });
  }
  await running;
  // Next to the engine's northstar:sql entries, so the benchmark and the performance panel see the fetch.
  performance.measure('northstar:prefetch', { start: startedAt, end: performance.now(), detail: { files: urls.length, bytes: bytesFetched, requests: tails.reduce((n, t) => n + t.requests, pieces.length) } });
  return { files, columns, sourceColumns, rows: rowsTotal, bytesFetched };
}

/**
 * Which row groups of each file a first paint needs (see `PrefetchOptions.window`), or null: the
 * files' time column has no statistics in some row group's footer, `from` wants none, or those row
 * groups are most of the bytes to fetch (no gain in drawing from them first).
 */
function windowPlan(tails: readonly { tail: Uint8Array; size: number; footer: ParquetFooter }[], window: NonNullable<PrefetchOptions['window']>, columns: readonly string[] | null): { from: number; keep: number[][]; rows: number } | null {
  let stats: (TimeStatistics | null)[];
  try {
    stats = tails.map((t) => timeStatistics(footerBytesOf(t.tail, t.size), window.column));
  } catch {
    return null;
  }
  let newest: number | null = null;
  for (const s of stats) {
    if (!s || s.groups.some((g) => g.max === null)) return null;
    for (const g of s.groups) {
      const ms = Number((g.max as bigint) / s.unitsPerMs);
      if (newest === null || ms > newest) newest = ms;
    }
  }
  if (newest === null) return null;
  const wanted = columns ? new Set(columns) : null;
  // The earliest instant whose row groups are few enough: the panels reading further back wait.
  const candidates = [...new Set(window.from(newest))].filter(Number.isFinite).sort((a, b) => a - b);
  for (const from of candidates) {
    const keep = stats.map((s) => groupsFrom(s as TimeStatistics, from));
    let all = 0;
    let first = 0;
    tails.forEach((t, i) => {
      const kept = new Set(keep[i]);
      for (const c of t.footer.chunks) {
        if (wanted && !wanted.has(c.column)) continue;
        all += c.length;
        if (kept.has(c.group)) first += c.length;
      }
    });
    if (first === 0) return null;
    if (first > all * WINDOW_MAX_SHARE) continue;
    const rows = stats.reduce((n, s, i) => n + (keep[i] ?? []).reduce((m, g) => m + ((s as TimeStatistics).groups[g]?.rows ?? 0), 0), 0);
    return { from, keep, rows };
  }
  return null;
}

/** The parts of [0, end) outside `ranges` (sorted, merged). */
function gaps(ranges: readonly (readonly [number, number])[], end: number): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  for (const [a, b] of ranges) {
    if (a > at) out.push([at, a]);
    at = Math.max(at, b);
  }
  if (at < end) out.push([at, end]);
  return out;
}

/** The FileMetaData bytes at the end of a file's `tail` (without its length and magic). */
function footerBytesOf(tail: Uint8Array, size: number): Uint8Array {
  const length = readFooterLength(tail, size);
  return tail.subarray(tail.length - 8 - length, tail.length - 8);
}

/** Sort ranges and join the ones that overlap or touch (never across a gap: gaps are bytes not needed). */
function mergeRanges(ranges: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** One file's end as read first: its footer, and the bytes read to get it. */
export interface FileFooter {
  url: string;
  size: number;
  /** The bytes read from the end of the file (at least the footer, its length and the magic). */
  tail: Uint8Array;
  footer: ParquetFooter;
  fetched: number;
  requests: number;
  version: string | null;
}

/**
 * Read each file's footer, as `prefetchParquet` does first: for a caller that can start it before
 * it knows whether it will fetch (`PrefetchOptions.footers`). A failure is the prefetch's own.
 */
export function readFooters(urls: readonly string[], signal?: AbortSignal, doFetch: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<readonly FileFooter[]> {
  return Promise.all(urls.map((url) => readTail(doFetch, url, signal)));
}

/** The end of a file (its size from Content-Range) and its parsed footer, re-reading when the footer is larger than the first read. */
async function readTail(doFetch: typeof fetch, url: string, signal: AbortSignal | undefined): Promise<FileFooter> {
  const first = await request(doFetch, url, `bytes=-${TAIL_BYTES}`, signal);
  const version = versionOf(first.headers, first.size);
  let tail = first.body;
  const size = first.size;
  let fetched = tail.length;
  let requests = 1;
  if (size < 12) throw new PrefetchError(`${size} bytes is too small for a Parquet file`);
  const footerLength = readFooterLength(tail, size);
  if (footerLength + 8 > tail.length) {
    const more = await request(doFetch, url, `bytes=${size - footerLength - 8}-${size - tail.length - 1}`, signal);
    checkVersion(version, versionOf(more.headers, more.size));
    const joined = new Uint8Array(footerLength + 8);
    joined.set(more.body, 0);
    joined.set(tail, more.body.length);
    tail = joined;
    fetched += more.body.length;
    requests += 1;
  }
  return { url, size, tail, footer: parseParquetFooter(tail, size), fetched, requests, version };
}

/**
 * A Parquet file holding only another file's footer: the magic, the footer, its length and the
 * magic again. DuckDB answers what the footer holds from it exactly as from the whole file (its
 * columns and types, count(*), `parquet_metadata`; checked on the demo data and parquet-testing's
 * legacy nested files; prefetch.test.ts), in a few milliseconds. It holds no values: the column
 * chunks' offsets point past its end, and a query reading them fails. Only for those questions.
 */
export function footerOnlyFile(tail: Uint8Array, fileSize: number): Uint8Array {
  const length = readFooterLength(tail, fileSize);
  const file = new Uint8Array(4 + length + 8);
  file.set(MAGIC, 0);
  file.set(tail.subarray(tail.length - 8 - length), 4);
  return file;
}

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);

function readFooterLength(tail: Uint8Array, size: number): number {
  const n = tail.length;
  if (MAGIC.some((byte, i) => tail[n - 4 + i] !== byte)) throw new PrefetchError('not a Parquet file (no PAR1 at its end)');
  const length = new DataView(tail.buffer, tail.byteOffset + n - 8, 4).getUint32(0, true);
  if (length + 12 > size) throw new PrefetchError('the Parquet footer length is larger than the file');
  return length;
}

/** One ranged GET, whole body in memory; checks the server answered exactly that range. */
async function request(doFetch: typeof fetch, url: string, range: string, signal: AbortSignal | undefined): Promise<{ body: Uint8Array; size: number; headers: Headers }> {
  const res = await doFetch(url, { headers: { Range: range }, ...(signal ? { signal } : {}) });
  if (res.status !== 206) {
    await res.body?.cancel();
    throw new PrefetchError(`HTTP ${res.status} for a ranged read`);
  }
  const size = totalOf(res.headers.get('Content-Range'));
  return { body: new Uint8Array(await res.arrayBuffer()), size, headers: res.headers };
}

function versionOf(headers: Headers, size: number): string | null {
  return contentVersion(headers.get('ETag'), headers.get('Last-Modified'), size);
}

/** Bytes of two versions of a file would make a corrupt load: stop, and let the engine read the file itself. */
function checkVersion(expected: string | null, got: string | null): void {
  if (expected !== null && got !== null && got !== expected) throw new PrefetchError('the file changed while it was read');
}

function totalOf(contentRange: string | null): number {
  const m = /^bytes \d+-\d+\/(\d+)$/.exec(contentRange ?? '');
  if (!m) throw new PrefetchError(`no usable Content-Range (${contentRange ?? 'none'})`);
  return Number(m[1]);
}

/**
 * Read bytes [start, end) of a file straight into `into` at the same offset, reporting bytes as they
 * arrive; `pace` is awaited after each chunk.
 */
async function readRange(doFetch: typeof fetch, file: FetchedFile, start: number, end: number, signal: AbortSignal | undefined, onBytes: (n: number) => void, pace: () => Promise<void>): Promise<void> {
  const into = file.bytes;
  const res = await doFetch(file.url, { headers: { Range: `bytes=${start}-${end - 1}` }, ...(signal ? { signal } : {}) });
  const expected = `bytes ${start}-${end - 1}/`;
  if (res.status !== 206 || !res.headers.get('Content-Range')?.startsWith(expected) || !res.body) {
    await res.body?.cancel();
    throw new PrefetchError(`HTTP ${res.status} for bytes ${start}-${end - 1}`);
  }
  try {
    checkVersion(file.version, versionOf(res.headers, totalOf(res.headers.get('Content-Range'))));
  } catch (err) {
    await res.body.cancel();
    throw err;
  }
  const reader = res.body.getReader();
  let at = start;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > end) throw new PrefetchError(`more bytes than asked for (${start}-${end - 1})`);
    into.set(value, at);
    at += value.length;
    onBytes(value.length);
    await pace();
  }
  if (at !== end) throw new PrefetchError(`the read of bytes ${start}-${end - 1} ended after ${at - start} bytes`);
}

// --- The Parquet footer: Thrift compact protocol, reading only the fields a load needs. ---

/** A column chunk as the footer gives it, before its path is reduced to the top-level column. */
type FooterChunk = { path: string[]; start: number; length: number; values: number; memoryBytes: number; smallDictionary: boolean; readable: boolean; group: number };

/** Parse a Parquet footer from the end of a file (`tail` holds at least the footer, its length and the magic). */
export function parseParquetFooter(tail: Uint8Array, fileSize: number): ParquetFooter {
  const length = readFooterLength(tail, fileSize);
  const reader = new CompactReader(tail.subarray(tail.length - 8 - length, tail.length - 8));
  const schema: { name: string; children: number }[] = [];
  let numRows = 0;
  const rowGroups: FooterChunk[][] = [];
  try {
    reader.readStruct((id, type) => {
      if (id === 2 && type === T.LIST) {
        reader.readList(() => {
          const el = { name: '', children: 0 };
          reader.readStruct((fid, ftype) => {
            if (fid === 4 && ftype === T.BINARY) el.name = reader.readString();
            else if (fid === 5 && ftype === T.I32) el.children = reader.readVarLong();
            else reader.skip(ftype);
          });
          schema.push(el);
        });
      } else if (id === 3 && type === T.I64) numRows = reader.readVarLong();
      else if (id === 4 && type === T.LIST) {
        reader.readList(() => {
          const chunks: FooterChunk[] = [];
          reader.readStruct((rid, rtype) => {
            if (rid !== 1 || rtype !== T.LIST) return reader.skip(rtype);
            reader.readList(() => {
              const chunk = { path: [] as string[], dataOffset: -1, dictOffset: -1, size: -1, filePath: false, type: -1, codec: 0, values: 0, uncompressed: 0 };
              reader.readStruct((cid, ctype) => {
                if (cid === 1 && ctype === T.BINARY) chunk.filePath = reader.readString() !== '';
                else if (cid === 3 && ctype === T.STRUCT) {
                  reader.readStruct((mid, mtype) => {
                    if (mid === 1 && mtype === T.I32) chunk.type = reader.readVarLong();
                    else if (mid === 3 && mtype === T.LIST) reader.readList(() => chunk.path.push(reader.readString()));
                    else if (mid === 4 && mtype === T.I32) chunk.codec = reader.readVarLong();
                    else if (mid === 5 && mtype === T.I64) chunk.values = reader.readVarLong();
                    else if (mid === 6 && mtype === T.I64) chunk.uncompressed = reader.readVarLong();
                    else if (mid === 7 && mtype === T.I64) chunk.size = reader.readVarLong();
                    else if (mid === 9 && mtype === T.I64) chunk.dataOffset = reader.readVarLong();
                    else if (mid === 11 && mtype === T.I64) chunk.dictOffset = reader.readVarLong();
                    else reader.skip(mtype);
                  });
                } else reader.skip(ctype);
              });
              // Chunks in another file (file_path) are not supported by DuckDB either.
              if (chunk.filePath) throw new PrefetchError('column chunks in other files');
              if (chunk.dataOffset < 0 || chunk.size < 0) throw new PrefetchError('a column chunk without offsets');
              const dictionary = chunk.dictOffset > 0 && chunk.dictOffset < chunk.dataOffset;
              const start = dictionary ? chunk.dictOffset : chunk.dataOffset;
              const type = PHYSICAL_TYPES[chunk.type] ?? 'BYTE_ARRAY';
              chunks.push({
                path: chunk.path, start, length: chunk.size, values: chunk.values, group: rowGroups.length,
                memoryBytes: chunkMemoryBytes(type, chunk.values, chunk.uncompressed),
                smallDictionary: isSmallTextDictionary(type, dictionary ? chunk.dataOffset - chunk.dictOffset : null),
                readable: READABLE_CODECS.has(chunk.codec),
              });
            });
          });
          rowGroups.push(chunks);
        });
      } else reader.skip(type);
    });
  } catch (err) {
    if (err instanceof PrefetchError) throw err;
    throw new PrefetchError(`the Parquet footer could not be read (${(err as Error).message})`);
  }
  // The root's children are the top-level columns; a nested column's chunks belong to its top-level name.
  const columns: string[] = [];
  let i = 1;
  const skipSubtree = (): void => {
    const el = schema[i++];
    for (let c = 0; c < (el?.children ?? 0); c++) skipSubtree();
  };
  for (let c = 0; c < (schema[0]?.children ?? 0) && i < schema.length; c++) {
    columns.push(schema[i]?.name ?? '');
    skipSubtree();
  }
  const chunks = rowGroups.flat().map(({ path, ...chunk }) => ({ column: path[0] ?? '', ...chunk }));
  const footerStart = fileSize - 8 - length;
  if (chunks.some((c) => c.start + c.length > footerStart)) throw new PrefetchError('a column chunk runs into the footer');
  return { numRows, columns, chunks, footerStart };
}
