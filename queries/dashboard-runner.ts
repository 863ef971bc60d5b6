// Running a dashboard: sources become views, datasets load into memory, every panel's SQL runs.
// The app and the headless CLI share this, so both show exactly the same numbers.
import type { DashboardFile, DataPanel, Dataset, Panel, Source } from '../dashboards/schema';
import type { QueryResult } from './engine/engine';
import { EngineError } from './engine/engine';
import { correctedViewSql, type CorrectionProblem } from './corrections';
import { newestTimestampQuery, panelQuery, resolvePeriod, type DatasetContext, type Period, type PanelRefinement } from './panel-queries';
import type { ResultCache } from './result-cache';
import { Sql, createSourceView, createTableAs, createViewAs, dropRelation, ident, parquetSizeEstimate, relationKind, selectAll, userSelect } from './sql';

/** What the runner needs from an engine (the browser Engine and the CLI's Node engine both fit). */
export interface QueryEngine {
  exec(sql: Sql): Promise<void>;
  query(sql: Sql): Promise<QueryResult>;
  describe(table: string): Promise<{ name: string; type: string }[]>;
}

/** Where a source's data can be read: one or more URLs or paths the engine can open. */
export interface LinkedSource {
  urls: string[];
  location: string;
  /** Bytes of all its files when the host knows them (a HEAD or a listing); lets small sources skip the estimate. */
  sizeBytes?: number | null;
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

export type DatasetRunState =
  | { status: 'loading'; location?: string }
  | { status: 'ready'; location: string; rowCount: number; columns: { name: string; type: string }[]; period: Period | null; corrections?: CorrectionsState; scan?: ScanMode }
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
 * The app's memory budget for one dataset load. DuckDB-WASM 1.28.0 is wasm32: its whole heap lives
 * in a 4 GiB address space, shared by the loaded tables, query intermediates (a GROUP BY or the
 * dedupe correction can briefly need as much again) and the engine itself. A load estimated above
 * 2 GiB (about half of it, leaving the rest for queries) is read from disk instead of risking an
 * out-of-memory crash mid-load.
 */
export const DEFAULT_MEMORY_BUDGET_BYTES = 2 * 1024 ** 3;

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

export type PanelRunState =
  | { status: 'loading' }
  | { status: 'ready'; result: QueryResult; sql: string }
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
  /**
   * The corrected view now in the engine, and what it holds (its key: the corrections and raw flag).
   * `version` is new every time the view is made, which is every load, corrections change and raw
   * toggle: results computed on an older version are never served for this one.
   */
  view?: { key: string; version: string; rowCount: number; newest: number | null; corrections: CorrectionsState };
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

  const links = new Map<string, Promise<LinkedSource>>();
  const link = (source: Source): Promise<LinkedSource> => {
    let linked = links.get(source.name);
    if (!linked) {
      linked = (async () => {
        const found = await cb.linkSource(source);
        try {
          await engine.exec(createSourceView(source.name, found.urls, source.format));
        } catch (err) {
          throw new SourceUnavailable(describeEngineError(err, source.name, found.location), 'could not be read');
        }
        return found;
      })();
      links.set(source.name, linked);
    }
    return linked;
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
    for (const panel of panels) {
      if (stale()) return;
      let sql: Sql;
      try {
        sql = panelQuery(panel, ctx, opts.refine?.(panel));
      } catch (err) {
        fail((err as Error).message, [panel.id]);
        continue;
      }
      const kept = opts.results?.get(dataset.name, ctx.version, sql.text);
      if (kept) {
        // A new object around the same rows: views that redraw when their result changes (charts
        // report "drawn" only after drawing) treat a kept result like a fresh one.
        cb.onPanel(panel.id, { status: 'ready', result: { ...kept }, sql: sql.text });
        continue;
      }
      try {
        const result = await engine.query(sql);
        if (stale()) return;
        // Only a current run keeps results: a stale one may have read a view remade under it.
        opts.results?.set(dataset.name, ctx.version, sql.text, result);
        cb.onPanel(panel.id, { status: 'ready', result, sql: sql.text });
      } catch (err) {
        // A cancelled run's engine fails every call in flight: that is not the panel's error.
        if (stale()) return;
        fail(describeEngineError(err, dataset.name), [panel.id]);
      }
    }
  }
}

