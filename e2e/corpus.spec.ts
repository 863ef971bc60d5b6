// The Apache parquet-testing corpus opened in the real app: every file is a source of a dashboard
// (read through the data gateway by DuckDB-WASM in Chromium), in batches. Each file must either load
// (its row count equal to what `northstar inspect` counts on the Node build) or fail with the same
// clear words `inspect` uses; a crashed engine or a dashboard that never finishes fails the test.
// After each batch a last dataset (the demo orders) must still load and the Data sources dialog must
// open: the app survived what came before.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures/app';
import { EXAMPLES, DEMO_FILE } from './fixtures/app';
import { InspectSession, type InspectOutcome } from '../cli/commands/inspect';

const CORPUS = path.resolve(EXAMPLES, '../../../shared/data/parquet-testing');
const FILES = corpusFiles();

/** Every data file of the corpus (docs and generator scripts left out), as inspect.test.ts lists them. */
function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!/\.(md|py|yaml|txt)$|^LICENSE/.test(name)) out.push(path.relative(CORPUS, full));
    }
  };
  walk(path.join(CORPUS, 'data'));
  walk(path.join(CORPUS, 'bad_data'));
  return out;
}
const BATCHES = 4;
const batchOf = (b: number) => FILES.filter((_, i) => i % BATCHES === b);

/** A dashboard with one source, dataset and row-count KPI per file, then the demo orders as a sentinel. */
function corpusDashboard(files: readonly string[], batch: number): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown> & { sources: unknown[]; datasets: { name: string }[]; panels: { id: string }[] };
  const ordersDataset = demo.datasets.find((d) => d.name === 'orders');
  const ordersKpi = demo.panels.find((p) => p.id === 'kpi_orders');
  const panels = [...files.map((_, i) => ({ id: `k${i}`, kind: 'kpi', title: `file ${i}`, dataset: `d${i}`, measure: 'rows', comparison: 'none' })), ordersKpi];
  return JSON.stringify({
    ...demo,
    id: `00000000-0000-4000-8000-0000000c0${String(batch).padStart(3, '0')}`,
    title: `Corpus batch ${batch + 1}`,
    checks: [],
    corrections: [],
    views: [],
    filters: [],
    sources: [...files.map((f, i) => ({ name: `s${i}`, kind: 'file', format: formatOf(f), path: `data/corpus/${flatName(f)}` })), ...demo.sources],
    datasets: [...files.map((_, i) => ({ name: `d${i}`, kind: 'table', source: `s${i}`, measures: [{ name: 'rows', agg: 'count', format: 'integer' }] })), ordersDataset],
    panels,
    layout: panels.map((p, i) => ({ panel: (p as { id: string }).id, x: (i % 6) * 2, y: Math.floor(i / 6) * 2, w: 2, h: 2 })),
  });
}

const flatName = (file: string) => file.replaceAll('/', '__');
// What an author would declare: the corpus holds a few CSV and JSON files next to the Parquet ones.
const formatOf = (file: string) => (file.endsWith('.csv') ? 'csv' : file.endsWith('.json') ? 'json' : 'parquet');

const tally = { total: 0, open: 0, clearFailure: 0, crash: 0, hang: 0 };
let expected: Map<string, InspectOutcome> | null = null;

/** What `northstar inspect` says about each file, computed once on the Node build of the same engine. */
async function inspectAll(): Promise<Map<string, InspectOutcome>> {
  if (expected) return expected;
  const session = new InspectSession();
  const out = new Map<string, InspectOutcome>();
  for (const file of FILES) out.set(file, await session.inspect(path.join(CORPUS, file), { timeoutMs: 20_000 }));
  session.close();
  return (expected = out);
}

test.afterAll(() => {
  console.log(`parquet-testing corpus in the app: ${JSON.stringify(tally)}`);
});

for (let batch = 0; batch < BATCHES; batch += 1) {
  test.describe(`corpus batch ${batch + 1} of ${BATCHES}`, () => {
    test.use({ openFile: `corpus-${batch}.dashboard.json`, extraFiles: { [`corpus-${batch}.dashboard.json`]: corpusDashboard(batchOf(batch), batch) } });

    test('every file loads or fails clearly, and the app stays responsive', async ({ dashboard, workspace, page, consoleLog }) => {
      test.setTimeout(150_000);
      // The engine's worker logs nothing for a refused file, but Chromium reports a gateway 4xx/5xx.
      consoleLog.allow(/Failed to load resource/);
      const files = batchOf(batch);
      mkdirSync(path.join(workspace.dir, 'data', 'corpus'), { recursive: true });
      for (const f of files) copyFileSync(path.join(CORPUS, f), path.join(workspace.dir, 'data', 'corpus', flatName(f)));
      const oracle = await inspectAll();

      await dashboard.open();
      let drawn = true;
      try {
        await dashboard.waitUntilDrawn();
      } catch {
        drawn = false;
      }
      const mismatches: string[] = [];
      await page.getByRole('button', { name: /^Data sources/ }).click();
      for (const [i, file] of files.entries()) {
        tally.total += 1;
        if (!drawn) {
          tally.hang += 1;
          continue;
        }
        const panel = dashboard.panel(`k${i}`);
        const want = oracle.get(file) as InspectOutcome;
        // A file without rows opens too: its KPI shows the "No rows in dataset" empty state, not 0.
        const noRows = (await panel.getByTestId('empty-panel').count()) > 0;
        const value = noRows ? '0' : await panel.locator('.kpi-value').getAttribute('data-value', { timeout: 1000 }).catch(() => null);
        if (value !== null && value !== '') {
          tally.open += 1;
          if (!want.ok || want.info.rows !== Number(value)) mismatches.push(`${file}: app counts ${value} rows, inspect says ${JSON.stringify(want.ok ? want.info.rows : want.message)}`);
          continue;
        }
        const sourceMessage = (await page.locator(`[data-source="s${i}"]`).innerText()).replace(/\s+/g, ' ');
        if (/stopped unexpectedly|crashed/i.test(sourceMessage)) {
          tally.crash += 1;
          mismatches.push(`${file}: the engine crashed: ${sourceMessage}`);
        } else {
          tally.clearFailure += 1;
          // The app says what inspect says: both go through queries/engine/read-errors.ts.
          if (want.ok) mismatches.push(`${file}: the app failed (${sourceMessage}) but inspect opens it`);
          // inspect looks at the bytes first and may say more ("a binary file that is not Parquet").
          else if (!sourceMessage.includes(want.message) && !(want.kind === 'notParquet' && sourceMessage.includes('not a Parquet file'))) mismatches.push(`${file}: app says "${sourceMessage}", inspect says "${want.message}"`);
        }
      }
      expect(drawn, 'the dashboard finished drawing').toBe(true);
      // Responsive after the whole batch: the sentinel dataset, read last, loaded on the same engine.
      await page.keyboard.press('Escape');
      expect(await dashboard.kpiValue('kpi_orders')).toBeGreaterThan(0);
      expect(mismatches).toEqual([]);
    });
  });
}
