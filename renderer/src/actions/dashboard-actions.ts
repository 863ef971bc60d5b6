// Opening, running, saving and restoring a dashboard, as plain functions over the store, the host
// and the engine, so they can be tested without React.
import type { AccessKeys, ConnectedSource, HostApi, HostErrorCode, RevisionInfo } from '../../../electron/api/host-api';
import { HostError } from '../../../electron/api/host-api';
import { loadDashboard, serializeDashboard } from '../../../dashboards/document';
import { authoredSql, sameAuthoredSql } from '../../../dashboards/authored-sql';
import type { DashboardFile, Source, View } from '../../../dashboards/schema';
import type { Engine } from '../../../queries/engine/engine';
import { DEFAULT_MEMORY_BUDGET_BYTES, isDataPanel, runDashboardQueries, SourceUnavailable, type LoadedDataset, type QueryEngine } from '../../../queries/dashboard-runner';
import { ResultCache } from '../../../queries/result-cache';
import { preloadECharts } from '../charts/lazy-echart';
import { preloadMarkdown } from '../components/lazy-markdown';
import { engineStartGate, noteStoredDraw, releaseEngineStart, storedDrawExpected, storedDrawExpectedFor } from '../engine-hold';
import { whenRunDrawn } from '../drawn-runs';
import type { PersistedResultsStore } from '../../../queries/persisted-results';
import { runDashboardChecks, wantsChecks } from './check-actions';
import { effectivePanels, refinementFor, type Exploration } from '../explore';
import { nextClicksEnabled, nextExplorations, precomputeNextClicks } from './next-clicks';
import { applyView } from '../views';
import { sqlMayRun, type Store } from '../store';
import { jsonToArrowOffThread } from '../json-off-thread';

export { isDataPanel };

export interface ActionDeps {
  host: HostApi;
  engine: () => Promise<Engine>;
  /** Stop what the engine runs now (terminating its worker); the next `engine()` starts afresh. */
  cancelEngine?: () => Promise<void>;
  /** Stop the engine so the next `engine()` starts afresh (false when none runs); see `freeEngineMemory`. */
  restartEngine?: () => boolean;
  /** Ask the user a yes/no question (window.confirm when absent). */
  confirm?: (message: string) => boolean;
  store: { getState(): Store };
  now?: () => number;
}

/** Whether a dashboard has SQL written by its author, which runs only once trusted. */
export function hasSql(dashboard: DashboardFile): boolean {
  return authoredSql(dashboard).length > 0;
}

/**
 * Open a dashboard file (the demo when no path is given) and run it. `opts.view` (a shared link's
 * view) is applied before the first run, so a link opens with one run, not the file's then the view's.
 */
export async function openDashboard(deps: ActionDeps, path?: string, opts: { view?: View } = {}): Promise<void> {
  const { store, host } = deps;
  performance.mark('northstar:open-start');
  // Start the engine now, while the file is read and parsed (the run awaits the same start).
  deps.engine().catch(() => {});
  // And ask for the memory budget now: the run needs it before it links the first source.
  void memoryBudgetBytes(host);
  let opened;
  try {
    opened = await host.openDashboard(path === undefined ? {} : { path });
  } catch (err) {
    store.getState().setOpenError({ kind: 'host', message: HostError.from(err).message });
    return;
  }
  const loaded = loadDashboard(opened.text);
  if (!loaded.ok) {
    store.getState().setOpenError(loaded.error);
    return;
  }
  clearDatasetCache();
  // Link the table datasets' sources now (the host asks S3 for each object's size and version),
  // while the page draws the dashboard, which takes longer: the run takes these answers over.
  linkEarly(deps.host, opened.path, loaded.dashboard);
  // A dashboard with charts needs ECharts in any case: load it before the first chart mounts
  // (`preloadChartsAhead`). In a task of its own (adding the chunks' preload links took 3–11 ms),
  // before the one that draws.
  const { panels } = loaded.dashboard;
  await nextTask();
  if (panels.some((p) => p.kind === 'chart')) preloadChartsAhead();
  // The page draws the dashboard in a task of its own, not in the one that read and checked the file.
  await nextTask();
  store.getState().setOpened({
    path: opened.path,
    dashboard: loaded.dashboard,
    diskHash: opened.diskHash,
    contentHash: opened.contentHash,
    trusted: opened.trusted,
    warnings: loaded.warnings,
  });
  if (!opened.trusted && hasSql(loaded.dashboard)) store.getState().setDrawer('review');
  // A text panel's Markdown renderer, after the task that draws the dashboard.
  setTimeout(() => {
    if (panels.some((p) => p.kind === 'text')) preloadMarkdown().catch(() => {});
  }, 0);
  const linked = opts.view;
  if (linked) {
    const applied = applyView(linked, loaded.dashboard);
    store.getState().edit(() => applied.dashboard);
    store.getState().setExplore(() => applied.explore);
    store.getState().setNotice({ tone: 'info', text: `Showing the shared view "${linked.name}".` });
  }
  await runDashboard(deps);
}

