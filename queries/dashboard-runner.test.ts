import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile } from '../dashboards/schema';
import { runDashboardQueries, type DatasetRunState, type PanelRunState, type QueryEngine, type RunCallbacks } from './dashboard-runner';
import { EngineError, type QueryResult } from './engine/engine';
import type { Sql } from './sql';

const demo = (): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(__dirname, '..', 'dashboards', 'examples', 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
};

const COLUMNS = ['order_ts', 'order_id', 'customer_id', 'amount', 'region', 'country', 'city', 'channel', 'campaign', 'category', 'quantity'];

/** An engine whose dataset load waits for `release()` and whose panel queries can be made to fail. */
function fakeEngine(opts: { panelQuery?: () => Promise<QueryResult> } = {}) {
  let release: () => void = () => {};
  const loaded = new Promise<void>((resolve) => (release = resolve));
  let loading = false;
  const engine: QueryEngine = {
    async exec(sql: Sql) {
      if (sql.text.startsWith('CREATE TABLE') || sql.text.includes('CREATE OR REPLACE TABLE')) {
        loading = true;
        await loaded;
      }
    },
    async describe() {
      return COLUMNS.map((name) => ({ name, type: name === 'order_ts' ? 'TIMESTAMP' : name === 'amount' ? 'DOUBLE' : 'VARCHAR' }));
    },
    async query(sql: Sql) {
      if (sql.text.includes('count(*) AS "n"')) return { columns: [], rows: [{ n: 10 }] };
      if (sql.text.includes('"newest"')) return { columns: [], rows: [{ newest: Date.UTC(2026, 0, 31) }] };
      return opts.panelQuery ? opts.panelQuery() : { columns: [{ name: 'value', type: 'Float64' }], rows: [{ value: 1 }] };
    },
  };
  return { engine, release, isLoading: () => loading };
}

function recorder() {
  const panels: [string, PanelRunState][] = [];
  const datasets: [string, DatasetRunState][] = [];
  const cb: RunCallbacks = {
    linkSource: async () => ({ urls: ['orders.parquet'], location: 'data/orders.parquet' }),
    onDataset: (name, state) => datasets.push([name, state]),
    onPanel: (id, state) => panels.push([id, state]),
  };
  return { cb, panels, datasets };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 1));
  expect(check()).toBe(true);
};

describe('runDashboardQueries with a cancelled (stale) run', () => {
  it('reports no panel once the run went stale while its dataset loaded', async () => {
    const { engine, release, isLoading } = fakeEngine();
    const { cb, panels } = recorder();
    let stale = false;
    const run = runDashboardQueries(engine, demo(), cb, { trusted: true, now: Date.UTC(2026, 1, 1), isStale: () => stale });
    await until(isLoading);
    stale = true;
    release();
    await run;
    expect(panels).toEqual([]);
  });

  it('does not turn the failure of a cancelled engine into panel errors', async () => {
    let stale = false;
    const { engine, release } = fakeEngine({
      panelQuery: async () => {
        stale = true; // the user pressed Cancel while this query ran: the engine fails it
        throw new EngineError('cancelled', 'The query was cancelled.');
      },
    });
    release();
    const { cb, panels } = recorder();
    await runDashboardQueries(engine, demo(), cb, { trusted: true, now: Date.UTC(2026, 1, 1), isStale: () => stale });
    expect(panels).toEqual([]);
  });

  it('reports every panel of a run that is not stale', async () => {
    const { engine, release } = fakeEngine();
    release();
    const { cb, panels } = recorder();
    const dashboard = demo();
    await runDashboardQueries(engine, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1) });
    const dataPanels = dashboard.panels.filter((p) => p.kind === 'kpi' || p.kind === 'chart' || p.kind === 'table');
    expect(panels.filter(([, s]) => s.status !== 'ready')).toEqual([]);
    expect(panels.map(([id]) => id)).toEqual(dataPanels.map((p) => p.id));
  });
});
