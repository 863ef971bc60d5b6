// A dashboard built from an empty file with mouse and keyboard only: a dataset on the declared
// source, a measure and a dimension, a KPI and a bar chart, a filter; saved with Ctrl+S and
// reopened, its KPI equal to native DuckDB.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { queryNative } from './oracle';
import { SourcesPage } from './pages/sources-page';
import { ScratchPage } from './pages/scratch-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const FILE = 'scratch.dashboard.json';
const EMPTY = {
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '0b6c1f0e-3a1d-4c55-9d0e-7f2a5b8c9d10',
  title: 'From scratch',
  timeRange: { lastDays: 30, anchor: 'data' },
  sources: [{ name: 'orders', kind: 'file', path: 'data/orders.parquet', format: 'parquet' }],
  datasets: [],
  filters: [],
  panels: [],
  layout: [],
};
const CAMPAIGN = 'Newsletter';
// The last 30 whole days ending on the newest day in the data, for one campaign.
const REVENUE = `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
  SELECT sum(amount) AS revenue FROM orders, b WHERE campaign = '${CAMPAIGN}' AND order_ts >= e - INTERVAL 30 DAY AND order_ts < e`;

test.use({ openFile: FILE, extraFiles: { [FILE]: `${JSON.stringify(EMPTY, null, 2)}\n` } });

test('build a dashboard from an empty file, save with Ctrl+S, reopen: the KPI equals native DuckDB', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await expect(page.getByRole('heading', { name: 'From scratch' })).toBeVisible();
  const sources = new SourcesPage(page);
  const scratch = new ScratchPage(page);
  const { datasets } = scratch;

  // The declared source is there; nothing reads it yet.
  await sources.open();
  await expect(sources.row('orders')).toBeVisible();
  await sources.close();

  // A table dataset on it: time column, Revenue = sum(amount), a Campaign dimension.
  await datasets.open();
  await scratch.newTableDataset('orders');
  // A source nobody reads has no view in the engine yet: its columns are known once a dataset
  // on it has loaded, so apply the new dataset first, then pick its columns.
  await datasets.apply();
  await expect(datasets.listItem('orders')).toContainText(/rows/);
  await scratch.setTimeColumn('order_ts');
  await datasets.addMeasure({ name: 'revenue', label: 'Revenue', aggregation: 'Sum', column: 'amount', format: 'Currency' });
  await datasets.addDimension('campaign');
  await datasets.apply();
  await expect(datasets.listItem('orders')).toContainText(/rows/);
  await datasets.close();

  // Now the dataset reads the source: the dialog lists its file and columns.
  await sources.open();
  expect(await sources.fileCount('orders')).toBe(1);
  const columns = await sources.columns('orders');
  expect(columns).toContainEqual(['order_ts', 'TIMESTAMP']);
  expect(columns).toContainEqual(['amount', 'DOUBLE']);
  expect(columns).toContainEqual(['campaign', 'VARCHAR']);
  await sources.close();

  // Panels.
  await page.getByRole('button', { name: 'Edit layout' }).click();
  await scratch.addKpi('Revenue', 'Revenue');
  await scratch.addBarChart('Revenue by campaign', 'Campaign', { show: ['Revenue'], hide: ['Rows'] });
  await page.getByRole('button', { name: 'Done editing' }).click();
  const kpi = page.locator('section.panel', { hasText: 'Revenue' }).filter({ has: page.locator('.kpi-value') });
  const chart = page.locator('section.panel', { hasText: 'Revenue by campaign' });
  await expect(chart.locator('canvas')).toHaveCount(1);

  // A filter on one campaign.
  await scratch.addFilter('Campaign', CAMPAIGN);
  await expect(page.getByTestId('filter-chip')).toHaveText(new RegExp(`Campaign: ${CAMPAIGN}`));

  await scratch.saveWithKeyboard();
  const saved = JSON.parse(readFileSync(workspace.file(FILE), 'utf8')) as { datasets: unknown[]; panels: { kind: string }[]; filters: unknown[] };
  expect(saved.datasets).toHaveLength(1);
  expect(saved.panels.map((p) => p.kind).sort()).toEqual(['chart', 'kpi']);
  expect(saved.filters).toHaveLength(1);

  // Reopen: everything comes back from the file.
  await page.reload();
  await dashboard.waitUntilDrawn();
  await expect(page.getByTestId('filter-chip')).toHaveText(new RegExp(`Campaign: ${CAMPAIGN}`));
  await expect(chart.locator('canvas')).toHaveCount(1);
  const [native] = await queryNative(PARQUET, REVENUE);
  const revenue = Number(native?.revenue);
  expect(revenue).toBeGreaterThan(0);
  const shown = Number(await kpi.locator('.kpi-value').getAttribute('data-value'));
  expect(shown).toBeCloseTo(revenue, 6);
});
