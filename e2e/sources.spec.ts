// Data sources, end to end: the demo orders split by year into three Parquet files in S3 (behind the
// SigV4-verifying front), read as one dataset through a glob typed into the dialog and checked against
// native DuckDB on the original file; and a second, local source added through "Add source…".
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { test, expect } from './fixtures/app';
import { startS3Fixture, type S3Fixture } from './fixtures/s3-fixture';
import { computeKpisNative, queryNative } from './oracle';
import { SourcesPage } from './pages/sources-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');
const LAST_DAYS = 30;
const KPI_PANELS = { kpi_revenue: 'revenue', kpi_orders: 'orders', kpi_aov: 'aov', kpi_active_customers: 'activeCustomers' } as const;

/** The demo orders as three files, by partition: 2024, and 2025 in two halves. */
const PARTS = [
  { key: 'orders/year=2024/part-0.parquet', where: 'year(order_ts) = 2024' },
  { key: 'orders/year=2025/part-0.parquet', where: 'year(order_ts) = 2025 AND month(order_ts) <= 6' },
  { key: 'orders/year=2025/part-1.parquet', where: 'year(order_ts) = 2025 AND month(order_ts) > 6' },
];

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Write the parts under `dir` with the same keys as in S3 (so native DuckDB sees the same hive layout). */
async function splitDemo(dir: string): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const files: string[] = [];
    for (const part of PARTS) {
      const file = path.join(dir, ...part.key.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      // Test-only SQL over fixed values: the oracle side shares no code with the app.
      await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(DEMO_PARQUET)}) WHERE ${part.where}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
      files.push(file);
    }
    return files;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

