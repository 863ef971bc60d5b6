// Panels at their edges, end to end: empty results, one row, NULL and hostile members, very long
// labels, 10,000 categories (top N + Other), negative values and zero, KPI comparisons with a
// sparkline, table pages and rules, Markdown, and a 100,000-point series. The data is generated
// at test time with native DuckDB, which also checks the numbers the app shows.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { test, expect, type Page } from './fixtures/app';
import { queryNative } from './oracle';
import type { DashboardPage } from './pages/dashboard-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
const DAY = 86_400_000;

const HOSTILE = '<img src=x onerror=alert(1)> & "quoted"';
const LONG = `An extremely long category label that keeps going, so that no axis could ever show it whole: ${'lorem ipsum '.repeat(12).trim()}`;
const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Write a Parquet file from a SELECT on a fresh native DuckDB (test code, never user input). */
async function writeParquet(file: string, select: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`COPY (${select}) TO ${sqlText(file)} (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

// 60,000 orders over 400 days ending 2025-06-30: 10,000 categories plus NULL, a hostile and a very
// long one (those three with big amounts, so they rank in the top N); segments with a NULL one;
// profit negative in "north" and zero in "south".
const EDGE_SELECT = `
  SELECT TIMESTAMP '2025-06-30 12:00:00' - to_days(CAST(i % 400 AS INTEGER)) AS ts,
    i AS order_id,
    CASE WHEN i % 97 = 0 THEN NULL WHEN i % 89 = 0 THEN ${sqlText(HOSTILE)} WHEN i % 83 = 0 THEN ${sqlText(LONG)}
      ELSE 'category ' || lpad(CAST(i % 10000 AS VARCHAR), 5, '0') END AS cat,
    CASE i % 6 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east' WHEN 3 THEN 'west' WHEN 4 THEN 'central' END AS seg,
    CAST(CASE WHEN i % 97 = 0 THEN 50 WHEN i % 89 = 0 THEN 45 WHEN i % 83 = 0 THEN 60 ELSE i % 10 + 1 END AS DOUBLE) AS amount,
    CAST(CASE i % 6 WHEN 0 THEN -(i % 50 + 1) WHEN 1 THEN 0 ELSE i % 100 END AS DOUBLE) AS profit,
    CAST(i % 400 < 30 AND i % 7 = 0 AS INTEGER) AS launch,
    'the only member' AS single
  FROM range(60000) t(i)`;
const CURRENT = `ts >= TIMESTAMP '2025-06-01' AND ts < TIMESTAMP '2025-07-01'`;
const PREVIOUS_YEAR = `ts >= TIMESTAMP '2024-06-01' AND ts < TIMESTAMP '2024-07-01'`;

const ORDERS_DATASET = {
  kind: 'table',
  timeColumn: 'ts',
  measures: [
    { name: 'revenue', label: 'Revenue', agg: 'sum', column: 'amount', format: 'currency' },
    { name: 'orders', label: 'Orders', agg: 'count_distinct', column: 'order_id', format: 'integer' },
    { name: 'aov', label: 'Average order value', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
    { name: 'profit', label: 'Profit', agg: 'sum', column: 'profit', format: 'currency' },
    { name: 'launches', label: 'Launches', agg: 'sum', column: 'launch', format: 'integer' },
  ],
  dimensions: [
    { name: 'cat', label: 'Category', column: 'cat' },
    { name: 'seg', label: 'Segment', column: 'seg' },
    { name: 'single', label: 'Single', column: 'single' },
  ],
  hierarchies: [],
};

const MARKDOWN = [
  '## Reading this dashboard',
  '',
  'Numbers are **exact**; *Other* adds up the rest. `NULL` shows as (null).',
  '',
  '- Top 12 categories',
  '- Segments: north, south, …',
  '',
  '| Panel | Checks |',
  '|---|--:|',
  '| KPIs | 4 |',
  '',
  '> Raw HTML stays text: <script>alert("x")</script> <img src=x onerror=alert(2)>',
  '',
  'Docs: [handbook](https://example.com/handbook) · [bad](javascript:alert(3))',
].join('\n');

const chart = (id: string, title: string, spec: Record<string, unknown>) => ({ id, kind: 'chart', title, dataset: 'orders', sort: 'value_desc', ...spec });

const EDGE_DASHBOARD = {
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '5d7c1f0a-2b3e-4c5d-8e9f-0a1b2c3d4e5f',
  title: 'Quality: edge cases',
  timeRange: { lastDays: 30, anchor: 'data' },
  sources: [
    { name: 'orders', kind: 'file', path: 'data/edge.parquet', format: 'parquet' },
    { name: 'nothing', kind: 'file', path: 'data/empty.parquet', format: 'parquet' },
  ],
  datasets: [
    { name: 'orders', source: 'orders', ...ORDERS_DATASET },
    { name: 'nothing', source: 'nothing', ...ORDERS_DATASET },
  ],
  panels: [
    { id: 'kpi_yoy', kind: 'kpi', title: 'Revenue vs last year', dataset: 'orders', measure: 'revenue', comparison: 'previous_year', sparkline: true, decimals: 0 },
    { id: 'kpi_target', kind: 'kpi', title: 'Orders vs target', dataset: 'orders', measure: 'orders', comparison: 'target', target: 5000, thresholds: { warnAt: 4600, badAt: 3000 } },
    { id: 'kpi_new', kind: 'kpi', title: 'Launches', dataset: 'orders', measure: 'launches', comparison: 'previous_period', format: 'compact' },
    { id: 'kpi_empty', kind: 'kpi', title: 'Revenue (no data)', dataset: 'nothing', measure: 'revenue', comparison: 'previous_period', sparkline: true },
    chart('top_categories', 'Top 12 of 10,000 categories', { chart: 'horizontal_bar', x: { type: 'dimension', dimension: 'cat' }, measures: ['revenue'], limit: 12, otherBucket: true }),
    chart('category_by_segment', 'Categories by segment', { chart: 'stacked_bar', x: { type: 'dimension', dimension: 'cat' }, series: 'seg', measures: ['revenue'], limit: 4, otherBucket: true }),
    chart('profit_by_segment', 'Profit by segment (negative, zero)', { chart: 'bar', x: { type: 'dimension', dimension: 'seg' }, measures: ['profit'], limit: 10 }),
    chart('segment_pie', 'Revenue share by segment', { chart: 'pie', x: { type: 'dimension', dimension: 'seg' }, measures: ['revenue'], limit: 3, otherBucket: true }),
    chart('single_row', 'A single row', { chart: 'bar', x: { type: 'dimension', dimension: 'single' }, measures: ['revenue'], limit: 10 }),
    { ...chart('empty_chart', 'No data at all', { chart: 'bar', x: { type: 'dimension', dimension: 'cat' }, measures: ['revenue'], limit: 10 }), dataset: 'nothing' },
    chart('long_labels', 'Long, NULL and hostile labels', { chart: 'bar', x: { type: 'dimension', dimension: 'cat' }, measures: ['revenue'], limit: 4 }),
    chart('daily_aov', 'Daily AOV by segment', { chart: 'line', x: { type: 'time', grain: 'day' }, series: 'seg', measures: ['aov'], limit: 3, otherBucket: true, axisFormat: 'number' }),
    {
      id: 'orders_table', kind: 'table', title: 'Orders, 10 per page', dataset: 'orders',
      columns: ['ts', 'order_id', 'cat', 'seg', 'amount', 'profit'], orderBy: { column: 'order_id', direction: 'asc' }, limit: 45, pageSize: 10,
      rules: [
        { column: 'profit', op: 'lt', value: 0, tone: 'bad' },
        { column: 'profit', op: 'eq', value: 0, tone: 'warn' },
        { column: 'amount', op: 'gte', value: 45, tone: 'good' },
        { column: 'gone', op: 'eq', value: 'x', tone: 'bad' },
      ],
    },
    { id: 'notes', kind: 'text', title: 'Notes', markdown: MARKDOWN },
  ],
  layout: [
    { panel: 'kpi_yoy', x: 0, y: 0, w: 3, h: 3 },
    { panel: 'kpi_target', x: 3, y: 0, w: 3, h: 3 },
    { panel: 'kpi_new', x: 6, y: 0, w: 3, h: 3 },
    { panel: 'kpi_empty', x: 9, y: 0, w: 3, h: 3 },
    { panel: 'top_categories', x: 0, y: 3, w: 6, h: 7 },
    { panel: 'category_by_segment', x: 6, y: 3, w: 6, h: 7 },
    { panel: 'profit_by_segment', x: 0, y: 10, w: 4, h: 6 },
    { panel: 'segment_pie', x: 4, y: 10, w: 4, h: 6 },
    { panel: 'single_row', x: 8, y: 10, w: 4, h: 6 },
    { panel: 'empty_chart', x: 0, y: 16, w: 4, h: 6 },
    { panel: 'long_labels', x: 4, y: 16, w: 4, h: 6 },
    { panel: 'daily_aov', x: 8, y: 16, w: 4, h: 6 },
    { panel: 'orders_table', x: 0, y: 22, w: 8, h: 8 },
    { panel: 'notes', x: 8, y: 22, w: 4, h: 8 },
  ],
};

// 100,000 days from 1750-01-01, one row each.
const LARGE_DAYS = 100_000;
const LARGE_START = Date.UTC(1750, 0, 1);
const LARGE_LAST = new Date(LARGE_START + (LARGE_DAYS - 1) * DAY).toISOString().slice(0, 10);
const LARGE_SELECT = `
  SELECT TIMESTAMP '1750-01-01 00:00:00' + to_days(CAST(i AS INTEGER)) AS ts,
    sin(i / 700.0) * 100 + (i % 17) - 8 + i / 2000.0 AS value
  FROM range(${LARGE_DAYS}) t(i)`;

const LARGE_DASHBOARD = {
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b',
  title: 'Quality: 100,000 points',
  timeRange: { from: '1750-01-01', to: LARGE_LAST },
  sources: [{ name: 'days', kind: 'file', path: 'data/large.parquet', format: 'parquet' }],
  datasets: [
    {
      name: 'days', kind: 'table', source: 'days', timeColumn: 'ts',
      measures: [{ name: 'total', label: 'Total', agg: 'sum', column: 'value', format: 'number' }],
      dimensions: [], hierarchies: [],
    },
  ],
  panels: [
    { id: 'line_100k', kind: 'chart', title: '100,000 days (line, LTTB)', dataset: 'days', chart: 'line', x: { type: 'time', grain: 'day' }, measures: ['total'], sort: 'label' },
    { id: 'scatter_100k', kind: 'chart', title: '100,000 days (scatter, large mode)', dataset: 'days', chart: 'scatter', x: { type: 'time', grain: 'day' }, measures: ['total'], sort: 'label' },
  ],
  layout: [
    { panel: 'line_100k', x: 0, y: 0, w: 12, h: 7 },
    { panel: 'scatter_100k', x: 0, y: 7, w: 12, h: 7 },
  ],
};

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

test.beforeAll(() => mkdirSync(ARTIFACTS, { recursive: true }));

/** Hover down a chart's plot until its tooltip names `label`; returns the tooltip's text. */
async function hoverCategory(page: Page, dashboard: DashboardPage, panelId: string, label: string | RegExp, horizontal: boolean): Promise<string> {
  await dashboard.panel(panelId).scrollIntoViewIfNeeded();
  const box = await dashboard.panel(panelId).locator('canvas').first().boundingBox();
  if (!box) throw new Error(`panel ${panelId} has no chart`);
  const chartBox = dashboard.panel(panelId).locator('.chart');
  for (let f = 0.97; f > 0.02; f -= 0.01) {
    if (horizontal) await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * f);
    else await page.mouse.move(box.x + box.width * (1 - f), box.y + box.height * 0.5);
    const text = (await chartBox.textContent()) ?? '';
    if (typeof label === 'string' ? text.includes(label) : label.test(text)) return text;
  }
  throw new Error(`no category ${String(label)} found under the pointer in ${panelId}`);
}

test.describe('edge cases', () => {
  test.use({ openFile: 'quality.dashboard.json', extraFiles: { 'quality.dashboard.json': json(EDGE_DASHBOARD) } });

  test('every edge case renders sensibly, with numbers equal to native DuckDB', async ({ dashboard, page, workspace }) => {
    const edge = path.join(workspace.dir, 'data', 'edge.parquet');
    await writeParquet(edge, EDGE_SELECT);
    await writeParquet(path.join(workspace.dir, 'data', 'empty.parquet'), `${EDGE_SELECT} LIMIT 0`);

    await dashboard.open();
    await dashboard.waitUntilDrawn();
    for (const panel of EDGE_DASHBOARD.panels) await expect(dashboard.panel(panel.id)).toHaveAttribute('data-state', 'ready');
    await page.screenshot({ path: path.join(ARTIFACTS, 'quality-edge-dashboard.png'), fullPage: true });

    // KPI against the same days a year earlier, with its daily sparkline.
    const [kpi] = await queryNative(edge, `SELECT
        (SELECT sum(amount) FROM orders WHERE ${CURRENT}) AS cur, (SELECT sum(amount) FROM orders WHERE ${PREVIOUS_YEAR}) AS prev,
        (SELECT count(DISTINCT order_id) FROM orders WHERE ${CURRENT}) AS orders, (SELECT count(DISTINCT CAST(ts AS DATE)) FROM orders WHERE ${CURRENT}) AS days`);
    expect(await dashboard.kpiValue('kpi_yoy')).toBe(Number(kpi?.cur));
    expect(await dashboard.kpiPrevious('kpi_yoy')).toBe(Number(kpi?.prev));
    await expect(dashboard.panel('kpi_yoy').locator('.kpi-vs')).toContainText('vs same period last year');
    const spark = dashboard.panel('kpi_yoy').getByRole('img', { name: /^Daily Revenue, 2025-06-01 to 2025-06-30/ });
    await expect(spark).toBeVisible();
    const points = (await spark.locator('polyline').getAttribute('points'))?.trim().split(/\s+/) ?? [];
    expect(points).toHaveLength(Number(kpi?.days));
    // decimals: 0 on a compact value: $32K, never $32.09K.
    await expect(dashboard.panel('kpi_yoy').locator('.kpi-value')).toHaveText(/^\$\d+K$/);

    // Target: data-previous is the target; the value is coloured once it is under warnAt.
    expect(await dashboard.kpiValue('kpi_target')).toBe(Number(kpi?.orders));
    expect(await dashboard.kpiPrevious('kpi_target')).toBe(5000);
    await expect(dashboard.panel('kpi_target').locator('.kpi-vs')).toHaveText('vs target 5,000');
    await expect(dashboard.panel('kpi_target').locator('.kpi-value')).toHaveAttribute('data-tone', 'warn');

    // From zero: "new", never NaN or Infinity. No data: dashes.
    expect(await dashboard.kpiPrevious('kpi_new')).toBe(0);
    await expect(dashboard.panel('kpi_new').locator('.kpi-delta')).toHaveText('new');
    // A dataset without rows: every panel of it says so (e2e/empty-states.spec.ts), KPIs too.
    await expect(dashboard.panel('kpi_empty').getByTestId('empty-panel')).toContainText('No rows in dataset');
    await expect(page.locator('body')).not.toContainText(/NaN|Infinity/);

    await expect(dashboard.panel('empty_chart').getByTestId('empty-panel')).toContainText('No rows in dataset');
    for (const id of ['top_categories', 'category_by_segment', 'profit_by_segment', 'segment_pie', 'single_row', 'long_labels', 'daily_aov']) {
      await expect(dashboard.panel(id).locator('canvas')).toHaveCount(1);
    }

    // 10,000 categories: the top 12 and an exact "Other" (the remaining rows summed by the query).
    const [other] = await queryNative(edge, `WITH c AS (SELECT cat, sum(amount) AS v FROM orders WHERE ${CURRENT} GROUP BY 1),
        top AS (SELECT cat FROM c ORDER BY v DESC NULLS LAST, cat ASC NULLS LAST LIMIT 12)
      SELECT sum(amount) AS v FROM orders WHERE ${CURRENT} AND coalesce(cat, '\u0001null') NOT IN (SELECT coalesce(cat, '\u0001null') FROM top)`);
    const otherText = await hoverCategory(page, dashboard, 'top_categories', /^Other/, true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'quality-other-tooltip.png'), clip: (await dashboard.panel('top_categories').boundingBox()) ?? undefined });
    const money = (v: unknown) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 }).format(Number(v));
    expect(otherText).toContain(`Revenue: ${money(other?.v)}`);
    expect(otherText).toMatch(/% of total\)/);
    // "Other" is not a member: clicking it opens no drill menu.
    await page.mouse.down();
    await page.mouse.up();
    await expect(dashboard.panel('top_categories').getByRole('menu')).toHaveCount(0);

    // The hostile name is text in the tooltip, never an element; NULL is "(null)".
    const hostileText = await hoverCategory(page, dashboard, 'top_categories', HOSTILE, true);
    expect(hostileText).toContain(HOSTILE);
    await expect(page.locator('[data-panel-id] img')).toHaveCount(0);
    await hoverCategory(page, dashboard, 'top_categories', '(null)', true);
    // The long label: truncated on the axis, whole in the tooltip.
    const longText = await hoverCategory(page, dashboard, 'long_labels', LONG, false);
    expect(longText).toContain(LONG);
    await page.screenshot({ path: path.join(ARTIFACTS, 'quality-long-label-tooltip.png'), clip: (await dashboard.panel('long_labels').boundingBox()) ?? undefined });
    await page.mouse.move(0, 0);

    // Table: pages of 10 over the 45 rows fetched, numbers right-aligned, rules colour cells.
    const table = dashboard.panel('orders_table');
    await expect(table.locator('tbody tr')).toHaveCount(10);
    await expect(table.locator('.table-footer')).toContainText('Rows 1–10 of 45');
    await expect(table.locator('thead th.num')).toHaveText(['order_id', 'amount', 'profit']);
    await expect(table.locator('td.cell-bad').first()).toBeVisible();
    await expect(table.locator('td.cell-warn').first()).toBeVisible();
    await expect(table.getByRole('note')).toHaveText('Formatting rule on "gone" ignored: no such column.');
    const nativeRows = await queryNative(edge, `SELECT order_id, profit FROM orders WHERE ${CURRENT} ORDER BY order_id LIMIT 45`);
    const profitOf = async (row: number) => table.locator(`tbody tr:nth-child(${row}) td:nth-child(6)`).textContent();
    expect(await table.locator('tbody tr:first-child td:nth-child(2)').textContent()).toBe(String(nativeRows[0]?.order_id));
    await table.getByRole('button', { name: 'Next page' }).click();
    await expect(table.locator('.table-footer')).toContainText('Rows 11–20 of 45');
    expect(await table.locator('tbody tr:first-child td:nth-child(2)').textContent()).toBe(String(nativeRows[10]?.order_id));
    expect(Number(await profitOf(1))).toBe(Number(nativeRows[10]?.profit));
    for (let i = 0; i < 3; i++) await table.getByRole('button', { name: 'Next page' }).click();
    await expect(table.locator('.table-footer')).toContainText('Rows 41–45 of 45');
    await expect(table.locator('tbody tr')).toHaveCount(5);
    await expect(table.getByRole('button', { name: 'Next page' })).toBeDisabled();
    await table.getByRole('button', { name: 'Previous page' }).click();
    await expect(table.locator('.table-footer')).toContainText('Rows 31–40 of 45');

    // Markdown: structure drawn, raw HTML as text, links that do not navigate.
    const notes = dashboard.panel('notes');
    await expect(notes.getByRole('heading', { name: 'Reading this dashboard' })).toBeVisible();
    await expect(notes.locator('strong')).toHaveText('exact');
    await expect(notes.locator('table td')).toHaveText(['KPIs', '4']);
    await expect(notes).toContainText('<script>alert("x")</script>');
    await expect(notes.locator('script, img, a')).toHaveCount(0);
    await expect(notes).toContainText('bad (javascript:alert(3))');
    // An https link is a button that asks first (e2e/links.spec.ts); its target stays visible.
    await expect(notes.getByRole('button', { name: 'handbook' })).toHaveCount(1);
    await expect(notes).toContainText('handbook (https://example.com/handbook)');

    await page.screenshot({ path: path.join(ARTIFACTS, 'quality-edge-dashboard.png'), fullPage: true });
    for (const id of ['kpi_yoy', 'kpi_target', 'kpi_new', 'kpi_empty']) {
      await dashboard.panel(id).screenshot({ path: path.join(ARTIFACTS, `quality-${id}.png`) });
    }
  });
});

test.describe('100,000 points', () => {
  test.use({ openFile: 'large.dashboard.json', extraFiles: { 'large.dashboard.json': json(LARGE_DASHBOARD) } });

  test('a 100k-point line (LTTB) and scatter (large mode) draw and stay interactive', async ({ dashboard, page, workspace }) => {
    await writeParquet(path.join(workspace.dir, 'data', 'large.parquet'), LARGE_SELECT);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const openMs = await dashboard.openTimeMs();
    for (const id of ['line_100k', 'scatter_100k']) {
      await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
      // Large mode may draw on a second (incremental) canvas layer.
      await expect(dashboard.panel(id).locator('canvas').first()).toBeVisible();
    }
    // Interactive: the tooltip follows the pointer across the whole range, promptly.
    for (const id of ['line_100k', 'scatter_100k']) {
      const box = await dashboard.panel(id).locator('canvas').first().boundingBox();
      if (!box) throw new Error(`${id} has no chart`);
      const chartBox = dashboard.panel(id).locator('.chart');
      const started = Date.now();
      for (const f of [0.1, 0.3, 0.5, 0.7, 0.9]) {
        await page.mouse.move(box.x + box.width * f, box.y + box.height * 0.5);
        await expect(chartBox).toContainText(/\d{4}-\d{2}-\d{2}Total: /, { timeout: 5_000 });
      }
      const perMove = (Date.now() - started) / 5;
      console.log(`${id}: ${Math.round(perMove)} ms per pointer move with tooltip`);
    }
    const first = await dashboard.panel('line_100k').locator('.chart').textContent();
    expect(first).toMatch(/2023|2022|2021|20\d\d|19\d\d|18\d\d|17\d\d/);
    console.log(`100k-point dashboard open (navigation → all panels drawn): ${Math.round(openMs)} ms`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'quality-100k.png'), fullPage: true });
  });
});
