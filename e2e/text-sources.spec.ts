// Text sources the pinned engine cannot read by itself, end to end in the browser host: a JSON file
// (DuckDB-WASM 1.28 has no JSON reader offline) and a Windows-1252 CSV (0.9.1 reads UTF-8 only),
// both written by the test into the dashboard's folder and read through the data gateway. The KPIs
// are checked against native DuckDB on the same data saved as UTF-8 CSV, and the accented names
// (é, ß, €, ü) must come out as written.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Page } from '@playwright/test';
import { test, expect, EXAMPLES } from './fixtures/app';
import { computeKpisNative, queryNative } from './oracle';
import type { DashboardPage } from './pages/dashboard-page';
import { SourcesPage } from './pages/sources-page';

const FILE = 'text-sources.dashboard.json';
const CITIES = ['Málaga', 'Zürich', 'Köln', 'São Paulo'];

/** 24 sales over 12 days in March 2025, amounts with cents; every row a JSON object. */
const SALES = Array.from({ length: 24 }, (_, i) => ({
  order_id: 1000 + i,
  sold_at: `2025-03-${String(1 + (i % 12)).padStart(2, '0')}T${String(8 + (i % 9)).padStart(2, '0')}:15:00Z`,
  city: CITIES[i % CITIES.length] as string,
  amount: ((i * 37) % 100) + 0.25,
}));

/** Shops whose names need Windows-1252 (the € is 0x80 there, and in no Latin-1 file). */
const SHOPS = [
  { shop: 'Café René', city: 'Málaga', staff: 4 },
  { shop: 'Bäckerei Weiß', city: 'Köln', staff: 7 },
  { shop: 'Euro€Markt', city: 'Zürich', staff: 12 },
  { shop: 'Straßencafé', city: 'São Paulo', staff: 3 },
];
const SHOPS_CSV = `shop,city,staff\n${SHOPS.map((s) => `${s.shop},${s.city},${s.staff}`).join('\n')}\n`;

/** Windows-1252 bytes of a text of Latin-1 characters and €. */
function windows1252(text: string): Buffer {
  return Buffer.from(
    Array.from(text, (ch) => {
      if (ch === '€') return 0x80;
      const code = ch.charCodeAt(0);
      if (code > 0xff) throw new Error(`${ch} is not in this test's Windows-1252 subset`);
      return code;
    }),
  );
}

