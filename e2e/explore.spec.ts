// Exploring as a manager: drill region → country → city → rows and back with breadcrumbs;
// cross-filter from a click and clear it with Esc; a dashboard filter and a period preset.
// Every number is checked against native DuckDB computing the same thing independently.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import type { DashboardPage } from './pages/dashboard-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const sqlText = (v: string) => `'${v.replaceAll("'", "''")}'`;

async function expectRevenue(dashboard: DashboardPage, lastDays: number, where: string) {
  const native = await computeKpisNative(PARQUET, lastDays, where);
  expect(await dashboard.kpiValue('kpi_revenue'), `revenue where ${where}`).toBeCloseTo(native.current.revenue, 4);
  expect(await dashboard.kpiPrevious('kpi_revenue'), `previous revenue where ${where}`).toBeCloseTo(native.previous.revenue, 4);
  expect(await dashboard.kpiValue('kpi_orders')).toBe(native.current.orders);
}

/** Members of a level in the last 30 days, biggest revenue first, as the bar chart sorts them. */
async function nativeMembers(column: string, where: string): Promise<string[]> {
  const rows = await queryNative(
    PARQUET,
    `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
     SELECT ${column} AS m, sum(amount) AS r FROM orders, b WHERE order_ts >= e - INTERVAL 30 DAY AND order_ts < e AND (${where})
     GROUP BY 1 ORDER BY r DESC NULLS LAST, 1`,
  );
  return rows.map((r) => String(r.m));
}

test('drill region → country → city → rows, and back up with the breadcrumbs', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const regions = await nativeMembers('region', 'TRUE');

  let menu = await dashboard.clickBar('revenue_by_region', 0, regions.length);
  const region = regions[0]!;
  expect(await dashboard.menuTitle(menu)).toBe(`Region: ${region}`);
  await dashboard.chooseMenuAction(menu, /^Drill into .* by country$/);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${region}`);
  // The drill path is context for the other panels: the KPIs are the region's, with its deltas.
  await expectRevenue(dashboard, 30, `region = ${sqlText(region)}`);

  const countries = await nativeMembers('country', `region = ${sqlText(region)}`);
  menu = await dashboard.clickBar('revenue_by_region', 0, countries.length);
  const country = countries[0]!;
  expect(await dashboard.menuTitle(menu)).toBe(`Country: ${country}`);
  await dashboard.chooseMenuAction(menu, /^Drill into .* by city$/);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${region}›${country}`);

  const cities = await nativeMembers('city', `country = ${sqlText(country)}`);
  menu = await dashboard.clickBar('revenue_by_region', 0, cities.length);
  const city = cities[0]!;
  expect(await dashboard.menuTitle(menu)).toBe(`City: ${city}`);
  await expect(menu.getByRole('menuitem', { name: /^Drill into/ })).toHaveCount(0);
  await dashboard.chooseMenuAction(menu, /^Show rows for /);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${region}›${country}›${city}›Rows`);
  const cells = dashboard.panel('revenue_by_region').locator('tbody tr');
  await expect(cells.first()).toBeVisible();
  const cityColumn = await dashboard.panel('revenue_by_region').locator('thead th').allTextContents();
  const cityIndex = cityColumn.indexOf('city');
  expect(cityIndex).toBeGreaterThanOrEqual(0);
  const shownCities = await dashboard.panel('revenue_by_region').locator(`tbody tr td:nth-child(${cityIndex + 1})`).allTextContents();
  expect(new Set(shownCities)).toEqual(new Set([city]));
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'drill-rows.png') });

  // Back to the country level, then all the way up.
  const before = await dashboard.runId();
  await dashboard.breadcrumbs('revenue_by_region').getByRole('button', { name: region }).click();
  await dashboard.waitUntilDrawn(before + 1);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${region}`);
  await expect(dashboard.panel('revenue_by_region').locator('canvas')).toHaveCount(1);
  const before2 = await dashboard.runId();
  await dashboard.breadcrumbs('revenue_by_region').getByRole('button', { name: 'All regions' }).click();
  await dashboard.waitUntilDrawn(before2 + 1);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveCount(0);
  await expectRevenue(dashboard, 30, 'TRUE');
});

