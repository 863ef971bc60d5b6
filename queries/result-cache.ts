// Panel results kept in memory, so going back to a filter, drill level or period already seen shows
// its numbers without asking the engine again. An entry is keyed by the dataset, the version of that
// dataset's data (a new one for every load, corrections change, raw toggle or engine restart) and the
// exact panel SQL: a result is only ever served for the very data and query that produced it.
import type { QueryResult } from './engine/engine';

/** How much a result cache may hold; the least recently used entries go first past either limit. */
export interface ResultCacheLimits {
  maxEntries: number;
  /** Approximate bytes of the rows held (see `approximateResultBytes`). */
  maxBytes: number;
}

/**
 * Defaults: plenty for flipping among a dashboard's filters, small next to the datasets in memory.
 * Next clicks computed ahead (the app's next-clicks.ts) add up to a few hundred small results per
 * state clicked into; the entry bound leaves room for ten or so such states before the views the
 * user saw are dropped. The byte bound holds whatever the entries are.
 */
export const DEFAULT_RESULT_CACHE_LIMITS: ResultCacheLimits = { maxEntries: 2000, maxBytes: 50 * 1024 * 1024 };

interface Entry {
  dataset: string;
  result: QueryResult;
  bytes: number;
}

/** A bounded LRU of panel query results per (dataset, data version, SQL text). */
export class ResultCache {
  readonly limits: ResultCacheLimits;
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest use first.
  private readonly entries = new Map<string, Entry>();
  // The newest data version seen per dataset: entries of any other version can never be asked for again.
  private readonly versions = new Map<string, string>();
  private held = 0;

  constructor(limits: Partial<ResultCacheLimits> = {}) {
    const merged = { ...DEFAULT_RESULT_CACHE_LIMITS, ...limits };
    for (const [name, value] of Object.entries(merged)) {
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`Result cache limit ${name} must be a whole number of at least 0, got ${String(value)}.`);
    }
    this.limits = merged;
  }

  /** The result stored for this SQL on this version of the dataset's data, if any (marks it recently used). */
  get(dataset: string, version: string, sql: string): QueryResult | undefined {
    const key = entryKey(dataset, version, sql);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.result;
  }

  /**
   * Keep a result. A newer version of the dataset drops the entries of the older one (their data is
   * gone from the engine); a result larger than the whole byte budget is not kept.
   */
  set(dataset: string, version: string, sql: string, result: QueryResult): void {
    if (this.versions.get(dataset) !== version) {
      this.forget(dataset);
      this.versions.set(dataset, version);
    }
    const key = entryKey(dataset, version, sql);
    this.remove(key);
    const bytes = approximateResultBytes(result) + sql.length * 2;
    if (bytes > this.limits.maxBytes || this.limits.maxEntries === 0) return;
    this.entries.set(key, { dataset, result, bytes });
    this.held += bytes;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxEntries && this.held <= this.limits.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** Drop every result of one dataset. */
  forget(dataset: string): void {
    for (const [key, entry] of this.entries) if (entry.dataset === dataset) this.remove(key);
    this.versions.delete(dataset);
  }

  /** Drop everything (the data in memory was thrown away). */
  clear(): void {
    this.entries.clear();
    this.versions.clear();
    this.held = 0;
  }

  /** Number of results held. */
  get size(): number {
    return this.entries.size;
  }

  /** Approximate bytes held. */
  get bytes(): number {
    return this.held;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.bytes;
  }
}

// JSON of the parts: no separator a dataset name or SQL text could forge.
function entryKey(dataset: string, version: string, sql: string): string {
  return JSON.stringify([dataset, version, sql]);
}

/**
 * Roughly what a result takes in the JS heap: strings at two bytes a character, numbers eight,
 * plus a fixed overhead per row and per value. Close enough to bound memory, cheap to compute.
 */
export function approximateResultBytes(result: QueryResult): number {
  let bytes = 64;
  for (const c of result.columns) bytes += 32 + 2 * (c.name.length + c.type.length);
  for (const row of result.rows) {
    bytes += 48;
    for (const key in row) {
      const value = row[key];
      bytes += 16 + (typeof value === 'string' ? 2 * value.length : 8);
    }
  }
  return bytes;
}
