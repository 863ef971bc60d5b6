// npx tsx bench/cold-timeline.ts --rows N --renderer DIR [--runs K [--cold-data]] [--dedupe] [--spelling]
//
// One cold open of the bench dashboard (the same S3 fixture, gateway and headless Chromium as
// bench/run.ts), printed as a timeline: every engine statement with its start and duration, the
// byte fetch, every main-thread long task, and "all panels drawn". For finding where a cold open's
// time goes (bench/run.ts prints only the summary). With --runs 2 or more, the runs after the first
// are warm re-opens, as bench/run.ts's (with --cold-data, cold opens of the data in a profile that
// has run the app before). A measurement, not a test.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDashboard } from '../dashboards/document';
import { startBrowserHost } from '../electron/browser-host/server';
import { startRemoteS3 } from './remote-s3';
import { BENCH_DIR, ensureOrders, trustDashboard } from './data';
import type { Page } from '@playwright/test';
import { BenchBrowser, describeLongTasks, openDashboard } from './browser';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, renderer: { type: 'string' }, runs: { type: 'string', default: '1' }, trace: { type: 'boolean', default: false }, 'trace-file': { type: 'string' }, 'cold-data': { type: 'boolean', default: false }, dedupe: { type: 'boolean', default: false }, spelling: { type: 'boolean', default: false } } });
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const file = await ensureOrders(Number(values.rows), (l) => process.stderr.write(`${l}\n`));
  const s3 = await startRemoteS3();
  const root = mkdtempSync(path.join(os.tmpdir(), 'northstar-timeline-'));
  let browser: BenchBrowser | null = null;
  let host: Awaited<ReturnType<typeof startBrowserHost>> | null = null;
  try {
    await s3.createBucket('bench');
    await s3.putFile('bench', 'orders/orders.parquet', file.path);
    process.env.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const loaded = loadDashboard(readFileSync(path.resolve(BENCH_DIR, '..', 'dashboards', 'examples', 'customer-kpis.dashboard.json'), 'utf8'));
    if (!loaded.ok) throw new Error(loaded.error.message);
    const name = (loaded.dashboard.sources[0] as { name: string }).name;
    // --dedupe: with the correction the duplicate-id check proposes ("keep one row per order_id");
    // --spelling: with the one the misspelled-campaign check proposes (values mapped in place).
    const dedupe = { id: 'dedupe_orders', kind: 'exclude_rows' as const, dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'cold-timeline --dedupe', author: 'bench' };
    const spelling = {
      id: 'fix_campaign', kind: 'map_value' as const, dataset: 'orders', reason: 'cold-timeline --spelling', author: 'bench',
      params: { column: 'campaign', mappings: ['Blak Friday', 'black friday', 'Black Friday '].map((from) => ({ from, to: 'Black Friday' })) },
    };
    const corrections = [...(values.dedupe ? [dedupe] : []), ...(values.spelling ? [spelling] : [])];
    const dashboard = {
      ...loaded.dashboard,
      sources: [{ kind: 's3' as const, name, uri: 's3://bench/orders/orders.parquet', endpoint: s3.endpoint, region: s3.region, pathStyle: true, format: 'parquet' as const }],
      ...(corrections.length ? { corrections: [...loaded.dashboard.corrections, ...corrections] } : {}),
    };
    mkdirSync(path.join(root, 'dashboards'), { recursive: true });
    mkdirSync(path.join(root, 'home'), { recursive: true });
    const dashboardPath = path.join(root, 'dashboards', 'bench.dashboard.json');
    writeFileSync(dashboardPath, `${JSON.stringify(dashboard, null, 2)}\n`);
    await trustDashboard(path.join(root, 'home'), dashboardPath);
    host = await startBrowserHost({ appVersion: 'bench', dashboardPath, homeDir: path.join(root, 'home'), ...(values.renderer ? { rendererDir: path.resolve(values.renderer) } : {}) });
    browser = await BenchBrowser.launch('/usr/bin/chromium');
    // Runs after the first re-open the app as bench/run.ts's warm re-open does: a new page (a new
    // engine) in the same browser profile (its HTTP and compiled-wasm caches) and the same host
    // (its gateway disk cache and stored panel results). With --cold-data, the host's caches are
    // cleared before each of those runs (the app's "Clear data cache"): a cold open of the data in a
    // profile that has run the app before (its compiled wasm and scripts cached), as on every
    // launch of the desktop app after its first.
    let previous: Page | null = null;
    for (let run = 0; run < Number(values.runs); run++) {
      if (run > 0 && values['cold-data']) await host.services.clearCache();
      const page: Page = await browser.newPage(previous ?? undefined);
      await previous?.close();
      previous = page;
      const traceFile = values['trace-file'];
      const cdp = values.trace || traceFile ? await page.context().newCDPSession(page) : null;
      // --trace-file also records the engine worker's wasm compilation and the page's requests, and
      // writes the whole trace (for chrome://tracing or Perfetto).
      const categories = `toplevel,devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing${traceFile ? ',v8.wasm,disabled-by-default-v8.wasm.detailed,loading,netlog' : ''}`;
      await cdp?.send('Tracing.start', { categories, transferMode: 'ReturnAsStream' });
      const open = await openDashboard(page, host.url);
      // Wait for the rest of the load (statements after the first paint), then read every entry.
      await page.waitForTimeout(8000);
      const after = await page.evaluate(() => ({
        sql: performance.getEntriesByName('northstar:sql').map((e) => ({ sql: String(((e as PerformanceMeasure).detail as { sql?: unknown } | null)?.sql ?? ''), start: e.startTime, ms: e.duration })),
        // The charts' warm-up: when it began (once the engine started) and how it ended (done, or dropped by a real chart's work).
        warmUp: [
          ...performance.getEntriesByName('northstar:charts-warm-up-start').map((e) => ({ name: 'charts warm-up begins', start: e.startTime })),
          ...performance.getEntriesByName('northstar:charts-warm-up').map((e) => ({ name: `charts warm-up ends (${String((e as PerformanceMark).detail)})`, start: e.startTime })),
        ],
      }));
      const tasks = await describeLongTasks(page, 0);
      const rows: [number, string][] = [];
      for (const t of open.timeline) rows.push([t.start, `${t.name}${t.end > t.start ? ` (${Math.round(t.end - t.start)} ms)` : ''}`]);
      for (const w of after.warmUp) rows.push([w.start, w.name]);
      for (const s of after.sql) rows.push([s.start, `  sql ${Math.round(s.ms).toString().padStart(5)} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 110)}`]);
      for (const t of tasks) rows.push([t.start, `  long task ${t.text}`]);
      rows.sort((a, b) => a[0] - b[0]);
      if (cdp) for (const line of await mainThreadLongTasks(cdp, open.openMs, traceFile && values.runs === '1' ? traceFile : traceFile?.replace(/(\.json)?$/, `-${run + 1}$1`))) rows.push(line);
      rows.sort((a, b) => a[0] - b[0]);
      log(`== run ${run + 1}: ${values.rows} rows, open ${Math.round(open.openMs)} ms, load avg ${os.loadavg()[0]?.toFixed(2)}`);
      for (const [at, text] of rows) log(`${Math.round(at).toString().padStart(6)}  ${text}`);
    }
    await previous?.context().close();
  } finally {
    await browser?.close().catch(() => {});
    await host?.close().catch(() => {});
    await s3.stop().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * What the main thread did in each task over 50 ms, from a Chromium trace: its wall time, its CPU
 * time (the thread's own; on this 2-core machine the gateway, the engine's worker and V8's compiler
 * threads compete with it, so a task's wall time can be several times its work), where it came from,
 * and the biggest pieces of work inside it.
 */
async function mainThreadLongTasks(cdp: import('@playwright/test').CDPSession, drawnAt: number, writeTo?: string): Promise<[number, string][]> {
  const done = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (e: { stream?: string }) => resolve(e.stream ?? '')));
  await cdp.send('Tracing.end');
  const stream = await done;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data;
    if (chunk.eof) break;
  }
  if (writeTo) writeFileSync(writeTo, text);
  type Ev = { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: { name?: string; src_func?: string; data?: Record<string, unknown> } };
  const parsed = JSON.parse(text) as { traceEvents?: Ev[] } | Ev[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  // The page's main thread is the one that recorded the app's "all panels drawn" mark; times are aligned on it.
  const main = events.find((e) => e.name === 'northstar:all-panels-drawn');
  const origin = main ? main.ts - drawnAt * 1000 : 0;
  const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined);
  const isTask = (e: Ev) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask';
  const long = onMain.filter((e) => isTask(e) && (e.dur ?? 0) > 50_000);
  // A task is often recorded twice, one inside the other: keep the outer one.
  const outer = long.filter((t) => !long.some((o) => o !== t && o.ts <= t.ts && o.ts + (o.dur ?? 0) >= t.ts + (t.dur ?? 0) && (o.dur ?? 0) >= (t.dur ?? 0) && long.indexOf(o) < long.indexOf(t)));
  const out: [number, string][] = [];
  for (const task of outer) {
    const inner = onMain.find((e) => e !== task && e.name === 'ThreadControllerImpl::RunTask' && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= task.ts + (task.dur ?? 0));
    const from = inner?.args?.src_func ?? task.args?.src_func ?? '';
    const inside = onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= task.ts + (task.dur ?? 0) && (e.dur ?? 0) > 10_000 && !isTask(e));
    const what = inside
      .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
      .slice(0, 6)
      .map((e) => {
        const d = e.args?.data ?? {};
        const where = String(d.url ?? d.functionName ?? d.type ?? '').replace(/^.*\//, '');
        return `${e.name}${where ? `(${where}${d.lineNumber !== undefined ? `:${String(d.lineNumber)}` : ''})` : ''} ${Math.round((e.dur ?? 0) / 1000)}`;
      });
    const cpu = task.tdur === undefined ? '' : `, CPU ${Math.round(task.tdur / 1000)} ms`;
    out.push([(task.ts - origin) / 1000, `  [trace] task ${Math.round((task.dur ?? 0) / 1000)} ms${cpu}${from ? ` (${from})` : ''}: ${what.join(', ')}`]);
  }
  return out;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
