// Heatmaps and the year/quarter grains: a heatmap of revenue by month × region draws, its cell
// menu leads to the cell's rows; a yearly line chart drills year → month → day from its menu.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect, EXAMPLES, DEMO_FILE } from './fixtures/app';
import { queryNative } from './oracle';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const FILE = 'heatmap.dashboard.json';

/** The demo over its two whole years, its daily chart drawn by year, and a heatmap under it all. */
function heatmapDemo(): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as { panels: Record<string, unknown>[]; layout: Record<string, unknown>[] };
  const panels = demo.panels.map((p) => (p.id === 'daily_revenue' ? { ...p, title: 'Revenue by year', x: { type: 'time', grain: 'year' } } : p));
  panels.push({
    id: 'heatmap', kind: 'chart', title: 'Revenue by region × month', dataset: 'orders', chart: 'heatmap',
    x: { type: 'time', grain: 'month' }, y: { type: 'dimension', dimension: 'region' }, measures: ['revenue'], limit: 10,
  });
  const layout = [...demo.layout, { panel: 'heatmap', x: 0, y: 15, w: 12, h: 7 }];
  return `${JSON.stringify({ ...demo, title: 'Heatmap demo', timeRange: { from: '2024-01-01', to: '2025-12-31' }, panels, layout }, null, 2)}\n`;
}

test.use({ openFile: FILE, extraFiles: { [FILE]: heatmapDemo() } });

test('a heatmap of revenue by month × region draws, and a cell leads to its rows', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const heat = dashboard.panel('heatmap');
  await expect(heat).toHaveAttribute('data-state', 'ready');
  await expect(heat.locator('canvas').first()).toBeVisible();
  await heat.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'heatmap.png'), fullPage: true });

  // Rows are regions by revenue, biggest on top; columns the 24 months.
  const regions = (await queryNative(PARQUET, `SELECT region AS m FROM orders GROUP BY 1 ORDER BY sum(amount) DESC, 1`)).map((r) => String(r.m));
  const menu = await dashboard.clickHeatmapCell('heatmap', 23, 24, 0, regions.length);
  const region = regions[0]!;
  expect(await dashboard.menuTitle(menu)).toBe(`2025-12 × ${region}`);
  await expect(menu.getByRole('menuitem', { name: `Filter other panels to ${region}` })).toBeVisible();
  await dashboard.chooseMenuAction(menu, /^Show rows for 2025-12 × /);
  await expect(dashboard.breadcrumbs('heatmap')).toHaveText(`All time›2025-12›${region}›Rows`);
  const header = await heat.locator('thead th').allTextContents();
  const regionCells = await heat.locator(`tbody tr td:nth-child(${header.indexOf('region') + 1})`).allTextContents();
  expect(regionCells.length).toBeGreaterThan(0);
  expect(new Set(regionCells)).toEqual(new Set([region]));
  const days = await heat.locator(`tbody tr td:nth-child(${header.indexOf('order_ts') + 1})`).allTextContents();
  expect(days.every((d) => d.startsWith('2025-12-'))).toBe(true);
});

test('a yearly chart drills year → month → day from its menu', async ({ dashboard }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  let menu = await dashboard.clickLinePoint('daily_revenue', 1, 2);
  expect(await dashboard.menuTitle(menu)).toBe('2025');
  await dashboard.chooseMenuAction(menu, /^Zoom into 2025 by month$/);
  await expect(dashboard.breadcrumbs('daily_revenue')).toHaveText('All time›2025');
  // The KPIs follow the click: 2025 against the 365 days before it (2024), and they say so. (They
  // said "vs previous 731 days", the dashboard's period, over the numbers of 2025 and 2024.)
  await expectKpiWindow(dashboard, '2025-01-01', '2026-01-01', 365);

  menu = await dashboard.clickLinePoint('daily_revenue', 11, 12);
  expect(await dashboard.menuTitle(menu)).toBe('2025-12');
  await dashboard.chooseMenuAction(menu, /^Zoom into 2025-12 by day$/);
  await expect(dashboard.breadcrumbs('daily_revenue')).toHaveText('All time›2025›2025-12');
  await expectKpiWindow(dashboard, '2025-12-01', '2026-01-01', 31);

  // Days (the axis labels' width moves the plot a little, so any December day will do): the finest grain only leads to rows.
  menu = await dashboard.clickLinePoint('daily_revenue', 15, 31);
  const day = await dashboard.menuTitle(menu);
  expect(day).toMatch(/^2025-12-\d\d$/);
  // No finer grain: rows, and the root-cause explanation of that day.
  await expect(menu.getByRole('menuitem')).toHaveText([`Show rows for ${day}`, 'Why did this move?']);
  await dashboard.panel('daily_revenue').screenshot({ path: path.join('e2e', 'artifacts', 'drill-days.png') });
});

/** The revenue KPI shows [from, to) against as many days before it, as native DuckDB sums them, and says how many days. */
async function expectKpiWindow(dashboard: import('./pages/dashboard-page').DashboardPage, from: string, to: string, days: number): Promise<void> {
  const sum = async (start: string, end: string) =>
    Number((await queryNative(PARQUET, `SELECT coalesce(sum(amount), 0)::DOUBLE AS v FROM orders WHERE order_ts >= TIMESTAMP '${start}' AND order_ts < TIMESTAMP '${end}'`))[0]?.v);
  const current = await sum(from, to);
  const before = new Date(Date.parse(`${from}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
  const previous = await sum(before, from);
  const kpi = dashboard.panel('kpi_revenue');
  await expect.poll(() => dashboard.kpiValue('kpi_revenue').catch(() => Number.NaN)).toBeCloseTo(current, 4);
  expect(await dashboard.kpiPrevious('kpi_revenue')).toBeCloseTo(previous, 4);
  await expect(kpi.locator('.kpi-change')).toContainText(`vs previous ${days} days`);
}
