// Panel results kept on disk between sessions (queries/persisted-results.ts builds the keys): one
// file per key in the host's cache folder, written atomically, bounded in bytes with the least
// recently used entries evicted first, emptied by "Clear data cache". A file that is not one of
// ours, or is damaged, reads as absent (with a log line naming it): the dashboard then simply runs.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StoredPanelResults } from '../api/host-api';
import { MAX_STORED_RESULTS_PER_ENTRY, sameFileVersions } from '../../queries/persisted-results';
import { cleanStaleTempFiles, writeFileAtomic } from './atomic-write';

const FILE_TYPE = 'northstar.panel-results';
// 2: an entry names its files' versions, and its key no longer does (older files read as absent).
const FORMAT_VERSION = 2;
const ENTRY_NAME = /^[0-9a-f]{64}\.json$/;

/** Default bound: many dashboards' opening panels, small next to the data cache. */
export const DEFAULT_RESULT_STORE_MAX_BYTES = 64 * 1024 ** 2;

/** One entry's bound: the renderer parses a whole entry on opening, before it draws. */
export const MAX_ENTRY_BYTES = 4 * 1024 ** 2;

export interface ResultStoreOptions {
  dir: string;
  maxBytes?: number;
  /** Where a damaged or foreign entry is reported (default: console.warn). */
  log?: (line: string) => void;
}

/** A stored entry with a value of each kind a result holds (`warmUp`). */
const WARM_UP_ENTRY: StoredPanelResults = {
  versions: [[{ object: 'warm-up', version: '1' }]],
  dataset: { columns: ['x', 'n'], newest: null, rowCount: 1 },
  results: [{ sql: 'SELECT 1', result: { columns: [{ name: 'x', type: 'VARCHAR' }, { name: 'n', type: 'DOUBLE' }], rows: [{ x: 'a', n: 1, b: true, z: null }] } }],
};

/** The host's store of panel results, one file per key. */
export class ResultStore {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly log: (line: string) => void;
  // Writes of one key run one after another, so two merges cannot lose each other's results.
  private readonly queues = new Map<string, Promise<unknown>>();
  private cleaned = false;

  constructor(opts: ResultStoreOptions) {
    if (opts.maxBytes !== undefined && (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 0)) {
      throw new RangeError(`The result store's maxBytes must be a whole number of at least 0, got ${String(opts.maxBytes)}.`);
    }
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_RESULT_STORE_MAX_BYTES;
    this.log = opts.log ?? ((line) => console.warn(line));
  }

  /**
   * Check a small entry of every kind of value, so that the first real read (a re-open's, on the
   * launch's critical path) runs code that has run before. Measured in Node on a stored entry of
   * the demo dashboard at 5M rows (48 KB, 10 results): the first read took 29–46 ms, 17–19 ms after
   * this (4–5 ms), 4–10 ms on later reads.
   */
  warmUp(): boolean {
    return StoredPanelResults.safeParse(WARM_UP_ENTRY).success;
  }

  /** The entry stored for this key, or null (absent, damaged or foreign). Marks it recently used. */
  async read(key: string): Promise<StoredPanelResults | null> {
    const file = this.fileOf(key);
    const entry = await this.readFile(file, key);
    if (entry) {
      // The file's mtime is its last use: eviction goes by it.
      const now = new Date();
      await fs.utimes(file, now, now).catch(() => {});
    }
    return entry;
  }

  /**
   * Merge results into the entry of this key (a result for the same SQL replaces the older one, and
   * only the newest `MAX_STORED_RESULTS_PER_ENTRY` stay), write it atomically, then evict the least
   * recently used entries while the store is over its bound. An entry of other files' versions is
   * replaced, not merged into: its results are of data that is gone.
   */
  write(key: string, update: StoredPanelResults): Promise<void> {
    const file = this.fileOf(key);
    const run = (this.queues.get(key) ?? Promise.resolve()).then(async () => {
      await this.ensureDir();
      const found = await this.readFile(file, key);
      const before = found && sameFileVersions(found.versions, update.versions) ? found : null;
      const bySql = new Map<string, StoredPanelResults['results'][number]>();
      for (const r of [...(before?.results ?? []), ...update.results]) {
        bySql.delete(r.sql);
        bySql.set(r.sql, r);
      }
      const results = [...bySql.values()].slice(-MAX_STORED_RESULTS_PER_ENTRY);
      // The oldest results go first while the entry is over its own bound (the newest are what an open shows).
      const sizes = results.map((r) => Buffer.byteLength(JSON.stringify(r)) + 1);
      let total = sizes.reduce((n, b) => n + b, 0);
      let from = 0;
      while (total > MAX_ENTRY_BYTES && from < results.length) total -= sizes[from++] as number;
      const text = JSON.stringify({ type: FILE_TYPE, formatVersion: FORMAT_VERSION, key, versions: update.versions, dataset: update.dataset, results: results.slice(from) });
      // An entry larger than the whole bound would only evict everything else and then itself.
      if (Buffer.byteLength(text) > this.maxBytes) {
        await fs.rm(file, { force: true });
        return;
      }
      await writeFileAtomic(file, text);
      await this.evict(key);
    });
    const settled = run.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }

