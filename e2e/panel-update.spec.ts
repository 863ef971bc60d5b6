// A run that re-queries the KPI tiles and the table keeps them on screen and updates them in place,
// as it does the charts (chart-update.spec.ts): a click answered quickly changes nothing on screen
// but the numbers, and a slow one dims them and shows its progress only after a moment.
import { statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, type Page } from './fixtures/app';
import { holdDataReads } from './fixtures/hold-reads';
import { computeKpisNative, queryNative } from './oracle';
import { PalettePage } from './pages/palette-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
// As renderer/src/components/panels.tsx REFRESH_SHOWN_AFTER_MS.
const REFRESH_SHOWN_AFTER_MS = 250;
const PANELS = ['kpi_revenue', 'recent_orders'];

/** Mark the KPI's value and the table's elements, to find the very same elements later. */
async function stamp(page: Page, value: string): Promise<void> {
  await page.evaluate((v) => {
    for (const el of document.querySelectorAll('[data-panel-id="kpi_revenue"] .kpi-value, [data-panel-id="recent_orders"] table, [data-panel-id="recent_orders"] tbody tr[aria-rowindex="2"]')) (el as HTMLElement).dataset.stamp = v;
  }, value);
}

/**
 * From now on, for each panel: when it went to "loading" and when its body was first dimmed (both in
 * the page's clock), and whether its KPI value or table element was ever removed.
 */
