// Stored panel results in a real run: DuckDB-WASM (the Node build) loading Parquet fetched over
// HTTP from a server whose ETag the test controls, and the host's real result store on disk.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile, DataPanel } from '../dashboards/schema';
import { ResultStore } from '../electron/services/result-store';
import { runDashboardQueries, type DatasetRunState, type LoadedDataset, type PanelRunState, type QueryEngine } from './dashboard-runner';
import { Engine } from './engine/engine';
import { contentVersion, type PersistedResultsStore } from './persisted-results';
import type { PanelRefinement } from './panel-queries';
import { str } from './sql';

const EXAMPLES = path.join(__dirname, '..', 'dashboards', 'examples');
const PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');
const NOW = Date.UTC(2026, 0, 1);

const demo = (): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
};

describe('stored panel results in a run, on DuckDB-WASM over HTTP', () => {
  let boot: NodeEngineBootstrap;
  let wasm: Engine;
  let server: http.Server;
  let url: string;
  let dir: string;
  let store: ResultStore;
  const original = readFileSync(PARQUET);
  let changed: Buffer;
  /** What the server serves now, and the ETag it says that is. */
  let served: { bytes: Buffer; etag: string };
  /** Held until opened: the body of every read that is not the footer's (the load's data). */
  let gate: Promise<void> = Promise.resolve();
  /** Requests the server has had. */
  let requests = 0;
  /** Told of every read of a file's end (the footer's). */
  let onTail = () => {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-persisted-run-'));
    // The "changed file": the same orders without one region, so every total differs.
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const changedPath = path.join(dir, 'changed.parquet');
    await conn.run(`COPY (SELECT * FROM read_parquet(${str(PARQUET).text}) WHERE region <> 'EMEA') TO ${str(changedPath).text} (FORMAT parquet)`);
    conn.closeSync();
    instance.closeSync();
    changed = readFileSync(changedPath);
    served = { bytes: original, etag: '"v1"' };
    boot = nodeBootstrap();
    wasm = await Engine.start(boot);
    server = http.createServer((req, res) => {
      requests += 1;
      const { bytes, etag } = served;
      const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (!m) {
        res.writeHead(200, { 'Content-Length': String(bytes.length), ETag: etag }).end(bytes);
        return;
      }
      const start = m[1] === '' ? Math.max(0, bytes.length - Number(m[2])) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? bytes.length - 1 : Math.min(bytes.length - 1, Number(m[2]));
      const send = () => res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, 'Content-Length': String(end - start + 1), ETag: etag }).end(bytes.subarray(start, end + 1));
      if (m[1] === '') {
        onTail();
        send();
      } else void gate.then(send);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders.parquet`;
    store = new ResultStore({ dir: path.join(dir, 'results') });
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await wasm?.terminate();
    boot?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The engine as the app's runner sees it, loading from fetched bytes; every panel query's SQL goes to `queries`. */
  function fetchingEngine(queries: string[]): QueryEngine {
    return {
      exec: (sql) => wasm.exec(sql),
      query: (sql) => {
        queries.push(sql.text);
        return wasm.query(sql);
      },
      describe: (t) => wasm.describe(t),
      // The engine thread opens only allowed paths, the runner's registered names included.
      registerFile: (name, bytes) => {
        boot.allowReading([name]);
        return wasm.registerFile(name, bytes);
      },
      dropFile: (name) => wasm.dropFile(name),
    };
  }

  /**
   * One open: a fresh dataset cache (as a new app session), the host saying the file is `validated`.
   * The load's data reads wait until the stored entry has been read and drawn from, so what was
   * drawn before the load is exactly known.
   */
  async function open(validated: { etag: string; size: number }) {
    const events: string[] = [];
    const panels: Record<string, PanelRunState> = {};
    const storedDraws: Record<string, PanelRunState> = {};
    const queries: string[] = [];
    const writes: Promise<void>[] = [];
    let release = () => {};
    gate = new Promise<void>((resolve) => (release = resolve));
    const persisted: PersistedResultsStore = {
      read: async (key) => {
        const entry = await store.read(key);
        // The runner draws from the entry as soon as it has it; then the data may arrive.
        setImmediate(release);
        return entry;
      },
      write: (key, entry) => {
        const written = store.write(key, entry);
        writes.push(written);
        return written;
      },
      onEntry: (dataset, drawable) => events.push(`entry ${dataset} ${drawable}`),
    };
    const engine = fetchingEngine(queries);
    // Without a stored entry nothing is read from the store, and nothing waits for it.
    const fallback = setTimeout(() => release(), 5_000);
    await runDashboardQueries(
      engine,
      demo(),
      {
        linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: served.bytes.length, versions: [{ object: 'orders.parquet', version: contentVersion(validated.etag, null, validated.size) }] }),
        onDataset: (_n, st: DatasetRunState) => events.push(`dataset ${st.status}`),
        onPanel: (id, st) => {
          panels[id] = st;
          if (st.status === 'ready' && st.stored) storedDraws[id] = st;
          events.push(`panel ${id} ${st.status}${st.status === 'ready' && st.stored ? ' stored' : ''}`);
        },
      },
      { trusted: true, now: NOW, cache: new Map<string, LoadedDataset>(), memoryBudgetBytes: 2 * 1024 ** 3, persisted },
    );
    clearTimeout(fallback);
    await Promise.all(writes);
    return { events, panels, storedDraws, queries };
  }

  /** A run's options as the app's (a new session: an empty dataset cache), with this store of stored results. */
  const runOptions = (persisted: PersistedResultsStore) => ({ trusted: true, now: NOW, cache: new Map<string, LoadedDataset>(), memoryBudgetBytes: 2 * 1024 ** 3, persisted });

  const numbers = (panels: Record<string, PanelRunState>) =>
    Object.fromEntries(Object.entries(panels).map(([id, st]) => [id, st.status === 'ready' ? JSON.stringify(st.result.rows) : st.status]));
  const DATA_PANELS = ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers', 'daily_revenue', 'revenue_by_region', 'revenue_by_campaign', 'recent_orders'];

  it('draws stored results before the load for the same version, runs none of their SQL, and never serves them for another version', async () => {
    const v1 = { etag: '"v1"', size: original.length };
    const cold = await open(v1);
    expect(Object.keys(cold.storedDraws)).toEqual([]);
    // The app is told the dataset cannot draw from stored results (it starts its engine at once).
    expect(cold.events.filter((e) => e.startsWith('entry '))).toEqual(['entry orders false']);
    expect(Object.keys(cold.panels).sort()).toEqual([...DATA_PANELS].sort());
    for (const id of DATA_PANELS) expect(cold.panels[id]?.status, id).toBe('ready');

    // Re-open, file unchanged: every panel is drawn from the store while the dataset still loads...
    const warm = await open(v1);
    expect(Object.keys(warm.storedDraws).sort()).toEqual([...DATA_PANELS].sort());
    // ...and told so before the first stored draw (the app holds its engine's start until they are drawn).
    expect(warm.events.filter((e) => e.startsWith('entry '))).toEqual(['entry orders true']);
    expect(warm.events.indexOf('entry orders true')).toBeLessThan(warm.events.findIndex((e) => e.endsWith(' ready stored')));
    // ...each saying the period its results were computed for (the demo's last 30 days).
    for (const id of DATA_PANELS) expect(warm.storedDraws[id]?.status === 'ready' && warm.storedDraws[id].stored?.period?.days, id).toBe(30);
    const datasetReady = warm.events.indexOf('dataset ready');
    for (const id of DATA_PANELS) expect(warm.events.indexOf(`panel ${id} ready stored`), id).toBeLessThan(datasetReady);
    // ...with the very numbers of the cold open, which the load then keeps without running their SQL.
    expect(numbers(warm.panels)).toEqual(numbers(cold.panels));
    for (const id of DATA_PANELS) expect(warm.panels[id]?.status === 'ready' && warm.panels[id].stored, id).toBeFalsy();
    const panelSql = new Set(Object.values(cold.panels).flatMap((st) => (st.status === 'ready' ? [st.sql] : [])));
    expect(warm.queries.filter((q) => panelSql.has(q))).toEqual([]);
    expect(warm.queries.some((q) => q.startsWith('SELECT 0 AS "w"'))).toBe(false);

    // The host validated v1 but the file changed before the load read it: the stored v1 numbers may
    // show while loading (they were validated), but the load reads v2, so every panel is answered
    // again with v2's numbers, and none of them is stored as v1's.
    served = { bytes: changed, etag: '"v2"' };
    const raced = await open(v1);
    expect(Object.keys(raced.storedDraws).sort()).toEqual([...DATA_PANELS].sort());
    expect(numbers(raced.panels).kpi_revenue).not.toEqual(numbers(cold.panels).kpi_revenue);
    expect(numbers(raced.panels).revenue_by_region).not.toContain('EMEA');
    served = { bytes: original, etag: '"v1"' };
    const again = await open(v1);
    expect(Object.values(again.storedDraws).map((st) => (st.status === 'ready' ? JSON.stringify(st.result.rows) : ''))).toEqual(
      Object.keys(again.storedDraws).map((id) => numbers(cold.panels)[id]),
    );

    // The file changed (a new ETag, new bytes): nothing stored is drawn, the numbers are the new data's,
    // and they replace v1's in the store: the next open of v2 draws them, one of v1 draws nothing.
    served = { bytes: changed, etag: '"v2"' };
    const v2 = { etag: '"v2"', size: changed.length };
    const after = await open(v2);
    expect(Object.keys(after.storedDraws)).toEqual([]);
    expect(after.events.filter((e) => e.startsWith('entry '))).toEqual(['entry orders false']);
    expect(numbers(after.panels)).toEqual(numbers(raced.panels));
    const afterAgain = await open(v2);
    expect(Object.keys(afterAgain.storedDraws).sort()).toEqual([...DATA_PANELS].sort());
    expect(numbers(afterAgain.panels)).toEqual(numbers(after.panels));
    for (const [id, st] of Object.entries(afterAgain.storedDraws)) expect(st.status === 'ready' && JSON.stringify(st.result.rows), id).toBe(numbers(after.panels)[id]);
    served = { bytes: original, etag: '"v1"' };
    const back = await open(v1);
    expect(Object.keys(back.storedDraws)).toEqual([]);
    expect(numbers(back.panels)).toEqual(numbers(cold.panels));
  }, 120_000);

  it('asks the store for the entry while the host still validates the files, not after', async () => {
    served = { bytes: original, etag: '"v1"' };
    const order: string[] = [];
    let validate = () => {};
    const validated = new Promise<void>((resolve) => (validate = resolve));
    // Were the entry asked for only after the link, nothing would release it: the fallback does, late.
    const fallback = setTimeout(() => validate(), 3_000);
    const panels: Record<string, PanelRunState> = {};
    await runDashboardQueries(
      fetchingEngine([]),
      demo(),
      {
        linkSource: async () => {
          order.push('link asked');
          await validated;
          order.push('link answered');
          return { urls: [url], location: 'orders.parquet', sizeBytes: original.length, versions: [{ object: 'orders.parquet', version: contentVersion('"v1"', null, original.length) }] };
        },
        onDataset: () => {},
        onPanel: (id, st) => {
          if (st.status === 'ready' && st.stored) order.push(`stored ${id}`);
          panels[id] = st;
        },
      },
      runOptions({
        read: async (key) => {
          order.push('read');
          validate();
          return store.read(key);
        },
        write: (key, entry) => store.write(key, entry),
      }),
    );
    clearTimeout(fallback);
    expect(order.indexOf('read')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('read')).toBeLessThan(order.indexOf('link answered'));
    // ...and draws from it only once the versions are known (the store holds v1's results from above).
    expect(order.findIndex((e) => e.startsWith('stored '))).toBeGreaterThan(order.indexOf('link answered'));
    expect(panels.kpi_revenue?.status).toBe('ready');
  }, 120_000);

  it("reads the files' footers while the store looks for the entry, unless the app expects the entry to draw", async () => {
    served = { bytes: original, etag: '"v1"' };
    const v1 = { urls: [url], location: 'orders.parquet', sizeBytes: original.length, versions: [{ object: 'orders.parquet', version: contentVersion('"v1"', null, original.length) }] };
    const run = async (drawExpected: boolean) => {
      const order: string[] = [];
      let answer = () => {};
      const answered = new Promise<void>((resolve) => (answer = resolve));
      // The store answers once the footer was asked for, or after the fallback's wait.
      onTail = () => {
        order.push('footer read');
        answer();
      };
      const fallback = setTimeout(() => answer(), drawExpected ? 300 : 3_000);
      const panels: Record<string, PanelRunState> = {};
      await runDashboardQueries(
        fetchingEngine([]),
        demo(),
        { linkSource: async () => v1, onDataset: () => {}, onPanel: (id, st) => (panels[id] = st) },
        runOptions({
          read: async (key) => {
            await answered;
            order.push('entry answered');
            return store.read(key);
          },
          write: (key, entry) => store.write(key, entry),
          // As the app's: a load whose entry draws waits for the draw (here, for nothing).
          beforeLoad: async () => {},
          drawExpected: () => drawExpected,
        }),
      );
      clearTimeout(fallback);
      onTail = () => {};
      expect(panels.kpi_revenue?.status).toBe('ready');
      return order;
    };
    // A first open: the footer is read before the entry's answer (which here waits for it).
    expect(await run(false)).toEqual(['footer read', 'entry answered']);
    // A re-open expected to draw from the entry: its load (and so its footer's read) waits for the answer.
    expect(await run(true)).toEqual(['entry answered', 'footer read']);
  }, 120_000);

  it('says the stored results cannot draw the dataset when a panel has none (a view drilled in), and still draws the others', async () => {
    served = { bytes: original, etag: '"v1"' };
    const v1 = [{ object: 'orders.parquet', version: contentVersion('"v1"', null, original.length) }];
    const run = async (refine?: (id: string) => PanelRefinement | undefined) => {
      const order: string[] = [];
      // The load waits for the app's word: no request reaches the server while it is held.
      const beforeLoad = async () => {
        const at = requests;
        order.push('before load');
        await new Promise((resolve) => setTimeout(resolve, 100));
        order.push(`requests while held: ${requests - at}`);
      };
      await runDashboardQueries(
        fetchingEngine([]),
        demo(),
        {
          linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: original.length, versions: v1 }),
          onDataset: () => {},
          onPanel: (id, st) => {
            if (st.status === 'ready' && st.stored) order.push(`stored ${id}`);
          },
        },
        {
          trusted: true,
          now: NOW,
          cache: new Map<string, LoadedDataset>(),
          memoryBudgetBytes: 2 * 1024 ** 3,
          ...(refine ? { refine: (panel: DataPanel) => refine(panel.id) } : {}),
          persisted: { read: (key) => store.read(key), write: (key, entry) => store.write(key, entry), onEntry: (dataset, drawable) => order.push(`entry ${dataset} ${drawable}`), beforeLoad },
        },
      );
      return order;
    };
    // The store holds every panel's result for v1 (the tests above): all of them draw.
    const plain = await run();
    expect(plain[0]).toBe('entry orders true');
    expect(plain.filter((e) => e.startsWith('stored ')).length).toBe(DATA_PANELS.length);
    // ...and the load starts once the app says so, after they are all drawn.
    expect(plain.slice(DATA_PANELS.length + 1)).toEqual(['before load', 'requests while held: 0']);
    // Drilled into one region: that chart's SQL has no stored result, so the app must not wait for a full draw.
    const drilled = await run((id) => (id === 'revenue_by_region' ? { members: [{ dimension: 'region', values: ['EMEA'] }], xDimension: 'country' } : undefined));
    expect(drilled[0]).toBe('entry orders false');
    expect(drilled).not.toContain('stored revenue_by_region');
    expect(drilled).toContain('stored kpi_revenue');
    // Not every panel drawn: the load goes on at once.
    expect(drilled).not.toContain('before load');
  }, 120_000);

  it('a run that starts while a load waits for the stored draw takes that load, not a second one', async () => {
    served = { bytes: original, etag: '"v1"' };
    const v1 = [{ object: 'orders.parquet', version: contentVersion('"v1"', null, original.length) }];
    const callbacks = (states: Record<string, PanelRunState>) => ({
      linkSource: async () => ({ urls: [url], location: 'orders.parquet', sizeBytes: original.length, versions: v1 }),
      onDataset: () => {},
      onPanel: (id: string, st: PanelRunState) => void (states[id] = st),
    });
    const run = (states: Record<string, PanelRunState>, cache: Map<string, LoadedDataset>, beforeLoad?: () => Promise<void>) =>
      runDashboardQueries(fetchingEngine([]), demo(), callbacks(states), {
        trusted: true,
        now: NOW,
        cache,
        memoryBudgetBytes: 2 * 1024 ** 3,
        persisted: { read: (key) => store.read(key), write: (key, entry) => store.write(key, entry), ...(beforeLoad ? { beforeLoad } : {}) },
      });
    // The requests of one warm open's load (the store holds every panel's result for v1, as above).
    let at = requests;
    await run({}, new Map());
    const oneLoad = requests - at;
    expect(oneLoad).toBeGreaterThan(0);

    // A warm open whose load is held for the draw, and a click's run (same data, same session) meanwhile.
    at = requests;
    const cache = new Map<string, LoadedDataset>();
    let open = () => {};
    let held = false;
    const first: Record<string, PanelRunState> = {};
    const opening = run(first, cache, () => {
      held = true;
      return new Promise<void>((resolve) => (open = resolve));
    });
    while (!held) await new Promise((resolve) => setTimeout(resolve, 10));
    const second: Record<string, PanelRunState> = {};
    const clicked = run(second, cache);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requests - at, 'nothing is read while the load is held').toBe(0);
    open();
    await Promise.all([opening, clicked]);
    expect(requests - at).toBe(oneLoad);
    for (const id of DATA_PANELS) expect(second[id]?.status, id).toBe('ready');
  }, 120_000);

  it("never stores or serves results of a dataset of the file's own SQL, trusted or not", async () => {
    served = { bytes: original, etag: '"v1"' };
    const d = demo();
    const sqlDashboard: DashboardFile = { ...d, datasets: d.datasets.map((ds) => ({ ...ds, kind: 'sql', sql: 'SELECT * FROM orders' }) as unknown as DashboardFile['datasets'][number]) };
    const calls: string[] = [];
    const counting: PersistedResultsStore = {
      read: async (key) => {
        calls.push('read');
        return store.read(key);
      },
      write: async (key, entry) => {
        calls.push('write');
        return store.write(key, entry);
      },
      onEntry: (dataset, drawable) => calls.push(`entry ${dataset} ${drawable}`),
    };
    boot.allowReading([PARQUET]);
    for (const trusted of [true, false]) {
      const panels: Record<string, PanelRunState> = {};
      await runDashboardQueries(
        { exec: (sql) => wasm.exec(sql), query: (sql) => wasm.query(sql), describe: (t) => wasm.describe(t) },
        sqlDashboard,
        {
          // The CLI's way: a local path the engine reads itself (the Node build reads no HTTP), with a version all the same.
          linkSource: async () => ({ urls: [PARQUET], location: 'orders.parquet', sizeBytes: original.length, versions: [{ object: 'orders.parquet', version: contentVersion('"v1"', null, original.length) }] }),
          onDataset: () => {},
          onPanel: (id, st) => (panels[id] = st),
        },
        { trusted, now: NOW, cache: new Map<string, LoadedDataset>(), persisted: counting },
      );
      expect(panels.kpi_revenue?.status, `trusted: ${trusted}`).toBe(trusted ? 'ready' : 'waiting');
    }
    // Never read nor written; the trusted run is told its dataset cannot draw from the store.
    expect(calls).toEqual(['entry orders false']);
  }, 120_000);
});