  /** Bytes and entries held now. */
  async info(): Promise<{ bytes: number; entries: number }> {
    const files = await this.entries();
    return { bytes: files.reduce((n, f) => n + f.bytes, 0), entries: files.length };
  }

  /** Remove every entry; returns the bytes freed. */
  async clear(): Promise<{ freedBytes: number }> {
    let freedBytes = 0;
    for (const f of await this.entries()) {
      try {
        await fs.rm(path.join(this.dir, f.name));
        freedBytes += f.bytes;
      } catch {
        // Removed meanwhile (another clear): nothing freed here.
      }
    }
    return { freedBytes };
  }

  private fileOf(key: string): string {
    // Keys come validated by the host API; this guards the file name for any other caller too.
    if (!/^[0-9a-f]{64}$/.test(key)) throw new RangeError(`A result store key is 64 lowercase hex digits, got ${JSON.stringify(key.slice(0, 80))}.`);
    return path.join(this.dir, `${key}.json`);
  }

  private async readFile(file: string, key: string): Promise<StoredPanelResults | null> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`Result store: could not read ${file} (${(err as Error).message}); the dashboard runs without it.`);
      return null;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      this.log(`Result store: ignoring ${file}: not valid JSON (${(err as Error).message}).`);
      return null;
    }
    const head = doc as { type?: unknown; formatVersion?: unknown; key?: unknown } | null;
    if (typeof head !== 'object' || head === null || head.type !== FILE_TYPE) {
      this.log(`Result store: ignoring ${file}: not a Northstar panel results file.`);
      return null;
    }
    if (head.formatVersion !== FORMAT_VERSION || head.key !== key) {
      this.log(`Result store: ignoring ${file}: format ${String(head.formatVersion)} for key ${String(head.key).slice(0, 64)}, expected format ${FORMAT_VERSION} for its own key.`);
      return null;
    }
    const { type: _type, formatVersion: _format, key: _key, ...entry } = doc as Record<string, unknown>;
    const parsed = StoredPanelResults.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.log(`Result store: ignoring ${file}: ${issue ? `${issue.path.join('.') || 'entry'}: ${issue.message}` : 'invalid entry'}.`);
      return null;
    }
    return parsed.data;
  }

  private async entries(): Promise<{ name: string; bytes: number; usedAt: number }[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const out: { name: string; bytes: number; usedAt: number }[] = [];
    for (const name of names) {
      if (!ENTRY_NAME.test(name)) continue;
      try {
        const stat = await fs.stat(path.join(this.dir, name));
        if (stat.isFile()) out.push({ name, bytes: stat.size, usedAt: stat.mtimeMs });
      } catch {
        // Evicted or cleared meanwhile.
      }
    }
    return out;
  }

  /** Remove least recently used entries (never `keep`, just written) until the store fits its bound. */
  private async evict(keep: string): Promise<void> {
    const files = await this.entries();
    let total = files.reduce((n, f) => n + f.bytes, 0);
    if (total <= this.maxBytes) return;
    files.sort((a, b) => a.usedAt - b.usedAt);
    for (const f of files) {
      if (total <= this.maxBytes) break;
      if (f.name === `${keep}.json`) continue;
      await fs.rm(path.join(this.dir, f.name), { force: true });
      total -= f.bytes;
    }
  }

  private async ensureDir(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    if (!this.cleaned) {
      this.cleaned = true;
      await cleanStaleTempFiles(this.dir);
    }
  }
}
