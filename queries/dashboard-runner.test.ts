import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile, DataPanel } from '../dashboards/schema';
import { openNativeEngine, recordingEngine, type NativeEngine } from './checks/testing-engine';
import { isDataPanel, runDashboardQueries, type DatasetRunState, type LoadedDataset, type PanelRunState, type QueryEngine, type RunCallbacks, type RunOptions } from './dashboard-runner';
import { EngineError, type QueryResult } from './engine/engine';
import { describeReadFailure } from './engine/read-errors';
import { ResultCache } from './result-cache';
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

  it('says a dataset that ran out of memory is too large, not that its source could not be read', async () => {
    const failure = describeReadFailure('Out of Memory Error: could not allocate block of size 262144 (4.0 GiB/4.0 GiB used)');
    expect(failure.kind).toBe('tooLarge');
    const { engine } = fakeEngine();
    const exec = engine.exec.bind(engine);
    engine.exec = async (sql: Sql) => {
      if (sql.text.startsWith('CREATE TABLE') || sql.text.includes('CREATE OR REPLACE TABLE')) throw new EngineError('sql', failure.message, failure);
      return exec(sql);
    };
    const { cb, panels, datasets } = recorder();
    await runDashboardQueries(engine, demo(), cb, { trusted: true, now: Date.UTC(2026, 1, 1) });
    const orders = datasets.find(([name, s]) => name === 'orders' && s.status === 'error')?.[1];
    expect(orders?.status === 'error' && orders.message).toContain('does not fit in the memory');
    const messages = panels.map(([, s]) => (s.status === 'error' ? s.message : s.status));
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toBe('No data: source "orders" is unavailable (too large for memory).');
  });

  it('tells a SQL dataset that ran out of memory to return less from its SQL, and a panel whose own query did to hold less', async () => {
    const failure = describeReadFailure('Out of Memory Error: could not allocate block of size 262144 (3.4 GiB/3.4 GiB used)');
    const outOfMemory = () => new EngineError('sql', failure.message, failure);
    // The demo's dataset written as SQL, whose table build runs out of memory.
    const file = demo();
    const table = file.datasets[0];
    if (table?.kind !== 'table') throw new Error('the demo has a table dataset');
    const { source: _source, ...semantics } = table;
    const sqlFile: DashboardFile = { ...file, datasets: [{ ...semantics, kind: 'sql', sql: 'SELECT * FROM orders' }] };
    const sql = fakeEngine();
    const exec = sql.engine.exec.bind(sql.engine);
    sql.engine.exec = async (q: Sql) => {
      if (q.text.startsWith('CREATE TABLE') || q.text.includes('CREATE OR REPLACE TABLE')) throw outOfMemory();
      return exec(q);
    };
    const loads = recorder();
    await runDashboardQueries(sql.engine, sqlFile, loads.cb, { trusted: true, now: Date.UTC(2026, 1, 1) });
    const orders = loads.datasets.find(([name, s]) => name === 'orders' && s.status === 'error')?.[1];
    expect(orders?.status === 'error' && orders.message).toBe(
      '"orders" does not fit in the memory the query engine may use (3.4 GiB). Load less of it: make its SQL return fewer rows or columns (filter or aggregate them), or split the data.',
    );
    // A panel query over data that loaded: the query is what holds too much, not the data.
    const panel = fakeEngine();
    panel.release();
    const query = panel.engine.query.bind(panel.engine);
    // The panels' aggregates (the KPIs' "m0", the charts' "x"); the load's own queries answer.
    panel.engine.query = async (q: Sql) => (/ AS "(m0|x)"/.test(q.text) ? Promise.reject(outOfMemory()) : query(q));
    const queries = recorder();
    await runDashboardQueries(panel.engine, demo(), queries.cb, { trusted: true, now: Date.UTC(2026, 1, 1) });
    const errors = queries.panels.flatMap(([, s]) => (s.status === 'error' ? [s.message] : []));
    expect(errors.length).toBeGreaterThan(0);
    for (const m of errors) {
      expect(m).toBe(
        "This panel's query needs more than the memory the query engine may use (3.4 GiB). Make it hold less at once: group by a column with fewer values, filter or drill into part of the data, or show fewer columns.",
      );
    }
  });

  it('says a load that stopped the engine by running out of memory was too large, and that the engine was restarted', async () => {
    const { engine } = fakeEngine();
    const exec = engine.exec.bind(engine);
    engine.exec = async (sql: Sql) => {
      if (sql.text.startsWith('CREATE TABLE') || sql.text.includes('CREATE OR REPLACE TABLE')) {
        throw new EngineError('crashed', 'The query engine stopped unexpectedly (RuntimeError: Aborted(OOM). Build with -sASSERTIONS for more info.).');
      }
      return exec(sql);
    };
    const { cb, panels, datasets } = recorder();
    await runDashboardQueries(engine, demo(), cb, { trusted: true, now: Date.UTC(2026, 1, 1) });
    const orders = datasets.find(([name, s]) => name === 'orders' && s.status === 'error')?.[1];
    expect(orders?.status === 'error' && orders.message).toMatch(/^"orders" \(.+\) does not fit in the memory the query engine may use: the query engine ran out of memory and stopped, and Northstar started it again\. .*scan mode/);
    const messages = panels.map(([, s]) => (s.status === 'error' ? s.message : s.status));
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toBe('No data: source "orders" is unavailable (too large for memory; the query engine was restarted).');
  });
});