async function loadDataset(
  engine: QueryEngine,
  dashboard: DashboardFile,
  dataset: Dataset,
  link: (s: Source) => Promise<LinkedSource>,
  cb: RunCallbacks,
  opts: RunOptions,
): Promise<(DatasetContext & { version: string }) | { error: string; reason: string }> {
  const failed = (error: string, reason: string, location?: string) => {
    cb.onDataset(dataset.name, { status: 'error', message: error, ...(location ? { location } : {}) });
    return { error, reason };
  };
  // A table dataset reads its source; a SQL dataset may read any of them.
  const needed = dataset.kind === 'table' ? dashboard.sources.filter((s) => s.name === dataset.source) : dashboard.sources;
  const table = datasetTable(dataset);
  const rawTable = rawDatasetTable(dataset);
  // The budget decides table or view, so a dataset loaded under another budget is loaded again.
  const cacheKey = JSON.stringify([dataset, needed, opts.memoryBudgetBytes ?? null]);
  const cached = opts.cache?.get(cacheKey);
  if (cached) {
    // The data is in memory; corrections may have changed since, so the view may need re-making.
    let view;
    try {
      view = await correctedView(engine, dashboard, dataset, cached, opts);
    } catch (err) {
      return failed(describeEngineError(err, dataset.name, cached.location), 'corrections failed', cached.location);
    }
    const period = resolvePeriod(dashboard.timeRange, view.newest, opts.now);
    cb.onDataset(dataset.name, { status: 'ready', location: cached.location, rowCount: view.rowCount, columns: cached.columns, period, corrections: view.corrections, ...(cached.scan ? { scan: cached.scan } : {}) });
    return { dataset, table, columns: new Set(cached.columns.map((c) => c.name)), period, version: view.version };
  }
  if (dataset.kind === 'table' && needed.length === 0) {
    return failed(`Dataset "${dataset.name}" refers to a data source "${dataset.source}" that the dashboard does not declare.`, 'not declared');
  }
  const locations: string[] = [];
  const linked: LinkedSource[] = [];
  for (const source of needed) {
    try {
      const found = await link(source);
      linked.push(found);
      locations.push(found.location);
    } catch (err) {
      // A SQL dataset may not need every source: DuckDB says so if it does.
      if (dataset.kind === 'sql') continue;
      return err instanceof SourceUnavailable ? failed(err.message, err.reason) : failed(String((err as Error).message ?? err), 'unavailable');
    }
  }
  const location = locations.join(', ') || 'SQL';
  cb.onDataset(dataset.name, { status: 'loading', location });
  try {
    const select = dataset.kind === 'table' ? selectAll(dataset.source) : userSelect(dataset.sql);
    const scan = dataset.kind === 'table' && needed[0]?.format === 'parquet' ? await scanMode(engine, linked[0]?.urls ?? [], opts.memoryBudgetBytes, linked[0]?.sizeBytes ?? null) : null;
    // A name is a table or a view, and DuckDB replaces neither by the other: drop an earlier load of the other kind.
    const existing = String((await engine.query(relationKind(rawTable))).rows[0]?.kind ?? '');
    if (scan) {
      if (existing === 'BASE TABLE') await engine.exec(dropRelation(rawTable, 'table'));
      await engine.exec(createViewAs(rawTable, select));
    } else {
      if (existing === 'VIEW') await engine.exec(dropRelation(rawTable, 'view'));
      await engine.exec(createTableAs(rawTable, select));
    }
    const columns = await engine.describe(rawTable);
    const count = await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', ident(rawTable)));
    const rowCount = Number(count.rows[0]?.n ?? 0);
    const loaded: LoadedDataset = { columns, rowCount, location, newest: null, table: rawTable, ...(scan ? { scan } : {}) };
    const view = await correctedView(engine, dashboard, dataset, loaded, opts);
    const period = resolvePeriod(dashboard.timeRange, view.newest, opts.now);
    // One entry per table: an older load of this dataset (another definition or projection) is gone
    // from the engine, and so is the view it described.
    for (const [key, entry] of opts.cache ?? []) if (entry.table === rawTable) opts.cache?.delete(key);
    opts.cache?.set(cacheKey, loaded);
    cb.onDataset(dataset.name, { status: 'ready', location, rowCount: view.rowCount, columns, period, corrections: view.corrections, ...(scan ? { scan } : {}) });
    return { dataset, table, columns: new Set(columns.map((c) => c.name)), period, version: view.version };
  } catch (err) {
    const name = dataset.kind === 'table' ? dataset.source : dataset.name;
    return failed(describeEngineError(err, name, location), dataset.kind === 'sql' ? 'SQL error' : 'could not be read', location);
  }
}

