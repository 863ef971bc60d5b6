// The dashboard's data-quality checks, run in the app on the datasets the run just loaded, so the
// anomaly panel judges exactly the rows the other panels show.
import type { AnomalyPanel, ChartPanel, Check, DashboardFile, Dataset, KpiPanel, Measure } from '../../../dashboards/schema';
import type { QueryEngine } from '../../../queries/dashboard-runner';
import { datasetTable } from '../../../queries/dashboard-runner';
import { runChecks, type CheckResult, type DatasetLookup } from '../../../queries/checks/index';
import { scanCheckParams, type ScanFinding } from '../../../queries/checks/scan';
import { freshPanelId } from './panel-actions';
import { sqlMayRun, type Store } from '../store';

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
    results = await runChecks(engine, dashboard, lookup, { asOf: now, trusted: sqlMayRun(state), affected: true });
  } catch (err) {
    // runChecks turns a failing check into an "error" result; only the engine itself gets here.
    const message = `the checks could not run: ${err instanceof Error ? err.message : String(err)}`;
    results = dashboard.checks.map((c) => ({ id: c.id, title: c.title, rule: c.rule, severity: c.severity, status: 'error', observed: null, expected: '', owner: c.owner ?? null, examples: [], message }));
  }
  deps.store.getState().setChecks(runId, { results, ranAt: now });
}

// ---- Authoring checks: pinned from a panel's menu or from a scan's findings. ----

/** A check proposed to the user: edited in a dialog, then added; or why none can be proposed. */
export type CheckProposal = { ok: true; check: Check } | { ok: false; reason: string };

/** An id no check of the dashboard uses yet, from a readable stem (a valid name: letters, digits, _). */
export function freshCheckId(d: DashboardFile, stem: string, also: readonly string[] = []): string {
  const base = stem.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^([^A-Za-z_])/, '_$1').replace(/_+$/, '').slice(0, 56) || 'check';
  const taken = new Set([...d.checks.map((c) => c.id), ...also]);
  if (!taken.has(base)) return base;
  for (let i = 2; ; i += 1) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

const ownerOf = (d: DashboardFile) => (d.owner.trim() === '' ? {} : { owner: d.owner.trim() });
const measureName = (m: Measure) => m.label ?? m.name;

/**
 * "Watch this measure for jumps": a total_jump check on the daily sum behind a KPI's or chart's
 * (first) measure, or a volume check for a row count, guarding the panel.
 */
export function proposeJumpCheck(d: DashboardFile, panel: KpiPanel | ChartPanel, dataset: Dataset): CheckProposal {
  const name = panel.kind === 'kpi' ? panel.measure : panel.measures[0];
  const measure = dataset.measures.find((m) => m.name === name);
  if (!measure) return { ok: false, reason: `the panel's measure "${name ?? ''}" is not defined in dataset "${dataset.name}"` };
  if (!dataset.timeColumn) return { ok: false, reason: `dataset "${dataset.name}" has no time column, so there are no days to compare` };
  const base = { dataset: dataset.name, severity: 'warn' as const, guards: [panel.id], ...ownerOf(d) };
  if (measure.agg === 'sum' && measure.column) {
    return {
      ok: true,
      check: { ...base, id: freshCheckId(d, `jump_${measure.name}`), title: `Daily ${measureName(measure)} within its usual range`, rule: 'total_jump', params: { column: measure.column } },
    };
  }
  if (measure.agg === 'count') {
    return { ok: true, check: { ...base, id: freshCheckId(d, `jump_${measure.name}`), title: `Daily ${measureName(measure)} within its usual range`, rule: 'volume', params: {} } };
  }
  return {
    ok: false,
    reason: `jumps are watched on a daily sum or count; "${measureName(measure)}" is ${measure.agg === 'ratio' ? 'a ratio' : `a ${measure.agg.replace('_', ' ')}`}, which does not add up over days`,
  };
}

/** The string dimensions a panel's dataset has, for "Watch a column for misspellings…". */
export function spellingColumns(dataset: Dataset, columnTypes: ReadonlyMap<string, string> | null): Dataset['dimensions'] {
  // Without the loaded types (dataset not loaded), every dimension is offered; the check says if one is not text.
  return dataset.dimensions.filter((dim) => columnTypes === null || /^(Utf8|VARCHAR)/i.test(columnTypes.get(dim.column) ?? ''));
}

