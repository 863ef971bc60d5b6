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
//
// Text columns with few distinct values (region, channel, campaign…) are stored in the table as
// ENUMs: DuckDB-WASM 0.9.1 keeps every in-memory string at 16 bytes and scans it as such, so a filter
// or a group-by on one took 2–3× as long as on a small integer code (bench/README.md). The corrected
// view casts them back (corrections.ts, `readRaw`): every reader sees VARCHAR, with the same values.
import { EngineError, endsTheLoad, type QueryResult } from './engine/engine';
import { footerColumnTypes, footerMetadata, footerRowCount, footerStatistics, readFooterColumns, type FooterColumns } from './engine/parquet-footer';
import { bitmapRange, type IntRange } from './panel-queries';
import { dropTypes, enumTypeName, makeEnumType, nextTypeBuild, olderTypes } from './enum-columns';
import { Sql, createTableAs, dropRelation, ident, readFile, str } from './sql';

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
  /**
   * Why the table could not be built, as the engine said (the dataset then keeps reading the bytes,
   * correctly but slower): a damaged file is reported as such, out of memory is not.
   */
  failed: { error: unknown } | null;
  /** VARCHAR columns the build stores as ENUMs (see `encodeText`); none when unset. */
  text?: string[];
  /** The footers' statistics, read while the data downloaded (`probeFooters`). */
  footerStats?: ProbedStats;
  /**
   * A view that reads the registered files themselves, not the raw view by name ("keep one row per
   * key", which numbers the rows by the files' row numbers until there is a table with rowids;
   * dashboard-runner.ts): the statement that makes it again over the table, run once the table is
   * swapped in and before the files are freed.
   */
  remakeOnSwap?: Sql;
  /** Holds on the files by statements that read them directly (`holdFiles`): the swap waits for them. */
  readers?: Set<Promise<unknown>>;
}

/**
 * Hold the phase's registered files for statements that read them directly (not through the raw
 * view): a table build swaps its table in, and frees the files, only once every hold is released.
 * Returns the release.
 */
export function holdFiles(phase: BytesPhase): () => void {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const readers = (phase.readers ??= new Set());
  readers.add(held);
  return () => {
    readers.delete(held);
    release();
  };
}

/**
 * The rows of each file before it in the list, as a table loaded from them in that order numbers its
 * rows (its rowid). Counted by the engine (over the files' metadata alone), not taken from the
 * footers: for some legacy files the two differ.
 */
