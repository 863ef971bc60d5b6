// npx tsx bench/capacity.ts [--sizes 5000000,10000000,...] [--budget default|off|BYTES] [--max-minutes M]
//                          [--dedupe] [--renderer DIR] [--chromium PATH] [--json FILE]
//
// The largest demo-orders row count that loads into DuckDB-WASM memory, found through the real app
// path: the browser host serves the demo dashboard over a local copy of N orders, headless Chromium
// opens it, and the renderer loads the dataset as it would for a user. Sizes are tried in the given
// order (doubling by default) until one does not load in memory, then bisected in steps of the 5M
// base file. Each attempt records what the user sees: the panels drawn, the scan-mode notice, or the
// error and whether the app recovered (never a blank page), the renderer's peak RSS, and a screenshot.
//
// Data above 5M rows is made from the cached 5M file with native DuckDB (K copies, order ids shifted
// so they stay unique), not with the slow generator; files are kept in bench/.cache (git-ignored).
import { existsSync, linkSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Page } from '@playwright/test';
import { startBrowserHost } from '../electron/browser-host/server';
import { DEFAULT_MEMORY_BUDGET_BYTES } from '../queries/dashboard-runner';
import { parseParquetFooter } from '../queries/engine/prefetch';
import { loadedMemoryBytes } from '../queries/memory-estimate';
import { str, Sql } from '../queries/sql';
import { BenchBrowser, waitForChecks } from './browser';
import { BENCH_DIR, CACHE_DIR, ensureOrders } from './data';

const DEMO = path.resolve(BENCH_DIR, '..', 'dashboards', 'examples', 'customer-kpis.dashboard.json');
const BASE_ROWS = 5_000_000;
// Shifts each copy's order ids past every id of the base file, so "order_id" stays a unique key.
const ORDER_ID_STRIDE = 1_000_000_000;
const DEFAULT_SIZES = [5, 10, 20, 40, 80].map((m) => m * 1_000_000);

type Outcome = 'in memory' | 'fetched bytes only' | 'scan mode' | 'failed';

interface Attempt {
  rows: number;
  file_bytes: number;
  /** What the app estimates the load needs (Parquet footers; few-valued text columns as ENUMs). */
  estimate_bytes: number;
  outcome: Outcome;
  /** Navigation → every panel drawn (from the fetched bytes, for data in memory). */
  open_ms: number;
  /** Navigation → the in-memory table built (or not) and the checks shown: what the peak RSS covers. */
  settled_ms: number;
  peak_renderer_rss_mb: number | null;
  /** The renderer's RSS once settled: what the page keeps holding (an engine that ran out of memory is started again, giving its memory back). */
  settled_renderer_rss_mb: number | null;
  /** Engine starts in the page: more than one when the engine was started again (out of memory, a crash). */
  engine_starts: number;
  /** Panels by their final state. */
  panels: Record<string, number>;
  /** What the page says: the scan-mode notice, banners, the first panel error. */
  messages: string[];
  /** The page still shows the dashboard (title and panels), not a blank or crashed page. */
  app_alive: boolean;
  screenshot: string;
}

interface Args {
  sizes: number[];
  budget: number | undefined;
  budgetLabel: string;
  maxMinutes: number;
  /** The demo with the correction its duplicate-id check proposes ("keep one row per order_id"). */
  dedupe: boolean;
  json?: string;
  rendererDir?: string;
  chromium: string;
}

class UsageError extends Error {}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      budget: { type: 'string', default: 'default' },
      'max-minutes': { type: 'string', default: '10' },
      dedupe: { type: 'boolean', default: false },
      json: { type: 'string' },
      renderer: { type: 'string' },
      chromium: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npx tsx bench/capacity.ts [--sizes N,N,...] [--budget default|off|BYTES] [--max-minutes M] [--dedupe] [--json FILE]\n');
    process.exit(0);
  }
  const sizes = values.sizes === undefined ? DEFAULT_SIZES : values.sizes.split(',').map((s) => s.trim());
  const parsed = sizes.map((s) => {
    if (typeof s === 'number') return s;
    if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`--sizes takes positive row counts separated by commas, got ${JSON.stringify(s)}`);
    const n = Number(s);
    if (n > BASE_ROWS && n % BASE_ROWS !== 0) throw new UsageError(`sizes above ${BASE_ROWS} must be multiples of it (they are copies of the ${BASE_ROWS}-row file), got ${n}`);
    return n;
  });
  let budget: number | undefined;
  let budgetLabel: string;
  if (values.budget === 'default') {
    budget = undefined;
    budgetLabel = `the app's default (${(DEFAULT_MEMORY_BUDGET_BYTES / 1024 ** 3).toFixed(1)} GiB)`;
  } else if (values.budget === 'off') {
    // Far above anything wasm32 can hold: every dataset is loaded, so the real limit shows.
    budget = 2 ** 50;
    budgetLabel = 'off (every dataset is loaded into memory)';
  } else if (/^\d+$/.test(values.budget)) {
    budget = Number(values.budget);
    budgetLabel = `${budget} bytes`;
  } else {
    throw new UsageError(`--budget must be default, off or a number of bytes, got ${JSON.stringify(values.budget)}`);
  }
  const maxMinutes = Number(values['max-minutes']);
  if (!(maxMinutes > 0)) throw new UsageError(`--max-minutes must be a positive number, got ${JSON.stringify(values['max-minutes'])}`);
  const rendererDir = values.renderer ?? process.env.NORTHSTAR_RENDERER_DIR;
  return {
    sizes: [...new Set(parsed)].sort((a, b) => a - b),
    budget,
    budgetLabel,
    maxMinutes,
    dedupe: values.dedupe,
    ...(values.json ? { json: path.resolve(values.json) } : {}),
    ...(rendererDir ? { rendererDir: path.resolve(rendererDir) } : {}),
    chromium: values.chromium ?? process.env.NORTHSTAR_CHROMIUM ?? '/usr/bin/chromium',
  };
}

