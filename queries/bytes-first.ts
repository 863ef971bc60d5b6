// First paint from the fetched bytes. Copying a Parquet dataset into an in-memory table is the
// longest step of a cold open on DuckDB-WASM's one thread (5M demo rows: ~2.2–2.5 s, of which only
// ~1 s is decoding and the rest building the table; bench/load-anatomy.ts), while the dashboard's
// first queries on the registered Parquet bytes themselves take ~0.6–0.8 s in all (their period
// filter skips most row groups by their statistics). So a fetched dataset first becomes a view over
// its registered files: the panels draw from it, and only then is the table built, under a
// temporary name, and swapped in under the view's name in one engine call. The corrected view and
// every panel read the raw relation by name, so they read the same rows before and after (same SQL
// over the same rows: dashboard-runner.test.ts proves the results equal), and results kept for the
// data version stay valid across the swap.
//
// While the table is built the engine's one thread is busy: a click then waits for it (DuckDB-WASM
// answers one call at a time), and is answered from memory afterwards.
import { EngineError, type QueryResult } from './engine/engine';
import { bitmapRange, type IntRange } from './panel-queries';
import { Sql, createTableAs, dropRelation, ident, str } from './sql';

/** What an engine must do for a bytes-first load (the runner's `QueryEngine` fits). */
export interface BytesEngine {
  exec(sql: Sql): Promise<void>;
  query(sql: Sql): Promise<QueryResult>;
  dropFile?(name: string): Promise<void>;
}

/** A dataset read from its registered Parquet bytes until its table is built. */
export interface BytesPhase {
  /** The registered file names the raw view reads; dropped once the table replaces the view. */
  files: string[];
  /** The SELECT over those files that the raw view is, and that the table is made of. */
  select: Sql;
  /** The load of this raw relation it belongs to: a newer load of the same name supersedes it. */
  generation: number;
  /** The table load, once started (at most once). */
  tableLoad: Promise<void> | null;
  /** Set when the table replaced the view: the dataset is in memory. */
  inMemory: boolean;
  /** Why the table could not be built (the dataset then keeps reading the bytes, correctly but slower). */
  failed: string | null;
  /** The engine's error behind `failed`: a damaged file is reported as such, out of memory is not. */
  error?: unknown;
}

// Per scope (the runner's dataset cache, or the engine when there is none) and raw relation name:
// the newest load's generation, and the older phases whose files still need dropping.
const scopes = new WeakMap<object, Map<string, { generation: number; older: BytesPhase[] }>>();

function slot(scope: object, rawTable: string): { generation: number; older: BytesPhase[] } {
  let names = scopes.get(scope);
  if (!names) scopes.set(scope, (names = new Map()));
  let found = names.get(rawTable);
  if (!found) names.set(rawTable, (found = { generation: 0, older: [] }));
  return found;
}

/** Start a new load of `rawTable`: any earlier bytes phase of it must not swap its table in. Returns the new generation. */
export function beginLoad(scope: object, rawTable: string): number {
  const s = slot(scope, rawTable);
  s.generation += 1;
  return s.generation;
}

/** Whether `generation` is still the newest load of `rawTable`. */
function isCurrent(scope: object, rawTable: string, generation: number): boolean {
  return slot(scope, rawTable).generation === generation;
}

/** Remember a bytes phase, so a newer load can free its files when nothing reads them any more. */
export function trackPhase(scope: object, rawTable: string, phase: BytesPhase): void {
  slot(scope, rawTable).older.push(phase);
}

/**
 * Free the files of superseded phases whose table load never started (a running one frees its own).
 * Call once the newer load has replaced the raw relation, so no view reads them any more.
 */
export async function releaseSuperseded(engine: BytesEngine, scope: object, rawTable: string): Promise<void> {
  const s = slot(scope, rawTable);
  const keep: BytesPhase[] = [];
  for (const phase of s.older) {
    if (phase.generation === s.generation) keep.push(phase);
    // A running or finished table load frees its own files, unless it failed while still current.
    else if (!phase.tableLoad || phase.failed !== null) await dropFiles(engine, phase.files);
  }
  s.older = keep;
}

/** The temporary name a table is built under; per generation, so an older load's cleanup never hits a newer one. */
function buildingName(rawTable: string, generation: number): string {
  return `${rawTable} (loading ${generation})`;
}

/**
 * Build the in-memory table of a bytes phase and swap it in for the raw view (once; later calls get
 * the same promise). Never rejects: a cancelled or crashed engine ends it quietly (its tables are
 * gone anyway), a superseded load drops what it built, and any other failure leaves the dataset
 * reading the bytes, with the reason in `phase.failed`.
 */
