// Authoring data checks in the app: scan the demo dataset and pin what it finds, pin "watch for
// jumps" from the revenue chart, and see the double-loaded day marked on the daily chart.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, DEMO_FILE, EXAMPLES } from './fixtures/app';
import { AnomalyPage } from './pages/anomaly-page';
import { ChecksPage } from './pages/checks-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
const FILE = 'authoring-checks.dashboard.json';
const OWNER = 'Ana (analytics)';
/** Planted in the demo data (cli/demo-data.ts): a day loaded twice. */
const DOUBLED_DAY = '2025-12-10';

/** The demo without checks or anomaly panels (whatever the demo file carries), with an owner. */
function plainDashboard(): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as { panels: { id: string; kind: string }[]; layout: { panel: string }[] } & Record<string, unknown>;
  const panels = demo.panels.filter((p) => p.kind !== 'anomaly');
  const layout = demo.layout.filter((l) => panels.some((p) => p.id === l.panel));
  return `${JSON.stringify({ ...demo, owner: OWNER, checks: [], corrections: [], panels, layout }, null, 2)}\n`;
}

test.use({ openFile: FILE, extraFiles: { [FILE]: plainDashboard() } });

test('scan the dataset, pin findings and a jump watch, see them marked, listed and saved', async ({ dashboard, page, workspace }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1400, height: 1100 });
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const checks = new ChecksPage(page);
  // No checks yet: the chart marks nothing.
  expect(await checks.marks('daily_revenue')).toEqual([]);

  // Scan: the planted problems are proposed, worst first.
  const started = Date.now();
  await checks.scan('orders');
  await checks.waitForFindings();
  console.info(`scan of the demo dataset in the app: ${Date.now() - started} ms`);
  await expect(checks.finding('duplicate_key', 'order_id')).toHaveAttribute('data-severity', 'error');
  await expect(checks.finding('duplicate_key', 'order_id')).toContainText(`all on ${DOUBLED_DAY}`);
  await expect(checks.finding('near_duplicate_values', 'campaign')).toContainText('Black Friday');
  await expect(checks.finding('null_rate', 'amount')).toBeVisible();
  await expect(checks.finding('range', 'amount')).toContainText('7 rows');
  await expect(checks.scanDialog().getByRole('button', { name: 'Pin 0 checks' })).toBeDisabled();
  await checks.pick('duplicate_key', 'order_id');
  await checks.pick('near_duplicate_values', 'campaign');
  mkdirSync(ARTIFACTS, { recursive: true });
  await checks.scanDialog().screenshot({ path: path.join(ARTIFACTS, 'scan-dialog.png') });
  await checks.pinPicked(2);
  await checks.closeDatasets();

  // The dashboard had no anomaly panel: one was added, listing the pinned checks' results.
  const anomaly = new AnomalyPage(page, 'data_checks');
  await expect(anomaly.check('duplicate_key_order_id')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await expect(anomaly.check('duplicate_key_order_id')).toContainText(`owner ${OWNER}`);
  await expect(anomaly.check('near_duplicate_values_campaign')).toHaveAttribute('data-status', 'warn');

  // The doubled day is a point on the daily chart, naming the check.
  await expect.poll(() => checks.marks('daily_revenue')).toContainEqual(
    expect.objectContaining({ check: 'duplicate_key_order_id', kind: 'point', from: DOUBLED_DAY, to: DOUBLED_DAY, status: 'fail' }),
  );
  const dupMark = (await checks.marks('daily_revenue')).find((m) => m.check === 'duplicate_key_order_id');
  expect(dupMark?.text).toMatch(new RegExp(`^Each order_id once — [\\d,]+ repeated order_id values \\([\\d,]+ rows\\) on ${DOUBLED_DAY} \\(check duplicate_key_order_id, owner Ana \\(analytics\\)\\)$`));
  // Dimension charts carry no marks.
  expect(await checks.marks('revenue_by_region')).toEqual([]);

  // Watch the revenue chart's measure for jumps: defaults proposed, owner prefilled, editable.
  await checks.watchFromPanel('daily_revenue', /^Watch this measure for jumps$/);
  await expect(checks.field('Title')).toHaveValue('Daily Revenue within its usual range');
  await expect(checks.field('Id')).toHaveValue('jump_revenue');
  await expect(checks.field('Owner')).toHaveValue(OWNER);
  await expect(checks.pinDialog().getByTestId('pin-check-rule')).toContainText('total_jump: the daily sum of amount');
  // A taken id is refused with a reason.
  await checks.field('Id').fill('duplicate_key_order_id');
  await expect(checks.pinDialog().getByTestId('pin-check-problem')).toHaveText('A check "duplicate_key_order_id" already exists: choose another id.');
  await expect(checks.pinDialog().getByRole('button', { name: 'Add check' })).toBeDisabled();
  await checks.field('Id').fill('jump_revenue');
  await checks.choice('Severity').selectOption('error');
  await checks.pinDialog().screenshot({ path: path.join(ARTIFACTS, 'pin-check-dialog.png') });
  await checks.addPinnedCheck();
  await expect(anomaly.check('jump_revenue')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  await expect(anomaly.check('jump_revenue')).toContainText(DOUBLED_DAY);
  await expect.poll(async () => (await checks.marks('daily_revenue')).filter((m) => m.check === 'jump_revenue').map((m) => m.from)).toContain(DOUBLED_DAY);

  await dashboard.panel('daily_revenue').scrollIntoViewIfNeeded();
  // The pin over the doubled day (the 9th of the 30 days shown, near the top: the highest day)
  // shows both checks in its tooltip; a click opens the failing finding, and does not drill.
  await checks.clickMarkNear('daily_revenue', 0.32);
  const tooltip = dashboard.panel('daily_revenue').locator('.chart div').filter({ hasText: '(check ' }).last();
  await expect(tooltip).toContainText('(check duplicate_key_order_id, owner Ana (analytics))');
  await expect(tooltip).toContainText('(check jump_revenue, owner Ana (analytics))');
  await dashboard.panel('daily_revenue').screenshot({ path: path.join(ARTIFACTS, 'chart-anomaly-marks.png') });
  await expect(anomaly.check('duplicate_key_order_id')).toHaveAttribute('data-focused', 'true');
  await expect(anomaly.check('duplicate_key_order_id').locator('button.check-toggle')).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('menu')).toHaveCount(0);

  // Saved in the file: the three checks and the anomaly panel.
  await dashboard.save();
  const saved = JSON.parse(readFileSync(workspace.file(FILE), 'utf8')) as { checks: { id: string; rule: string; params: unknown; severity: string; owner?: string; guards: string[] }[]; panels: { id: string; kind: string }[] };
  expect(saved.checks.map((c) => [c.id, c.rule, c.severity])).toEqual([
    ['duplicate_key_order_id', 'duplicate_key', 'error'],
    ['near_duplicate_values_campaign', 'near_duplicate_values', 'warn'],
    ['jump_revenue', 'total_jump', 'error'],
  ]);
  expect(saved.checks.find((c) => c.id === 'jump_revenue')).toMatchObject({ params: { column: 'amount' }, owner: OWNER, guards: ['daily_revenue'] });
  expect(saved.checks.find((c) => c.id === 'duplicate_key_order_id')).toMatchObject({ params: { key: 'order_id' }, owner: OWNER });
  expect(saved.panels.filter((p) => p.kind === 'anomaly').map((p) => p.id)).toEqual(['data_checks']);
});