/** The longest a cold open's ECharts waits for its first panels' rows (`preloadChartsAhead`). */
const CHARTS_AHEAD_MAX_MS = 3000;
let chartsAhead: (() => void) | null = null;

/**
 * Load ECharts ahead of the first chart. On a re-open whose stored results draw (engine-hold.ts),
 * at once: they wait for it as soon as the host answers. On a cold open, once the run has its first
 * panels' rows (`RunOptions.onPaintBytes`), as their statements start in the engine's worker: its
 * code evaluated and warmed up (warm-up.ts) is about 0.3 s of this thread's work, and done while the
 * newest row groups downloaded it slowed their arrival (the page reads the response's chunks on
 * this thread). Measured in eight interleaved pairs of cold opens at 5M rows: the window in
 * ~666 → ~544 ms (medians) after the stored results' answer, all drawn 2.29 → 2.19 s; most of that
 * is the bench's, whose S3 runs at the lowest CPU priority (bench/README.md, session 26). At most
 * CHARTS_AHEAD_MAX_MS later, and a chart given a result loads it at once in any case (lazy-echart.tsx).
 */
function preloadChartsAhead(): void {
  if (storedDrawExpected()) {
    preloadECharts().catch(() => {});
    return;
  }
  const timer = setTimeout(releaseChartsAhead, CHARTS_AHEAD_MAX_MS);
  chartsAhead = () => {
    clearTimeout(timer);
    preloadECharts().catch(() => {});
  };
}

function releaseChartsAhead(): void {
  const load = chartsAhead;
  chartsAhead = null;
  load?.();
}

// The memory budget of a dataset load (and of a file loaded to profile, "New from data…"): the
// host's override (tests), else the app's default.
let memoryBudget: Promise<number> | null = null;
export function memoryBudgetBytes(host: HostApi): Promise<number> {
  // A host that cannot say (a test's partial host) gets the default, never a failed run.
  memoryBudget ??= Promise.resolve()
    .then(() => host.getAppInfo())
    .then(
      (info) => info.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES,
      () => DEFAULT_MEMORY_BUDGET_BYTES,
    );
  return memoryBudget;
}

// Datasets whose in-memory table ran out of memory, by their data (RunOptions.tablesOutOfMemory):
// kept for the page's life, across engines.
const tablesOutOfMemory = new Map<string, unknown>();

const watchedEngines = new WeakSet<Engine>();
let crashReruns = 0;

/**
 * When the engine's worker dies (a crash, an out-of-memory abort), run the dashboard again: the next
 * `deps.engine()` starts a fresh worker and the datasets load again, from the working copy in the
 * store, so unsaved edits are kept. Once per crash streak: data that kills the worker every time
 * must leave its errors on screen, not loop.
 */
