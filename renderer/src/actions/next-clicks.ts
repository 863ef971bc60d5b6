// The next clicks, answered before they are made. Once a run has drawn every panel (and its checks
// ran), the engine is idle until the user clicks. The charts' menus offer a few obvious next steps:
// drill the biggest bars into their next level, zoom a time bucket, filter the other panels to a
// member. Their panel queries run now, one statement at a time, into the result cache, so the click
// is answered from memory. Any run the user starts makes this stale: it stops after the statement
// under way (at most one statement's wait for that click).
//
// The results are those a run would compute: the same SQL (the runner's own, from the exploration
// the menu action leads to) on the same data version. Only datasets already in memory are read
// (`memoryOnly`): nothing is loaded, fetched or read from disk. Off with the palette's
// "Precompute next clicks" toggle (remembered on this machine).
import type { DashboardFile } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import type { Sql } from '../../../queries/sql';
import { runDashboardQueries, type QueryEngine, type RunOptions } from '../../../queries/dashboard-runner';
import { chartCategories } from '../charts/chart-options';
import { chartActions, currentGrain, effectivePanels, refinementFor, type ChartAction, type Exploration } from '../explore';

/**
 * How far ahead to look: members per chart, explorations in all (each is one run's panel queries),
 * and statements in all (a dashboard of many panels reaches it before its explorations run out).
 */
export interface NextClicksLimits {
  membersPerChart: number;
  explorations: number;
  statements: number;
}

export const NEXT_CLICKS_LIMITS: NextClicksLimits = { membersPerChart: 6, explorations: 24, statements: 160 };

/** The menu actions whose results are precomputed; "Show rows" (up to 500 rows each) is left to the click. */
const AHEAD: ReadonlySet<ChartAction['kind']> = new Set(['drill', 'zoom', 'filter']);

const STORAGE_KEY = 'northstar.nextClicks';

/** The performance mark left as each statement run ahead is sent (detail: `{ sql }`). */
export const NEXT_CLICKS_SQL = 'northstar:next-clicks-sql';

// The choice when there is no storage, or it refuses (a private window): it lasts until the page goes.
let unstored: boolean | null = null;

/** Whether next clicks are precomputed on this machine (on unless turned off). */
export function nextClicksEnabled(): boolean {
  if (unstored !== null) return unstored;
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setNextClicksEnabled(on: boolean): void {
  try {
    const storage = globalThis.localStorage;
    if (!storage) throw new Error('no storage');
    if (on) storage.removeItem(STORAGE_KEY);
    else storage.setItem(STORAGE_KEY, 'off');
    unstored = null;
  } catch {
    unstored = on;
  }
}

/**
 * The explorations one click on a chart leads to from `explore`: each chart's members in the order a
 * reader meets them (largest bar first; a time chart's newest bucket first), taken rank by rank
 * across the charts, each with its drill, zoom and filter actions. No duplicates, at most `limits.explorations`.
 */
export function nextExplorations(
  dashboard: DashboardFile,
  explore: Exploration,
  resultOf: (panelId: string) => QueryResult | undefined,
  limits: Pick<NextClicksLimits, 'membersPerChart' | 'explorations'> = NEXT_CLICKS_LIMITS,
): Exploration[] {
  // Per chart, per member (in reading order), the explorations its menu leads to.
  const perChart: Exploration[][][] = [];
  for (const panel of effectivePanels(dashboard, explore)) {
    if (panel.kind !== 'chart') continue;
    const dataset = dashboard.datasets.find((d) => d.name === panel.dataset);
    const result = resultOf(panel.id);
    if (!dataset || !result || result.rows.length === 0) continue;
    const categories = chartCategories(panel, result, currentGrain(panel, explore)).filter((c) => !c.other);
    const ordered = panel.x.type === 'time' ? categories.reverse() : categories;
    perChart.push(
      ordered.slice(0, limits.membersPerChart).map((category) =>
        (chartActions(panel, dataset, result, category.row, explore)?.actions ?? []).filter((a) => AHEAD.has(a.kind)).map((a) => a.run(explore)),
      ),
    );
  }
  const out: Exploration[] = [];
  const seen = new Set<string>([JSON.stringify(explore)]);
  for (let rank = 0; perChart.some((members) => rank < members.length); rank++) {
    for (const candidate of perChart.flatMap((members) => members[rank] ?? [])) {
      if (out.length >= limits.explorations) return out;
      const key = JSON.stringify(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(candidate);
    }
  }
  return out;
}

/** What a run of next clicks did (also left as the `northstar:next-clicks` performance measure). */
export interface NextClicksDone {
  explorations: number;
  statements: number;
  /** Stopped before every exploration ran: by a run the user started (or another change), or at the statement budget. */
  stopped: boolean;
}

/** Thrown into the runner by a statement not sent because the work went stale while it waited. */
class StaleAhead extends Error {}

/**
 * Compute the panels of each exploration ahead into `opts.results`, one statement at a time, while
 * `opts.isStale` stays false. `opts` are the options of the run that just drew (its cache, results,
 * budget, trust and time); what would load, fetch or store anything is left out. `opts.whenIdle`:
 * awaited before each statement, so that the page's own work (drawing the checks' marks on the
 * charts as the clicks ahead begin) does not share the machine with the engine's (measured at 5M
 * rows: chart draws of ~13 ms of work took 52–78 ms while a statement ran ahead).
 */
export async function precomputeNextClicks(
  engine: QueryEngine,
  dashboard: DashboardFile,
  explorations: readonly Exploration[],
  opts: Pick<RunOptions, 'trusted' | 'now' | 'cache' | 'results' | 'raw' | 'memoryBudgetBytes'> & { isStale: () => boolean; whenIdle?: () => Promise<void> },
  maxStatements = NEXT_CLICKS_LIMITS.statements,
): Promise<NextClicksDone> {
  const started = performance.now();
  let statements = 0;
  // A long session keeps only the newest marks.
  if (performance.getEntriesByName(NEXT_CLICKS_SQL).length > 2000) performance.clearMarks(NEXT_CLICKS_SQL);
  // Not pipelined: a click waits for the one statement under way, never for one queued behind it.
  // Each statement is marked (`northstar:next-clicks-sql`, detail: its SQL), so the benchmark and
  // tests tell the statements run ahead from those a click asked for.
  const ahead = async (sql: Sql) => {
    await opts.whenIdle?.();
    if (opts.isStale()) throw new StaleAhead('a run the user started came first');
    statements++;
    performance.mark(NEXT_CLICKS_SQL, { detail: { sql: sql.text } });
  };
  const counted: QueryEngine = {
    exec: async (sql) => (await ahead(sql), engine.exec(sql)),
    query: async (sql) => (await ahead(sql), engine.query(sql)),
    describe: (table) => engine.describe(table),
  };
  let ran = 0;
  // Past the budget the runner stops as it would for a click (before its next panel).
  const stopped = () => opts.isStale() || statements >= maxStatements;
  for (const explore of explorations) {
    if (stopped()) break;
    const shown = { ...dashboard, panels: effectivePanels(dashboard, explore) };
    await runDashboardQueries(
      counted,
      shown,
      { linkSource: () => Promise.reject(new Error('next clicks read only data in memory')), onDataset: () => {}, onPanel: () => {} },
      { ...opts, isStale: stopped, refine: (panel) => refinementFor(panel, shown, explore), memoryOnly: true },
    ).catch(() => {});
    if (!stopped()) ran++;
  }
  const done = { explorations: ran, statements, stopped: ran < explorations.length };
  performance.measure('northstar:next-clicks', { start: started, end: performance.now(), detail: done });
  return done;
}