test('a KPI badge opens its finding; a measure that does not add up says why it cannot be watched', async ({ dashboard, page }) => {
  test.setTimeout(180_000);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const checks = new ChecksPage(page);

  // A scan shows its progress and stops on Cancel; it can run again; Escape closes it, not the drawer.
  await checks.scan('orders');
  await expect(checks.scanDialog().getByTestId('scan-progress')).toContainText(/Step \d+: /);
  await checks.scanDialog().getByRole('button', { name: 'Cancel' }).click();
  await expect(checks.scanDialog().getByTestId('scan-cancelled')).toHaveText(/Scan cancelled\./);
  await checks.scanDialog().getByRole('button', { name: 'Scan again' }).click();
  await expect(checks.scanDialog().getByTestId('scan-progress')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(checks.scanDialog()).toBeHidden();
  await expect(page.getByRole('dialog', { name: 'Datasets' })).toBeVisible();
  await checks.closeDatasets();

  await checks.watchFromPanel('kpi_aov', /^Watch this measure for jumps$/);
  await expect(checks.pinDialog().getByTestId('pin-check-error')).toHaveText(
    'No check can be proposed: jumps are watched on a daily sum or count; "Average order value" is a ratio, which does not add up over days.',
  );
  await page.keyboard.press('Escape');
  await expect(checks.pinDialog()).toBeHidden();

  // Misspellings: the column is chosen among the text dimensions.
  await checks.watchFromPanel('kpi_revenue', /^Watch a column for misspellings/);
  await checks.choice('Column').selectOption('campaign');
  await expect(checks.field('Title')).toHaveValue('Campaign values are spelt consistently');
  await checks.choice('Severity').selectOption('error');
  await checks.addPinnedCheck();

  const anomaly = new AnomalyPage(page, 'data_checks');
  await expect(anomaly.check('spelling_campaign')).toHaveAttribute('data-status', 'fail', { timeout: 60_000 });
  const badge = dashboard.panel('kpi_revenue').getByTestId('check-badge');
  await expect(badge).toHaveText(/Campaign values are spelt consistently/);
  await badge.click();
  await expect(anomaly.check('spelling_campaign')).toHaveAttribute('data-focused', 'true');
  await expect(anomaly.check('spelling_campaign').locator('button.check-toggle')).toHaveAttribute('aria-expanded', 'true');
  await expect(anomaly.examples('spelling_campaign')).toBeInViewport();

  // Undo takes the check (and the anomaly panel added with it) away again.
  await page.keyboard.press('Control+z');
  await expect(anomaly.panel).toHaveCount(0);
});
