// First paint from the fetched bytes (bytes-first.ts), on the pinned DuckDB-WASM (its Node build) over
// the demo Parquet served by a real HTTP server with ranges: the panels are answered from the
// registered bytes before the table is built, and give exactly the rows the table gives; the table
// then replaces the view and the bytes are freed; "keep one row per key" reads the bytes in load
// order too, and its view is made again over the table; a newer load is never overwritten by an
// older table; a cancelled or failed build leaves a working dataset.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { loadDashboard } from '../dashboards/document';
import type { Correction, DashboardFile, Dataset } from '../dashboards/schema';
import { loadTable, statsFromFooters, type BytesPhase } from './bytes-first';
import { parseParquetFooter } from './engine/prefetch';
import { projectedColumns } from './projection';
import { runDashboardQueries, type DatasetRunState, type LoadedDataset, type PanelRunState, type QueryEngine, type RunOptions } from './dashboard-runner';
import { Engine, EngineError } from './engine/engine';
import { describeReadFailure } from './engine/read-errors';
import { Sql, ident, str } from './sql';

const EXAMPLES = path.join(__dirname, '..', 'dashboards', 'examples');
const PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');

const demo = (corrections: Correction[] = []): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return { ...loaded.dashboard, corrections };
};

const correction = (id: string, kind: Correction['kind'], params: Record<string, unknown>): Correction => ({ id, kind, dataset: 'orders', params, reason: 'test', author: 'test' });
// The demo data's planted problems: a misspelled campaign, and a day loaded twice.
const FIX_SPELLING = correction('fix_spelling', 'map_value', { column: 'campaign', from: 'Blak Friday', to: 'Black Friday' });
const DROP_CHANNEL = correction('drop_partner', 'exclude_rows', { key: 'channel', values: ['Partner'] });
const KEEP_ONE = correction('dedupe', 'exclude_rows', { key: 'order_id', duplicates: 'keep_one' });

let boot: NodeEngineBootstrap;
let wasm: Engine;
let server: http.Server;
let url: string;
const file = readFileSync(PARQUET);
// Other files the server serves, by path (`serve`); any other path is the demo file.
const served = new Map<string, Buffer>();
// While set, answers of data (not of a file's end) wait for it.
let dataHeld: Promise<void> | null = null;