const log = (line: string) => process.stderr.write(`capacity: ${line}\n`);

/** The orders file with `rows` rows: generated (≤ 5M) or made of copies of the 5M file. */
async function ordersFile(rows: number): Promise<{ path: string; bytes: number }> {
  if (rows <= BASE_ROWS) return ensureOrders(rows, log);
  const file = path.join(CACHE_DIR, `orders-${rows}.parquet`);
  if (!existsSync(file)) {
    const base = await ensureOrders(BASE_ROWS, log);
    const copies = rows / BASE_ROWS;
    log(`making ${rows} orders from ${copies} copies of the ${BASE_ROWS}-row file (native DuckDB)…`);
    const temp = `${file}.tmp-${process.pid}`;
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const conn = await instance.connect();
    try {
      // Copy k shifts order_id by k × stride; everything else repeats (the same days, customers, amounts).
      const sql = Sql.concat(
        'COPY (SELECT o.* REPLACE (o."order_id" + r."k" * ', String(ORDER_ID_STRIDE), ' AS "order_id") FROM read_parquet(', str(base.path), ') AS o, ',
        '(SELECT range AS "k" FROM range(', String(copies), ')) AS r) TO ', str(temp), ' (FORMAT PARQUET, COMPRESSION ZSTD)',
      );
      await conn.run(sql.text);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    renameSync(temp, file);
  }
  return { path: file, bytes: statSync(file).size };
}

/**
 * The app's own estimate of the memory a load needs, as its scan-mode decision makes it for a
 * fetched file: from the footer, with the few-valued text columns at their ENUM width.
 */
async function estimateBytes(file: string): Promise<number> {
  const { size } = statSync(file);
  const handle = await open(file, 'r');
  try {
    const tail = Buffer.alloc(Math.min(size, 1024 * 1024));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const footer = parseParquetFooter(new Uint8Array(tail), size);
    return loadedMemoryBytes(footer.chunks, footer.numRows);
  } finally {
    await handle.close();
  }
}

/** Open the demo dashboard over `file` in a fresh host and browser; report what the user sees. */
async function attempt(args: Args, rows: number, file: { path: string; bytes: number }, browser: BenchBrowser, shots: string): Promise<Attempt> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'northstar-capacity-'));
  const workspace = path.join(root, 'dashboards');
  mkdirSync(path.join(workspace, 'data'), { recursive: true });
  mkdirSync(path.join(root, 'home'));
  const data = path.join(workspace, 'data', 'orders.parquet');
  try {
    // A hard link is instant and the gateway sees a regular file inside the dashboard's folder.
    linkSync(file.path, data);
  } catch {
    copyFileSync(file.path, data);
  }
  const dashboardPath = path.join(workspace, 'capacity.dashboard.json');
  const demo = JSON.parse(readFileSync(DEMO, 'utf8')) as { corrections?: unknown[] };
  if (args.dedupe) {
    // What the duplicate-id check's "Drop duplicate rows of `order_id`, keep one" adds to the file.
    const dedupe = { id: 'dedupe_orders', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'capacity --dedupe', author: 'bench' };
    demo.corrections = [...(demo.corrections ?? []), dedupe];
  }
  writeFileSync(dashboardPath, `${JSON.stringify(demo, null, 2)}\n`);
  const host = await startBrowserHost({
    appVersion: 'capacity',
    dashboardPath,
    homeDir: path.join(root, 'home'),
    ...(args.rendererDir ? { rendererDir: args.rendererDir } : {}),
    ...(args.budget !== undefined ? { memoryBudgetBytes: args.budget } : {}),
  });
  const page = await browser.newPage();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, browser.rendererRssMb() ?? 0);
  }, 250);
  try {
    const started = Date.now();
    await page.goto(host.url);
    // Done when the first run's panels are all drawn (ready or failed) or the dataset failed.
    await page.waitForFunction(
      () => Number(document.documentElement.dataset.runId ?? 0) >= 1 || document.querySelector('[data-panel-id][data-state="error"]') !== null,
      null,
      { timeout: args.maxMinutes * 60_000, polling: 100 },
    );
    // A failed load may still be settling (the engine restarting): wait for every panel to settle.
    await page
      .waitForFunction(() => [...document.querySelectorAll('[data-panel-id]')].every((el) => ['ready', 'error', 'empty'].includes(el.getAttribute('data-state') ?? '')), null, {
        timeout: 120_000,
        polling: 200,
      })
      .catch(() => {});
    const openMs = Date.now() - started;
    let seen = await describePage(page);
    let tableBuilt = false;
    if (!seen.scan && (seen.panels.error ?? 0) === 0) {
      // Panels draw from the fetched bytes before the in-memory table is built (queries/bytes-first.ts):
      // "in memory" means that build finished (its swap ran). It runs before the checks, so once they
      // are shown without a swap, the table did not fit and the panels read the fetched bytes.
      await waitForChecks(page).catch(() => null);
      tableBuilt = await page.evaluate(() =>
        performance.getEntriesByName('northstar:sql').some((e) => /^DROP VIEW IF EXISTS .*; ALTER TABLE .* RENAME TO /.test(String(((e as PerformanceMeasure).detail as { sql?: unknown } | null)?.sql ?? ''))),
      );
      seen = await describePage(page);
    } else if (seen.scan) {
      // Scan mode builds no table, but its checks read the files too: settled once they are shown.
      await waitForChecks(page).catch(() => null);
    }
    const settledMs = Date.now() - started;
    const settledRss = browser.rendererRssMb();
    const engineStarts = await page.evaluate(() => performance.getEntriesByName('northstar:engine-start').length);
    peak = Math.max(peak, settledRss ?? 0);
    const outcome: Outcome = seen.scan ? 'scan mode' : (seen.panels.error ?? 0) === 0 && (seen.panels.ready ?? 0) > 0 ? (tableBuilt ? 'in memory' : 'fetched bytes only') : 'failed';
    const screenshot = path.join(shots, `capacity-${rows}${args.dedupe ? '-dedupe' : ''}-${outcome.replace(' ', '-')}.png`);
    await page.screenshot({ path: screenshot });
    return {
      rows,
      file_bytes: file.bytes,
      estimate_bytes: await estimateBytes(file.path),
      outcome,
      open_ms: openMs,
      settled_ms: settledMs,
      peak_renderer_rss_mb: peak > 0 ? Math.round(peak) : null,
      settled_renderer_rss_mb: settledRss === null ? null : Math.round(settledRss),
      engine_starts: engineStarts,
      panels: seen.panels,
      messages: seen.messages,
      app_alive: seen.alive,
      screenshot,
    };
  } finally {
    clearInterval(sampler);
    await page.context().close().catch(() => {});
    await host.close().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}

