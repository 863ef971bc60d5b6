// Running a dashboard: sources become views, datasets load into memory, every panel's SQL runs.
// The app and the headless CLI share this, so both show exactly the same numbers.
import type { DashboardFile, DataPanel, Dataset, KpiPanel, Panel, Source, TablePanel } from '../dashboards/schema';
import type { QueryResult } from './engine/engine';
import { EngineError } from './engine/engine';
import { canPrefetch, prefetchParquet, PREFETCH_MAX_BYTES, readFooters, type PrefetchOptions, type PrefetchResult, type WindowFiles, type WindowPlan } from './engine/prefetch';
import { projectedColumns } from './projection';
import { beginLoad, describedColumns, loadTable, probedStatsFor, probeFooters, holdFiles, rowsBeforeEachFile, statsFromFooters, releaseSuperseded, trackPhase, type BytesPhase, type FooterAsk, type FooterProbe } from './bytes-first';
import { encodableColumns, loadedMemoryBytes, TEXT_ENCODING_MIN_ROWS } from './memory-estimate';
import { encodeInPlace } from './enum-columns';
import type { ParsedShare } from './json-source';
import { guardParquetFiles, MAX_DATASET_ROWS, TooManyRows, tooManyRowsMessage } from './load-guard';
import { correctedViewSql, keepsRowsInTime, type CorrectionProblem, type RowOrder } from './corrections';
import { freeGroupRows, sliceCount } from './group-slices';
import { datasetStatsQuery, distinctBoundColumns, earliestRead, effectivePeriod, kpiBatchQuery, panelQuery, resolvePeriod, tableQuery, tableTopN, type DatasetContext, type DatasetStats, type Period, type PanelRefinement } from './panel-queries';
import type { ResultCache } from './result-cache';
import { sameFileVersions, sameVersions, storableResult, persistedResultsKey, versionsKnown, type KnownVersion, type ObjectVersion, type PersistedResultsStore, type StoredPanelResults } from './persisted-results';
import { CsvTooLarge, loadCsvStreamed, type StreamedCsv } from './csv-stream';
import { fetchCsvCopy, readableSource, type CsvCopy, type JsonRead, type TextSourceProgress } from './text-sources';
import { describeOutOfMemory, outOfMemoryReason } from './engine/read-errors';
import { Sql, createTableAs, createViewAs, dropRelation, ident, readFile, selectColumns, timestamp, userSelect } from './sql';

/** What the runner needs from an engine (the browser Engine and the CLI's Node engine both fit). */
export interface QueryEngine {
  exec(sql: Sql): Promise<void>;
  query(sql: Sql): Promise<QueryResult>;
  describe(table: string): Promise<{ name: string; type: string }[]>;
  /** Make bytes readable as a file named `name` (the app's engine); without it, loads read over HTTP. */
  registerFile?(name: string, bytes: Uint8Array): Promise<void>;
  dropFile?(name: string): Promise<void>;
  /** Create a table from an Arrow IPC stream (the app's engine): JSON sources need it (text-sources.ts). */
  insertArrow?(name: string, ipc: Uint8Array): Promise<void>;
  /** Parse JSON files into that stream off the page's thread (the app: a worker, which takes the bytes); without it, text-sources.ts `jsonToArrow` runs in place. */
  jsonToArrow?(files: JsonRead[], location: string, signal?: AbortSignal, onParsed?: ParsedShare): Promise<Uint8Array>;
  /**
   * Calls run one at a time, in the order they were made (the app's engine: one worker), so the
   * runner may send a panel's query before the one before it has answered.
   */
  pipelined?: boolean;
}

/** Where a source's data can be read: one or more URLs or paths the engine can open. */
export interface LinkedSource {
  urls: string[];
  location: string;
  /** Bytes of all its files when the host knows them (a HEAD or a listing); lets small sources skip the estimate. */
  sizeBytes?: number | null;
  /** Each file's bytes, when the host already read them (the CLI's JSON sources): parsed instead of fetched (text-sources.ts). */
  contents?: Uint8Array[];
  /** Each file's identity and content version as the host validated it now (persisted-results.ts). */
  versions?: ObjectVersion[];
}

