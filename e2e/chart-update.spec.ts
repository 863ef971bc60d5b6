// A click that re-queries charts updates them in place: each chart keeps its ECharts instance and
// canvas while the run queries (no dispose and init per click, a long main-thread task), then shows
// the new rows. What the charts show is checked against native DuckDB computing it independently.
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect, type Page } from './fixtures/app';
import { queryNative } from './oracle';
import type { DashboardPage } from './pages/dashboard-page';
import { PalettePage } from './pages/palette-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const sqlText = (v: string) => `'${v.replaceAll("'", "''")}'`;
const CHARTS = ['daily_revenue', 'revenue_by_region', 'revenue_by_campaign'];

/** Members of a column in the last 30 days, biggest revenue first, as the bar charts sort them. */
async function nativeMembers(column: string, where: string): Promise<string[]> {
  const rows = await queryNative(
    PARQUET,
    `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
     SELECT ${column} AS m, sum(amount) AS r FROM orders, b WHERE order_ts >= e - INTERVAL 30 DAY AND order_ts < e AND (${where})
     GROUP BY 1 ORDER BY r DESC NULLS LAST, 1`,
  );
  return rows.map((r) => String(r.m));
}

/** Each chart's instance number, its canvas pixels, and a mark on its canvas element (to find the same element later). */
async function snapshot(dashboard: DashboardPage, stamp: string): Promise<Record<string, { instance: string | null; pixels: string }>> {
  const out: Record<string, { instance: string | null; pixels: string }> = {};
  for (const id of CHARTS) {
    const chart = dashboard.panel(id).locator('.chart');
    const canvas = chart.locator('canvas').first();
    await canvas.evaluate((c, s) => (c.dataset.stamp = s), stamp);
    out[id] = { instance: await chart.getAttribute('data-chart-instance'), pixels: await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL()) };
  }
  return out;
}

/** Count charts and canvases that leave the page from now on (a chart disposed and made again would). */
async function watchRemovedCharts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __removedCharts: string[] };
    w.__removedCharts = [];
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.removedNodes) {
          if (n instanceof Element && (n.matches('canvas, .chart') || n.querySelector('canvas, .chart'))) {
            w.__removedCharts.push(n.closest('[data-panel-id]')?.getAttribute('data-panel-id') ?? (r.target as Element).closest('[data-panel-id]')?.getAttribute('data-panel-id') ?? '?');
          }
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
}

const removedCharts = (page: Page) => page.evaluate(() => (window as unknown as { __removedCharts: string[] }).__removedCharts);

test('a drill and a cross-filter update every chart in place, with the new rows', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const regions = await nativeMembers('region', 'TRUE');
  const region = regions[0] as string;
  const opened = await snapshot(dashboard, 'opened');
  for (const id of CHARTS) expect(opened[id]?.instance, id).toMatch(/^\d+$/);
  await watchRemovedCharts(page);
  const heightBefore = await dashboard.panel('revenue_by_region').locator('.chart').evaluate((el) => el.clientHeight);

  // Drill the top region into its countries: the region chart itself and every other panel re-run.
  let menu = await dashboard.clickBar('revenue_by_region', 0, regions.length);
  await dashboard.chooseMenuAction(menu, /^Drill into .* by country$/);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${region}`);
  expect(await removedCharts(page)).toEqual([]);
  const drilled = await snapshot(dashboard, 'drilled');
  // The breadcrumbs took height from the region chart: its new rows are drawn at the box's new size.
  const box = await dashboard.panel('revenue_by_region').locator('.chart').evaluate((el) => {
    const canvas = el.querySelector('canvas');
    return { box: [el.clientWidth, el.clientHeight], canvas: [canvas?.clientWidth, canvas?.clientHeight] };
  });
  expect(box.box[1]).toBeLessThan(heightBefore);
  expect(box.canvas).toEqual(box.box);
  for (const id of CHARTS) {
    // The same instance and the very same canvas element, now showing other pixels.
    expect(drilled[id]?.instance, id).toBe(opened[id]?.instance);
    await expect(dashboard.panel(id).locator('canvas[data-stamp="drilled"]'), id).toHaveCount(1);
    expect(drilled[id]?.pixels, `${id} shows the new rows`).not.toBe(opened[id]?.pixels);
  }
  // The new rows: the region chart shows the region's countries, the campaign chart the region's campaigns.
  const countries = await nativeMembers('country', `region = ${sqlText(region)}`);
  const campaigns = await nativeMembers('campaign', `region = ${sqlText(region)}`);
  menu = await dashboard.clickBar('revenue_by_region', 0, countries.length);
  expect(await dashboard.menuTitle(menu)).toBe(`Country: ${countries[0]}`);
  const paidSearch = campaigns.indexOf('Paid Search');
  expect(paidSearch).toBeGreaterThanOrEqual(0);
  menu = await dashboard.clickBar('revenue_by_campaign', paidSearch, campaigns.length);
  expect(await dashboard.menuTitle(menu)).toBe('Campaign: Paid Search');

  // Filter the other panels to that campaign: the drilled country chart re-runs in place too.
  await dashboard.chooseMenuAction(menu, /^Filter other panels to /);
  await expect(page.getByTestId('context-chip').filter({ hasText: 'Campaign = Paid Search' })).toHaveCount(1);
  expect(await removedCharts(page)).toEqual([]);
  const filtered = await snapshot(dashboard, 'filtered');
  expect(filtered.revenue_by_region?.instance).toBe(opened.revenue_by_region?.instance);
  await expect(dashboard.panel('revenue_by_region').locator('canvas[data-stamp="filtered"]')).toHaveCount(1);
  expect(filtered.revenue_by_region?.pixels).not.toBe(drilled.revenue_by_region?.pixels);
  const filteredCountries = await nativeMembers('country', `region = ${sqlText(region)} AND campaign = 'Paid Search'`);
  expect(filteredCountries.length).toBeGreaterThan(0);
  menu = await dashboard.clickBar('revenue_by_region', 0, filteredCountries.length);
  expect(await dashboard.menuTitle(menu)).toBe(`Country: ${filteredCountries[0]}`);
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'chart-update.png') });
});

test('an error still replaces the chart, and the next good run draws a fresh one', async ({ dashboard, page, workspace, consoleLog }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const panel = dashboard.panel('revenue_by_campaign');
  const first = await panel.locator('.chart').getAttribute('data-chart-instance');
  const palette = new PalettePage(page);
  // The data file is damaged on disk and the data reloaded: the load fails and no old chart stays on screen.
  const data = path.join(workspace.dir, 'data', 'orders.parquet');
  const good = readFileSync(data);
  writeFileSync(data, 'this is not a Parquet file');
  consoleLog.allow(/Failed to load resource|status of 4\d\d|status of 5\d\d/);
  await palette.run('reload data', 'Reload data');
  await expect(panel).toHaveAttribute('data-state', 'error');
  await expect(panel.getByRole('alert')).toBeVisible();
  await expect(panel.locator('canvas')).toHaveCount(0);
  await expect(panel.locator('.panel-refresh')).toHaveCount(0);

  writeFileSync(data, good);
  const run = await dashboard.runId();
  await palette.run('reload data', 'Reload data');
  await dashboard.waitUntilDrawn(run + 1);
  await expect(panel).toHaveAttribute('data-state', 'ready');
  await expect(panel.locator('canvas')).toHaveCount(1);
  expect(await panel.locator('.chart').getAttribute('data-chart-instance')).not.toBe(first);
});
