// The DuckDB-WASM side of the benchmark: the real renderer, served by the browser host, in headless
// Debian Chromium driven by Playwright. Times come from the renderer's own user-timing entries
// (northstar:all-panels-drawn, northstar:engine-start, northstar:sql), not from the driver's clock.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../e2e/playwright.config';

export interface SqlEntry {
  sql: string;
  start: number;
  ms: number;
  /** Run by the app ahead of a click (next clicks), not for the interaction or load being measured. */
  ahead?: true;
}

export interface LongTasks {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface OpenResult {
  /** Navigation start → every panel drawn. */
  openMs: number;
  engineStartMs: number | null;
  engineVersion: string | null;
  /** Whether the page was cross-origin isolated (so DuckDB-WASM could pick its threaded build). */
  isolated: boolean;
  statements: SqlEntry[];
  longTasks: LongTasks;
  /**
   * Where the open's time went, in ms from navigation: the renderer's open mark, the engine start,
   * the byte fetch (`northstar:prefetch`), the load statement and the first and last panel query.
   */
  timeline: { name: string; start: number; end: number }[];
}

export interface InteractionResult {
  label: string;
  ms: number;
}

/** What the page records from the start (installed before any of the app's scripts run). */
const INIT_SCRIPT = `(() => {
  window.__bench = { longTasks: [], lastInput: 0 };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__bench.longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  // Long animation frames (Chrome 123+) name the scripts that ran in a long task: what it was.
  window.__bench.frames = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__bench.frames.push({
        start: e.startTime, ms: e.duration,
        scripts: (e.scripts || []).map((x) => ({ start: x.startTime, ms: x.duration, invoker: x.invoker, file: String(x.sourceURL || '').split('/').pop(), fn: x.sourceFunctionName || '', layout: x.forcedStyleAndLayoutDuration })),
      });
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {}
  const mark = () => { window.__bench.lastInput = performance.now(); };
  addEventListener('pointerdown', mark, true);
  addEventListener('keydown', mark, true);
})();`;

export class BenchBrowser {
  private readonly profiles: { context: BrowserContext; dir: string }[] = [];

  private constructor(
    private readonly executablePath: string,
    private readonly marker: string,
    private readonly nextClicks: boolean,
  ) {}

  /** `nextClicks: false` turns off the app's computing of next clicks ahead (the palette's toggle) in every page. */
  static async launch(executablePath: string, opts: { nextClicks?: boolean } = {}): Promise<BenchBrowser> {
    // An unknown switch is ignored by Chromium but lets us find this browser's processes for RSS.
    const marker = `--northstar-bench=${randomUUID()}`;
    return new BenchBrowser(executablePath, marker, opts.nextClicks ?? true);
  }

  /**
   * A page in a fresh profile, or in the profile of `sameProfileAs`. A profile is a browser with a
   * user-data directory on disk, as the desktop app has: its HTTP cache and its code caches (the
   * compiled DuckDB wasm, the scripts' V8 code) survive the page, as they survive a restart of the
   * app. A Playwright `newContext()` would be an incognito profile, which keeps no code cache.
   */
  async newPage(sameProfileAs?: Page): Promise<Page> {
    let context = sameProfileAs?.context();
    let page: Page | undefined;
    if (!context) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-bench-profile-'));
      context = await chromium.launchPersistentContext(dir, {
        executablePath: this.executablePath,
        args: [...CHROMIUM_ARGS, this.marker],
        headless: true,
        viewport: { width: 1440, height: 1800 },
      });
      this.profiles.push({ context, dir });
      // The blank page a persistent browser opens with.
      page = context.pages()[0];
    }
    page ??= await context.newPage();
    await page.addInitScript(INIT_SCRIPT);
    if (!this.nextClicks) await page.addInitScript(() => localStorage.setItem('northstar.nextClicks', 'off'));
    page.on('pageerror', (err) => process.stderr.write(`browser pageerror: ${err.message}\n`));
    return page;
  }

