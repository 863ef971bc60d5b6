// S3 faults in the real app: a two-source dashboard whose second source ("returns") is read from the
// s3 fixture while its front injects faults. Transient ones (503s, bodies cut mid-way) are survived
// by the gateway's retries and the panel shows the right number; a lasting one (every read of the
// object fails) ends in a clear error on that panel only, while the other source's panels draw.
import path from 'node:path';
import { test, expect } from './fixtures/app';
import { EXAMPLES, DEMO_FILE } from './fixtures/app';
import { readFileSync } from 'node:fs';
import { startS3Fixture, type S3Fixture } from './fixtures/s3-fixture';
import { SourcesPage } from './pages/sources-page';
import { queryNative } from './oracle';

const DEMO_PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');
const BUCKET = 'faulty';
const KEY = 'returns/orders.parquet';

/** The demo dashboard plus a second source, its dataset and a row-count KPI. */
function twoSourceDashboard(): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown> & { sources: unknown[]; datasets: unknown[]; panels: unknown[]; layout: unknown[] };
  return JSON.stringify({
    ...demo,
    id: '00000000-0000-4000-8000-0000000fa017',
    sources: [...demo.sources, { name: 'returns', kind: 'file', format: 'parquet', path: 'data/orders.parquet' }],
    datasets: [...demo.datasets, { name: 'returns', kind: 'table', source: 'returns', measures: [{ name: 'rows', agg: 'count', format: 'integer' }] }],
    panels: [...demo.panels, { id: 'kpi_returns', kind: 'kpi', title: 'Returns rows', dataset: 'returns', measure: 'rows', comparison: 'none' }],
    layout: [...demo.layout, { panel: 'kpi_returns', x: 0, y: 40, w: 3, h: 2 }],
  });
}

test.describe('a two-source dashboard with one source on a faulty S3', () => {
  test.use({ openFile: 'two-sources.dashboard.json', extraFiles: { 'two-sources.dashboard.json': twoSourceDashboard() } });
  let s3: S3Fixture;

  test.beforeAll(async () => {
    s3 = await startS3Fixture();
    await s3.createBucket(BUCKET);
    await s3.putFile(BUCKET, KEY, DEMO_PARQUET);
  });

  test.afterEach(() => s3.clearFaults());
  test.afterAll(async () => {
    await s3?.stop();
  });

  async function pointReturnsAtS3(page: import('@playwright/test').Page): Promise<SourcesPage> {
    const sources = new SourcesPage(page);
    await sources.open();
    await sources.pointAtS3('returns', {
      uri: `s3://${BUCKET}/${KEY}`,
      endpoint: s3.endpoint,
      region: s3.region,
      keys: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    return sources;
  }

  test('transient faults (503s, bodies cut mid-way) are retried: the panel shows the right count', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const before = await dashboard.runId();
    const seen = s3.injected.length;
    const object = { bucket: BUCKET, key: KEY };
    s3.injectFault({ object, method: 'GET', fault: { kind: 'status', status: 503 }, times: 2 });
    s3.injectFault({ object, method: 'GET', fault: { kind: 'truncate', afterBytes: 20_000 }, times: 2 });
    const sources = await pointReturnsAtS3(page);
    await expect(sources.datasetStatus('returns')).toContainText('rows', { timeout: 90_000 });
    await sources.close();
    await dashboard.waitUntilDrawn(before + 1);
    const native = await queryNative(DEMO_PARQUET, 'SELECT count(*) AS n FROM orders');
    expect(await dashboard.kpiValue('kpi_returns')).toBe(Number(native[0]?.n));
    // The faults really happened on the reads the app made.
    expect(s3.injected.slice(seen).filter((f) => f.startsWith('status')).length).toBe(2);
    expect(s3.injected.slice(seen).filter((f) => f.startsWith('truncate')).length).toBe(2);
  });

  test('a lasting fault fails that panel with a clear message; the other panels still draw', async ({ dashboard, page, consoleLog }) => {
    // The gateway answers the engine's failed reads with a 5xx, which Chromium logs as a failed load.
    consoleLog.allow(/Failed to load resource: the server responded with a status of 5\d\d/);
    // DuckDB-WASM's worker logs its failed range read itself.
    consoleLog.allow(/^FAIL WITH: Error: Range request for .* non-success status: 5\d\d/);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const before = await dashboard.runId();
    s3.injectFault({ object: { bucket: BUCKET, key: KEY }, method: 'GET', fault: { kind: 'status', status: 500 } });
    const sources = await pointReturnsAtS3(page);
    await expect(sources.datasetStatus('returns')).toContainText('could not be read', { timeout: 90_000 });
    // Said in words, without the engine's "Range request for http://127.0.0.1:.../TOKEN/..." twice.
    await expect(sources.datasetStatus('returns')).toContainText('the data could not be fetched: HTTP 502 Bad Gateway, the storage behind it failed or could not be reached, even after retries');
    await expect(sources.datasetStatus('returns')).not.toContainText('Range request');
    await sources.close();
    await dashboard.waitUntilDrawn(before + 1);
    await expect(dashboard.panel('kpi_returns').locator('.panel-error')).toContainText('No data: source "returns" is unavailable');
    // The first source is untouched: its KPIs have values.
    for (const id of ['kpi_revenue', 'kpi_orders', 'kpi_aov']) expect(await dashboard.kpiValue(id), id).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts', 'faults-one-source-down.png'), fullPage: true });
  });
});

test.describe('the query engine worker crashes', () => {
  test('after an unsaved edit: the engine restarts, the dashboard re-runs, the edit survives', async ({ dashboard, page, consoleLog }) => {
    // The crash is an uncaught exception inside the worker, which Chromium reports as a page error.
    consoleLog.allow(/simulated worker crash/);
    // DuckDB-WASM logs the worker's error event object itself, which prints as just its type.
    consoleLog.allow(/^ErrorEvent$/);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const revenue = await dashboard.kpiValue('kpi_revenue');
    await dashboard.renamePanel('kpi_orders', 'Orders (unsaved edit)');
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders (unsaved edit)');
    const before = await dashboard.runId();

    // The DuckDB worker dies the way a wasm abort kills it: an uncaught error in its global scope,
    // which the page sees as the worker's "error" event. No test hook in the app.
    const workers = page.workers();
    expect(workers.length).toBeGreaterThan(0);
    for (const worker of workers) {
      await worker.evaluate(() => {
        setTimeout(() => {
          throw new Error('simulated worker crash');
        });
      });
    }

    await expect(page.getByTestId('notice')).toContainText('The query engine stopped unexpectedly and was restarted');
    await dashboard.waitUntilDrawn(before + 1);
    expect(await dashboard.kpiValue('kpi_revenue')).toBe(revenue);
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders (unsaved edit)');
    // The edit is still an unsaved change of the working copy (Save is offered, nothing was written).
    await expect(page.getByRole('button', { name: /^Save/ }).first()).toBeEnabled();
  });
});
