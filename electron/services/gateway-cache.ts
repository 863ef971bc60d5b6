// The data gateway's disk cache of remote objects (S3, URLs), so reopening a dashboard reads no
// object bytes again. Objects are cached in fixed-size blocks, keyed by the object's identity and
// its version (the ETag; for a URL without a strong ETag, Last-Modified and size): a changed object
// has a new version, so stale bytes are never served (the gateway learns the current version from
// the HEAD that DuckDB sends when it opens a file, and fetches on the condition that it still holds:
// If-Match, or If-Unmodified-Since).
//
//  - Ranged reads are served from blocks; only missing blocks are fetched, contiguous ones in one
//    ranged request.
//  - Two readers of a block that is being fetched share that fetch (no double download).
//  - A block file is written to a temp name and renamed: a file under its final name is complete,
//    so a crash mid-write never leaves bytes that would be served.
//  - The total size is bounded; the least recently used blocks are evicted first.
//  - Objects without a validator are not cached (nothing could tell that they changed).
//  - clear() is safe while reads run: downloads in flight still reach their readers, unstored.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** An object version: identity (e.g. s3 endpoint + bucket + key) and ETag (or another validator). */
export interface CachedObjectVersion {
  /** Stable identity of the object, independent of credentials. */
  id: string;
  /** What tells versions apart: the ETag, or e.g. "last-modified <date>" for a URL without one. */
  etag: string;
  size: number;
}

/** Fetch bytes start..end (inclusive) of the object version; the stream must yield exactly those bytes. */
export type RangeFetcher = (start: number, end: number) => Promise<Readable>;

export interface GatewayCacheOptions {
  dir: string;
  /** Upper bound of the cache on disk. Default 2 GiB. */
  maxBytes?: number;
  /** Block size. Default 256 KiB: small enough that a column chunk read over-reads little. */
  blockBytes?: number;
}

export interface GatewayCacheStats {
  bytes: number;
  blocks: number;
  hitBlocks: number;
  fetchedBlocks: number;
  fetchedBytes: number;
}

/** What `clear()` removed. */
export interface ClearedCache {
  freedBytes: number;
  blocks: number;
}

const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
const DEFAULT_BLOCK_BYTES = 256 * 1024;
// One upstream request fetches at most this many missing blocks, so memory per read stays bounded.
const MAX_RUN_BLOCKS = 64;
const TEMP_PREFIX = '.tmp-';