test.describe('an S3 glob over partitioned files', () => {
  let s3: S3Fixture;
  let scratch: string;
  let files: string[];

  test.beforeAll(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'northstar-parts-'));
    files = await splitDemo(scratch);
    s3 = await startS3Fixture({ accessKeyId: 'NORTHSTARPARTSKEY', secretAccessKey: 'northstar-parts-secret-0123456789', region: 'eu-central-1' });
    await s3.createBucket('lake');
    for (const [i, part] of PARTS.entries()) await s3.putFile('lake', part.key, files[i] as string);
    // Not matched by the glob: a marker file and a file one folder too high.
    await s3.putObject('lake', 'orders/year=2025/_SUCCESS', '');
    await s3.putFile('lake', 'orders/all.parquet', DEMO_PARQUET);
  });

  test.afterAll(async () => {
    await s3?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('reads three files as one dataset: the dialog lists them, the KPIs equal native DuckDB on the original', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const before = await dashboard.runId();
    const sources = new SourcesPage(page);
    await sources.open();

    await sources.pointAtS3('orders', {
      uri: 's3://lake/orders/*/*.parquet',
      endpoint: s3.endpoint,
      region: 'eu-central-1',
      keys: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await expect(sources.datasetStatus('orders')).toContainText('rows', { timeout: 90_000 });
    await expect(sources.datasetStatus('orders')).toContainText('s3://lake/orders/*/*.parquet');

    const native = await queryNative(DEMO_PARQUET, 'SELECT count(*) AS n FROM orders');
    // Read natively through the same glob over the same layout, DuckDB finds the hive partition
    // (year=...) in the paths and adds it as a column; the app's gateway URLs keep those folders.
    const described = await queryNative(path.join(scratch, 'orders', '*', '*.parquet'), 'SELECT column_name, column_type FROM (DESCRIBE orders)');
    expect(described.map((r) => r.column_name)).toContain('year');
    await expect.poll(() => sources.fileCount('orders')).toBe(3);
    expect(await sources.totalBytes('orders')).toBe(files.reduce((sum, f) => sum + statSync(f).size, 0));
    expect(await sources.rowCount('orders')).toBe(Number(native[0]?.n));
    expect(await sources.columns('orders')).toEqual(described.map((r) => [String(r.column_name), String(r.column_type)]));
    const sample = await sources.sampleRows('orders');
    expect(sample.header).toEqual(described.map((r) => String(r.column_name)));
    expect(sample.rows).toHaveLength(5);

    await sources.close();
    await dashboard.waitUntilDrawn(before + 1);
    const kpis = await computeKpisNative(DEMO_PARQUET, LAST_DAYS);
    for (const [panel, key] of Object.entries(KPI_PANELS)) {
      expect(await dashboard.kpiValue(panel), `${panel} current`).toBeCloseTo(kpis.current[key], 6);
      expect(await dashboard.kpiPrevious(panel), `${panel} previous`).toBeCloseTo(kpis.previous[key], 6);
    }
    // Every part was read from S3, through the verifying front.
    for (const part of PARTS) {
      expect(s3.requests.some((r) => r.method === 'GET' && decodeURIComponent(r.path).startsWith(`/lake/${part.key}`) && r.status === 206), part.key).toBe(true);
    }
    // ...and nothing outside the glob was read.
    expect(s3.requests.some((r) => (r.method === 'GET' || r.method === 'HEAD') && r.path.startsWith('/lake/orders/all.parquet'))).toBe(false);
  });

  test('a glob that matches nothing says so, naming the pattern', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const sources = new SourcesPage(page);
    await sources.open();
    await sources.pointAtS3('orders', {
      uri: 's3://lake/orders/year=2023/*.parquet',
      endpoint: s3.endpoint,
      region: 'eu-central-1',
      keys: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await expect(sources.datasetStatus('orders')).toContainText(`Data source "orders": No object matches s3://lake/orders/year=2023/*.parquet at ${s3.endpoint}.`);
    await sources.close();
    await expect(dashboard.panel('kpi_revenue')).toHaveAttribute('data-state', 'error');
    await expect(dashboard.panel('kpi_revenue')).toContainText('not found');
  });
});

test.describe('adding a source', () => {
  test.use({
    extraFiles: {
      'targets.csv': 'region,target,owner\nEurope,1200.5,ana\nNorth America,2200,bo\nAsia,1800.25,chen\nSouth America,640,dara\nAfrica,410.75,eli\nOceania,300,fay\n',
    },
  });

  test('"Add source…" adds a local CSV with a dataset of the same name: its files, columns and sample show; undo removes both', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const sources = new SourcesPage(page);
    await sources.open();

    const firstRun = await dashboard.runId();
    // Names are checked before anything is added.
    await sources.addSource({ name: 'orders', kind: 'file', path: 'targets.csv', format: 'csv' });
    await expect(sources.addFormErrors().first()).toContainText('"orders" is already the name of a data source');
    await sources.addSource({ name: '2targets', kind: 'file', path: 'targets.csv', format: 'csv' });
    await expect(sources.addFormErrors().first()).toContainText('must start with a letter or _');
    await expect(sources.row('2targets')).toHaveCount(0);

    await sources.addSource({ name: 'targets', kind: 'file', path: 'targets.csv', format: 'csv' });
    await expect(sources.addForm()).toBeHidden();
    await expect(sources.row('targets')).toBeVisible();
    await expect(sources.datasetStatus('targets')).toContainText('6 rows, 3 columns', { timeout: 60_000 });
    await expect.poll(() => sources.fileCount('targets')).toBe(1);
    expect(await sources.rowCount('targets')).toBe(6);
    expect(await sources.columns('targets')).toEqual([
      ['region', 'VARCHAR'],
      ['target', 'DOUBLE'],
      ['owner', 'VARCHAR'],
    ]);
    const sample = await sources.sampleRows('targets');
    expect(sample.header).toEqual(['region', 'target', 'owner']);
    expect(sample.rows).toEqual([
      ['Europe', '1200.50', 'ana'],
      ['North America', '2200', 'bo'],
      ['Asia', '1800.25', 'chen'],
      ['South America', '640', 'dara'],
      ['Africa', '410.75', 'eli'],
    ]);
    // The orders source still works next to it.
    await expect(sources.datasetStatus('orders')).toContainText('rows');

    // Refresh runs the whole dashboard again.
    await dashboard.waitUntilDrawn(firstRun + 1);
    await sources.refresh();
    await dashboard.waitUntilDrawn(firstRun + 2);
    await expect(sources.datasetStatus('targets')).toContainText('6 rows, 3 columns');

    // One edit added the source and its dataset; one undo takes both away.
    await sources.close();
    await page.keyboard.press('Control+z');
    await sources.open();
    await expect(sources.row('targets')).toHaveCount(0);
    await expect(sources.row('orders')).toBeVisible();
  });
});

test.describe('a URL source', () => {
  const CSV = 'region,target,owner\nEurope,1200.5,ana\nAsia,1800.25,chen\nAfrica,410.75,eli\n';
  let server: http.Server;
  let origin: string;
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];

  test.beforeAll(async () => {
    const body = Buffer.from(CSV);
    // A plain web server with byte ranges, as static file servers have.
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      if (req.url !== '/files/targets.csv') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('Accept-Ranges', 'bytes');
      const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (m) {
        const start = Number(m[1]);
        const end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
        res.statusCode = 206;
        res.setHeader('Content-Range', `bytes ${start}-${end}/${body.length}`);
        res.setHeader('Content-Length', String(end - start + 1));
        res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
        return;
      }
      res.setHeader('Content-Length', String(body.length));
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  test.afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  test('is read through the data gateway: exactly the declared URL, no cookies', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const sources = new SourcesPage(page);
    await sources.open();
    await sources.addSource({ name: 'web_targets', kind: 'url', url: `${origin}/files/targets.csv`, format: 'csv' });
    await expect(sources.datasetStatus('web_targets')).toContainText('3 rows, 3 columns', { timeout: 60_000 });
    await expect.poll(() => sources.fileCount('web_targets')).toBe(1);
    expect(await sources.totalBytes('web_targets')).toBe(Buffer.byteLength(CSV));
    expect((await sources.sampleRows('web_targets')).rows[1]).toEqual(['Asia', '1800.25', 'chen']);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.url === '/files/targets.csv')).toBe(true);
    expect(seen.every((r) => r.headers.cookie === undefined && r.headers.origin === undefined && r.headers.authorization === undefined)).toBe(true);
  });
});
