// Exploration: how filters, the click filter and drill-downs narrow each panel. Pure functions of
// the dashboard and the exploration state, so they are testable without React or an engine.
import type { ChartPanel, DashboardFile, Dataset, DataPanel, Panel, TablePanel, TimeGrain } from '../../dashboards/schema';
import type { QueryResult, Row, Scalar } from '../../queries/engine/engine';
import type { PanelRefinement } from '../../queries/panel-queries';
import { formatTimeBucket } from './format';
import { savedFilterMembers } from '../../queries/filters';

const DAY_MS = 86_400_000;

/** One step down a drill path. */
export type DrillStep =
  | { kind: 'member'; dimension: string; value: string | null }
  | { kind: 'time'; start: number; end: number; label: string };

export interface PanelDrill {
  steps: DrillStep[];
  /** The last level: the underlying rows instead of the chart. */
  showRows: boolean;
}

/** A member clicked in one panel that filters the others. */
export interface ClickFilter {
  panelId: string;
  dimension: string;
  value: string | null;
}

export interface Exploration {
  crossFilter: boolean;
  clickFilter: ClickFilter | null;
  drills: Record<string, PanelDrill>;
  grain: TimeGrain | null;
}

export const NO_EXPLORATION: Exploration = { crossFilter: true, clickFilter: null, drills: {}, grain: null };

function hasDimension(dataset: Dataset | undefined, dimension: string): boolean {
  return dataset?.dimensions.some((d) => d.name === dimension) ?? false;
}

/** Where a dimension chart stands in its dataset's drill hierarchy after some member steps. */
export function drillLevel(panel: ChartPanel, dataset: Dataset | undefined, drill: PanelDrill | undefined) {
  if (panel.x.type !== 'dimension') return null;
  const start = panel.x.dimension;
  // A heatmap's cells lead to their rows, not down a hierarchy (its y would not follow).
  if (panel.chart === 'heatmap') return { dimension: start, next: null as string | null, hierarchy: null as null | { name: string; levels: string[] } };
  const memberSteps = (drill?.steps ?? []).filter((s) => s.kind === 'member').length;
  const hierarchy = dataset?.hierarchies.find((h) => h.levels.includes(start));
  if (!hierarchy) return { dimension: start, next: null as string | null, hierarchy: null as null | { name: string; levels: string[] } };
  const index = hierarchy.levels.indexOf(start) + memberSteps;
  const dimension = hierarchy.levels[Math.min(index, hierarchy.levels.length - 1)] ?? start;
  const next = hierarchy.levels[index + 1] ?? null;
  return { dimension, next, hierarchy };
}

/** The finer grain a time chart drills to (year and quarter → month → day; week → day), or null at the finest. */
export function finerGrain(grain: TimeGrain): TimeGrain | null {
  switch (grain) {
    case 'year':
    case 'quarter':
      return 'month';
    case 'month':
    case 'week':
      return 'day';
    case 'day':
      return null;
  }
}

