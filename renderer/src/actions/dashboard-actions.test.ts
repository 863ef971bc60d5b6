import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import { engineStartGate, holdEngineStart } from '../engine-hold';
import { useStore } from '../store';
import { runDashboard, type ActionDeps } from './dashboard-actions';

const loaded = loadDashboard(readFileSync(path.join(__dirname, '../../../dashboards/examples/customer-kpis.dashboard.json'), 'utf8'));
if (!loaded.ok) throw new Error(loaded.error.message);

describe('a run while the engine start is held (a re-open drawing stored results)', () => {
  // No engine starts here: each run reports that and ends, which is all this needs.
  const deps: ActionDeps = {
    host: {} as ActionDeps['host'],
    engine: () => Promise.reject(new Error('no engine in this test')),
    store: useStore,
  };

  it('the page\'s first run leaves the hold on; a later one (a click, a reload) releases it, saying so', async () => {
    useStore.getState().setOpened({ path: '/tmp/demo.dashboard.json', dashboard: loaded.dashboard, diskHash: 'h', contentHash: null, trusted: true, warnings: [] });
    holdEngineStart(60_000);
    const gate = engineStartGate();
    expect(gate).not.toBeNull();
    let released = false;
    void gate?.then(() => (released = true));
    await runDashboard(deps);
    expect(useStore.getState().runId).toBe(1);
    expect(released).toBe(false);
    await runDashboard(deps);
    await gate;
    expect(released).toBe(true);
    const marks = performance.getEntriesByName('northstar:engine-released') as PerformanceMark[];
    expect(marks.map((m) => m.detail)).toEqual([{ reason: 'another run' }]);
  });
});