// A string, not a function: tsx would wrap named inner functions in a helper the page does not have.
const DESCRIBE_PAGE = `(() => {
  const panels = {};
  for (const el of document.querySelectorAll('[data-panel-id]')) {
    const state = el.getAttribute('data-state') || 'unknown';
    panels[state] = (panels[state] || 0) + 1;
  }
  const text = (el) => ((el && el.textContent) || '').replace(/\\s+/g, ' ').trim();
  const messages = [];
  const scan = document.querySelector('[data-testid="scan-mode"]');
  if (scan) messages.push(text(scan));
  for (const el of document.querySelectorAll('.banner, [data-testid="notice"]')) if (el !== scan && text(el)) messages.push(text(el));
  const failed = document.querySelector('[data-panel-id][data-state="error"]');
  if (failed) messages.push('panel ' + failed.getAttribute('data-panel-id') + ': ' + text(failed).slice(0, 400));
  const alive = document.querySelectorAll('[data-panel-id]').length > 0 && text(document.querySelector('h1')).length > 0;
  return { panels, messages: [...new Set(messages)], scan: scan !== null, alive };
})()`;

async function describePage(page: Page): Promise<{ panels: Record<string, number>; messages: string[]; scan: boolean; alive: boolean }> {
  return page.evaluate(DESCRIBE_PAGE) as Promise<{ panels: Record<string, number>; messages: string[]; scan: boolean; alive: boolean }>;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const started = performance.now();
  const shots = path.join(CACHE_DIR, 'capacity');
  mkdirSync(shots, { recursive: true });
  const browser = await BenchBrowser.launch(args.chromium);
  const attempts: Attempt[] = [];
  const tried = new Map<number, Attempt>();
  const run = async (rows: number): Promise<Attempt> => {
    const known = tried.get(rows);
    if (known) return known;
    const file = await ordersFile(rows);
    log(`${rows} orders (${(file.bytes / 1024 ** 2).toFixed(0)} MB Parquet)…`);
    const result = await attempt(args, rows, file, browser, shots);
    log(`  ${result.outcome}: drawn in ${(result.open_ms / 1000).toFixed(1)} s, settled in ${(result.settled_ms / 1000).toFixed(1)} s, peak renderer RSS ${result.peak_renderer_rss_mb ?? '?'} MB, settled ${result.settled_renderer_rss_mb ?? '?'} MB, engine started ${result.engine_starts}×${result.messages[0] ? `: ${result.messages[0].slice(0, 160)}` : ''}`);
    tried.set(rows, result);
    attempts.push(result);
    return result;
  };
  const overTime = () => (performance.now() - started) / 60_000 > args.maxMinutes;
  try {
    // Grow until a size does not load in memory, then bisect (in base-file steps) below it.
    let lastLoaded: number | null = null;
    let firstNot: number | null = null;
    for (const rows of args.sizes) {
      if (overTime()) break;
      const r = await run(rows);
      if (r.outcome === 'in memory') lastLoaded = rows;
      else {
        firstNot = rows;
        break;
      }
    }
    while (lastLoaded !== null && firstNot !== null && firstNot - lastLoaded > BASE_ROWS && !overTime()) {
      const mid = Math.round((lastLoaded + firstNot) / 2 / BASE_ROWS) * BASE_ROWS;
      if (mid <= lastLoaded || mid >= firstNot) break;
      const r = await run(mid);
      if (r.outcome === 'in memory') lastLoaded = mid;
      else firstNot = mid;
    }
    attempts.sort((a, b) => a.rows - b.rows);
    const report = {
      budget: args.budgetLabel,
      dedupe: args.dedupe,
      largest_in_memory: lastLoaded,
      smallest_not_in_memory: firstNot,
      attempts,
      wall_s: Math.round((performance.now() - started) / 100) / 10,
      load_avg_1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
    };
    process.stdout.write(formatCapacity(report));
    if (args.json) {
      writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`wrote ${args.json}`);
    }
  } finally {
    await browser.close().catch(() => {});
  }
}

