// npm run bench -- --rows N [--latency-ms L] [--json FILE] [--renderer DIR] [--chromium PATH] [--profile FILE]
//
// Opens the demo dashboard over N generated orders served from a local S3 (s3rver behind a
// SigV4-verifying front) through the data gateway, in the real renderer in headless Chromium, and
// runs the same statements on native DuckDB (2 threads) over the local file. Prints a table and
// optionally writes JSON. A measurement, not a test: it fails only when something does not work.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile } from '../dashboards/schema';
import { projectedColumns } from '../queries/projection';
import { startBrowserHost } from '../electron/browser-host/server';
import { BENCH_DIR, CACHE_DIR, ensureOrders, trustDashboard } from './data';
import { startRemoteS3 } from './remote-s3';
import { columnChunkBytes, runNative, type NativeRun } from './native';
import { BenchBrowser, clickBarAction, describeLongTasks, interact, longTasksSince, now, openDashboard, settle, statementsSince, waitForChecks, type InteractionResult, type SqlEntry } from './browser';
import { formatReport, percentile, type BenchReport, type Step } from './report';

const DEMO = path.resolve(BENCH_DIR, '..', 'dashboards', 'examples', 'customer-kpis.dashboard.json');
const BUCKET = 'bench';
const KEY = 'orders/orders.parquet';
const INTERACTIONS = 20;

interface Args {
  rows: number;
  latencyMs: number;
  json?: string;
  rendererDir?: string;
  chromium: string;
  /** Write a CPU profile of the page's main thread over the interactions (Chrome DevTools format). */
  profile?: string;
  /** The app computes the charts' next clicks while idle (its default); off measures every click on the engine. */
  nextClicks: boolean;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
      json: { type: 'string' },
      renderer: { type: 'string' },
      chromium: { type: 'string' },
      profile: { type: 'string' },
      'next-clicks': { type: 'string', default: 'on' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm run bench -- --rows N [--latency-ms L] [--json FILE] [--renderer DIR] [--chromium PATH] [--profile FILE] [--next-clicks on|off]\n');
    process.exit(0);
  }
  if (values.rows === undefined) throw new UsageError('--rows N is required (e.g. --rows 200000)');
  if (!/^\d+$/.test(values.rows) || Number(values.rows) < 1) throw new UsageError(`--rows must be a positive integer, got ${JSON.stringify(values.rows)}`);
  const nextClicks = values['next-clicks'];
  if (nextClicks !== 'on' && nextClicks !== 'off') throw new UsageError(`--next-clicks must be on or off, got ${JSON.stringify(nextClicks)}`);
  const latency = values['latency-ms'];
  if (!/^\d+$/.test(latency) || Number(latency) > 10_000) throw new UsageError(`--latency-ms must be an integer from 0 to 10000, got ${JSON.stringify(latency)}`);
  return {
    rows: Number(values.rows),
    latencyMs: Number(latency),
    ...(values.json ? { json: path.resolve(values.json) } : {}),
    ...((values.renderer ?? process.env.NORTHSTAR_RENDERER_DIR) ? { rendererDir: path.resolve((values.renderer ?? process.env.NORTHSTAR_RENDERER_DIR) as string) } : {}),
    chromium: values.chromium ?? process.env.NORTHSTAR_CHROMIUM ?? '/usr/bin/chromium',
    ...(values.profile ? { profile: path.resolve(values.profile) } : {}),
    nextClicks: nextClicks === 'on',
  };
}

