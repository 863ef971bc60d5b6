// Data sources as plain functions over the host, the engine and the store (testable without
// React): what a source reads, a sample of each loaded dataset, adding a source, pointing one
// elsewhere. Keys go to the host only; nothing here keeps them.
import type { AccessKeys, SourceListing } from '../../../electron/api/host-api';
import { HostError } from '../../../electron/api/host-api';
import type { DashboardFile, Dataset, Source } from '../../../dashboards/schema';
import { Source as SourceSchema, TableDataset } from '../../../dashboards/schema';
import { newSourceNameClash } from '../../../dashboards/engine-names';
import { datasetTable } from '../../../queries/dashboard-runner';
import type { QueryResult } from '../../../queries/engine/engine';
import { ident, Sql } from '../../../queries/sql';
import { changeSource, clearDatasetCache, runDashboard, type ActionDeps } from './dashboard-actions';

/** How many rows the Data sources dialog shows of each dataset. */
export const SAMPLE_ROW_COUNT = 5;

/** The first rows of a dataset, as loaded in memory. */
export function sampleQuery(dataset: Dataset): Sql {
  return Sql.concat('SELECT * FROM ', ident(datasetTable(dataset)), ' LIMIT 5');
}

/** Query a sample of a loaded dataset through the engine. */
export async function sampleDataset(deps: Pick<ActionDeps, 'engine'>, dataset: Dataset): Promise<QueryResult> {
  const engine = await deps.engine();
  return engine.query(sampleQuery(dataset));
}

/** The files a source reads (count, sizes), as the host lists them. */
export async function listSource(deps: Pick<ActionDeps, 'host' | 'store'>, source: Source): Promise<SourceListing> {
  const { path } = deps.store.getState();
  if (!path) throw new HostError('badRequest', 'No dashboard is open.');
  return deps.host.listSourceObjects({ dashboardPath: path, source });
}

/** One problem with a source form, by field ("name", "path", "uri", ...; "" for the whole form). */
export interface SourceFormError {
  field: string;
  message: string;
}

export type SourceCheck = { ok: true; source: Source } | { ok: false; errors: SourceFormError[] };

/**
 * Validate a source from a form with the dashboard schema. For a new source (`adding`), its name
 * must also be free: a table dataset of the same name comes with it, and the engine names source
 * views after sources and dataset tables `ds_<dataset>`.
 */
export function checkSource(dashboard: DashboardFile, candidate: unknown, adding: boolean): SourceCheck {
  const errors: SourceFormError[] = [];
  const parsed = SourceSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? '');
      if (!errors.some((e) => e.field === field)) errors.push({ field, message: issue.message });
    }
  }
  const name = (candidate as { name?: unknown } | null)?.name;
  if (adding && typeof name === 'string' && !errors.some((e) => e.field === 'name')) {
    const table = datasetTable(TableDataset.parse({ name, kind: 'table', source: name }));
    const refuse = (message: string) => errors.push({ field: 'name', message });
    if (dashboard.sources.some((s) => s.name === name)) refuse(`"${name}" is already the name of a data source`);
    else if (dashboard.datasets.some((d) => d.name === name)) refuse(`"${name}" is already the name of a dataset`);
    else if (dashboard.datasets.some((d) => datasetTable(d) === name)) refuse(`"${name}" is the name of a dataset's table in the engine`);
    else if (dashboard.sources.some((s) => s.name === table)) refuse(`"${name}" would get the table "${table}", which is the name of a data source`);
    else {
      // The rest of the engine's names: ds_raw_<name>, case-insensitive matches, correction tables.
      const clash = newSourceNameClash(dashboard.sources, dashboard.datasets, name);
      if (clash !== null) refuse(clash);
    }
  }
  return parsed.success && errors.length === 0 ? { ok: true, source: parsed.data } : { ok: false, errors };
}

/**
 * Add a source and a table dataset of the same name (no measures yet, so its columns show) as one
 * undoable edit, then run the dashboard.
 */
export async function addSource(deps: ActionDeps, source: Source, keys?: AccessKeys): Promise<void> {
  const dataset = TableDataset.parse({ name: source.name, kind: 'table', source: source.name });
  await declareTyped(deps, source, keys);
  deps.store.getState().edit((d) => ({ ...d, sources: [...d.sources, source], datasets: [...d.datasets, dataset] }));
  await runDashboard(deps, keys ? { source: source.name, keys } : undefined);
}

/** Point a source somewhere else, as typed in the dialog, and run the dashboard again. */
export async function applySourceChange(deps: ActionDeps, name: string, source: Source, keys?: AccessKeys): Promise<void> {
  await declareTyped(deps, source, keys);
  await changeSource(deps, name, source, keys);
}

/**
 * Forget the keys typed for an S3 source (this session and the encrypted store on disk), say so,
 * and run again: the source is then read with the machine's AWS credentials, if any.
 */
export async function forgetSourceKeys(deps: ActionDeps, source: Source): Promise<void> {
  const where = source.kind === 's3' ? source.uri : source.name;
  try {
    const { forgotten } = await deps.host.forgetSourceKeys({ source });
    deps.store.getState().setNotice({ tone: 'info', text: forgotten ? `Forgot the keys typed for ${where}.` : `No keys were kept for ${where}.` });
  } catch (err) {
    deps.store.getState().setNotice({ tone: 'error', text: `Could not forget the keys for ${where}: ${HostError.from(err).message}` });
    return;
  }
  // Read the source again now, without the keys: data loaded with them does not stay on show as if
  // it could still be read.
  clearDatasetCache();
  await runDashboard(deps);
}

/** Re-run the dashboard: every source is connected and every dataset loaded again. */
export async function refreshSources(deps: ActionDeps): Promise<void> {
  await runDashboard(deps);
}

/**
 * Tell the host the user typed this source: a local pattern outside the dashboard's folder may
 * then be read in this session, and typed keys are remembered before the run (so the listing in
 * the dialog can use them too). A failure is not reported here: the run reports it with the others.
 */
async function declareTyped(deps: ActionDeps, source: Source, keys: AccessKeys | undefined): Promise<void> {
  const { path } = deps.store.getState();
  if (!path) return;
  try {
    await deps.host.listSourceObjects({ dashboardPath: path, source, typedByUser: true, ...(keys ? { keys } : {}) });
  } catch {
    // Shown by the run that follows, in the dataset's status and the panels.
  }
}
