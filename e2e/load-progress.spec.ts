// A dataset's load shows how far it has got: the megabytes fetched of the total (its bytes come in a
// few large parallel reads), then the rows the engine reads. Cancel stops it (its fetches are aborted) and
// leaves a clear cancelled state; Run again loads it and shows the same numbers as native DuckDB.
// The source is on the s3 fixture with every object read delayed, so the load is slow enough to see.
import path from 'node:path';
import { test, expect, EXAMPLES } from './fixtures/app';
import { startS3Fixture, type S3Fixture } from './fixtures/s3-fixture';
import { SourcesPage } from './pages/sources-page';
import { queryNative } from './oracle';

const DEMO_PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');
const BUCKET = 'slow';
const KEY = 'orders/orders.parquet';

let s3: S3Fixture;

test.beforeAll(async () => {
  s3 = await startS3Fixture();
  await s3.createBucket(BUCKET);
  await s3.putFile(BUCKET, KEY, DEMO_PARQUET);
});
test.afterEach(() => s3.clearFaults());
test.afterAll(async () => {
  await s3?.stop();
});

test('a slow load shows megabytes and then rows, Cancel stops it, Run again loads it', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const before = await dashboard.runId();

  // Every read of the object's bytes answers 1.5 s late: the footer first, then the data.
  s3.injectFault({ object: { bucket: BUCKET, key: KEY }, method: 'GET', fault: { kind: 'delay', ms: 1500 } });
  const sources = new SourcesPage(page);
  await sources.open();
  await sources.pointAtS3('orders', { uri: `s3://${BUCKET}/${KEY}`, endpoint: s3.endpoint, region: s3.region, keys: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  await sources.close();

  const kpi = dashboard.panel('kpi_revenue');
  const progress = kpi.getByTestId('panel-progress');
  // The footer said how many bytes the load needs: the demo file is about 5 MB.
  await expect(progress).toContainText(/^Loading Orders: \d+\.\d of 5\.1 MB/);
  await page.screenshot({ path: test.info().outputPath('load-progress.png') });

  await progress.getByRole('button', { name: 'Cancel' }).click();
  await expect(kpi).toContainText('Cancelled — Run again');
  await expect(kpi.getByRole('alert')).toHaveCount(0);
  await expect(dashboard.panel('daily_revenue')).toContainText('Cancelled');

  // Run again, now fast: the panels draw, with the numbers native DuckDB computes from the same file.
  s3.clearFaults();
  await kpi.getByRole('button', { name: 'Run again' }).click();
  // Runs: pointing at S3 (cancelled, which takes a run id of its own), then Run again.
  await dashboard.waitUntilDrawn(before + 3);
  for (const id of ['kpi_revenue', 'daily_revenue', 'revenue_by_campaign', 'recent_orders']) await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
  const [native] = await queryNative(DEMO_PARQUET, 'SELECT count(*) AS n FROM orders');
  const sourcesAfter = new SourcesPage(page);
  await sourcesAfter.open();
  expect(await sourcesAfter.rowCount('orders')).toBe(Number(native?.n));
});