async function watchPanels(page: Page): Promise<void> {
  await page.evaluate((ids) => {
    const w = window as unknown as { __watch: Record<string, { loading?: number; dimmed?: number; removed: number }> };
    w.__watch = Object.fromEntries(ids.map((id) => [id, { removed: 0 }]));
    new MutationObserver((records) => {
      const now = performance.now();
      for (const r of records) {
        const id = (r.target instanceof Element ? r.target : r.target.parentElement)?.closest('[data-panel-id]')?.getAttribute('data-panel-id') ?? '';
        const seen = w.__watch[id];
        if (!seen) continue;
        const target = r.target as Element;
        if (r.type === 'attributes' && r.attributeName === 'data-state' && target.getAttribute('data-state') === 'loading') seen.loading ??= now;
        if (r.type === 'attributes' && r.attributeName === 'class' && target.classList.contains('refreshing')) seen.dimmed ??= now;
        for (const n of r.removedNodes) if (n instanceof Element && (n.matches('.kpi-value, table') || n.querySelector('.kpi-value, table'))) seen.removed += 1;
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state', 'class'] });
  }, PANELS);
}

const watched = (page: Page) => page.evaluate(() => (window as unknown as { __watch: Record<string, { loading?: number; dimmed?: number; removed: number }> }).__watch);

test('a drill updates the KPI tiles and the table in place, with the new numbers, and a scrolled table starts at its top', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const regions = (await queryNative(PARQUET, 'SELECT DISTINCT region FROM orders')).length;
  const table = dashboard.panel('recent_orders').locator('.table-scroll');
  // The reader scrolled the table down.
  await table.evaluate((el) => (el.scrollTop = 400));
  await expect.poll(() => table.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  await stamp(page, 'opened');
  await watchPanels(page);
  const revenueBefore = await dashboard.kpiValue('kpi_revenue');

  const before = await dashboard.runId();
  const menu = await dashboard.clickBar('revenue_by_region', 0, regions);
  const region = (await dashboard.menuTitle(menu)).replace(/^Region: /, '');
  await dashboard.chooseMenuAction(menu, /^Drill into .* by country$/);
  await dashboard.waitUntilDrawn(before + 1);

  // The same elements, showing the region's numbers.
  for (const selector of ['.kpi-value', 'table']) await expect(page.locator(`${selector}[data-stamp="opened"]`), selector).toHaveCount(1);
  expect((await watched(page)).recent_orders?.removed).toBe(0);
  expect((await watched(page)).kpi_revenue?.removed).toBe(0);
  const native = await computeKpisNative(PARQUET, 30, `region = '${region.replaceAll("'", "''")}'`);
  const revenue = await dashboard.kpiValue('kpi_revenue');
  expect(revenue).not.toBe(revenueBefore);
  expect(revenue).toBeCloseTo(native.current.revenue, 4);
  // The table shows the region's newest orders from its first row: scrolled back to the top.
  await expect.poll(() => table.evaluate((el) => el.scrollTop)).toBe(0);
  const countries = new Set((await queryNative(PARQUET, `SELECT DISTINCT country FROM orders WHERE region = '${region.replaceAll("'", "''")}'`)).map((r) => String(r.country)));
  const at = (await dashboard.panel('recent_orders').locator('thead th').allTextContents()).indexOf('country');
  expect(at).toBeGreaterThanOrEqual(0);
  const firstRows = dashboard.panel('recent_orders').locator('tbody tr:not(.table-spacer)');
  for (let i = 0; i < 5; i++) expect(countries, `row ${i + 1}`).toContain(await firstRows.nth(i).locator('td').nth(at).textContent());
  await expect(firstRows.first()).toHaveAttribute('aria-rowindex', '2');
});

test('a slow re-query keeps the KPI tiles and the table on screen, dimmed with their progress only after a moment', async ({ dashboard, page, host, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const revenue = await dashboard.kpiValue('kpi_revenue');
  await stamp(page, 'opened');
  await watchPanels(page);
  const gate = await holdDataReads(page, host.gateway.origin);

  // The file changed on disk (a new modification time: results stored for it no longer apply), and
  // Reload data reads it again: every panel re-runs and waits for the held reads.
  const data = path.join(workspace.dir, 'data', 'orders.parquet');
  const later = new Date(statSync(data).mtimeMs + 60_000);
  utimesSync(data, later, later);
  const before = await dashboard.runId();
  await new PalettePage(page).run('reload data', 'Reload data');
  await expect.poll(() => gate.waiting(), { timeout: 30_000 }).toBeGreaterThan(0);
  for (const id of PANELS) {
    const panel = dashboard.panel(id);
    await expect(panel, id).toHaveAttribute('data-state', 'loading');
    await expect(panel.locator('.panel-body.refreshing'), id).toHaveCount(1);
    await expect(panel.locator('.panel-refresh').getByTestId('panel-progress'), id).toBeVisible();
  }
  // The old numbers stay, dimmed, in the same elements.
  await expect(page.locator('.kpi-value[data-stamp="opened"]')).toHaveCSS('opacity', '1');
  await expect(dashboard.panel('kpi_revenue').locator('.kpi')).toHaveCSS('opacity', '0.45');
  await expect(dashboard.panel('recent_orders').locator('.table-body')).toHaveCSS('opacity', '0.45');
  expect(await dashboard.kpiValue('kpi_revenue')).toBe(revenue);
  await expect(page.locator('table[data-stamp="opened"]')).toHaveCount(1);
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'panel-refresh.png') });
  // Dimmed no sooner than the delay after the panel began to wait. (The observer notes "loading" at
  // its first chance after React's commit, a few ms after the delay's timer was set: measured 244 ms.)
  const seen = await watched(page);
  for (const id of PANELS) {
    const { loading, dimmed } = seen[id] ?? {};
    expect(loading, `${id} went to loading`).toBeDefined();
    expect(dimmed, `${id} was dimmed`).toBeDefined();
    expect((dimmed as number) - (loading as number), id).toBeGreaterThanOrEqual(REFRESH_SHOWN_AFTER_MS - 50);
  }

  gate.release();
  await dashboard.waitUntilDrawn(before + 1);
  for (const id of PANELS) {
    await expect(dashboard.panel(id).locator('.panel-body.refreshing'), id).toHaveCount(0);
    await expect(dashboard.panel(id).locator('.panel-refresh'), id).toHaveCount(0);
  }
  await expect(page.locator('.kpi-value[data-stamp="opened"]')).toHaveCount(1);
  expect(await dashboard.kpiValue('kpi_revenue')).toBe(revenue);
  expect((await watched(page)).recent_orders?.removed).toBe(0);
});
