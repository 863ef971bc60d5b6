// Panel exports, end to end: each panel's "⋯" menu downloads PNG, SVG and CSV files, checked
// byte by byte and against native DuckDB.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { queryNative } from './oracle';
import { ExportPage, parseCsv, pngSize } from './pages/export-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const BOM = [0xef, 0xbb, 0xbf];
const TABLE_COLUMNS = ['order_ts', 'order_id', 'customer_id', 'country', 'city', 'channel', 'campaign', 'category', 'amount', 'quantity'];

/** The demo's last 30 whole days, as the dashboard defines them, on native DuckDB. */
const LAST_30_DAYS = `
  WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS end_ts FROM orders)
  SELECT * FROM orders, b WHERE order_ts >= end_ts - INTERVAL 30 DAY AND order_ts < end_ts`;

const text = (bytes: Buffer) => bytes.subarray(BOM.length).toString('utf8');

test('"Download CSV (all rows)" of a table has every row of the period, not the 100 shown', async ({ dashboard, page }) => {
  const exports = new ExportPage(page, dashboard);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  // The table's page holds 100 rows (it draws those in view).
  await expect(dashboard.panel('recent_orders').locator('table')).toHaveAttribute('aria-rowcount', '101');

  const file = await exports.download('recent_orders', 'Download CSV (all rows)');
  expect(file.fileName).toBe('recent-orders.csv');
  expect(Array.from(file.bytes.subarray(0, 3))).toEqual(BOM);

  const [native] = await queryNative(
    DEMO_PARQUET,
    `SELECT count(*) AS n, count(*) FILTER (WHERE amount IS NULL) AS null_amounts, sum(amount)::DOUBLE AS revenue,
            strftime(max(order_ts), '%Y-%m-%d %H:%M:%S') AS newest FROM (${LAST_30_DAYS})`,
  );
  const [header, ...rows] = parseCsv(text(file.bytes));
  expect(header).toEqual(TABLE_COLUMNS);
  expect(rows.length).toBe(Number(native?.n));
  expect(rows.length).toBeGreaterThan(100);
  expect(rows.every((r) => r.length === TABLE_COLUMNS.length)).toBe(true);

  // Newest first, as the panel orders it; ISO timestamps; NULL amounts empty; plain numbers.
  expect(rows[0]?.[0]).toBe(native?.newest);
  expect(rows.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{3})?$/.test(r[0] ?? ''))).toBe(true);
  const amounts = rows.map((r) => r[8] ?? '');
  expect(amounts.filter((a) => a === '').length).toBe(Number(native?.null_amounts));
  expect(amounts.every((a) => a === '' || /^-?\d+(\.\d+)?(e[+-]\d+)?$/.test(a))).toBe(true);
  const revenue = amounts.reduce((sum, a) => sum + (a === '' ? 0 : Number(a)), 0);
  expect(revenue).toBeCloseTo(Number(native?.revenue), 4);

  // A KPI's CSV carries its exact value.
  const kpi = await exports.download('kpi_revenue', 'Download CSV');
  expect(kpi.fileName).toBe('revenue.csv');
  const kpiRows = parseCsv(text(kpi.bytes));
  expect(kpiRows[0]).toEqual(['period', 'revenue']);
  expect(Number(kpiRows.find((r) => r[0] === 'current')?.[1])).toBeCloseTo(Number(native?.revenue), 4);
});