export class GatewayCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly blockBytes: number;
  /** Block file (relative path) → size, in least-recently-used-first order. */
  private readonly index = new Map<string, number>();
  private totalBytes = 0;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private ready: Promise<void>;
  /** Fetches still storing blocks. */
  private readonly runs = new Set<Promise<void>>();
  private counters = { hitBlocks: 0, fetchedBlocks: 0, fetchedBytes: 0 };
  /**
   * Bumped by clear(): a fetch that started before it still hands its bytes to its readers but
   * stores nothing, so a clear never races a download into leaving files the index does not know.
   */
  private generation = 0;
  /**
   * Object folders made (or found) since the last clear, so a block's store does not ask the disk
   * to make its folder again: a cold open at 5M rows stores ~160 blocks, and the recursive mkdir
   * was ~25 ms of the host's thread. A folder that went anyway is made again on the next store.
   */
  private readonly folders = new Set<string>();

  constructor(opts: GatewayCacheOptions) {
    this.dir = path.resolve(opts.dir);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.blockBytes = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
    if (!(this.blockBytes >= 4096) || !Number.isSafeInteger(this.blockBytes)) throw new Error(`The cache block size must be an integer of at least 4096 bytes, got ${opts.blockBytes}.`);
    if (!(this.maxBytes >= 0)) throw new Error(`The cache size bound must be 0 or more bytes, got ${opts.maxBytes}.`);
    // A cache folder that cannot be read or made only means no cache: reads still go upstream
    // (and storing blocks fails quietly), never fail because of it.
    this.ready = this.loadIndex().catch(() => {});
  }

  /** Resolves once the blocks already on disk are indexed (stats() counts them from then on). */
  async whenReady(): Promise<void> {
    await this.ready;
  }

  /** Bytes and blocks on disk now, and hit/fetch counters since start. */
  stats(): GatewayCacheStats {
    return { bytes: this.totalBytes, blocks: this.index.size, ...this.counters };
  }

  /**
   * The bytes start..end (inclusive) of an object version, in order, as buffers: from the cache
   * where present, otherwise fetched (missing contiguous blocks in one request) and stored.
   */
  async *read(version: CachedObjectVersion, start: number, end: number, fetch: RangeFetcher): AsyncGenerator<Buffer> {
    if (start < 0 || end < start || end >= version.size) throw new RangeError(`bytes ${start}-${end} are outside an object of ${version.size} bytes`);
    await this.ready;
    const folder = objectFolder(version);
    const first = Math.floor(start / this.blockBytes);
    const last = Math.floor(end / this.blockBytes);
    // Blocks of runs this read started: it keeps their promises, so it gets them even when the run
    // leaves no copy behind (a clear() during the download).
    const started = new Map<number, Promise<Buffer>>();
    for (let b = first; b <= last; b++) {
      const file = blockPath(folder, b);
      // Checked again after the disk lookup: another reader may have started fetching meanwhile.
      let block = started.get(b) ?? this.inFlight.get(file) ?? (await this.cachedBlock(folder, b)) ?? this.inFlight.get(file);
      if (!block) {
        // Fetch this block and the missing ones right after it (up to the end of the read) at once.
        let runEnd = b;
        while (runEnd < last && runEnd - b + 1 < MAX_RUN_BLOCKS && !this.has(folder, runEnd + 1)) runEnd++;
        this.fetchRun(version, folder, b, runEnd, fetch).forEach((promise, i) => started.set(b + i, promise));
        block = started.get(b) as Promise<Buffer>;
      }
      const bytes = await block;
      const blockStart = b * this.blockBytes;
      const from = Math.max(start, blockStart) - blockStart;
      const to = Math.min(end, blockStart + bytes.length - 1) - blockStart + 1;
      if (to <= from) throw new Error(`cached block ${b} of ${version.id} is shorter than expected`);
      yield bytes.subarray(from, to);
    }
  }

  /** Whether blocks of any version of this object (`CachedObjectVersion.id`) are here or being fetched. */
  async holdsObject(id: string): Promise<boolean> {
    await this.ready;
    const prefix = `${objectPrefix(id)}-`;
    for (const file of this.index.keys()) if (file.startsWith(prefix)) return true;
    for (const file of this.inFlight.keys()) if (file.startsWith(prefix)) return true;
    return false;
  }

  /** Resolves once every block fetched so far is stored (or given up). */
  async flush(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs]);
  }

  /**
   * Delete every cached block and say what that freed. Safe while reads run: blocks being fetched
   * are still handed to their readers (from memory) but not stored; a reader of a block deleted
   * under it fetches the block again.
   */
  async clear(): Promise<ClearedCache> {
    await this.ready;
    const cleared = { freedBytes: this.totalBytes, blocks: this.index.size };
    this.generation++;
    this.index.clear();
    this.folders.clear();
    this.totalBytes = 0;
    const entries = await fs.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(entries.map((e) => fs.rm(path.join(this.dir, e.name), { recursive: true, force: true }).catch(() => {})));
    return cleared;
  }

  /** Forget blocks of other versions of this object: they can never be served again. */
  async dropOtherVersions(version: CachedObjectVersion): Promise<void> {
    await this.ready;
    const keep = objectFolder(version);
    const prefix = `${objectPrefix(version.id)}-`;
    for (const file of [...this.index.keys()]) {
      if (file.startsWith(prefix) && !file.startsWith(`${keep}/`)) this.forget(file);
    }
    for (const folder of [...this.folders]) if (folder.startsWith(prefix) && folder !== keep) this.folders.delete(folder);
    const entries = await fs.readdir(this.dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.filter((e) => e.isDirectory() && e.name.startsWith(prefix) && e.name !== keep).map((e) => fs.rm(path.join(this.dir, e.name), { recursive: true, force: true })),
    );
  }

  // --- internals --------------------------------------------------------------------------

  private has(folder: string, block: number): boolean {
    const file = blockPath(folder, block);
    return this.index.has(file) || this.inFlight.has(file);
  }

  private async cachedBlock(folder: string, block: number): Promise<Promise<Buffer> | null> {
    const file = blockPath(folder, block);
    const size = this.index.get(file);
    if (size === undefined) return null;
    try {
      const bytes = await fs.readFile(path.join(this.dir, file));
      if (bytes.length !== size) throw new Error('size changed');
      // Most recently used goes last; the disk's mtime keeps the order across restarts.
      this.index.delete(file);
      this.index.set(file, size);
      this.counters.hitBlocks++;
      const now = new Date();
      void fs.utimes(path.join(this.dir, file), now, now).catch(() => {});
      return Promise.resolve(bytes);
    } catch {
      // Evicted or damaged under us: fetch it again.
      this.forget(file);
      return null;
    }
  }

  /** Start fetching blocks first..last; each block's promise is in inFlight until it is stored or fails. */
  private fetchRun(version: CachedObjectVersion, folder: string, first: number, last: number, fetch: RangeFetcher): Promise<Buffer>[] {
    const settle: { resolve: (b: Buffer) => void; reject: (e: unknown) => void }[] = [];
    const promises: Promise<Buffer>[] = [];
    for (let b = first; b <= last; b++) {
      const file = blockPath(folder, b);
      const promise = new Promise<Buffer>((resolve, reject) => settle.push({ resolve, reject }));
      // A reader that gave up must not turn a failed fetch into an unhandled rejection.
      promise.catch(() => {});
      // Stays in flight until stored (or failed), so a reader right after is served from memory.
      this.inFlight.set(file, promise);
      promises.push(promise);
    }
    const startByte = first * this.blockBytes;
    const endByte = Math.min(version.size - 1, (last + 1) * this.blockBytes - 1);
    const generation = this.generation;
    const run = (async () => {
      let stored: Promise<void> = Promise.resolve();
      let next = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const blockLength = (i: number) => Math.min(this.blockBytes, version.size - (first + i) * this.blockBytes);
      try {
        const body = await fetch(startByte, endByte);
        for await (const chunk of body as AsyncIterable<Buffer>) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          while (next < settle.length && pendingBytes >= blockLength(next)) {
            const all = Buffer.concat(pending, pendingBytes);
            const want = blockLength(next);
            const block = all.subarray(0, want);
            pending = pendingBytes > want ? [all.subarray(want)] : [];
            pendingBytes -= want;
            this.counters.fetchedBlocks++;
            this.counters.fetchedBytes += block.length;
            settle[next]?.resolve(block);
            // Written while the next bytes arrive (waiting for each write held the download to the
            // disk's pace: ~20% slower cold), one after another so the LRU order is the blocks'. The
            // block stays in flight, served from memory, until its file is complete.
            const file = blockPath(folder, first + next);
            const index = first + next;
            stored = stored.then(() => this.store(folder, index, block, generation)).finally(() => this.inFlight.delete(file));
            next++;
          }
        }
        if (next < settle.length) throw new Error(`the upstream ended the read of bytes ${startByte}-${endByte} early`);
      } catch (err) {
        for (let i = next; i < settle.length; i++) {
          settle[i]?.reject(err);
          this.inFlight.delete(blockPath(folder, first + i));
        }
      }
      await stored;
    })();
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
    return promises;
  }

  private async store(folder: string, block: number, bytes: Buffer, generation: number): Promise<void> {
    if (generation !== this.generation) return;
    const file = blockPath(folder, block);
    const full = path.join(this.dir, file);
    const temp = path.join(this.dir, folder, `${TEMP_PREFIX}${block}-${randomBytes(6).toString('hex')}`);
    try {
      if (!this.folders.has(folder)) {
        await fs.mkdir(path.join(this.dir, folder), { recursive: true });
        this.folders.add(folder);
      }
      await fs.writeFile(temp, bytes);
      await fs.rename(temp, full);
    } catch {
      // A full or read-only disk only costs the cache: the reader already has the bytes. (And a
      // folder removed under the cache is made again by the next store.)
      this.folders.delete(folder);
      await fs.rm(temp, { force: true }).catch(() => {});
      return;
    }
    if (generation !== this.generation) {
      // Cleared while this block was being written: it must not outlive the clear.
      await fs.rm(full, { force: true }).catch(() => {});
      return;
    }
    this.forget(file);
    this.index.set(file, bytes.length);
    this.totalBytes += bytes.length;
    await this.evict();
  }

  private async evict(): Promise<void> {
    const victims: string[] = [];
    for (const [file] of this.index) {
      if (this.totalBytes <= this.maxBytes) break;
      this.forget(file);
      victims.push(file);
    }
    await Promise.all(victims.map((file) => fs.rm(path.join(this.dir, file), { force: true }).catch(() => {})));
  }

  private forget(file: string): void {
    const size = this.index.get(file);
    if (size === undefined) return;
    this.index.delete(file);
    this.totalBytes -= size;
  }

  /** Read what is on disk (oldest first by mtime) and remove temp files a crash left behind. */
  private async loadIndex(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const found: { file: string; size: number; mtime: number }[] = [];
    for (const folder of await fs.readdir(this.dir, { withFileTypes: true })) {
      if (!folder.isDirectory()) continue;
      for (const name of await fs.readdir(path.join(this.dir, folder.name)).catch(() => [] as string[])) {
        const full = path.join(this.dir, folder.name, name);
        if (name.startsWith(TEMP_PREFIX)) {
          await fs.rm(full, { force: true }).catch(() => {});
          continue;
        }
        if (!/^\d+$/.test(name)) continue;
        const stat = await fs.stat(full).catch(() => null);
        if (stat?.isFile()) found.push({ file: `${folder.name}/${name}`, size: stat.size, mtime: stat.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) {
      this.index.set(f.file, f.size);
      this.totalBytes += f.size;
    }
    await this.evict();
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function objectPrefix(id: string): string {
  return sha256(id).slice(0, 32);
}

/** One folder per object version: <hash of identity>-<hash of ETag>. */
function objectFolder(version: CachedObjectVersion): string {
  return `${objectPrefix(version.id)}-${sha256(`${version.etag}\0${version.size}`).slice(0, 16)}`;
}

function blockPath(folder: string, block: number): string {
  return `${folder}/${block}`;
}
