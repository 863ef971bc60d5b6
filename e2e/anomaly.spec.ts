// The anomaly panel end to end: the demo dashboard with data-quality checks runs them in the app
// after its datasets load, lists the planted problems, and badges the KPI a failing check guards.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, DEMO_FILE, EXAMPLES } from './fixtures/app';
import { AnomalyPage } from './pages/anomaly-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
const FILE = 'checked.dashboard.json';

function checkedDashboard(): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown[]>;
  const checks = [
    { id: 'dup_orders', title: 'Each order once', dataset: 'orders', rule: 'duplicate_key', params: { key: 'order_id', timeColumn: 'order_ts' }, severity: 'error', owner: 'orders-team@example.com', guards: ['kpi_revenue'] },
    { id: 'campaign_spelling', title: 'Campaign names are consistent', dataset: 'orders', rule: 'near_duplicate_values', params: { column: 'campaign' }, severity: 'warn', guards: [] },
    { id: 'no_negative_amounts', title: 'Amounts are not negative', dataset: 'orders', rule: 'range', params: { column: 'amount', min: 0 }, severity: 'warn', guards: [] },
  ];
  const panels = [...(demo.panels ?? []), { id: 'data_checks', kind: 'anomaly', title: 'Data checks', checks: [] }];
  const layout = [...(demo.layout ?? []), { panel: 'data_checks', x: 0, y: 15, w: 12, h: 6 }];
  return `${JSON.stringify({ ...demo, checks, panels, layout }, null, 2)}\n`;
}

test.use({ openFile: FILE, extraFiles: { [FILE]: checkedDashboard() } });

test('the anomaly panel lists the check results and the guarded KPI shows a badge', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const anomaly = new AnomalyPage(page, 'data_checks');

  await expect(anomaly.check('dup_orders')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await expect(anomaly.check('dup_orders')).toContainText('2025-12-10');
  await expect(anomaly.check('dup_orders')).toContainText('orders-team@example.com');
  await expect(anomaly.check('campaign_spelling')).toHaveAttribute('data-status', 'warn');
  await expect(anomaly.check('campaign_spelling')).toContainText('Black Friday');
  await expect(anomaly.check('no_negative_amounts')).toHaveAttribute('data-status', /pass|warn/);
  await expect(anomaly.summary).toContainText(/1 failing, .*warning/);
  await expect(anomaly.summary).toContainText('last run');

  const badge = dashboard.panel('kpi_revenue').getByTestId('check-badge');
  await expect(badge).toHaveText(/Each order once/);
  await expect(dashboard.panel('kpi_orders').getByTestId('check-badge')).toHaveCount(0);

  await expect(anomaly.examples('dup_orders')).toHaveCount(0);
  await anomaly.expand('dup_orders');
  await expect(anomaly.check('dup_orders').getByRole('button')).toHaveAttribute('aria-expanded', 'true');
  await expect(anomaly.examples('dup_orders').locator('tbody tr').first()).toBeVisible();

  // Keyboard: the row toggles closed with Enter.
  await anomaly.check('dup_orders').getByRole('button').focus();
  await page.keyboard.press('Enter');
  await expect(anomaly.examples('dup_orders')).toHaveCount(0);
  await page.keyboard.press('Enter');
  await expect(anomaly.examples('dup_orders')).toBeVisible();

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.setViewportSize({ width: 1400, height: 1500 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'anomaly.png'), fullPage: true });
});