function rerunAfterCrash(deps: ActionDeps, engine: Engine): void {
  if (watchedEngines.has(engine) || typeof engine.onCrash !== 'function') return;
  watchedEngines.add(engine);
  engine.onCrash(() => {
    if (crashReruns >= 1) return;
    crashReruns += 1;
    void runDashboard(deps);
  });
}

/**
 * After an out-of-memory error that the engine survived (DuckDB's own "Out of Memory Error"; an
 * abort stops the worker and is a crash, above), start a fresh engine and run the dashboard again:
 * the old worker keeps the memory it grew to for as long as it lives (wasm memory only grows), and
 * the new one holds only the data loaded again. For errors the run does not repeat: the user's own
 * queries (a SQL preview), and a table build after first paint (the run remembers it and reads the
 * fetched bytes instead); an out-of-memory load or panel query would only fail again. True when the
 * engine was restarted.
 */
export function freeEngineMemory(deps: ActionDeps): boolean {
  if (!deps.restartEngine?.()) return false;
  void runDashboard(deps);
  return true;
}

/**
 * Make every source a view (through the host's data gateway), load every dataset into memory,
 * and run every panel's query. A failing source, dataset or panel shows its error in place; the
 * others keep working. SQL datasets wait until the file is trusted.
 */
export async function runDashboard(deps: ActionDeps, keys?: { source: string; keys: AccessKeys }): Promise<void> {
  const state = deps.store.getState();
  const file = state.viewing?.dashboard ?? state.dashboard;
  const { path, explore } = state;
  const trusted = sqlMayRun(state);
  if (!file || !path) return;
  // Charts drilled to "show rows" run as tables of their rows.
  const dashboard = { ...file, panels: effectivePanels(file, explore) };
  const dataPanels = dashboard.panels.filter(isDataPanel);
  const runId = state.startRun(
    dashboard.datasets.map((d) => d.name),
    dataPanels.map((p) => p.id),
  );
  const store = () => deps.store.getState();
  // A run after the page's first (a click, a reload) before the stored draw was done: it needs the
  // engine and the data, which the held start would keep waiting.
  if (runId > 1) releaseEngineStart('another run');

  // Asked while the engine starts (once per app: the host's answer does not change).
  const budget = memoryBudgetBytes(deps.host);
  // The engine starts while the sources are linked and their bytes fetched: the runner waits for it
  // only at its first statement, so a cold open pays for the slower of the two, not their sum.
  const starting = deps.engine();
  starting.then(
    (e) => rerunAfterCrash(deps, e),
    () => {},
  );
  // A newer run of other data, or Cancel, stops this run's fetches. A run of the same data (a click
  // while the rest of a file downloads) lets them go on: the runner waits for that load.
  const dataKey = JSON.stringify([dashboard.sources, dashboard.datasets]);
  for (const [running, key] of runAborts) {
    if (key === dataKey) continue;
    running.abort();
    runAborts.delete(running);
  }
  const abort = new AbortController();
  runAborts.set(abort, dataKey);

  let dataRead = false;
  const ranOutBefore = tablesOutOfMemory.size;
  const now = (deps.now ?? Date.now)();
  await runDashboardQueries(
    startingEngine(starting),
    dashboard,
    {
      async linkSource(source) {
        try {
          const early = keys?.source === source.name ? undefined : takeEarlyLink(path, source);
          const connected = await (early ??
            deps.host.connectSource({
              dashboardPath: path,
              source,
              ...(keys && keys.source === source.name ? { keys: keys.keys } : {}),
            }));
          return { urls: connected.urls, location: connected.location, sizeBytes: connected.sizeBytes, ...(connected.versions ? { versions: connected.versions } : {}) };
        } catch (err) {
          const e = HostError.from(err);
          throw new SourceUnavailable(e.message, SHORT_REASONS[e.code]);
        }
      },
      onDataset: (name, s) => {
        // A dataset served from memory goes straight to "ready"; "loading" means its data was read.
        if (s.status === 'loading') dataRead = true;
        store().setDataset(runId, name, s);
      },
      onPanel: (id, s) => store().setPanel(runId, id, s),
    },
    {
      trusted,
      now,
      isStale: () => store().runId !== runId,
      refine: (panel) => refinementFor(panel, dashboard, explore),
      cache: datasetCache,
      results: resultCache,
      first: redrilled(explore),
      nextTask,
      raw: state.showRaw,
      memoryBudgetBytes: await budget,
      signal: abort.signal,
      persisted: persistedResults(deps.host, state.path),
      tablesOutOfMemory,
      onPaintBytes: releaseChartsAhead,
    },
  ).finally(() => {
    runAborts.delete(abort);
    releaseChartsAhead();
  });
  // A dataset's table ran out of memory after its panels drew, and it reads its fetched bytes. The
  // engine keeps the memory it grew to while it lives: start a fresh one and run again, which reads
  // the bytes from the start (from the data gateway's disk cache) and builds no table.
  if (tablesOutOfMemory.size > ranOutBefore && store().runId === runId && freeEngineMemory(deps)) return;
  // What the open linked early is this run's, or nobody's: a later run links afresh.
  earlyLinks.clear();
  let engine: Engine;
  try {
    engine = await starting;
  } catch (err) {
    const message = `The query engine could not start: ${(err as Error).message}`;
    store().setNotice({ tone: 'error', text: message });
    for (const p of dataPanels) store().setPanel(runId, p.id, { status: 'error', message });
    return;
  }
  // A run that finished on a live engine ends a crash streak: a later crash may re-run again.
  if (engine.alive) crashReruns = 0;
  // Checks judge whole datasets, not the filtered view: run them when data was read, not on every
  // filter or drill click (which only re-runs panel queries on data already in memory).
  // ...and when the corrections in effect changed (added, removed, raw data shown): checks read the corrected view.
  const corrections = JSON.stringify([file.corrections, state.showRaw]);
  const correctionsChanged = corrections !== checkedCorrections;
  if (wantsChecks(file) && (dataRead || correctionsChanged || store().checks === null)) {
    checkedCorrections = corrections;
    await runDashboardChecks(deps, runId);
  }
  // Idle until the user clicks: compute the charts' obvious next steps (next-clicks.ts), once this
  // run's panels are all drawn. A click answered from the result cache still draws its charts when
  // its run ends here; measured at 5M rows, the statements ahead began while two of its three charts
  // were still to draw, and their work (on both cores) slowed those draws.
  if (nextClicksEnabled() && store().runId === runId && engine.alive) {
    const memoryBudget = await budget;
    const isStale = () => store().runId !== runId || !engine.alive;
    void whenRunDrawn(runId, RUN_DRAWN_WAIT_MS).then(() => {
      if (isStale()) return;
      const shown = store().panels;
      const ahead = nextExplorations(file, explore, (id) => {
        const s = shown[id];
        return s?.status === 'ready' ? s.result : undefined;
      });
      if (ahead.length > 0) void precomputeNextClicks(engine, file, ahead, { trusted, now, cache: datasetCache, results: resultCache, raw: state.showRaw, memoryBudgetBytes: memoryBudget, isStale, whenIdle: pageIdle });
    });
  }
}