  /** Resident memory of the biggest renderer process (a page and its DuckDB worker) of this bench's browsers. */
  rendererRssMb(): number | null {
    const procs = readProcs();
    const mine = new Set(procs.filter((p) => p.cmdline.includes(this.marker) && !p.cmdline.includes('--type=')).map((p) => p.pid));
    if (mine.size === 0) return null;
    // Children appear after their parents in pid order often, but not always: iterate to a fixpoint.
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of procs) {
        if (!mine.has(p.pid) && mine.has(p.ppid)) {
          mine.add(p.pid);
          changed = true;
        }
      }
    }
    const renderers = procs.filter((p) => mine.has(p.pid) && p.cmdline.includes('--type=renderer'));
    return renderers.length === 0 ? null : Math.max(...renderers.map((p) => p.rssKb)) / 1024;
  }

  async close(): Promise<void> {
    for (const { context, dir } of this.profiles.splice(0)) {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Open the app and wait until every panel of the first run is drawn; fails on a panel error. */
export async function openDashboard(page: Page, url: string): Promise<OpenResult> {
  await page.goto(url);
  await page.waitForFunction(() => Number(document.documentElement.dataset.runId ?? 0) >= 1, null, { timeout: 600_000, polling: 50 });
  await failOnPanelErrors(page);
  return page.evaluate(() => {
    const drawn = performance.getEntriesByName('northstar:all-panels-drawn')[0];
    if (!drawn) throw new Error('the renderer set data-run-id but left no northstar:all-panels-drawn mark');
    const engine = performance.getEntriesByName('northstar:engine-start')[0];
    const statements = performance.getEntriesByName('northstar:sql').map((e) => ({
      sql: String(((e as PerformanceMeasure).detail as { sql?: unknown } | null)?.sql ?? ''),
      start: e.startTime,
      ms: e.duration,
    }));
    const bench = (window as unknown as { __bench: { longTasks: { start: number; ms: number }[] } }).__bench;
    const tasks = bench.longTasks.filter((t) => t.start <= drawn.startTime);
    return {
      openMs: drawn.startTime,
      engineStartMs: engine ? engine.duration : null,
      engineVersion: engine ? String(((engine as PerformanceMeasure).detail as { version?: unknown } | null)?.version ?? '') : null,
      isolated: self.crossOriginIsolated,
      statements,
      longTasks: { count: tasks.length, totalMs: tasks.reduce((s, t) => s + t.ms, 0), maxMs: Math.max(0, ...tasks.map((t) => t.ms)) },
      timeline: [
        // The UI's bundle starts loading once the engine's worker runs (renderer/src/main.tsx).
        ...performance.getEntriesByName('northstar:ui-boot').map((e) => ({ name: `UI boot (${String(((e as PerformanceMark).detail as { reason?: unknown } | null)?.reason ?? '')})`, start: e.startTime, end: e.startTime })),
        ...performance.getEntriesByName('northstar:open-start').map((e) => ({ name: 'open action starts', start: e.startTime, end: e.startTime })),
        ...(engine ? [{ name: 'engine start', start: engine.startTime, end: engine.startTime + engine.duration }] : []),
        ...performance.getEntriesByName('northstar:prefetch').map((e) => ({ name: 'fetch bytes (parallel ranged reads)', start: e.startTime, end: e.startTime + e.duration })),
        // A re-open drawn from stored results holds the engine's start until its panels are drawn (engine-hold.ts).
        ...performance.getEntriesByName('northstar:engine-released').map((e) => ({ name: `engine start released (${String(((e as PerformanceMark).detail as { reason?: unknown } | null)?.reason ?? '')})`, start: e.startTime, end: e.startTime })),
        ...performance.getEntriesByName('northstar:echarts-in').map((e) => ({ name: 'ECharts loaded', start: e.startTime, end: e.startTime })),
        ...performance.getEntriesByName('northstar:stored-results').map((e) => ({ name: `stored results in (${JSON.stringify((e as PerformanceMark).detail)})`, start: e.startTime, end: e.startTime })),
        ...performance.getEntriesByName('northstar:window-in').map((e) => ({ name: 'the newest row groups are in', start: e.startTime, end: e.startTime })),
        // The panels drawn from the newest row groups before the whole file arrived (dashboard-runner.ts paintWindow).
        ...performance.getEntriesByName('northstar:window-painted').map((e) => ({ name: `first paint from the newest row groups (${JSON.stringify((e as PerformanceMark).detail)})`, start: e.startTime, end: e.startTime })),
        ...statements.filter((x) => x.sql.startsWith('CREATE OR REPLACE TABLE') || x.sql.startsWith('CREATE TABLE')).map((x) => ({ name: 'load statement', start: x.start, end: x.start + x.ms })),
        { name: 'all panels drawn', start: drawn.startTime, end: drawn.startTime },
      ].sort((a, b) => a.start - b.start),
    };
  });
}

/**
 * Wait until the dashboard's data-quality checks have run (they start once the panels are drawn
 * and share the one engine: clicks made before they finish queue behind them). Returns the time
 * from navigation until their results show, or null when the dashboard shows no checks.
 */
export async function waitForChecks(page: Page): Promise<number | null> {
  if ((await page.locator('.panel-anomaly').count()) === 0) return null;
  const handle = await page.waitForFunction(
    () => {
      const panels = Array.from(document.querySelectorAll('.panel-anomaly'));
      return panels.every((p) => /last run/i.test(p.textContent ?? '')) ? performance.now() : 0;
    },
    null,
    { timeout: 600_000, polling: 50 },
  );
  return (await handle.jsonValue()) as number;
}

/** Every SQL statement the renderer ran since `after` (a performance.now() time). */
export async function statementsSince(page: Page, after: number): Promise<SqlEntry[]> {
  return page.evaluate((t) => {
    // Statements the app ran ahead of a click (next-clicks.ts marks each as it sends it).
    const ahead = new Set(performance.getEntriesByName('northstar:next-clicks-sql').filter((e) => e.startTime > t).map((e) => String(((e as PerformanceMark).detail as { sql?: unknown } | null)?.sql ?? '')));
    return performance
      .getEntriesByName('northstar:sql')
      .filter((e) => e.startTime > t)
      .map((e) => {
        const sql = String(((e as PerformanceMeasure).detail as { sql?: unknown } | null)?.sql ?? '');
        return { sql, start: e.startTime, ms: e.duration, ...(ahead.has(sql) ? { ahead: true } : {}) };
      });
  }, after);
}

export async function longTasksSince(page: Page, after: number, until = Number.POSITIVE_INFINITY): Promise<LongTasks> {
  return page.evaluate(
    ([t, end]) => {
      const tasks = (window as unknown as { __bench: { longTasks: { start: number; ms: number }[] } }).__bench.longTasks.filter((x) => x.start > t && x.start <= end);
      return { count: tasks.length, totalMs: tasks.reduce((s, x) => s + x.ms, 0), maxMs: Math.max(0, ...tasks.map((x) => x.ms)) };
    },
    [after, until] as const,
  );
}

/**
 * Let what follows the checks' results happen (their marks are drawn on the charts a moment later,
 * in tasks of their own), then return the page's time: the end of a load's window of long tasks and
 * the start of the next one, so that no task falls between the two.
 */
export async function settle(page: Page, ms = 500): Promise<number> {
  return page.evaluate(
    (wait) =>
      new Promise<number>((resolve) => {
        setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))), wait);
      }),
    ms,
  );
}

