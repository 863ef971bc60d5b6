// Panel results kept on the host between sessions, so re-opening a dashboard over unchanged data
// draws its panels before the engine has started or loaded anything. A stored result may only ever
// be served for the very data and query that produced it. Its key is built from everything the
// result depends on that the dashboard file says: the dataset's definition, its sources' definitions,
// the corrections in effect (or the raw toggle) and the memory budget (table or read-from-disk view).
// The entry itself names each file's content version its results were computed from, and is served
// only when those are exactly the versions the data gateway validated on this open. So the entry
// can be asked for while the host validates the files (not after), and a changed file's new results
// replace the old ones instead of piling up beside them. The panel SQL text picks the result within
// that entry. Building the key is pure; the host keeps the entries (result-store.ts).
import type { Correction, Dataset, Source } from '../dashboards/schema';
import type { QueryResult } from './engine/engine';

/** Bumped whenever what a stored entry means changes: entries of another format are never read. */
export const PERSISTED_RESULTS_FORMAT = 2;

/** The most results one stored entry keeps (the most recently computed win). */
export const MAX_STORED_RESULTS_PER_ENTRY = 200;

/** The most rows a result may have to be stored: big tables are cheap to recompute, costly to store. */
export const MAX_STORED_ROWS = 10_000;

/** One file of a source and the version of its content, as the host validated it (null: unknown). */
export interface ObjectVersion {
  /** The file's identity: its absolute path, s3:// URI (with endpoint) or URL; never a gateway URL. */
  object: string;
  version: string | null;
}

/** A file whose content version is known. */
export interface KnownVersion extends ObjectVersion {
  version: string;
}

/** What the panels' SQL needs of a loaded dataset, stored beside its results to build that SQL before a load. */
export interface StoredDatasetFacts {
  /** The columns in the engine's table (a projection's, or all), which panel SQL is checked against. */
  columns: string[];
  /** The newest timestamp of the corrected view: relative periods ("last 30 days") are anchored on it. */
  newest: number | null;
  rowCount: number;
}

/** A stored entry: the files' versions it holds results of, the dataset's facts and panel results by their SQL text. */
export interface StoredPanelResults {
  /** Every file the dataset read with its content version, per source, in load order (all known). */
  versions: KnownVersion[][];
  dataset: StoredDatasetFacts;
  results: { sql: string; result: QueryResult }[];
}

/** Where stored entries are read and written (the host, through the host API). */
export interface PersistedResultsStore {
  read(key: string): Promise<StoredPanelResults | null>;
  /**
   * Merge results into the entry (same SQL replaces), creating it with these facts when absent or
   * when it holds results of other versions (which go).
   */
  write(key: string, entry: StoredPanelResults): Promise<void>;
  /**
   * Told, for each dataset a run loads, whether its stored results draw every one of its panels
   * before the load: true for an entry of exactly the validated versions that has each panel's
   * result; false for none, another version's, one that lacks a panel's result (a shared view's
   * filters, a panel added since), or no versions to check. The app starts its engine at once when
   * one cannot (renderer/src/engine-hold.ts).
   */
  onEntry?(dataset: string, drawable: boolean): void;
  /**
   * Awaited before the load of a dataset whose stored results drew every one of its panels: the
   * app lets that draw have the machine first (it holds its engine's start until then too).
   */
  beforeLoad?(): Promise<void>;
  /**
   * Whether the app expects this run's stored results to draw (a hint from its last open; a wrong
   * guess costs time, never a wrong number). A load whose results are not expected (false) reads its
   * files' footers while the entry is looked for; otherwise nothing is read until the entry's answer
   * (and, when it draws, `beforeLoad`), so that their draw has the machine.
   */
  drawExpected?(): boolean;
}

/**
 * The content version a data gateway response (or the host's probe) vouches for: a strong ETag,
 * else the Last-Modified date, each with the size. A weak ETag cannot vouch for bytes and a missing
 * size or date gives no version: null, and nothing is stored or served for such a file.
 */
export function contentVersion(etag: string | null | undefined, lastModified: string | null | undefined, size: number | null | undefined): string | null {
  if (size === null || size === undefined || !Number.isSafeInteger(size) || size < 0) return null;
  if (etag && !etag.startsWith('W/')) return `etag ${etag} size ${size}`;
  const date = lastModified ? Date.parse(lastModified) : Number.NaN;
  // Date.parse reads both the ISO form the host keeps and the HTTP date a response carries.
  return Number.isFinite(date) ? `modified ${new Date(date).toISOString()} size ${size}` : null;
}

/** Everything a stored entry's results depend on besides the panel SQL and the files' versions. */
export interface PersistedKeyParts {
  dataset: Dataset;
  /** The sources the dataset reads, as declared. */
  sources: readonly Source[];
  /** The corrections of this dataset, in file order. */
  corrections: readonly Correction[];
  raw: boolean;
  memoryBudgetBytes: number | null;
}

/** The key of a stored entry (SHA-256 hex). */
export async function persistedResultsKey(parts: PersistedKeyParts): Promise<string> {
  // JSON of an array: no separator a name, path or SQL text could forge.
  const text = JSON.stringify([PERSISTED_RESULTS_FORMAT, parts.dataset, parts.sources, parts.corrections, parts.raw, parts.memoryBudgetBytes]);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Whether a result can be stored exactly: JSON keeps strings, booleans, null and finite numbers,
 * but turns NaN and Infinity into null, which would change the numbers shown. Large results are
 * left out too (`MAX_STORED_ROWS`).
 */
export function storableResult(result: QueryResult): boolean {
  if (result.rows.length > MAX_STORED_ROWS) return false;
  for (const row of result.rows) {
    for (const key in row) {
      const value = row[key];
      if (typeof value === 'number' && !Number.isFinite(value)) return false;
    }
  }
  return true;
}

/**
 * Whether every file's version is known, per source: a result that cannot be tied to its exact data
 * is neither stored nor served.
 */
export function versionsKnown(versions: ObjectVersion[][]): versions is KnownVersion[][] {
  return versions.length > 0 && versions.every((files) => files.length > 0 && files.every((f) => f.version !== null));
}

/** Whether two lists of files' versions name the same files at the same known versions, in the same order. */
export function sameFileVersions(a: ObjectVersion[][], b: ObjectVersion[][]): boolean {
  return (
    versionsKnown(a) &&
    a.length === b.length &&
    a.every((files, i) => {
      const other = b[i] ?? [];
      return files.length === other.length && files.every((f, j) => f.object === other[j]?.object && f.version === other[j]?.version);
    })
  );
}

/** Whether the files a load read are exactly the versions validated before it (none changed in between). */
export function sameVersions(expected: readonly ObjectVersion[], read: readonly (string | null)[]): boolean {
  return expected.length === read.length && expected.every((f, i) => f.version !== null && f.version === read[i]);
}