test('an export follows the filters the panel shows: a click filter narrows "all rows"', async ({ dashboard, page }) => {
  const exports = new ExportPage(page, dashboard);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const members = await queryNative(DEMO_PARQUET, `SELECT campaign AS m, sum(amount) AS r FROM (${LAST_30_DAYS}) GROUP BY 1 ORDER BY r DESC NULLS LAST, 1`);
  const campaigns = members.map((r) => String(r.m));
  const index = campaigns.indexOf('Paid Search');
  expect(index).toBeGreaterThanOrEqual(0);
  // The table scrolled to its end first: its filtered result is shown from its top.
  const table = dashboard.panel('recent_orders');
  await table.scrollIntoViewIfNeeded();
  await table.locator('.table-scroll').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(table.locator('tbody tr[aria-rowindex="101"]')).toBeInViewport();
  await expect(table.locator('tbody tr[aria-rowindex="2"]')).not.toBeInViewport();
  await dashboard.panel('revenue_by_campaign').scrollIntoViewIfNeeded();
  const menu = await dashboard.clickBar('revenue_by_campaign', index, campaigns.length);
  await dashboard.chooseMenuAction(menu, /^Filter other panels to /);
  await expect(page.getByTestId('context-chip')).toContainText('Campaign = Paid Search');
  await table.scrollIntoViewIfNeeded();
  await expect(table.locator('tbody tr[aria-rowindex="2"]')).toBeInViewport();
  const shownCampaigns = await table.locator(`tbody tr td:nth-child(${(await table.locator('thead th').allTextContents()).indexOf('campaign') + 1})`).allTextContents();
  expect(shownCampaigns.length).toBeGreaterThan(0);
  expect(new Set(shownCampaigns)).toEqual(new Set(['Paid Search']));

  const file = await exports.download('recent_orders', 'Download CSV (all rows)');
  const [header, ...rows] = parseCsv(text(file.bytes));
  const [native] = await queryNative(DEMO_PARQUET, `SELECT count(*) AS n FROM (${LAST_30_DAYS}) WHERE campaign = 'Paid Search'`);
  expect(rows.length).toBe(Number(native?.n));
  const campaign = (header ?? []).indexOf('campaign');
  expect(rows.every((r) => r[campaign] === 'Paid Search')).toBe(true);
});