/**
 * Cancel the running dashboard: unfinished panels say "Cancelled", finished ones keep their
 * results, and the engine stops the query it runs. The engine's tables go with its worker, so
 * the next run loads every dataset again.
 */
export async function cancelRun(deps: ActionDeps): Promise<void> {
  for (const running of runAborts.keys()) running.abort();
  runAborts.clear();
  deps.store.getState().cancelRun();
  clearDatasetCache();
  await deps.cancelEngine?.();
}

// Sources linked as a dashboard opened, by dashboard path and source; each is taken by the first run.
let earlyLinks = new Map<string, Promise<ConnectedSource>>();

const linkKey = (path: string, source: Source) => JSON.stringify([path, source]);

/** Start linking the sources of a dashboard's table datasets (a SQL dataset's wait for trust). */
function linkEarly(host: HostApi, path: string, dashboard: DashboardFile): void {
  earlyLinks = new Map();
  const used = new Set(dashboard.datasets.flatMap((d) => (d.kind === 'table' ? [d.source] : [])));
  for (const source of dashboard.sources) {
    if (!used.has(source.name)) continue;
    const linking = host.connectSource({ dashboardPath: path, source });
    // Not taken (a run with new keys, or none): its failure is nobody's.
    linking.catch(() => {});
    earlyLinks.set(linkKey(path, source), linking);
  }
}