/**
 * Each long task that started in [from, to] (ms from navigation), told by what it overlapped: the
 * renderer's last mark before it and the scripts of the long animation frame it fell in, e.g.
 * "612+65 ms after northstar:charts-warm-up: warm-up.ts step (40 ms)". Empty when there was none.
 */
export async function describeLongTasks(page: Page, from: number, to = Number.POSITIVE_INFINITY): Promise<{ start: number; ms: number; text: string }[]> {
  return page.evaluate(
    ([lo, hi]) => {
      type Script = { start: number; ms: number; invoker: string; file: string; fn: string; layout: number };
      const bench = (window as unknown as { __bench: { longTasks: { start: number; ms: number }[]; frames?: { start: number; ms: number; scripts: Script[] }[] } }).__bench;
      const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('northstar:'));
      return bench.longTasks
        .filter((t) => t.start >= lo && t.start <= hi)
        .map((t) => {
          const before = marks.filter((m) => m.startTime <= t.start).pop();
          const scripts = (bench.frames ?? [])
            .filter((f) => f.start <= t.start + t.ms && f.start + f.ms >= t.start)
            .flatMap((f) => f.scripts)
            .filter((x) => x.start >= t.start - 1 && x.start <= t.start + t.ms && x.ms >= 5)
            .map((x) => `${x.file || x.invoker}${x.fn ? ` ${x.fn}` : ''} [${x.invoker}] ${Math.round(x.ms)} ms${x.layout >= 5 ? ` (style+layout ${Math.round(x.layout)})` : ''}`);
          const detail = (before as PerformanceMark | undefined)?.detail as unknown;
          const named = typeof detail === 'string' ? detail : ((detail as { reason?: unknown } | null | undefined)?.reason ?? '');
          const label = before ? `${before.name.replace('northstar:', '')}${named ? ` (${String(named)})` : ''} ${Math.round(t.start - before.startTime)} ms earlier` : 'none yet';
          return { ...t, text: `${Math.round(t.start)}+${Math.round(t.ms)} ms, last mark ${label}; scripts: ${scripts.length ? scripts.join(', ') : 'none over 5 ms'}` };
        });
    },
    [from, to] as const,
  );
}

