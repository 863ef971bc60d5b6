// The data gateway's disk cache, end to end: data read from S3 lands in the cache (About shows its
// size, the same as on disk), "Clear data cache" from the palette frees it and says how much, and
// the dashboard then reloads from S3 with the same numbers. And a dataset read from disk (scan
// mode, as every query then reads through the gateway) still applies "keep one row per key".
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, DEMO_FILE, EXAMPLES } from './fixtures/app';
import { useS3FromEnvironment } from './fixtures/s3-fixture';
import { computeKpisNative, queryNative } from './oracle';
import { AnomalyPage } from './pages/anomaly-page';
import { PalettePage } from './pages/palette-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const LAST_DAYS = 30;

/** Bytes of the block files under the cache folder, as the disk has them. */
function bytesOnDisk(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? bytesOnDisk(full) : statSync(full).size;
  }
  return total;
}

/** "61.6 MB" as formatBytes writes it, from bytes. */
function shown(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

test.describe('the disk cache of downloaded data', () => {
  // The host resolves credentials with the standard AWS chain; here, from the environment.
  const fixture = useS3FromEnvironment(test, { accessKeyId: 'NORTHSTARCACHEKEY', secretAccessKey: 'northstar-cache-secret-0123456789' }, { bucket: 'analytics', key: 'warehouse/orders.parquet', file: DEMO_PARQUET });

  test('About shows its size; Clear data cache frees it, says how much, and the data reloads from S3', async ({ dashboard, page, workspace }) => {
    const s3 = fixture();
    const cacheDir = path.join(workspace.home, 'cache', 'gateway');
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const before = await dashboard.runId();
    await dashboard.pointSourceAtS3('orders', { uri: 's3://analytics/warehouse/orders.parquet', endpoint: s3.endpoint, region: 'eu-west-1' });
    await expect(page.locator('[data-dataset="orders"]')).toContainText('rows', { timeout: 60_000 });
    await dashboard.closeSources();
    await dashboard.waitUntilDrawn(before + 1);
    const native = await computeKpisNative(DEMO_PARQUET, LAST_DAYS);
    expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);

    const palette = new PalettePage(page);
    const about = page.getByRole('dialog', { name: 'About Northstar' });
    const size = about.getByTestId('data-cache-size');
    // Blocks are written right after they are served: the figure settles once the last is on disk.
    await expect.poll(() => bytesOnDisk(cacheDir)).toBeGreaterThan(0);
    const cached = bytesOnDisk(cacheDir);
    await palette.run('about', 'About Northstar');
    await expect(size).toHaveText(`${shown(cached)} of 2.0 GB downloaded data`);
    await page.screenshot({ path: test.info().outputPath('about-data-cache.png') });
    await about.getByRole('button', { name: 'Close' }).click();

    await palette.run('clear cache', 'Clear data cache');
    await expect(page.getByTestId('notice')).toContainText(`Cleared ${shown(cached)} of downloaded data from the disk cache`);
    expect(bytesOnDisk(cacheDir)).toBe(0);
    await palette.run('about', 'About Northstar');
    await expect(size).toHaveText('0 B of 2.0 GB downloaded data');
    await expect(about.getByRole('button', { name: 'Clear' })).toBeDisabled();
    await about.getByRole('button', { name: 'Close' }).click();

    // The loaded table is still in memory; reloading reads the object from S3 again, into the cache.
    const getsBefore = s3.requests.filter((r) => r.method === 'GET').length;
    const run = await dashboard.runId();
    await palette.run('reload data', 'Reload data');
    await dashboard.waitUntilDrawn(run + 1);
    expect(s3.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(getsBefore);
    expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
    await expect.poll(() => bytesOnDisk(cacheDir)).toBeGreaterThan(0);
  });
});

test.describe('a dataset read from disk (scan mode) with the demo\'s dedupe correction', () => {
  const FILE = 'dedupe.dashboard.json';
  const withDedupe = (): string => {
    const file = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown>;
    const corrections = [{ id: 'dedupe', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'loaded twice', author: 'someone' }];
    return `${JSON.stringify({ ...file, corrections }, null, 2)}\n`;
  };
  test.use({ openFile: FILE, extraFiles: { [FILE]: withDedupe() }, memoryBudgetBytes: 1024 * 1024 });

  test('keeps one row per order, in file order, and shows native DuckDB\'s corrected revenue', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await expect(page.getByTestId('scan-mode')).toContainText('Large dataset: queries read from disk');
    await expect(page.getByTestId('correction-problems')).toHaveCount(0);
    // Native DuckDB on the same file: the doubly loaded rows are identical, so "first" is any copy.
    const [row] = await queryNative(
      DEMO_PARQUET,
      `WITH clean AS (SELECT DISTINCT * FROM orders),
            bounds AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS end_ts FROM clean)
       SELECT sum(amount)::DOUBLE AS revenue, (SELECT count(*) FROM orders) - (SELECT count(*) FROM clean) AS dropped
       FROM clean, bounds WHERE order_ts >= end_ts - INTERVAL ${LAST_DAYS} DAY AND order_ts < end_ts`,
    );
    expect(Number(row?.dropped)).toBeGreaterThan(0);
    const raw = (await computeKpisNative(DEMO_PARQUET, LAST_DAYS)).current.revenue;
    expect(Number(row?.revenue)).toBeLessThan(raw - 1000);
    expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(Number(row?.revenue), 2);
    // The checks read the corrected view too: the duplicate check passes (and its badge is gone).
    await expect(new AnomalyPage(page, 'data_quality').check('duplicate_orders')).toHaveAttribute('data-status', 'pass', { timeout: 60_000 });
    await expect(dashboard.panel('kpi_revenue').getByTestId('check-badge').filter({ hasText: 'Each order is loaded once' })).toHaveCount(0);
  });
});