/** The early link of exactly this source of this dashboard, once. */
function takeEarlyLink(path: string, source: Source): Promise<ConnectedSource> | undefined {
  const key = linkKey(path, source);
  const found = earlyLinks.get(key);
  earlyLinks.delete(key);
  return found;
}

// The fetches of runs not finished, with the data each loads: aborted by a run of other data, or Cancel.
const runAborts = new Map<AbortController, string>();

/** Panel results kept by the host between sessions (persisted-results.ts), through the host API. */
function persistedResults(host: HostApi, path: string | null): PersistedResultsStore {
  return {
    // Async, so a host without these methods (a test's partial host) fails as a promise the runner catches.
    read: async (key) => {
      const entry = await host.readPanelResults({ key });
      // For the benchmark and tests: when the stored entry arrived, and how many results it held.
      performance.mark('northstar:stored-results', { detail: { results: entry?.results.length ?? 0 } });
      return entry;
    },
    write: async (key, entry) => {
      await host.storePanelResults({ key, entry });
      if (path !== null) noteStoredDraw(path, true);
    },
    // A dataset whose stored results cannot draw needs the engine now: a held start goes ahead.
    onEntry: (_dataset, drawable) => {
      if (path !== null) noteStoredDraw(path, drawable);
      if (!drawable) releaseEngineStart('not drawable');
    },
    // A dataset drawn from its stored results loads when the engine's held start goes ahead: once
    // every panel is drawn, or a dataset's stored results cannot draw (engine-hold.ts).
    beforeLoad: () => engineStartGate() ?? Promise.resolve(),
    // Not expected: the load reads its files' footers while the host looks for the entry.
    drawExpected: () => path !== null && storedDrawExpectedFor(path),
  };
}

/** The longest the next clicks wait for their run's panels to be drawn (drawn-runs.ts). */
const RUN_DRAWN_WAIT_MS = 2000;

/** Resolves once the page has nothing else to do (its queued chart draws done), or after a second at most. */
function pageIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 1000 });
    else setTimeout(resolve, 0);
  });
}

/** Resolves in a task of its own (a message to this page, which browsers do not delay as they do timers). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** The runner's engine while it may still be starting: every call waits for the start. */
function startingEngine(starting: Promise<Engine>): QueryEngine {
  return {
    exec: async (sql) => (await starting).exec(sql),
    query: async (sql) => (await starting).query(sql),
    describe: async (table) => (await starting).describe(table),
    registerFile: async (name, bytes) => (await starting).registerFile(name, bytes),
    dropFile: async (name) => (await starting).dropFile(name),
    insertArrow: async (name, ipc) => (await starting).insertArrow(name, ipc),
    jsonToArrow: jsonToArrowOffThread,
    // Calls reach the engine in the order they were made (each awaits the same start first).
    pipelined: true,
  };
}

// Datasets in memory for the open file: a filter or drill click re-runs only panel queries.
const datasetCache = new Map<string, LoadedDataset>();
// Panel results on that data, per SQL: flipping back to a filter already seen asks the engine nothing.
const resultCache = new ResultCache();
// The corrections (and raw flag) the last checks ran with.
let checkedCorrections = '';