export async function now(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/**
 * Do one interaction (`act` clicks or presses a key) and return the time from that input to all
 * affected panels redrawn: the renderer's all-panels-drawn mark of the run it started, minus the
 * last pointerdown/keydown the page saw.
 */
export async function interact(page: Page, label: string, act: () => Promise<void>): Promise<InteractionResult> {
  const before = await runId(page);
  await act();
  await page.waitForFunction((b) => Number(document.documentElement.dataset.runId ?? 0) > b, before, { timeout: 300_000, polling: 20 });
  await failOnPanelErrors(page);
  const ms = await page.evaluate((b) => {
    const marks = performance.getEntriesByName('northstar:all-panels-drawn') as PerformanceMark[];
    const mark = marks.filter((m) => ((m.detail as { runId?: number } | null)?.runId ?? 0) > b).pop();
    if (!mark) throw new Error('no all-panels-drawn mark for the new run');
    return mark.startTime - (window as unknown as { __bench: { lastInput: number } }).__bench.lastInput;
  }, before);
  return { label, ms };
}

async function runId(page: Page): Promise<number> {
  return Number((await page.locator('html').getAttribute('data-run-id')) ?? 0);
}

async function failOnPanelErrors(page: Page): Promise<void> {
  const errors = await page.locator('[data-panel-id][data-state="error"]').evaluateAll((els) =>
    els.map((el) => `${el.getAttribute('data-panel-id')}: ${el.textContent?.trim() ?? ''}`),
  );
  if (errors.length > 0) throw new Error(`Panels failed in the browser:\n  ${errors.join('\n  ')}`);
}

/** Click the `index`-th of `count` horizontal bars of a chart panel (first on top) and choose a menu action. */
export async function clickBarAction(page: Page, panelId: string, index: number, count: number, action: RegExp): Promise<void> {
  const panel = page.locator(`[data-panel-id="${panelId}"]`);
  await panel.scrollIntoViewIfNeeded();
  const box = await panel.locator('canvas').first().boundingBox();
  if (!box) throw new Error(`panel ${panelId} shows no chart`);
  const plotTop = box.y + box.height * 0.03;
  const plotHeight = box.height * 0.88;
  await page.mouse.click(box.x + box.width * 0.6, plotTop + (plotHeight * (index + 0.5)) / count);
  const menu = panel.getByRole('menu');
  await menu.waitFor({ state: 'visible', timeout: 30_000 });
  await menu.getByRole('menuitem', { name: action }).click();
}

interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
  rssKb: number;
}

function readProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(name), ppid, cmdline, rssKb });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