describe('runDashboardQueries with a result cache, on a real engine', () => {
  const ordersFile = path.join(__dirname, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
  const emea = () => ({ members: [{ dimension: 'region', values: ['EMEA'] }] });
  let native: NativeEngine;
  let queries = 0;
  // The SQL of every query asked, latest last.
  const asked: string[] = [];
  // The real engine, counting every query it is asked (panel queries and the dataset's own counts).
  let engine: QueryEngine;

  beforeAll(async () => {
    native = await openNativeEngine();
    const recording = recordingEngine(native, asked);
    engine = {
      ...recording,
      query: (sql) => {
        queries += 1;
        return recording.query(sql);
      },
    };
  });
  afterAll(() => native.close());

  /** One run; returns the panel states it reported and how many queries the engine was asked. */
  async function run(dashboard: DashboardFile, opts: Partial<RunOptions>) {
    const { cb, panels } = recorder();
    cb.linkSource = async () => ({ urls: [ordersFile], location: ordersFile });
    queries = 0;
    await runDashboardQueries(engine, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1), ...opts });
    expect(panels.filter(([, s]) => s.status !== 'ready')).toEqual([]);
    return { panels: Object.fromEntries(panels), queries };
  }
  const revenue = (panels: Record<string, PanelRunState>) => {
    const state = panels.kpi_revenue;
    return state?.status === 'ready' ? state.result.rows[0] : undefined;
  };

  it('answers a filter seen before from the cache, and asks the engine again once the corrections change', async () => {
    const dashboard = demo();
    const dataPanels = dashboard.panels.filter(isDataPanel).length;
    const cache = new Map<string, LoadedDataset>();
    const results = new ResultCache();

    const all = await run(dashboard, { cache, results });
    const filtered = await run(dashboard, { cache, results, refine: emea });
    // The demo's four KPIs (same refinement) share one query; the ordered table takes two steps.
    const panelQueries = dataPanels - dashboard.panels.filter((p) => p.kind === 'kpi').length + 1 + 1;
    expect(filtered.queries).toBe(panelQueries);
    expect(revenue(filtered.panels)).not.toEqual(revenue(all.panels));

    // Back to no filter, then to the filter again: nothing reaches the engine, every panel is ready
    // with the same result and SQL as when it was queried.
    const back = await run(dashboard, { cache, results });
    expect(back.queries).toBe(0);
    expect(back.panels).toEqual(all.panels);
    const again = await run(dashboard, { cache, results, refine: emea });
    expect(again.queries).toBe(0);
    expect(again.panels).toEqual(filtered.panels);

    // A correction changes the data the panels read: same SQL, new data version, queried again.
    const corrected: DashboardFile = {
      ...dashboard,
      corrections: [{ id: 'no_web', kind: 'exclude_rows', dataset: 'orders', params: { key: 'channel', values: ['web'] }, reason: 'test', author: 'test' }],
    };
    const withCorrection = await run(corrected, { cache, results });
    expect(withCorrection.queries).toBeGreaterThanOrEqual(panelQueries);
    const sqlOf = (s: PanelRunState | undefined) => (s?.status === 'ready' ? s.sql : undefined);
    expect(sqlOf(withCorrection.panels.kpi_revenue)).toBe(sqlOf(all.panels.kpi_revenue));
    expect(revenue(withCorrection.panels)).not.toEqual(revenue(all.panels));

    // Raw data shown: another version again, whose numbers are the uncorrected ones.
    const raw = await run(corrected, { cache, results, raw: true });
    expect(raw.queries).toBeGreaterThanOrEqual(panelQueries);
    expect(revenue(raw.panels)).toEqual(revenue(all.panels));
  });

  it('shows each panel the rows its own SQL gives, with the KPIs batched and the table found in two steps', async () => {
    const dashboard = demo();
    for (const refine of [undefined, emea, () => ({ members: [{ dimension: 'campaign', values: ['(none)', null] }], window: { start: Date.UTC(2025, 11, 1), end: Date.UTC(2025, 11, 20) } })]) {
      const from = asked.length;
      const { panels } = await run(dashboard, { refine });
      // The KPI batch counts distinct orders and customers (integer ids) by bitmap, within the ids' bounds.
      expect(asked.slice(from).filter((q) => /bitstring_agg\("order_id", \d+, \d+\)/.test(q) && /bitstring_agg\("customer_id", \d+, \d+\)/.test(q))).toHaveLength(1);
      // The table: its cut-off first, then only the rows at or beyond it, by a literal the engine can skip row groups with.
      const cutoff = asked.slice(from).findIndex((q) => q.includes('typeof(min("ns_v"))'));
      expect(asked[from + cutoff + 1]).toMatch(/"order_ts" >= CAST\('\d{4}-\d\d-\d\d [\d:.]+' AS TIMESTAMP\) ORDER BY "order_ts" DESC NULLS LAST LIMIT 100$/);
      for (const [id, state] of Object.entries(panels)) {
        if (state.status !== 'ready') throw new Error(`${id} is not ready`);
        // Each says the period its numbers are of: the dashboard's 30 days, or the 19 days drilled into.
        expect(state.period?.days, id).toBe(refine && 'window' in refine() ? 19 : 30);
        const own = await native.query({ text: state.sql } as Sql);
        if (id === 'recent_orders') {
          // Orders at the same second may come in either order: the times shown must be the same.
          expect(state.result.rows.map((r) => r.order_ts)).toEqual(own.rows.map((r) => r.order_ts));
          expect(state.result.rows.length).toBeGreaterThan(0);
        } else {
          // The native engine sums on two threads, in no fixed order: the last bits of a sum may differ.
          const close = (r: QueryResult) => ({ id, columns: r.columns, rows: r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(12)) : v]))) });
          expect(close(state.result)).toEqual(close(own));
        }
      }
    }
  });

  it('a click filter re-runs only the other panels; a drilled chart is queried and reported first', async () => {
    const dashboard = demo();
    const cache = new Map<string, LoadedDataset>();
    const results = new ResultCache();
    await run(dashboard, { cache, results });
    // "Filter other panels to (none)" clicked on the campaign chart: every panel but that one narrows.
    const clicked = (panel: DataPanel) => (panel.id === 'revenue_by_campaign' ? undefined : { members: [{ dimension: 'campaign', values: ['(none)'] }] });
    const filtered = await run(dashboard, { cache, results, refine: clicked });
    // Four KPIs in one query, daily and region charts, the table (two steps): the campaign chart is not asked again.
    expect(filtered.queries).toBe(5);
    expect(Object.keys(filtered.panels)).toHaveLength(dashboard.panels.filter(isDataPanel).length);

    const order: string[] = [];
    const { cb } = recorder();
    cb.linkSource = async () => ({ urls: [ordersFile], location: ordersFile });
    cb.onPanel = (id) => order.push(id);
    const drilled = (panel: DataPanel) => ({ members: [{ dimension: 'region', values: ['EMEA'] }], ...(panel.id === 'revenue_by_region' ? { xDimension: 'country' } : {}) });
    await runDashboardQueries(engine, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1), cache, results, refine: drilled, first: new Set(['revenue_by_region']) });
    expect(order[0]).toBe('revenue_by_region');
    expect([...order].sort()).toEqual(dashboard.panels.filter(isDataPanel).map((p) => p.id).sort());
  });

  it('a KPI whose measure the engine refuses fails alone: its batch falls back to one query per KPI', async () => {
    const base = demo();
    const orders = base.datasets[0];
    if (!orders) throw new Error('the demo has no dataset');
    const dashboard: DashboardFile = {
      ...base,
      datasets: [{ ...orders, measures: [...orders.measures, { name: 'bad', agg: 'sum', column: 'region', format: 'number' }] }],
      panels: base.panels.map((p) => (p.id === 'kpi_orders' && p.kind === 'kpi' ? { ...p, measure: 'bad' } : p)),
    };
    const { cb, panels } = recorder();
    cb.linkSource = async () => ({ urls: [ordersFile], location: ordersFile });
    await runDashboardQueries(engine, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1) });
    const states = Object.fromEntries(panels);
    expect(states.kpi_orders).toMatchObject({ status: 'error', message: expect.stringMatching(/^orders: .*sum/) });
    for (const id of ['kpi_revenue', 'kpi_aov', 'kpi_active_customers']) expect(states[id]?.status).toBe('ready');
  });

  it('yields once before the panels answered from the result cache, reports them together, and stops there once stale', async () => {
    const dashboard = demo();
    const cache = new Map<string, LoadedDataset>();
    const results = new ResultCache();
    await run(dashboard, { cache, results });
    const events: string[] = [];
    const { cb } = recorder();
    cb.linkSource = async () => ({ urls: [ordersFile], location: ordersFile });
    cb.onPanel = (id) => events.push(id);
    await runDashboardQueries(engine, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1), cache, results, nextTask: async () => void events.push('yield') });
    const panels = dashboard.panels.filter(isDataPanel).map((p) => p.id);
    expect(events).toEqual(['yield', ...panels]);
    // A click during the yield: the run reports nothing.
    const later: string[] = [];
    let stale = false;
    cb.onPanel = (id) => later.push(id);
    await runDashboardQueries(engine, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1), cache, results, isStale: () => stale, nextTask: async () => void (stale = true) });
    expect(later).toEqual([]);
  });

  it('a pipelined engine gets the next query while the one before runs, at most one ahead, with the same results; a stale run sends no more', async () => {
    const dashboard = demo();
    // An engine like the app's: calls run one at a time in call order (one worker), and the runner
    // may queue the next. Counts how many calls were waiting or running at once.
    let tail: Promise<unknown> = Promise.resolve();
    let outstanding = 0;
    let most = 0;
    let issued = 0;
    const queue = <T,>(work: () => Promise<T>): Promise<T> => {
      outstanding += 1;
      most = Math.max(most, outstanding);
      const done = tail.then(work);
      tail = done.catch(() => {});
      return done.finally(() => (outstanding -= 1));
    };
    const pipelined: QueryEngine = {
      exec: (sql) => queue(() => native.exec(sql)),
      describe: (table) => queue(() => native.describe(table)),
      query: (sql) => ((issued += 1), queue(() => native.query(sql))),
      pipelined: true,
    };
    const runWith = async (e: QueryEngine, opts: Partial<RunOptions> = {}) => {
      const { cb, panels } = recorder();
      cb.linkSource = async () => ({ urls: [ordersFile], location: ordersFile });
      await runDashboardQueries(e, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1), ...opts });
      return panels;
    };
    for (const refine of [undefined, emea]) {
      most = 0;
      const queued = await runWith(pipelined, { refine });
      const alone = await runWith(engine, { refine });
      // The panels' queries overlapped, never more than one ahead; every panel got what it gets alone.
      expect(most).toBe(2);
      const byId = (states: [string, PanelRunState][]) => Object.fromEntries(states.map(([id, st]) => [id, st.status === 'ready' ? { sql: st.sql, rows: st.result.rows.length, first: st.result.rows[0] } : st]));
      expect(Object.keys(byId(queued)).sort()).toEqual(Object.keys(byId(alone)).sort());
      for (const [id, st] of Object.entries(byId(alone))) {
        if (id === 'recent_orders') continue; // orders at the same second come in either order
        const close = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' ? Number(x.toPrecision(12)) : x)));
        expect(close(byId(queued)[id]), id).toEqual(close(st));
      }
    }

    // Stale from the first panel on (a click): nothing more is sent; the one call already queued runs.
    let stale = false;
    let issuedAtStale = 0;
    const { cb, panels } = recorder();
    cb.linkSource = async () => ({ urls: [ordersFile], location: ordersFile });
    cb.onPanel = (id, st) => {
      panels.push([id, st]);
      if (!stale && st.status === 'ready') {
        stale = true;
        issuedAtStale = issued;
      }
    };
    await runDashboardQueries(pipelined, dashboard, cb, { trusted: true, now: Date.UTC(2026, 1, 1), isStale: () => stale });
    expect(stale).toBe(true);
    expect(issued - issuedAtStale).toBeLessThanOrEqual(1);
    // The first step reported its panels (the four KPIs share it); no other panel was reported.
    expect(new Set(panels.map(([id]) => id)).size).toBeLessThanOrEqual(4);
    await tail;
  });

  it('never serves a result from an earlier load, even when the result cache was not cleared', async () => {
    const dashboard = demo();
    const dataPanels = dashboard.panels.filter(isDataPanel).length;
    const results = new ResultCache();
    const cache = new Map<string, LoadedDataset>();
    await run(dashboard, { cache, results });
    expect((await run(dashboard, { cache, results })).queries).toBe(0);
    cache.clear(); // Reload data / engine restarted: the dataset loads again
    expect((await run(dashboard, { cache, results })).queries).toBeGreaterThanOrEqual(dataPanels);
    // Without a dataset cache (the CLI) every run loads, so nothing is ever served from the results.
    expect((await run(dashboard, { results })).queries).toBeGreaterThanOrEqual(dataPanels);
  });
});
