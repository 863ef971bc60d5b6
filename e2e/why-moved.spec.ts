// "Why did this move?" on the demo dashboard: the revenue KPI's change split by every dimension,
// the top contributor checked against native DuckDB computing the same split independently, a
// drill into it that offers the next hierarchy level, and "Apply as filter" that the KPI follows.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect, EXAMPLES, DEMO_FILE } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import { WhyMovedPage } from './pages/why-moved-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const ARTIFACTS = path.resolve(here, 'artifacts');
const sqlText = (v: string) => `'${v.replaceAll("'", "''")}'`;
const DIMENSIONS = ['region', 'country', 'city', 'channel', 'campaign', 'category'];

// The demo as it is, but without corrections: the oracle reads the raw file, so must the app.
const RAW_FILE = 'why-moved.dashboard.json';
const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown>;
test.use({ openFile: RAW_FILE, extraFiles: { [RAW_FILE]: JSON.stringify({ ...demo, corrections: [] }, null, 2) } });

/**
 * Revenue now (the last 30 days up to the newest day) minus revenue in the 30 days before, per
 * member of a column, biggest absolute change first: hand-written SQL sharing no code with the app.
 */
async function nativeContributions(column: string, where = 'TRUE'): Promise<{ member: string | null; contribution: number }[]> {
  const rows = await queryNative(
    PARQUET,
    `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
     SELECT CAST(${column} AS VARCHAR) AS m,
       coalesce(sum(amount) FILTER (WHERE order_ts >= e - INTERVAL 30 DAY), 0)
         - coalesce(sum(amount) FILTER (WHERE order_ts < e - INTERVAL 30 DAY), 0) AS c
     FROM orders, b
     WHERE order_ts >= e - INTERVAL 60 DAY AND order_ts < e AND (${where})
     GROUP BY 1 ORDER BY abs(c) DESC, 1`,
  );
  return rows.map((r) => ({ member: r.m === null ? null : String(r.m), contribution: Number(r.c) }));
}