beforeAll(async () => {
  boot = nodeBootstrap();
  wasm = await Engine.start(boot);
  server = http.createServer((req, res) => {
    const body = served.get(String(req.url)) ?? file;
    const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (!m) return void res.writeHead(200, { 'Content-Length': String(body.length) }).end(body);
    const start = m[1] === '' ? Math.max(0, body.length - Number(m[2])) : Number(m[1]);
    const end = m[1] === '' || m[2] === '' ? body.length - 1 : Math.min(body.length - 1, Number(m[2]));
    const send = () => res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': String(end - start + 1) }).end(body.subarray(start, end + 1));
    if (m[1] !== '' && dataHeld) void dataHeld.then(send);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders.parquet`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await wasm?.terminate();
  boot?.dispose();
});

/** The app's engine as the runner sees it, with a log of what reached it and a hook in front of every exec. */
function recordingEngine(beforeExec: (sql: Sql) => Promise<void> | void = () => {}, opts: { refuseProbes?: boolean } = {}) {
  const log: string[] = [];
  const registered: string[] = [];
  const dropped: string[] = [];
  // The footer-only files the runner asks about while the data downloads (`probeFooters`), kept apart.
  const probes: string[] = [];
  const probesDropped: string[] = [];
  // A first paint's files of the newest row groups (`paintWindow`), kept apart too.
  const windows: string[] = [];
  const windowsDropped: string[] = [];
  // Everything in order: statements, and files registered and dropped.
  const events: string[] = [];
  const isProbe = (name: string) => name.startsWith('northstar-probe-');
  const isWindow = (name: string) => name.startsWith('northstar-window-');
  const engine: QueryEngine = {
    async exec(sql) {
      await beforeExec(sql);
      log.push(sql.text);
      events.push(sql.text);
      return wasm.exec(sql);
    },
    query: (sql) => (log.push(sql.text), events.push(sql.text), wasm.query(sql)),
    describe: (t) => (events.push(`describe ${t}`), wasm.describe(t)),
    registerFile: async (name, bytes) => {
      if (isProbe(name) && opts.refuseProbes) throw new Error('refused (test)');
      // The CLI's engine thread opens only allowed paths, and the Node build asks its file system about registered names too.
      boot.allowReading([name]);
      (isProbe(name) ? probes : isWindow(name) ? windows : registered).push(name);
      events.push(`register ${name}`);
      return wasm.registerFile(name, bytes);
    },
    dropFile: (name) => ((isProbe(name) ? probesDropped : isWindow(name) ? windowsDropped : dropped).push(name), events.push(`drop ${name}`), wasm.dropFile(name)),
  };
  return { engine, log, registered, dropped, probes, probesDropped, windows, windowsDropped, events };
}

async function run(engine: QueryEngine, d: DashboardFile, cache: Map<string, LoadedDataset>, extra: Partial<RunOptions> = {}) {
  const datasets: DatasetRunState[] = [];
  const panels: Record<string, PanelRunState> = {};
  await runDashboardQueries(
    engine,
    d,
    { linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: file.length }), onDataset: (_n, st) => datasets.push(st), onPanel: (id, st) => (panels[id] = st) },
    // The demo file is small: draw first regardless of size (the app does so from BYTES_FIRST_MIN_BYTES on).
    { trusted: true, now: Date.UTC(2026, 0, 1), cache, bytesFirstMinBytes: 0, ...extra },
  );
  return { datasets, panels };
}

const relationKind = async (name: string) => {
  const tables = await wasm.query(Sql.concat("SELECT table_name AS n FROM duckdb_tables() WHERE table_name LIKE 'ds_raw_orders%'"));
  const views = await wasm.query(Sql.concat("SELECT view_name AS n FROM duckdb_views() WHERE view_name LIKE 'ds_raw_orders%'"));
  // The raw relation and any table still under a temporary name (not a correction's own tables).
  const all = [...tables.rows, ...views.rows].map((r) => String(r.n)).filter((n) => n === name || n.startsWith(`${name} (loading`));
  return { kind: tables.rows.some((r) => r.n === name) ? 'table' : views.rows.some((r) => r.n === name) ? 'view' : 'none', all: all.sort() };
};
const PANELS = ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers', 'daily_revenue', 'revenue_by_region', 'revenue_by_campaign', 'recent_orders'];
const isPanelQuery = (sql: string) => sql.includes('FROM "ds_orders"') && !sql.includes('"newest"') && !sql.includes('count(*) AS "n"');
const isBuild = (sql: string) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders (loading ');
const readyRows = (st: PanelRunState | undefined) => (st?.status === 'ready' ? st.result.rows : st);

describe('first paint from the fetched bytes', () => {
  it("answers the footers' questions (columns, rows, statistics) from the footers in JS, without the engine", async () => {
    const rec = recordingEngine();
    const inJs = await run(rec.engine, demo([]), new Map(), { windowFirst: false });
    expect(rec.probes).toEqual([]);
    const data = rec.events.indexOf(`register ${rec.registered[0]}`);
    const firstPanel = rec.events.findIndex(isPanelQuery);
    const asked = (sql: string) => /^DESCRIBE |^describe |count\(\*\) AS "n"|parquet_metadata\(/.test(sql);
    expect(rec.events.slice(0, firstPanel).filter(asked)).toEqual([]);
    expect(firstPanel).toBeGreaterThan(data);
    // The same answers as the engine's (asked of it over the footers, below).
    const asking = recordingEngine();
    const fromEngine = await run(asking.engine, demo([]), new Map(), { windowFirst: false, footersInJs: false });
    const ready = (r: typeof inJs) => r.datasets.filter((st) => st.status === 'ready').map((st) => st.status === 'ready' && { rows: st.rowCount, columns: st.columns, period: st.period });
    expect(ready(inJs)[0]).toEqual(ready(fromEngine)[0]);
    for (const id of PANELS) expect(readyRows(inJs.panels[id]), id).toEqual(readyRows(fromEngine.panels[id]));
  });

  it("asks the engine the footers' questions (columns, rows, statistics) over a footer-only file before the data is registered, not after", async () => {
    const d = demo([]);
    const rec = recordingEngine();
    // Without a first paint from the newest row groups (tested below), which queries before the data
    // is registered; and with the engine asked, as for footers JS does not read.
    const probed = await run(rec.engine, d, new Map(), { windowFirst: false, footersInJs: false });
    expect(rec.probes).toHaveLength(1);
    expect(rec.probesDropped).toEqual(rec.probes);
    const probe = rec.probes[0] as string;
    const data = rec.events.indexOf(`register ${rec.registered[0]}`);
    expect(rec.events.indexOf(`drop ${probe}`)).toBeLessThan(data);
    const asked = (sql: string) => /^DESCRIBE |^describe |count\(\*\) AS "n"|parquet_metadata\(/.test(sql);
    const beforeData = rec.events.slice(0, data).filter(asked);
    expect(beforeData.some((sql) => sql.startsWith('DESCRIBE') && sql.includes(probe))).toBe(true);
    expect(beforeData.some((sql) => sql.includes('count(*) AS "n"') && sql.includes(probe))).toBe(true);
    expect(beforeData.some((sql) => sql.includes('parquet_metadata(') && sql.includes(probe))).toBe(true);
    // After the data is registered, nothing of that is asked again before the panels' queries.
    const firstPanel = rec.events.findIndex(isPanelQuery);
    expect(firstPanel).toBeGreaterThan(data);
    expect(rec.events.slice(data, firstPanel).filter(asked)).toEqual([]);

    // A probe the engine refuses costs nothing but the time: the same questions are asked over the data, with the same answers.
    const refused = recordingEngine(undefined, { refuseProbes: true });
    const cache = new Map<string, LoadedDataset>();
    const fallback = await run(refused.engine, d, cache, { windowFirst: false, footersInJs: false });
    expect(refused.probes).toEqual([]);
    const fallbackData = refused.events.indexOf(`register ${refused.registered[0]}`);
    const fallbackPanel = refused.events.findIndex(isPanelQuery);
    expect(refused.events.slice(fallbackData, fallbackPanel).filter(asked).length).toBeGreaterThanOrEqual(2);
    const ready = (r: typeof probed) => r.datasets.filter((st) => st.status === 'ready').map((st) => st.status === 'ready' && { rows: st.rowCount, columns: st.columns, period: st.period });
    expect(ready(probed)[0]).toEqual(ready(fallback)[0]);
    for (const id of PANELS) expect(readyRows(probed.panels[id]), id).toEqual(readyRows(fallback.panels[id]));
    expect([...([...cache.values()][0]?.view?.distinctBounds?.keys() ?? [])].sort()).toEqual(['customer_id', 'order_id']);
  });

  it('draws the panels of the newest row groups from those alone before the whole file is registered, with the rows a whole-file run gives, and keeps what they drew', async () => {
    // The demo data is in time order, in 4 row groups: its last 60 days are in the last 2 (155K of 401K rows).
    // Revenue compares with a year before, so it reads further back and waits for the whole file.
    const d = demo([]);
    const yearBack: DashboardFile = { ...d, panels: d.panels.map((p) => (p.id === 'kpi_revenue' && p.kind === 'kpi' ? { ...p, comparison: 'previous_year' } : p)) };
    // A correction of values in place (the spelling of a campaign) changes no row's time: the same.
    const spelling = demo([FIX_SPELLING]);
    for (const dashboard of [d, yearBack, spelling]) {
      const rec = recordingEngine();
      const states: { id: string; st: PanelRunState; at: number }[] = [];
      // When the run said its first panels' rows were in (events so far).
      const paintBytes: number[] = [];
      await runDashboardQueries(
        rec.engine,
        dashboard,
        { linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: file.length }), onDataset: () => {}, onPanel: (id, st) => states.push({ id, st, at: rec.events.length }) },
        { trusted: true, now: Date.UTC(2026, 0, 1), cache: new Map(), bytesFirstMinBytes: 0, onPaintBytes: () => paintBytes.push(rec.events.length) },
      );
      const whole = await run(recordingEngine().engine, dashboard, new Map(), { windowFirst: false });
      const label = dashboard === d ? 'demo' : dashboard === spelling ? 'spelling' : 'year back';
      // One file of the newest row groups, registered before the data, and dropped once the data's view replaced it.
      const name = rec.windows[0] as string;
      // Its footer is registered under its name first, and the views are made over it while its
      // bytes download; its bytes then take the name, under the views already made.
      expect(rec.windows, label).toEqual([name, name]);
      const footerAt = rec.events.indexOf(`register ${name}`);
      const windowAt = rec.events.lastIndexOf(`register ${name}`);
      const viewsAt = rec.events.findIndex((e) => e.startsWith('CREATE OR REPLACE VIEW "ds_orders"'));
      expect(footerAt, label).toBeLessThan(viewsAt);
      expect(viewsAt, label).toBeLessThan(windowAt);
      expect(rec.events.slice(viewsAt + 1, windowAt).filter((e) => /^(SELECT|CREATE|DROP)/.test(e)), label).toEqual([]);
      expect(rec.windowsDropped).toEqual([name, name]);
      expect(rec.events.indexOf(`drop ${name}`)).toBe(windowAt - 1);
      const dataAt = rec.events.indexOf(`register ${rec.registered[0]}`);
      expect(windowAt).toBeGreaterThan(-1);
      expect(windowAt).toBeLessThan(dataAt);
      expect(rec.events.lastIndexOf(`drop ${name}`)).toBeGreaterThan(dataAt);
      // Said once the newest row groups were in, before their file was registered; again once the whole file was.
      expect(paintBytes, label).toEqual([expect.any(Number), expect.any(Number)]);
      expect(paintBytes[0]).toBeLessThanOrEqual(windowAt);
      expect(paintBytes[1]).toBeLessThanOrEqual(dataAt);
      const early = dashboard === yearBack ? PANELS.filter((id) => id !== 'kpi_revenue') : PANELS;
      for (const id of PANELS) {
        const reports = states.filter((s) => s.id === id && s.st.status === 'ready');
        // Drawn before the data was registered (`at`: events so far) when it reads only the newest row groups, after it otherwise.
        expect(reports[0]?.at, `${label} ${id}`)[early.includes(id) ? 'toBeLessThanOrEqual' : 'toBeGreaterThan'](dataAt);
        // The same rows as from the whole file; reported again after the load with the very same result (nothing to redraw).
        expect(readyRows(reports[0]?.st), `${label} ${id}`).toEqual(readyRows(whole.panels[id]));
        expect(new Set(reports.map((r) => (r.st.status === 'ready' ? r.st.result : null))).size, `${label} ${id}`).toBe(1);
      }
      // Once the data is registered, the panels drawn early are not queried again.
      const build = rec.events.findIndex((e) => isBuild(e));
      const later = rec.events.slice(dataAt, build).filter(isPanelQuery);
      expect(later.length, label).toBe(dashboard === yearBack ? 1 : 0);
      // Corrected values in place: the rows as read, as new, so no pass over them before the first panel.
      if (dashboard === spelling) {
        expect((readyRows(states.find((st) => st.id === 'revenue_by_campaign')?.st) as { x: string }[]).map((r) => r.x)).not.toContain('Blak Friday');
        const firstPanel = rec.events.findIndex(isPanelQuery);
        expect(rec.events.slice(0, firstPanel).filter((e) => e.includes('FROM "ds_orders"'))).toEqual([]);
      }
    }
    // A dataset with corrections that drop rows waits for the whole file (keeping one row of a key
    // needs the rows outside the window); so does one asked not to.
    for (const [dashboard, extra] of [[demo([DROP_CHANNEL]), {}], [demo([FIX_SPELLING, KEEP_ONE]), {}], [d, { windowFirst: false }]] as const) {
      const rec = recordingEngine();
      const paintBytes: number[] = [];
      await run(rec.engine, dashboard, new Map(), { ...extra, onPaintBytes: () => paintBytes.push(rec.events.length) });
      expect(rec.windows).toEqual([]);
      // Said once, when the whole file was in, before it was registered and any panel's statement.
      expect(paintBytes).toHaveLength(1);
      expect(paintBytes[0]).toBeLessThanOrEqual(rec.events.indexOf(`register ${rec.registered[0]}`));
      expect(paintBytes[0]).toBeLessThanOrEqual(rec.events.findIndex(isPanelQuery));
    }
  });

  it("a load stopped before its first paint's bytes came frees the footers its views were made over", async () => {
    let release!: () => void;
    dataHeld = new Promise<void>((resolve) => (release = resolve));
    const rec = recordingEngine();
    const stop = new AbortController();
    // Stopped once the first paint's footers are registered (its views are made over them).
    const engine: QueryEngine = {
      ...rec.engine,
      registerFile: async (name, bytes) => {
        await rec.engine.registerFile?.(name, bytes);
        if (name.startsWith('northstar-window-')) stop.abort();
      },
    };
    const datasets: DatasetRunState[] = [];
    try {
      await runDashboardQueries(
        engine,
        demo([]),
        { linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: file.length }), onDataset: (_n, st) => datasets.push(st), onPanel: () => {} },
        { trusted: true, now: Date.UTC(2026, 0, 1), cache: new Map(), bytesFirstMinBytes: 0, signal: stop.signal },
      );
    } finally {
      dataHeld = null;
      release();
    }
    expect(stop.signal.aborted).toBe(true);
    expect(rec.windows).toHaveLength(1);
    expect(rec.windowsDropped).toEqual(rec.windows);
    expect(rec.registered).toEqual([]);
  });

  it('a click while the rest of the file downloads waits for that load instead of starting another, and draws its own panels from it', async () => {
    // A server that answers the bytes before the two newest row groups only once released.
    const footer = parseParquetFooter(new Uint8Array(file), file.length);
    const windowStart = Math.min(...footer.chunks.filter((c) => c.group >= 2).map((c) => c.start));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = http.createServer((req, res) => {
      const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? '')) as RegExpExecArray;
      const start = m[1] === '' ? Math.max(0, file.length - Number(m[2])) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? file.length - 1 : Math.min(file.length - 1, Number(m[2]));
      void (start < windowStart ? released : Promise.resolve()).then(() =>
        res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${file.length}`, 'Content-Length': String(end - start + 1) }).end(file.subarray(start, end + 1)),
      );
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/orders.parquet`;
    try {
      const d = demo([]);
      const rec = recordingEngine();
      const cache = new Map<string, LoadedDataset>();
      let current = 1;
      const callbacks = (run: number, panels: Record<string, PanelRunState>, datasets: DatasetRunState[]) => ({
        linkSource: async () => ({ urls: [slowUrl], location: 'orders.parquet', sizeBytes: file.length }),
        onDataset: (_n: string, st: DatasetRunState) => datasets.push(st),
        onPanel: (id: string, st: PanelRunState) => {
          panels[id] = st;
          // The first paint drew: the user clicks a region, which replaces the run.
          if (run === 1 && id === 'recent_orders' && st.status === 'ready') current = 2;
        },
      });
      const base = { trusted: true, now: Date.UTC(2026, 0, 1), cache, bytesFirstMinBytes: 0 } as const;
      const first = { panels: {} as Record<string, PanelRunState>, datasets: [] as DatasetRunState[] };
      const second = { panels: {} as Record<string, PanelRunState>, datasets: [] as DatasetRunState[] };
      const emea = (panel: { id: string }) => (panel.id === 'revenue_by_region' ? undefined : { members: [{ dimension: 'region', values: ['EMEA'] }] });
      const runA = runDashboardQueries(rec.engine, d, callbacks(1, first.panels, first.datasets), { ...base, isStale: () => current !== 1 });
      while (current === 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const runB = runDashboardQueries(rec.engine, d, callbacks(2, second.panels, second.datasets), { ...base, isStale: () => current !== 2, refine: emea });
      // The second run waits, saying the data is loading, while the first run's bytes are held back.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(second.datasets.map((st) => st.status)).toEqual(['loading']);
      release();
      await Promise.all([runA, runB]);
      // One load: the file registered once, the table built once.
      expect(rec.registered).toHaveLength(1);
      expect(rec.log.filter(isBuild)).toHaveLength(1);
      expect(second.datasets.at(-1)?.status).toBe('ready');
      // The second run heard the first load's progress, and drew its own (filtered) panels with the rows a fresh run gives.
      expect(second.datasets.some((st) => st.status === 'loading' && st.progress !== undefined)).toBe(true);
      const fresh = await run(recordingEngine().engine, d, new Map(), { windowFirst: false, refine: emea });
      for (const id of PANELS) expect(readyRows(second.panels[id]), id).toEqual(readyRows(fresh.panels[id]));
      expect(readyRows(second.panels.kpi_revenue)).not.toEqual(readyRows(first.panels.kpi_revenue));
    } finally {
      release();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('answers every panel from the registered bytes before the table is built, with exactly the rows the table gives; the table then replaces the view', async () => {
    const d = demo([FIX_SPELLING, DROP_CHANNEL]);
    const cache = new Map<string, LoadedDataset>();
    const rec = recordingEngine();
    const first = await run(rec.engine, d, cache);

    // Every panel query went out before the table was built; the build came last, then the swap.
    const build = rec.log.findIndex(isBuild);
    const panelQueries = rec.log.flatMap((sql, i) => (isPanelQuery(sql) ? [i] : []));
    expect(build).toBeGreaterThan(0);
    expect(panelQueries.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...panelQueries)).toBeLessThan(build);
    expect(rec.log[build + 1]).toMatch(/^DROP VIEW IF EXISTS "ds_raw_orders"; ALTER TABLE "ds_raw_orders \(loading \d+\)" RENAME TO "ds_raw_orders"$/);
    // Now a table in memory, nothing left under a temporary name, and the registered bytes freed.
    expect(await relationKind('ds_raw_orders')).toEqual({ kind: 'table', all: ['ds_raw_orders'] });
    expect(rec.registered.length).toBe(1);
    expect(rec.dropped).toEqual(rec.registered);
    const entry = [...cache.values()][0];
    expect(entry?.fromBytes?.inMemory).toBe(true);
    // The count-distinct bounds (a scan of every row group) waited for the table.
    const stats = rec.log.filter((sql) => sql.includes('AS "newest"'));
    expect(stats[0]).not.toContain('"min_0"');
    expect(stats[stats.length - 1]).toContain('"min_0"');
    expect(rec.log.indexOf(stats[stats.length - 1] as string)).toBeGreaterThan(build);
    expect([...(entry?.view?.distinctBounds?.keys() ?? [])].sort()).toEqual(['customer_id', 'order_id']);
    const ready = first.datasets.find((st) => st.status === 'ready');
    expect(ready?.status === 'ready' && ready.corrections?.applied).toEqual(['fix_spelling', 'drop_partner']);
    // The rows loaded, as the footers declared them, are the table's count.
    const loadedRows = (await wasm.query(Sql.concat('SELECT count(*) AS "n" FROM "ds_raw_orders"'))).rows[0]?.n;
    expect(ready?.status === 'ready' && ready.corrections?.rawRowCount).toBe(loadedRows);
    expect(entry?.rowCount).toBe(loadedRows);

    // The same panels again on the table (the dataset is cached, no result cache; the KPIs now count by
    // bitmap over the bounds): identical rows, panel by panel.
    const again = recordingEngine();
    const onTable = await run(again.engine, d, cache);
    expect(again.log.some(isBuild)).toBe(false);
    expect(again.registered).toEqual([]);
    for (const id of PANELS) {
      expect(first.panels[id]?.status, id).toBe('ready');
      expect(readyRows(first.panels[id]), id).toEqual(readyRows(onTable.panels[id]));
    }
    // The spelling correction is in effect in both: the misspelled campaign is gone from the chart.
    const campaigns = readyRows(first.panels.revenue_by_campaign) as { x: string }[];
    expect(campaigns.map((r) => r.x)).not.toContain('Blak Friday');
  }, 60_000);

  it('draws "keep one row per key" from the bytes, numbering rows as the table will, and makes its view again over the table', async () => {
    const d = demo([KEEP_ONE]);
    const rec = recordingEngine();
    const cache = new Map<string, LoadedDataset>();
    const { datasets, panels } = await run(rec.engine, d, cache);
    // The copies were found, and every panel drawn, over the registered bytes before the table was built.
    const build = rec.log.findIndex(isBuild);
    const copies = rec.log.findIndex((sql) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders__dropped_1"'));
    expect(copies).toBeGreaterThan(0);
    expect(rec.log[copies]).toContain(`read_parquet('${rec.registered[0]}', filename = true, file_row_number = true)`);
    expect(rec.log.findLastIndex(isPanelQuery)).toBeLessThan(build);
    expect(copies).toBeLessThan(build);
    const ready = datasets.find((st) => st.status === 'ready');
    expect(ready?.status === 'ready' && ready.corrections).toMatchObject({ applied: ['dedupe'], problems: [] });
    // The day loaded twice is counted once: as many rows as distinct order ids.
    const distinct = await wasm.query(Sql.concat('SELECT count(DISTINCT order_id) AS "n" FROM "ds_raw_orders"'));
    expect(ready?.status === 'ready' && ready.rowCount).toBe(distinct.rows[0]?.n);
    for (const id of PANELS) expect(panels[id]?.status, id).toBe('ready');
    // Dropping rows leaves every value within the footers' bounds: the first KPIs counted by bitmap.
    expect(rec.log.slice(0, build).some((sql) => sql.includes('bitstring_agg("order_id"'))).toBe(true);
    // Its rows are the raw rows less the copies, and its newest time the footers', found among its
    // rows: no scan of every row for them. Both are the view's own.
    expect(rec.log.filter((sql) => sql.includes('count(*) AS "rows"'))).toEqual([]);
    const view = await wasm.query(Sql.concat('SELECT count(*) AS "n", CAST(epoch_ms(max("order_ts")) AS DOUBLE) AS "t" FROM "ds_orders"'));
    expect(view.rows[0]).toEqual({ n: ready?.status === 'ready' && ready.rowCount, t: [...cache.values()][0]?.view?.newest });
    // The swap made the view again over the table's rowid, right after the rename; the copies were
    // not looked for again, and the bytes were freed after.
    const swap = rec.log.findIndex((sql) => /^DROP VIEW IF EXISTS "ds_raw_orders"; ALTER TABLE/.test(sql));
    expect(rec.log[swap + 1]).toMatch(/^CREATE OR REPLACE VIEW "ds_orders" AS .*rowid AS "__northstar_row"/);
    expect(rec.log.filter((sql) => sql.includes('"ds_raw_orders__dropped_1" AS')).length).toBe(1);
    expect(rec.dropped).toEqual(rec.registered);
    expect([...cache.values()][0]?.fromBytes?.remakeOnSwap).toBeUndefined();
    // The same panels again on the table: identical rows.
    const onTable = await run(recordingEngine().engine, d, cache);
    for (const id of PANELS) expect(readyRows(onTable.panels[id]), id).toEqual(readyRows(panels[id]));
  }, 60_000);

  it('a table build that starts while "keep one row per key" reads the files waits for it, then makes its view again over the table', async () => {
    // The dataset read from its bytes, its table not built: the first run went stale once a panel drew.
    const cache = new Map<string, LoadedDataset>();
    let stale = false;
    await runDashboardQueries(
      recordingEngine().engine,
      demo(),
      { linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: file.length }), onDataset: () => {}, onPanel: () => (stale = true) },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache, isStale: () => stale, bytesFirstMinBytes: 0 },
    );
    const phase = [...cache.values()][0]?.fromBytes as BytesPhase;
    expect(phase.tableLoad).toBeNull();
    // The copies' statement is held back; meanwhile the table is built (as another run would).
    const { rec, release, held } = copiesHeldBack();
    const keepOne = run(rec.engine, demo([KEEP_ONE]), cache);
    await until(held);
    const build = loadTable(rec.engine, cache, 'ds_raw_orders', phase);
    await until(() => rec.log.some(isBuild));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rec.log.some((sql) => sql.includes('RENAME TO "ds_raw_orders"'))).toBe(false);
    release();
    await build;
    const { datasets, panels } = await keepOne;
    const ready = datasets.find((st) => st.status === 'ready');
    expect(ready?.status === 'ready' && ready.corrections).toMatchObject({ applied: ['dedupe'], problems: [] });
    const distinct = await wasm.query(Sql.concat('SELECT count(DISTINCT order_id) AS "n" FROM "ds_raw_orders"'));
    expect(ready?.status === 'ready' && ready.rowCount).toBe(distinct.rows[0]?.n);
    for (const id of PANELS) expect(panels[id]?.status, id).toBe('ready');
    // The view over the files came first, then the swap, and the view made again over the table.
    const overFiles = rec.log.findIndex((sql) => sql.startsWith('CREATE OR REPLACE VIEW "ds_orders"') && sql.includes('file_row_number'));
    const swap = rec.log.findIndex((sql) => sql.includes('RENAME TO "ds_raw_orders"'));
    expect(overFiles).toBeGreaterThan(0);
    expect(swap).toBeGreaterThan(overFiles);
    // (The run's own queries may come between: they read the view over the files, still there.)
    const remade = rec.events.findIndex((sql) => /^CREATE OR REPLACE VIEW "ds_orders" AS .*rowid AS "__northstar_row"/.test(sql));
    expect(remade).toBeGreaterThan(rec.events.indexOf(rec.log[swap] as string));
    expect(rec.events.findIndex((e) => e.startsWith('drop '))).toBeGreaterThan(remade);
    expect(await relationKind('ds_raw_orders')).toEqual({ kind: 'table', all: ['ds_raw_orders'] });
    expect(rec.dropped).toEqual(phase.files);
  }, 60_000);

  it("a run gone stale while it finds its copies leaves the newer run's view in place, which the newer run made after it", async () => {
    // The data in memory, no corrections. The user applies "keep one row per key", then undoes it
    // while the copies are still being found: the undo's run is the newer one.
    const cache = new Map<string, LoadedDataset>();
    await run(recordingEngine().engine, demo([]), cache, { bytesFirstMinBytes: Infinity });
    const { rec, release, held } = copiesHeldBack();
    let current = 1;
    const applied = run(rec.engine, demo([KEEP_ONE]), cache, { isStale: () => current !== 1 });
    await until(held);
    current = 2;
    // Each run reaches the engine through its own wrapper, as in the app.
    const undone = run(recordingEngine().engine, demo([]), cache, { isStale: () => current !== 2 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await applied;
    const { datasets, panels } = await undone;
    // What the newer run drew, what it reported, and the view the engine keeps: all the raw rows.
    const raw = Number((await wasm.query(Sql.concat('SELECT count(*) AS "n" FROM "ds_raw_orders"'))).rows[0]?.n);
    const inView = Number((await wasm.query(Sql.concat('SELECT count(*) AS "n" FROM "ds_orders"'))).rows[0]?.n);
    expect(inView).toBe(raw);
    const ready = datasets.findLast((st) => st.status === 'ready');
    expect(ready?.status === 'ready' && [ready.rowCount, ready.corrections?.applied]).toEqual([raw, []]);
    expect([...cache.values()][0]?.view?.corrections.applied).toEqual([]);
    const fresh = await run(recordingEngine().engine, demo([]), new Map(), { bytesFirstMinBytes: Infinity });
    for (const id of PANELS) expect(readyRows(panels[id]), id).toEqual(readyRows(fresh.panels[id]));
  }, 60_000);

  it("does not count by the footers' bounds a column a correction changes", async () => {
    // The newest order's customer renumbered far beyond the footers' maximum: a bitmap over those
    // bounds cannot hold it, and the active-customer KPI counts it.
    const native = await (await DuckDBInstance.create(':memory:')).connect();
    const newest = Number((await native.runAndReadAll(`SELECT customer_id FROM read_parquet('${PARQUET.replace(/'/g, "''")}') ORDER BY order_ts DESC LIMIT 1`)).getRows()[0]?.[0]);
    native.closeSync();
    const renumber = correction('renumber', 'map_value', { column: 'customer_id', from: newest, to: 9_000_000_000 });
    const d = demo([renumber, KEEP_ONE]);
    const rec = recordingEngine();
    const cache = new Map<string, LoadedDataset>();
    const { datasets, panels } = await run(rec.engine, d, cache);
    const ready = datasets.find((st) => st.status === 'ready');
    expect(ready?.status === 'ready' && ready.corrections).toMatchObject({ applied: ['renumber', 'dedupe'], problems: [] });
    const beforeBuild = rec.log.slice(0, rec.log.findIndex(isBuild));
    expect(beforeBuild.some((sql) => sql.includes('bitstring_agg("order_id"'))).toBe(true);
    expect(beforeBuild.some((sql) => sql.includes('bitstring_agg("customer_id"'))).toBe(false);
    const onTable = await run(recordingEngine().engine, d, cache);
    for (const id of PANELS) {
      expect(panels[id]?.status, id).toBe('ready');
      expect(readyRows(onTable.panels[id]), id).toEqual(readyRows(panels[id]));
    }
  }, 60_000);

  it('keeps the first row of each key in load order across several files, over the bytes, over the table, and over the bytes when the table ran out of memory', async () => {
    // The demo rows in two files, with changed copies of 1,000 of the first file's rows at the start
    // of the second. Keep-one keeps the originals (loaded first), so the totals are the single
    // file's. Rows numbered file by file from 0 would put those copies first, and drop the originals.
    // The second file ends with a copy of the first order a day after every other: the footers'
    // newest time, which the corrected rows do not have (the period must not move to it).
    const native = await (await DuckDBInstance.create(':memory:')).connect();
    const n = Number((await native.runAndReadAll(`SELECT count(*) FROM read_parquet('${PARQUET.replace(/'/g, "''")}')`)).getRows()[0]?.[0]);
    native.closeSync();
    const half = Math.floor(n / 2);
    const numbered = `(SELECT *, row_number() OVER () - 1 AS "i" FROM read_parquet('${PARQUET.replace(/'/g, "''")}'))`;
    const firstFile = await nativeParquet(`SELECT * EXCLUDE ("i") FROM ${numbered} WHERE "i" < ${half} ORDER BY "i"`);
    const secondFile = await nativeParquet(
      `SELECT * EXCLUDE ("i", "k") FROM (
         SELECT * REPLACE ("amount" * 100 + 7 AS "amount"), 0 AS "k" FROM ${numbered} WHERE "i" >= 1000 AND "i" < 2000
         UNION ALL SELECT *, 1 AS "k" FROM ${numbered} WHERE "i" >= ${half}
         UNION ALL SELECT * REPLACE ((SELECT max("order_ts") FROM ${numbered}) + INTERVAL 1 DAY AS "order_ts"), 2 AS "k" FROM ${numbered} WHERE "i" = 0
       ) ORDER BY "k", "i"`,
    );
    const urls = [serve('part-1.parquet', firstFile), serve('part-2.parquet', secondFile)];
    const runParts = async (cache: Map<string, LoadedDataset>, rec = recordingEngine(), extra: Partial<RunOptions> = {}) => {
      const datasets: DatasetRunState[] = [];
      const panels: Record<string, PanelRunState> = {};
      await runDashboardQueries(
        rec.engine,
        demo([KEEP_ONE]),
        { linkSource: async () => ({ urls, location: 'parts', sizeBytes: firstFile.length + secondFile.length }), onDataset: (_n, st) => datasets.push(st), onPanel: (id, st) => (panels[id] = st) },
        { trusted: true, now: Date.UTC(2026, 0, 1), cache, bytesFirstMinBytes: 0, ...extra },
      );
      return { rec, datasets, panels };
    };
    const single = await run(recordingEngine().engine, demo([KEEP_ONE]), new Map());
    const cache = new Map<string, LoadedDataset>();
    const parts = await runParts(cache);
    // Drawn from the two files' bytes, with the first file's rows counted before the second's.
    expect(parts.rec.log.findLastIndex(isPanelQuery)).toBeLessThan(parts.rec.log.findIndex(isBuild));
    expect(parts.rec.log.find((sql) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders__dropped_1"'))).toContain(`CAST([0, ${half}] AS BIGINT[])`);
    expect([...cache.values()][0]?.fromBytes?.inMemory).toBe(true);
    const onTable = await runParts(cache);
    for (const id of PANELS) {
      expect(readyRows(parts.panels[id]), id).toEqual(readyRows(single.panels[id]));
      expect(readyRows(onTable.panels[id]), id).toEqual(readyRows(single.panels[id]));
    }
    const rowCount = (states: DatasetRunState[]) => states.flatMap((st) => (st.status === 'ready' ? [st.rowCount] : [])).at(-1);
    expect(rowCount(parts.datasets)).toBe(rowCount(single.datasets));
    // The footers' newest time is a dropped copy's: the rows were scanned for theirs, and the period is the single file's.
    const period = (states: DatasetRunState[]) => states.flatMap((st) => (st.status === 'ready' ? [st.period] : [])).at(-1);
    expect(period(parts.datasets)).toEqual(period(single.datasets));
    expect(parts.rec.log.filter((sql) => sql.includes('count(*) AS "rows"'))).toHaveLength(1);
    const view = await wasm.query(Sql.concat('SELECT count(*) AS "n", CAST(epoch_ms(max("order_ts")) AS DOUBLE) AS "t" FROM "ds_orders"'));
    expect(view.rows[0]).toEqual({ n: rowCount(parts.datasets), t: [...cache.values()][0]?.view?.newest });

    // A table that runs out of memory leaves the dataset reading the bytes: the correction still
    // applies there, in that run and in a later one that makes the view again (raw data shown, then not).
    const outOfMemory = new EngineError('sql', 'Out of Memory Error: could not allocate block');
    const ranOut = new Map<string, LoadedDataset>();
    const failing = recordingEngine((sql) => {
      if (isBuild(sql.text)) throw outOfMemory;
    });
    const first = await runParts(ranOut, failing);
    await runParts(ranOut, recordingEngine(), { raw: true });
    const again = await runParts(ranOut);
    for (const result of [first, again]) {
      const ready = result.datasets.filter((st) => st.status === 'ready').at(-1);
      expect(ready?.status === 'ready' && ready.readsFetched?.reason).toBe(outOfMemory.message);
      expect(ready?.status === 'ready' && ready.corrections).toMatchObject({ applied: ['dedupe'], problems: [] });
      for (const id of PANELS) expect(readyRows(result.panels[id]), id).toEqual(readyRows(single.panels[id]));
    }
  }, 120_000);

  it('a click during the first paint is answered from the bytes, and its run builds the table', async () => {
    const d = demo();
    const cache = new Map<string, LoadedDataset>();
    const rec = recordingEngine();
    // The first run goes stale once its first panel is drawn (the user clicked): it builds nothing.
    let stale = false;
    const datasets: DatasetRunState[] = [];
    await runDashboardQueries(
      rec.engine,
      d,
      { linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: file.length }), onDataset: (_n, st) => datasets.push(st), onPanel: () => (stale = true) },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache, isStale: () => stale, bytesFirstMinBytes: 0 },
    );
    expect(rec.log.some(isBuild)).toBe(false);
    expect((await relationKind('ds_raw_orders')).kind).toBe('view');
    // The click's run finds the dataset (still its bytes), answers its panels, then builds the table.
    const click = await run(rec.engine, d, cache);
    expect(click.datasets.map((st) => st.status)).toEqual(['ready']);
    const build = rec.log.findIndex(isBuild);
    expect(rec.log.findLastIndex(isPanelQuery)).toBeLessThan(build);
    expect(await relationKind('ds_raw_orders')).toEqual({ kind: 'table', all: ['ds_raw_orders'] });
    expect(rec.dropped).toEqual(rec.registered);
    // No correction: the newest timestamp came from the footers' statistics (read in JS), not a pass
    // over the rows, and it is the one the table gives.
    const beforeBuild = rec.log.slice(0, build);
    expect(beforeBuild.some((sql) => sql.includes('FROM parquet_metadata(') || (sql.includes('AS "newest"') && sql.includes('FROM "ds_orders"')))).toBe(false);
    const newest = (await wasm.query(Sql.concat('SELECT CAST(epoch_ms(max("order_ts")) AS DOUBLE) AS "n" FROM "ds_raw_orders"'))).rows[0]?.n;
    expect([...cache.values()][0]?.view?.newest).toBe(newest);
    // The footers gave the count-distinct bounds too: the first KPIs counted by bitmap, within the
    // table's own bounds (the check below proves their numbers are the table's).
    expect(beforeBuild.some((sql) => sql.includes('bitstring_agg("order_id"'))).toBe(true);
    const exact = (await wasm.query(Sql.concat('SELECT min("order_id") AS "lo", max("order_id") AS "hi" FROM "ds_raw_orders"'))).rows[0];
    const footerBounds = beforeBuild.find((sql) => sql.includes('bitstring_agg("order_id"'))?.match(/bitstring_agg\("order_id", (-?\d+), (-?\d+)\)/);
    expect(Number(footerBounds?.[1])).toBeLessThanOrEqual(Number(exact?.lo));
    expect(Number(footerBounds?.[2])).toBeGreaterThanOrEqual(Number(exact?.hi));
    // ...and every panel drawn from the bytes shows the rows the table gives.
    const onTable = await run(recordingEngine().engine, d, cache);
    for (const id of PANELS) expect(readyRows(click.panels[id]), id).toEqual(readyRows(onTable.panels[id]));
  }, 60_000);

  it('never swaps an older load\'s table over a newer load, and frees both loads\' bytes', async () => {
    const d = demo();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = '';
    // The first build is held back until the second load (Reload data: the cache cleared) is done.
    const rec = recordingEngine(async (sql) => {
      if (isBuild(sql.text) && !held) {
        held = sql.text;
        await gate;
      }
    });
    const cache = new Map<string, LoadedDataset>();
    const older = run(rec.engine, d, cache);
    await until(() => held !== '');
    cache.clear();
    const newer = await run(rec.engine, d, cache);
    for (const id of PANELS) expect(newer.panels[id]?.status, id).toBe('ready');
    expect(await relationKind('ds_raw_orders')).toEqual({ kind: 'table', all: ['ds_raw_orders'] });
    const newerBuild = rec.log.filter(isBuild);
    expect(newerBuild).toHaveLength(1);
    release();
    await older;
    // The older build ran and was dropped: the newer table stays, alone.
    expect(rec.log.filter(isBuild)).toHaveLength(2);
    expect(rec.log[rec.log.length - 1]).toMatch(/^DROP TABLE IF EXISTS "ds_raw_orders \(loading \d+\)"$/);
    expect(await relationKind('ds_raw_orders')).toEqual({ kind: 'table', all: ['ds_raw_orders'] });
    expect([...rec.dropped].sort()).toEqual([...rec.registered].sort());
  }, 60_000);

  it('a build that fails leaves the dataset answering from its bytes; a cancelled one ends the run quietly', async () => {
    const d = demo();
    for (const failure of [new EngineError('sql', 'Out of Memory Error: could not allocate block'), new EngineError('cancelled', 'The query was cancelled.')]) {
      const rec = recordingEngine((sql) => {
        if (isBuild(sql.text)) throw failure;
      });
      const cache = new Map<string, LoadedDataset>();
      const first = await run(rec.engine, d, cache);
      for (const id of PANELS) expect(first.panels[id]?.status, `${failure.code} ${id}`).toBe('ready');
      expect((await relationKind('ds_raw_orders')).kind).toBe('view');
      const entry = [...cache.values()][0];
      expect(entry?.fromBytes?.inMemory).toBe(false);
      const failedWith = entry?.fromBytes?.failed?.error;
      expect(failedWith instanceof Error ? failedWith.message : failedWith ?? null).toBe(failure.code === 'sql' ? failure.message : null);
      // Out of memory: the dataset says, after its panels drew, that it reads the fetched bytes (the
      // app's notice); it was ready without that first. A cancelled build says nothing more.
      const readsFetched = (states: DatasetRunState[]) => states.flatMap((st) => (st.status === 'ready' ? [st.readsFetched?.reason ?? 'in memory'] : []));
      expect(readsFetched(first.datasets)).toEqual(failure.code === 'sql' ? ['in memory', failure.message] : ['in memory']);
      // The bytes stay registered: the view still reads them, and gives the same rows again.
      expect(rec.dropped).toEqual([]);
      const again = await run(recordingEngine().engine, d, cache);
      for (const id of PANELS) expect(readyRows(again.panels[id]), id).toEqual(readyRows(first.panels[id]));
      // A later run (a click) is ready reading the bytes from the start.
      expect(readsFetched(again.datasets).at(-1)).toBe(failure.code === 'sql' ? failure.message : 'in memory');
    }
  }, 60_000);

  it('a table that ran out of memory is not built again from the same data: the run on a fresh engine reads the fetched bytes from the start', async () => {
    const d = demo();
    const outOfMemory = new EngineError('sql', 'Out of Memory Error: could not allocate block');
    const tablesOutOfMemory = new Map<string, unknown>();
    let builds = 0;
    const ranOut = recordingEngine((sql) => {
      if (!isBuild(sql.text)) return;
      builds += 1;
      throw outOfMemory;
    });
    const first = await run(ranOut.engine, d, new Map(), { tablesOutOfMemory });
    expect(builds).toBe(1);
    expect(tablesOutOfMemory.size).toBe(1);
    // The app then starts a fresh engine (its dataset cache cleared) and runs again: the same data.
    const fresh = recordingEngine();
    const again = await run(fresh.engine, d, new Map(), { tablesOutOfMemory });
    expect(fresh.log.filter(isBuild)).toEqual([]);
    expect(tablesOutOfMemory.size).toBe(1);
    for (const id of PANELS) expect(readyRows(again.panels[id]), id).toEqual(readyRows(first.panels[id]));
    // Ready only ever as reading the fetched bytes, with the engine's words from the first time.
    const ready = again.datasets.filter((st) => st.status === 'ready');
    expect(ready.length).toBeGreaterThan(0);
    for (const st of ready) expect(st.status === 'ready' && st.readsFetched?.reason).toBe(outOfMemory.message);
    expect((await relationKind('ds_raw_orders')).kind).toBe('view');
    // Other data (here, under another memory budget) builds its table.
    const other = recordingEngine();
    const built = await run(other.engine, d, new Map(), { tablesOutOfMemory, memoryBudgetBytes: 1024 ** 4 });
    expect(other.log.filter(isBuild)).toHaveLength(1);
    expect(built.datasets.filter((st) => st.status === 'ready').every((st) => st.status === 'ready' && st.readsFetched === undefined)).toBe(true);
    expect((await relationKind('ds_raw_orders')).kind).toBe('table');
  }, 60_000);
});

