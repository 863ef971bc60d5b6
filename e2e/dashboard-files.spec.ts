// Dashboard files people can trust, end to end: edit and save, undo/redo, history and restore,
// conflicts with the file on disk, and a shared file with SQL that waits for review.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { test, expect, DEMO_FILE, EXAMPLES } from './fixtures/app';

function readJson(file: string): Record<string, unknown> & { title: string; panels: { id: string; title: string }[]; revision?: { number: number } } {
  return JSON.parse(readFileSync(file, 'utf8')) as never;
}

test('edit a panel title, undo and redo it, save, reopen and see the new title', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect(dashboard.panelTitle('kpi_revenue')).toHaveText('Revenue');

  await dashboard.renamePanel('kpi_revenue', 'Net revenue');
  await expect(dashboard.panelTitle('kpi_revenue')).toHaveText('Net revenue');
  await page.keyboard.press('Control+z');
  await expect(dashboard.panelTitle('kpi_revenue')).toHaveText('Revenue');
  await page.keyboard.press('Control+Shift+z');
  await expect(dashboard.panelTitle('kpi_revenue')).toHaveText('Net revenue');

  await dashboard.save();
  const onDisk = readJson(workspace.file());
  expect(onDisk.panels.find((p) => p.id === 'kpi_revenue')?.title).toBe('Net revenue');
  expect(onDisk.revision?.number).toBe(1);

  await page.reload();
  await dashboard.waitUntilDrawn();
  await expect(dashboard.panelTitle('kpi_revenue')).toHaveText('Net revenue');
  await expect(page.getByTestId('revision')).toContainText('revision 1');
});

test('history lists every save and restores an old title as a new revision', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await dashboard.saveWithMessage('Baseline');
  await dashboard.renamePanel('kpi_orders', 'Order count');
  await dashboard.saveWithMessage('Clearer KPI name');

  const drawer = await dashboard.openHistory();
  await expect(dashboard.revisionRow(2)).toContainText('Clearer KPI name');
  await expect(dashboard.revisionRow(2)).toContainText('changed');
  await expect(dashboard.revisionRow(1)).toContainText('Baseline');

  await dashboard.revisionRow(1).getByRole('button', { name: 'Compare with current' }).click();
  await expect(dashboard.revisionRow(1).locator('pre.diff')).toContainText('Order count');

  await dashboard.revisionRow(1).getByRole('button', { name: 'Restore' }).click();
  await expect(drawer).toBeHidden();
  await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders');
  await expect(page.getByTestId('notice')).toContainText('Saved revision 3');
  expect(readJson(workspace.file()).panels.find((p) => p.id === 'kpi_orders')?.title).toBe('Orders');

  await dashboard.openHistory();
  await expect(dashboard.revisionRow(3)).toContainText('Restored revision 1');
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'history.png') });
});

test('a file changed on disk is never overwritten silently: save as a copy keeps both', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await dashboard.renamePanel('kpi_aov', 'AOV (mine)');

  // Meanwhile, someone else changes the file (a colleague, a git pull).
  const theirs = readJson(workspace.file());
  theirs.title = 'Changed elsewhere';
  writeFileSync(workspace.file(), `${JSON.stringify(theirs, null, 2)}\n`);

  await page.keyboard.press('Control+s');
  const dialog = dashboard.conflictDialog();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('changed on disk');
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'conflict.png') });
  await dialog.getByRole('button', { name: 'Save as a copy' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('notice')).toContainText('(copy)');

  const copy = path.join(workspace.dir, DEMO_FILE.replace('.dashboard.json', ' (copy).dashboard.json'));
  expect(existsSync(copy)).toBe(true);
  expect(readJson(copy).panels.find((p) => p.id === 'kpi_aov')?.title).toBe('AOV (mine)');
  expect(readJson(workspace.file()).title).toBe('Changed elsewhere');
});

test('two copies that diverged from the same revision are called out, and overwrite works', async ({ dashboard, page, workspace, host }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await dashboard.saveWithMessage('Shared starting point');

  // A colleague saves their own change made from the same revision 1.
  const base = readFileSync(workspace.file());
  const theirs = readJson(workspace.file());
  theirs.title = 'Colleague title';
  await host.services.saveDashboard({
    path: workspace.file(),
    text: `${JSON.stringify(theirs, null, 2)}\n`,
    baseDiskHash: createHash('sha256').update(base).digest('hex'),
    savedBy: 'colleague',
  });

  await dashboard.renamePanel('kpi_active_customers', 'Customers (mine)');
  await page.keyboard.press('Control+s');
  const dialog = dashboard.conflictDialog();
  await expect(dialog).toContainText('colleague');
  await expect(dialog.getByTestId('diverged')).toBeVisible();
  await dialog.getByRole('button', { name: 'Overwrite' }).click();
  await expect(dialog).toBeHidden();
  const saved = readJson(workspace.file());
  expect(saved.panels.find((p) => p.id === 'kpi_active_customers')?.title).toBe('Customers (mine)');
  expect(saved.revision?.number).toBe(3);
});

const SQL_FILE = 'shared-sql.dashboard.json';

