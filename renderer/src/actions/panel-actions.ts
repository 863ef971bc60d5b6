// Authoring: add, duplicate, delete and change panels, and move or resize them on the grid.
// Pure functions from one dashboard to the next; the store applies each as one undoable edit.
import type { DashboardFile, LayoutItem, Panel } from '../../../dashboards/schema';

export type NewPanelKind = 'kpi' | 'chart' | 'table' | 'text';

const COLS = 12;

/** An id not used by any panel yet, from a readable stem. */
export function freshPanelId(d: DashboardFile, stem: string): string {
  const base = stem.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1').slice(0, 56) || 'panel';
  const taken = new Set(d.panels.map((p) => p.id));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i += 1) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** The row just below everything on the grid. */
function bottom(layout: LayoutItem[]): number {
  return layout.reduce((max, l) => Math.max(max, l.y + l.h), 0);
}

/** A sensible new panel of a kind, on the first dataset, placed below the others. */
export function addPanel(d: DashboardFile, kind: NewPanelKind, tableColumns: string[] = []): { dashboard: DashboardFile; id: string } {
  const ds = d.datasets[0];
  const id = freshPanelId(d, `new_${kind}`);
  const base = { id, followFilters: true };
  let panel: Panel;
  if (kind === 'text' || !ds) {
    panel = { ...base, kind: 'text', title: 'Notes', markdown: '## Notes\n\nWrite what this dashboard is for, and who to ask.' };
  } else if (kind === 'kpi') {
    panel = {
      ...base,
      kind: 'kpi',
      title: ds.measures[0]?.label ?? 'New KPI',
      dataset: ds.name,
      measure: ds.measures[0]?.name ?? '',
      comparison: 'previous_period',
      goodDirection: 'up',
      sparkline: false,
      format: 'auto',
    };
  } else if (kind === 'chart') {
    const dim = ds.dimensions[0];
    panel = {
      ...base,
      kind: 'chart',
      title: 'New chart',
      dataset: ds.name,
      chart: dim ? 'horizontal_bar' : 'line',
      x: dim ? { type: 'dimension', dimension: dim.name } : { type: 'time', grain: 'day' },
      measures: ds.measures[0] ? [ds.measures[0].name] : [],
      sort: dim ? 'value_desc' : 'label',
      limit: dim ? 10 : 1000,
      otherBucket: false,
      axisFormat: 'auto',
    };
  } else {
    const columns = tableColumns.length > 0 ? tableColumns.slice(0, 8) : ds.dimensions.map((x) => x.column).slice(0, 8);
    panel = { ...base, kind: 'table', title: 'New table', dataset: ds.name, columns, limit: 100, pageSize: 25, rules: [] };
  }
  const size = kind === 'kpi' ? { w: 3, h: 2 } : kind === 'text' ? { w: 4, h: 3 } : { w: 6, h: 6 };
  const item: LayoutItem = { panel: id, x: 0, y: bottom(d.layout), ...size };
  return { dashboard: { ...d, panels: [...d.panels, panel], layout: [...d.layout, item] }, id };
}

/** A copy of a panel next to (or below) the original. */
export function duplicatePanel(d: DashboardFile, id: string): { dashboard: DashboardFile; id: string } | null {
  const panel = d.panels.find((p) => p.id === id);
  const item = d.layout.find((l) => l.panel === id);
  if (!panel) return null;
  const copyId = freshPanelId(d, `${id}_copy`);
  const copy: Panel = { ...panel, id: copyId, title: `${panel.title} (copy)`.slice(0, 300) };
  const fitsRight = item && item.x + 2 * item.w <= COLS;
  const placed: LayoutItem = item
    ? fitsRight
      ? { ...item, panel: copyId, x: item.x + item.w }
      : { ...item, panel: copyId, x: 0, y: bottom(d.layout) }
    : { panel: copyId, x: 0, y: bottom(d.layout), w: 6, h: 6 };
  const index = d.panels.findIndex((p) => p.id === id);
  const panels = [...d.panels.slice(0, index + 1), copy, ...d.panels.slice(index + 1)];
  return { dashboard: { ...d, panels, layout: [...d.layout, placed] }, id: copyId };
}

/** Remove a panel, its place on the grid, and references to it from checks. */
export function deletePanel(d: DashboardFile, id: string): DashboardFile {
  return {
    ...d,
    panels: d.panels.filter((p) => p.id !== id),
    layout: d.layout.filter((l) => l.panel !== id),
    checks: d.checks.map((c) => (c.guards.includes(id) ? { ...c, guards: c.guards.filter((g) => g !== id) } : c)),
  };
}

/** Replace a panel with an edited version (same id). */
export function updatePanel(d: DashboardFile, panel: Panel): DashboardFile {
  return { ...d, panels: d.panels.map((p) => (p.id === panel.id ? panel : p)) };
}

/** Move (dx, dy) or resize (dw, dh) a panel by whole cells, kept inside the 12 columns. */
export function nudgeLayout(d: DashboardFile, id: string, change: { dx?: number; dy?: number; dw?: number; dh?: number }): DashboardFile {
  let changed = false;
  const layout = d.layout.map((l) => {
    if (l.panel !== id) return l;
    const w = clamp(l.w + (change.dw ?? 0), 1, COLS);
    const h = clamp(l.h + (change.dh ?? 0), 1, 40);
    const x = clamp(l.x + (change.dx ?? 0), 0, COLS - w);
    const y = clamp(l.y + (change.dy ?? 0), 0, 10_000);
    if (x === l.x && y === l.y && w === l.w && h === l.h) return l;
    changed = true;
    return { ...l, x, y, w, h };
  });
  return changed ? { ...d, layout } : d;
}

/** Take positions from the grid after a drag or resize (only real changes make an edit). */
export function applyGridLayout(d: DashboardFile, items: readonly { i: string; x: number; y: number; w: number; h: number }[]): DashboardFile {
  const byId = new Map(items.map((i) => [i.i, i]));
  let changed = false;
  const layout = d.layout.map((l) => {
    const g = byId.get(l.panel);
    if (!g || (g.x === l.x && g.y === l.y && g.w === l.w && g.h === l.h)) return l;
    changed = true;
    return { ...l, x: clamp(g.x, 0, COLS - 1), y: Math.max(0, g.y), w: clamp(g.w, 1, COLS), h: clamp(g.h, 1, 40) };
  });
  return changed ? { ...d, layout } : d;
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(v)));
}