/** The rows of `select` as a Parquet file written by native DuckDB (an independent writer), one thread, in row groups of 2,048. */
async function nativeParquet(select: string): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-native-'));
  const target = path.join(dir, 'f.parquet');
  const native = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    await native.run('SET threads = 1');
    await native.run(`COPY (${select}) TO '${target.replace(/'/g, "''")}' (FORMAT PARQUET, ROW_GROUP_SIZE 2048)`);
    return readFileSync(target);
  } finally {
    native.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Serve `bytes` at `name` on the test server; returns its URL. */
function serve(name: string, bytes: Buffer): string {
  served.set(`/${name}`, bytes);
  return url.replace(/[^/]+$/, name);
}

describe('text columns with few values', () => {
  const enumTypes = async () => (await wasm.query(Sql.concat("SELECT type_name AS \"t\" FROM duckdb_types() WHERE type_name LIKE 'ds_raw_orders (text %' ORDER BY 1"))).rows.map((r) => String(r.t));
  const columnTypes = async (table: string) =>
    Object.fromEntries((await wasm.query(Sql.concat('SELECT column_name AS "c", data_type AS "t" FROM duckdb_columns() WHERE table_name = ', str(table)))).rows.map((r) => [String(r.c), String(r.t)]));

  it('are stored as ENUMs in the table, read back as VARCHAR with the same rows, corrections included; a newer load drops the older types', async () => {
    for (const corrections of [[], [FIX_SPELLING, DROP_CHANNEL], [KEEP_ONE, FIX_SPELLING]]) {
      const d = demo(corrections);
      const plain = await run(recordingEngine().engine, d, new Map());
      const cache = new Map<string, LoadedDataset>();
      const rec = recordingEngine();
      const encoded = await run(rec.engine, d, cache, { textEncodingMinRows: 0 });
      const label = corrections.map((c) => c.id).join(',') || 'none';
      // In memory, the demo's text columns (a few dozen values each at most) as ENUMs of all their values.
      expect([...cache.values()][0]?.fromBytes?.inMemory, label).toBe(true);
      const raw = await columnTypes('ds_raw_orders');
      const text = ['region', 'country', 'city', 'channel', 'campaign', 'category'];
      for (const c of text) expect(raw[c], `${label} ${c}`).toMatch(/^ENUM\(/);
      expect(raw.amount).toBe('DOUBLE');
      const types = await enumTypes();
      expect(types).toHaveLength(text.length);
      for (const c of text) {
        const type = types.find((t) => t.endsWith(`) ${c}`)) as string;
        const values = await wasm.query(Sql.concat('SELECT len(enum_range(NULL::', ident(type), ')) AS "n", (SELECT count(DISTINCT ', ident(c), ') FROM "ds_raw_orders") AS "d"'));
        expect(values.rows[0]?.n, c).toBe(values.rows[0]?.d);
      }
      // Every reader sees VARCHAR, and the very rows of a table built as read.
      const view = await columnTypes('ds_orders');
      for (const c of text) expect(view[c], `${label} ${c}`).toBe('VARCHAR');
      for (const id of PANELS) {
        expect(encoded.panels[id]?.status, `${label} ${id}`).toBe('ready');
        expect(readyRows(encoded.panels[id]), `${label} ${id}`).toEqual(readyRows(plain.panels[id]));
      }
      // On the table: the filters and group-bys of a click give what the text gives (native DuckDB, same SQL over the file).
      const native = await (await DuckDBInstance.create(':memory:')).connect();
      for (const sql of [
        'SELECT CAST("country" AS VARCHAR) AS "x", round(sum("amount"), 2) AS "v" FROM %T WHERE CAST("region" AS VARCHAR) IN (\'EMEA\') GROUP BY 1 ORDER BY 1',
        'SELECT "campaign", count(*) AS "n" FROM %T WHERE "campaign" LIKE \'%riday%\' OR "campaign" IS NULL GROUP BY 1 ORDER BY 1',
        'SELECT min("city") AS "lo", max("city") AS "hi", count(DISTINCT "channel") AS "c" FROM %T',
      ]) {
        if (corrections.length > 0) continue;
        const mine = await wasm.query(Sql.concat(sql.replace('%T', '"ds_orders"')));
        const theirs = (await native.runAndReadAll(sql.replace('%T', `read_parquet('${PARQUET}')`))).getRowObjectsJS();
        expect(mine.rows.map((r) => Object.values(r).map(String)), sql).toEqual(theirs.map((r) => Object.values(r).map(String)));
      }
      native.closeSync();
      // Loaded again (another load of the same name): only the newest load's types are left.
      const before = await enumTypes();
      const reloaded = new Map<string, LoadedDataset>();
      await run(recordingEngine().engine, d, reloaded, { textEncodingMinRows: 0 });
      const after = await enumTypes();
      expect(after).toHaveLength(text.length);
      expect(after.some((t) => before.includes(t)), label).toBe(false);
    }
  }, 120_000);

  it('are left as text when they hold more values than an ENUM is made for, though every row group shows few', async () => {
    // The demo's first 195 row groups' worth of rows with 350 cities per row group of 2,048, none
    // shared between groups: every chunk a small dictionary (the footer rule), 68,250 values in all
    // (over TEXT_MAX_DISTINCT, 65,535).
    const wide = await nativeParquet(
      `SELECT * EXCLUDE ("i") REPLACE ('c' || (("i" // 2048) * 350 + "i" % 350) AS "city")
       FROM (SELECT *, row_number() OVER () - 1 AS "i" FROM read_parquet('${PARQUET.replace(/'/g, "''")}')) WHERE "i" < 195 * 2048`,
    );
    const footer = parseParquetFooter(wide.subarray(Math.max(0, wide.length - 1024 * 1024)), wide.length);
    const cities = footer.chunks.filter((c) => c.column === 'city');
    expect(cities.length).toBe(195);
    expect(cities.every((c) => c.smallDictionary)).toBe(true);
    const wideUrl = serve('wide.parquet', wide);
    const runWide = async (cache: Map<string, LoadedDataset>, extra: Partial<RunOptions>) => {
      const panels: Record<string, PanelRunState> = {};
      await runDashboardQueries(
        recordingEngine().engine,
        demo(),
        { linkSource: async () => ({ urls: [wideUrl], location: 'wide.parquet', sizeBytes: wide.length }), onDataset: () => {}, onPanel: (id, st) => (panels[id] = st) },
        { trusted: true, now: Date.UTC(2026, 0, 1), cache, bytesFirstMinBytes: 0, windowFirst: false, ...extra },
      );
      return panels;
    };
    const plain = await runWide(new Map(), {});
    const cache = new Map<string, LoadedDataset>();
    const encoded = await runWide(cache, { textEncodingMinRows: 0 });
    expect([...cache.values()][0]?.fromBytes?.inMemory).toBe(true);
    const raw = await columnTypes('ds_raw_orders');
    expect(raw.city).toBe('VARCHAR');
    for (const c of ['region', 'country', 'channel', 'campaign', 'category']) expect(raw[c], c).toMatch(/^ENUM\(/);
    expect((await enumTypes()).some((t) => t.endsWith(') city'))).toBe(false);
    expect(Number((await wasm.query(Sql.concat('SELECT count(DISTINCT "city") AS "n" FROM "ds_raw_orders"'))).rows[0]?.n)).toBeGreaterThan(65_535);
    for (const id of PANELS) {
      expect(encoded[id]?.status, id).toBe('ready');
      expect(readyRows(encoded[id]), id).toEqual(readyRows(plain[id]));
    }
  }, 120_000);

  it('are left as text below the row threshold, and a failed encoded build falls back to the table as read', async () => {
    const cache = new Map<string, LoadedDataset>();
    await run(recordingEngine().engine, demo(), cache);
    expect((await columnTypes('ds_raw_orders')).region).toBe('VARCHAR');
    // The engine refuses the encoded build (not for memory): the plain build follows, and the panels are right.
    const rec = recordingEngine((sql) => {
      if (isBuild(sql.text) && sql.text.includes(' REPLACE (CAST(')) throw new EngineError('sql', 'Conversion Error: Could not convert string to ENUM');
    });
    const fallback = new Map<string, LoadedDataset>();
    const result = await run(rec.engine, demo(), fallback, { textEncodingMinRows: 0 });
    expect([...fallback.values()][0]?.fromBytes?.inMemory).toBe(true);
    expect((await columnTypes('ds_raw_orders')).region).toBe('VARCHAR');
    for (const id of PANELS) expect(result.panels[id]?.status, id).toBe('ready');
    expect(await enumTypes()).toEqual([]);
  }, 60_000);
});

describe('when the data cannot be decoded', () => {
  // What DuckDB says about a damaged data page (parquet-testing's ARROW-GH-41321): the metadata reads
  // fine, so counts answer from it, and only decoding every value (the table build) finds the damage.
  const failure = describeReadFailure('Invalid Input Error: Decode bit width too large');
  const damaged = new EngineError('sourceUnreadable', failure.message, failure);

  it('a failed build after first paint turns every panel of the dataset into the damaged-file error, then and on later runs', async () => {
    const rec = recordingEngine((sql) => {
      if (isBuild(sql.text)) throw damaged;
    });
    const cache = new Map<string, LoadedDataset>();
    const first = await run(rec.engine, demo(), cache);
    const last = first.datasets[first.datasets.length - 1];
    expect(last?.status).toBe('error');
    expect(last?.status === 'error' && last.message).toMatch(/damaged or malformed.*Decode bit width too large/);
    for (const id of PANELS) expect(first.panels[id]?.status, id).toBe('error');
    // A click does not draw the numbers again from the bytes: the dataset stays failed until reloaded.
    const again = await run(recordingEngine().engine, demo(), cache);
    expect(again.datasets.map((st) => st.status)).toEqual(['error']);
    for (const id of PANELS) expect(again.panels[id]?.status, id).toBe('error');
  }, 60_000);

  it('data under the threshold builds its table before any panel, so a damaged file fails before anything draws', async () => {
    const rec = recordingEngine((sql) => {
      if (isBuild(sql.text)) throw damaged;
    });
    const drawn: string[] = [];
    const datasets: DatasetRunState[] = [];
    await runDashboardQueries(
      rec.engine,
      demo(),
      { linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: file.length }), onDataset: (_n, st) => datasets.push(st), onPanel: (id, st) => st.status === 'ready' && drawn.push(id) },
      // The demo file counts as small here; the app's default threshold (BYTES_FIRST_MIN_BYTES) sits below it.
      { trusted: true, now: Date.UTC(2026, 0, 1), cache: new Map(), bytesFirstMinBytes: file.length + 1 },
    );
    expect(drawn).toEqual([]);
    expect(rec.log.some((sql) => isPanelQuery(sql))).toBe(false);
    expect(datasets.every((st, i) => (i === datasets.length - 1 ? st.status === 'error' : st.status === 'loading'))).toBe(true);
    expect(datasets[datasets.length - 1]?.status).toBe('error');
  }, 60_000);
});

describe('a fetched dataset above the memory budget', () => {
  it('is read from disk, decided from its footers before any data is fetched, with the rows a loaded one gives', async () => {
    const footer = parseParquetFooter(new Uint8Array(file), file.length);
    const d = demo();
    const used = new Set(projectedColumns(d, d.datasets[0] as Dataset, footer.columns) ?? footer.columns);
    const estimate = footer.chunks.filter((c) => used.has(c.column)).reduce((n, c) => n + c.memoryBytes, 0);
    // The Node build reads no HTTP: a dataset read from disk reads the same file by its path here.
    boot.allowReading([PARQUET]);
    const rec = recordingEngine();
    const local = (sql: Sql) => Sql.concat(sql.text.replaceAll(url, PARQUET));
    const onDisk: QueryEngine = { ...rec.engine, exec: (sql) => rec.engine.exec(local(sql)), query: (sql) => rec.engine.query(local(sql)) };
    const scanned = await run(onDisk, d, new Map(), { memoryBudgetBytes: estimate - 1 });
    const state = scanned.datasets[scanned.datasets.length - 1];
    if (state?.status !== 'ready') throw new Error(`orders not ready: ${JSON.stringify(state)}`);
    expect(state.scan).toEqual({ estimateBytes: estimate, budgetBytes: estimate - 1 });
    expect(rec.registered).toEqual([]);
    expect((await relationKind('ds_raw_orders')).kind).toBe('view');
    // Exactly at the estimate it is fetched and loaded; the panels agree.
    const loaded = await run(recordingEngine().engine, d, new Map(), { memoryBudgetBytes: estimate });
    const inMemory = loaded.datasets[loaded.datasets.length - 1];
    expect(inMemory?.status === 'ready' && inMemory.scan).toBeUndefined();
    for (const id of PANELS) expect(readyRows(scanned.panels[id]), id).toEqual(readyRows(loaded.panels[id]));
  }, 60_000);
});

describe("the footers' statistics", () => {
  it('give the newest timestamp and the bounds of integer columns, and leave out a column a row group has no statistics for, or beyond exact numbers', async () => {
    // Written by native DuckDB (an independent writer): three row groups of 2,048 rows, where the first
    // has no statistics for "partly_null" (all NULL there).
    const bytes = await nativeParquet(
      `SELECT i AS "id", CASE WHEN i >= 2048 THEN i END AS "partly_null", 9007199254740993 + i AS "huge", TIMESTAMP '2024-01-01' + to_minutes(i) AS "ts"
       FROM range(6144) AS t(i) ORDER BY i`,
    );
    const name = `footers-${Date.now()}.parquet`;
    boot.allowReading([name]);
    await wasm.registerFile(name, new Uint8Array(bytes));
    try {
      const phase: BytesPhase = { files: [name], select: Sql.raw``, generation: 1, tableLoad: null, inMemory: false, failed: null };
      const stats = await statsFromFooters(wasm, phase.files, { time: 'ts', integers: ['id', 'partly_null', 'huge', 'not_a_column'] });
      expect(stats.newest).toBe(Date.UTC(2024, 0, 1) + 6143 * 60_000);
      expect([...stats.bounds]).toEqual([['id', { min: 0, max: 6143 }]]);
      const groups = await wasm.query(Sql.concat('SELECT count(DISTINCT row_group_id) AS "n", count(*) FILTER (WHERE stats_min_value IS NULL) AS "unknown" FROM parquet_metadata(', str(name), ')'));
      expect(groups.rows[0]).toEqual({ n: 3, unknown: 1 });
      // Nothing asked, nothing read.
      expect(await statsFromFooters(wasm, phase.files, { integers: [] })).toEqual({ newest: null, bounds: new Map() });
    } finally {
      await wasm.dropFile(name);
    }
  }, 60_000);
});

/** An engine whose first statement finding "keep one row per key"'s copies waits until released. */
function copiesHeldBack() {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  const rec = recordingEngine(async (sql) => {
    if (!held && sql.text.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders__dropped_1"')) {
      held = true;
      await gate;
    }
  });
  return { rec, release, held: () => held };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}
