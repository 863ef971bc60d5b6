import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import demoJson from '../../../dashboards/examples/customer-kpis.dashboard.json';
import { AnomalyPanel, type Check, type DashboardFile } from '../../../dashboards/schema';
import { createTable, openNativeEngine, type NativeEngine } from '../../../queries/checks/testing-engine';
import type { QueryEngine } from '../../../queries/dashboard-runner';
import { useStore } from '../store';
import { runDashboardChecks, wantsChecks } from './check-actions';

const loaded = loadDashboard(JSON.stringify(demoJson));
if (!loaded.ok) throw new Error(loaded.error.message);
const demo = loaded.dashboard;

const DAY = 86_400_000;
const check = (c: Partial<Check> & Pick<Check, 'id' | 'rule'>): Check => ({ title: c.id, dataset: 'orders', params: {}, severity: 'warn', guards: [], ...c });
const CHECKS: Check[] = [
  check({ id: 'dup', rule: 'duplicate_key', params: { key: 'order_id' }, severity: 'error', guards: ['kpi_revenue'] }),
  check({ id: 'amounts', rule: 'range', params: { column: 'amount', min: 0 } }),
  check({ id: 'own_sql', rule: 'custom_sql', params: { sql: 'SELECT 1 AS x WHERE false' } }),
];
const withChecks = (checks: Check[], anomaly = true): DashboardFile => ({
  ...demo,
  checks,
  panels: anomaly ? [...demo.panels, AnomalyPanel.parse({ id: 'data_checks', kind: 'anomaly', title: 'Data checks' })] : demo.panels,
});

let native: NativeEngine;

beforeAll(async () => {
  native = await openNativeEngine();
  // ds_orders as the runner loads it: order 2 twice on one day, no negative amounts.
  const t0 = Date.UTC(2025, 11, 10);
  await createTable(native, 'ds_orders', { order_id: 'INTEGER', order_ts: 'TIMESTAMP', amount: 'DOUBLE' }, [
    [1, new Date(t0).toISOString(), 10],
    [2, new Date(t0 + DAY).toISOString(), 20],
    [2, new Date(t0 + DAY).toISOString(), 20],
  ]);
});

afterAll(() => native.close());

function open(dashboard: DashboardFile, trusted: boolean): number {
  useStore.getState().setOpened({ path: '/tmp/x.dashboard.json', dashboard, diskHash: 'h', contentHash: null, trusted, warnings: [] });
  const runId = useStore.getState().startRun(['orders'], []);
  useStore.getState().setDataset(runId, 'orders', {
    status: 'ready',
    location: 'test',
    rowCount: 3,
    columns: [
      { name: 'order_id', type: 'INTEGER' },
      { name: 'order_ts', type: 'TIMESTAMP' },
      { name: 'amount', type: 'DOUBLE' },
    ],
    period: null,
  });
  return runId;
}

const deps = (engine: QueryEngine = native) => ({ engine: () => Promise.resolve(engine), store: useStore, now: () => Date.UTC(2026, 0, 1) });

beforeEach(() => useStore.setState({ checks: null }));

describe('runDashboardChecks', () => {
  it('runs the checks on the loaded datasets and stores the results of the run', async () => {
    const runId = open(withChecks(CHECKS), false);
    await runDashboardChecks(deps(), runId);
    const stored = useStore.getState().checks;
    expect(stored?.runId).toBe(runId);
    expect(stored?.ranAt).toBe(Date.UTC(2026, 0, 1));
    const byId = Object.fromEntries((stored?.results ?? []).map((r) => [r.id, r]));
    expect(byId.dup).toMatchObject({ status: 'fail', observed: 1 });
    expect(byId.dup?.message).toContain('2025-12-11');
    expect(byId.amounts).toMatchObject({ status: 'pass' });
    // The file is not trusted: its own SQL does not run.
    expect(byId.own_sql).toMatchObject({ status: 'error' });
    expect(byId.own_sql?.message).toMatch(/trust/);
  });

  it('runs custom_sql once the file is trusted', async () => {
    const runId = open(withChecks(CHECKS), true);
    await runDashboardChecks(deps(), runId);
    expect(useStore.getState().checks?.results.find((r) => r.id === 'own_sql')).toMatchObject({ status: 'pass' });
  });

  it('says why when a dataset did not load', async () => {
    const runId = open(withChecks(CHECKS), false);
    useStore.getState().setDataset(runId, 'orders', { status: 'error', message: 'no such file' });
    await runDashboardChecks(deps(), runId);
    expect(useStore.getState().checks?.results.every((r) => r.status === 'error' && r.message.includes('no such file'))).toBe(true);
  });

  it('drops the results of a run that is no longer current', async () => {
    const runId = open(withChecks(CHECKS), false);
    const racing: QueryEngine = {
      ...native,
      query: async (sql) => {
        useStore.getState().startRun(['orders'], []); // a newer run starts while the checks query
        return native.query(sql);
      },
    };
    await runDashboardChecks(deps(racing), runId);
    expect(useStore.getState().checks).toBeNull();
    // A stale run id never even starts the checks.
    await runDashboardChecks(deps(), runId);
    expect(useStore.getState().checks).toBeNull();
  });

  it('runs only for a dashboard with checks and an anomaly panel', async () => {
    expect(wantsChecks(withChecks(CHECKS))).toBe(true);
    expect(wantsChecks(withChecks(CHECKS, false))).toBe(false);
    expect(wantsChecks(withChecks([]))).toBe(false);
    const runId = open(withChecks(CHECKS, false), false);
    await runDashboardChecks(deps(), runId);
    expect(useStore.getState().checks).toBeNull();
  });

  it('forgets the results when another file opens', async () => {
    const runId = open(withChecks(CHECKS), false);
    await runDashboardChecks(deps(), runId);
    expect(useStore.getState().checks).not.toBeNull();
    open(withChecks(CHECKS), false);
    expect(useStore.getState().checks).toBeNull();
  });
});