// The exploration of the last run, to tell which chart a click just drilled.
let lastExplore: Exploration | null = null;

/** The charts whose drill path differs from the last run's: the one the user clicked runs first. */
function redrilled(explore: Exploration): Set<string> {
  const before = lastExplore?.drills ?? {};
  lastExplore = explore;
  const ids = new Set([...Object.keys(before), ...Object.keys(explore.drills)]);
  return new Set([...ids].filter((id) => JSON.stringify(before[id] ?? null) !== JSON.stringify(explore.drills[id] ?? null)));
}

/** Forget what is in memory, so the next run reads the data again (Refresh, opening a file). */
export function clearDatasetCache(): void {
  datasetCache.clear();
  // Results are keyed by data version, so none could be served again; drop them to free the memory.
  resultCache.clear();
}

const SHORT_REASONS: Record<HostErrorCode, string> = {
  accessDenied: 'access denied',
  notFound: 'not found',
  noSuchBucket: 'no such bucket',
  credentials: 'no credentials',
  network: 'unreachable',
  badRequest: 'invalid source',
  tooLarge: 'too large',
  conflict: 'conflict',
  internal: 'host error',
};

/** Point a source somewhere else (e.g. at S3) and run the dashboard again. Keys go to the host only. */
export async function changeSource(deps: ActionDeps, name: string, source: Source, keys?: AccessKeys): Promise<void> {
  deps.store.getState().edit((d) => ({ ...d, sources: d.sources.map((s) => (s.name === name ? source : s)) }));
  await runDashboard(deps, keys ? { source: source.name, keys } : undefined);
}

/** Undo or redo one edit; run the queries again when the edit touched what they read. */
export async function moveInHistory(deps: ActionDeps, direction: 'undo' | 'redo'): Promise<void> {
  const before = deps.store.getState().dashboard;
  if (direction === 'undo') deps.store.getState().undo();
  else deps.store.getState().redo();
  const after = deps.store.getState().dashboard;
  if (!before || !after || before === after) return;
  if (queryShape(before) !== queryShape(after)) await runDashboard(deps);
  // Undoing a pinned check (or redoing it) changes no panel query, but the findings must follow.
  else if (JSON.stringify([before.checks, before.panels.map((p) => p.kind)]) !== JSON.stringify([after.checks, after.panels.map((p) => p.kind)])) {
    await runDashboardChecks(deps);
  }
}

/** Everything that decides what the panels query; titles and layout do not. */
function queryShape(d: DashboardFile): string {
  return JSON.stringify([d.sources, d.datasets, d.timeRange, d.filters, d.corrections, d.panels.map((p) => ({ ...p, title: '' }))]);
}

/** Rename a panel. */
export function renamePanel(deps: Pick<ActionDeps, 'store'>, id: string, title: string): void {
  const clean = title.trim();
  if (!clean) return;
  deps.store.getState().edit((d) => ({ ...d, panels: d.panels.map((p) => (p.id === id && p.title !== clean ? { ...p, title: clean } : p)) }));
}

/** Rename the dashboard. */
export function renameDashboard(deps: Pick<ActionDeps, 'store'>, title: string): void {
  const clean = title.trim();
  if (!clean) return;
  deps.store.getState().edit((d) => (d.title === clean ? d : { ...d, title: clean }));
}

/**
 * Save the working copy as a new revision. When the file changed on disk since it was opened,
 * nothing is written: the conflict is put in the store for the user to resolve.
 */
