// The anomaly panel end to end: the demo dashboard carries data-quality checks for each of its
// planted problems; the app runs them after its datasets load, lists them in the demo's anomaly
// panel, and badges the KPI a failing check guards.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { AnomalyPage } from './pages/anomaly-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');

test('the anomaly panel lists the check results and the guarded KPI shows a badge', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const anomaly = new AnomalyPage(page, 'data_quality');

  // Each planted problem of the demo data (cli/demo-data.ts PLANTED) is caught by its check.
  await expect(anomaly.check('duplicate_orders')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await expect(anomaly.check('duplicate_orders')).toContainText('904 repeated order_id values (904 extra rows), all on 2025-12-10');
  await expect(anomaly.check('duplicate_orders')).toContainText('owner data-platform@example.com');
  await expect(anomaly.check('campaign_spelling')).toHaveAttribute('data-status', 'warn');
  await expect(anomaly.check('campaign_spelling')).toContainText('`Blak Friday` (20 rows) looks like `Black Friday`');
  await expect(anomaly.check('amount_nulls')).toHaveAttribute('data-status', 'fail');
  await expect(anomaly.check('amount_nulls')).toContainText('2025-11-18');
  await expect(anomaly.check('amount_not_negative')).toHaveAttribute('data-status', 'warn');
  await expect(anomaly.check('amount_not_negative')).toContainText('7 rows with amount not ≥ 0');
  await expect(anomaly.check('revenue_jump')).toHaveAttribute('data-status', 'warn');
  await expect(anomaly.check('revenue_jump')).toContainText('2025-12-10');
  // The demo data ends on 2025-12-31: its freshness check warns (severity warn), it never fails the dashboard.
  await expect(anomaly.check('orders_fresh')).toHaveAttribute('data-status', /pass|warn/);
  await expect(anomaly.summary).toContainText(/^2 failing, [34] warnings/);
  await expect(anomaly.summary).toContainText('last run');

  const badges = dashboard.panel('kpi_revenue').getByTestId('check-badge');
  await expect(badges).toHaveText(['⚠ Each order is loaded once', '⚠ Order amounts are filled in']);
  await expect(dashboard.panel('kpi_orders').getByTestId('check-badge')).toHaveCount(0);

  await expect(anomaly.examples('duplicate_orders')).toHaveCount(0);
  await anomaly.expand('duplicate_orders');
  await expect(anomaly.toggle('duplicate_orders')).toHaveAttribute('aria-expanded', 'true');
  await expect(anomaly.examples('duplicate_orders').locator('tbody tr').first()).toBeVisible();

  // Keyboard: the row toggles closed with Enter.
  await anomaly.toggle('duplicate_orders').focus();
  await page.keyboard.press('Enter');
  await expect(anomaly.examples('duplicate_orders')).toHaveCount(0);
  await page.keyboard.press('Enter');
  await expect(anomaly.examples('duplicate_orders')).toBeVisible();

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.setViewportSize({ width: 1400, height: 1500 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'anomaly.png'), fullPage: true });
});
