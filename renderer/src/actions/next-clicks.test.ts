import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import type { DashboardFile } from '../../../dashboards/schema';
import { openNativeEngine, recordingEngine, type NativeEngine } from '../../../queries/checks/testing-engine';
import { runDashboardQueries, type LoadedDataset, type PanelRunState, type QueryEngine, type RunOptions } from '../../../queries/dashboard-runner';
import type { QueryResult } from '../../../queries/engine/engine';
import { ResultCache } from '../../../queries/result-cache';
import { chartActions, effectivePanels, NO_EXPLORATION, refinementFor, type Exploration } from '../explore';
import { nextClicksEnabled, nextExplorations, precomputeNextClicks, setNextClicksEnabled } from './next-clicks';

const root = path.join(__dirname, '..', '..', '..');
const ordersFile = path.join(root, 'dashboards', 'examples', 'data', 'orders.parquet');
const NOW = Date.UTC(2026, 1, 1);

const demo = (): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(root, 'dashboards', 'examples', 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
};

const bars = (...xs: (string | null)[]): QueryResult => ({
  columns: [
    { name: 'x', type: 'Utf8' },
    { name: 'revenue', type: 'Float64' },
  ],
  rows: xs.map((x, i) => ({ x, revenue: 100 - i })),
});

describe('nextExplorations', () => {
  const dashboard = demo();
  const region = dashboard.panels.find((p) => p.id === 'revenue_by_region');
  const campaign = dashboard.panels.find((p) => p.id === 'revenue_by_campaign');
  const daily = dashboard.panels.find((p) => p.id === 'daily_revenue');
  const dataset = dashboard.datasets[0];
  if (region?.kind !== 'chart' || campaign?.kind !== 'chart' || daily?.kind !== 'chart' || !dataset) throw new Error('the demo changed: it has no region, campaign or daily chart');
  const results: Record<string, QueryResult> = {
    revenue_by_region: bars('EMEA', 'Americas', 'APAC'),
    revenue_by_campaign: bars('Holiday Gifts', '(none)'),
    daily_revenue: { columns: [{ name: 'x', type: 'Float64' }, { name: 'revenue', type: 'Float64' }], rows: [{ x: Date.UTC(2025, 11, 30), revenue: 1 }, { x: Date.UTC(2025, 11, 31), revenue: 2 }] },
  };

  it("takes each chart's members rank by rank, with exactly the menu's drill and filter actions (not its rows)", () => {
    const ahead = nextExplorations(dashboard, NO_EXPLORATION, (id) => results[id]);
    const menu = (panelId: string, index: number, kind: string) => {
      const panel = dashboard.panels.find((p) => p.id === panelId);
      if (panel?.kind !== 'chart') throw new Error(panelId);
      const action = chartActions(panel, dataset, results[panelId] as QueryResult, index, NO_EXPLORATION)?.actions.find((a) => a.kind === kind);
      if (!action) throw new Error(`${panelId} #${index} offers no ${kind}`);
      return action.run(NO_EXPLORATION);
    };
    expect(ahead.slice(0, 3)).toEqual([menu('revenue_by_region', 0, 'drill'), menu('revenue_by_region', 0, 'filter'), menu('revenue_by_campaign', 0, 'filter')]);
    expect(ahead[3]).toEqual(menu('revenue_by_region', 1, 'drill'));
    // The daily chart is at its finest grain: a day only offers its rows, which are not computed ahead.
    expect(ahead.some((e) => e.drills.daily_revenue)).toBe(false);
    expect(ahead.some((e) => Object.values(e.drills).some((d) => d.showRows))).toBe(false);
    // 3 regions × (drill, filter) + 2 campaigns × filter.
    expect(ahead).toHaveLength(8);
    expect(new Set(ahead.map((e) => JSON.stringify(e))).size).toBe(ahead.length);
  });

  it('keeps within its limits, skips "Other", and takes a time chart newest first', () => {
    expect(nextExplorations(dashboard, NO_EXPLORATION, (id) => results[id], { membersPerChart: 1, explorations: 100 })).toHaveLength(3);
    expect(nextExplorations(dashboard, NO_EXPLORATION, (id) => results[id], { membersPerChart: 10, explorations: 2 })).toHaveLength(2);
    const withOther = { ...bars('EMEA', 'Other'), columns: [...bars().columns, { name: 'x_other', type: 'Bool' }], rows: [{ x: 'EMEA', revenue: 2, x_other: false }, { x: 'Other', revenue: 1, x_other: true }] };
    const others = nextExplorations(dashboard, NO_EXPLORATION, (id) => (id === 'revenue_by_region' ? withOther : undefined));
    expect(others.map((e) => e.drills.revenue_by_region?.steps[0] ?? e.clickFilter)).toEqual([
      { kind: 'member', dimension: 'region', value: 'EMEA' },
      { panelId: 'revenue_by_region', dimension: 'region', value: 'EMEA' },
    ]);
    // At month grain the daily chart zooms into a month by day: the newest month first.
    const monthly: Exploration = { ...NO_EXPLORATION, grain: 'month' };
    const zooms = nextExplorations(dashboard, monthly, (id) => (id === 'daily_revenue' ? results.daily_revenue : undefined));
    expect(zooms.map((e) => e.drills.daily_revenue?.steps[0])).toEqual([
      expect.objectContaining({ kind: 'time', start: Date.UTC(2025, 11, 31) }),
      expect.objectContaining({ kind: 'time', start: Date.UTC(2025, 11, 30) }),
    ]);
  });

  it('offers nothing for charts without a result, and never the exploration already shown', () => {
    expect(nextExplorations(dashboard, NO_EXPLORATION, () => undefined)).toEqual([]);
    const drilled = nextExplorations(dashboard, NO_EXPLORATION, (id) => results[id])[0] as Exploration;
    expect(nextExplorations(dashboard, drilled, (id) => results[id]).map((e) => JSON.stringify(e))).not.toContain(JSON.stringify(drilled));
  });
});