/** "Watch a column for misspellings": near_duplicate_values on one dimension's column, guarding the panel. */
export function proposeSpellingCheck(d: DashboardFile, panel: KpiPanel | ChartPanel, dataset: Dataset, dimension: string): CheckProposal {
  const dim = dataset.dimensions.find((x) => x.name === dimension);
  if (!dim) return { ok: false, reason: `dataset "${dataset.name}" has no dimension "${dimension}"` };
  return {
    ok: true,
    check: {
      id: freshCheckId(d, `spelling_${dim.name}`),
      title: `${dim.label ?? dim.name} values are spelt consistently`,
      dataset: dataset.name,
      rule: 'near_duplicate_values',
      params: { column: dim.column },
      severity: 'warn',
      guards: [panel.id],
      ...ownerOf(d),
    },
  };
}

const FINDING_TITLES: Record<string, (column: string) => string> = {
  duplicate_key: (c) => `Each ${c} once`,
  near_duplicate_values: (c) => `${c} values are spelt consistently`,
  unexpected_values: (c) => `No new ${c} values this week`,
  null_rate: (c) => `No spike of missing ${c}`,
  range: (c) => `${c} is never negative`,
  volume: () => 'Rows per day within the usual range',
  total_jump: (c) => `Daily total of ${c} within its usual range`,
  freshness: () => 'The data is fresh',
};
/** Rules that take a timeColumn param. */
const TIMED_RULES = new Set(['duplicate_key', 'unexpected_values', 'null_rate', 'range', 'volume', 'total_jump', 'freshness']);

/**
 * The check that keeps watching what a scan found: the same rule, column and params as the scan
 * (scanCheckParams), on the dataset, with the scan's time column when it is not the dataset's.
 * `taken` holds ids proposed alongside, so several proposals never share one.
 */
export function checkFromFinding(d: DashboardFile, dataset: Dataset, finding: ScanFinding, scanTime: string | null, taken: readonly string[] = []): CheckProposal {
  const params = scanCheckParams(finding.rule, finding.column);
  const title = FINDING_TITLES[finding.rule];
  if (!params || !title) return { ok: false, reason: `no check is proposed for rule "${finding.rule}"` };
  const timed = TIMED_RULES.has(finding.rule) && scanTime !== null && scanTime !== dataset.timeColumn && finding.rule !== 'range';
  const column = finding.column ?? '';
  return {
    ok: true,
    check: {
      id: freshCheckId(d, `${finding.rule}${finding.column !== null && finding.rule !== 'volume' && finding.rule !== 'freshness' ? `_${finding.column}` : ''}`, taken),
      title: title(column),
      dataset: dataset.name,
      rule: finding.rule,
      params: timed ? { ...params, timeColumn: scanTime } : params,
      severity: finding.severity,
      guards: [],
      ...ownerOf(d),
    },
  };
}

/**
 * Add checks to a dashboard (one undoable edit). They show in an anomaly panel: one listing every
 * check, else the first one gets their ids, else (when `addPanel`) a new one below the others.
 */
export function addChecks(d: DashboardFile, checks: readonly Check[], addPanel: boolean): DashboardFile {
  if (checks.length === 0) return d;
  const ids = checks.map((c) => c.id);
  const clash = ids.find((id, i) => ids.indexOf(id) !== i || d.checks.some((c) => c.id === id));
  if (clash !== undefined) throw new Error(`a check "${clash}" already exists`);
  const next: DashboardFile = { ...d, checks: [...d.checks, ...checks] };
  const anomalies = d.panels.filter((p): p is AnomalyPanel => p.kind === 'anomaly');
  if (anomalies.length > 0) {
    if (anomalies.some((p) => p.checks.length === 0)) return next;
    const first = anomalies[0] as AnomalyPanel;
    return { ...next, panels: next.panels.map((p) => (p === first ? { ...first, checks: [...first.checks, ...ids] } : p)) };
  }
  if (!addPanel) return next;
  const id = freshPanelId(d, 'data_checks');
  const bottom = d.layout.reduce((max, l) => Math.max(max, l.y + l.h), 0);
  return {
    ...next,
    panels: [...next.panels, { id, kind: 'anomaly', title: 'Data checks', followFilters: true, checks: [] }],
    layout: [...next.layout, { panel: id, x: 0, y: bottom, w: 12, h: 6 }],
  };
}

/** Pin checks to the open dashboard (undoable), then run the checks again on the loaded data. */
export async function pinChecks(deps: CheckDeps, checks: readonly Check[], addPanel: boolean): Promise<void> {
  deps.store.getState().edit((d) => addChecks(d, checks, addPanel));
  await runDashboardChecks(deps);
}
