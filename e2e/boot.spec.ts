// The window loads in parts (main.tsx: React, the schemas, the app; text panels' Markdown on first
// use), so no one part holds the window for long. A part that cannot be loaded (files replaced by
// an update, a broken install) is said on screen, never an empty window or a blank panel.
import { test, expect } from './fixtures/app';

const NOTES = {
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '0b5e1d7e-96a4-4f0e-8c1b-5a3c2e0d4b11',
  title: 'Release notes',
  timeRange: { lastDays: 30, anchor: 'data' },
  sources: [],
  datasets: [],
  panels: [{ id: 'notes', kind: 'text', title: 'Notes', markdown: '## What changed\n\nRevenue now counts **refunds** once.' }],
  layout: [{ panel: 'notes', x: 0, y: 0, w: 12, h: 4 }],
};

test('the app part cannot be loaded: the window says so and how to recover', async ({ dashboard, page, consoleLog }) => {
  consoleLog.allow(/Failed to load resource|Failed to fetch dynamically imported module|error loading dynamically imported module/i);
  await page.route(/\/assets\/boot-[^/]*\.js$/, (route) => route.abort('failed'));
  await dashboard.open();
  const root = page.locator('#root');
  await expect(root).toHaveAttribute('role', 'alert');
  await expect(root).toContainText(/Northstar could not load its window \(.+\)\. Reload the window; if that does not help, reinstall the app\./);
});

test.describe('a text panel', () => {
  test.use({ openFile: 'notes.dashboard.json', extraFiles: { 'notes.dashboard.json': `${JSON.stringify(NOTES, null, 2)}\n` } });

  test('draws its Markdown once the renderer arrives', async ({ dashboard }) => {
    await dashboard.open();
    const panel = dashboard.panel('notes');
    await expect(panel.getByRole('heading', { name: 'What changed' })).toBeVisible();
    await expect(panel.locator('strong')).toHaveText('refunds');
  });

  test('whose Markdown renderer cannot be loaded still shows its words, as written', async ({ dashboard, page, consoleLog }) => {
    consoleLog.allow(/Failed to load resource|Failed to fetch dynamically imported module|error loading dynamically imported module/i);
    await page.route(/\/assets\/markdown-[^/]*\.js$/, (route) => route.abort('failed'));
    await dashboard.open();
    const text = dashboard.panel('notes').locator('.markdown-plain');
    await expect(text).toHaveText('## What changed\n\nRevenue now counts **refunds** once.');
    await expect(text).toHaveAttribute('title', /^Formatting could not be loaded \(.+\)$/);
  });
});

test('the UI stages find their chunks fetched already: none is requested once the UI boots', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const late = await page.evaluate(() => {
    const boot = performance.getEntriesByName('northstar:ui-boot')[0]?.startTime ?? 0;
    const open = performance.getEntriesByName('northstar:open-start')[0]?.startTime ?? 0;
    return {
      stages: performance.getEntriesByName('northstar:ui-stage').length,
      boot,
      open,
      fetched: performance
        .getEntriesByType('resource')
        .filter((e) => /\/assets\/[^/]*\.js$/.test(e.name) && e.startTime >= boot && e.startTime <= open)
        .map((e) => e.name.replace(/^.*\/assets\//, '')),
    };
  });
  expect(late.stages).toBeGreaterThan(3);
  expect(late.open).toBeGreaterThan(late.boot);
  expect(late.fetched).toEqual([]);
});

test("a cold open loads the chart library once its first panels' rows are in, not while they download", async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  // ECharts' first chunk was fetched once, after the newest row groups arrived (reading a
  // download's chunks is this thread's work, which ECharts' evaluation and warm-up slowed).
  const seen = await page.evaluate(() => ({
    windowIn: performance.getEntriesByName('northstar:window-in')[0]?.startTime ?? null,
    chunks: performance
      .getEntriesByType('resource')
      .filter((e) => /\/assets\/echarts-core-stage-[^/]*\.js$/.test(e.name))
      .map((e) => e.startTime),
  }));
  expect(seen.windowIn).not.toBeNull();
  expect(seen.chunks).toHaveLength(1);
  expect(seen.chunks[0]!).toBeGreaterThanOrEqual(seen.windowIn!);
  await expect(page.locator('.chart[data-chart-instance]')).toHaveCount(3);
});

test('charts warm up on a hidden chart while the data loads, which leaves nothing behind (nor does the font warm-up)', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  // A cold open has no chart to draw until its data is in: the warm-up ran to its end, unless the
  // (small) demo data came first and a chart's own draw dropped the rest of it (the warm-up's steps
  // are one per task).
  await expect.poll(() => page.evaluate(() => performance.getEntriesByName('northstar:charts-warm-up').length)).toBe(1);
  const ended = await page.evaluate(() => {
    const mark = performance.getEntriesByName('northstar:charts-warm-up')[0] as PerformanceMark;
    const firstDraw = performance.getEntriesByName('northstar:all-panels-drawn')[0]?.startTime ?? Infinity;
    const engine = performance.getEntriesByName('northstar:engine-start')[0];
    return {
      how: mark.detail as string,
      beforeTheCharts: mark.startTime <= firstDraw,
      began: performance.getEntriesByName('northstar:charts-warm-up-start')[0]?.startTime ?? null,
      engineStarted: engine ? engine.startTime + engine.duration : null,
    };
  });
  expect(ended.how === 'done' || (ended.how === 'dropped' && ended.beforeTheCharts)).toBe(true);
  // It began only once the engine had started: during the start, V8 compiles DuckDB's wasm on the
  // other threads, and the warm-up's steps were then long tasks (bench/README.md, session 16).
  expect(ended.began).not.toBeNull();
  expect(ended.engineStarted).not.toBeNull();
  expect(ended.began!).toBeGreaterThanOrEqual(ended.engineStarted!);
  // The font warm-up (after the dashboard is drawn) also leaves no hidden box.
  await expect.poll(() => page.evaluate(() => performance.getEntriesByName('northstar:fonts-warmed').length)).toBe(1);
  expect(await page.locator('body > div[aria-hidden="true"]').count()).toBe(0);
  await expect(page.locator('.chart[data-chart-instance]')).toHaveCount(3);
});
