// Re-opening a dashboard over unchanged data draws its panels from the results stored by the last
// session, before the engine has loaded anything; a changed data file never shows stored numbers.
// The load is held back at the data gateway (its data reads wait; the footer reads pass), so what
// the page shows before the load ends is known exactly, not raced.
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures/app';
import { holdDataReads } from './fixtures/hold-reads';
import { computeKpisNative, queryNative } from './oracle';

const LAST_DAYS = 30;
const DATA_PANELS = ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers', 'daily_revenue', 'revenue_by_region', 'revenue_by_campaign', 'recent_orders'];

/** Open the dashboard in a fresh document (the launch URL differs only in its fragment: a plain goto would not reload). */
async function reopen(page: Page, open: () => Promise<void>) {
  await page.goto('about:blank');
  await open();
}

/** How many stored result entries the host has written (none before it made their folder). */
function storedEntries(resultsDir: string): number {
  return existsSync(resultsDir) ? readdirSync(resultsDir).filter((n) => n.endsWith('.json')).length : 0;
}

/** The files' versions the one stored entry holds results of. */
function storedVersions(resultsDir: string): unknown {
  const [name] = readdirSync(resultsDir).filter((n) => n.endsWith('.json'));
  return name ? (JSON.parse(readFileSync(path.join(resultsDir, name), 'utf8')) as { versions?: unknown }).versions : undefined;
}

/** Whether the run found a stored entry for the dataset, and whether it was of the files' validated versions (null until it knew). */
async function storedEntryUse(page: Page): Promise<{ found: boolean; usable: boolean } | null> {
  return page.evaluate(() => {
    const mark = performance.getEntriesByName('northstar:stored-entry')[0] as PerformanceMark | undefined;
    const detail = mark?.detail as { found?: unknown; usable?: unknown } | undefined;
    return detail ? { found: detail.found === true, usable: detail.usable === true } : null;
  });
}

/**
 * Whether the engine's start was held back (engine-hold.ts) and why it went ahead, and whether it
 * began only after every panel was drawn (null while the engine has not started or nothing is drawn).
 */
async function engineStart(page: Page): Promise<{ released: string | null; afterDrawn: boolean | null }> {
  return page.evaluate(() => {
    const released = performance.getEntriesByName('northstar:engine-released')[0] as PerformanceMark | undefined;
    const started = performance.getEntriesByName('northstar:engine-start')[0];
    const drawn = performance.getEntriesByName('northstar:all-panels-drawn')[0];
    const reason = (released?.detail as { reason?: unknown } | undefined)?.reason;
    return { released: typeof reason === 'string' ? reason : null, afterDrawn: started && drawn ? started.startTime >= drawn.startTime : null };
  });
}