export function loadTable(engine: BytesEngine, scope: object, rawTable: string, phase: BytesPhase): Promise<void> {
  phase.tableLoad ??= build(engine, scope, rawTable, phase);
  return phase.tableLoad;
}

async function build(engine: BytesEngine, scope: object, rawTable: string, phase: BytesPhase): Promise<void> {
  const building = buildingName(rawTable, phase.generation);
  let freeFiles = false;
  try {
    await engine.exec(createTableAs(building, phase.select));
    if (!isCurrent(scope, rawTable, phase.generation)) {
      freeFiles = true;
      await engine.exec(dropRelation(building, 'table'));
      return;
    }
    // One call, so no other statement runs between the two: a query sees the view or the table.
    await engine.exec(Sql.concat(dropRelation(rawTable, 'view'), '; ALTER TABLE ', ident(building), ' RENAME TO ', ident(rawTable)));
    phase.inMemory = true;
    freeFiles = true;
  } catch (err) {
    if (err instanceof EngineError && (err.code === 'cancelled' || err.code === 'crashed')) return;
    phase.failed = err instanceof Error ? err.message : String(err);
    phase.error = err;
    await engine.exec(dropRelation(building, 'table')).catch(() => {});
    // Superseded meanwhile: nothing reads the files any more.
    freeFiles = !isCurrent(scope, rawTable, phase.generation);
  } finally {
    if (freeFiles) await dropFiles(engine, phase.files);
  }
}

async function dropFiles(engine: BytesEngine, files: readonly string[]): Promise<void> {
  for (const name of files) await engine.dropFile?.(name).catch(() => {});
}

/** What the footers' statistics tell of a dataset's raw rows (see `statsFromFooters`). */
export interface FooterStats {
  /** `epoch_ms(max(time))` of the TIMESTAMP column asked for; null when not asked or not known. */
  newest: number | null;
  /** [min, max] of each integer column asked for whose every row group has both statistics. */
  bounds: Map<string, IntRange>;
}

/**
 * From the row groups' statistics in the footers, instead of every value (at 5M demo rows one
 * metadata read of ~0.06 s instead of ~0.3 s per column): the newest timestamp of a TIMESTAMP column,
 * as `epoch_ms(max(column))` over the registered files gives it, and the bounds of integer columns
 * that count-distinct measures read, so the first KPIs count by bitmap (`kpiBatchQuery`) before the
 * table is built. A column any of whose row groups lacks a statistic (all NULL, or none written) is
 * left out: the caller then asks the data, or counts by hash. Bounds wider than the values only cost
 * bits; a file whose statistics lie about its values fails the bitmap count, and the runner then
 * counts by hash. Only for the raw rows: corrections may change the columns.
 */
export async function statsFromFooters(engine: BytesEngine, phase: BytesPhase, ask: { time?: string; integers: readonly string[] }): Promise<FooterStats> {
  const columns = [...new Set([...(ask.time ? [ask.time] : []), ...ask.integers])];
  const stats: FooterStats = { newest: null, bounds: new Map() };
  if (columns.length === 0) return stats;
  const files = phase.files.length === 1 ? str(phase.files[0] as string) : Sql.concat('[', Sql.join(phase.files.map(str)), ']');
  const result = await engine.query(
    Sql.concat(
      'SELECT path_in_schema AS "c", count(*) AS "groups", ',
      'CAST(epoch_ms(max(TRY_CAST(stats_max_value AS TIMESTAMP))) AS DOUBLE) AS "newest", count(TRY_CAST(stats_max_value AS TIMESTAMP)) AS "newest_known", ',
      'CAST(min(TRY_CAST(stats_min_value AS HUGEINT)) AS VARCHAR) AS "min", count(TRY_CAST(stats_min_value AS HUGEINT)) AS "min_known", ',
      'CAST(max(TRY_CAST(stats_max_value AS HUGEINT)) AS VARCHAR) AS "max", count(TRY_CAST(stats_max_value AS HUGEINT)) AS "max_known" ',
      'FROM parquet_metadata(', files, ') WHERE path_in_schema IN (', Sql.join(columns.map(str)), ') GROUP BY 1',
    ),
  );
  for (const row of result.rows) {
    const groups = Number(row.groups ?? 0);
    if (!(groups > 0)) continue;
    if (row.c === ask.time && Number(row.newest_known) === groups && typeof row.newest === 'number' && Number.isFinite(row.newest)) stats.newest = row.newest;
    if (ask.integers.includes(String(row.c)) && Number(row.min_known) === groups && Number(row.max_known) === groups) {
      const range = bitmapRange(row.min, row.max);
      if (range) stats.bounds.set(String(row.c), range);
    }
  }
  return stats;
}