/** The end of a time bucket that starts at `start` (epoch ms, UTC-naive). */
export function bucketEnd(start: number, grain: TimeGrain): number {
  if (grain === 'day') return start + DAY_MS;
  if (grain === 'week') return start + 7 * DAY_MS;
  const d = new Date(start);
  const months = grain === 'month' ? 1 : grain === 'quarter' ? 3 : 12;
  // setUTCFullYear (unlike Date.UTC) keeps years below 100 as they are.
  const end = new Date(0);
  end.setUTCFullYear(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
  return end.getTime();
}

/** The grain a time chart currently draws: its own (or the chosen one), one step finer per time bucket drilled into. */
export function currentGrain(panel: ChartPanel, explore: Exploration): TimeGrain {
  if (panel.x.type !== 'time') return 'day';
  let grain: TimeGrain = explore.grain ?? panel.x.grain;
  // Heatmaps never zoom: their time steps only lead to rows.
  if (panel.chart === 'heatmap') return grain;
  for (const step of explore.drills[panel.id]?.steps ?? []) {
    if (step.kind === 'time') grain = finerGrain(grain) ?? grain;
  }
  return grain;
}

/** The filters, click filter and drill path that narrow one panel. */
export function refinementFor(panel: DataPanel, dashboard: DashboardFile, explore: Exploration): PanelRefinement {
  const dataset = dashboard.datasets.find((d) => d.name === panel.dataset);
  const members: NonNullable<PanelRefinement['members']> = [];
  const refine: PanelRefinement = { members };
  members.push(...savedFilterMembers(panel, dashboard));
  if (panel.followFilters) {
    if (explore.crossFilter) {
      // Other panels' clicks and drill paths are the context every other panel follows.
      const click = explore.clickFilter;
      if (click && click.panelId !== panel.id && hasDimension(dataset, click.dimension)) members.push({ dimension: click.dimension, values: [click.value] });
      for (const [id, drill] of Object.entries(explore.drills)) {
        if (id === panel.id) continue;
        for (const step of drill.steps) {
          if (step.kind === 'member' && hasDimension(dataset, step.dimension)) members.push({ dimension: step.dimension, values: [step.value] });
          if (step.kind === 'time') refine.window = { start: step.start, end: step.end };
        }
      }
    }
  }
  const own = explore.drills[panel.id];
  for (const step of own?.steps ?? []) {
    if (step.kind === 'member') members.push({ dimension: step.dimension, values: [step.value] });
    // Steps narrow each other: a heatmap cell of two time axes is where both buckets overlap.
    else refine.window = refine.window ? { start: Math.max(refine.window.start, step.start), end: Math.min(refine.window.end, step.end) } : { start: step.start, end: step.end };
  }
  if (panel.kind === 'chart') {
    const level = drillLevel(panel, dataset, own);
    if (level && level.dimension !== (panel.x.type === 'dimension' ? panel.x.dimension : '')) refine.xDimension = level.dimension;
    if (panel.x.type === 'time') {
      const grain = currentGrain(panel, explore);
      if (grain !== panel.x.grain) refine.grain = grain;
    }
  }
  return refine;
}

/** The rows behind a chart: the time column, every dimension and every measured column. */
export function rowsPanel(panel: DataPanel, dataset: Dataset): TablePanel {
  const columns = [
    ...(dataset.timeColumn ? [dataset.timeColumn] : []),
    ...dataset.dimensions.map((d) => d.column),
    ...dataset.measures.flatMap((m) => (m.column ? [m.column] : [])),
  ];
  const unique = [...new Set(columns)].slice(0, 64);
  return {
    id: panel.id,
    kind: 'table',
    title: panel.title,
    dataset: dataset.name,
    followFilters: panel.followFilters,
    columns: unique,
    ...(dataset.timeColumn ? { orderBy: { column: dataset.timeColumn, direction: 'desc' as const } } : {}),
    limit: 500,
    pageSize: 50,
    rules: [],
  };
}

/** The panels as drawn right now: a chart drilled to "show rows" becomes a table of its rows. */
export function effectivePanels(dashboard: DashboardFile, explore: Exploration): Panel[] {
  return dashboard.panels.map((p) => {
    if (p.kind !== 'chart' || !explore.drills[p.id]?.showRows) return p;
    const dataset = dashboard.datasets.find((d) => d.name === p.dataset);
    return dataset ? rowsPanel(p, dataset) : p;
  });
}

/** "All regions", "EMEA", "Germany": the breadcrumb labels of a drilled panel. */
export function breadcrumbs(panel: ChartPanel, dataset: Dataset | undefined, drill: PanelDrill | undefined): string[] {
  if (!drill || (drill.steps.length === 0 && !drill.showRows)) return [];
  let root: string;
  if (panel.x.type === 'dimension') {
    const dimName = panel.x.dimension;
    const dim = dataset?.dimensions.find((d) => d.name === dimName);
    root = `All ${pluralize((dim?.label ?? dim?.name ?? 'members').toLowerCase())}`;
  } else {
    root = 'All time';
  }
  const crumbs = [root, ...drill.steps.map((s) => (s.kind === 'member' ? (s.value ?? '(null)') : s.label))];
  if (drill.showRows) crumbs.push('Rows');
  return crumbs;
}

function pluralize(word: string): string {
  if (/(s|x|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** One thing a click on a chart member can do: its menu label, its kind, and the exploration it leads to. */
export interface ChartAction {
  label: string;
  /** drill: the next level of the hierarchy; zoom: a finer time grain; rows: the rows behind it; filter: the other panels. */
  kind: 'drill' | 'zoom' | 'rows' | 'filter';
  run: (e: Exploration) => Exploration;
}

function withDrill(e: Exploration, panelId: string, step: DrillStep, showRows: boolean): Exploration {
  const current = e.drills[panelId] ?? { steps: [], showRows: false };
  return { ...e, drills: { ...e.drills, [panelId]: { steps: [...current.steps, step], showRows } } };
}

function timeLabel(start: number, grain: TimeGrain): string {
  const label = formatTimeBucket(start, grain);
  return grain === 'week' ? `week of ${label}` : label;
}

/** The drill step to one value of a chart axis: a time bucket or a dimension member. */
function axisStep(axis: NonNullable<ChartPanel['y']>, value: Scalar | undefined, grain: TimeGrain): { step: DrillStep; label: string } | null {
  if (axis.type === 'time') {
    if (typeof value !== 'number') return null;
    const label = timeLabel(value, grain);
    return { step: { kind: 'time', start: value, end: bucketEnd(value, grain), label }, label };
  }
  const member = value === null || value === undefined ? null : String(value);
  return { step: { kind: 'member', dimension: axis.dimension, value: member }, label: member ?? '(null)' };
}

/** A heatmap cell: its rows, or its x (and y) member as the other panels' filter. No zoom: the cell's row axis would not follow. */
function heatmapActions(panel: ChartPanel, row: Row, state: Exploration): { title: string; actions: ChartAction[] } | null {
  if (!panel.y) return null;
  const x = axisStep(panel.x, row.x, currentGrain(panel, state));
  const y = axisStep(panel.y, row.y, panel.y.type === 'time' ? panel.y.grain : 'day');
  if (!x || !y) return null;
  const title = `${x.label} × ${y.label}`;
  const actions: ChartAction[] = [{ label: `Show rows for ${title}`, kind: 'rows', run: (e) => withDrill(withDrill(e, panel.id, x.step, false), panel.id, y.step, true) }];
  if (state.crossFilter) {
    for (const { step, label } of [x, y]) {
      if (step.kind === 'member') {
        actions.push({ label: `Filter other panels to ${label}`, kind: 'filter', run: (e) => ({ ...e, clickFilter: { panelId: panel.id, dimension: step.dimension, value: step.value } }) });
      }
    }
  }
  return { title, actions };
}

/** What a click on one member of a chart can do. */
export function chartActions(panel: ChartPanel, dataset: Dataset, result: QueryResult, dataIndex: number, state: Exploration): { title: string; actions: ChartAction[] } | null {
  const row = result.rows[dataIndex];
  if (!row) return null;
  const drill = state.drills[panel.id];
  if (panel.chart === 'heatmap') return heatmapActions(panel, row, state);
  if (panel.x.type === 'time') {
    if (typeof row.x !== 'number') return null;
    const grain = currentGrain(panel, state);
    const start = row.x;
    const step: DrillStep = { kind: 'time', start, end: bucketEnd(start, grain), label: timeLabel(start, grain) };
    const actions: ChartAction[] = [];
    const finer = finerGrain(grain);
    if (finer) actions.push({ label: `Zoom into ${step.label} by ${finer}`, kind: 'zoom', run: (e) => withDrill(e, panel.id, step, false) });
    actions.push({ label: `Show rows for ${step.label}`, kind: 'rows', run: (e) => withDrill(e, panel.id, step, true) });
    return { title: step.label, actions };
  }
  const level = drillLevel(panel, dataset, drill);
  if (!level) return null;
  const value = row.x === null ? null : String(row.x);
  const shown = value ?? '(null)';
  const dim = dataset.dimensions.find((d) => d.name === level.dimension);
  const step: DrillStep = { kind: 'member', dimension: level.dimension, value };
  const actions: ChartAction[] = [];
  if (level.next) {
    const nextDim = dataset.dimensions.find((d) => d.name === level.next);
    actions.push({ label: `Drill into ${shown} by ${(nextDim?.label ?? level.next).toLowerCase()}`, kind: 'drill', run: (e) => withDrill(e, panel.id, step, false) });
  }
  actions.push({ label: `Show rows for ${shown}`, kind: 'rows', run: (e) => withDrill(e, panel.id, step, true) });
  if (state.crossFilter) {
    actions.push({ label: `Filter other panels to ${shown}`, kind: 'filter', run: (e) => ({ ...e, clickFilter: { panelId: panel.id, dimension: level.dimension, value } }) });
  }
  return { title: `${dim?.label ?? level.dimension}: ${shown}`, actions };
}
