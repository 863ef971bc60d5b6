// DuckDB's wasm (18 MB) is compiled once per browser profile, not on every open: the engine worker
// compiles it from the fetch's own Response (queries/engine/browser-bundles.ts), which the browser
// caches once the module has tiered up, and a later page reads it back from that cache. Before the
// shim, duckdb-wasm compiled a Response it had built itself, which no cache can serve: every page
// compiled the whole module again. Playwright's default contexts are incognito (no code cache), so
// this test runs its own browser with a profile on disk, as the desktop app has.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { test, expect } from './fixtures/app';
import { CHROMIUM_ARGS } from './playwright.config';
import { DashboardPage } from './pages/dashboard-page';

/** The wasm code cache's trace events of one open of the app in `page`: did it read, or write, a compiled module? */
async function traceOpen(context: BrowserContext, page: Page, open: () => Promise<void>): Promise<{ hits: number; stored: number }> {
  const cdp = await context.newCDPSession(page);
  const events: { name?: string }[] = [];
  cdp.on('Tracing.dataCollected', (data: { value: { name?: string }[] }) => events.push(...data.value));
  await cdp.send('Tracing.start', { categories: 'disabled-by-default-devtools.timeline,v8.wasm', transferMode: 'ReportEvents' });
  await open();
  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  return {
    hits: events.filter((e) => e.name === 'v8.wasm.moduleCacheHit').length,
    stored: events.filter((e) => e.name === 'v8.wasm.cachedModule').length,
  };
}

test('a second page of the same profile reads the engine’s compiled wasm from the code cache', async ({ host }) => {
  test.setTimeout(120_000);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'northstar-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.NORTHSTAR_CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
  try {
    // First page: compiles the module and, once its hot functions have tiered up, caches it. Clicks
    // and a reload make the engine work, which is what tiers functions up.
    const first = context.pages()[0] ?? (await context.newPage());
    const cold = await traceOpen(context, first, async () => {
      const dashboard = new DashboardPage(first, host);
      await first.goto(host.url);
      await dashboard.waitUntilDrawn();
      await expect.poll(() => first.evaluate(() => performance.getEntriesByName('northstar:engine-start').length), { timeout: 60_000 }).toBe(1);
      // Written when the engine has done enough work, which may take a few seconds after the load.
      await first.waitForTimeout(4000);
    });
    expect(cold.hits).toBe(0);
    expect(cold.stored).toBeGreaterThan(0);

    // A new page (a new engine worker) in the same profile: the module comes from the cache.
    const second = await context.newPage();
    await first.close();
    const warm = await traceOpen(context, second, async () => {
      await second.goto(host.url);
      await new DashboardPage(second, host).waitUntilDrawn();
      await expect.poll(() => second.evaluate(() => performance.getEntriesByName('northstar:engine-start').length), { timeout: 60_000 }).toBe(1);
    });
    expect(warm.hits).toBe(1);
    // The shim hid TransformStream from the worker only until the wasm was compiled.
    const engineWorker = second.workers().find((w) => /^blob:/.test(w.url()));
    expect(engineWorker, 'the engine worker (a blob running the shim)').toBeDefined();
    expect(await engineWorker!.evaluate(() => [typeof TransformStream, String(WebAssembly.instantiateStreaming).includes('[native code]')])).toEqual(['function', true]);
    // ...and the engine it started answers: the panels drew from the load, not only from stored results.
    await expect(second.getByTestId('panel-updating')).toHaveCount(0, { timeout: 60_000 });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
