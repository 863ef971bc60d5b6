// Datasets with clicks and with SQL: a measure added in the Datasets drawer feeds a new KPI whose
// value matches native DuckDB; a SQL dataset is written with completion, previewed with Ctrl+Enter,
// shows a syntax error where it is, and is applied. SQL runs only once the dashboard is trusted.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { queryNative } from './oracle';
import { DatasetsPage } from './pages/datasets-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');

// The last 30 whole days up to the newest day in the data, as the demo's period.
const UNITS_LAST_30_DAYS = `
  WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS end_ts FROM orders)
  SELECT coalesce(sum(o.quantity), 0)::DOUBLE AS units
  FROM orders o, b
  WHERE o.order_ts >= b.end_ts - INTERVAL 30 DAY AND o.order_ts < b.end_ts`;

const UNITS_BY_REGION = 'SELECT region, sum(quantity) AS units FROM orders GROUP BY 1 ORDER BY 1';

test('a measure with clicks feeds a KPI; a SQL dataset with completion, preview and error position', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const datasets = new DatasetsPage(page);

  // The measure "Units" = sum(quantity), with clicks.
  await datasets.open();
  await expect(datasets.listItem('orders')).toContainText(/rows/);
  await datasets.removeMeasure('revenue');
  await expect(datasets.alerts()).toContainText('Measure "revenue" is used by panels "Revenue", "Daily revenue"');
  await expect(datasets.measure(1).getByLabel('Name', { exact: true })).toHaveValue('revenue');
  await datasets.addMeasure({ name: 'units', label: 'Units', aggregation: 'Sum', column: 'quantity', format: 'Whole number' });
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'datasets-measures.png') });
  const runBefore = await dashboard.runId();
  await datasets.apply();
  await dashboard.waitUntilDrawn(runBefore + 1);
  await datasets.close();

  // A KPI on it through the panel editor; its value is native DuckDB's.
  await page.getByRole('button', { name: 'Edit layout' }).click();
  await page.getByRole('button', { name: '+ Add panel' }).click();
  await page.getByRole('menuitem', { name: 'KPI tile' }).click();
  const editor = page.getByRole('dialog', { name: /^Edit panel/ });
  await editor.getByLabel('Title').fill('Units sold');
  await editor.getByLabel('Value').selectOption({ label: 'Units' });
  await editor.getByRole('button', { name: 'Apply' }).click();
  await expect(editor).toBeHidden();
  const [native] = await queryNative(PARQUET, UNITS_LAST_30_DAYS);
  const units = Number(native?.units);
  expect(units).toBeGreaterThan(0);
  await expect(page.locator('section.panel', { hasText: 'Units sold' }).locator('.kpi-value')).toHaveAttribute('data-value', String(units));
  await page.getByRole('button', { name: 'Done editing' }).click();

  // A new SQL dataset. This copy of the demo was never saved on this machine: no SQL runs yet.
  await datasets.open();
  await datasets.newSqlDataset();
  await expect(datasets.sqlEditor()).toBeVisible();
  await expect(datasets.trustNotice()).toBeVisible();
  await datasets.runSql();
  await expect(datasets.preview()).toHaveCount(0);
  // Saving it here (it has no SQL yet) makes it this machine's own: its author's SQL may run.
  await dashboard.save();
  await expect(datasets.trustNotice()).toBeHidden();

  // Completion lists the columns of the "orders" source view.
  await datasets.typeSql('SELECT orders.');
  await expect(datasets.completions()).toBeVisible();
  await expect(datasets.completions()).toContainText('quantity');
  await expect(datasets.completions()).toContainText('order_id');
  await expect(datasets.completions()).toContainText('region');
  await page.keyboard.press('Escape');
  await expect(datasets.completions()).toBeHidden();
  await expect(datasets.drawer()).toBeVisible(); // Escape in the editor is the editor's

  // Ctrl+Enter previews the rows.
  await datasets.typeSql(UNITS_BY_REGION);
  await datasets.runSql();
  const expected = await queryNative(PARQUET, UNITS_BY_REGION);
  await expect(datasets.preview().locator('thead th')).toHaveText(['region', 'units']);
  await expect(datasets.preview().locator('tbody tr')).toHaveCount(expected.length);
  await expect(datasets.preview().locator('tbody tr').first().locator('td')).toHaveText([String(expected[0]?.region), String(expected[0]?.units)]);

  // A syntax error: DuckDB's message, the author's line and column, and the place marked in the text.
  await datasets.typeSql('SELECT region, sum(quantity) AS units\nFORM orders GROUP BY 1');
  await datasets.runSql();
  await expect(datasets.sqlError()).toContainText('syntax error at or near "FORM"');
  await expect(datasets.sqlError()).not.toContainText('LINE'); // DuckDB's line numbers are of the wrapped query
  await expect(datasets.sqlErrorPosition()).toHaveText('Line 2, column 1');
  await expect(datasets.errorMark()).toHaveText('FORM');
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'datasets-sql-error.png') });

  // Fixed, previewed (which gives the column pickers their columns), named, applied.
  await datasets.typeSql(UNITS_BY_REGION);
  await datasets.runSql();
  await expect(datasets.preview().locator('tbody tr')).toHaveCount(expected.length);
  await expect(datasets.errorMark()).toHaveCount(0);
  await datasets.setName('units_by_region', 'Units by region');
  await datasets.addDimension('region');
  const runBeforeSql = await dashboard.runId();
  await datasets.apply();
  await expect(datasets.alerts()).toHaveCount(0);
  await dashboard.waitUntilDrawn(runBeforeSql + 1);
  await expect(datasets.listItem('units_by_region')).toContainText('Units by region');
  await expect(datasets.listItem('units_by_region')).toContainText(`SQL · ${expected.length} rows`);
  await expect(page.getByTestId('review-banner')).toHaveCount(0);
});
