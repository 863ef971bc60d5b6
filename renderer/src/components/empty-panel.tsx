// Empty states of panels: a dataset with no rows, filters that leave none, a period with none, and a
// dashboard without data checks. Each says why the panel is empty and offers the step that helps,
// instead of a blank tile or an empty chart.
import { useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import type { ChartPanel, DataPanel, Dataset, KpiPanel } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import { editFilters, explore, type ActionDeps } from '../actions/dashboard-actions';
import { useStore } from '../store';
import { PinCheckDialog } from './pin-check-dialog';
import { ScanDialog } from './scan-dialog';
import './empty-panel.css';

/** Why a data panel has nothing to show, or null when it has rows to draw. */
export type EmptyReason = { kind: 'emptyDataset'; dataset: string } | { kind: 'filtered'; filters: string[] } | { kind: 'period' };

/**
 * A panel is empty when its dataset loaded no rows (every panel of it, KPIs too), or when a chart
 * or table got no rows: then because of the filters in effect (named), or else of the period. A
 * KPI of a dataset with rows shows its own "—" with the comparison, which says enough.
 */
export function emptyReason(panel: DataPanel, dataset: Dataset, datasetRows: number | null, result: QueryResult, activeFilters: string[]): EmptyReason | null {
  if (datasetRows === 0) return { kind: 'emptyDataset', dataset: dataset.label ?? dataset.name };
  if (panel.kind === 'kpi' || result.rows.length > 0) return null;
  return activeFilters.length > 0 ? { kind: 'filtered', filters: activeFilters } : { kind: 'period' };
}

/** The filters that narrow this dataset's panels now, in words: saved filters with members, and a click filter. */
export function useActiveFilters(dataset: Dataset | undefined): string[] {
  const filters = useStore((s) => (s.viewing?.dashboard ?? s.dashboard)?.filters);
  const click = useStore((s) => s.explore.clickFilter);
  if (!dataset) return [];
  const label = (dimension: string) => dataset.dimensions.find((d) => d.name === dimension)?.label ?? dimension;
  const out = (filters ?? []).filter((f) => f.dataset === dataset.name && f.values.length > 0).map((f) => `${label(f.dimension)}: ${f.values.slice(0, 3).join(', ')}${f.values.length > 3 ? ', …' : ''}`);
  if (click && dataset.dimensions.some((d) => d.name === click.dimension)) out.push(`${label(click.dimension)} = ${click.value ?? '(empty)'} (click filter)`);
  return out;
}

/** What an empty panel shows: the reason and one button. Reports itself drawn (it is all there is). */
export function EmptyPanelMessage({ reason, deps, onShown }: { reason: EmptyReason; deps?: ActionDeps; onShown: () => void }) {
  useEffect(onShown, [onShown]);
  const viewing = useStore((s) => s.viewing !== null);
  const canAct = deps !== undefined && !viewing;
  switch (reason.kind) {
    case 'emptyDataset':
      return (
        <div className="panel-empty panel-empty-state" data-testid="empty-panel" data-reason="emptyDataset">
          <p>
            No rows in dataset <strong>{reason.dataset}</strong> — check the source or the filters.
          </p>
          {canAct && (
            <button type="button" className="small" onClick={() => useStore.getState().setDrawer('sources')}>
              Open Data sources
            </button>
          )}
        </div>
      );
    case 'filtered':
      return (
        <div className="panel-empty panel-empty-state" data-testid="empty-panel" data-reason="filtered">
          <p>No rows match the filters ({reason.filters.join('; ')}).</p>
          {canAct && (
            <button type="button" className="small" onClick={() => void clearFilters(deps)}>
              Clear filters
            </button>
          )}
        </div>
      );
    case 'period':
      return (
        <div className="panel-empty panel-empty-state" data-testid="empty-panel" data-reason="period">
          <p>No rows in this period. Choose a longer period in the filter bar.</p>
        </div>
      );
  }
}

/** Drop the dashboard's filter members (undoable) and the click filter, then run once. */
export async function clearFilters(deps: ActionDeps): Promise<void> {
  deps.store.getState().setExplore((e) => ({ ...e, clickFilter: null }));
  const filters = deps.store.getState().dashboard?.filters ?? [];
  if (filters.some((f) => f.values.length > 0)) await editFilters(deps, (d) => ({ ...d, filters: d.filters.map((f) => ({ ...f, values: [] })) }));
  else await explore(deps, (e) => e);
}

/** The anomaly panel of a dashboard with no checks: what checks are, and two ways to get some. */
export function NoChecks({ deps }: { deps?: ActionDeps }) {
  const dashboard = useStore((s) => s.dashboard);
  const viewing = useStore((s) => s.viewing !== null);
  const [scanning, setScanning] = useState<Dataset | null>(null);
  const [adding, setAdding] = useState<{ panel: KpiPanel | ChartPanel; dataset: Dataset } | null>(null);
  const dataset = dashboard?.datasets[0];
  // "Add a check" proposes watching the first KPI (or chart) for jumps; a chart's menu offers more.
  const watched = dashboard?.panels.find((p): p is KpiPanel | ChartPanel => (p.kind === 'kpi' || p.kind === 'chart') && dashboard.datasets.some((d) => d.name === p.dataset));
  const watchedDataset = watched ? dashboard?.datasets.find((d) => d.name === watched.dataset) : undefined;
  const canAct = deps !== undefined && !viewing;
  return (
    <div className="panel-empty panel-empty-state no-checks" data-testid="no-checks">
      <p>
        <strong>No data checks on this dashboard yet.</strong> Checks test the data itself each time it loads — duplicate keys, misspelled values, missing
        values, sudden jumps in a total — and list here what they find, marked on the charts they guard.
      </p>
      {canAct && (
        <div className="empty-actions">
          {dataset && (
            <button type="button" className="small primary" onClick={() => setScanning(dataset)}>
              Scan for problems
            </button>
          )}
          {watched && watchedDataset && (
            <button type="button" className="small" onClick={() => setAdding({ panel: watched, dataset: watchedDataset })} title={`Watch "${watched.title}" for jumps`}>
              Add a check
            </button>
          )}
        </div>
      )}
      {canAct && !dataset && <p className="muted small">Add a data source and a dataset first: checks run on a dataset.</p>}
      {/* On <body>: a dialog inside the panel would be clipped by it. */}
      {scanning && createPortal(<ScanDialog dataset={scanning} onClose={() => setScanning(null)} />, document.body)}
      {adding && createPortal(<PinCheckDialog kind="jump" panel={adding.panel} dataset={adding.dataset} onClose={() => setAdding(null)} />, document.body)}
    </div>
  );
}
