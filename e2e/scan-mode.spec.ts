// Scale limits, end to end: under a tiny memory budget the demo dataset is not loaded into DuckDB-WASM
// but read from disk on every query (scan mode); the dashboard says so, and its numbers are unchanged.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import { InstantPage } from './pages/instant-page';

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

  test('"New from data…" profiles and scans the file where it is, through a view, and builds the same starter', async ({ dashboard, page, workspace }) => {
    test.setTimeout(180_000);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const instant = new InstantPage(page);
    await instant.open();
    await instant.typePath(path.join(workspace.dir, 'data', 'orders.parquet'));
    await instant.read();
    await expect(instant.picks()).toBeVisible({ timeout: 90_000 });
    // The same picks as from the loaded table (instant.spec).
    expect(await instant.timeColumn()).toBe('order_ts');
    expect(await instant.checked('measure')).toEqual(['amount', 'quantity']);
    expect((await instant.checked('dimension')).sort()).toEqual(['category', 'channel', 'region']);
    await instant.create();
    await expect(page.locator('h1')).toHaveText(/^Orders overview/);
    await dashboard.waitUntilDrawn(2);
    // The scan ran on the view: its duplicate-key finding became a check, judged as native DuckDB does.
    await expect(page.getByText(/^last run /)).toBeVisible({ timeout: 90_000 });
    const [dupes] = await queryNative(DEMO_PARQUET, 'SELECT count(*) - count(DISTINCT order_id) AS extra FROM orders WHERE order_id IS NOT NULL');
    await expect(page.getByText(`${Number(dupes?.extra).toLocaleString('en-US')} repeated order_id values`).first()).toBeVisible();
    // No table of the file was made to profile it: a view was, and it is gone once the dashboard is built.
    const statements = await page.evaluate(() => performance.getEntriesByName('northstar:sql').map((e) => String(((e as PerformanceMeasure).detail as { sql?: unknown } | null)?.sql ?? '')));
    expect(statements.filter((sql) => sql.startsWith('CREATE OR REPLACE TABLE "instant_profile"'))).toEqual([]);
    expect(statements.filter((sql) => sql.startsWith('CREATE OR REPLACE VIEW "instant_profile" AS SELECT * FROM read_parquet('))).toHaveLength(1);
    expect(statements).toContain('DROP VIEW IF EXISTS "instant_profile"');
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
