// Scale limits, end to end: under a tiny memory budget the demo dataset is not loaded into DuckDB-WASM
// but read from disk on every query (scan mode); the dashboard says so, and its numbers are unchanged.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const LAST_DAYS = 30;

test.describe('a dataset above the memory budget', () => {
  test.use({ memoryBudgetBytes: 1024 * 1024 });

  test('is read from disk, says so, and shows the same KPIs as native DuckDB', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const notice = page.getByTestId('scan-mode');
    await expect(notice).toHaveCount(1);
    await expect(notice).toContainText('Large dataset: queries read from disk');
    await expect(notice).toContainText('"orders"');
    // The estimate comes from the Parquet footers on the pinned engine: about 13.6 MB, above the 1.0 MB budget.
    await expect(notice).toContainText(/needs about \d+\.\d MB in memory, above the 1\.0 MB budget/);
    const estimateMb = Number(/needs about (\d+\.\d) MB/.exec((await notice.textContent()) ?? '')?.[1]);
    expect(estimateMb).toBeGreaterThan(5);
    expect(estimateMb).toBeLessThan(100);

    const native = await computeKpisNative(DEMO_PARQUET, LAST_DAYS);
    expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
    expect(await dashboard.kpiPrevious('kpi_revenue')).toBeCloseTo(native.previous.revenue, 6);
    expect(await dashboard.kpiValue('kpi_orders')).toBe(native.current.orders);
    for (const id of ['daily_revenue', 'revenue_by_campaign', 'recent_orders']) {
      await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
    }
    // The data-quality checks read the files too: let them finish before the host closes under them.
    await expect(page.getByText(/^last run /)).toBeVisible({ timeout: 60_000 });
    // ...and judge the file read from disk like native DuckDB does.
    const [dupes] = await queryNative(DEMO_PARQUET, 'SELECT count(*) - count(DISTINCT order_id) AS extra FROM orders WHERE order_id IS NOT NULL');
    const badge = dashboard.panel('kpi_revenue').getByTestId('check-badge').filter({ hasText: 'Each order is loaded once' });
    await expect(badge).toHaveAttribute('title', new RegExp(`\\(${Number(dupes?.extra)} extra rows\\)`));
    await page.screenshot({ path: testInfoPath('scan-mode.png'), fullPage: false });
  });
});

test('a dataset within the default budget is loaded, with no notice', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect(dashboard.panel('kpi_revenue')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('scan-mode')).toHaveCount(0);
});

function testInfoPath(name: string): string {
  return test.info().outputPath(name);
}
