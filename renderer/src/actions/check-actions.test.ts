import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import demoJson from '../../../dashboards/examples/customer-kpis.dashboard.json';
import { AnomalyPanel, DashboardFile as DashboardSchema, type ChartPanel, type Check, type DashboardFile, type KpiPanel } from '../../../dashboards/schema';
import { createTable, openNativeEngine, type NativeEngine } from '../../../queries/checks/testing-engine';
import type { QueryEngine } from '../../../queries/dashboard-runner';
import { useStore } from '../store';
import { addChecks, checkFromFinding, freshCheckId, pinChecks, proposeJumpCheck, proposeSpellingCheck, runDashboardChecks, spellingColumns, wantsChecks } from './check-actions';

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
// The demo's own checks and anomaly panel are replaced: these tests decide both.
const plainPanels = demo.panels.filter((p) => p.kind !== 'anomaly');
const withChecks = (checks: Check[], anomaly = true): DashboardFile => ({
  ...demo,
  checks,
  panels: anomaly ? [...plainPanels, AnomalyPanel.parse({ id: 'data_checks', kind: 'anomaly', title: 'Data checks' })] : plainPanels,
  layout: demo.layout.filter((l) => plainPanels.some((p) => p.id === l.panel)),
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

describe('authoring checks', () => {
  const orders = demo.datasets[0]!;
  const chart = demo.panels.find((p) => p.id === 'daily_revenue') as ChartPanel;
  const kpi = (measure: string) => ({ ...(demo.panels.find((p) => p.id === 'kpi_revenue') as KpiPanel), measure });
  const owned = { ...withChecks([]), owner: 'Ana (analytics)' };

  it('makes unique, valid check ids from readable stems', () => {
    const d = withChecks([check({ id: 'jump_revenue', rule: 'volume' }), check({ id: 'jump_revenue_2', rule: 'volume' })]);
    expect(freshCheckId(d, 'jump_revenue')).toBe('jump_revenue_3');
    expect(freshCheckId(d, 'spelling_campaign')).toBe('spelling_campaign');
    expect(freshCheckId(d, 'spelling_campaign', ['spelling_campaign'])).toBe('spelling_campaign_2');
    expect(freshCheckId(d, '7 "odd" name!')).toBe('_7_odd_name');
    expect(freshCheckId(d, '')).toBe('check');
  });

  it('watches a sum measure for jumps with total_jump on its column, guarding the panel, owner from the dashboard', () => {
    const proposal = proposeJumpCheck(owned, chart, orders);
    expect(proposal).toEqual({
      ok: true,
      check: { id: 'jump_revenue', title: 'Daily Revenue within its usual range', dataset: 'orders', rule: 'total_jump', params: { column: 'amount' }, severity: 'warn', guards: ['daily_revenue'], owner: 'Ana (analytics)' },
    });
    // The check is valid in a file.
    if (proposal.ok) expect(DashboardSchema.safeParse({ ...owned, checks: [proposal.check] }).success).toBe(true);
  });

  it('says why a ratio or distinct count cannot be watched for jumps, and needs a time column', () => {
    expect(proposeJumpCheck(owned, kpi('aov'), orders)).toEqual({ ok: false, reason: 'jumps are watched on a daily sum or count; "Average order value" is a ratio, which does not add up over days' });
    expect(proposeJumpCheck(owned, kpi('orders'), orders)).toMatchObject({ ok: false, reason: expect.stringContaining('"Orders" is a count distinct') });
    expect(proposeJumpCheck(owned, kpi('nope'), orders)).toMatchObject({ ok: false, reason: 'the panel\'s measure "nope" is not defined in dataset "orders"' });
    expect(proposeJumpCheck(owned, chart, { ...orders, timeColumn: undefined })).toMatchObject({ ok: false, reason: expect.stringContaining('has no time column') });
    const rows = { ...orders, measures: [...orders.measures, { name: 'rows', agg: 'count' as const, format: 'integer' as const }] };
    expect(proposeJumpCheck(withChecks([]), kpi('rows'), rows)).toMatchObject({ ok: true, check: { rule: 'volume', params: {}, id: 'jump_rows' } });
  });

  it('watches a text dimension for misspellings; only text columns are offered once types are known', () => {
    expect(proposeSpellingCheck(withChecks([]), chart, orders, 'campaign')).toEqual({
      ok: true,
      check: { id: 'spelling_campaign', title: 'Campaign values are spelt consistently', dataset: 'orders', rule: 'near_duplicate_values', params: { column: 'campaign' }, severity: 'warn', guards: ['daily_revenue'] },
    });
    expect(proposeSpellingCheck(withChecks([]), chart, orders, 'nope')).toEqual({ ok: false, reason: 'dataset "orders" has no dimension "nope"' });
    const types = new Map(orders.dimensions.map((d) => [d.column, d.name === 'region' ? 'Int32' : 'Utf8']));
    expect(spellingColumns(orders, types).map((d) => d.name)).not.toContain('region');
    expect(spellingColumns(orders, types).map((d) => d.name)).toContain('campaign');
    expect(spellingColumns(orders, null)).toHaveLength(orders.dimensions.length);
  });

  it('proposes a check from each scan finding with the scan\'s params and unique ids', () => {
    const dup = checkFromFinding(owned, orders, { rule: 'duplicate_key', column: 'order_id', severity: 'error', detail: '', examples: [] }, 'order_ts');
    expect(dup).toEqual({
      ok: true,
      check: { id: 'duplicate_key_order_id', title: 'Each order_id once', dataset: 'orders', rule: 'duplicate_key', params: { key: 'order_id' }, severity: 'error', guards: [], owner: 'Ana (analytics)' },
    });
    const nulls = checkFromFinding(owned, orders, { rule: 'null_rate', column: 'amount', severity: 'warn', detail: '', examples: [] }, 'shipped_ts', ['null_rate_amount']);
    expect(nulls).toMatchObject({ ok: true, check: { id: 'null_rate_amount_2', params: { column: 'amount', timeColumn: 'shipped_ts' } } });
    expect(checkFromFinding(owned, orders, { rule: 'volume', column: 'order_ts', severity: 'warn', detail: '', examples: [] }, 'order_ts')).toMatchObject({ ok: true, check: { id: 'volume', params: {} } });
    expect(checkFromFinding(owned, orders, { rule: 'mystery', column: null, severity: 'warn', detail: '', examples: [] }, null)).toEqual({ ok: false, reason: 'no check is proposed for rule "mystery"' });
  });

  it('adds checks where an anomaly panel shows them, or a new anomaly panel when asked', () => {
    const c = check({ id: 'new_one', rule: 'volume' });
    const none = withChecks([], false);
    expect(addChecks(none, [c], false).panels.some((p) => p.kind === 'anomaly')).toBe(false);
    const added = addChecks(none, [c], true);
    const panel = added.panels.find((p) => p.kind === 'anomaly');
    expect(panel).toMatchObject({ id: 'data_checks', title: 'Data checks', checks: [] });
    expect(added.layout.find((l) => l.panel === 'data_checks')).toMatchObject({ x: 0, w: 12 });
    expect(DashboardSchema.safeParse(added).success).toBe(true);
    // A panel that lists its checks gets the new ids.
    const listing = { ...withChecks([]), panels: withChecks([]).panels.map((p) => (p.kind === 'anomaly' ? { ...p, checks: ['dup'] } : p)) };
    expect(addChecks(listing, [c], true).panels.find((p) => p.kind === 'anomaly')).toMatchObject({ checks: ['dup', 'new_one'] });
    expect(() => addChecks(withChecks([c]), [c], false)).toThrow('a check "new_one" already exists');
  });

  it('pins checks as one undoable edit and runs the checks again, with their days for the charts', async () => {
    open(withChecks([], false), false);
    await pinChecks(deps(), [CHECKS[0]!], true);
    const state = useStore.getState();
    expect(state.dashboard?.checks.map((c) => c.id)).toEqual(['dup']);
    expect(state.checks?.results.find((r) => r.id === 'dup')?.affected).toEqual({
      timeColumn: 'order_ts',
      spans: [{ from: '2025-12-11', to: '2025-12-11', note: '1 repeated order_id value (2 rows)' }],
    });
    state.undo();
    expect(useStore.getState().dashboard?.checks).toEqual([]);
    expect(useStore.getState().dashboard?.panels.some((p) => p.kind === 'anomaly')).toBe(false);
  });
});
