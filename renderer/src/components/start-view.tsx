// A window opened with nothing in it (File › New Window): what it can open, instead of a blank page.
import { openDashboard, type ActionDeps } from '../actions/dashboard-actions';
import { runCommand } from '../commands';
import './tour.css';

export function StartView({ deps }: { deps: ActionDeps }) {
  return (
    <main className="empty-state empty-dashboard start-view" data-testid="start-view">
      <h2>No dashboard open in this window</h2>
      <p>Open a dashboard file, create a new one, or look around in the demo dashboard. Each window has its own dashboard, filters and unsaved edits.</p>
      <div className="empty-actions">
        <button type="button" className="primary" onClick={() => void runCommand(deps, 'file.open')}>
          Open dashboard…
        </button>
        <button type="button" onClick={() => void runCommand(deps, 'file.new')}>
          New dashboard…
        </button>
        <button type="button" onClick={() => void openDashboard(deps)}>
          Open the demo
        </button>
      </div>
    </main>
  );
}
