// Dropping a data file on the window (browser host): the bytes are copied into the dashboard
// folder's data/ (never over an existing file), then added as a source or made into a new
// dashboard; bad drops (wrong type, several files, too large) say what is wrong.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures/app';
import { DropPage } from './pages/drop-page';
import { InstantPage } from './pages/instant-page';

const CSV = 'day,region,amount\n2025-01-01,north,10\n2025-01-02,south,12.5\n2025-01-03,north,7\n';

test('a dropped CSV is copied next to the dashboard and added as a source', async ({ page, dashboard, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const drop = new DropPage(page);
  await drop.drop([{ name: 'sales.csv', text: CSV }]);
  const copied = path.join(workspace.dir, 'data', 'sales.csv');
  await expect(drop.offer().getByTestId('drop-copied')).toContainText(copied);
  await page.screenshot({ path: 'e2e/artifacts/drop-offer.png' });
  await drop.addAsSource();
  await expect(drop.notice()).toHaveText(/Added the data source "sales" reading data\/sales\.csv\./);
  expect(readFileSync(copied, 'utf8')).toBe(CSV);
  await page.getByRole('button', { name: /^Data sources/ }).click();
  await expect(page.locator('[data-dataset="sales"]')).toContainText('3 rows', { timeout: 60_000 });
  await expect(dashboard.sourceErrors()).toHaveCount(0);
});

test('the same name dropped again gets a new name, and can start a new dashboard', async ({ page, dashboard, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const drop = new DropPage(page);
  await drop.drop([{ name: 'sales.csv', text: CSV }]);
  await drop.offer().getByRole('button', { name: 'Cancel' }).click();
  await drop.drop([{ name: 'sales.csv', text: 'day,amount\n2025-01-01,1\n' }]);
  const second = path.join(workspace.dir, 'data', 'sales (2).csv');
  await expect(drop.offer().getByTestId('drop-copied')).toContainText(second);
  // The first copy is untouched.
  expect(readFileSync(path.join(workspace.dir, 'data', 'sales.csv'), 'utf8')).toBe(CSV);
  await drop.newDashboard();
  const instant = new InstantPage(page);
  await expect(instant.dialog()).toBeVisible();
  expect(await instant.pathValue()).toBe(second);
});

test('bad drops get a clear message and copy nothing', async ({ page, dashboard, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const drop = new DropPage(page);
  await drop.drop([{ name: 'notes.txt', text: 'hello' }]);
  await expect(drop.notice()).toHaveText(/"notes\.txt" is not a data file Northstar reads: drop a \.parquet, \.csv, \.tsv or \.json file\./);
  await drop.drop([
    { name: 'a.csv', text: CSV },
    { name: 'b.csv', text: CSV },
  ]);
  await expect(drop.notice()).toHaveText(/2 files were dropped: drop one data file at a time\./);
  await drop.drop([{ name: 'huge.parquet', size: 13 * 1024 * 1024 }]);
  await expect(drop.notice()).toHaveText(/"huge\.parquet" is 13\.0 MB; dropped files may be at most 12\.0 MB here\./);
  await drop.drop([{ name: 'empty.csv', text: '' }]);
  await expect(drop.notice()).toHaveText(/"empty\.csv" is empty\./);
  await expect(drop.offer()).toHaveCount(0);
  expect(readFileSync(path.join(workspace.dir, 'data', 'orders.parquet')).length).toBeGreaterThan(0);
  const { readdirSync } = await import('node:fs');
  expect(readdirSync(path.join(workspace.dir, 'data'))).toEqual(['orders.parquet']);
});