test('a re-open draws stored results before the load, and a changed file shows its new numbers, never the stored ones', async ({ dashboard, page, host, workspace }) => {
  const resultsDir = path.join(workspace.home, 'cache', 'results');
  const dataFile = path.join(workspace.dir, 'data', 'orders.parquet');

  // First open: nothing stored yet, the panels come from the load, and their results are stored.
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const revenue = await dashboard.kpiValue('kpi_revenue');
  const native = await computeKpisNative(dataFile, LAST_DAYS);
  expect(revenue).toBeCloseTo(native.current.revenue, 6);
  // The results are stored once the panels have drawn: the folder may not be there yet.
  await expect.poll(() => storedEntries(resultsDir), { timeout: 30_000 }).toBe(1);
  const firstVersions = storedVersions(resultsDir);
  expect(firstVersions).toEqual([[expect.objectContaining({ version: expect.stringMatching(/size \d+$/) })]]);
  // Nothing was stored before this first open: its engine started at once, before any panel drew.
  expect(await engineStart(page)).toEqual({ released: null, afterDrawn: false });

  // Re-open (a new page: a new engine) with the load held back: every panel is drawn from the store,
  // marked as updating, and the dashboard counts as drawn while not a byte of data has arrived.
  const gate = await holdDataReads(page, host.gateway.origin);
  await reopen(page, () => dashboard.open());
  await expect.poll(() => gate.waiting(), { timeout: 30_000 }).toBeGreaterThan(0);
  await dashboard.waitUntilDrawn();
  for (const id of DATA_PANELS) {
    await expect(dashboard.panel(id), id).toHaveAttribute('data-state', 'ready');
    await expect(dashboard.panel(id).getByTestId('panel-updating'), id).toBeVisible();
  }
  expect(await dashboard.kpiValue('kpi_revenue')).toBe(revenue);
  // The comparison and the title's period line name the period the stored results were computed
  // for, as after the load.
  await expect(dashboard.panel('kpi_revenue')).toContainText(`vs previous ${LAST_DAYS} days`);
  await expect(page.getByTestId('period')).toContainText(`last ${LAST_DAYS} days vs the ${LAST_DAYS} before`);
  // The charts drew from the store at once: whatever of ECharts' warm-up was still waiting was
  // dropped for them, and its hidden chart is gone.
  await expect(page.locator('.chart[data-chart-instance]')).toHaveCount(3);
  await expect(page.locator('body > div[aria-hidden="true"]')).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath('warm-open-updating.png') });
  // The engine's start waited for the stored draw (it would have taken a core while the page drew).
  await expect.poll(() => engineStart(page), { timeout: 30_000 }).toEqual({ released: 'drawn', afterDrawn: true });
  gate.release();
  // The load ends: the hints go, the numbers stay (the same data, confirmed by the load).
  await expect(page.getByTestId('panel-updating')).toHaveCount(0, { timeout: 60_000 });
  expect(await dashboard.kpiValue('kpi_revenue')).toBe(revenue);
  await page.unrouteAll({ behavior: 'wait' });

  // The data file changes (orders of one region removed): nothing stored may show for it.
  const changed = path.join(workspace.dir, 'changed.parquet');
  await queryNative(dataFile, `COPY (SELECT * FROM orders WHERE region <> 'EMEA') TO '${changed}' (FORMAT parquet)`);
  renameSync(changed, dataFile);
  const gate2 = await holdDataReads(page, host.gateway.origin);
  await reopen(page, () => dashboard.open());
  await expect.poll(() => gate2.waiting(), { timeout: 30_000 }).toBeGreaterThan(0);
  // The renderer found the entry stored for the old version of the file and used none of it: every data panel waits for the load.
  await expect.poll(() => storedEntryUse(page), { timeout: 30_000 }).toEqual({ found: true, usable: false });
  // The last open drew from the store, so this one held its engine's start, and let it go as soon as
  // the stored results turned out to be another version's: the load does not wait for a draw that cannot come.
  expect((await engineStart(page)).released).toBe('not drawable');
  for (const id of DATA_PANELS) await expect(dashboard.panel(id), id).toHaveAttribute('data-state', 'loading');
  await expect(page.getByTestId('panel-updating')).toHaveCount(0);
  gate2.release();
  await dashboard.waitUntilDrawn();
  const fresh = await computeKpisNative(dataFile, LAST_DAYS);
  expect(fresh.current.revenue).not.toBeCloseTo(native.current.revenue, 0);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(fresh.current.revenue, 6);
  // The new version's results replace the old ones in their entry: the store holds one entry still.
  await expect.poll(() => JSON.stringify(storedVersions(resultsDir)), { timeout: 30_000 }).not.toBe(JSON.stringify(firstVersions));
  expect(storedEntries(resultsDir)).toBe(1);
});