function dashboard(): string {
  const doc = {
    type: 'northstar.dashboard',
    schemaVersion: 2,
    id: '00000000-0000-4000-8000-0000000007a1',
    title: 'Text sources',
    owner: '',
    description: '',
    timeRange: { anchor: 'data', lastDays: 30 },
    filters: [],
    views: [],
    corrections: [],
    checks: [],
    sources: [
      { kind: 'file', name: 'sales', path: 'data/sales.json', format: 'json' },
      { kind: 'file', name: 'shops', path: 'data/shops.csv', format: 'csv' },
    ],
    datasets: [
      {
        kind: 'table',
        name: 'sales',
        source: 'sales',
        label: 'Sales',
        timeColumn: 'sold_at',
        dimensions: [{ name: 'city', column: 'city', label: 'City' }],
        hierarchies: [],
        measures: [
          { name: 'revenue', label: 'Revenue', agg: 'sum', column: 'amount', format: 'number' },
          { name: 'orders', label: 'Orders', agg: 'count_distinct', column: 'order_id', format: 'integer' },
        ],
      },
      {
        kind: 'table',
        name: 'shops',
        source: 'shops',
        label: 'Shops',
        dimensions: [{ name: 'shop', column: 'shop', label: 'Shop' }],
        hierarchies: [],
        measures: [{ name: 'staff', label: 'Staff', agg: 'sum', column: 'staff', format: 'integer' }],
      },
    ],
    panels: [
      { id: 'kpi_revenue', kind: 'kpi', title: 'Revenue', dataset: 'sales', measure: 'revenue', comparison: 'none' },
      { id: 'kpi_orders', kind: 'kpi', title: 'Orders', dataset: 'sales', measure: 'orders', comparison: 'none' },
      { id: 'kpi_staff', kind: 'kpi', title: 'Staff', dataset: 'shops', measure: 'staff', comparison: 'none' },
      { id: 'by_city', kind: 'chart', title: 'Revenue by city', dataset: 'sales', chart: 'bar', x: { type: 'dimension', dimension: 'city' }, measures: ['revenue'] },
      { id: 'staff_by_shop', kind: 'chart', title: 'Staff by shop', dataset: 'shops', chart: 'horizontal_bar', x: { type: 'dimension', dimension: 'shop' }, measures: ['staff'] },
      { id: 'shop_list', kind: 'table', title: 'Shops', dataset: 'shops', columns: ['shop', 'city', 'staff'], orderBy: { column: 'shop', direction: 'asc' } },
    ],
    layout: [
      { panel: 'kpi_revenue', x: 0, y: 0, w: 4, h: 2 },
      { panel: 'kpi_orders', x: 4, y: 0, w: 4, h: 2 },
      { panel: 'kpi_staff', x: 8, y: 0, w: 4, h: 2 },
      { panel: 'by_city', x: 0, y: 2, w: 6, h: 4 },
      { panel: 'staff_by_shop', x: 6, y: 2, w: 6, h: 4 },
      { panel: 'shop_list', x: 0, y: 6, w: 12, h: 4 },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The oracle: hand-written SQL on native DuckDB over the same data as UTF-8 CSV files. */
async function nativeKpis(): Promise<{ revenue: number; orders: number; staff: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-text-oracle-'));
  try {
    const sales = path.join(dir, 'sales.csv');
    const shops = path.join(dir, 'shops.csv');
    writeFileSync(sales, `order_id,sold_at,city,amount\n${SALES.map((s) => `${s.order_id},${s.sold_at},${s.city},${s.amount}`).join('\n')}\n`);
    writeFileSync(shops, SHOPS_CSV);
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const q = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown>;
      const s = await q(`SELECT sum(amount) AS revenue, count(DISTINCT order_id) AS orders FROM read_csv_auto('${sales}')`);
      const t = await q(`SELECT sum(staff) AS staff FROM read_csv_auto('${shops}')`);
      return { revenue: Number(s.revenue), orders: Number(s.orders), staff: Number(t.staff) };
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test.use({ openFile: FILE, extraFiles: { [FILE]: dashboard(), 'data/sales.json': `${JSON.stringify(SALES, null, 1)}\n` } });

test('a JSON source and a Windows-1252 CSV show the right KPIs and their accented names', async ({ dashboard: page, workspace }) => {
  // Bytes, not text: the fixture's extraFiles writes UTF-8.
  writeFileSync(path.join(workspace.dir, 'data', 'shops.csv'), windows1252(SHOPS_CSV));
  const expected = await nativeKpis();
  await page.open();
  await page.waitUntilDrawn();

  expect(await page.kpiValue('kpi_revenue')).toBeCloseTo(expected.revenue, 6);
  expect(await page.kpiValue('kpi_orders')).toBe(expected.orders);
  expect(await page.kpiValue('kpi_staff')).toBe(expected.staff);
  expect(expected).toEqual({ revenue: SALES.reduce((n, s) => n + s.amount, 0), orders: 24, staff: 26 });

  const table = page.panel('shop_list');
  for (const shop of SHOPS) await expect(table).toContainText(shop.shop);
  await expect(table).toContainText('São Paulo');

  const sources = new SourcesPage(page.page);
  await sources.open();
  await expect(sources.datasetStatus('shops')).toContainText('4 rows');
  await expect(sources.datasetStatus('shops')).toContainText('(Windows-1252, converted)');
  await expect(sources.datasetStatus('sales')).toContainText('24 rows, 4 columns');
  // Typed from the values: the ISO-8601 strings are a TIMESTAMP (the period above is read from it).
  expect(await sources.columns('sales')).toEqual([
    ['order_id', 'BIGINT'],
    ['sold_at', 'TIMESTAMP'],
    ['city', 'VARCHAR'],
    ['amount', 'DOUBLE'],
  ]);
  expect((await sources.sampleRows('shops')).rows.map((r) => r[0])).toEqual(SHOPS.map((s) => s.shop));
  await sources.close();

  await page.page.setViewportSize({ width: 1280, height: 900 });
  await page.page.screenshot({ path: test.info().outputPath('text-sources.png'), fullPage: true });
});

test('a JSON file that is not valid JSON says where, and the other panels still work', async ({ dashboard: page, workspace }) => {
  writeFileSync(path.join(workspace.dir, 'data', 'sales.json'), '[\n  {"order_id": 1, "amount": 2},\n  {"order_id": 2 "amount": 3}\n]\n');
  writeFileSync(path.join(workspace.dir, 'data', 'shops.csv'), windows1252(SHOPS_CSV));
  await page.open();
  await page.waitUntilDrawn();
  await expect(page.panel('kpi_revenue')).toContainText('No data: source "sales" is unavailable');
  expect(await page.kpiValue('kpi_staff')).toBe(26);
  const sources = new SourcesPage(page.page);
  await sources.open();
  await expect(sources.dialog()).toContainText(/is not valid JSON: line 3, column 18/);
});

// A UTF-8 CSV needs no conversion, but the engine reads one through its URL in small sequential
// requests (a minute for 470 MB): the load reads it into memory from its bytes as they download.
const CSV_FILE = 'orders-csv.dashboard.json';
const DEMO_PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');

/**
 * The demo orders as CSV, written by native DuckDB; with `copies` 2, each order twice (the second
 * with its id moved up by 10M, so ids stay unique), also written as Parquet for the oracle.
 */
async function writeDemoCsv(file: string, copies: 1 | 2 = 1): Promise<string> {
  const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;
  const rows = copies === 1 ? `SELECT * FROM read_parquet(${quote(DEMO_PARQUET)})` : `SELECT * FROM read_parquet(${quote(DEMO_PARQUET)}) UNION ALL SELECT * REPLACE (order_id + 10000000 AS order_id) FROM read_parquet(${quote(DEMO_PARQUET)})`;
  const parquet = copies === 1 ? DEMO_PARQUET : `${file}.oracle.parquet`;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`COPY (${rows}) TO ${quote(file)} (HEADER)`);
    if (copies === 2) await conn.run(`COPY (${rows}) TO ${quote(parquet)} (FORMAT PARQUET)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return parquet;
}

/** Every text the Revenue tile's progress shows, as the page draws it (read with `progressSeen`). */
async function recordProgress(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { progressSeen: string[] }).progressSeen = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-panel-id="kpi_revenue"] [data-testid="panel-progress"]')?.textContent ?? '';
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/** Write the demo as CSV (`copies` of each order), open it recording the progress, and check its KPIs against native DuckDB; returns the oracle's Parquet. */
async function openCsvWithNativeKpis(page: DashboardPage, csv: string, copies: 1 | 2): Promise<string> {
  const oracle = await writeDemoCsv(csv, copies);
  await recordProgress(page.page);
  await page.open();
  await page.waitUntilDrawn();
  await expectNativeKpis(page, oracle);
  return oracle;
}

/** The three KPI tiles show what native DuckDB computes over `parquet` for the last 30 days. */
async function expectNativeKpis(page: DashboardPage, parquet: string): Promise<void> {
  const native = await computeKpisNative(parquet, 30);
  expect(await page.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
  expect(await page.kpiValue('kpi_orders')).toBe(native.current.orders);
  expect(await page.kpiValue('kpi_active_customers')).toBe(native.current.activeCustomers);
}

const progressSeen = (page: Page) => page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
const sqlSeen = (page: Page) => page.evaluate(() => performance.getEntriesByName('northstar:sql').map((e) => String((e as PerformanceMeasure).detail?.sql ?? '')));

function demoOverCsv(): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8')) as { sources: Record<string, unknown>[] };
  demo.sources = demo.sources.map((s) => ({ ...s, path: 'data/orders.csv', format: 'csv' }));
  return `${JSON.stringify(demo, null, 2)}\n`;
}

test.describe('a UTF-8 CSV source', () => {
  test.use({ openFile: CSV_FILE, extraFiles: { [CSV_FILE]: demoOverCsv() } });

  test('loads from its bytes as they download and shows the KPIs native DuckDB computes from the same rows', async ({ dashboard: page, workspace }) => {
    const csv = path.join(workspace.dir, 'data', 'orders.csv');
    await openCsvWithNativeKpis(page, csv, 1);
    // Its size from the start, before any byte was read.
    const seen = await progressSeen(page.page);
    const megabytes = Math.round(statSync(csv).size / 1024 / 1024);
    expect(seen.find((t) => t.startsWith('Loading Orders:')), seen.join(' | ')).toMatch(new RegExp(`^Loading Orders: 0\\.0 of ${megabytes} MB(?! ·)`));
    // Read from its bytes (csv-stream.ts), not from the gateway's URL. At 36 MB, one piece: the
    // 4 MB past the first 32 MiB join it rather than make a piece of their own.
    const statements = await sqlSeen(page.page);
    const load = statements.filter((sql) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders (loading '));
    expect(load).toEqual([expect.stringMatching(/FROM read_csv_auto\('northstar-csv-[0-9a-f-]+\/0\/orders\.csv'\)$/)]);
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO'))).toEqual([]);
    const sources = new SourcesPage(page.page);
    await sources.open();
    const [rows] = await queryNative(DEMO_PARQUET, 'SELECT count(*) AS n FROM orders');
    expect(await sources.rowCount('orders')).toBe(Number(rows?.n));
  });

  test('of two pieces, counts the rows read so far, and its table holds the rows native DuckDB reads', async ({ dashboard: page, workspace }) => {
    const csv = path.join(workspace.dir, 'data', 'orders.csv');
    const oracle = await openCsvWithNativeKpis(page, csv, 2);
    // The megabytes and rows read so far, after the first piece.
    const seen = await progressSeen(page.page);
    const megabytes = Math.round(statSync(csv).size / 1024 / 1024);
    expect(seen.some((t) => new RegExp(`^Loading Orders: 3[2-4] of ${megabytes} MB · [\\d,]+ rows`).test(t)), seen.join(' | ')).toBe(true);
    // The first piece as the whole file would be read, the second with its header line and types.
    const statements = await sqlSeen(page.page);
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO "ds_raw_orders (loading ')), statements.join('\n')).toEqual([
      expect.stringMatching(/FROM read_csv_auto\('northstar-csv-[0-9a-f-]+\/1\/orders\.csv', header = true, types = \{'order_id': 'BIGINT', /),
    ]);
    expect(statements.some((sql) => /ALTER TABLE "ds_raw_orders \(loading [0-9a-f]{8}\)" RENAME TO "ds_raw_orders"$/.test(sql))).toBe(true);
    const sources = new SourcesPage(page.page);
    await sources.open();
    const [rows] = await queryNative(oracle, 'SELECT count(*) AS n FROM orders');
    expect(await sources.rowCount('orders')).toBe(Number(rows?.n));
    await sources.close();

    // Its 1.2M rows: once the panels drew, its few-valued text columns became ENUMs in place
    // (enum-columns.ts), before the checks ran. A filter on one then gives native DuckDB's numbers.
    await expect(page.page.getByTestId('check-summary')).toContainText('last run');
    const encoded = (await sqlSeen(page.page)).filter((sql) => sql.startsWith('ALTER TABLE "ds_raw_orders" ALTER COLUMN '));
    expect(encoded.map((sql) => /ALTER COLUMN "(\w+)"/.exec(sql)?.[1])).toEqual(['region', 'country', 'city', 'channel', 'campaign', 'category']);
    const campaigns = await queryNative(
      oracle,
      `WITH b AS (SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS e FROM orders)
       SELECT campaign AS m FROM orders, b WHERE order_ts >= e - INTERVAL 30 DAY AND order_ts < e GROUP BY 1 ORDER BY sum(amount) DESC NULLS LAST, 1`,
    );
    const run = await page.runId();
    const menu = await page.clickBar('revenue_by_campaign', 1, campaigns.length);
    const campaign = String(campaigns[1]?.m);
    expect(await page.menuTitle(menu)).toBe(`Campaign: ${campaign}`);
    await page.chooseMenuAction(menu, /^Filter other panels to /);
    await page.waitUntilDrawn(run + 1);
    const filtered = await computeKpisNative(oracle, 30, `campaign = '${campaign.replaceAll("'", "''")}'`);
    expect(await page.kpiValue('kpi_revenue')).toBeCloseTo(filtered.current.revenue, 6);
    expect(await page.kpiValue('kpi_orders')).toBe(filtered.current.orders);
  });

  test('gzip-compressed, is decompressed in the page and shows the same KPIs; a workbook named .csv says what it is', async ({ dashboard: page, workspace }) => {
    const csv = path.join(workspace.dir, 'data', 'orders.csv');
    await writeDemoCsv(csv);
    // The same name, gzip bytes: told by its first bytes, not its name.
    writeFileSync(csv, gzipSync(readFileSync(csv)));
    await page.open();
    await page.waitUntilDrawn();
    const native = await computeKpisNative(DEMO_PARQUET, 30);
    expect(await page.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
    expect(await page.kpiValue('kpi_orders')).toBe(native.current.orders);
    const sources = new SourcesPage(page.page);
    await sources.open();
    await expect(sources.datasetStatus('orders')).toContainText('(gzip, decompressed)');
    await sources.close();

    // An Excel workbook saved under the CSV's name: every panel says what the file is.
    writeFileSync(csv, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(2000)]));
    await page.page.reload();
    await page.waitUntilDrawn();
    await expect(page.panel('kpi_revenue')).toContainText('No data: source "orders" is unavailable');
    await sources.open();
    await expect(sources.dialog()).toContainText('is a ZIP archive (an Excel .xlsx workbook is one), not CSV text: export the sheet as CSV, or unzip the file.');
    await page.page.screenshot({ path: test.info().outputPath('not-text.png') });
  });
});

// An export of one file per period, read as one dataset through a glob: each file streams into the
// same table in turn (csv-stream.ts), instead of all of them fetched whole (up to 512 MiB in all).
const PARTS_FILE = 'orders-parts.dashboard.json';

test.describe('a CSV source of several files', () => {
  test.use({
    openFile: PARTS_FILE,
    extraFiles: {
      [PARTS_FILE]: (() => {
        const demo = JSON.parse(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8')) as { sources: Record<string, unknown>[] };
        demo.sources = demo.sources.map((s) => ({ ...s, path: 'data/parts/*.csv', format: 'csv' }));
        return `${JSON.stringify(demo, null, 2)}\n`;
      })(),
    },
  });

  test('streams each file into one table, and shows the KPIs native DuckDB computes from the same rows', async ({ dashboard: page, workspace }) => {
    // The demo orders in three files by period, written by native DuckDB.
    const parts = path.join(workspace.dir, 'data', 'parts');
    mkdirSync(parts, { recursive: true });
    const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const periods = [
        ['2024-h1.csv', "order_ts < TIMESTAMP '2024-07-01'"],
        ['2024-h2.csv', "order_ts >= TIMESTAMP '2024-07-01' AND order_ts < TIMESTAMP '2025-01-01'"],
        ['2025.csv', "order_ts >= TIMESTAMP '2025-01-01' OR order_ts IS NULL"],
      ];
      for (const [file, where] of periods) await conn.run(`COPY (SELECT * FROM read_parquet(${quote(DEMO_PARQUET)}) WHERE ${where}) TO ${quote(path.join(parts, file as string))} (HEADER)`);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    await page.open();
    await page.waitUntilDrawn();
    await expectNativeKpis(page, DEMO_PARQUET);
    // The first file makes the table; the others are inserted, each piece named after its file.
    const statements = await sqlSeen(page.page);
    expect(statements.filter((sql) => sql.startsWith('CREATE OR REPLACE TABLE "ds_raw_orders (loading '))).toEqual([expect.stringMatching(/read_csv_auto\('northstar-csv-[0-9a-f-]+\/0\/2024-h1\.csv'\)$/)]);
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO "ds_raw_orders (loading ')).map((sql) => /\/\d+\/([\w-]+\.csv)'/.exec(sql)?.[1])).toEqual(['2024-h2.csv', '2025.csv']);
    const sources = new SourcesPage(page.page);
    await sources.open();
    const [rows] = await queryNative(DEMO_PARQUET, 'SELECT count(*) AS n FROM orders');
    expect(await sources.rowCount('orders')).toBe(Number(rows?.n));
  });
});
