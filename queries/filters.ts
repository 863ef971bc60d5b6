// The dashboard's saved filters, as every reader applies them (the app and the headless CLI), so
// the same file gives the same numbers everywhere.
import type { DashboardFile, DataPanel } from '../dashboards/schema';
import type { PanelRefinement } from './panel-queries';

type Members = NonNullable<PanelRefinement['members']>;

/**
 * The saved filters that narrow a panel: those on the panel's dataset that have values, when the
 * panel follows filters. `overrides` (dimension → values) replace a saved filter on the same
 * dimension, and add filters on the panel's dataset dimensions that have none.
 */
export function savedFilterMembers(panel: DataPanel, dashboard: DashboardFile, overrides?: ReadonlyMap<string, string[]>): Members {
  if (!panel.followFilters) return [];
  const members: Members = [];
  for (const f of dashboard.filters) {
    if (f.dataset === panel.dataset && f.values.length > 0 && !overrides?.has(f.dimension)) members.push({ dimension: f.dimension, values: f.values });
  }
  if (overrides) {
    const dims = new Set(dashboard.datasets.find((d) => d.name === panel.dataset)?.dimensions.map((d) => d.name) ?? []);
    for (const [dimension, values] of overrides) if (dims.has(dimension)) members.push({ dimension, values });
  }
  return members;
}
