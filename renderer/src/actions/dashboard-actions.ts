// Opening, running and saving a dashboard, as plain functions over the store, the host and the
// engine, so they can be tested without React.
import type { AccessKeys, HostApi, HostErrorCode } from '../../../electron/api/host-api';
import { HostError } from '../../../electron/api/host-api';
import { loadDashboard, serializeDashboard } from '../../../dashboards/document';
import type { Dataset, DashboardFile, Source } from '../../../dashboards/schema';
import { EngineError, type Engine } from '../../../queries/engine/engine';
import { newestTimestampQuery, panelQuery, resolvePeriod, type DatasetContext } from '../../../queries/panel-queries';
import { Sql, ident } from '../../../queries/sql';
import type { Store } from '../store';

export interface ActionDeps {
  host: HostApi;
  engine: () => Promise<Engine>;
  store: { getState(): Store };
  now?: () => number;
}

/** Open a dashboard file (the demo when no path is given) and run it. */
export async function openDashboard(deps: ActionDeps, path?: string): Promise<void> {
  const { store, host } = deps;
  performance.mark('northstar:open-start');
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
  store.getState().setOpened(opened.path, loaded.dashboard);
  await runDashboard(deps);
}

/** The in-memory table a dataset is loaded into. */
export function datasetTable(dataset: Dataset): string {
  return `ds_${dataset.name}`;
}

/**
 * Load every dataset (through the host's data gateway, into memory) and run every panel's query.
 * A failing source or panel shows its error in place; the others keep working.
 */
export async function runDashboard(deps: ActionDeps, keys?: { source: string; keys: AccessKeys }): Promise<void> {
  const state = deps.store.getState();
  const { dashboard, path } = state;
  if (!dashboard || !path) return;
  const runId = state.startRun(
    dashboard.datasets.map((d) => d.name),
    dashboard.panels.map((p) => p.id),
  );
  const fail = (message: string, panelIds: string[]) => {
    for (const id of panelIds) deps.store.getState().setPanel(runId, id, { status: 'error', message });
  };

  let engine: Engine;
  try {
    engine = await deps.engine();
  } catch (err) {
    const message = `The query engine could not start: ${(err as Error).message}`;
    deps.store.getState().setNotice({ tone: 'error', text: message });
    fail(message, dashboard.panels.map((p) => p.id));
    return;
  }

  for (const dataset of dashboard.datasets) {
    const panels = dashboard.panels.filter((p) => p.dataset === dataset.name);
    const ctx = await loadDataset(deps, runId, engine, dashboard, path, dataset, keys);
    if ('error' in ctx) {
      // The full message is shown once, above the grid; each panel says briefly why it is empty.
      fail(`No data: source "${dataset.source}" is unavailable (${ctx.reason}).`, panels.map((p) => p.id));
      continue;
    }
    for (const panel of panels) {
      let sql: Sql;
      try {
        sql = panelQuery(panel, ctx);
      } catch (err) {
        fail((err as Error).message, [panel.id]);
        continue;
      }
      try {
        const result = await engine.query(sql);
        deps.store.getState().setPanel(runId, panel.id, { status: 'ready', result, sql: sql.text });
      } catch (err) {
        fail(describeEngineError(err, dataset.source), [panel.id]);
      }
    }
  }
}

async function loadDataset(
  deps: ActionDeps,
  runId: number,
  engine: Engine,
  dashboard: DashboardFile,
  dashboardPath: string,
  dataset: Dataset,
  keys: { source: string; keys: AccessKeys } | undefined,
): Promise<DatasetContext | { error: string; reason: string }> {
  const set = (s: Parameters<Store['setDataset']>[2]) => deps.store.getState().setDataset(runId, dataset.name, s);
  const source = dashboard.sources.find((s) => s.name === dataset.source);
  if (!source) {
    const error = `Dataset "${dataset.name}" refers to a data source "${dataset.source}" that the dashboard does not declare.`;
    set({ status: 'error', message: error });
    return { error, reason: 'not declared' };
  }
  let connected;
  try {
    connected = await deps.host.connectSource({
      dashboardPath,
      source,
      ...(keys && keys.source === source.name ? { keys: keys.keys } : {}),
    });
  } catch (err) {
    const hostError = HostError.from(err);
    set({ status: 'error', message: hostError.message });
    return { error: hostError.message, reason: SHORT_REASONS[hostError.code] };
  }
  set({ status: 'loading', location: connected.location });
  const table = datasetTable(dataset);
  try {
    const columns = await engine.loadTable(table, connected.url, source.format);
    const names = new Set(columns.map((c) => c.name));
    const count = await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', ident(table)));
    const base = { dataset, table, columns: names };
    const newestSql = newestTimestampQuery(base);
    const newest = newestSql ? ((await engine.query(newestSql)).rows[0]?.newest ?? null) : null;
    const period = resolvePeriod(dashboard.timeRange, typeof newest === 'number' ? newest : null, (deps.now ?? Date.now)());
    set({ status: 'ready', location: connected.location, rowCount: Number(count.rows[0]?.n ?? 0), columns, period });
    return { ...base, period };
  } catch (err) {
    const error = describeEngineError(err, source.name, connected.location);
    set({ status: 'error', message: error, location: connected.location });
    return { error, reason: 'could not be read' };
  }
}

const SHORT_REASONS: Record<HostErrorCode, string> = {
  accessDenied: 'access denied',
  notFound: 'not found',
  noSuchBucket: 'no such bucket',
  credentials: 'no credentials',
  network: 'unreachable',
  badRequest: 'invalid source',
  tooLarge: 'too large',
  internal: 'host error',
};

function describeEngineError(err: unknown, sourceName: string, location?: string): string {
  if (err instanceof EngineError && err.code === 'sourceUnreadable') {
    return `Data source "${sourceName}" could not be read${location ? ` (${location})` : ''}: the data was refused, went missing or is not a valid file. ${err.message.includes('WebAssembly') ? '' : err.message}`.trim();
  }
  return err instanceof Error ? err.message : String(err);
}

/** Point a source somewhere else (e.g. at S3) and run the dashboard again. Keys go to the host only. */
export async function changeSource(deps: ActionDeps, name: string, source: Source, keys?: AccessKeys): Promise<void> {
  deps.store.getState().replaceSource(name, source);
  await runDashboard(deps, keys ? { source: source.name, keys } : undefined);
}

/** Save the dashboard to its file, deterministically serialized. */
export async function saveDashboard(deps: ActionDeps): Promise<void> {
  const { dashboard, path } = deps.store.getState();
  if (!dashboard || !path) return;
  try {
    const saved = await deps.host.saveDashboard({ path, text: serializeDashboard(dashboard) });
    deps.store.getState().markSaved(saved.path);
    deps.store.getState().setNotice({ tone: 'info', text: `Saved ${saved.path}` });
  } catch (err) {
    deps.store.getState().setNotice({ tone: 'error', text: `Could not save: ${HostError.from(err).message}` });
  }
}