/** A source that could not be reached, with a short reason for the panels ("access denied"). */
export class SourceUnavailable extends Error {
  override readonly name = 'SourceUnavailable';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/**
 * How far a dataset's load has got: its bytes arriving (with an estimate of the time left), then
 * the engine reading them into memory. Rows are known from the Parquet footers, before the data.
 * A CSV read into memory as it downloads (csv-stream.ts) counts the bytes and rows read so far
 * (`rowsDone`), and has no reading phase of its own.
 */
export type LoadProgress =
  | { phase: 'fetching'; bytesDone: number; bytesTotal: number; rowsTotal: number | null; etaMs: number | null; rowsDone?: number }
  | { phase: 'reading'; bytesTotal: number; rowsTotal: number | null; bytesDone?: number; rowsDone?: number; etaMs?: number | null };

export type DatasetRunState =
  | { status: 'loading'; location?: string; progress?: LoadProgress }
  | { status: 'ready'; location: string; rowCount: number; columns: { name: string; type: string }[]; period: Period | null; corrections?: CorrectionsState; scan?: ScanMode; readsFetched?: ReadsFetched }
  | { status: 'needsTrust' }
  | { status: 'error'; message: string; location?: string };

/**
 * A dataset too large to load: its raw relation is a view over the source, so every query reads the
 * Parquet (through the data gateway, whose disk cache holds it) instead of memory.
 */
export interface ScanMode {
  /** The memory a load would need, estimated from the Parquet footers (uncompressed column chunks). */
  estimateBytes: number;
  /** The budget it is above (`RunOptions.memoryBudgetBytes`). */
  budgetBytes: number;
}

/**
 * A dataset whose in-memory table could not be built after its first panels drew, for want of
 * memory: it goes on reading the Parquet bytes it fetched (registered in the engine), correctly but
 * slower, like scan mode without going back to the gateway. `reason` is the engine's message.
 */
export interface ReadsFetched {
  reason: string;
}

/**
 * The app's memory budget for one dataset load. DuckDB-WASM 1.28.0 is wasm32: its whole heap lives
 * in a 4 GiB address space, shared by the loaded tables, query intermediates (a GROUP BY or the
 * dedupe correction can briefly need as much again) and the engine itself. A load estimated above
 * 2 GiB (about half of it, leaving the rest for queries) is read from disk instead of risking an
 * out-of-memory crash mid-load.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 2 * 1024 ** 3;

/**
 * From this many fetched bytes on, panels draw from the registered Parquet before the table is built
 * (bytes-first.ts). Below it the table takes well under 0.2 s to build, and building it first means
 * a damaged file fails before anything draws. The demo data (5.3 MB) is above it, so the e2e suite
 * draws first; the damaged files of the corpus are below it.
 */
export const BYTES_FIRST_MIN_BYTES = 4 * 1024 * 1024;

/** What the corrected view of a dataset applies: rowCount above counts its rows, rawRowCount the loaded ones. */
export interface CorrectionsState {
  /** Ids of the corrections in effect, in file order. */
  applied: string[];
  /** Corrections left out (invalid params, unknown column...), each message naming its id. */
  problems: CorrectionProblem[];
  /** The run showed raw data on purpose: no correction was applied. */
  raw: boolean;
  rawRowCount: number;
}

/**
 * A panel drawn from a result stored in an earlier session over the same, just validated, version
 * of its files, while the engine still loads them (it is then answered again, or kept as it is).
 */
export interface StoredResultNote {
  updating: true;
  /** The period the stored results were computed for (null: the dashboard's time range has none). */
  period: Period | null;
}

export type PanelRunState =
  | { status: 'loading' }
  | {
      status: 'ready';
      result: QueryResult;
      sql: string;
      stored?: StoredResultNote;
      /**
       * The period the numbers are of: the dashboard's, or a window drilled into (`effectivePeriod`),
       * whose KPI compares with the same length of time before it. Null without a period.
       */
      period: Period | null;
    }
  | { status: 'waiting'; message: string }
  | { status: 'error'; message: string };

export interface RunCallbacks {
  /** Make a source readable (through the data gateway in the app, a local path in the CLI). */
  linkSource(source: Source): Promise<LinkedSource>;
  onDataset(name: string, state: DatasetRunState): void;
  onPanel(id: string, state: PanelRunState): void;
}

export interface RunOptions {
  /** SQL datasets run only when the file is trusted. */
  trusted: boolean;
  /** "Now", for periods anchored on the current time. */
  now: number;
  /** Per-panel refinements (filters, drill path), by panel id. */
  refine?: (panel: DataPanel) => PanelRefinement | undefined;
  /** True once a newer run has started: stop early, report nothing more. */
  isStale?: () => boolean;
  /**
   * Datasets already in memory, reused while their definition and sources are unchanged, so a
   * filter or drill click re-runs only the panel queries. The caller owns it (clear to reload).
   */
  cache?: Map<string, LoadedDataset>;
  /** Show raw data: every dataset's corrected view applies no correction. */
  raw?: boolean;
  /**
   * Panel results already computed, reused while the dataset's data version (see `LoadedDataset`'s
   * view) and the panel SQL are unchanged, so flipping back to a filter asks the engine nothing.
   * The caller owns it and clears it with `cache`.
   */
  results?: ResultCache;
  /**
   * Table datasets over Parquet whose estimated size is above this many bytes are not loaded but read
   * from disk on every query (scan mode, see `ScanMode`). Without it every dataset is loaded.
   */
  memoryBudgetBytes?: number;
  /** Fetched data smaller than this is loaded into memory before any panel draws (default `BYTES_FIRST_MIN_BYTES`). */
  bytesFirstMinBytes?: number;
  /**
   * Draw the panels whose rows lie in the newest row groups from those alone, fetched first, while
   * the rest of the file downloads (default true; see `paintWindow`).
   */
  windowFirst?: boolean;
  /**
   * Called when a dataset's first panels have their rows at hand, so their statements run next: the
   * newest row groups are in (`windowFirst`), the whole fetch is, or the load fetches nothing
   * itself. Work the caller held back so as not to slow that download (the app's chart library) may
   * go then. May be called more than once in a run.
   */
  onPaintBytes?: () => void;
  /**
   * Read the footers' columns, row count and statistics in JS where they can be read exactly
   * (parquet-footer.ts), instead of asking the engine (default true; false: always ask it).
   */
  footersInJs?: boolean;
  /** Rows from which a table (built after first paint, or made otherwise and encoded in place) stores its few-valued text columns as ENUMs (default `TEXT_ENCODING_MIN_ROWS`). */
  textEncodingMinRows?: number;
  /** Panels to query before the others (the chart the user just drilled): it answers first. */
  first?: ReadonlySet<string>;
  /**
   * Resolves in a task of its own. Awaited once before the panels answered from the result cache
   * are reported (the app draws them in a task after the click's own, not in it); and by a fetch
   * between reading the footers and the work they start (prefetch.ts).
   */
  nextTask?: () => Promise<void>;
  /** Aborts the run's own reads (fetches of a dataset's bytes) when it is cancelled or replaced. */
  signal?: AbortSignal;
  /**
   * Panel results stored between sessions (persisted-results.ts), per exact version of the files:
   * drawn before a dataset loads, kept after it when the load read those very versions, and
   * stored for the next open. Only table datasets over Parquet use it, so no SQL of the file's
   * own (which needs trust) ever produces a stored result.
   */
  persisted?: PersistedResultsStore;
  /**
   * Read only datasets already in memory, as they are (their table built, their view current): a
   * dataset that would need any load, view change or disk read is skipped, its panels failed with
   * `NOT_IN_MEMORY`. For computing results ahead of a click (next-clicks.ts), never for a run shown.
   */
  memoryOnly?: boolean;
  /**
   * Loads whose in-memory table ran out of memory, by dataset and data (the caller keeps it across
   * engines, see `tableRanOutKey`), with the engine's error. A later load of the same data reads its
   * fetched bytes from the start, as the load that ran out went on to, without building the table
   * again: after the app restarts the engine to give that memory back, the build would only run out
   * again. The runner adds a load whose build runs out.
   */
  tablesOutOfMemory?: Map<string, unknown>;
  /**
   * The most rows one statement may group by a key (default MAX_GROUP_ROWS of group-slices.ts, or
   * fewer when the engine's free memory says so): "keep one row per key" finds its copies in slices
   * above it. Tests set it small.
   */
  maxGroupRows?: number;
}

/** The reason a `memoryOnly` run gives for a dataset it skipped. */
const NOT_IN_MEMORY = 'not in memory';

// Stands for "not asked" on clicks: not null, so the facts are not written again with every click.
const EMPTY_STORED_ENTRY: StoredPanelResults = { versions: [], dataset: { columns: [], newest: null, rowCount: 0 }, results: [] };

/** A dataset's stored entry in this run: its key, the files' validated versions, and the entry the host had for exactly those (null: none). */
interface PersistedForRun {
  key: string;
  versions: KnownVersion[][];
  entry: Promise<StoredPanelResults | null>;
}

/** A dataset loaded into memory by an earlier run. */
export interface LoadedDataset {
  columns: { name: string; type: string }[];
  rowCount: number;
  location: string;
  newest: number | null;
  /** The engine table it is in (one cache entry per table: a newer load replaces the table). */
  table?: string;
  /** Not in memory: `table` is a view that reads the source on every query. */
  scan?: ScanMode;
  /** The Parquet files a scan-mode view reads, in load order: "keep one row per key" orders rows by them. */
  scanFiles?: string[];
  /**
   * Only some columns are in memory (see projection.ts): `loaded` of the source's `source` columns.
   * `columns` above still lists every source column, so pickers offer them all; a run that needs one
   * not loaded loads the dataset again.
   */
  projection?: { loaded: string[]; source: string[] };
  /**
   * The corrected view now in the engine, and what it holds (its key: the corrections and raw flag).
   * `version` is new every time the view is made, which is every load, corrections change and raw
   * toggle: results computed on an older version are never served for this one.
   */
  view?: { key: string; version: string; rowCount: number; newest: number | null; corrections: CorrectionsState; distinctBounds?: DatasetContext['distinctBounds'] };
  /**
   * Loaded from fetched bytes: `table` is a view over the registered Parquet files until the table
   * is built after the first panels drew (bytes-first.ts); `fromBytes.inMemory` says it is.
   */
  fromBytes?: BytesPhase;
  /** The key of this load's data in `RunOptions.tablesOutOfMemory` (loads from fetched bytes only). */
  tableKey?: string;
  /** The files' content versions this load read, confirmed by every response (persisted-results.ts). */
  contentVersions?: KnownVersion[][];
  /**
   * Its few-valued text columns being stored as ENUMs in place, once its panels drew (enum-columns.ts
   * `encodeInPlace`; tables made any way but from fetched bytes): resolves to the columns encoded.
   */
  textEncoding?: Promise<string[]>;
}

// Data versions are unique for the life of the module (never reused, even after the caller clears
// its caches), so a result kept from an older load can never match a newer one.
let dataVersions = 0;

/** Panels that read a dataset (text and anomaly panels do not). */
export function isDataPanel(panel: Panel): panel is DataPanel {
  return panel.kind === 'kpi' || panel.kind === 'chart' || panel.kind === 'table';
}

/** The view every panel and check reads: the dataset with its corrections applied. */
export function datasetTable(dataset: Dataset): string {
  return `ds_${dataset.name}`;
}

/** The in-memory table a dataset is loaded into, as read (before corrections). */
export function rawDatasetTable(dataset: Dataset): string {
  return `ds_raw_${dataset.name}`;
}

/** Run a dashboard: every dataset and data panel reports its state through the callbacks. */
export async function runDashboardQueries(engine: QueryEngine, dashboard: DashboardFile, cb: RunCallbacks, opts: RunOptions): Promise<void> {
  const stale = opts.isStale ?? (() => false);
  const dataPanels = dashboard.panels.filter(isDataPanel);
  const fail = (message: string, ids: string[]) => ids.forEach((id) => cb.onPanel(id, { status: 'error', message }));
  const fromBytes: { dataset: Dataset; loaded: LoadedDataset; period: Period | null }[] = [];
  const toEncode: LoadedDataset[] = [];

  const links = new Map<string, Promise<LinkedSource>>();
  const views = new Map<string, Promise<LinkedSource>>();
  // Linking asks the host only; the source's view (which SQL datasets read, and whose creation reads
  // the file's footer over HTTP) is made only for loads that read through it.
  const link: SourceLinker = (source, withView = true, onProgress) => {
    let linked = links.get(source.name);
    if (!linked) {
      linked = cb.linkSource(source);
      links.set(source.name, linked);
    }
    if (!withView) return linked;
    let viewed = views.get(source.name);
    if (!viewed) {
      viewed = linked.then(async (found) => {
        try {
          // JSON, and CSV that is not UTF-8, are made readable first (text-sources.ts); the rest is read as it is.
          const ready = await readableSource(engine, source, found, opts.signal, onProgress);
          await engine.exec(ready.view);
          return ready.linked;
        } catch (err) {
          throw new SourceUnavailable(describeEngineError(err, source.name, found.location), outOfMemoryReason(err) ?? 'could not be read');
        }
      });
      views.set(source.name, viewed);
    }
    return viewed;
  };

  for (const dataset of dashboard.datasets) {
    if (stale()) return;
    const panels = dataPanels.filter((p) => p.dataset === dataset.name);
    if (dataset.kind === 'sql' && !opts.trusted) {
      cb.onDataset(dataset.name, { status: 'needsTrust' });
      for (const p of panels) cb.onPanel(p.id, { status: 'waiting', message: "Waiting for you to review this dashboard's SQL." });
      continue;
    }
    const ctx = await loadDataset(engine, dashboard, dataset, link, cb, opts);
    if (stale()) return;
    if ('error' in ctx) {
      // The full message is shown once for the dataset; each panel says briefly why it is empty.
      const what = dataset.kind === 'table' ? `source "${dataset.source}"` : `dataset "${dataset.name}"`;
      fail(`No data: ${what} is unavailable (${ctx.reason}).`, panels.map((p) => p.id));
      continue;
    }
    if ((await runPanels(engine, panels, ctx, cb, opts)) === 'stale') return;
    if (ctx.loaded.fromBytes && !ctx.loaded.fromBytes.inMemory) fromBytes.push({ dataset, loaded: ctx.loaded, period: ctx.period });
    if (encodesInPlace(ctx.loaded, opts)) toEncode.push(ctx.loaded);
  }
  // Every panel drew (from the fetched bytes where a dataset was loaded from them): now build the
  // tables, one at a time. The run ends when they are in memory, so what follows it (the checks,
  // which read whole datasets) reads memory. A stale run leaves this to the run that replaced it,
  // whose clicks are answered from the bytes first.
  for (const { dataset, loaded, period } of fromBytes) {
    if (stale()) return;
    if (loaded.fromBytes) await loadTable(engine, opts.cache ?? engine, rawDatasetTable(dataset), loaded.fromBytes);
    const failure = loaded.fromBytes?.failed;
    if (failure && loaded.tableKey && outOfMemoryReason(failure.error) !== null) opts.tablesOutOfMemory?.set(loaded.tableKey, failure.error);
    const damaged = damagedBytes(loaded);
    if (damaged !== null && !stale()) {
      // The first panels read only some values; building the table read them all, and some could
      // not be decoded: the file is damaged, and no panel may go on showing numbers from it.
      const message = describeEngineError(damaged, dataset.kind === 'table' ? dataset.source : dataset.name, loaded.location);
      cb.onDataset(dataset.name, { status: 'error', message, location: loaded.location });
      for (const panel of dataPanels) if (panel.dataset === dataset.name) cb.onPanel(panel.id, { status: 'error', message });
      continue;
    }
    if (stale()) return;
    if (loaded.fromBytes?.inMemory) await addDistinctBounds(engine, dataset, loaded);
    // Out of memory: the panels drew and stay right, but the dataset is not in memory and every
    // query reads the fetched bytes. The dataset says so (the app shows a notice, as for scan mode).
    else if (loaded.view && loaded.fromBytes?.failed != null) {
      const state = readyState(loaded, loaded.view, period);
      if (state.readsFetched) cb.onDataset(dataset.name, state);
    }
  }
  // Tables made any other way store their few-valued text as ENUMs now, in place (enum-columns.ts),
  // so the checks that follow the run read them so, and in less memory. Same values, same results.
  for (const loaded of toEncode) {
    if (stale()) return;
    await encodeTableText(engine, loaded, opts);
  }
}

/** Whether a dataset's table is one whose text `encodeTableText` stores as ENUMs: in memory, made from no fetched bytes, and big enough. */
function encodesInPlace(loaded: LoadedDataset, opts: RunOptions): boolean {
  return loaded.table !== undefined && !loaded.scan && !loaded.fromBytes && loaded.rowCount >= (opts.textEncodingMinRows ?? TEXT_ENCODING_MIN_ROWS);
}

/**
 * Store the few-valued text columns of a dataset's table as ENUMs in place, once per load (a later
 * run waits for the same work). Stops between two columns once a newer load replaced the table.
 */
function encodeTableText(engine: QueryEngine, loaded: LoadedDataset, opts: RunOptions): Promise<string[]> {
  const table = loaded.table as string;
  const text = memoryColumns(loaded).filter((c) => c.type === 'VARCHAR').map((c) => c.name);
  const isCurrent = () => !opts.cache || [...opts.cache.values()].includes(loaded);
  loaded.textEncoding ??= encodeInPlace(engine, table, text, isCurrent);
  return loaded.textEncoding;
}

/** What a loaded dataset reports as ready: `view` is the corrected view the run reads. */
function readyState(loaded: LoadedDataset, view: NonNullable<LoadedDataset['view']>, period: Period | null): Extract<DatasetRunState, { status: 'ready' }> {
  const failure = loaded.fromBytes?.inMemory === false ? loaded.fromBytes.failed : null;
  const outOfMemory = failure !== null && outOfMemoryReason(failure.error) !== null;
  return {
    status: 'ready', location: loaded.location, rowCount: view.rowCount, columns: loaded.columns, period, corrections: view.corrections,
    ...(loaded.scan ? { scan: loaded.scan } : {}),
    ...(failure && outOfMemory ? { readsFetched: { reason: failure.error instanceof Error ? failure.error.message : String(failure.error) } } : {}),
  };
}

/** The error of a table build that failed on the data itself (not for want of memory: the bytes then still answer), or null. */
function damagedBytes(loaded: LoadedDataset): unknown {
  const failed = loaded.fromBytes?.failed;
  return !failed || outOfMemoryReason(failed.error) !== null ? null : failed.error;
}

/**
 * Once a dataset read from its bytes is in memory: the count-distinct bounds its first view left
 * out (see `correctedView`), so later KPI queries use their bitmaps. Same view, same data version:
 * the bounds change how a count is computed, never its result.
 */
async function addDistinctBounds(engine: QueryEngine, dataset: Dataset, loaded: LoadedDataset): Promise<void> {
  const view = loaded.view;
  if (!view) return;
  const stats = datasetStatsQuery({ dataset, table: datasetTable(dataset), columns: new Set(memoryColumns(loaded).map((c) => c.name)) }, memoryColumns(loaded));
  if (!stats) return;
  try {
    view.distinctBounds = stats.read(await engine.query(stats.sql)).distinctBounds;
  } catch {
    // Without bounds the KPIs count distinct values as before; a cancelled engine is reported elsewhere.
  }
}

/**
 * Run the panels of one loaded dataset, in dashboard order, reporting each as soon as it is known.
 * A panel whose SQL already ran on this data version is served from the result cache; KPI panels
 * under the same refinement share one query (`kpiBatchQuery`), and a table panel is found in the
 * two faster steps of `tableTopN`. Results are kept and shown under each panel's own SQL (`panelQuery`), the
 * query a reader can copy and run to get the same rows.
 */
async function runPanels(engine: QueryEngine, panels: DataPanel[], ctx: DatasetContext & { version: string; loaded?: LoadedDataset; persisted?: PersistedForRun; shown?: ReadonlyMap<string, QueryResult> }, cb: RunCallbacks, opts: RunOptions): Promise<'stale' | 'done'> {
  const stale = opts.isStale ?? (() => false);
  const name = ctx.dataset.name;
  // Results of an earlier session over these very files (the load confirmed their versions).
  const storedEntry = ctx.persisted ? await ctx.persisted.entry : null;
  const stored = new Map(storedEntry?.results.map((r) => [r.sql, r.result]) ?? []);
  const fresh: { sql: string; result: QueryResult }[] = [];
  // Array.prototype.sort is stable: the other panels keep dashboard order.
  const ordered = opts.first?.size ? [...panels].sort((a, b) => Number(!opts.first?.has(a.id)) - Number(!opts.first?.has(b.id))) : panels;
  const planned = ordered.map((panel) => {
    const refine = opts.refine?.(panel);
    try {
      const sql = panelQuery(panel, ctx, refine);
      const period = effectivePeriod(ctx, refine);
      const cached = opts.results?.get(name, ctx.version, sql.text);
      // Drawn already, from the newest row groups (`paintWindow`): the same SQL over the same rows.
      const early = cached ? undefined : ctx.shown?.get(sql.text);
      const fromStore = cached ? undefined : (early ?? stored.get(sql.text));
      if (fromStore) opts.results?.set(name, ctx.version, sql.text, fromStore);
      if (early && ctx.persisted && storableResult(early)) fresh.push({ sql: sql.text, result: early });
      return { panel, refine, sql, period, kept: fromStore ?? cached, fromStore };
    } catch (err) {
      return { panel, refine, error: (err as Error).message };
    }
  });
  // KPI panels still to compute, grouped by refinement: each group runs as one query (even a group
  // of one: the batch counts distinct values by bitmap, see kpiBatchQuery).
  const groups = new Map<string, typeof planned>();
  for (const plan of planned) {
    if (plan.panel.kind !== 'kpi' || plan.panel.sparkline || !plan.sql || plan.kept) continue;
    const key = JSON.stringify(plan.refine ?? null);
    groups.set(key, [...(groups.get(key) ?? []), plan]);
  }
  type Plan = (typeof planned)[number];
  const reported = new Set<string>();
  const ready = (plan: Plan, result: QueryResult) => {
    const sql = plan.sql as Sql;
    // Only a current run keeps results: a stale one may have read a view remade under it.
    opts.results?.set(name, ctx.version, sql.text, result);
    if (ctx.persisted && storableResult(result)) fresh.push({ sql: sql.text, result });
    reported.add(plan.panel.id);
    cb.onPanel(plan.panel.id, { status: 'ready', result, sql: sql.text, period: plan.period ?? null });
  };
  // The engine calls of this run, in dashboard order: one per KPI group (its first panel's), one per
  // other panel to compute. A pipelined engine gets the next call as soon as one is under way, so it
  // works on it while this thread draws the answer before (at most one call ahead: a run made stale
  // by a click wastes no more than that one).
  type Step = { plan: Plan; batch: Plan[] | null; started: Promise<{ ok: true; value: QueryResult[] } | { ok: false; error: unknown }> | null };
  const steps: Step[] = [];
  const stepOf = new Map<string, Step>();
  for (const plan of planned) {
    if (!plan.sql || plan.kept) continue;
    const group = plan.panel.kind === 'kpi' && !plan.panel.sparkline ? groups.get(JSON.stringify(plan.refine ?? null)) : undefined;
    if (group && group[0] !== plan) continue;
    const step: Step = { plan, batch: group ?? null, started: null };
    steps.push(step);
    stepOf.set(plan.panel.id, step);
  }
  const start = (step: Step | undefined) => {
    if (!step || step.started) return;
    const { plan, batch } = step;
    let work: Promise<QueryResult[]>;
    try {
      if (batch) {
        const query = kpiBatchQuery(batch.map((b) => b.panel as KpiPanel), ctx, plan.refine);
        work = engine.query(query.sql).then((result) => query.split(result));
      } else {
        work = (plan.panel.kind === 'table' ? tableRows(engine, plan.panel, ctx, plan.refine) : engine.query(plan.sql as Sql)).then((result) => [result]);
      }
    } catch (err) {
      work = Promise.reject(err);
    }
    // Settled either way, so a call nobody waits for any more (a stale run's) never goes unhandled.
    step.started = work.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  };
  const pipelined = engine.pipelined === true;
  const run = (step: Step) => {
    start(step);
    const at = steps.indexOf(step);
    if (pipelined && at >= 0) start(steps[at + 1]);
    return step.started as NonNullable<Step['started']>;
  };

  // Panels answered from the result cache are reported together, after one yield: the click that
  // started the run ends its task first (its menu closes, its breadcrumbs show), and the next task
  // renders them all (their charts then draw in queued jobs, chart-work.ts). One panel per task, as
  // before, cost a cached click a task and often a frame per panel. Measured at 5M rows in four
  // interleaved pairs of 60 clicks: p50 the same (~65 ms), p95 99-124 ms against 107-124 ms, and one
  // task over 50 ms against four.
  let yielded = false;
  for (const plan of planned) {
    const { panel, sql } = plan;
    if (plan.kept && !yielded && opts.nextTask) {
      yielded = true;
      await opts.nextTask();
    }
    if (stale()) return 'stale';
    if (reported.has(panel.id)) continue;
    if (!sql) {
      cb.onPanel(panel.id, { status: 'error', message: plan.error ?? 'no query' });
      continue;
    }
    if (plan.kept) {
      // A new object around the same rows: views that redraw when their result changes (charts
      // report "drawn" only after drawing) treat a kept result like a fresh one. A stored result
      // keeps its object: this run may have drawn it already, before the load, and need not again.
      cb.onPanel(panel.id, { status: 'ready', result: plan.fromStore ?? { ...plan.kept }, sql: sql.text, period: plan.period ?? null });
      continue;
    }
    // A KPI of a group whose shared query failed (below) has no step of its own: it runs alone.
    const step = stepOf.get(panel.id) ?? { plan, batch: null, started: null };
    let outcome = await run(step);
    if (stale()) return 'stale';
    if (step.batch) {
      if (outcome.ok) {
        const results = outcome.value;
        step.batch.forEach((b, i) => ready(b, results[i] as QueryResult));
        continue;
      }
      // One bad measure fails the shared query: run the panels one by one, so only its own panel
      // shows the error (the others are reached after this one).
      outcome = await run({ plan, batch: null, started: null });
      if (stale()) return 'stale';
    }
    if (outcome.ok) ready(plan, outcome.value[0] as QueryResult);
    // A cancelled run's engine fails every call in flight: that is not the panel's error (stale above).
    else cb.onPanel(panel.id, { status: 'error', message: describeEngineError(outcome.error, name, undefined, 'panel') });
  }
  if (ctx.persisted && ctx.loaded && (fresh.length > 0 || !storedEntry)) {
    const { key, versions } = ctx.persisted;
    const facts = { columns: [...ctx.columns], newest: ctx.loaded.view?.newest ?? null, rowCount: ctx.loaded.view?.rowCount ?? ctx.loaded.rowCount };
    // Storing is a convenience for the next open: a failure to store changes nothing shown now.
    const store = opts.persisted;
    if (store) void Promise.resolve()
      .then(() => store.write(key, { versions, dataset: facts, results: fresh }))
      .catch(() => {});
  }
  return 'done';
}

/** A table panel's rows: `tableTopN`'s steps when it has an order (the narrowed cut-off first, when it has one), else `tableQuery`. */
async function tableRows(engine: QueryEngine, panel: TablePanel, ctx: DatasetContext, refine: PanelRefinement | undefined): Promise<QueryResult> {
  const steps = tableTopN(panel, ctx, refine);
  if (!steps) return engine.query(tableQuery(panel, ctx, refine));
  const narrowed = steps.narrowed ? await engine.query(steps.narrowed) : null;
  return engine.query(steps.rows(narrowed && steps.enough(narrowed) ? narrowed : await engine.query(steps.cutoff)));
}

/**
 * A dataset's stored entry under its key, asked for now; null when the key cannot be built or the
 * store fails to answer: a run never fails for want of one.
 */
function askStored(store: PersistedResultsStore, key: Promise<string>): Promise<{ key: string; entry: Promise<StoredPanelResults | null> } | null> {
  return key.then(
    (k) => ({
      key: k,
      entry: Promise.resolve()
        .then(() => store.read(k))
        .catch(() => null),
    }),
    () => null,
  );
}

/** The key of a dataset's stored entry for this run's corrections, raw toggle and budget. */
function persistedKeyFor(dashboard: DashboardFile, dataset: Dataset, sources: readonly Source[], opts: Pick<RunOptions, 'raw' | 'memoryBudgetBytes'>): Promise<string> {
  return persistedResultsKey({
    dataset,
    sources,
    corrections: dashboard.corrections.filter((c) => c.dataset === dataset.name),
    raw: opts.raw ?? false,
    memoryBudgetBytes: opts.memoryBudgetBytes ?? null,
  });
}

/**
 * Draw the dataset's panels from its stored entry, while its load goes on: each panel's SQL is
 * built as after the load (from the stored columns and newest timestamp), and only a result stored
 * under exactly that SQL is shown. Nothing is drawn once the load has answered (`settled`). True
 * when it drew every panel of the dataset.
 */
async function drawStoredResults(dashboard: DashboardFile, dataset: Dataset, persisted: PersistedForRun, cb: RunCallbacks, opts: RunOptions, settled: () => boolean): Promise<boolean> {
  const entry = await persisted.entry;
  if (!entry) {
    opts.persisted?.onEntry?.(dataset.name, false);
    return false;
  }
  const ctx: DatasetContext = { dataset, table: datasetTable(dataset), columns: new Set(entry.dataset.columns), period: resolvePeriod(dashboard.timeRange, entry.dataset.newest, opts.now) };
  const results = new Map(entry.results.map((r) => [r.sql, r.result]));
  const found: { id: string; sql: string; result: QueryResult; period: Period | null }[] = [];
  let every = true;
  for (const panel of dashboard.panels) {
    if (!isDataPanel(panel) || panel.dataset !== dataset.name) continue;
    let sql: Sql;
    let period: Period | null;
    try {
      const refine = opts.refine?.(panel);
      sql = panelQuery(panel, ctx, refine);
      period = effectivePeriod(ctx, refine);
    } catch {
      every = false;
      continue;
    }
    const result = results.get(sql.text);
    if (result) found.push({ id: panel.id, sql: sql.text, result, period });
    else every = false;
  }
  // Told before the draw: a panel the entry has no result for (a shared view's filters, a panel
  // added since) waits for the load, so the app starts its engine now rather than after the draw.
  opts.persisted?.onEntry?.(dataset.name, every);
  if (settled() || opts.isStale?.()) return false;
  for (const { id, sql, result, period } of found) cb.onPanel(id, { status: 'ready', result, sql, period, stored: { updating: true, period: ctx.period } });
  return every;
}

/** What a first paint from the newest row groups drew (`paintWindow`): its registered files, and each panel's result by its SQL. */
interface WindowPainted {
  files: string[];
  shown: Map<string, QueryResult>;
}

/**
 * The prefetch's first paint (prefetch.ts `PrefetchOptions.window`) for a dataset, or undefined
 * when it has none: a Parquet table dataset with a time column, above the bytes-first size, and no
 * corrections but of values in place (`keepsRowsInTime`: dropping rows may keep one row of a key by
 * rows outside the window, and a changed time may move a row out of it). It starts from the
 * earliest instant one of the dataset's panels reads (`earliestRead`) that leaves out most of the
 * bytes.
 */
function windowFirstOf(dashboard: DashboardFile, dataset: Dataset, sizeBytes: number, opts: RunOptions, onPlan: (plan: WindowPlan) => void, onWindow: (w: WindowFiles) => Promise<unknown>): PrefetchOptions['window'] | undefined {
  const column = dataset.timeColumn;
  const panels = datasetPanels(dashboard, dataset);
  if (opts.windowFirst === false || dataset.kind !== 'table' || !column || panels.length === 0) return undefined;
  if (sizeBytes < (opts.bytesFirstMinBytes ?? BYTES_FIRST_MIN_BYTES)) return undefined;
  if (!opts.raw && !keepsRowsInTime(dashboard.corrections.filter((c) => c.dataset === dataset.name), column)) return undefined;
  return {
    column,
    from: (newest) => {
      const period = resolvePeriod(dashboard.timeRange, newest, opts.now);
      return panels.map((p) => panelEarliestRead(p, { dataset, period }, opts)).filter((b): b is number => b !== null);
    },
    onPlan,
    onWindow,
  };
}

/** The panels that read a dataset. */
function datasetPanels(dashboard: DashboardFile, dataset: Dataset): DataPanel[] {
  return dashboard.panels.filter((p): p is DataPanel => isDataPanel(p) && p.dataset === dataset.name);
}

function panelEarliestRead(panel: DataPanel, ctx: Pick<DatasetContext, 'dataset' | 'period'>, opts: RunOptions): number | null {
  try {
    return earliestRead(panel, ctx, opts.refine?.(panel));
  } catch {
    // A refinement that builds no query (an empty window): the panel waits for the whole file.
    return null;
  }
}

type WindowLoad = { columns: readonly string[] | null; probe: Promise<FooterProbe | null> | null; persisted: PersistedForRun | null; location: string; generation: number };

/** A first paint's views, made over its footers before its bytes were in (`prepareWindow`). */
interface PreparedWindow {
  /** The names its files are registered under (their footers now; their bytes once in). */
  files: string[];
  loaded: LoadedDataset;
  view: NonNullable<LoadedDataset['view']>;
}

/**
 * Make a first paint's views while its row groups download: its footer-only files (prefetch.ts
 * `onPlan`) are registered under the names its files will have, and the raw and corrected views
 * made over them; `paintWindow` then swaps the bytes in under the same names. DuckDB binds a view
 * again on each query, from the file it then reads. On an engine that has run nothing yet, making
 * the two views took 40-110 ms, which the panels' statements no longer wait for. Null when the
 * window would not draw, or anything failed (nothing is left registered): the paint makes its views
 * itself then, as before.
 */
async function prepareWindow(engine: QueryEngine, dashboard: DashboardFile, dataset: Dataset, plan: WindowPlan, load: WindowLoad, opts: RunOptions): Promise<PreparedWindow | null> {
  const probed = load.probe ? await load.probe : null;
  if (!probed?.stats || opts.isStale?.() || (load.persisted && (await load.persisted.entry))) return null;
  let files: string[] = [];
  try {
    const opened = await openFromMemory(engine, rawDatasetTable(dataset), { files: plan.files.map((f) => ({ url: f.url, bytes: f.footerFile })), columns: load.columns }, probed.columns, 'northstar-window');
    files = opened.files;
    const loaded = windowLoaded(dataset, opened, probed, probed.stats, load);
    return { files, loaded, view: await correctedView(engine, dashboard, dataset, loaded, opts) };
  } catch {
    for (const name of files) await engine.dropFile?.(name).catch(() => {});
    return null;
  }
}

/** The loaded dataset a first paint reads: its files' view, the whole files' rows and statistics. */
function windowLoaded(dataset: Dataset, opened: Awaited<ReturnType<typeof openFromMemory>>, probed: FooterProbe, stats: NonNullable<FooterProbe['stats']>, load: WindowLoad): LoadedDataset {
  return {
    columns: opened.columns, rowCount: probed.rows, location: load.location, newest: null, table: rawDatasetTable(dataset),
    ...(opened.projection ? { projection: opened.projection } : {}),
    fromBytes: { files: opened.files, select: opened.select, generation: load.generation, tableLoad: null, inMemory: false, failed: null, footerStats: stats },
  };
}

/**
 * Draw the panels whose rows all lie in the newest row groups from those alone, while the rest of
 * the file downloads: the raw relation becomes a view over the first paint's files (made ahead over
 * their footers when `prepareWindow` could), the corrected view is made over it (the same view as after the whole load, with the footers' statistics of the
 * whole files), and the panels whose earliest read is at or after the window's start run as usual.
 * Their SQL over these rows gives what it gives over the whole file (`earliestRead`), so the run
 * after the load keeps what they drew (`shown`) instead of drawing them again. Panels reading
 * further back (a year-ago comparison) wait for the whole file. Never rejects: whatever fails here,
 * the load goes on as before, and the run after it draws every panel.
 */
async function paintWindow(
  engine: QueryEngine,
  dashboard: DashboardFile,
  dataset: Dataset,
  w: WindowFiles,
  load: WindowLoad & { prepared: Promise<PreparedWindow | null> | null },
  cb: RunCallbacks,
  opts: RunOptions,
): Promise<WindowPainted> {
  const painted: WindowPainted = { files: [], shown: new Map() };
  performance.mark('northstar:window-in', { detail: { rows: w.rows, bytes: w.bytes } });
  opts.onPaintBytes?.();
  const probed = load.probe ? await load.probe : null;
  const prepared = load.prepared ? await load.prepared : null;
  // The stored results of an earlier session draw instead, at once.
  if (!probed?.stats || opts.isStale?.() || (load.persisted && (await load.persisted.entry))) {
    await dropWindow(engine, prepared);
    return painted;
  }
  const rawTable = rawDatasetTable(dataset);
  try {
    let loaded: LoadedDataset;
    let view: NonNullable<LoadedDataset['view']>;
    if (prepared && engine.registerFile && engine.dropFile) {
      // The views stand; the bytes go in under the names their footers had.
      painted.files.push(...prepared.files);
      for (const [i, name] of prepared.files.entries()) {
        await engine.dropFile(name);
        await engine.registerFile(name, (w.files[i] as WindowFiles['files'][number]).bytes);
      }
      ({ loaded, view } = prepared);
    } else {
      await dropWindow(engine, prepared);
      const opened = await openFromMemory(engine, rawTable, { files: w.files, columns: load.columns }, probed.columns, 'northstar-window');
      painted.files.push(...opened.files);
      loaded = windowLoaded(dataset, opened, probed, probed.stats, load);
      view = await correctedView(engine, dashboard, dataset, loaded, opts);
    }
    const period = resolvePeriod(dashboard.timeRange, view.newest, opts.now);
    const ctx = { dataset, table: datasetTable(dataset), columns: new Set(memoryColumns(loaded).map((c) => c.name)), period, version: view.version, distinctBounds: view.distinctBounds };
    const inWindow = datasetPanels(dashboard, dataset).filter((p) => {
      const bound = panelEarliestRead(p, ctx, opts);
      return bound !== null && bound >= w.from;
    });
    const report: RunCallbacks = {
      ...cb,
      onPanel: (id, state) => {
        if (state.status === 'ready') painted.shown.set(state.sql, state.result);
        cb.onPanel(id, state);
      },
    };
    if (inWindow.length > 0) await runPanels(engine, inWindow, ctx, report, opts);
    performance.mark('northstar:window-painted', { detail: { panels: inWindow.length, rows: w.rows, bytes: w.bytes } });
  } catch {
    // Nothing drawn from here is kept: the run after the load draws every panel.
    painted.shown.clear();
  }
  return painted;
}

/** Free a first paint's files, once the whole file's view has replaced theirs (or the load failed). */
async function dropWindow(engine: QueryEngine, painted: { files: string[] } | null): Promise<void> {
  if (!painted) return;
  const files = painted.files.splice(0);
  for (const name of files) await engine.dropFile?.(name).catch(() => {});
}

/**
 * Link a source through the host, and (unless `withView` is false) make its view in the engine: the
 * first call to make it tells `onProgress` how far a JSON source's fetch and parse got.
 */
type SourceLinker = (source: Source, withView?: boolean, onProgress?: TextSourceProgress) => Promise<LinkedSource>;

type LoadedContext = DatasetContext & { version: string; loaded: LoadedDataset; persisted?: PersistedForRun; shown?: ReadonlyMap<string, QueryResult> };

/** A load under way, per scope and cache key: what it is waited on by, and who hears its progress. */
interface LoadUnderWay {
  done: Promise<void>;
  listeners: Set<(state: DatasetRunState) => void>;
}
const loadsUnderWay = new WeakMap<object, Map<string, LoadUnderWay>>();

function underWay(scope: object): Map<string, LoadUnderWay> {
  let loads = loadsUnderWay.get(scope);
  if (!loads) loadsUnderWay.set(scope, (loads = new Map()));
  return loads;
}

/** The key of a dataset's entry in the dataset cache: its definition, its sources and the budget. */
function datasetCacheKey(dashboard: DashboardFile, dataset: Dataset, opts: RunOptions): string {
  // The budget decides table or view, so a dataset loaded under another budget is loaded again.
  return JSON.stringify([dataset, neededSources(dashboard, dataset), opts.memoryBudgetBytes ?? null]);
}

/**
 * The data a load from fetched bytes read, for `RunOptions.tablesOutOfMemory`: the dataset's cache
 * key (its definition, sources and memory budget) and each file's version (its size when the server
 * gave none). A file that changed is loaded into memory again.
 */
function tableRanOutKey(cacheKey: string, fetched: PrefetchResult): string {
  return JSON.stringify([cacheKey, fetched.files.map((f) => f.version ?? f.size)]);
}

/** A table dataset reads its source; a SQL dataset may read any of them. */
function neededSources(dashboard: DashboardFile, dataset: Dataset): Source[] {
  return dataset.kind === 'table' ? dashboard.sources.filter((s) => s.name === dataset.source) : dashboard.sources;
}

/**
 * Load a dataset, or take it from the cache. A load of the same data that a run this one replaced
 * still has under way (a click on a panel drawn from the newest row groups while the rest of the
 * file downloads) is waited for, with its progress, not started again: its bytes keep coming, and
 * this run then reads what it loaded.
 */
async function loadDataset(engine: QueryEngine, dashboard: DashboardFile, dataset: Dataset, link: SourceLinker, cb: RunCallbacks, opts: RunOptions): Promise<LoadedContext | { error: string; reason: string }> {
  const loads = underWay(opts.cache ?? engine);
  const key = datasetCacheKey(dashboard, dataset, opts);
  if (opts.memoryOnly && !inMemoryAsIs(opts.cache?.get(key), dashboard, dataset, opts)) return { error: NOT_IN_MEMORY, reason: NOT_IN_MEMORY };
  const running = loads.get(key);
  if (running && !opts.cache?.get(key)) {
    const relay = (state: DatasetRunState) => cb.onDataset(dataset.name, state);
    cb.onDataset(dataset.name, { status: 'loading' });
    running.listeners.add(relay);
    await running.done;
    running.listeners.delete(relay);
  }
  return loadOrTake(engine, dashboard, dataset, link, cb, opts, loads, key);
}

/** A dataset in memory that a run could read with no statement first: its table built, its corrected view current. */
function inMemoryAsIs(cached: LoadedDataset | undefined, dashboard: DashboardFile, dataset: Dataset, opts: RunOptions): boolean {
  if (!cached || cached.scan || !coversProjection(cached, dashboard, dataset) || damagedBytes(cached) !== null) return false;
  if (cached.fromBytes && !cached.fromBytes.inMemory) return false;
  return cached.view?.key === correctedViewKey(dashboard, dataset, opts);
}

async function loadOrTake(
  engine: QueryEngine,
  dashboard: DashboardFile,
  dataset: Dataset,
  link: SourceLinker,
  callbacks: RunCallbacks,
  opts: RunOptions,
  loads: Map<string, LoadUnderWay>,
  cacheKey: string,
): Promise<LoadedContext | { error: string; reason: string }> {
  let cb = callbacks;
  const failed = (error: string, reason: string, location?: string) => {
    cb.onDataset(dataset.name, { status: 'error', message: error, ...(location ? { location } : {}) });
    return { error, reason };
  };
  const needed = neededSources(dashboard, dataset);
  const table = datasetTable(dataset);
  const rawTable = rawDatasetTable(dataset);
  const cachedEntry = opts.cache?.get(cacheKey);
  const cached = cachedEntry && coversProjection(cachedEntry, dashboard, dataset) ? cachedEntry : undefined;
  if (cached) {
    const damaged = damagedBytes(cached);
    if (damaged !== null) return failed(describeEngineError(damaged, dataset.kind === 'table' ? dataset.source : dataset.name, cached.location), 'could not be read', cached.location);
    // The data is in memory; corrections may have changed since, so the view may need re-making.
    let view;
    try {
      view = await correctedView(engine, dashboard, dataset, cached, opts);
    } catch (err) {
      return failed(describeEngineError(err, dataset.name, cached.location), 'corrections failed', cached.location);
    }
    const period = resolvePeriod(dashboard.timeRange, view.newest, opts.now);
    cb.onDataset(dataset.name, readyState(cached, view, period));
    const versions = cached.contentVersions;
    const key = versions && opts.persisted ? await persistedKeyFor(dashboard, dataset, needed, opts) : null;
    // A click re-runs on data in memory: its new results are stored too, without asking the host what it has.
    const persisted: PersistedForRun | undefined = key && versions ? { key, versions, entry: Promise.resolve(EMPTY_STORED_ENTRY) } : undefined;
    return { dataset, table, columns: new Set(memoryColumns(cached).map((c) => c.name)), period, version: view.version, distinctBounds: view.distinctBounds, loaded: cached, ...(persisted ? { persisted } : {}) };
  }
  if (dataset.kind === 'table' && needed.length === 0) {
    return failed(`Dataset "${dataset.name}" refers to a data source "${dataset.source}" that the dashboard does not declare.`, 'not declared');
  }
  const locations: string[] = [];
  const linked: LinkedSource[] = [];
  // A Parquet table dataset may load from fetched bytes, which needs no view of its source.
  const parquetTable = dataset.kind === 'table' && needed[0]?.format === 'parquet';
  const mayPrefetch = parquetTable && engine.registerFile !== undefined && engine.dropFile !== undefined;
  // The entry an earlier session stored for this dataset is asked for while the host validates its
  // files (below), not after: it is shown only if it holds results of exactly the validated versions.
  const store = opts.persisted;
  const asked = mayPrefetch && store ? askStored(store, persistedKeyFor(dashboard, dataset, needed, opts)) : null;
  // Linked first; the sources' views (JSON parsed, a CSV that is not UTF-8 converted) are made once
  // the dataset says it loads, so that their progress shows.
  const linkedSources: Source[] = [];
  for (const source of needed) {
    try {
      const found = await link(source, false);
      linked.push(found);
      linkedSources.push(source);
      locations.push(found.location);
    } catch (err) {
      // A SQL dataset may not need every source: DuckDB says so if it does.
      if (dataset.kind === 'sql') continue;
      return err instanceof SourceUnavailable ? failed(err.message, err.reason) : failed(String((err as Error).message ?? err), 'unavailable');
    }
  }
  // Where the data is, for messages; a source made readable may say more (a CSV converted to UTF-8).
  let location = locations.join(', ') || 'SQL';
  // From here on this load owns the raw relation: an older one still building its table must not swap it in.
  const scope = opts.cache ?? engine;
  const generation = beginLoad(scope, rawTable);
  cb.onDataset(dataset.name, { status: 'loading', location });
  const progress = progressReporter((p) => cb.onDataset(dataset.name, { status: 'loading', location, progress: p }));
  // Results an earlier session stored for these very files (validated just now by the host) draw
  // while the load goes on. Only loads from fetched bytes, whose every response names its version,
  // can confirm afterwards that they read those files: other datasets neither show nor store results.
  let settled = false;
  const versions = linked.map((l) => l.versions ?? []);
  const known = versionsKnown(versions) ? versions : null;
  // (A dataset that may prefetch keeps these links; others link again below, once they load.)
  const linkedFirst = linked[0];
  const prefetchable = mayPrefetch && linkedFirst !== undefined && canPrefetch(linkedFirst.urls) && (linkedFirst.sizeBytes ?? 0) <= PREFETCH_MAX_BYTES;
  // When the app does not expect the stored results to draw (a load waits for their draw, below),
  // the files' footers are read now, while the host looks for the stored entry, not after its answer.
  const footersAhead = prefetchable && asked && store?.drawExpected?.() === false ? readFooters(linkedFirst.urls, opts.signal) : undefined;
  // Not used (a load that stops before its fetch): its failure is nobody's.
  footersAhead?.catch(() => {});
  const stored = asked && known ? await asked : null;
  const persisted: PersistedForRun | null =
    stored && known
      ? {
          key: stored.key,
          versions: known,
          entry: stored.entry.then((entry) => {
            const usable = entry && sameFileVersions(entry.versions, known) ? entry : null;
            // For tests and the benchmark: whether an entry was found, and whether it was of these versions.
            performance.mark('northstar:stored-entry', { detail: { dataset: dataset.name, found: entry !== null, usable: usable !== null } });
            return usable;
          }),
        }
      : null;
  const storedDraw = persisted ? drawStoredResults(dashboard, dataset, persisted, cb, opts, () => settled) : null;
  if (!persisted) store?.onEntry?.(dataset.name, false);
  // Under way: a run that replaces this one waits for it, hearing its progress (see `loadDataset`).
  let finish!: () => void;
  const thisLoad: LoadUnderWay = { done: new Promise<void>((resolve) => (finish = resolve)), listeners: new Set() };
  loads.set(cacheKey, thisLoad);
  cb = {
    ...callbacks,
    onDataset: (name, state) => {
      callbacks.onDataset(name, state);
      if (state.status === 'loading') for (const listener of thisLoad.listeners) listener(state);
    },
  };
  let painted: WindowPainted | null = null;
  // A first paint's views made ahead (`prepareWindow`): freed here if the paint never took them.
  let windowPrepared: Promise<PreparedWindow | null> | null = null;
  const dropUnpainted = async () => {
    const planned = windowPrepared;
    windowPrepared = null;
    if (planned && !painted) await dropWindow(engine, await planned);
  };
  try {
    // All of its panels drawn from the stored results: the load (under way for a run that replaces
    // this one, above) waits for the app to have them on screen. Measured in warm re-opens at 5M
    // rows, the load's fetch and footer reads took the main thread while the stored results drew
    // (the draw took 429-503 ms; 274-291 ms with the load after it).
    if (storedDraw && store?.beforeLoad && (await storedDraw)) await store.beforeLoad();
    if (!mayPrefetch) {
      const sourceProgress: TextSourceProgress = (p) =>
        p.stage === 'fetching' ? progress.fetching({ bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rowsTotal: null }) : progress.parsing({ bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rows: p.rows });
      const ready: LinkedSource[] = [];
      for (const source of linkedSources) {
        try {
          ready.push(await link(source, true, sourceProgress));
        } catch (err) {
          // A SQL dataset may not need every source (as above); a table dataset's one source is unavailable.
          if (dataset.kind === 'sql' && err instanceof SourceUnavailable) continue;
          throw err;
        }
      }
      linked.splice(0, linked.length, ...ready);
      location = ready.map((l) => l.location).join(', ') || 'SQL';
    }
    const first = linked[0];
    // Fetched files are guarded by their footers, read first (below); others ask the engine now, in
    // one read of their metadata: a tiny file may declare billions of rows (refused before any load),
    // and the rows' estimated size decides between memory and disk (a fetched dataset's footers give
    // its estimate below).
    let declaredRows: number | null = null;
    let scan: ScanMode | null = null;
    // The columns a load the engine reads itself keeps (the source's footers give them): its estimate
    // counts those. Undefined until asked; null for all of them.
    let engineColumns: EngineProjection | null | undefined;
    const guard = async (urls: readonly string[], where: string) => {
      // The files' columns, from their footers (a Parquet table dataset's only).
      const source = describedColumns(await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', readFile(urls, 'parquet'))));
      engineColumns = engineProjection(dashboard, dataset, urls, source, cachedEntry);
      const facts = await guardParquetFiles(engine, urls, where, MAX_DATASET_ROWS, engineColumns?.loaded ?? null);
      declaredRows = facts.rows;
      scan = scanModeOf(facts.estimateBytes, opts.memoryBudgetBytes);
    };
    if (!prefetchable) opts.onPaintBytes?.();
    if (parquetTable && first && !prefetchable) await guard(first.urls, first.location);
    let fetched: PrefetchResult | null = null;
    // What the footers answer (columns, rows, statistics), asked while the data downloads.
    let probe = null as Promise<FooterProbe | null> | null;
    let footers: { url: string; footerFile: Uint8Array }[] = [];
    const encodingMinRows = opts.textEncodingMinRows ?? TEXT_ENCODING_MIN_ROWS;
    // The panels drawn from the newest row groups while the rest downloads, when there are such.
    let windowPaint: Promise<WindowPainted> | null = null;
    if (prefetchable && first) {
      // A reload for a newly needed column keeps what was loaded, so undoing the edit needs no reload.
      let chosen: readonly string[] | null = null;
      const choose = (sourceColumns: string[]) => (chosen = fetchColumns(dashboard, dataset, first.urls, sourceColumns, cachedEntry?.projection?.loaded));
      // The first paint's views, made while its bytes download.
      const onPlan = (plan: WindowPlan) => {
        windowPrepared = prepareWindow(engine, dashboard, dataset, plan, { columns: chosen, probe, persisted, location, generation }, opts);
      };
      const window = windowFirstOf(dashboard, dataset, first.sizeBytes ?? 0, opts, onPlan, (w) => {
        const prepared = windowPrepared;
        // The paint takes them (and frees them when it cannot use them).
        windowPrepared = null;
        const painting = paintWindow(engine, dashboard, dataset, w, { columns: chosen, probe, persisted, location, generation, prepared }, cb, opts);
        windowPaint = painting;
        // The rest downloads once it drew: on two cores, a request meanwhile slowed the paint.
        return painting;
      });
      try {
        fetched = await prefetchParquet(first.urls, {
          maxBytes: PREFETCH_MAX_BYTES,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(window ? { window } : {}),
          ...(footersAhead ? { footers: footersAhead } : {}),
          ...(opts.nextTask ? { nextTask: opts.nextTask } : {}),
          onProgress: progress.fetching,
          onFooters: (files) => {
            refuseTooManyRows(files, first.location);
            footers = files;
          },
          choose,
          // Above the budget: nothing is fetched, and the dataset is read from disk (scan mode). The
          // estimate counts text columns the build will store as ENUMs at their codes' width. A file
          // the engine cannot decode is loaded anyway, so the load says why (scan mode would count its
          // rows from the metadata and fail only in the panels).
          onEstimate: (chunks, rows, readable) => {
            const budgetBytes = opts.memoryBudgetBytes;
            const estimateBytes = loadedMemoryBytes(chunks, rows, encodingMinRows);
            if (readable && budgetBytes !== undefined && estimateBytes > budgetBytes) throw new ReadFromDisk({ estimateBytes, budgetBytes });
            // It loads into memory: ask the footers' questions while the data downloads, in a task
            // after the one that sends the first requests (reading the footers again is 10-30 ms).
            const names = registeredNames(footers.map((f) => f.url), 'northstar-probe');
            const asked = footers.map((f, i) => ({ name: names[i] as string, bytes: f.footerFile }));
            probe = (opts.nextTask?.() ?? Promise.resolve())
              .then(() => probeFooters(engine, asked, (cols) => footerAsk(dataset, cols), { inJs: opts.footersInJs !== false }))
              .catch(() => null);
          },
        });
      } catch (err) {
        if (err instanceof TooManyRows) throw err;
        if (err instanceof ReadFromDisk) scan = err.scan;
        if (opts.signal?.aborted) throw new EngineError('cancelled', 'The load was cancelled.');
        // Any other failure (a server without ranges, a refused read) leaves the reading to the
        // engine, as before, which reports a real problem with the source in its words.
        fetched = null;
      }
      opts.onPaintBytes?.();
      // The footers could not be read here: the engine reads them instead.
      if (!fetched && !scan && parquetTable) await guard(first.urls, first.location);
    }
    let columns: { name: string; type: string }[];
    let projection: LoadedDataset['projection'];
    let fromBytes: BytesPhase | undefined;
    let tableKey: string | undefined;
    let probed: FooterProbe | null = null;
    // Its panels finish drawing before the whole file replaces their row groups under the raw view.
    painted = windowPaint ? await (windowPaint as Promise<WindowPainted>) : null;
    // Planned, but its bytes never came (the fetch failed): its footers' files go.
    await dropUnpainted();
    if (fetched) {
      // Cancelled as the last bytes came in: the run is over, do not start a load nobody will see.
      if (opts.signal?.aborted) throw new EngineError('cancelled', 'The load was cancelled.');
      progress.reading(fetched);
      probed = probe ? await probe : null;
      const opened = await openFromMemory(engine, rawTable, fetched, probed?.columns);
      await dropWindow(engine, painted);
      columns = opened.columns;
      projection = opened.projection;
      fromBytes = { files: opened.files, select: opened.select, generation, tableLoad: null, inMemory: false, failed: null, ...(probed?.stats ? { footerStats: probed.stats } : {}) };
      // Its table stores the text columns whose footers show few values as ENUMs (bytes-first.ts), as the estimate assumed.
      if (fetched.rows >= encodingMinRows) {
        const encodable = encodableColumns(fetched.files.flatMap((f) => f.footer.chunks));
        fromBytes.text = memoryColumns(opened).filter((c) => c.type === 'VARCHAR' && encodable.has(c.name)).map((c) => c.name);
      }
      trackPhase(scope, rawTable, fromBytes);
      tableKey = tableRanOutKey(cacheKey, fetched);
      const ranOut = opts.tablesOutOfMemory?.get(tableKey);
      if (ranOut !== undefined) {
        // Its table ran out of memory before: the dataset reads these bytes, as it did then.
        fromBytes.failed = { error: ranOut };
        fromBytes.tableLoad = Promise.resolve();
      }
      // Small data gains nothing from drawing first, and its table, built now, decodes every value:
      // a damaged file fails here, with the message `northstar inspect` gives, before any panel draws.
      if (fetched.bytesFetched < (opts.bytesFirstMinBytes ?? BYTES_FIRST_MIN_BYTES)) {
        await loadTable(engine, scope, rawTable, fromBytes);
        if (fromBytes.failed) throw fromBytes.failed.error;
      }
    } else {
      await dropWindow(engine, painted);
      // The engine reads the source itself, through its view: no bytes to count, but the rows it reads.
      if (mayPrefetch) for (const source of needed) await link(source);
      if (!scan && declaredRows !== null) progress.reading({ bytesFetched: first?.sizeBytes ?? 0, rows: declaredRows });
      // Only the columns the dashboard reads are copied into memory (or read from disk): the source's
      // view describes the others (a CSV's sniffed header, a Parquet file's footer).
      const asked = engineColumns as EngineProjection | null | undefined;
      const kept = asked !== undefined ? asked : dataset.kind === 'table' ? engineProjection(dashboard, dataset, first?.urls ?? [], await engine.describe(dataset.source), cachedEntry) : null;
      // A CSV file is read into memory from its bytes as they download (csv-stream.ts), or, where
      // that cannot be trusted, from its bytes fetched whole (text-sources.ts `fetchCsvCopy`), not
      // through the source's view in small requests.
      const csv = dataset.kind === 'table' && !scan && first && needed[0]?.format === 'csv' ? first : null;
      const streamed = csv ? await loadCsvStreamedOf(engine, csv, rawTable, kept?.loaded ?? null, progress, opts.signal) : null;
      const copy = csv && !streamed ? await fetchCsvCopyOf(engine, csv, progress, opts.signal) : null;
      try {
        const select = dataset.kind === 'table' ? selectColumns(copy ? readFile(copy.files, 'csv') : dataset.source, kept?.loaded ?? null) : userSelect(dataset.sql);
        if (scan) await replaceRelation(engine, rawTable, 'view', select);
        else if (!streamed) await replaceRelation(engine, rawTable, 'table', select);
      } finally {
        await copy?.release();
      }
      columns = kept?.source ?? (await engine.describe(rawTable));
      if (kept) projection = { loaded: [...kept.loaded], source: kept.source.map((c) => c.name) };
    }
    // Asked of the engine, not taken from the footers: for some legacy nested files the two differ
    // (parquet-testing's repeated_no_annotation declares 0 rows and holds 6). Over the bytes it reads
    // only each row group's metadata; fetched files were asked over their footers while they downloaded.
    const rowCount = probed?.rows ?? Number((await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', ident(rawTable)))).rows[0]?.n ?? 0);
    const loaded: LoadedDataset = {
      columns, rowCount, location, newest: null, table: rawTable,
      ...(scan ? { scan, scanFiles: first?.urls ?? [] } : {}), ...(projection ? { projection } : {}), ...(fromBytes ? { fromBytes } : {}),
      ...(tableKey ? { tableKey } : {}),
    };
    // Every response of the fetch named the version the key was built from: the data is that version.
    const confirmed = persisted !== null && fetched !== null && linked.length === 1 && sameVersions(versions[0] ?? [], fetched.files.map((f) => f.version));
    if (confirmed) loaded.contentVersions = persisted.versions;
    const view = await correctedView(engine, dashboard, dataset, loaded, opts);
    const period = resolvePeriod(dashboard.timeRange, view.newest, opts.now);
    // One entry per table: an older load of this dataset (another definition or projection) is gone
    // from the engine, and so is the view it described.
    for (const [key, entry] of opts.cache ?? []) if (entry.table === rawTable) opts.cache?.delete(key);
    opts.cache?.set(cacheKey, loaded);
    // The raw relation is this load's now: registered bytes of earlier loads nobody reads can go.
    await releaseSuperseded(engine, scope, rawTable);
    cb.onDataset(dataset.name, readyState(loaded, view, period));
    // What the first paint drew stands, unless the whole file was not read from the same fetch (the
    // engine read it instead, and it may have changed since).
    const shown = fetched && painted?.shown.size ? { shown: painted.shown } : {};
    return { dataset, table, columns: new Set(memoryColumns(loaded).map((c) => c.name)), period, version: view.version, distinctBounds: view.distinctBounds, loaded, ...(confirmed ? { persisted } : {}), ...shown };
  } catch (err) {
    await dropWindow(engine, painted);
    await dropUnpainted().catch(() => {});
    if (err instanceof SourceUnavailable) return failed(err.message, err.reason, location);
    if (err instanceof TooManyRows) return failed(err.message, 'too many rows', location);
    if (err instanceof CsvTooLarge) return failed(err.describe(dataset.kind === 'table' ? dataset.source : dataset.name, location), 'too large for memory', location);
    const name = dataset.kind === 'table' ? dataset.source : dataset.name;
    // Out of memory is not a broken source: say so on every panel, not "could not be read".
    const reason = outOfMemoryReason(err) ?? (err instanceof EngineError && err.readFailure?.kind === 'tooLarge' ? 'too large for memory' : dataset.kind === 'sql' ? 'SQL error' : 'could not be read');
    return failed(describeEngineError(err, name, location, dataset.kind === 'sql' ? 'sql' : 'source'), reason, location);
  } finally {
    settled = true;
    if (loads.get(cacheKey) === thisLoad) loads.delete(cacheKey);
    finish();
  }
}

/**
 * The columns a load of a Parquet table dataset fetches (null: all): the dashboard's projection,
 * plus what an earlier load had. Hive partition columns (`year=2025/` folders) are in no footer:
 * such sources load whole.
 */
function fetchColumns(dashboard: DashboardFile, dataset: Dataset, urls: readonly string[], sourceColumns: string[], before?: readonly string[]): string[] | null {
  return urls.some(isHivePartitioned) ? null : unionProjection(projectedColumns(dashboard, dataset, sourceColumns), before, sourceColumns);
}

function isHivePartitioned(url: string): boolean {
  // A URL, or a local path (the CLI's engine reads files by their paths).
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // not a URL: the path itself
  }
  return path.split(/[\\/]/).some((segment) => /^[^=]+=[^=]*$/.test(segment.replace(/%3D/gi, '=')));
}

/** A CSV source read into the dataset's table as it downloads, reporting bytes and rows; null where it is read whole instead. */
async function loadCsvStreamedOf(engine: QueryEngine, found: LinkedSource, table: string, columns: readonly string[] | null, progress: ReturnType<typeof progressReporter>, signal: AbortSignal | undefined): Promise<StreamedCsv | null> {
  try {
    return await loadCsvStreamed(engine, found, table, columns, {
      ...(signal ? { signal } : {}),
      onProgress: (bytesDone, bytesTotal, rows) => progress.fetching({ bytesDone, bytesTotal, rowsTotal: null, rowsDone: rows }),
    });
  } catch (err) {
    if (!signal?.aborted && (err instanceof EngineError || err instanceof CsvTooLarge)) throw err;
    throw csvFetchFailure(err, found, signal);
  }
}

/** A CSV source's files fetched whole for a load, reporting the bytes as they come; null where the engine reads them itself. */
async function fetchCsvCopyOf(engine: QueryEngine, found: LinkedSource, progress: ReturnType<typeof progressReporter>, signal: AbortSignal | undefined): Promise<CsvCopy | null> {
  try {
    const copy = await fetchCsvCopy(engine, found, {
      ...(signal ? { signal } : {}),
      onProgress: (bytesDone, bytesTotal) => progress.fetching({ bytesDone, bytesTotal, rowsTotal: null }),
    });
    if (copy) progress.reading({ bytesFetched: copy.bytes, rows: null });
    return copy;
  } catch (err) {
    throw csvFetchFailure(err, found, signal);
  }
}

/** What a failed fetch of a CSV source's bytes becomes: a cancel, or the source unavailable with the reason. */
function csvFetchFailure(err: unknown, found: LinkedSource, signal: AbortSignal | undefined): Error {
  if (signal?.aborted) return new EngineError('cancelled', 'The load was cancelled.');
  return new SourceUnavailable(`Data source ${found.location} could not be fetched: ${err instanceof Error ? err.message : String(err)}`, 'could not be read');
}

/** The row cap of load-guard.ts, applied to the rows the fetched footers declare. */
function refuseTooManyRows(files: readonly { url: string; rows: number }[], location: string): void {
  const total = files.reduce((n, f) => n + f.rows, 0);
  if (total <= MAX_DATASET_ROWS) return;
  const counted = files.map((f) => ({ file: f.url, rows: f.rows })).sort((a, b) => b.rows - a.rows);
  throw new TooManyRows(tooManyRowsMessage(location, counted, total, MAX_DATASET_ROWS), total, MAX_DATASET_ROWS);
}

/** A table dataset's source columns (with types) and those of them a load keeps. */
interface EngineProjection {
  source: { name: string; type: string }[];
  loaded: string[];
}

/**
 * The columns of a source the engine reads itself (too large to fetch, from a server without
 * ranges, a CSV or JSON file) that a load keeps, given the source's columns: the dashboard's
 * projection plus what an earlier load had (`fetchColumns`). Null for all of them.
 */
function engineProjection(dashboard: DashboardFile, dataset: Dataset, urls: readonly string[], source: { name: string; type: string }[], before: LoadedDataset | undefined): EngineProjection | null {
  if (dataset.kind !== 'table') return null;
  const loaded = fetchColumns(dashboard, dataset, urls, source.map((c) => c.name), before?.projection?.loaded);
  return loaded ? { source, loaded } : null;
}

/** The columns in the engine's table: all of them, or the projection's. */
function memoryColumns(loaded: Pick<LoadedDataset, 'columns' | 'projection'>): { name: string; type: string }[] {
  const kept = loaded.projection ? new Set(loaded.projection.loaded) : null;
  return kept ? loaded.columns.filter((c) => kept.has(c.name)) : loaded.columns;
}

/** Whether a dataset in memory has every column this dashboard needs (a projection may lack a new one). */
function coversProjection(loaded: LoadedDataset, dashboard: DashboardFile, dataset: Dataset): boolean {
  if (!loaded.projection) return true;
  const wanted = projectedColumns(dashboard, dataset, loaded.projection.source);
  const have = new Set(loaded.projection.loaded);
  return wanted !== null && wanted.every((c) => have.has(c));
}

/** The columns to load: what is needed now plus what was loaded before, in the source's order; null for all. */
function unionProjection(wanted: string[] | null, before: readonly string[] | undefined, source: readonly string[]): string[] | null {
  if (wanted === null) return null;
  const keep = new Set([...wanted, ...(before ?? [])]);
  const kept = source.filter((c) => keep.has(c));
  return kept.length === source.length ? null : kept;
}

// Files handed to the engine get names no dashboard path or URL can have (under a random UUID per
// load), so user SQL cannot guess or collide with them. Each keeps its URL's path below that: DuckDB
// reads Hive partitions (`year=2025/`) from the folders of the names it is given, as from the URLs.
function registeredNames(urls: readonly string[], prefix = 'northstar-load'): string[] {
  const load = `${prefix}-${globalThis.crypto.randomUUID()}`;
  return urls.map((url) => `${load}${new URL(url).pathname}`);
}

/**
 * Make fetched Parquet bytes the dataset's raw relation: register them with the engine and make the
 * raw relation a view of the chosen columns over them (bytes-first.ts builds the table later; the
 * files stay registered until then). Returns the source's columns (all of them, with types), for a
 * projection which ones are read, and the files and SELECT the table is to be made of.
 */
async function openFromMemory(
  engine: QueryEngine,
  rawTable: string,
  /** The fetched files (or a first paint's, `paintWindow`) and the columns fetched (null: all). */
  fetched: { files: readonly { url: string; bytes: Uint8Array }[]; columns: readonly string[] | null },
  /** The files' columns, when the engine already described them from their footers (`probeFooters`). */
  known?: { name: string; type: string }[],
  /** What the registered names start with (see `registeredNames`). */
  prefix?: string,
): Promise<{ columns: { name: string; type: string }[]; projection?: NonNullable<LoadedDataset['projection']>; files: string[]; select: Sql }> {
  const registerFile = engine.registerFile?.bind(engine);
  const dropFile = engine.dropFile?.bind(engine);
  if (!registerFile || !dropFile) throw new EngineError('crashed', 'This engine cannot load files from memory.');
  const names = registeredNames(fetched.files.map((f) => f.url), prefix);
  const registered: string[] = [];
  try {
    for (const [i, file] of fetched.files.entries()) {
      await registerFile(names[i] as string, file.bytes);
      registered.push(names[i] as string);
    }
    const from = readFile(names, 'parquet');
    const select = fetched.columns ? Sql.concat('SELECT ', Sql.join(fetched.columns.map(ident)), ' FROM ', from) : Sql.concat('SELECT * FROM ', from);
    await replaceRelation(engine, rawTable, 'view', select);
    if (!fetched.columns) return { columns: known ?? (await engine.describe(rawTable)), files: names, select };
    // The source's own columns and types, from the footers already in memory (no data is read).
    const columns = known ?? describedColumns(await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', from)));
    return { columns, projection: { loaded: [...fetched.columns], source: columns.map((c) => c.name) }, files: names, select };
  } catch (err) {
    for (const name of registered) await dropFile(name).catch(() => {});
    throw err;
  }
}

/**
 * Make `name` a table (or a view) of `select`. DuckDB replaces neither kind by the other, so an
 * earlier load of the other kind is dropped first; dropping the other kind fails harmlessly when
 * the name already is of this kind, which is cheaper than asking the catalog first.
 */
async function replaceRelation(engine: QueryEngine, name: string, kind: 'table' | 'view', select: Sql): Promise<void> {
  try {
    await engine.exec(dropRelation(name, kind === 'table' ? 'view' : 'table'));
  } catch (err) {
    if (!/Existing object .* is of type/i.test(String((err as Error)?.message ?? err))) throw err;
  }
  await engine.exec(kind === 'table' ? createTableAs(name, select) : createViewAs(name, select));
}

/** Progress updates at most every PROGRESS_INTERVAL_MS (each one re-renders panels), with an ETA from the rate so far. */
const PROGRESS_INTERVAL_MS = 200;

function progressReporter(report: (p: LoadProgress) => void) {
  let startedAt: number | null = null;
  let parseStarted = false;
  let parseBase: { at: number; bytes: number } | null = null;
  let lastAt = -Infinity;
  return {
    fetching: (p: { bytesDone: number; bytesTotal: number; rowsTotal: number | null; rowsDone?: number }) => {
      const now = Date.now();
      startedAt ??= now;
      const finished = p.bytesDone >= p.bytesTotal;
      if (!finished && now - lastAt < PROGRESS_INTERVAL_MS) return;
      lastAt = now;
      const elapsed = now - startedAt;
      // No estimate until a little has arrived: the first bytes say nothing about the rate.
      const etaMs = p.bytesDone > 0 && elapsed >= 300 ? Math.round(((p.bytesTotal - p.bytesDone) * elapsed) / p.bytesDone) : null;
      report({ phase: 'fetching', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, rowsTotal: p.rowsTotal, etaMs, ...(p.rowsDone !== undefined ? { rowsDone: p.rowsDone } : {}) });
    },
    reading: (read: { bytesFetched: number; rows: number | null }) => report({ phase: 'reading', bytesTotal: read.bytesFetched, rowsTotal: read.rows }),
    /**
     * A JSON source parsed: the share of its bytes parsed so far and the rows, with the time left at
     * the parse's own pace; once all is parsed, the rows being read into the engine ("Reading N rows…").
     */
    parsing: (p: { bytesDone: number; bytesTotal: number; rows: number }) => {
      const now = Date.now();
      // The parse's start is said at once: the fetch's last report may have been just now.
      const first = !parseStarted;
      parseStarted = true;
      if (p.bytesDone >= p.bytesTotal) return report({ phase: 'reading', bytesTotal: p.bytesTotal, rowsTotal: p.rows });
      // The pace is taken from the first rows counted on (decoding the text before them took a second of its own).
      if (p.bytesDone > 0) parseBase ??= { at: now, bytes: p.bytesDone };
      if (!first && now - lastAt < PROGRESS_INTERVAL_MS) return;
      lastAt = now;
      const elapsed = parseBase ? now - parseBase.at : 0;
      const etaMs = parseBase && elapsed >= 300 && p.bytesDone > parseBase.bytes ? Math.round(((p.bytesTotal - p.bytesDone) * elapsed) / (p.bytesDone - parseBase.bytes)) : null;
      report({ phase: 'reading', bytesTotal: p.bytesTotal, rowsTotal: null, bytesDone: p.bytesDone, rowsDone: p.rows, etaMs });
    },
  };
}

/** Thrown from a fetch's estimate (prefetch `onEstimate`): the dataset is above the budget and is read from disk. */
class ReadFromDisk extends Error {
  constructor(readonly scan: ScanMode) {
    super('read from disk');
  }
}

/**
 * Scan mode when the Parquet files' estimated size is above the budget, else null (load into memory).
 * An estimate the engine could not make loads as before: the load itself then reports any real
 * problem with the files.
 */
function scanModeOf(estimateBytes: number, budgetBytes: number | undefined): ScanMode | null {
  if (budgetBytes === undefined) return null;
  return Number.isFinite(estimateBytes) && estimateBytes > budgetBytes ? { estimateBytes, budgetBytes } : null;
}

/** What a dataset's corrected view holds: its corrections and the raw flag (`LoadedDataset['view'].key`). */
function correctedViewKey(dashboard: DashboardFile, dataset: Dataset, opts: RunOptions): string {
  return JSON.stringify([dashboard.corrections.filter((c) => c.dataset === dataset.name), opts.raw ?? false]);
}

/**
 * Make `ds_<name>` the view of the raw table with the dataset's corrections (none with `raw`), unless
 * the view in the engine already is that one; returns what the view holds. Corrections that do not
 * validate are left out, and a view the engine refuses falls back to the raw data: both are reported
 * as problems, never as a blank dashboard.
 */
async function correctedView(engine: QueryEngine, dashboard: DashboardFile, dataset: Dataset, loaded: LoadedDataset, opts: RunOptions): Promise<NonNullable<LoadedDataset['view']>> {
  const key = correctedViewKey(dashboard, dataset, opts);
  if (loaded.view?.key === key) return loaded.view;
  return inViewTurn(loaded, () => makeCorrectedView(engine, dashboard, dataset, loaded, opts, key));
}

/**
 * Runs that make the view of the same loaded data take turns: one finding its copies (a window over
 * every row, seconds on a large table) must not make its view over the one a newer run made
 * meanwhile, which that run's panels read. (Each run may reach the engine through its own wrapper.)
 */
const viewTurns = new WeakMap<LoadedDataset, Promise<unknown>>();
function inViewTurn<T>(loaded: LoadedDataset, make: () => Promise<T>): Promise<T> {
  const made = (viewTurns.get(loaded) ?? Promise.resolve()).then(make);
  viewTurns.set(loaded, made.catch(() => {}));
  return made;
}

async function makeCorrectedView(engine: QueryEngine, dashboard: DashboardFile, dataset: Dataset, loaded: LoadedDataset, opts: RunOptions, key: string): Promise<NonNullable<LoadedDataset['view']>> {
  // The turn before may have made this view; a run gone stale leaves the one there (a newer run's
  // own, or made by it next), whatever it reads meanwhile is not shown.
  const kept = () => (loaded.view && (loaded.view.key === key || opts.isStale?.()) ? loaded.view : null);
  const before = kept();
  if (before) return before;
  const raw = opts.raw ?? false;
  const corrections = dashboard.corrections.filter((c) => c.dataset === dataset.name);
  const table = datasetTable(dataset);
  const rawTable = rawDatasetTable(dataset);
  // A dataset read from disk: its files, only the columns it keeps when it keeps some.
  const scanColumns = loaded.projection ? { columns: memoryColumns(loaded).map((c) => c.name) } : {};
  let rowOrder: RowOrder | undefined = loaded.scan && loaded.scanFiles?.length ? { kind: 'parquetFiles', urls: loaded.scanFiles, ...scanColumns } : undefined;
  const plan = (slices?: number, order: RowOrder | undefined = rowOrder) => correctedViewSql(table, rawTable, dataset.name, corrections, memoryColumns(loaded), raw, order, slices);
  let planned = plan();
  // Only "keep one row per key" prepares (its copies, found by load order). The order is the rowid
  // of the table, which a dataset still read from its fetched bytes does not have yet: until the
  // table is built, the view reads the files themselves, numbering their rows as the table will
  // (`rowsBeforeEachFile`), so the copies found stay right for the table, and the table's swap makes
  // the view again over it (`remakeOnSwap`). A build already under way is waited for instead.
  const bytes = planned.prepare.length > 0 && loaded.fromBytes && !loaded.fromBytes.inMemory ? loaded.fromBytes : null;
  if (bytes?.tableLoad) await bytes.tableLoad;
  const overBytes = bytes !== null && !bytes.inMemory && (bytes.tableLoad === null || bytes.failed !== null) ? bytes : null;
  // From here on the files are read directly: a table swap waits before it frees them.
  const releaseFiles = overBytes ? holdFiles(overBytes) : null;
  const problems = [...planned.problems];
  let applied = planned.applied;
  try {
    let overTable: Sql | undefined;
    if (overBytes) {
      const rowsBefore = await rowsBeforeEachFile(engine, overBytes.files);
      rowOrder = { kind: 'parquetFiles', urls: overBytes.files, columns: memoryColumns(loaded).map((c) => c.name), rowsBefore };
    }
    // Its window partitions every row by key: on a large table, or with little memory free, in slices.
    if (planned.prepare.length > 0) {
      const slices = sliceCount({ rows: loaded.rowCount, maxGroupRows: await freeGroupRows(engine, opts.maxGroupRows) });
      planned = plan(slices);
      if (overBytes) overTable = plan(slices, { kind: 'rowid' }).sql;
    }
    for (const statement of planned.prepare) {
      const stop = kept();
      if (stop) return stop;
      await engine.exec(statement);
    }
    const stop = kept();
    if (stop) return stop;
    await engine.exec(planned.sql);
    // The view reads the raw relation by name (which the swap keeps right), or the files and is made again then.
    if (loaded.fromBytes && !loaded.fromBytes.inMemory) {
      if (overTable) loaded.fromBytes.remakeOnSwap = overTable;
      else delete loaded.fromBytes.remakeOnSwap;
    }
  } catch (err) {
    if (loaded.fromBytes) delete loaded.fromBytes.remakeOnSwap;
    if (applied.length === 0) throw err;
    // A dataset read from disk has no load order (rowid), which "keep one row per key" needs.
    const why = loaded.scan && String((err as Error)?.message ?? err).includes('rowid') ? ' (it is too large to load and is read from disk, where rows have no load order)' : '';
    problems.push({ id: applied.join(', '), message: `The corrections of dataset ${dataset.name} could not be applied${why}, so it shows raw data: ${describeEngineError(err, dataset.name)}` });
    applied = [];
    await engine.exec(correctedViewSql(table, rawTable, dataset.name, [], memoryColumns(loaded), true).sql);
  } finally {
    releaseFiles?.();
  }
  const base = { dataset, table, columns: new Set(memoryColumns(loaded).map((c) => c.name)) };
  // The same scan gives the bounds of count-distinct columns (kpiBatchQuery's bitmaps); a dataset
  // read from disk skips them, as each would read the files once more.
  // So does a dataset still read from its fetched bytes: bounds cost a scan of every row group of
  // those columns where the first panels read only their period's. Its footers' statistics give them
  // instead (below), and the table's exact ones replace them once it is built (`addDistinctBounds`).
  // Without them the KPIs count distinct values as before: same numbers.
  const fromBytes = loaded.fromBytes && !loaded.fromBytes.inMemory ? loaded.fromBytes : null;
  // Corrections that only change values elsewhere keep the rows as read, their count and their
  // newest time; others have their rows counted in the same scan as their newest time.
  const changed = new Set(applied.length > 0 ? planned.changed : []);
  const rowsKept = applied.length === 0 || (!planned.dropsRows && !(dataset.timeColumn && changed.has(dataset.timeColumn)));
  const statsSql = datasetStatsQuery(base, loaded.scan || fromBytes ? [] : memoryColumns(loaded), !rowsKept);
  // Rows still in their bytes: the count-distinct bounds from the footers' statistics, but of columns
  // a correction changes (dropped rows leave the rest within them); rows kept, the newest timestamp too.
  const ask = footerAsk(dataset, memoryColumns(loaded));
  const probedStats = fromBytes?.footerStats ? probedStatsFor(fromBytes.footerStats, ask) : null;
  const footer = fromBytes ? (probedStats ?? (await statsFromFooters(engine, fromBytes.files, ask).catch(() => null))) : null;
  const newestKnown = footer !== null && rowsKept && (footer.newest !== null || !dataset.timeColumn);
  const stats: Omit<DatasetStats, 'distinctBounds'> & Partial<Pick<DatasetStats, 'distinctBounds'>> = newestKnown
    ? { newest: footer.newest }
    : ((footer && (await onlyCopiesDropped(engine, dataset, table, loaded.rowCount, footer.newest, applied.length > 0 ? planned : null))) ?? (statsSql ? statsSql.read(await engine.query(statsSql.sql)) : { newest: null }));
  const footerBounds = new Map([...(footer?.bounds ?? [])].filter(([column]) => !changed.has(column)));
  if (footerBounds.size) stats.distinctBounds = footerBounds;
  const newest = stats.newest;
  const count = rowsKept ? loaded.rowCount : (stats.rows ?? 0);
  dataVersions += 1;
  const view = { key, version: String(dataVersions), rowCount: count, newest: typeof newest === 'number' ? newest : null, corrections: { applied, problems, raw, rawRowCount: loaded.rowCount }, distinctBounds: stats.distinctBounds };
  loaded.view = view;
  loaded.newest = view.newest;
  return view;
}

/**
 * The rows and newest time of a corrected view that only drops copies ("keep one row per key"),
 * without a scan of every row: the raw rows less the row ids dropped, and the newest time the
 * footers give, read back from the rows at or after it (a copy dropped may have been the newest
 * row; then null, and the caller scans). Null when other corrections apply.
 */
async function onlyCopiesDropped(engine: QueryEngine, dataset: Dataset, view: string, rawRows: number, footerNewest: number | null, planned: { applied: string[]; copies: string[] } | null): Promise<{ rows: number; newest: number | null } | null> {
  // Every applied correction made a table of copies: each is "keep one row per key".
  if (!planned || planned.copies.length !== planned.applied.length) return null;
  const counts = planned.copies.map((table, i) => Sql.concat('(SELECT count(*) FROM ', ident(table), ') AS ', ident(`c${i}`)));
  const t = dataset.timeColumn;
  if (t && footerNewest === null) return null;
  const newest = t && footerNewest !== null ? Sql.concat(', (SELECT CAST(epoch_ms(max(', ident(t), ')) AS DOUBLE) FROM ', ident(view), ' WHERE ', ident(t), ' >= ', timestamp(footerNewest), ') AS "newest"') : '';
  const row = (await engine.query(Sql.concat('SELECT ', Sql.join(counts), newest))).rows[0] ?? {};
  if (t && typeof row.newest !== 'number') return null;
  const dropped = planned.copies.reduce((n, _table, i) => n + Number(row[`c${i}`] ?? 0), 0);
  return { rows: rawRows - dropped, newest: t ? (row.newest as number) : null };
}

/** The footer statistics a dataset's first queries use: its newest time (of a TIMESTAMP column), and the bounds of count-distinct integer columns. */
function footerAsk(dataset: Dataset, columns: readonly { name: string; type: string }[]): FooterAsk {
  const timeType = columns.find((c) => c.name === dataset.timeColumn)?.type;
  const base = { dataset, columns: new Set(columns.map((c) => c.name)) };
  return { ...(dataset.timeColumn && timeType === 'TIMESTAMP' ? { time: dataset.timeColumn } : {}), integers: distinctBoundColumns(base, columns) };
}

/** An engine failure in the user's words; `of` says what failed, for the advice on running out of memory. */
export function describeEngineError(err: unknown, name: string, location?: string, of?: 'source' | 'sql' | 'panel'): string {
  const memory = describeOutOfMemory(err, name, location, of);
  if (memory) return memory;
  if (err instanceof EngineError && err.code === 'sourceUnreadable') {
    const detail = err.message.includes('WebAssembly') ? '' : ` ${err.message}`;
    return `Data source "${name}" could not be read${location ? ` (${location})` : ''}: the data was refused, went missing or is not a valid file.${detail}`;
  }
  return `${name}: ${err instanceof Error ? err.message : String(err)}`;
}
