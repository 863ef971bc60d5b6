// The walking skeleton, end to end: the demo dashboard in Debian Chromium through the browser host,
// from Parquet on disk and from S3 (behind a SigV4-verifying front), checked against native DuckDB.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { computeKpisNative } from './oracle';
import { useS3FromEnvironment } from './fixtures/s3-fixture';
import type { DashboardPage } from './pages/dashboard-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const ARTIFACTS = path.join(here, 'artifacts');
const LAST_DAYS = 30;

const KPI_PANELS = {
  kpi_revenue: 'revenue',
  kpi_orders: 'orders',
  kpi_aov: 'aov',
  kpi_active_customers: 'activeCustomers',
} as const;

async function expectKpisMatchNative(dashboard: DashboardPage) {
  const native = await computeKpisNative(DEMO_PARQUET, LAST_DAYS);
  for (const [panel, key] of Object.entries(KPI_PANELS)) {
    const shown = await dashboard.kpiValue(panel);
    const previous = await dashboard.kpiPrevious(panel);
    expect(shown, `${panel} current`).toBeCloseTo(native.current[key], 6);
    expect(previous, `${panel} previous`).toBeCloseTo(native.previous[key], 6);
  }
  return native;
}

test.beforeAll(() => mkdirSync(ARTIFACTS, { recursive: true }));

test('the demo dashboard renders its KPIs, charts and table, equal to native DuckDB', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const openMs = await dashboard.openTimeMs();

  await expect(page.getByRole('heading', { name: 'Customer KPIs' })).toBeVisible();
  for (const id of ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers', 'daily_revenue', 'revenue_by_campaign', 'recent_orders']) {
    await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
  }
  const native = await expectKpisMatchNative(dashboard);
  expect(native.current.revenue).toBeGreaterThan(0);
  // Every panel drew first from the demo's two newest row groups of four, fetched before the rest
  // (the numbers above are those it drew: the run after the load keeps them).
  const painted = await page.evaluate(() => performance.getEntriesByName('northstar:window-painted').map((e) => (e as PerformanceMark).detail as { panels: number; rows: number }));
  expect(painted).toEqual([expect.objectContaining({ panels: 8, rows: 155144 })]);

  // Charts drew pixels, the table has rows.
  await expect(dashboard.panel('daily_revenue').locator('canvas')).toHaveCount(1);
  await expect(dashboard.panel('revenue_by_campaign').locator('canvas')).toHaveCount(1);
  // The table's page of 100 rows draws the rows in view and a few more (a window over the page);
  // scrolled to its end, the page's last row is drawn.
  const table = dashboard.panel('recent_orders');
  await expect(table.locator('table')).toHaveAttribute('aria-rowcount', '101');
  await expect(table.locator('.table-footer')).toContainText('100 rows');
  const drawnRows = await table.locator('tbody tr:not(.table-spacer)').count();
  expect(drawnRows).toBeGreaterThan(10);
  expect(drawnRows).toBeLessThan(60);
  await table.scrollIntoViewIfNeeded();
  await table.locator('.table-scroll').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(table.locator('tbody tr[aria-rowindex="101"]')).toBeInViewport();
  await expect(table.locator('tbody tr[aria-rowindex="2"]')).not.toBeInViewport();
  await expect(table.locator('tbody tr[aria-rowindex="101"] td').first()).not.toBeEmpty();
  await table.locator('.table-scroll').evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(table.locator('tbody tr[aria-rowindex="2"]')).toBeInViewport();
  await expect(page.getByTestId('period')).toContainText(`last ${LAST_DAYS} days`);

  await page.screenshot({ path: path.join(ARTIFACTS, 'demo-dashboard.png'), fullPage: true });
  writeFileSync(path.join(ARTIFACTS, 'timings.json'), `${JSON.stringify({ dashboardOpenMs: Math.round(openMs) }, null, 2)}\n`);
  console.log(`dashboard open (navigation → all panels drawn): ${Math.round(openMs)} ms`);
});

test.describe('S3 data source', () => {
  // The host resolves credentials with the standard AWS chain; here, from the environment.
  const fixture = useS3FromEnvironment(test, { accessKeyId: 'NORTHSTARTESTKEY', secretAccessKey: 'northstar-test-secret-0123456789' }, { bucket: 'analytics', key: 'warehouse/orders.parquet', file: DEMO_PARQUET });

  test('the same dashboard runs against the object in S3, with credentials from the AWS chain', async ({ dashboard, page }) => {
    const s3 = fixture();
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const before = await dashboard.runId();
    const getsBefore = s3.requests.filter((r) => r.method === 'GET').length;

    await dashboard.pointSourceAtS3('orders', { uri: 's3://analytics/warehouse/orders.parquet', endpoint: s3.endpoint, region: 'eu-west-1' });
    await expect(page.locator('[data-dataset="orders"]')).toContainText('rows', { timeout: 60_000 });
    await expect(page.locator('[data-dataset="orders"]')).toContainText('s3://analytics/warehouse/orders.parquet');
    await dashboard.closeSources();
    await dashboard.waitUntilDrawn(before + 1);

    await expectKpisMatchNative(dashboard);
    // The data really came from S3, through the verifying front.
    expect(s3.requests.filter((r) => r.method === 'GET' && r.status === 206).length).toBeGreaterThan(getsBefore);
    await page.screenshot({ path: path.join(ARTIFACTS, 's3-dashboard.png'), fullPage: true });
  });

  test('a wrong secret gives a clear "access denied" naming the source', async ({ dashboard, page, consoleLog }) => {
    const s3 = fixture();
    consoleLog.allow(/403|Forbidden/);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await dashboard.pointSourceAtS3('orders', {
      uri: 's3://analytics/warehouse/orders.parquet',
      endpoint: s3.endpoint,
      region: 'eu-west-1',
      keys: { accessKeyId: s3.accessKeyId, secretAccessKey: 'definitely-the-wrong-secret' },
    });
    await dashboard.closeSources();
    const banner = dashboard.sourceErrors().first();
    await expect(banner).toContainText('Data source "orders"');
    await expect(banner).toContainText(/access denied/i);
    await expect(banner).toContainText('s3://analytics/warehouse/orders.parquet');
    await expect(banner).not.toContainText('WebAssembly');
    await expect(banner).not.toContainText('definitely-the-wrong-secret');
    await expect(dashboard.panel('kpi_revenue')).toHaveAttribute('data-state', 'error');
    await expect(dashboard.panel('kpi_revenue')).toContainText(/access denied/i);
    await page.screenshot({ path: path.join(ARTIFACTS, 's3-access-denied.png'), fullPage: true });
  });
});