test('explains the revenue KPI: top contributor as native DuckDB computes it, drill to the next level, apply as filter', async ({ dashboard, page }) => {
  const why = new WhyMovedPage(page, dashboard);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  // Measured, not asserted: how long the split by all six dimensions of 400k rows takes, click to chart.
  const started = Date.now();
  await why.openFromMenu('kpi_revenue');
  console.log(`why-moved: revenue explained by ${DIMENSIONS.length} dimensions in ${Date.now() - started} ms`);

  // The dimension shown first is the one whose single biggest member explains the most.
  const native = new Map<string, { member: string | null; contribution: number }[]>();
  for (const d of DIMENSIONS) native.set(d, await nativeContributions(d));
  const concentration = (d: string) => Math.abs(native.get(d)?.[0]?.contribution ?? 0);
  const expectedTop = [...DIMENSIONS].sort((a, b) => concentration(b) - concentration(a))[0] ?? '';
  expect(await why.selectedDimension()).toBe(expectedTop);
  const shown = await why.members();
  const top = native.get(expectedTop)?.[0];
  expect(shown[0]?.member).toBe(top?.member);
  expect(shown[0]?.contribution).toBeCloseTo(top?.contribution ?? NaN, 4);

  // The headline: the KPI's change and its biggest contributor, in points of the previous revenue.
  const kpis = await computeKpisNative(PARQUET, 30);
  const points = ((top?.contribution ?? 0) / kpis.previous.revenue) * 100;
  await expect(why.headline()).toContainText(/^Revenue [−+]\d+(\.\d)?% vs previous 30 days \([−+]\$/);
  await expect(why.headline()).toContainText(`${expectedTop}=${top?.member} ${points < 0 ? '−' : '+'}${Math.abs(points).toFixed(1)} pts`);

  // By region, the biggest region; drilling into it offers its countries first, which add up to it.
  await why.selectTab('Region');
  const regions = native.get('region') ?? [];
  const region = regions[0]?.member ?? '';
  const shownRegion = (await why.members())[0];
  expect(shownRegion?.member).toBe(region);
  expect(shownRegion?.contribution).toBeCloseTo(regions[0]?.contribution ?? NaN, 4);
  await why.drillInto(region);
  expect(await why.selectedDimension()).toBe('country');
  expect(await why.dimensions()).not.toContain('region');
  const countries = await nativeContributions('country', `region = ${sqlText(region)}`);
  const shownCountries = await why.members();
  expect(shownCountries[0]?.member).toBe(countries[0]?.member);
  expect(shownCountries[0]?.contribution).toBeCloseTo(countries[0]?.contribution ?? NaN, 4);
  await expect(why.headline()).toContainText(`region=${region} `);
  await expect(why.headline()).toContainText(`, of which country=${countries[0]?.member} `);
  await page.screenshot({ path: path.join(ARTIFACTS, 'why-moved.png') });

  // "Apply as filter": the KPI follows the path (the region), and the filter bar shows it.
  await why.applyAsFilter();
  const filtered = await computeKpisNative(PARQUET, 30, `region = ${sqlText(region)}`);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(filtered.current.revenue, 4);
  expect(await dashboard.kpiPrevious('kpi_revenue')).toBeCloseTo(filtered.previous.revenue, 4);
  await expect(page.getByText(`Revenue: ${region}`)).toBeVisible();
});

test('opens from the KPI delta and from a point of the daily chart; Esc closes it', async ({ dashboard, page }) => {
  const why = new WhyMovedPage(page, dashboard);
  await dashboard.open();
  await dashboard.waitUntilDrawn();

  // AOV is revenue / distinct orders, and an order has one member of each dimension: a mix/rate
  // split that adds up. Active customers buy across members: each is left out in turn. The method is said.
  await why.openFromKpi('kpi_aov');
  await expect(why.drawer().locator('[data-method]')).toHaveAttribute('data-method', 'mix_rate');
  await expect(why.drawer().locator('[data-method]')).toContainText('rate effect');
  await expect(why.headline()).toContainText(/^Average order value [−+]\d/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'why-moved-aov.png') });
  await page.keyboard.press('Escape');
  await expect(why.drawer()).toHaveCount(0);
  await why.openFromKpi('kpi_active_customers');
  await why.selectTab('Channel');
  await expect(why.drawer().locator('[data-method]')).toHaveAttribute('data-method', 'leave_one_out');
  await expect(why.drawer().locator('[data-method]')).toContainText('need not add up');
  await page.screenshot({ path: path.join(ARTIFACTS, 'why-moved-customers.png') });
  // The tabs follow the keyboard: the arrow moves to the next dimension and shows it.
  const tabs = await why.dimensions();
  await page.keyboard.press('ArrowRight');
  await expect(why.drawer().getByRole('tabpanel')).toHaveAttribute('data-dimension', tabs[tabs.indexOf('channel') + 1] ?? tabs[0] ?? '');
  await expect(why.drawer().getByRole('tab', { selected: true })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(why.drawer()).toHaveCount(0);

  // The daily chart's last point against the day before, as a click on the point offers it.
  const days = await queryNative(PARQUET, `SELECT count(DISTINCT date_trunc('day', order_ts)) AS n FROM orders WHERE order_ts >= (SELECT date_trunc('day', max(order_ts)) - INTERVAL 29 DAY FROM orders)`);
  const count = Number(days[0]?.n);
  const menu = await dashboard.clickLinePoint('daily_revenue', count - 1, count);
  const clicked = await dashboard.menuTitle(menu);
  await menu.getByRole('menuitem', { name: 'Why did this move?' }).click();
  await why.waitExplained();
  // The point explained is the one clicked.
  await expect(why.drawer().getByRole('combobox', { name: 'Point' }).locator('option:checked')).toHaveText(clicked);
  await expect(why.headline()).toContainText(/vs previous day \(\d{4}-\d{2}-\d{2}\)/);
  // Its top contributor is the biggest change of that day against the day before.
  const day = Number(await why.drawer().getByRole('combobox', { name: 'Point' }).inputValue());
  const dimension = await why.selectedDimension();
  const dayStart = `TIMESTAMP '${new Date(day).toISOString().slice(0, 10)}'`;
  const lastDays = await queryNative(
    PARQUET,
    `SELECT CAST(${dimension} AS VARCHAR) AS m,
       coalesce(sum(amount) FILTER (WHERE order_ts >= ${dayStart}), 0) - coalesce(sum(amount) FILTER (WHERE order_ts < ${dayStart}), 0) AS c
     FROM orders WHERE order_ts >= ${dayStart} - INTERVAL 1 DAY AND order_ts < ${dayStart} + INTERVAL 1 DAY GROUP BY 1 ORDER BY abs(c) DESC, 1 LIMIT 1`,
  );
  const first = (await why.members())[0];
  expect(first?.member).toBe(lastDays[0]?.m);
  expect(first?.contribution).toBeCloseTo(Number(lastDays[0]?.c), 4);
  await why.drawer().getByRole('button', { name: 'Close' }).click();
  await expect(why.drawer()).toHaveCount(0);
});
