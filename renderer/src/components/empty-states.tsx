// What a blank dashboard says instead of nothing: what to do next, and a button that does it.
import type { ActionDeps } from '../actions/dashboard-actions';
import { editFilters } from '../actions/dashboard-actions';
import { addPanel } from '../actions/panel-actions';
import { useStore } from '../store';
import { useInstantUi } from './instant-dashboard';
import './tour.css';

export function EmptyDashboard({ deps, editable }: { deps: ActionDeps; editable: boolean }) {
  const hasSources = useStore((s) => (s.dashboard?.sources.length ?? 0) > 0);
  const datasets = useStore((s) => s.datasets);
  const addChart = () => {
    let created = '';
    void editFilters(deps, (d) => {
      const first = d.datasets[0];
      const state = first ? datasets[first.name] : undefined;
      const r = addPanel(d, 'chart', state?.status === 'ready' ? state.columns.map((c) => c.name) : []);
      created = r.id;
      return r.dashboard;
    });
    if (created) deps.store.getState().setEditorPanel(created);
  };
  return (
    <div className="empty-state empty-dashboard" data-testid="empty-dashboard">
      <h2>This dashboard has no panels yet</h2>
      {hasSources ? (
        <p>Add a KPI, chart or table on its data, or let Northstar build a starter dashboard from a data file.</p>
      ) : (
        <p>It reads no data yet: add a data source first, or let Northstar build a starter dashboard from a data file.</p>
      )}
      <div className="empty-actions">
        {hasSources && editable && (
          <button type="button" className="primary" onClick={addChart}>
            Add a chart
          </button>
        )}
        {!hasSources && editable && (
          <button type="button" className="primary" onClick={() => useStore.getState().setDrawer('sources')}>
            Add a data source
          </button>
        )}
        <button type="button" onClick={() => useInstantUi.getState().openInstant()}>
          New dashboard from data…
        </button>
      </div>
    </div>
  );
}