function formatCapacity(r: { budget: string; dedupe: boolean; largest_in_memory: number | null; smallest_not_in_memory: number | null; attempts: Attempt[]; wall_s: number; load_avg_1m: number }): string {
  const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
  const lines = [`Northstar capacity: demo orders in DuckDB-WASM (headless Chromium, the app's own load)${r.dedupe ? ', corrected to one row per order_id' : ''}; memory budget ${r.budget}`, ''];
  lines.push(`${'rows'.padStart(11)}  ${'Parquet'.padStart(8)}  ${'estimate'.padStart(9)}  ${'outcome'.padEnd(18)}  ${'open s'.padStart(7)}  ${'settled s'.padStart(9)}  ${'peak RSS'.padStart(9)}  alive  what the page says`);
  for (const a of r.attempts) {
    lines.push(
      `${String(a.rows).padStart(11)}  ${mb(a.file_bytes).padStart(8)}  ${mb(a.estimate_bytes).padStart(9)}  ${a.outcome.padEnd(18)}  ${(a.open_ms / 1000).toFixed(1).padStart(7)}  ${(a.settled_ms / 1000).toFixed(1).padStart(9)}  ${(a.peak_renderer_rss_mb === null ? '?' : `${a.peak_renderer_rss_mb} MB`).padStart(9)}  ${a.app_alive ? 'yes' : 'NO '}    ${(a.messages[0] ?? '').slice(0, 140)}`,
    );
  }
  lines.push('');
  lines.push(`largest N loaded in memory: ${r.largest_in_memory ?? 'none of the sizes tried'}${r.smallest_not_in_memory ? ` (${r.smallest_not_in_memory} did not)` : ' (every size tried loaded)'}`);
  lines.push(`screenshots: ${path.relative(process.cwd(), path.join(CACHE_DIR, 'capacity'))}/capacity-N-OUTCOME.png; wall time ${r.wall_s} s; 1-minute load average ${r.load_avg_1m} (on ${os.cpus().length} cores)`);
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`capacity: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`capacity failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
