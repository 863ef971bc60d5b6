// An instant dashboard from a data file, end to end in the browser host: the demo orders, chosen
// through the in-app file browser, become KPIs (checked against native DuckDB), a trend, top-N bars
// and the scan's checks, opened unsaved, then saved next to the data; and a file from the Parquet
// test suite with a timestamp column gives a dashboard whose every panel runs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { queryNative } from './oracle';
import { InstantPage } from './pages/instant-page';
import { loadDashboard } from '../dashboards/document';

const here = path.dirname(fileURLToPath(import.meta.url));
const TINY_PAGES = path.resolve(here, '..', '..', 'shared', 'data', 'parquet-testing', 'data', 'alltypes_tiny_pages.parquet');

test('the demo orders become a starter dashboard, checked against native DuckDB, and save next to the data', async ({ page, dashboard, workspace }) => {
  test.setTimeout(180_000);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const instant = new InstantPage(page);
  await instant.open();
  await instant.browseTo(['data'], 'orders.parquet');
  const parquet = path.join(workspace.dir, 'data', 'orders.parquet');
  expect(await instant.pathValue()).toBe(parquet);
  await instant.read();
  await expect(instant.picks()).toBeVisible({ timeout: 90_000 });
  expect(await instant.timeColumn()).toBe('order_ts');
  expect(await instant.checked('measure')).toEqual(['amount', 'quantity']);
  // Ids are never offered as measures.
  expect(await instant.offered('measure')).not.toContain('order_id');
  expect((await instant.checked('dimension')).sort()).toEqual(['category', 'channel', 'region']);
  // The user changes the picks: no quantity, and country instead of region.
  await instant.toggle('measure', 'quantity');
  await instant.toggle('dimension', 'region');
  await instant.toggle('dimension', 'country');
  await page.screenshot({ path: 'e2e/artifacts/instant-picks.png' });
  await instant.create();

  await expect(page.locator('h1')).toHaveText(/^Orders overview/);
  await dashboard.waitUntilDrawn(2);
  await expect(page.getByTestId('notice')).toContainText('not saved yet');
  // KPI: last 30 days of data vs the 30 before, as native DuckDB computes them on the same file.
  const [oracle] = await queryNative(
    parquet,
    `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
     SELECT sum(amount) FILTER (WHERE order_ts >= e - INTERVAL 30 DAY) AS cur,
            sum(amount) FILTER (WHERE order_ts >= e - INTERVAL 60 DAY AND order_ts < e - INTERVAL 30 DAY) AS prev,
            count(*) FILTER (WHERE order_ts >= e - INTERVAL 30 DAY) AS n
     FROM orders, b`,
  );
  expect(await dashboard.kpiValue('kpi_total_amount')).toBeCloseTo(Number(oracle?.cur), 2);
  expect(await dashboard.kpiPrevious('kpi_total_amount')).toBeCloseTo(Number(oracle?.prev), 2);
  expect(await dashboard.kpiValue('kpi_row_count')).toBe(Number(oracle?.n));
  await expect(dashboard.panel('kpi_total_quantity')).toHaveCount(0);
  await expect(dashboard.panel('by_region')).toHaveCount(0);
  for (const id of ['trend', 'by_country', 'data_quality']) await expect(dashboard.panel(id)).toBeVisible();
  await expect(dashboard.panel('by_country')).toHaveAttribute('data-state', 'ready');
  // The planted duplicate day is on the anomaly panel.
  await expect(dashboard.panel('data_quality')).toContainText('order_id', { timeout: 60_000 });
  await page.screenshot({ path: 'e2e/artifacts/instant-dashboard.png', fullPage: true });

  const saved = await instant.saveAs();
  expect(saved).toBe(path.join(workspace.dir, 'data', 'orders.dashboard.json'));
  await expect(page.getByTestId('notice')).toContainText('Saved revision 1');
  const loaded = loadDashboard(readFileSync(saved, 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  // Next to the data, the source names the file alone: the folder can travel as it is.
  expect(loaded.dashboard.sources).toEqual([{ name: 'orders', kind: 'file', path: 'orders.parquet', format: 'parquet' }]);
  // A second save goes straight to the same file.
  await page.getByRole('button', { name: /^Save( •)?$/ }).click();
  await expect(page.getByRole('dialog', { name: 'Save the new dashboard' })).toBeHidden();
});

test('a parquet-testing file with a timestamp column gives a dashboard whose panels all run', async ({ page, dashboard }) => {
  test.setTimeout(180_000);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const instant = new InstantPage(page);
  await instant.open();
  await instant.typePath(TINY_PAGES);
  await instant.read();
  await expect(instant.picks()).toBeVisible({ timeout: 90_000 });
  expect(await instant.timeColumn()).toBe('timestamp_col');
  expect(await instant.checked('dimension')).toContain('string_col');
  for (const notAmount of ['id', 'year', 'month']) expect(await instant.offered('measure')).not.toContain(notAmount);
  await instant.create();
  await expect(page.locator('h1')).toHaveText(/^Alltypes tiny pages overview/);
  await dashboard.waitUntilDrawn(2);
  const states = await page.locator('[data-panel-id]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-panel-id')}:${e.getAttribute('data-state')}`));
  expect(states.length).toBeGreaterThanOrEqual(5);
  for (const s of states) expect(s).not.toMatch(/:error$/);
  await page.screenshot({ path: 'e2e/artifacts/instant-parquet-testing.png', fullPage: true });
  // Nothing was written next to the shared test file.
  expect(existsSync(TINY_PAGES.replace(/\.parquet$/, '.dashboard.json'))).toBe(false);
});

test('bad choices get clear messages', async ({ page, dashboard, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const instant = new InstantPage(page);
  await instant.open();
  await instant.read();
  await expect(instant.error()).toHaveText('Give the path of a data file, or Browse… for one.');
  await instant.typePath(path.join(workspace.dir, 'notes.txt'));
  await instant.read();
  await expect(instant.error()).toHaveText(`Cannot tell the format of "${path.join(workspace.dir, 'notes.txt')}" from its name: choose Parquet, CSV or JSON below.`);
  await instant.typePath(path.join(workspace.dir, 'missing.parquet'));
  await instant.read();
  await expect(instant.error()).toHaveText(`There is no file ${path.join(workspace.dir, 'missing.parquet')}.`);
  await instant.typePath(path.join(workspace.dir, 'data'));
  await instant.read();
  await expect(instant.error()).toContainText('Cannot tell the format');
});