describe('the on/off switch', () => {
  it('is on by default, and keeps the choice even where no storage does (a private window)', () => {
    expect(nextClicksEnabled()).toBe(true);
    setNextClicksEnabled(false);
    expect(nextClicksEnabled()).toBe(false);
    setNextClicksEnabled(true);
    expect(nextClicksEnabled()).toBe(true);
  });
});

describe('precomputeNextClicks, on a real engine', () => {
  let native: NativeEngine;
  const asked: string[] = [];
  let engine: QueryEngine;
  beforeAll(async () => {
    native = await openNativeEngine();
    engine = recordingEngine(native, asked);
  });
  afterAll(() => native.close());

  /** A run as the app makes it for an exploration: its panel states, and how many queries it asked. */
  async function run(dashboard: DashboardFile, explore: Exploration, opts: Partial<RunOptions>) {
    const shown = { ...dashboard, panels: effectivePanels(dashboard, explore) };
    const panels: Record<string, PanelRunState> = {};
    const from = asked.length;
    await runDashboardQueries(
      engine,
      shown,
      { linkSource: async () => ({ urls: [ordersFile], location: ordersFile }), onDataset: () => {}, onPanel: (id, s) => (panels[id] = s) },
      { trusted: true, now: NOW, refine: (p) => refinementFor(p, shown, explore), ...opts },
    );
    return { panels, queries: asked.length - from };
  }
  const close = (panels: Record<string, PanelRunState>) =>
    JSON.parse(JSON.stringify(panels, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v))) as unknown;
  const ready = (panels: Record<string, PanelRunState>) => (id: string) => {
    const s = panels[id];
    return s?.status === 'ready' ? s.result : undefined;
  };

  it('computes the clicks ahead into the result cache: the click then asks the engine nothing, and shows what it would have computed', async () => {
    const dashboard = demo();
    const cache = new Map<string, LoadedDataset>();
    const results = new ResultCache();
    const opened = await run(dashboard, NO_EXPLORATION, { cache, results });
    const ahead = nextExplorations(dashboard, NO_EXPLORATION, ready(opened.panels), { membersPerChart: 2, explorations: 3 });
    expect(ahead).toHaveLength(3);

    const done = await precomputeNextClicks(engine, dashboard, ahead, { trusted: true, now: NOW, cache, results, isStale: () => false });
    expect(done).toMatchObject({ explorations: 3, stopped: false });
    expect(done.statements).toBeGreaterThan(3);

    for (const explore of ahead) {
      const click = await run(dashboard, explore, { cache, results });
      expect(click.queries).toBe(0);
      // The same panels, rows and SQL as a run with nothing computed ahead (the native engine sums
      // on two threads, in no fixed order: the last bits of a sum may differ).
      const fresh = await run(dashboard, explore, { cache: new Map(), results: new ResultCache() });
      expect(fresh.queries).toBeGreaterThan(0);
      expect(close(click.panels)).toEqual(close(fresh.panels));
    }
  });

  it('stops at the next statement once stale, and reads nothing that is not in memory', async () => {
    const dashboard = demo();
    const cache = new Map<string, LoadedDataset>();
    const results = new ResultCache();
    // Nothing loaded: nothing is asked, nothing loads.
    const none = await precomputeNextClicks(engine, dashboard, [NO_EXPLORATION], { trusted: true, now: NOW, cache, results, isStale: () => false });
    expect(none.statements).toBe(0);
    expect(cache.size).toBe(0);

    const opened = await run(dashboard, NO_EXPLORATION, { cache, results });
    const ahead = nextExplorations(dashboard, NO_EXPLORATION, ready(opened.panels));
    let stale = false;
    const from = asked.length;
    const counting: QueryEngine = {
      ...engine,
      query: async (sql) => {
        const result = await engine.query(sql);
        stale = true; // a click arrived while this statement ran
        return result;
      },
    };
    const done = await precomputeNextClicks(counting, dashboard, ahead, { trusted: true, now: NOW, cache, results, isStale: () => stale });
    expect(asked.length - from).toBe(1);
    expect(done).toMatchObject({ explorations: 0, statements: 1, stopped: true });

    // Each statement waits for the page to be idle first; one that went stale meanwhile is not sent.
    const waits: number[] = [];
    stale = false;
    const idleFrom = asked.length;
    const waited = await precomputeNextClicks(engine, dashboard, ahead, {
      trusted: true,
      now: NOW,
      cache,
      results: new ResultCache(),
      isStale: () => stale,
      whenIdle: async () => {
        waits.push(asked.length - idleFrom);
        if (waits.length === 3) stale = true; // a click arrived while the page was busy
      },
    });
    expect(waits).toEqual([0, 1, 2]);
    expect(asked.length - idleFrom).toBe(2);
    expect(waited).toMatchObject({ statements: 2, stopped: true });

    // A dashboard of many panels stops at the statement budget (a table's two steps may pass it by one).
    const budgeted = await precomputeNextClicks(engine, dashboard, ahead, { trusted: true, now: NOW, cache, results, isStale: () => false }, 4);
    expect(budgeted.stopped).toBe(true);
    expect(budgeted.statements).toBeGreaterThanOrEqual(4);
    expect(budgeted.statements).toBeLessThanOrEqual(5);
  });
});