/** Uncompressed size over compressed size a Parquet file is assumed never to exceed (typical: 2–10×). */
const MAX_PARQUET_EXPANSION = 20;

/**
 * Scan mode when the Parquet files' estimated size is above the budget, else null (load into memory).
 * An estimate the engine cannot make (old footers, a refused read) loads as before: the load itself
 * then reports any real problem with the files.
 */
async function scanMode(engine: QueryEngine, urls: readonly string[], budgetBytes: number | undefined, fileBytes: number | null): Promise<ScanMode | null> {
  if (budgetBytes === undefined || urls.length === 0) return null;
  // Files far below the budget even at a generous compression ratio load without reading their
  // footers first: the footer reader is a second code path over files that may be damaged (the
  // Parquet corpus), and the load itself reports a damaged file clearly.
  if (fileBytes !== null && fileBytes * MAX_PARQUET_EXPANSION < budgetBytes) return null;
  let estimateBytes: number;
  try {
    estimateBytes = Number((await engine.query(parquetSizeEstimate(urls))).rows[0]?.bytes);
  } catch {
    return null;
  }
  return Number.isFinite(estimateBytes) && estimateBytes > budgetBytes ? { estimateBytes, budgetBytes } : null;
}

/**
 * Make `ds_<name>` the view of the raw table with the dataset's corrections (none with `raw`), unless
 * the view in the engine already is that one; returns what the view holds. Corrections that do not
 * validate are left out, and a view the engine refuses falls back to the raw data: both are reported
 * as problems, never as a blank dashboard.
 */
async function correctedView(engine: QueryEngine, dashboard: DashboardFile, dataset: Dataset, loaded: LoadedDataset, opts: RunOptions): Promise<NonNullable<LoadedDataset['view']>> {
  const raw = opts.raw ?? false;
  const corrections = dashboard.corrections.filter((c) => c.dataset === dataset.name);
  const key = JSON.stringify([corrections, raw]);
  if (loaded.view?.key === key) return loaded.view;
  const table = datasetTable(dataset);
  const rawTable = rawDatasetTable(dataset);
  const planned = correctedViewSql(table, rawTable, dataset.name, corrections, loaded.columns, raw);
  const problems = [...planned.problems];
  let applied = planned.applied;
  try {
    for (const statement of planned.prepare) await engine.exec(statement);
    await engine.exec(planned.sql);
  } catch (err) {
    if (applied.length === 0) throw err;
    // A dataset read from disk has no load order (rowid), which "keep one row per key" needs.
    const why = loaded.scan && String((err as Error)?.message ?? err).includes('rowid') ? ' (it is too large to load and is read from disk, where rows have no load order)' : '';
    problems.push({ id: applied.join(', '), message: `The corrections of dataset ${dataset.name} could not be applied${why}, so it shows raw data: ${describeEngineError(err, dataset.name)}` });
    applied = [];
    await engine.exec(correctedViewSql(table, rawTable, dataset.name, [], loaded.columns, true).sql);
  }
  const base = { dataset, table, columns: new Set(loaded.columns.map((c) => c.name)) };
  const count = applied.length === 0 ? loaded.rowCount : Number((await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', ident(table)))).rows[0]?.n ?? 0);
  const newestSql = newestTimestampQuery(base);
  const newest = newestSql ? ((await engine.query(newestSql)).rows[0]?.newest ?? null) : null;
  dataVersions += 1;
  const view = { key, version: String(dataVersions), rowCount: count, newest: typeof newest === 'number' ? newest : null, corrections: { applied, problems, raw, rawRowCount: loaded.rowCount } };
  loaded.view = view;
  loaded.newest = view.newest;
  return view;
}

/** An engine failure in the user's words. */
export function describeEngineError(err: unknown, name: string, location?: string): string {
  if (err instanceof EngineError && err.code === 'sourceUnreadable') {
    const detail = err.message.includes('WebAssembly') ? '' : ` ${err.message}`;
    return `Data source "${name}" could not be read${location ? ` (${location})` : ''}: the data was refused, went missing or is not a valid file.${detail}`;
  }
  return `${name}: ${err instanceof Error ? err.message : String(err)}`;
}