/** The demo dashboard plus a dataset written in SQL, as if a colleague had sent it. */
function sharedSqlDashboard(): string {
  const doc = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown> & { datasets: unknown[]; panels: unknown[]; layout: unknown[] };
  doc.title = 'Shared with SQL';
  doc.datasets.push({
    kind: 'sql',
    name: 'by_country',
    sql: 'SELECT country, sum(amount) AS revenue FROM orders WHERE amount > 0 GROUP BY country -- revenue; by country',
    measures: [{ name: 'revenue', agg: 'sum', column: 'revenue', format: 'currency', label: 'Revenue' }],
    dimensions: [{ name: 'country', column: 'country', label: 'Country' }],
    hierarchies: [],
  });
  doc.panels.push({ id: 'revenue_by_country', kind: 'chart', chart: 'horizontal_bar', title: 'Revenue by country (SQL)', dataset: 'by_country', x: { type: 'dimension', dimension: 'country' }, measures: ['revenue'], sort: 'value_desc', limit: 12, followFilters: true });
  doc.layout.push({ panel: 'revenue_by_country', x: 0, y: 15, w: 12, h: 6 });
  return `${JSON.stringify(doc, null, 2)}\n`;
}

test.describe('a shared dashboard with SQL', () => {
  test.use({ openFile: SQL_FILE, extraFiles: { [SQL_FILE]: sharedSqlDashboard() } });

  test('opens in review state: clicks-built panels run, SQL waits until trusted', async ({ dashboard, page }) => {
    await dashboard.open();
    const review = dashboard.reviewDialog();
    await expect(review).toBeVisible();
    await expect(review.locator('pre.sql')).toContainText('SELECT country, sum(amount) AS revenue FROM orders');
    await dashboard.waitUntilDrawn();
    await expect(dashboard.panel('kpi_revenue')).toHaveAttribute('data-state', 'ready');
    await expect(dashboard.panel('revenue_by_country')).toHaveAttribute('data-state', 'waiting');
    await page.screenshot({ path: path.join('e2e', 'artifacts', 'review-sql.png') });

    const before = await dashboard.runId();
    await review.getByRole('button', { name: 'Trust this dashboard and run its SQL' }).click();
    await dashboard.waitUntilDrawn(before + 1);
    await expect(dashboard.panel('revenue_by_country')).toHaveAttribute('data-state', 'ready');
    await expect(dashboard.panel('revenue_by_country').locator('canvas')).toHaveCount(1);

    // Trust is remembered on this machine, by content.
    await page.reload();
    await dashboard.waitUntilDrawn();
    await expect(page.getByTestId('review-banner')).toHaveCount(0);
    await expect(dashboard.panel('revenue_by_country')).toHaveAttribute('data-state', 'ready');
  });

  test('a history file edited behind the app never runs its SQL under the current trust: viewing waits, restoring asks first', async ({ dashboard, page, workspace }) => {
    await dashboard.open();
    const review = dashboard.reviewDialog();
    await review.getByRole('button', { name: 'Trust this dashboard and run its SQL' }).click();
    await dashboard.waitUntilDrawn();
    await dashboard.saveWithMessage('Reviewed');
    await dashboard.renamePanel('kpi_orders', 'Order count');
    await dashboard.saveWithMessage('Renamed');

    // Someone with access to the shared folder rewrites revision 1's stored text (its file name,
    // and so the hash the app asks it by, unchanged) with SQL that reads something else.
    const id = (readJson(workspace.file(SQL_FILE)) as unknown as { id: string }).id;
    const folder = path.join(workspace.dir, '.northstar', 'history', id);
    const first = readdirSync(folder).find((f) => f.startsWith('000001-'));
    if (!first) throw new Error(`no revision 1 in ${folder}`);
    const crafted = JSON.parse(readFileSync(path.join(folder, first), 'utf8')) as { datasets: { kind: string; sql?: string }[] };
    const sqlDataset = crafted.datasets.find((d) => d.kind === 'sql');
    if (!sqlDataset) throw new Error('revision 1 has no SQL dataset');
    sqlDataset.sql = "SELECT 'exfiltrated' AS country, 1 AS revenue";
    writeFileSync(path.join(folder, first), `${JSON.stringify(crafted, null, 2)}\n`);

    await dashboard.openHistory();
    const before = await dashboard.runId();
    await dashboard.revisionRow(1).getByRole('button', { name: 'Open read-only' }).click();
    await dashboard.waitUntilDrawn(before + 1);
    await expect(page.getByTestId('notice')).toContainText('has SQL that differs from the current version');
    await expect(dashboard.panel('revenue_by_country')).toHaveAttribute('data-state', 'waiting');
    await expect(dashboard.panel('kpi_revenue')).toHaveAttribute('data-state', 'ready');

    // Restoring would save it as a trusted revision: the app shows the SQL and asks; declining keeps the file.
    const onDisk = readFileSync(workspace.file(SQL_FILE), 'utf8');
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await dashboard.openHistory();
    await dashboard.revisionRow(1).getByRole('button', { name: 'Restore' }).click();
    await expect(page.getByTestId('notice')).toContainText('Revision 1 was not restored');
    expect(asked).toContain("SELECT 'exfiltrated' AS country");
    expect(readFileSync(workspace.file(SQL_FILE), 'utf8')).toBe(onDisk);
  });
});