test('a click filters the other panels; Esc clears it', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const campaigns = await nativeMembers('campaign', 'TRUE');
  // An always-on campaign, so both periods have revenue to compare.
  const index = campaigns.indexOf('Paid Search');
  expect(index).toBeGreaterThanOrEqual(0);
  const menu = await dashboard.clickBar('revenue_by_campaign', index, campaigns.length);
  const campaign = campaigns[index]!;
  expect(await dashboard.menuTitle(menu)).toBe(`Campaign: ${campaign}`);
  await dashboard.chooseMenuAction(menu, /^Filter other panels to /);
  await expect(page.getByTestId('context-chip')).toContainText(`Campaign = ${campaign}`);
  await expectRevenue(dashboard, 30, `campaign = ${sqlText(campaign)}`);
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'cross-filter.png') });

  const before = await dashboard.runId();
  await page.keyboard.press('Escape');
  await dashboard.waitUntilDrawn(before + 1);
  await expect(page.getByTestId('context-chip')).toHaveCount(0);
  await expectRevenue(dashboard, 30, 'TRUE');
});

test('a dashboard filter with counts, and period presets, change every KPI', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();

  await page.getByRole('button', { name: '+ Filter' }).click();
  const editor = page.getByRole('dialog', { name: 'Add a filter' });
  await editor.getByLabel('Dimension').selectOption({ label: 'Channel' });
  await editor.getByLabel('Search members').fill('we');
  const web = editor.getByRole('listitem').filter({ hasText: /^web/ });
  const nativeCount = await queryNative(
    PARQUET,
    `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
     SELECT count(*) AS n FROM orders, b WHERE channel = 'web' AND order_ts >= e - INTERVAL 30 DAY AND order_ts < e`,
  );
  await expect(web).toContainText(Number(nativeCount[0]!.n).toLocaleString('en-US'));
  await web.getByRole('checkbox').check();
  let before = await dashboard.runId();
  await editor.getByRole('button', { name: 'Apply filter' }).click();
  await dashboard.waitUntilDrawn(before + 1);
  await expect(page.getByTestId('filter-chip')).toHaveText(/Channel: web/);
  await expectRevenue(dashboard, 30, `channel = 'web'`);

  before = await dashboard.runId();
  await page.getByLabel('Period').selectOption({ label: 'Last 7 days' });
  await dashboard.waitUntilDrawn(before + 1);
  await expectRevenue(dashboard, 7, `channel = 'web'`);

  // Undo brings the period back; removing the chip removes the filter.
  before = await dashboard.runId();
  await page.keyboard.press('Control+z');
  await dashboard.waitUntilDrawn(before + 1);
  await expectRevenue(dashboard, 30, `channel = 'web'`);
  before = await dashboard.runId();
  await page.getByRole('button', { name: 'Remove filter Channel' }).click();
  await dashboard.waitUntilDrawn(before + 1);
  await expectRevenue(dashboard, 30, 'TRUE');
});

test('an exploration saved as a named view comes back, and a copied link opens it', async ({ dashboard, page, context, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const regions = await nativeMembers('region', 'TRUE');
  const menu = await dashboard.clickBar('revenue_by_region', 0, regions.length);
  await dashboard.chooseMenuAction(menu, /^Drill into .* by country$/);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${regions[0]}`);

  await page.getByRole('button', { name: /^Views/ }).click();
  const views = page.getByRole('dialog', { name: 'Views' });
  await views.getByLabel('Save the current view as').fill('Top region');
  await views.getByRole('button', { name: 'Save view' }).click();
  await views.getByRole('button', { name: 'Copy link' }).click();
  const link = await views.getByLabel('Link to this view').inputValue();
  expect(link).toMatch(/#token=[^&]+&view=/);

  // Back to everything, then the saved view restores the drill path and its KPIs.
  let before = await dashboard.runId();
  await dashboard.breadcrumbs('revenue_by_region').getByRole('button', { name: 'All regions' }).click();
  await dashboard.waitUntilDrawn(before + 1);
  before = await dashboard.runId();
  await page.getByRole('button', { name: /^Views/ }).click();
  await views.getByRole('button', { name: 'Top region', exact: true }).click();
  await dashboard.waitUntilDrawn(before + 1);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${regions[0]}`);
  await expectRevenue(dashboard, 30, `region = ${sqlText(regions[0]!)}`);

  // The view is part of the file once saved.
  await dashboard.save();
  expect(JSON.parse(readFileSync(workspace.file(), 'utf8')).views).toEqual([
    expect.objectContaining({ name: 'Top region', drills: { revenue_by_region: { steps: [{ kind: 'member', dimension: 'region', value: regions[0] }], showRows: false } } }),
  ]);

  // The link opens the same exploration in another tab.
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.locator('[data-panel-id="revenue_by_region"]').getByRole('navigation')).toHaveText(`All regions›${regions[0]}`, { timeout: 60_000 });
  await other.close();
});
