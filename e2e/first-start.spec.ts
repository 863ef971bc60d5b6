// The first five minutes: the first-start tour (three tips on the real elements, never in the
// way, gone for good once skipped) and what an empty dashboard says instead of a blank page.
import { test, expect } from './fixtures/app';
import { InstantPage } from './pages/instant-page';

const EMPTY = JSON.stringify({
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '9b1f3c2e-5a4d-4e6f-8a7b-1c2d3e4f5a6b',
  title: 'Nothing yet',
  timeRange: { lastDays: 30, anchor: 'data' },
  sources: [],
  datasets: [],
  panels: [],
  layout: [],
});

test('the tour shows once, points at the real elements, never blocks, and Esc ends it for good', async ({ page, dashboard }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const tour = page.getByTestId('tour');
  await expect(tour).toContainText('Tip 1 of 3');
  await expect(tour).toContainText('Drill into a chart');
  // The ring surrounds the first chart.
  const ring = await page.locator('.tour-ring').boundingBox();
  const chart = await page.locator('.panel-chart').first().boundingBox();
  if (!ring || !chart) throw new Error('no ring or chart');
  expect(ring.x).toBeLessThanOrEqual(chart.x);
  expect(ring.y).toBeLessThanOrEqual(chart.y);
  expect(ring.x + ring.width).toBeGreaterThanOrEqual(chart.x + chart.width);
  await page.screenshot({ path: 'e2e/artifacts/tour-step1.png' });
  await tour.getByRole('button', { name: 'Next tip' }).click();
  await expect(tour).toContainText('Tip 2 of 3');
  await expect(tour).toContainText('anomaly panel');
  await tour.getByRole('button', { name: 'Next tip' }).click();
  await expect(tour).toContainText('Tip 3 of 3');
  // Not in the way: the element it points at works while it is shown.
  await page.getByRole('button', { name: /^Data sources/ }).click();
  await expect(page.getByRole('dialog', { name: 'Data sources' })).toBeVisible();
  await page.getByRole('dialog', { name: 'Data sources' }).getByRole('button', { name: 'Close', exact: true }).click();
  await page.keyboard.press('Escape');
  await expect(tour).toHaveCount(0);
  await page.reload();
  await dashboard.waitUntilDrawn();
  await expect(page.getByTestId('tour')).toHaveCount(0);
});

test.describe('an empty dashboard', () => {
  test.use({ extraFiles: { 'empty.dashboard.json': EMPTY }, openFile: 'empty.dashboard.json' });

  test('says what to do next, and its buttons do it', async ({ page, dashboard }) => {
    await dashboard.open();
    const empty = page.getByTestId('empty-dashboard');
    await expect(empty).toContainText('This dashboard has no panels yet');
    await expect(empty).toContainText('It reads no data yet');
    await page.getByTestId('tour').getByRole('button', { name: 'Skip tour' }).click();
    await page.screenshot({ path: 'e2e/artifacts/empty-dashboard.png' });
    await empty.getByRole('button', { name: 'Add a data source' }).click();
    const sources = page.getByRole('dialog', { name: 'Data sources' });
    await expect(sources.getByTestId('no-sources')).toContainText('This dashboard reads no data yet.');
    await sources.getByTestId('no-sources').getByRole('button', { name: 'Add a data source' }).click();
    await expect(sources.getByTestId('add-source')).toBeVisible();
    await sources.getByRole('button', { name: 'Close', exact: true }).click();
    await empty.getByRole('button', { name: 'New dashboard from data…' }).click();
    await expect(new InstantPage(page).dialog()).toBeVisible();
  });
});

test('Data sources › Browse… picks a local file through the in-app browser (no hidden files listed)', async ({ page, dashboard, workspace }) => {
  const { writeFileSync } = await import('node:fs');
  const path = await import('node:path');
  writeFileSync(path.join(workspace.dir, 'data', '.secret.csv'), 'a\n1\n');
  writeFileSync(path.join(workspace.dir, 'data', 'notes.txt'), 'x');
  writeFileSync(path.join(workspace.dir, 'data', 'targets.csv'), 'region,target\nEMEA,1\n');
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await page.getByRole('button', { name: /^Data sources/ }).click();
  const sources = page.getByRole('dialog', { name: 'Data sources' });
  await sources.getByRole('button', { name: 'Add source…' }).click();
  const form = sources.getByTestId('add-source');
  await form.getByTestId('browse').click();
  const browser = page.getByRole('dialog', { name: 'Choose a data file' });
  await expect(browser.getByTestId('browser-path')).toHaveText(workspace.dir);
  await browser.locator('[data-entry="data"]').click();
  await expect(browser.getByTestId('browser-path')).toHaveText(path.join(workspace.dir, 'data'));
  const names = await browser.locator('[data-entry]').evaluateAll((els) => els.map((e) => e.getAttribute('data-entry')));
  expect(names).toEqual(['orders.parquet', 'targets.csv']);
  await page.screenshot({ path: 'e2e/artifacts/file-browser.png' });
  await browser.locator('[data-entry="targets.csv"]').click();
  await expect(browser).toBeHidden();
  await expect(form.getByLabel('Path (relative to the dashboard file)')).toHaveValue('data/targets.csv');
  await expect(form.getByLabel('Format')).toHaveValue('csv');
});
