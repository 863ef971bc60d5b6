// Empty states say what to do next: a dataset with no rows, filters that leave none, a dashboard
// without checks, a dashboard without panels. Each shows its reason and a button that helps.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { test, expect, EXAMPLES, DEMO_FILE } from './fixtures/app';
import { EmptyStatesPage } from './pages/empty-states-page';

const ARTIFACTS = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
type Doc = Record<string, unknown> & { sources: { path: string }[]; panels: { id: string; kind: string }[]; layout: { panel: string }[]; checks: unknown[]; filters: unknown[] };
const demo = (): Doc => JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Doc;
const text = (doc: Doc) => `${JSON.stringify(doc, null, 2)}\n`;
const DATA_PANELS = ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers', 'daily_revenue', 'revenue_by_region', 'revenue_by_campaign', 'recent_orders'];

const EMPTY_FILE = 'empty-data.dashboard.json';
const FILTERED_FILE = 'atlantis.dashboard.json';
const NO_CHECKS_FILE = 'no-checks.dashboard.json';
const NO_PANELS_FILE = 'no-panels.dashboard.json';

function emptyDataDashboard(): string {
  const doc = demo();
  doc.sources = [{ ...doc.sources[0]!, path: 'data/empty.parquet' }];
  return text(doc);
}
function filteredDashboard(): string {
  const doc = demo();
  doc.filters = [{ id: 'f_region', kind: 'dimension', dataset: 'orders', dimension: 'region', values: ['Atlantis'] }];
  return text(doc);
}
function noChecksDashboard(): string {
  const doc = demo();
  doc.checks = [];
  return text(doc);
}
function noPanelsDashboard(): string {
  const doc = demo();
  doc.panels = [];
  doc.layout = [];
  doc.checks = [];
  return text(doc);
}

test.describe('a dataset with no rows', () => {
  test.use({ openFile: EMPTY_FILE, extraFiles: { [EMPTY_FILE]: emptyDataDashboard() } });

  test('every panel of it names the dataset and offers Data sources', async ({ dashboard, page, workspace }) => {
    // The demo's columns, no rows: written by native DuckDB.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;
    await conn.run(`COPY (SELECT * FROM read_parquet(${quote(path.join(workspace.dir, 'data', 'orders.parquet'))}) LIMIT 0) TO ${quote(path.join(workspace.dir, 'data', 'empty.parquet'))} (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();

    const empty = new EmptyStatesPage(page);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    for (const id of DATA_PANELS) {
      await expect(empty.emptyPanel(id), id).toHaveAttribute('data-reason', 'emptyDataset');
      await expect(empty.emptyPanel(id), id).toContainText('No rows in dataset Orders — check the source or the filters.');
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'empty-dataset.png') });
    await empty.emptyPanel('daily_revenue').getByRole('button', { name: 'Open Data sources' }).click();
    await expect(page.locator('[data-source="orders"]')).toBeVisible();
  });
});

test.describe('filters that leave no rows', () => {
  test.use({ openFile: FILTERED_FILE, extraFiles: { [FILTERED_FILE]: filteredDashboard() } });

  test('charts and tables name the filters; Clear filters brings the rows back', async ({ dashboard, page }) => {
    const empty = new EmptyStatesPage(page);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    for (const id of ['daily_revenue', 'revenue_by_region', 'revenue_by_campaign', 'recent_orders']) {
      await expect(empty.emptyPanel(id), id).toHaveAttribute('data-reason', 'filtered');
      await expect(empty.emptyPanel(id), id).toContainText('No rows match the filters (Region: Atlantis).');
    }
    // KPIs keep their tile (a "—" with its comparison says enough).
    await expect(empty.emptyPanel('kpi_revenue')).toHaveCount(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'empty-filtered.png') });
    const before = await dashboard.runId();
    await empty.emptyPanel('revenue_by_region').getByRole('button', { name: 'Clear filters' }).click();
    await dashboard.waitUntilDrawn(before + 1);
    await expect(empty.allEmptyPanels).toHaveCount(0);
    await expect(dashboard.panel('revenue_by_region').locator('canvas')).toHaveCount(1);
    // Undoable like any filter edit.
    await expect(page.getByRole('button', { name: 'Undo' })).toBeEnabled();
  });
});

test.describe('a dashboard without checks', () => {
  test.use({ openFile: NO_CHECKS_FILE, extraFiles: { [NO_CHECKS_FILE]: noChecksDashboard() } });

  test('the anomaly panel says what checks are and offers Scan for problems and Add a check', async ({ dashboard, page }) => {
    const empty = new EmptyStatesPage(page);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await expect(empty.noChecks).toContainText('No data checks on this dashboard yet.');
    await expect(empty.noChecks).toContainText('Checks test the data itself');
    await empty.noChecks.scrollIntoViewIfNeeded();
    await dashboard.panel('data_quality').screenshot({ path: path.join(ARTIFACTS, 'empty-no-checks.png') });

    await empty.noChecks.getByRole('button', { name: 'Add a check' }).click();
    const pin = page.getByRole('dialog');
    await expect(pin).toContainText('Revenue');
    await pin.getByRole('button', { name: /Cancel|Close/ }).first().click();
    await expect(pin).toBeHidden();

    await empty.noChecks.getByRole('button', { name: 'Scan for problems' }).click();
    const scan = page.getByRole('dialog');
    await expect(scan).toBeVisible();
    // The scan runs on the demo data and finds its planted problems.
    await expect(scan).toContainText(/duplicate/i, { timeout: 60_000 });
  });
});

test.describe('a dashboard without panels', () => {
  test.use({ openFile: NO_PANELS_FILE, extraFiles: { [NO_PANELS_FILE]: noPanelsDashboard() } });

  test('says it has no panels and offers to add one', async ({ dashboard, page }) => {
    const empty = new EmptyStatesPage(page);
    await dashboard.open();
    await expect(empty.emptyDashboard).toContainText('This dashboard has no panels yet');
    await page.screenshot({ path: path.join(ARTIFACTS, 'empty-no-panels.png') });
    await empty.emptyDashboard.getByRole('button', { name: 'Add a chart' }).click();
    await expect(page.locator('[data-panel-id]')).toHaveCount(1);
  });
});
