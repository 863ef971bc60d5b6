// The dashboard's data-quality checks, run in the app on the datasets the run just loaded, so the
// anomaly panel judges exactly the rows the other panels show.
import type { DashboardFile } from '../../../dashboards/schema';
import type { QueryEngine } from '../../../queries/dashboard-runner';
import { datasetTable } from '../../../queries/dashboard-runner';
import { runChecks, type CheckResult, type DatasetLookup } from '../../../queries/checks/index';
import type { Store } from '../store';

export interface CheckDeps {
  engine: () => Promise<QueryEngine>;
  store: { getState(): Store };
  now?: () => number;
}

/** Whether a run should check the data: the file has checks and a panel that shows them. */
export function wantsChecks(dashboard: DashboardFile): boolean {
  return dashboard.checks.length > 0 && dashboard.panels.some((p) => p.kind === 'anomaly');
}

/**
 * Run the checks of the dashboard on screen for run `runId` and store the results; a run that is
 * no longer the current one stores nothing. custom_sql checks run only for a trusted file.
 */
export async function runDashboardChecks(deps: CheckDeps, runId: number = deps.store.getState().runId): Promise<void> {
  const state = deps.store.getState();
  const dashboard = state.viewing?.dashboard ?? state.dashboard;
  if (!dashboard || state.runId !== runId || !wantsChecks(dashboard)) return;
  const now = (deps.now ?? Date.now)();
  const lookup: DatasetLookup = (name) => {
    const dataset = dashboard.datasets.find((d) => d.name === name);
    const loaded = deps.store.getState().datasets[name];
    if (!dataset || !loaded) return undefined;
    switch (loaded.status) {
      case 'ready':
        return { dataset, table: datasetTable(dataset), columns: new Set(loaded.columns.map((c) => c.name)), period: loaded.period };
      case 'error':
        return { error: `dataset "${name}" could not be loaded: ${loaded.message}` };
      case 'needsTrust':
        return { error: `dataset "${name}" runs its own SQL: it loads once you trust the file` };
      case 'loading':
      case 'cancelled':
        return { error: `dataset "${name}" did not load` };
    }
  };
  let results: CheckResult[];
  try {
    const engine = await deps.engine();
    if (deps.store.getState().runId !== runId) return;
    results = await runChecks(engine, dashboard, lookup, { asOf: now, trusted: state.trusted });
  } catch (err) {
    // runChecks turns a failing check into an "error" result; only the engine itself gets here.
    const message = `the checks could not run: ${err instanceof Error ? err.message : String(err)}`;
    results = dashboard.checks.map((c) => ({ id: c.id, title: c.title, rule: c.rule, severity: c.severity, status: 'error', observed: null, expected: '', owner: c.owner ?? null, examples: [], message }));
  }
  deps.store.getState().setChecks(runId, { results, ranAt: now });
}
