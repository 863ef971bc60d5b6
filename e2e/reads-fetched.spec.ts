// Scale limits, end to end: a dataset whose in-memory table runs out of memory after its panels
// drew from the downloaded file. The engine is capped at 32 MB (the page's `?engineMemoryLimit=`),
// so that 500,000 orders (~6 MB of Parquet, fetched whole: the table panel shows every column)
// take the path a real dataset takes at ~25M rows under the 4 GB wasm heap: the panels draw from
// the fetched bytes, the table build runs out of memory, and the dataset goes on reading the file,
// on an engine started again to give the memory back. The dashboard says so and its numbers are
// native DuckDB's.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import { ensureOrders } from '../bench/data';

const LAST_DAYS = 30;
const ROWS = 500_000;

test('a dataset that runs out of memory while its table is built keeps answering from the downloaded file, and says so', async ({ dashboard, workspace, host, page }) => {
  // Generating the orders takes a few seconds the first time (bench/.cache keeps them).
  test.setTimeout(180_000);
  const orders = await ensureOrders(ROWS, () => {});
  // Enough bytes to draw from the fetched file first (bytes-first.ts: from 4 MiB on).
  expect(orders.bytes).toBeGreaterThan(4 * 1024 * 1024);
  copyFileSync(orders.path, path.join(workspace.dir, 'data', 'orders.parquet'));

  const url = new URL(host.url);
  url.searchParams.set('engineMemoryLimit', '32MB');
  await page.goto(url.toString());
  await dashboard.waitUntilDrawn();

  const notice = page.getByTestId('reads-fetched');
  await expect(notice).toHaveCount(1, { timeout: 90_000 });
  await expect(notice).toContainText('Large dataset: queries read the downloaded file. Dataset "orders" ran out of memory while it was being loaded');
  // The engine's own words stay in the tooltip.
  await expect(notice).toHaveAttribute('title', /memory/i);
  await expect(page.getByTestId('source-error')).toHaveCount(0);
  // The engine keeps the memory the build grew it to for as long as it lives: it is started again,
  // once, and the run that follows reads the downloaded file from the start (it builds no table,
  // which would only run out again and start the engine again).
  const engineStarts = () => page.evaluate(() => performance.getEntriesByName('northstar:engine-start').length);
  await expect.poll(engineStarts, { timeout: 90_000 }).toBe(2);
  await dashboard.waitUntilDrawn(2);
  await expect(notice).toHaveCount(1, { timeout: 90_000 });
  await expect(page.getByTestId('source-error')).toHaveCount(0);

  const native = await computeKpisNative(orders.path, LAST_DAYS);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
  expect(await dashboard.kpiPrevious('kpi_revenue')).toBeCloseTo(native.previous.revenue, 6);
  expect(await dashboard.kpiValue('kpi_orders')).toBe(native.current.orders);
  for (const id of ['kpi_revenue', 'daily_revenue', 'revenue_by_region', 'recent_orders']) {
    await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
  }
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'reads-fetched.png') });
  // The data-quality checks read the file too. The duplicate-id check groups every id: with 32 MB
  // it groups them a slice of their hash at a time, as it would past 6M rows, and finds what
  // native DuckDB finds.
  await expect(page.getByText(/^last run /)).toBeVisible({ timeout: 90_000 });
  expect(await engineStarts()).toBe(2);
  const [repeated] = await queryNative(orders.path, 'SELECT count(*) AS n FROM (SELECT order_id FROM orders WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1)');
  const keys = Number(repeated?.n);
  expect(keys).toBeGreaterThan(0);
  await expect(dashboard.panel('data_quality')).toContainText(`${keys.toLocaleString('en-US')} repeated order_id values`);
  const slices = await page.evaluate(() =>
    performance.getEntriesByName('northstar:sql').filter((e) => /^(CREATE TEMP TABLE|INSERT INTO) "__northstar_repeated_keys_/.test(String(((e as PerformanceMeasure).detail as { sql?: unknown } | null)?.sql ?? ''))).length,
  );
  expect(slices).toBeGreaterThanOrEqual(2);
});

test('an engine memory cap that is not a size says so instead of starting the engine', async ({ dashboard, host, page }) => {
  const url = new URL(host.url);
  url.searchParams.set('engineMemoryLimit', 'lots');
  await page.goto(url.toString());
  await expect(page.getByTestId('notice')).toContainText('The query engine could not start: The engine\'s memory limit must be a size such as 32MB or 2GB, not "lots".', { timeout: 60_000 });
  await expect(dashboard.panel('kpi_revenue')).toHaveAttribute('data-state', 'error');
});
