// DuckDB-WASM threads. By default the app is not cross-origin isolated and runs the single-threaded
// `eh` build (coi was not kept: bench/README.md "Threads"). Switched on, the browser host serves the
// renderer isolated and the engine runs the threaded `coi` build with more than one thread (the
// pthread shim in queries/engine/browser-bundles.ts), answering exactly like native DuckDB.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrowserHost } from '../electron/browser-host/server';
import { test, expect, type Page } from './fixtures/app';
import { computeKpisNative } from './oracle';
import { DashboardPage } from './pages/dashboard-page';

const DEMO_PARQUET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dashboards', 'examples', 'data', 'orders.parquet');

/** The DuckDB worker scripts the page and its workers request (coi, coi.pthread, eh, mvp). */
function watchWorkerScripts(page: Page): string[] {
  const seen: string[] = [];
  page.context().on('request', (request) => {
    const match = /duckdb-browser-([a-z]+(?:\.pthread)?)\.worker/.exec(request.url());
    if (match?.[1] && !seen.includes(match[1])) seen.push(match[1]);
  });
  return seen;
}

/** What the engine started with: the page's isolation and the thread count it opened DuckDB with. */
async function engineStart(page: Page): Promise<{ isolated: boolean; threads: number; cores: number }> {
  await expect.poll(() => page.evaluate(() => performance.getEntriesByName('northstar:engine-start').length), { timeout: 60_000 }).toBeGreaterThan(0);
  return page.evaluate(() => {
    const start = performance.getEntriesByName('northstar:engine-start')[0] as PerformanceMeasure;
    return { isolated: crossOriginIsolated, threads: Number((start.detail as { threads: unknown }).threads), cores: navigator.hardwareConcurrency };
  });
}

test('by default the page is not isolated and the engine runs the single-threaded build', async ({ dashboard, page, host }) => {
  const workers = watchWorkerScripts(page);
  const response = await page.goto(host.url);
  expect(response?.headers()['cross-origin-embedder-policy']).toBeUndefined();
  const start = await engineStart(page);
  expect(start).toMatchObject({ isolated: false, threads: 1 });
  expect(workers).toEqual(['eh']);
  await dashboard.waitUntilDrawn();
  const native = await computeKpisNative(DEMO_PARQUET, 30);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
});

test('switched on, isolation gives the threaded build, whose answers match native DuckDB', async ({ page, workspace, consoleLog }) => {
  void consoleLog;
  const rendererDir = process.env.NORTHSTAR_RENDERER_DIR;
  const host = await startBrowserHost({ appVersion: 'e2e', dashboardPath: workspace.file(), homeDir: workspace.home, crossOriginIsolation: true, ...(rendererDir ? { rendererDir } : {}) });
  try {
    const dashboard = new DashboardPage(page, host);
    const workers = watchWorkerScripts(page);
    const response = await page.goto(host.url);
    expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    const start = await engineStart(page);
    expect(start.isolated).toBe(true);
    expect(start.threads).toBe(Math.min(Math.max(start.cores, 1), 4));
    expect(start.threads).toBeGreaterThan(1);
    // The coi main worker and its pthread workers (the shim imports the dist pthread script).
    expect(workers).toContain('coi');
    expect(workers).toContain('coi.pthread');
    expect(workers).not.toContain('eh');
    await dashboard.waitUntilDrawn();
    const native = await computeKpisNative(DEMO_PARQUET, 30);
    expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
    expect(await dashboard.kpiValue('kpi_active_customers')).toBe(native.current.activeCustomers);
    expect(await dashboard.kpiPrevious('kpi_orders')).toBe(native.previous.orders);
  } finally {
    await host.close();
  }
});
