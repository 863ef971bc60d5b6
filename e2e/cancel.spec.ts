// Long queries show what they do and for how long, and Cancel really stops them: the engine's
// worker is terminated, unfinished panels say "Cancelled", finished ones keep their results,
// and "Run again" runs the dashboard on a fresh engine.
import { readFileSync } from 'node:fs';
import { test, expect, EXAMPLES, DEMO_FILE } from './fixtures/app';

const FILE = 'slow.dashboard.json';
// ~8 s in DuckDB-WASM 1.28 (measured with the Node build): long enough to see progress and cancel.
const SLOW_SQL = 'SELECT sum(hash(range)) % 1000 AS n FROM range(300000000)';

function slowDashboard(): string {
  const demo = JSON.parse(readFileSync(`${EXAMPLES}/${DEMO_FILE}`, 'utf8')) as { datasets: unknown[]; panels: unknown[]; layout: unknown[] };
  return `${JSON.stringify(
    {
      ...demo,
      title: 'Slow',
      // The fast dataset comes first, so its panels are done before the slow one starts.
      datasets: [...demo.datasets, { name: 'slow', kind: 'sql', label: 'Slow numbers', sql: SLOW_SQL, measures: [{ name: 'total', agg: 'sum', column: 'n', format: 'integer' }], dimensions: [], hierarchies: [] }],
      panels: [...demo.panels, { id: 'kpi_slow', kind: 'kpi', title: 'Slow total', dataset: 'slow', measure: 'total', comparison: 'none' }],
      layout: [...demo.layout, { panel: 'kpi_slow', x: 0, y: 20, w: 3, h: 2 }],
    },
    null,
    2,
  )}\n`;
}

test.use({ openFile: FILE, extraFiles: { [FILE]: slowDashboard() } });

test('a slow dataset shows its progress, Cancel stops it, Run again starts over', async ({ dashboard, page, host, workspace, consoleLog }) => {
  // Cancel terminates the engine's worker; one caught reading the source over HTTP (the SQL
  // dataset's view of orders.parquet) logs its aborted request as it goes: bare, or inside a range
  // request's or a file read's error, with or without "FAIL WITH" (each seen in CI, when the Cancel
  // lands during a read).
  consoleLog.allow(
    /^(FAIL WITH: )?(Error: (Range request for|Reading file) http:\/\/127\.0\.0\.1:\d+\/\S*\/orders\.parquet failed with error: )?NetworkError: Failed to execute 'send' on 'XMLHttpRequest': Failed to load 'http:\/\/127\.0\.0\.1:\d+\/[^']*\/orders\.parquet'\."?$/,
  );
  // The workspace file has SQL, so it opens untrusted: trust it as the reader would.
  const opened = await host.services.openDashboard({ path: workspace.file(FILE) });
  if (opened.contentHash) await host.services.trustDashboard({ contentHash: opened.contentHash });

  await dashboard.open();
  const slow = dashboard.panel('kpi_slow');
  const progress = slow.getByTestId('panel-progress');
  await expect(progress).toContainText('Loading Slow numbers…');
  await expect(progress).toContainText(/… [1-9]\d* s/); // the seconds count up
  await expect(progress).toContainText(/from .*data\/orders\.parquet/); // the SQL reads the declared source
  for (const id of ['kpi_revenue', 'revenue_by_campaign', 'recent_orders']) await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');

  const clicked = Date.now();
  await progress.getByRole('button', { name: 'Cancel' }).click();
  await expect(slow).toContainText('Cancelled — Run again');
  console.log(`cancel took effect in ${Date.now() - clicked} ms`);
  await expect(slow.getByRole('alert')).toHaveCount(0);
  // The finished panels keep their results.
  for (const id of ['kpi_revenue', 'revenue_by_campaign', 'recent_orders']) await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
  await expect(page.getByText(/WebAssembly|RuntimeError/)).toHaveCount(0);

  // Run again: a fresh engine loads the data again (the old one's tables went with its worker).
  await slow.getByRole('button', { name: 'Run again' }).click();
  await expect(slow.getByTestId('panel-progress')).toBeVisible();
  for (const id of ['kpi_revenue', 'revenue_by_campaign', 'recent_orders']) await expect(dashboard.panel(id)).toHaveAttribute('data-state', 'ready');
  const firstValue = await dashboard.kpiValue('kpi_revenue');
  expect(firstValue).toBeGreaterThan(0);
  await slow.getByRole('button', { name: 'Cancel' }).click();
  await expect(slow).toContainText('Cancelled');
  await expect(page.getByText(/WebAssembly|RuntimeError/)).toHaveCount(0);
});