test("a re-open that will draw from stored results asks for the chart library's chunks at the page's boot, one after another", async ({ dashboard, page, workspace }) => {
  const resultsDir = path.join(workspace.home, 'cache', 'results');
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect.poll(() => storedEntries(resultsDir), { timeout: 30_000 }).toBe(1);
  // When each module preload link of the page is added, and when it has loaded (fetched and compiled).
  await page.addInitScript(() => {
    const links: { href: string; added: number; loaded: number | null }[] = [];
    (window as unknown as { __preloads: typeof links }).__preloads = links;
    new MutationObserver((records) => {
      for (const r of records)
        for (const node of r.addedNodes) {
          if (!(node instanceof HTMLLinkElement) || node.rel !== 'modulepreload') continue;
          const seen = { href: node.href, added: performance.now(), loaded: null as number | null };
          links.push(seen);
          node.addEventListener('load', (e) => (seen.loaded = e.timeStamp));
        }
    }).observe(document, { childList: true, subtree: true });
  });
  await reopen(page, () => dashboard.open());
  await dashboard.waitUntilDrawn();
  const seen = await page.evaluate(() => {
    const listed = (document.querySelector<HTMLMetaElement>('meta[name="northstar-charts"]')?.content ?? '').split(' ').filter(Boolean).map((href) => new URL(href, location.href).href);
    const links = (window as unknown as { __preloads: { href: string; added: number; loaded: number | null }[] }).__preloads;
    return {
      listed,
      preloads: listed.map((url) => links.find((l) => l.href === url) ?? null),
      fetches: listed.map((url) => performance.getEntriesByName(url, 'resource').length),
      openStart: performance.getEntriesByName('northstar:open-start')[0]?.startTime ?? null,
    };
  });
  // ECharts' core and its charts (build/compile-hints.mjs compiles them as they load): asked for
  // before the open starts, so they are compiled when the stored results need them; one at a time,
  // each once the one before has loaded, so their compiles leave a core to the page.
  expect(seen.listed.length).toBeGreaterThanOrEqual(3);
  expect(seen.listed.some((url) => /\/echarts-core-stage-[^/]*\.js$/.test(url))).toBe(true);
  expect(seen.openStart).not.toBeNull();
  seen.preloads.forEach((p, i) => {
    expect(p, seen.listed[i]).not.toBeNull();
    expect(p!.added, seen.listed[i]).toBeLessThan(seen.openStart!);
    expect(p!.loaded, seen.listed[i]).not.toBeNull();
    if (i > 0) expect(p!.added, seen.listed[i]).toBeGreaterThanOrEqual(seen.preloads[i - 1]!.loaded!);
  });
  // The charts' imports took the preloaded modules: each chunk was fetched once.
  expect(seen.fetches).toEqual(seen.listed.map(() => 1));
  await expect(page.locator('.chart[data-chart-instance]')).toHaveCount(3);
});

test('a click while the re-open still loads waits for the load, with its progress, and then answers on the loaded data', async ({ dashboard, page, host, workspace }) => {
  const dataFile = path.join(workspace.dir, 'data', 'orders.parquet');
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect.poll(() => storedEntries(path.join(workspace.home, 'cache', 'results')), { timeout: 30_000 }).toBe(1);
  const regions = await queryNative(dataFile, 'SELECT DISTINCT region FROM orders');

  const gate = await holdDataReads(page, host.gateway.origin);
  await reopen(page, () => dashboard.open());
  await dashboard.waitUntilDrawn();
  await expect(dashboard.panel('revenue_by_region').getByTestId('panel-updating')).toBeVisible();
  // Drill the first region of the chart drawn from stored results.
  const menu = await dashboard.clickBar('revenue_by_region', 0, regions.length);
  const before = await dashboard.runId();
  await menu.getByRole('menuitem', { name: /^Drill into .* by country$/ }).click();
  // The drilled chart has no stored result: it waits for the data, saying how far the load is.
  await expect(dashboard.panel('revenue_by_region')).toHaveAttribute('data-state', 'loading');
  await expect(dashboard.panel('revenue_by_region').getByTestId('panel-progress')).toBeVisible();
  await expect(dashboard.panel('revenue_by_region').getByTestId('panel-updating')).toHaveCount(0);
  gate.release();
  await dashboard.waitUntilDrawn(before + 1);
  await expect(dashboard.breadcrumbs('revenue_by_region').getByRole('button', { name: 'All regions' })).toBeVisible();
  await expect(page.getByTestId('panel-updating')).toHaveCount(0, { timeout: 60_000 });
  // The drill filters the other panels to the region: the KPI is that region's, as native DuckDB computes it.
  const trail = (await dashboard.breadcrumbs('revenue_by_region').textContent()) ?? '';
  const region = regions.map((r) => String(r.region)).find((r) => trail.includes(r));
  expect(region, trail).toBeDefined();
  const native = await computeKpisNative(dataFile, LAST_DAYS, `region = '${region}'`);
  expect(await dashboard.kpiValue('kpi_revenue')).toBeCloseTo(native.current.revenue, 6);
});
