// Corrections end to end ("fix it once"): the demo's anomaly panel flags the double-loaded day and
// the misspelled campaign; each finding's one-click fix becomes a correction in the file; the revenue
// KPI then shows what native DuckDB computes on the corrected data, the checks turn green, "Show
// raw" brings the old number back for comparison, undo takes a correction away, and a saved file
// keeps its corrections when reopened.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, DEMO_FILE, EXAMPLES } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import { AnomalyPage } from './pages/anomaly-page';
import { CorrectionsPage } from './pages/corrections-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');
const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as { timeRange: { lastDays: number } };
const DAYS = demo.timeRange.lastDays;

/** Revenue of the current period on the corrected data, hand-written: identical duplicate rows counted once. */
async function correctedRevenueNative(): Promise<number> {
  const rows = await queryNative(
    PARQUET,
    `WITH clean AS (SELECT DISTINCT * FROM orders),
          bounds AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS end_ts FROM clean)
     SELECT sum(amount)::DOUBLE AS revenue FROM clean, bounds
     WHERE order_ts >= end_ts - INTERVAL ${DAYS} DAY AND order_ts < end_ts`,
  );
  return Number(rows[0]?.revenue);
}

test('apply the suggested corrections, compare with raw data, undo, save and reopen', async ({ dashboard, page, workspace }) => {
  test.setTimeout(240_000);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const anomaly = new AnomalyPage(page, 'data_quality');
  const corrections = new CorrectionsPage(page, 'data_quality');

  // The planted problems, flagged.
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await expect(anomaly.check('duplicate_orders')).toContainText('2025-12-10');
  await expect(anomaly.check('campaign_spelling')).toHaveAttribute('data-status', 'warn');
  await expect(anomaly.check('campaign_spelling')).toContainText('Blak Friday');
  await expect(corrections.rawSwitch).toHaveCount(0); // no corrections yet: nothing to compare
  await expect(dashboard.panel('kpi_revenue').getByTestId('check-badge').filter({ hasText: 'Each order is loaded once' })).toHaveCount(1);

  const raw = (await computeKpisNative(PARQUET, DAYS)).current.revenue;
  const corrected = await correctedRevenueNative();
  expect(corrected).toBeLessThan(raw - 1000); // the duplicated day is in the period: the fix must show
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(raw, 2);

  // One click each: the misspellings become "Black Friday", the twice-loaded day is loaded once.
  await expect(corrections.offer('campaign_spelling')).toContainText('`Blak Friday` → `Black Friday`');
  const spelling = await corrections.applyFix('campaign_spelling', 'E2E Analyst');
  expect(spelling.reason).toContain('Black Friday');
  await expect(anomaly.check('campaign_spelling')).toHaveAttribute('data-status', 'pass', { timeout: 60_000 });

  await expect(corrections.offer('duplicate_orders')).toHaveText('✎ Drop duplicate rows of `order_id`, keep one');
  await corrections.applyFix('duplicate_orders', 'E2E Analyst');
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'pass', { timeout: 60_000 });
  await expect.poll(() => dashboard.kpiValue('kpi_revenue'), { timeout: 60_000 }).toBeCloseTo(corrected, 2);
  // The duplicate check's badge goes; the NULL spike (not corrected) keeps its own.
  await expect(dashboard.panel('kpi_revenue').getByTestId('check-badge').filter({ hasText: 'Each order is loaded once' })).toHaveCount(0);
  await expect(dashboard.panel('kpi_revenue').getByTestId('check-badge')).toHaveText(['⚠ Order amounts are filled in']);
  await expect(corrections.offer('duplicate_orders')).toHaveCount(0);

  await expect(corrections.items()).toHaveCount(2);
  await expect(corrections.item('fix_duplicate_orders')).toContainText('one row per order_id');
  await expect(corrections.item('fix_duplicate_orders')).toContainText('by E2E Analyst');
  await expect(corrections.item('fix_campaign_spelling')).toContainText('`Blak Friday` → `Black Friday`');

  // Raw data for comparison: the old number, the checks failing again, and a notice saying so.
  await corrections.rawSwitch.click();
  await expect(corrections.rawNotice).toHaveText('Showing raw data — 2 corrections off');
  await expect.poll(() => dashboard.kpiValue('kpi_revenue'), { timeout: 60_000 }).toBeCloseTo(raw, 2);
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await expect(corrections.offer('duplicate_orders')).toHaveCount(0); // no fixes offered on raw data
  await page.screenshot({ path: path.join(here, 'artifacts', 'corrections-raw.png') });
  await corrections.rawSwitch.click();
  await expect(corrections.rawNotice).toHaveCount(0);
  await expect.poll(() => dashboard.kpiValue('kpi_revenue'), { timeout: 60_000 }).toBeCloseTo(corrected, 2);

  // Undo takes the last correction away (the KPI and the check follow); redo brings it back.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(corrections.items()).toHaveCount(1);
  await expect.poll(() => dashboard.kpiValue('kpi_revenue'), { timeout: 60_000 }).toBeCloseTo(raw, 2);
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(corrections.items()).toHaveCount(2);
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'pass', { timeout: 60_000 });

  // Saved in the file, with reason and author; reopened, it still applies.
  await dashboard.save();
  const saved = JSON.parse(readFileSync(workspace.file(), 'utf8')) as { corrections: { id: string; kind: string; author: string; reason: string }[] };
  expect(saved.corrections.map((c) => [c.id, c.kind, c.author])).toEqual([
    ['fix_campaign_spelling', 'map_value', 'E2E Analyst'],
    ['fix_duplicate_orders', 'exclude_rows', 'E2E Analyst'],
  ]);
  expect(saved.corrections.every((c) => c.reason.length > 0)).toBe(true);
  await page.screenshot({ path: path.join(here, 'artifacts', 'corrections.png') });
  await page.reload();
  await dashboard.waitUntilDrawn();
  await expect(corrections.items()).toHaveCount(2);
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'pass', { timeout: 60_000 });
  await expect(anomaly.check('campaign_spelling')).toHaveAttribute('data-status', 'pass');
  await expect.poll(() => dashboard.kpiValue('kpi_revenue'), { timeout: 60_000 }).toBeCloseTo(corrected, 2);

  // Removing a correction from the list is an edit like any other.
  await corrections.remove('fix_campaign_spelling');
  await expect(corrections.items()).toHaveCount(1);
  await expect(anomaly.check('campaign_spelling')).toHaveAttribute('data-status', 'warn', { timeout: 60_000 });
});

test.describe('a correction that cannot be applied', () => {
  const FILE = 'broken-correction.dashboard.json';
  const withBroken = (): string => {
    const file = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown>;
    const corrections = [
      { id: 'fix_campaign', kind: 'map_value', dataset: 'orders', params: { column: 'campain', from: 'Blak Friday', to: 'Black Friday' }, reason: 'typo', author: 'someone' },
      { id: 'dedupe', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'loaded twice', author: 'someone' },
    ];
    return `${JSON.stringify({ ...file, corrections }, null, 2)}\n`;
  };
  test.use({ openFile: FILE, extraFiles: { [FILE]: withBroken() } });

  test('is left out and named, while the others apply and every panel keeps its data', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const corrections = new CorrectionsPage(page, 'data_quality');
    await expect(page.getByTestId('correction-problems')).toHaveText('⚠ 1 correction not applied');
    await expect(corrections.item('fix_campaign')).toContainText('Not applied: Correction `fix_campaign`: column "campain" does not exist in dataset orders');
    await expect(corrections.item('dedupe')).not.toContainText('Not applied');
    expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(await correctedRevenueNative(), 2);
    await expect(page.locator('[data-panel-id][data-state="error"]')).toHaveCount(0);
  });
});
