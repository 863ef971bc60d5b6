// Next clicks computed ahead: once the dashboard is drawn and idle, the charts' drill and filter
// steps run in the engine, so the click itself asks the engine nothing and still shows the numbers
// native DuckDB computes. Off from the palette, a click asks the engine again.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import { PalettePage } from './pages/palette-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');

/** Wait until a precomputation ran to its end (not stopped by a click) after `after` ms. */
async function computedAhead(page: Page, after = 0): Promise<{ explorations: number; statements: number }> {
  let done: { explorations: number; statements: number; stopped: boolean } | undefined;
  await expect
    .poll(
      async () => {
        done = await page.evaluate((t) => {
          const runs = performance.getEntriesByName('northstar:next-clicks').filter((e) => e.startTime > t);
          return (runs.at(-1) as PerformanceMeasure | undefined)?.detail as { explorations: number; statements: number; stopped: boolean } | undefined;
        }, after);
        return done?.stopped === false;
      },
      { timeout: 60_000 },
    )
    .toBe(true);
  return done as { explorations: number; statements: number };
}

/** The statements the engine ran since `after` that were not run ahead. */
async function askedSince(page: Page, after: number): Promise<string[]> {
  return page.evaluate((t) => {
    const ahead = new Set(performance.getEntriesByName('northstar:next-clicks-sql').filter((e) => e.startTime > t).map((e) => String(((e as PerformanceMark).detail as { sql: string }).sql)));
    return performance
      .getEntriesByName('northstar:sql')
      .filter((e) => e.startTime > t)
      .map((e) => String(((e as PerformanceMeasure).detail as { sql: string }).sql))
      .filter((sql) => !ahead.has(sql));
  }, after);
}

const now = (page: Page) => page.evaluate(() => performance.now());

async function regionsByRevenue(): Promise<string[]> {
  const rows = await queryNative(
    PARQUET,
    `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
     SELECT region AS m, sum(amount) AS r FROM orders, b WHERE order_ts >= e - INTERVAL 30 DAY AND order_ts < e GROUP BY 1 ORDER BY r DESC NULLS LAST, 1`,
  );
  return rows.map((r) => String(r.m));
}

test('a drill and a filter computed ahead ask the engine nothing when clicked, and show the native numbers', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const first = await computedAhead(page);
  expect(first.explorations).toBeGreaterThan(2);
  expect(first.statements).toBeGreaterThan(first.explorations);
  const regions = await regionsByRevenue();

  // The top region, drilled into: every panel answers from what was computed ahead.
  let since = await now(page);
  let menu = await dashboard.clickBar('revenue_by_region', 0, regions.length);
  await dashboard.chooseMenuAction(menu, /^Drill into .* by country$/);
  expect(await askedSince(page, since)).toEqual([]);
  const top = regions[0] as string;
  const native = await computeKpisNative(PARQUET, 30, `region = '${top.replaceAll("'", "''")}'`);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 4);
  expect(await dashboard.kpiValue('kpi_orders')).toBe(native.current.orders);
  await expect(dashboard.breadcrumbs('revenue_by_region')).toHaveText(`All regions›${top}`);

  // Back up (a result seen before), then "Filter other panels to" the second region, once computed ahead again.
  since = await now(page);
  const back = await dashboard.runId();
  await dashboard.breadcrumbs('revenue_by_region').getByRole('button', { name: 'All regions' }).click();
  await dashboard.waitUntilDrawn(back + 1);
  await computedAhead(page, since);
  since = await now(page);
  menu = await dashboard.clickBar('revenue_by_region', 1, regions.length);
  await dashboard.chooseMenuAction(menu, /^Filter other panels to /);
  expect(await askedSince(page, since)).toEqual([]);
  const second = await computeKpisNative(PARQUET, 30, `region = '${(regions[1] as string).replaceAll("'", "''")}'`);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(second.current.revenue, 4);
});

test('after a click, the next clicks are computed only once its panels are all drawn', async ({ dashboard, page }) => {
  // Frames that come late once asked to: a chart reports itself drawn from its next frame, and the
  // page is idle until then (as it is between a click's chart draws at millions of rows).
  await page.addInitScript(() => {
    const frame = window.requestAnimationFrame.bind(window);
    const w = window as unknown as { __lateFrames?: boolean };
    window.requestAnimationFrame = (cb) => (w.__lateFrames ? (setTimeout(() => frame(cb), 300), 0) : frame(cb));
  });
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await computedAhead(page);
  const regions = await regionsByRevenue();
  await page.evaluate(() => ((window as unknown as { __lateFrames?: boolean }).__lateFrames = true));
  for (const [i, action] of [
    [0, /^Drill into .* by country$/],
    [1, /^Filter other panels to /],
  ] as const) {
    if (i === 1) {
      // Back up from the first step's drill, so the bar clicked is a region again.
      const drilled = await dashboard.runId();
      await dashboard.panel('revenue_by_region').getByRole('navigation').getByRole('button', { name: 'All regions' }).click();
      await dashboard.waitUntilDrawn(drilled + 1);
    }
    const run = await dashboard.runId();
    const since = await now(page);
    const menu = await dashboard.clickBar('revenue_by_region', i === 0 ? 0 : 1, regions.length);
    await dashboard.chooseMenuAction(menu, action);
    await dashboard.waitUntilDrawn(run + 1);
    await computedAhead(page, since);
    // The first statement run ahead after the click came after the click's run was drawn.
    const { drawn, firstAhead } = await page.evaluate(
      ([t, r]) => ({
        drawn: performance.getEntriesByName('northstar:all-panels-drawn').find((m) => ((m as PerformanceMark).detail as { runId: number }).runId > r)?.startTime,
        firstAhead: performance.getEntriesByName('northstar:next-clicks-sql').find((m) => m.startTime > t)?.startTime,
      }),
      [since, run] as const,
    );
    expect(drawn, String(action)).toBeDefined();
    expect(firstAhead, String(action)).toBeDefined();
    expect(firstAhead as number, String(action)).toBeGreaterThan(drawn as number);
  }
});

test('turned off from the palette, nothing is computed ahead and a click asks the engine', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await computedAhead(page);
  const palette = new PalettePage(page);
  await palette.run('precompute next', 'Precompute next clicks: on (turn off)');
  await expect(page.getByTestId('notice')).toContainText('no longer precomputed');

  // A new page on this machine remembers the choice: nothing runs ahead of the clicks.
  await page.reload();
  await dashboard.waitUntilDrawn();
  const regions = await regionsByRevenue();
  const since = await now(page);
  const menu = await dashboard.clickBar('revenue_by_region', 0, regions.length);
  await dashboard.chooseMenuAction(menu, /^Drill into .* by country$/);
  expect((await askedSince(page, since)).length).toBeGreaterThan(3);
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => performance.getEntriesByName('northstar:next-clicks').length)).toBe(0);

  await palette.run('precompute next', 'Precompute next clicks: off (turn on)');
  await expect(page.getByTestId('notice')).toContainText('precomputed again');
});