export async function rowsBeforeEachFile(engine: BytesEngine, files: readonly string[]): Promise<number[]> {
  if (files.length <= 1) return files.map(() => 0);
  const counts = files.map((name, i) => Sql.concat('(SELECT count(*) FROM ', readFile(name, 'parquet'), ') AS ', ident(`n${i}`)));
  const row = (await engine.query(Sql.concat('SELECT ', Sql.join(counts)))).rows[0] ?? {};
  let before = 0;
  return files.map((_name, i) => {
    const here = before;
    before += Number(row[`n${i}`] ?? Number.NaN);
    return here;
  });
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
 * reading the bytes, with the engine's error in `phase.failed`.
 */
export function loadTable(engine: BytesEngine, scope: object, rawTable: string, phase: BytesPhase): Promise<void> {
  phase.tableLoad ??= build(engine, scope, rawTable, phase);
  return phase.tableLoad;
}

async function build(engine: BytesEngine, scope: object, rawTable: string, phase: BytesPhase): Promise<void> {
  const building = buildingName(rawTable, phase.generation);
  // The ENUM types this build makes (see `encodeText`).
  const types: string[] = [];
  let freeFiles = false;
  try {
    await buildTable(engine, rawTable, building, phase, types);
    if (!isCurrent(scope, rawTable, phase.generation)) {
      freeFiles = true;
      await engine.exec(dropRelation(building, 'table'));
      await dropTypes(engine, types);
      return;
    }
    // A view being made over the files themselves is made first, so it is the one made again below.
    if (phase.readers?.size) await Promise.allSettled([...phase.readers]);
    // One call, so no other statement runs between the two: a query sees the view or the table.
    await engine.exec(Sql.concat(dropRelation(rawTable, 'view'), '; ALTER TABLE ', ident(building), ' RENAME TO ', ident(rawTable)));
    phase.inMemory = true;
    freeFiles = true;
    if (phase.remakeOnSwap) {
      // Should the view not be made again, it keeps reading the files, which then stay: the same rows.
      try {
        await engine.exec(phase.remakeOnSwap);
        delete phase.remakeOnSwap;
      } catch (err) {
        if (err instanceof EngineError && (err.code === 'cancelled' || err.code === 'crashed')) throw err;
        freeFiles = false;
      }
    }
    // The tables of earlier loads of this name are gone (their raw relation was replaced): so can their types be.
    await dropTypes(engine, await olderTypes(engine, rawTable, types));
  } catch (err) {
    if (err instanceof EngineError && (err.code === 'cancelled' || err.code === 'crashed')) return;
    phase.failed = { error: err };
    await engine.exec(dropRelation(building, 'table')).catch(() => {});
    await dropTypes(engine, types);
    // Superseded meanwhile: nothing reads the files any more.
    freeFiles = !isCurrent(scope, rawTable, phase.generation);
  } finally {
    if (freeFiles) await dropFiles(engine, phase.files);
  }
}

/**
 * Make the table from the phase's rows, its low-cardinality text columns as ENUMs. Should the
 * encoded build fail for another reason than memory, the table is built as read: a damaged file then
 * fails in the plain build, with the engine's own words.
 */
async function buildTable(engine: BytesEngine, rawTable: string, building: string, phase: BytesPhase, types: string[]): Promise<void> {
  const encoded = await encodeText(engine, rawTable, phase, types);
  if (encoded.length === 0) return engine.exec(createTableAs(building, phase.select));
  const casts = Sql.join(encoded.map(({ column, type }) => Sql.concat('CAST(', ident(column), ' AS ', ident(type), ') AS ', ident(column))));
  try {
    await engine.exec(createTableAs(building, Sql.concat('SELECT * REPLACE (', casts, ') FROM (', phase.select, ')')));
  } catch (err) {
    if (endsTheLoad(err)) throw err;
    await engine.exec(dropRelation(building, 'table')).catch(() => {});
    await dropTypes(engine, types);
    await engine.exec(createTableAs(building, phase.select));
  }
}

/**
 * Make an ENUM type for each of the phase's text columns (those the footers show with small
 * dictionaries, memory-estimate.ts): its values, all of them, sorted. Returns the columns and their
 * types. A column whose type cannot be made, or would have more than `TEXT_MAX_DISTINCT` values, is
 * left as text; only a cancelled, crashed or out-of-memory engine stops the build.
 */
async function encodeText(engine: BytesEngine, rawTable: string, phase: BytesPhase, types: string[]): Promise<{ column: string; type: string }[]> {
  const encoded: { column: string; type: string }[] = [];
  const build = nextTypeBuild();
  for (const column of phase.text ?? []) {
    const type = enumTypeName(rawTable, build, column);
    try {
      if (await makeEnumType(engine, type, column, phase.select, types)) encoded.push({ column, type });
    } catch (err) {
      if (endsTheLoad(err)) throw err;
    }
  }
  return encoded;
}

async function dropFiles(engine: BytesEngine, files: readonly string[]): Promise<void> {
  for (const name of files) await engine.dropFile?.(name).catch(() => {});
}

/** The columns `statsFromFooters` reads the statistics of: a TIMESTAMP time column, and integer columns. */
export interface FooterAsk {
  time?: string;
  integers: readonly string[];
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
export async function statsFromFooters(engine: BytesEngine, names: readonly string[], ask: FooterAsk): Promise<FooterStats> {
  const columns = [...new Set([...(ask.time ? [ask.time] : []), ...ask.integers])];
  const stats: FooterStats = { newest: null, bounds: new Map() };
  if (columns.length === 0) return stats;
  const result = await engine.query(footerStatisticsQuery(names, columns));
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

/**
 * Per column of `columns`, over the row groups of the registered files `names` (parquet_metadata):
 * how many there are ("groups"), the newest TIMESTAMP maximum in epoch ms and how many have one
 * ("newest", "newest_known"), and the smallest integer minimum and largest maximum as text, and how
 * many have one ("min", "min_known", "max", "max_known").
 */
export function footerStatisticsQuery(names: readonly string[], columns: readonly string[]): Sql {
  const files = names.length === 1 ? str(names[0] as string) : Sql.concat('[', Sql.join(names.map(str)), ']');
  return Sql.concat(
    'SELECT path_in_schema AS "c", count(*) AS "groups", ',
    'CAST(epoch_ms(max(TRY_CAST(stats_max_value AS TIMESTAMP))) AS DOUBLE) AS "newest", count(TRY_CAST(stats_max_value AS TIMESTAMP)) AS "newest_known", ',
    'CAST(min(TRY_CAST(stats_min_value AS HUGEINT)) AS VARCHAR) AS "min", count(TRY_CAST(stats_min_value AS HUGEINT)) AS "min_known", ',
    'CAST(max(TRY_CAST(stats_max_value AS HUGEINT)) AS VARCHAR) AS "max", count(TRY_CAST(stats_max_value AS HUGEINT)) AS "max_known" ',
    'FROM parquet_metadata(', files, ') WHERE path_in_schema IN (', Sql.join(columns.map(str)), ') GROUP BY 1',
  );
}

/**
 * What a fetched dataset's footers answer, asked of the engine over footer-only files
 * (prefetch.ts `footerOnlyFile`) while the data downloads, instead of after it: the same answers,
 * taken off a cold open's critical path (~0.15 s at 5M demo rows: the columns, count(*), and the
 * footer statistics, each slower over the whole registered file than over a few kilobytes).
 */
export interface FooterProbe {
  /** The files' columns and types, as DESCRIBE gives them over the whole files. */
  columns: { name: string; type: string }[];
  /** count(*) over the files (from their metadata, as over the whole files). */
  rows: number;
  /** The footers' statistics of the columns `ask` chose; null when they could not be read. */
  stats: ProbedStats | null;
}

/** Footer statistics, with the columns they were read for. */
export type ProbedStats = FooterStats & { asked: FooterAsk };

/**
 * The columns, the row count and the statistics of the columns `ask` picks from those columns, of
 * `files` (footer-only files, named like the data files will be). Read from the footers in JS when
 * they say all of it exactly as the engine would (parquet-footer.ts; `opts.inJs` false: never);
 * otherwise the files are registered, the engine is asked what JS cannot read, and the files are
 * dropped again. Rejects when the engine cannot answer: the caller then asks later, over the data.
 */
export async function probeFooters(
  engine: BytesEngine & { registerFile?(name: string, bytes: Uint8Array): Promise<void> },
  files: readonly { name: string; bytes: Uint8Array }[],
  ask: (columns: readonly { name: string; type: string }[]) => FooterAsk,
  opts: { inJs?: boolean } = {},
): Promise<FooterProbe> {
  // Copied first: registering a file may hand its bytes to the engine's worker.
  const metadata = files.map((f) => (opts.inJs === false ? null : (footerMetadata(f.bytes)?.slice() ?? null)));
  const read = readFooters(metadata);
  // Footers the JS reader answers in full need no engine at all (parquet-footer.ts). Files in
  // hive-style folders (`year=2025/…`) also have their folders' keys as columns: the engine says those.
  const hive = files.some((f) => f.name.split('/').slice(0, -1).some((folder) => folder.includes('=')));
  const described = read && !hive && footerColumnTypes(read);
  if (described) {
    const asked = ask(described);
    const rows = footerRowCount(read);
    const stats = probedFromFooters(read, described, asked);
    if (rows !== null && stats) return { columns: described, rows, stats };
  }
  const registered: string[] = [];
  if (!engine.registerFile) throw new Error('this engine cannot read files from memory');
  try {
    for (const file of files) {
      await engine.registerFile(file.name, file.bytes);
      registered.push(file.name);
    }
    const from = readFile(registered, 'parquet');
    const columns = describedColumns(await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', from)));
    const asked = ask(columns);
    // The row count and the statistics are read here when the footers say them exactly as the
    // engine would (parquet-footer.ts): on a cold open those two statements waited on the engine.
    const rows = (read && footerRowCount(read)) ?? Number((await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', from))).rows[0]?.n);
    if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`the footers' row count is not a count (${rows})`);
    const stats =
      (read && probedFromFooters(read, columns, asked)) ??
      (await statsFromFooters(engine, registered, asked).then(
        (found): ProbedStats => ({ ...found, asked }),
        () => null,
      ));
    return { columns, rows, stats };
  } finally {
    await dropFiles(engine, registered);
  }
}

/** Footers (FileMetaData) read, with every top-level column's statistics; null when one is missing or not a footer. */
function readFooters(footers: readonly (Uint8Array | null)[]): FooterColumns[] | null {
  try {
    return footers.map((metadata) => {
      if (!metadata) throw new Error('not a Parquet footer');
      return readFooterColumns(metadata, null);
    });
  } catch {
    return null;
  }
}

/** The statistics `asked` wants, read from the footers in JS (bounds as `statsFromFooters` keeps them); null when JS cannot. */
function probedFromFooters(read: readonly FooterColumns[], columns: readonly { name: string; type: string }[], asked: FooterAsk): ProbedStats | null {
  const found = footerStatistics(read, new Map(columns.map((c) => [c.name, c.type])), asked);
  if (!found) return null;
  const bounds = new Map<string, IntRange>();
  for (const [column, range] of found.bounds) {
    const bitmap = bitmapRange(String(range.min), String(range.max));
    if (bitmap) bounds.set(column, bitmap);
  }
  return { newest: found.newest, bounds, asked };
}

/** The columns and types of a DESCRIBE result. */
export function describedColumns(described: QueryResult): { name: string; type: string }[] {
  return described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/**
 * The statistics `ask` wants out of ones probed for (possibly more) columns; null when the probe
 * did not read one of them.
 */
export function probedStatsFor(probed: ProbedStats, ask: FooterAsk): FooterStats | null {
  if (ask.time !== undefined && ask.time !== probed.asked.time) return null;
  if (!ask.integers.every((c) => probed.asked.integers.includes(c))) return null;
  return { newest: ask.time !== undefined ? probed.newest : null, bounds: new Map([...probed.bounds].filter(([c]) => ask.integers.includes(c))) };
}