class UsageError extends Error {}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** The demo dashboard, reading its one source from the fixture's S3 instead of the bundled file. */
function benchDashboard(endpoint: string, region: string): DashboardFile {
  const loaded = loadDashboard(readFileSync(DEMO, 'utf8'));
  if (!loaded.ok) throw new Error(`The demo dashboard does not load: ${loaded.error.message}`);
  const doc = loaded.dashboard;
  if (doc.sources.length !== 1) throw new Error(`The bench expects the demo dashboard to have one source, it has ${doc.sources.length}`);
  const name = (doc.sources[0] as { name: string }).name;
  return {
    ...doc,
    sources: [{ kind: 's3', name, uri: `s3://${BUCKET}/${KEY}`, endpoint, region, pathStyle: true, format: 'parquet' }],
  };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const totalStarted = performance.now();
  const file = await ensureOrders(args.rows, log);

  // The S3 fixture and the latency proxy stand in for a remote service: a process of their own at
  // the lowest CPU priority (remote-s3.ts).
  const s3 = await startRemoteS3({ latencyMs: args.latencyMs });
  const root = mkdtempSync(path.join(os.tmpdir(), 'northstar-bench-'));
  let browser: BenchBrowser | null = null;
  let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
  try {
    await s3.createBucket(BUCKET);
    await s3.putFile(BUCKET, KEY, file.path);
    const endpoint = s3.endpoint;
    if (!s3.lowPriority) log("note: the bench's S3 process could not lower its CPU priority; it competes with the app");

    // The host resolves S3 credentials through the standard AWS chain; the environment comes first.
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const dashboard = benchDashboard(endpoint, s3.region);
    const workspace = path.join(root, 'dashboards');
    const home = path.join(root, 'home');
    mkdirSync(workspace, { recursive: true });
    mkdirSync(home, { recursive: true });
    const dashboardPath = path.join(workspace, 'bench.dashboard.json');
    writeFileSync(dashboardPath, `${JSON.stringify(dashboard, null, 2)}\n`);

    // What the dashboard needs of the file: the column chunks of the columns it loads.
    const allColumns = (await columnChunkBytes(file.path, null)).columns;
    const dataset = dashboard.datasets[0];
    const projected = dataset ? projectedColumns(dashboard, dataset, allColumns) : null;
    const needed = await columnChunkBytes(file.path, projected);

    log(`native DuckDB (2 threads) on ${path.relative(process.cwd(), file.path)}…`);
    const native = await runNative(benchDashboard('http://unused.invalid', s3.region), file.path);

    // The bench's user trusts their own dashboard (as one they saved is), so its source is read
    // unasked and probed while the browser starts (host-services.ts probeAhead).
    await trustDashboard(home, dashboardPath);
    // The cold open's S3 requests are counted from here: that probe is one of them.
    await s3.clearRequests();
    host = await startBrowserHost({
      appVersion: 'bench',
      dashboardPath,
      homeDir: home,
      ...(args.rendererDir ? { rendererDir: args.rendererDir } : {}),
    });
    browser = await BenchBrowser.launch(args.chromium, { nextClicks: args.nextClicks });

    log(`cold open in Chromium (S3 at ${endpoint}${args.latencyMs ? `, +${args.latencyMs} ms per request` : ''})…`);
    const page = await browser.newPage();
    const cold = await openDashboard(page, host.url);
    const checksMs = await waitForChecks(page);
    // The load goes on after the first paint (the in-memory table, then the checks and their marks on
    // the charts): its long tasks up to the checks' marks, apart from the open's.
    const afterOpen = await settle(page);
    const coldRest = await longTasksSince(page, cold.openMs, afterOpen);
    const coldDescribed = await describeLongTasks(page, 0, afterOpen);
    // The panels draw from the fetched bytes; the in-memory table is built after them (queries/bytes-first.ts),
    // so its statement is among those that ran by the time the checks (which wait for it) are shown.
    const openedStatements = await statementsSince(page, 0);
    const tableBuild = openedStatements.find((x) => x.sql.startsWith('CREATE OR REPLACE TABLE'));
    const coldS3 = s3Totals(await s3.requests());
    let rssMb = browser.rendererRssMb() ?? 0;

    log(`${INTERACTIONS} interactions…`);
    // Where the main thread's time goes during the clicks (open the file in DevTools' Performance panel).
    const cdp = args.profile ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
      await cdp.send('Profiler.start');
    }
    const interactions = await runInteractions(page, native).catch(async (err: unknown) => {
      const shot = path.join(CACHE_DIR, 'interaction-failure.png');
      await page.screenshot({ path: shot }).catch(() => {});
      log(`the page at the failure: ${shot}`);
      throw err;
    });
    const queryLongTasks = await longTasksSince(page, afterOpen);
    const queryDescribed = await describeLongTasks(page, afterOpen);
    if (cdp && args.profile) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(args.profile, JSON.stringify(profile));
      log(`wrote the interactions' CPU profile to ${args.profile}`);
    }
    rssMb = Math.max(rssMb, browser.rendererRssMb() ?? 0);

    // Coming back to the opening state, the result cache answers the panels: their SQL never reaches
    // the engine again. "Reload data" loads the table anew (a new data version, bytes from the
    // gateway's disk cache) and sends every panel's SQL again to the now warm engine: the warm
    // per-panel times are that second execution.
    log('reload data (each panel\'s SQL a second time, on the warm engine)…');
    const beforeReload = await now(page);
    const reload = await interact(page, 'reload data', () => paletteCommand(page, 'Reload data'));
    const reloadStatements = (await statementsSince(page, beforeReload)).filter((x) => !x.ahead);

    // Re-opening the app: same host (its gateway disk cache) and same browser profile (HTTP cache,
    // compiled wasm), but a new page, so a new engine that loads the data again.
    log('warm re-open (new page, same host and profile)…');
    const warmStart = (await s3.requests()).length;
    const warmPage = await browser.newPage(page);
    await page.close();
    const warm = await openDashboard(warmPage, host.url);
    // Drawn is not loaded: panels drawn from stored results say "Updating…" until the engine, having
    // loaded the data, answers them. Both times are reported.
    const fromStore = await warmPage.evaluate(() => Number(((performance.getEntriesByName('northstar:stored-results')[0] as PerformanceMark | undefined)?.detail as { results?: unknown } | null)?.results ?? 0));
    const warmMarks = await warmPage.evaluate(() =>
      ['northstar:ui-boot', 'northstar:open-start', 'northstar:stored-results', 'northstar:engine-released', 'northstar:engine-start', 'northstar:prefetch', 'northstar:all-panels-drawn'].map((name) => {
        const e = performance.getEntriesByName(name)[0];
        return e ? `${name.replace('northstar:', '')} ${Math.round(e.startTime)}${e.duration ? `–${Math.round(e.startTime + e.duration)}` : ''} ms` : `${name.replace('northstar:', '')} —`;
      }),
    );
    const warmTasks = await warmPage.evaluate(() => (window as unknown as { __bench: { longTasks: { start: number; ms: number }[] } }).__bench.longTasks.map((t) => `${Math.round(t.start)}+${Math.round(t.ms)}`));
    log(`  warm open timeline: ${warmMarks.join(', ')}; long tasks (start+ms): ${warmTasks.join(' ')}`);
    const warmLive = (await (await warmPage.waitForFunction(() => (document.querySelector('[data-testid="panel-updating"]') ? 0 : performance.now()), null, { timeout: 600_000, polling: 'raf' })).jsonValue()) as number;
    const warmS3 = s3Totals((await s3.requests()).slice(warmStart));
    // Its load goes on after all drawn (since session 18 counted apart, as the other opens'): the
    // engine's start, the data loaded again, every panel answered live, the checks and their marks.
    await waitForChecks(warmPage);
    const warmEnd = await settle(warmPage);
    const warmRest = await longTasksSince(warmPage, warm.openMs, warmEnd);
    const warmDescribed = await describeLongTasks(warmPage, 0, warmEnd);

    // A cold open of the data in a profile that has run the app: the host's caches cleared (the
    // app's "Clear data cache": gateway blocks and stored results), the profile's HTTP and code
    // caches kept, as on any launch of the desktop app after its first, on data it has not read.
    // The cold open above is the app's first launch (a fresh profile: DuckDB's wasm compiled).
    log('cold data re-open (host caches cleared, same profile)…');
    await host.services.clearCache();
    const againStart = (await s3.requests()).length;
    const againPage = await browser.newPage(warmPage);
    await warmPage.close();
    const again = await openDashboard(againPage, host.url);
    // Bytes counted once the load is whole (the panels may draw from the newest row groups first).
    await waitForChecks(againPage);
    const againEnd = await settle(againPage);
    const againRest = await longTasksSince(againPage, again.openMs, againEnd);
    const againDescribed = await describeLongTasks(againPage, 0, againEnd);
    const againS3 = s3Totals((await s3.requests()).slice(againStart));
    await againPage.context().close();

    const coldTimeline = [...cold.timeline.filter((t) => t.name !== 'load statement'), ...(tableBuild ? [{ name: 'in-memory table build (after first paint)', start: tableBuild.start, end: tableBuild.start + tableBuild.ms }] : [])].sort((a, b) => a.start - b.start);
    for (const t of coldTimeline) log(`  cold open timeline: ${t.name} ${Math.round(t.start)}${t.end > t.start ? `–${Math.round(t.end)} ms (${Math.round(t.end - t.start)} ms)` : ' ms'}`);
    const steps = buildSteps(cold.engineStartMs, openedStatements, reloadStatements, native);
    steps.push({ name: 'reload data → all drawn (warm engine, disk cache)', wasm_ms: round(reload.ms), native_ms: null, ratio: null });
    const nativeOpen = native.engineStartMs + native.statements.reduce((s, x) => s + x.ms, 0);
    const ms = interactions.map((i) => i.ms);
    const report: BenchReport = {
      rows: args.rows,
      file_bytes: file.bytes,
      latency_ms: args.latencyMs,
      engine: `DuckDB ${cold.engineVersion ?? '?'}, ${cold.isolated ? 'cross-origin isolated: threaded coi build' : 'not isolated: eh build, 1 thread'}`,
      dashboard_open: { wasm_ms: round(cold.openMs), native_ms: round(nativeOpen), ratio: ratio(cold.openMs, nativeOpen) },
      checks_done_ms: checksMs === null ? null : round(checksMs),
      table_in_memory_ms: tableBuild ? round(tableBuild.start + tableBuild.ms) : null,
      warm_open: {
        wasm_ms: round(warm.openMs),
        ratio_to_cold: ratio(warm.openMs, cold.openMs),
        live_ms: round(Math.max(warm.openMs, warmLive)),
        live_ratio_to_cold: ratio(Math.max(warm.openMs, warmLive), cold.openMs),
        stored_results_read: fromStore,
        s3_requests: warmS3.requests,
        s3_bytes: warmS3.bytes,
      },
      cold_data_open: { wasm_ms: round(again.openMs), ratio_to_native: ratio(again.openMs, nativeOpen), s3_requests: againS3.requests, s3_bytes: againS3.bytes },
      interactions: {
        count: ms.length,
        p50_ms: round(percentile(ms, 50)),
        p95_ms: round(percentile(ms, 95)),
        max_ms: round(Math.max(...ms)),
        next_clicks: args.nextClicks ? 'on' : 'off',
        // Clicks whose every panel was answered from the result cache (computed ahead, or seen before).
        from_cache: breakdowns.filter((b) => b.statements.length === 0).length,
      },
      steps,
      s3: { requests: coldS3.requests, bytes: coldS3.bytes, needed_bytes: needed.bytes, over_read: ratio(coldS3.bytes, needed.bytes) },
      memory: { renderer_rss_mb: round(rssMb), duckdb_mb: native.memoryMb === null ? null : round(native.memoryMb) },
      long_tasks: {
        load: roundTasks(cold.longTasks),
        load_after_drawn: roundTasks(coldRest),
        queries: roundTasks(queryLongTasks),
        warm_load: roundTasks(warm.longTasks),
        warm_after_drawn: roundTasks(warmRest),
        cold_data_load: roundTasks(again.longTasks),
        cold_data_after_drawn: roundTasks(againRest),
        // Each task counted above: its start+duration (ms from navigation), the renderer's last mark
        // before it and the scripts that ran in it (the Long Animation Frames API).
        described: { load: texts(coldDescribed), queries: texts(queryDescribed), warm_load: texts(warmDescribed), cold_data_load: texts(againDescribed) },
      },
      used_columns: projected ?? allColumns,
      wall_s: round((performance.now() - totalStarted) / 1000),
      // Other work on the machine skews every number: say how busy it was.
      load_avg_1m: round(os.loadavg()[0] ?? 0),
    };
    process.stdout.write(formatReport(report, interactions));
    process.stdout.write(formatBreakdowns(breakdowns));
    if (args.json) {
      writeFileSync(args.json, `${JSON.stringify({ ...report, interaction_breakdown: breakdowns }, null, 2)}\n`);
      log(`wrote ${args.json}`);
    }
  } finally {
    await browser?.close().catch(() => {});
    await host?.close().catch(() => {});
    await s3.stop().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Twenty clicks a manager makes, each from the dashboard's starting state or back to it: drill the
 * top region to its countries, back up with the breadcrumb, filter everything to a campaign, clear
 * that with Esc. The returns re-run the opening queries, which gives their warm times.
 */
async function runInteractions(page: import('@playwright/test').Page, native: NativeRun): Promise<InteractionResult[]> {
  const regions = native.panelRows.get('revenue_by_region');
  const campaigns = native.panelRows.get('revenue_by_campaign');
  if (!regions || !campaigns) throw new Error('The demo dashboard lost its revenue_by_region or revenue_by_campaign panel; the bench clicks those.');
  const out: InteractionResult[] = [];
  for (let i = 0; out.length < INTERACTIONS; i++) {
    const steps: [string, () => Promise<void>][] = [
      ['drill region → countries', () => clickBarAction(page, 'revenue_by_region', i % regions, regions, /^Drill into .* by country$/)],
      ['breadcrumb back to all regions', () => page.locator('[data-panel-id="revenue_by_region"]').getByRole('navigation').getByRole('button', { name: 'All regions' }).click()],
      ['filter to a campaign', () => clickBarAction(page, 'revenue_by_campaign', i % campaigns, campaigns, /^Filter other panels to /)],
      ['Esc clears the filter', () => page.keyboard.press('Escape')],
    ];
    for (const [label, act] of steps) {
      if (out.length >= INTERACTIONS) break;
      const before = await now(page);
      const result = await interact(page, label, act);
      out.push(result);
      breakdowns.push(await interactionBreakdown(page, before, result, native));
    }
  }
  return out;
}

/** Where one interaction's time went: before the first query, in the engine, and after the last. */
interface InteractionBreakdown {
  label: string;
  ms: number;
  /** Input → first statement starts (handlers, store updates, React renders before the run queries). */
  beforeSqlMs: number;
  /** Statements run for this interaction, each with its time as the main thread saw it (worker + Arrow → rows). */
  statements: { name: string; ms: number }[];
  /** Last statement done → all panels drawn (React renders, chart setOption and paint). */
  afterSqlMs: number;
  /** Statements run ahead of clicks that were under way (or queued) after the input: the click waited for them. */
  ahead: { count: number; ms: number };
  longTasks: { count: number; maxMs: number };
}

const breakdowns: InteractionBreakdown[] = [];

async function interactionBreakdown(page: import('@playwright/test').Page, before: number, result: InteractionResult, native: NativeRun): Promise<InteractionBreakdown> {
  const input = await page.evaluate(() => (window as unknown as { __bench: { lastInput: number } }).__bench.lastInput);
  const drawn = input + result.ms;
  const since = (await statementsSince(page, before)).filter((s) => s.start <= drawn);
  // Statements run ahead (next clicks, for this state or the one before) are not this click's own.
  const statements = since.filter((s) => !s.ahead);
  const ahead = since.filter((s) => s.ahead && s.start + s.ms > input);
  const tasks = await page.evaluate(
    ([from, to]) => (window as unknown as { __bench: { longTasks: { start: number; ms: number }[] } }).__bench.longTasks.filter((t) => t.start >= from && t.start <= to),
    [input, drawn] as const,
  );
  const panelOf = new Map([...native.panelSql].map(([id, sql]) => [sql, id]));
  const name = (sql: string) => panelOf.get(sql) ?? (sql.startsWith('SELECT 0 AS "w"') ? 'KPI batch' : describeStatement(sql));
  const first = statements[0];
  const last = statements.reduce((end, s) => Math.max(end, s.start + s.ms), first ? first.start : input);
  return {
    label: result.label,
    ms: result.ms,
    beforeSqlMs: first ? first.start - input : result.ms,
    statements: statements.map((s) => ({ name: name(s.sql), ms: s.ms })),
    ahead: { count: ahead.length, ms: ahead.reduce((sum, s) => sum + s.ms, 0) },
    afterSqlMs: first ? drawn - last : 0,
    longTasks: { count: tasks.length, maxMs: Math.max(0, ...tasks.map((t) => t.ms)) },
  };
}

function formatBreakdowns(list: InteractionBreakdown[]): string {
  const lines = ['per interaction: total = before first SQL + SQL (each) + after last SQL; statements run ahead of clicks that it waited for; long tasks in the window'];
  for (const b of list) {
    const sql = b.statements.map((s) => `${s.name} ${s.ms.toFixed(0)}`).join(', ') || 'none (result cache)';
    const ahead = b.ahead.count > 0 ? ` | waited for ${b.ahead.count} run ahead (${b.ahead.ms.toFixed(0)} ms)` : '';
    lines.push(`  ${b.ms.toFixed(0).padStart(5)} ms  ${b.label.padEnd(32)} before ${b.beforeSqlMs.toFixed(0)} | ${sql} | after ${b.afterSqlMs.toFixed(0)}${ahead} | long tasks ${b.longTasks.count} (max ${b.longTasks.maxMs.toFixed(0)})`);
  }
  return `${lines.join('\n')}\n`;
}

function buildSteps(engineStartMs: number | null, opened: SqlEntry[], later: SqlEntry[], native: NativeRun): Step[] {
  const steps: Step[] = [];
  const step = (name: string, wasm: number | null, nat: number | null) =>
    steps.push({ name, wasm_ms: wasm === null ? null : round(wasm), native_ms: nat === null ? null : round(nat), ratio: wasm === null || nat === null ? null : ratio(wasm, nat) });
  step('engine start', engineStartMs, native.engineStartMs);

  const panelOf = new Map([...native.panelSql].map(([id, sql]) => [sql, id]));
  const unused = [...opened];
  const take = (sql: string): SqlEntry | null => {
    // Views name their source's URL, and the app loads a table from its fetched bytes (a registered
    // file with a random name) where native reads the file: match both by what they create.
    const isView = sql.startsWith('CREATE OR REPLACE VIEW') || sql.startsWith('CREATE OR REPLACE TABLE');
    // The table built after first paint (queries/bytes-first.ts) is made under a temporary name, "<raw> (loading N)".
    const created = sql.slice(0, sql.indexOf(' AS '));
    const building = `${created.slice(0, -1)} (loading `;
    const at = unused.findIndex((w) => w.sql === sql || (isView && (w.sql.startsWith(`${created} `) || w.sql.startsWith(building))));
    return at === -1 ? null : (unused.splice(at, 1)[0] as SqlEntry);
  };
  let loadWasm = 0;
  let loadNative = 0;
  const queries = native.statements.slice(native.loadStatementCount);
  native.statements.forEach((s, i) => {
    const w = take(s.sql);
    const panel = panelOf.get(s.sql);
    // The load is every statement before the dataset was ready; the rest are the panels' queries
    // (some batched, e.g. the KPI tiles, so not every one is named after a panel).
    if (i < native.loadStatementCount) {
      loadWasm += w?.ms ?? 0;
      loadNative += s.ms;
    }
    const name = panel ? `panel ${panel}` : describeStatement(s.sql);
    step(i < native.loadStatementCount ? name : `${name} (cold)`, w?.ms ?? null, s.ms);
  });
  step('dataset load (all statements before the panels)', loadWasm, loadNative);
  // Warm: the same SQL executed a second time by the engine (after Reload data in the page), never
  // an answer of the renderer's result cache.
  const seen = new Set<string>();
  for (const s of queries) {
    if (seen.has(s.sql)) continue;
    seen.add(s.sql);
    const panel = panelOf.get(s.sql);
    const w = later.find((x) => x.sql === s.sql);
    step(`${panel ? `panel ${panel}` : describeStatement(s.sql)} (warm, 2nd run)`, w?.ms ?? null, native.warmStatements.get(s.sql) ?? null);
  }
  return steps;
}

/** Run a command from the command palette (Ctrl+K), as a user does; the browser keeps Ctrl+R for itself. */
async function paletteCommand(page: import('@playwright/test').Page, title: string): Promise<void> {
  await page.keyboard.press('Control+k');
  const input = page.getByRole('combobox', { name: 'Search commands' });
  await input.fill(title);
  // Enter runs the highlighted command: wait until it is this one.
  await page.getByRole('dialog', { name: 'Command palette' }).locator('[role="option"][aria-selected="true"]', { hasText: title }).waitFor({ timeout: 10_000 });
  await input.press('Enter');
}

function describeStatement(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ');
  if (oneLine.startsWith('CREATE OR REPLACE VIEW')) return `source view ${oneLine.slice(23, oneLine.indexOf(' AS '))}`;
  if (oneLine.startsWith('CREATE OR REPLACE TABLE')) return `load table ${oneLine.slice(24, oneLine.indexOf(' AS '))}`;
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}…` : oneLine;
}

function s3Totals(requests: { bytes: number }[]): { requests: number; bytes: number } {
  return { requests: requests.length, bytes: requests.reduce((s, r) => s + r.bytes, 0) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function ratio(a: number, b: number): number | null {
  return b > 0 ? Math.round((a / b) * 100) / 100 : null;
}

function roundTasks(t: { count: number; totalMs: number; maxMs: number }) {
  return { count: t.count, total_ms: round(t.totalMs), max_ms: round(t.maxMs) };
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`bench: ${err.message}\nUsage: npm run bench -- --rows N [--latency-ms L] [--json FILE]\n`);
    process.exit(2);
  }
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

function texts(tasks: { text: string }[]): string[] {
  return tasks.map((t) => t.text);
}