export async function saveDashboard(
  deps: ActionDeps,
  opts: { message?: string; force?: boolean; asCopy?: boolean } = {},
): Promise<boolean> {
  const s = deps.store.getState();
  const { dashboard, path } = s;
  if (!dashboard || !path || s.viewing) return false;
  let target = path;
  let base = s.diskHash;
  for (let attempt = 1; attempt <= 50; attempt += 1) {
    if (opts.asCopy) {
      target = copyPath(path, attempt);
      base = null;
    }
    try {
      const saved = await deps.host.saveDashboard({
        path: target,
        text: serializeDashboard(dashboard),
        baseDiskHash: base,
        ...(opts.message ? { message: opts.message } : {}),
        ...(opts.force ? { force: true } : {}),
      });
      const reloaded = loadDashboard(saved.text);
      if (!reloaded.ok) throw new HostError('internal', `The saved file does not load back: ${reloaded.error.message}`);
      deps.store.getState().markSaved({ path: saved.path, dashboard: reloaded.dashboard, diskHash: saved.diskHash, contentHash: saved.contentHash, trusted: saved.trusted });
      deps.store.getState().setConflict(null);
      deps.store.getState().setNotice({ tone: 'info', text: `Saved revision ${saved.revisionNumber} to ${saved.path}` });
      return true;
    } catch (err) {
      const e = HostError.from(err);
      if (e.code === 'conflict' && opts.asCopy) continue; // that copy name is taken: try the next
      if (e.code === 'conflict' && e.conflict) {
        deps.store.getState().setConflict({ ...e.conflict, message: e.message });
        return false;
      }
      deps.store.getState().setNotice({ tone: 'error', text: `Could not save: ${e.message}` });
      return false;
    }
  }
  deps.store.getState().setNotice({ tone: 'error', text: 'Could not find a free name for the copy.' });
  return false;
}

/** "orders.dashboard.json" → "orders (copy).dashboard.json", then "(copy 2)", ... */
export function copyPath(path: string, attempt: number): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = path.slice(0, slash + 1);
  const file = path.slice(slash + 1);
  const dot = file.search(/(\.dashboard)?\.json$/i);
  const stem = dot === -1 ? file : file.slice(0, dot);
  const ext = dot === -1 ? '.dashboard.json' : file.slice(dot);
  return `${dir}${stem} (copy${attempt > 1 ? ` ${attempt}` : ''})${ext}`;
}

/** Throw away the working copy and open the file as it is on disk now. */
export async function reloadFromDisk(deps: ActionDeps): Promise<void> {
  const { path } = deps.store.getState();
  deps.store.getState().setConflict(null);
  await openDashboard(deps, path ?? undefined);
}

/** The user reviewed the SQL: remember the trust on this machine and run it. */
export async function trustAndRun(deps: ActionDeps): Promise<void> {
  const { contentHash } = deps.store.getState();
  if (contentHash) {
    try {
      await deps.host.trustDashboard({ contentHash });
    } catch (err) {
      deps.store.getState().setNotice({ tone: 'error', text: `Could not remember the trust: ${HostError.from(err).message}` });
    }
  }
  deps.store.getState().setTrusted(true);
  deps.store.getState().setDrawer(null);
  await runDashboard(deps);
}

/** The history of the open file, newest first. */
export async function listHistory(deps: ActionDeps): Promise<RevisionInfo[]> {
  const { path } = deps.store.getState();
  if (!path) return [];
  return deps.host.listRevisions({ path });
}

async function readRevisionDoc(deps: ActionDeps, contentHash: string): Promise<DashboardFile> {
  const { path } = deps.store.getState();
  if (!path) throw new HostError('badRequest', 'No dashboard is open.');
  const { text } = await deps.host.readRevision({ path, contentHash });
  const loaded = loadDashboard(text);
  if (!loaded.ok) throw new HostError('internal', `That revision does not load: ${loaded.error.message}`);
  return loaded.dashboard;
}

