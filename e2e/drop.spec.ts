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

test('a dropped file whose name would share an engine relation with a dataset gets a free name', async ({ page, dashboard }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const drop = new DropPage(page);
  // Dataset "raw_orders" would read through "ds_raw_orders", the table the demo's dataset "orders" is loaded into.
  await drop.drop([{ name: 'raw_orders.csv', text: CSV }]);
  await drop.addAsSource();
  await expect(drop.notice()).toHaveText(/Added the data source "raw_orders_2" reading data\/raw_orders\.csv\./);
  await page.getByRole('button', { name: /^Data sources/ }).click();
  await expect(page.locator('[data-dataset="raw_orders_2"]')).toContainText('3 rows', { timeout: 60_000 });
  await expect(page.locator('[data-dataset="orders"]')).toContainText('rows');
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

// Forty days of sales, one object per line: day 1 to 40 of 2025, amount = the day's number.
const NDJSON = Array.from({ length: 40 }, (_, i) => {
  const day = new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10);
  return JSON.stringify({ day, region: ['north', 'south', 'east'][i % 3], amount: i + 1 + 0.5 });
}).join('\n');

test('a dropped NDJSON file becomes a starter dashboard, as CSV and Parquet do', async ({ page, dashboard, workspace }) => {
  test.setTimeout(180_000);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const drop = new DropPage(page);
  await drop.drop([{ name: 'sales.ndjson', text: NDJSON }]);
  const copied = path.join(workspace.dir, 'data', 'sales.ndjson');
  await expect(drop.offer().getByTestId('drop-copied')).toContainText(copied);
  await drop.newDashboard();
  const instant = new InstantPage(page);
  expect(await instant.pathValue()).toBe(copied);
  await instant.read();
  await expect(instant.picks()).toBeVisible({ timeout: 90_000 });
  await expect(instant.picks()).toContainText('40 rows and 3 columns');
  expect(await instant.timeColumn()).toBe('day');
  expect(await instant.checked('measure')).toEqual(['amount']);
  expect(await instant.checked('dimension')).toEqual(['region']);
  await instant.create();
  await expect(page.locator('h1')).toHaveText(/^Sales overview/);
  await dashboard.waitUntilDrawn(2);
  // 39 days of history give a 7-day period (starter-dashboard.ts periodFor): days 34 to 40 against
  // days 27 to 33, summed by hand from the rows above.
  const sum = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i + 0.5).reduce((a, b) => a + b, 0);
  await expect(dashboard.panel('kpi_total_amount')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  expect(await dashboard.kpiValue('kpi_total_amount')).toBeCloseTo(sum(34, 40), 6);
  expect(await dashboard.kpiPrevious('kpi_total_amount')).toBeCloseTo(sum(27, 33), 6);
  expect(await dashboard.kpiValue('kpi_row_count')).toBe(7);
  const states = await page.locator('[data-panel-id]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-panel-id')}:${e.getAttribute('data-state')}`));
  for (const s of states) expect(s).not.toMatch(/:error$/);
  await page.screenshot({ path: 'e2e/artifacts/drop-ndjson-dashboard.png', fullPage: true });
});

test('a dropped JSON file with a syntax error says where, as the runner does, and builds nothing', async ({ page, dashboard, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const drop = new DropPage(page);
  await drop.drop([{ name: 'broken.json', text: '{"day": "2025-01-01", "amount": 1}\n{"day": "2025-01-02", "amount": }\n' }]);
  await drop.newDashboard();
  const instant = new InstantPage(page);
  await instant.read();
  const copied = path.join(workspace.dir, 'data', 'broken.json');
  await expect(instant.error()).toHaveText(new RegExp(`^${copied.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON at line 2, column 33: Unexpected token '}'\\.$`), { timeout: 60_000 });
  await expect(instant.picks()).toHaveCount(0);
  await page.screenshot({ path: 'e2e/artifacts/drop-json-syntax-error.png' });
  await expect(page.locator('h1')).toHaveText(/^Customer KPIs/);
});