test('a chart downloads as PNG at twice its size and as SVG with its axis labels, by mouse and keyboard', async ({ dashboard, page }) => {
  const exports = new ExportPage(page, dashboard);
  await dashboard.open();
  await dashboard.waitUntilDrawn();

  const png = await exports.download('daily_revenue', 'Download PNG');
  expect(png.fileName).toBe('daily-revenue.png');
  const size = pngSize(png.bytes);
  const onScreen = await dashboard.panel('daily_revenue').locator('.chart').boundingBox();
  if (!onScreen) throw new Error('the chart is not on screen');
  expect(size.width).toBeGreaterThanOrEqual(Math.floor(onScreen.width));
  expect(size.height).toBeGreaterThanOrEqual(Math.floor(onScreen.height));

  // The keyboard: Enter opens on the first entry, arrows move and wrap, Esc closes back to the button.
  const button = await exports.menuButton('daily_revenue');
  await button.focus();
  await page.keyboard.press('Enter');
  await expect(exports.menu('daily_revenue')).toBeVisible();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(exports.menuItem('daily_revenue', 'Download PNG')).toBeFocused();
  // Up from the first entry wraps to the last one (the "Watch…" checks come after the downloads).
  await page.keyboard.press('ArrowUp');
  await expect(exports.menuItem('daily_revenue', 'Watch a column for misspellings…')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(exports.menuItem('daily_revenue', 'Download SVG')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(exports.menu('daily_revenue')).toBeHidden();
  await expect(button).toBeFocused();

  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  await expect(exports.menuItem('daily_revenue', 'Download SVG')).toBeFocused();
  const svg = await exports.saveDownload(() => page.keyboard.press('Enter'));
  expect(svg.fileName).toBe('daily-revenue.svg');
  const markup = svg.bytes.toString('utf8');
  expect(markup.startsWith('<svg')).toBe(true);
  expect(markup).not.toContain('<script');
  // The first day of the period labels the time axis; the value axis is in dollars.
  const [first] = await queryNative(DEMO_PARQUET, `SELECT strftime(min(order_ts), '%Y-%m-%d') AS day FROM (${LAST_30_DAYS})`);
  expect(markup).toContain(`>${String(first?.day)}</text>`);
  expect(markup).toMatch(/>\$[\d.,]+K?<\/text>/);
  await expect(exports.menu('daily_revenue')).toBeHidden();
});

// Text that must survive the trip to a spreadsheet: quotes, commas, line breaks, formulas, unicode.
// (DuckDB 0.9.1 sniffs a column as VARCHAR when its last value is empty, so the NULL is not last.)
const NOTES_CSV = [
  'ts,label,amount',
  '2025-01-01 10:00:00,"He said ""hi"", then left",1.5',
  '2025-01-02 11:00:00,"=HYPERLINK(""http://example.invalid"",""x"")",-2',
  '2025-01-03 12:00:00,Zürich 東京,',
  '2025-01-04 13:00:00,"two',
  'lines",3',
  '',
].join('\n');

const NOTES_DASHBOARD = {
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '0b7e3a52-54c4-4f0e-9d43-7d1b8f3c2a61',
  title: 'Notes',
  timeRange: { lastDays: 3660, anchor: 'data' },
  sources: [{ name: 'notes', kind: 'file', path: 'data/notes.csv', format: 'csv' }],
  datasets: [{ name: 'notes', kind: 'table', source: 'notes', timeColumn: 'ts', measures: [], dimensions: [], hierarchies: [] }],
  panels: [{ id: 'notes_table', kind: 'table', title: 'Notes: "odd", text', dataset: 'notes', columns: ['ts', 'label', 'amount'], orderBy: { column: 'ts', direction: 'asc' }, limit: 2 }],
  layout: [{ panel: 'notes_table', x: 0, y: 0, w: 12, h: 6 }],
};

test.describe('text that spreadsheets misread', () => {
  test.use({ openFile: 'notes.dashboard.json', extraFiles: { 'data/notes.csv': NOTES_CSV, 'notes.dashboard.json': `${JSON.stringify(NOTES_DASHBOARD, null, 2)}\n` } });

  test('is quoted per RFC 4180 and formulas are defused', async ({ dashboard, page }) => {
    const exports = new ExportPage(page, dashboard);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await expect(dashboard.panel('notes_table').locator('tbody tr')).toHaveCount(2);

    const file = await exports.download('notes_table', 'Download CSV (all rows)');
    expect(file.fileName).toBe('notes-odd-text.csv');
    expect(Array.from(file.bytes.subarray(0, 3))).toEqual(BOM);
    const csv = text(file.bytes);
    expect(csv).toBe(
      'ts,label,amount\r\n' +
        '2025-01-01 10:00:00,"He said ""hi"", then left",1.5\r\n' +
        `2025-01-02 11:00:00,"'=HYPERLINK(""http://example.invalid"",""x"")",-2\r\n` +
        '2025-01-03 12:00:00,Zürich 東京,\r\n' +
        '2025-01-04 13:00:00,"two\nlines",3\r\n',
    );
    expect(parseCsv(csv)[4]).toEqual(['2025-01-04 13:00:00', 'two\nlines', '3']);
  });
});

test('"Save as PNG…" saves the whole dashboard as one image, charts drawn, controls left out', async ({ dashboard, page }) => {
  const exports = new ExportPage(page, dashboard);
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const scroll = await page.evaluate(() => {
    const app = document.querySelector<HTMLElement>('.app');
    return { width: app?.scrollWidth ?? 0, height: app?.scrollHeight ?? 0 };
  });
  await dashboard.openShareExport();
  const file = await exports.saveDownload(() => page.getByRole('button', { name: 'Save as PNG…' }).click());
  expect(file.fileName).toBe('customer-kpis.png');
  const size = pngSize(file.bytes);
  // The whole app, not only the 1000 px viewport.
  expect(size.width).toBe(scroll.width);
  expect(size.height).toBe(scroll.height);
  expect(size.height).toBeGreaterThan(1000);

  // Decode it in the page: the charts' coloured marks are in the image, and the KPI row is not blank.
  const stats = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let accent = 0;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      if (b > 150 && r < 120 && b - r > 60) accent++; // chart blues
      if (r < 80 && g < 80 && b < 80) dark++; // text
    }
    return { accent, dark, pixels: data.length / 4 };
  }, file.bytes.toString('base64'));
  expect(stats.accent / stats.pixels).toBeGreaterThan(0.002);
  expect(stats.dark / stats.pixels).toBeGreaterThan(0.001);
});