/** Show a revision read-only instead of the working copy. */
export async function viewRevision(deps: ActionDeps, revision: RevisionInfo): Promise<void> {
  try {
    const doc = await readRevisionDoc(deps, revision.contentHash);
    const { trusted, dashboard: current } = deps.store.getState();
    // A revision's SQL runs under the working copy's trust only if it is the same SQL: history files
    // can be edited by hand or arrive with a shared folder, and their revision hashes prove nothing.
    const same = current !== null && sameAuthoredSql(doc, current);
    deps.store.getState().setViewing({ number: revision.number, dashboard: doc, trusted: trusted && same });
    deps.store.getState().setDrawer(null);
    if (!same && hasSql(doc)) {
      deps.store.getState().setNotice({ tone: 'info', text: `Revision ${revision.number} has SQL that differs from the current version, so it does not run while you view it. Restore the revision to review its SQL.` });
    }
    await runDashboard(deps);
  } catch (err) {
    deps.store.getState().setNotice({ tone: 'error', text: HostError.from(err).message });
  }
}

/** Back from a read-only revision to the working copy. */
export async function stopViewing(deps: ActionDeps): Promise<void> {
  deps.store.getState().setViewing(null);
  await runDashboard(deps);
}

/** Make a revision's content the working copy and save it as a new revision (undoable). */
export async function restoreRevision(deps: ActionDeps, revision: RevisionInfo): Promise<void> {
  try {
    const doc = await readRevisionDoc(deps, revision.contentHash);
    const wasViewing = deps.store.getState().viewing !== null;
    const before = deps.store.getState().dashboard;
    // Restoring saves the revision as a new one made from the trusted working copy, which trusts
    // it: SQL that differs from the working copy's is shown first and restored only when accepted.
    const differing = before === null || sameAuthoredSql(doc, before) ? [] : authoredSql(doc);
    if (differing.length > 0) {
      const listed = differing.map((a) => `${a.what}:\n${a.sql.length > 600 ? `${a.sql.slice(0, 600)}…` : a.sql}`).join('\n\n');
      const confirm = deps.confirm ?? ((message: string) => window.confirm(message));
      if (!confirm(`Revision ${revision.number} brings SQL that differs from the current version. Restoring it lets this SQL run on this machine, with your data access:\n\n${listed}\n\nRestore it?`)) {
        deps.store.getState().setNotice({ tone: 'info', text: `Revision ${revision.number} was not restored.` });
        return;
      }
    }
    deps.store.getState().setViewing(null);
    deps.store.getState().edit((current) => ({ ...doc, id: current.id, revision: current.revision }));
    deps.store.getState().setDrawer(null);
    await saveDashboard(deps, { message: `Restored revision ${revision.number}` });
    const after = deps.store.getState().dashboard;
    if (wasViewing || !before || !after || queryShape(before) !== queryShape(after)) await runDashboard(deps);
  } catch (err) {
    deps.store.getState().setNotice({ tone: 'error', text: HostError.from(err).message });
  }
}

/** A revision's document, for comparing with the working copy. */
export async function loadRevisionForCompare(deps: ActionDeps, revision: RevisionInfo): Promise<DashboardFile> {
  return readRevisionDoc(deps, revision.contentHash);
}

/** Change the exploration (click filter, drill path, grain) and re-run the panel queries. */
export async function explore(deps: ActionDeps, change: (e: Exploration) => Exploration): Promise<void> {
  deps.store.getState().setExplore(change);
  await runDashboard(deps);
}

/** Change the dashboard's saved filters or time range (undoable) and re-run. */
export async function editFilters(deps: ActionDeps, change: (d: DashboardFile) => DashboardFile): Promise<void> {
  deps.store.getState().edit(change);
  await runDashboard(deps);
}

/** Switch to a saved or shared view: its period and filters (undoable) and its exploration. */
export async function showView(deps: ActionDeps, view: View): Promise<void> {
  const { dashboard } = deps.store.getState();
  if (!dashboard) return;
  const applied = applyView(view, dashboard);
  deps.store.getState().edit(() => applied.dashboard);
  deps.store.getState().setExplore(() => applied.explore);
  await runDashboard(deps);
}
