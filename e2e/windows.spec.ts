// Several dashboards at once in the browser host: each tab is its own renderer (store, engine,
// autosave, trust) on its own dashboard, opened from the command palette with the session token
// in its URL fragment. And a link's view opens with the dashboard in one run, not two.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDashboard } from '../dashboards/document';
import { canonicalContent } from '../dashboards/revision';
import { test, expect, EXAMPLES, DEMO_FILE, type ConsoleLog, type Page } from './fixtures/app';
import { DashboardPage } from './pages/dashboard-page';
import { WindowsPage } from './pages/windows-page';

const SQL_FILE = 'regional sql été.dashboard.json';
const ARTIFACTS = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');

/** The demo plus an SQL dataset, under another title, as a colleague would send it (so not trusted here). */
function regionalSqlDashboard(): string {
  const doc = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown> & { datasets: unknown[]; panels: unknown[]; layout: unknown[] };
  doc.id = '4f1c2b7e-3a5d-4e8f-9b0a-1c2d3e4f5a6b';
  doc.title = 'Regional (SQL)';
  doc.datasets.push({
    kind: 'sql',
    name: 'by_country',
    sql: 'SELECT country, sum(amount) AS revenue FROM orders WHERE amount > 0 GROUP BY country',
    measures: [{ name: 'revenue', agg: 'sum', column: 'revenue', format: 'currency', label: 'Revenue' }],
    dimensions: [{ name: 'country', column: 'country', label: 'Country' }],
    hierarchies: [],
  });
  doc.panels.push({ id: 'revenue_by_country', kind: 'chart', chart: 'horizontal_bar', title: 'Revenue by country (SQL)', dataset: 'by_country', x: { type: 'dimension', dimension: 'country' }, measures: ['revenue'], sort: 'value_desc', limit: 12, followFilters: true });
  doc.layout.push({ panel: 'revenue_by_country', x: 0, y: 15, w: 12, h: 6 });
  // A revision block of its own, as a colleague's save stamps it (the demo's would name the demo's content).
  delete doc.revision;
  const loaded = loadDashboard(JSON.stringify(doc));
  if (!loaded.ok) throw new Error(loaded.error.message);
  const contentHash = createHash('sha256').update(canonicalContent(loaded.dashboard)).digest('hex');
  doc.revision = { number: 1, savedAt: '2026-11-01T09:00:00.000Z', savedBy: 'colleague', parentHash: null, contentHash };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A view as a northstar:// link or the browser host carries it: base64url JSON. */
function viewParam(view: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(view)).toString('base64url');
}

/**
 * Record, each time the panels of a run are all drawn, that run's number and the period it showed:
 * "was the view there in the first run that drew?" needs no waiting for runs that might still come.
 */
async function recordDrawnRuns(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __drawnRuns: { run: number; period: string }[] };
    w.__drawnRuns = [];
    new MutationObserver(() => {
      const run = Number(document.documentElement.dataset.runId ?? 0);
      if (run > 0 && w.__drawnRuns.at(-1)?.run !== run) w.__drawnRuns.push({ run, period: document.querySelector('[data-testid="period"]')?.textContent ?? '' });
      // The init script runs before <html> exists: watch the document for it.
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-run-id'] });
  });
}

/** The first drawn run (after `after`) whose period is the view's "last 7 days". */
async function firstRunShowingSevenDays(page: Page, after: number): Promise<number> {
  let found = 0;
  await expect
    .poll(async () => {
      const runs = await page.evaluate(() => (window as unknown as { __drawnRuns: { run: number; period: string }[] }).__drawnRuns);
      found = runs.find((r) => r.run > after && r.period.includes('last 7 days'))?.run ?? 0;
      return found;
    }, { timeout: 60_000 })
    .toBeGreaterThan(0);
  return found;
}

/** Browser errors of a tab the fixture did not open count like the first page's. */
function watch(tab: Page, log: ConsoleLog): void {
  tab.on('console', (msg) => msg.type() === 'error' && log.errors.push(msg.text()));
  tab.on('pageerror', (err) => log.errors.push(`pageerror: ${err.message}`));
}

const autosaveName = (file: string) => `${createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 32)}.json`;
const autosaves = (home: string): string[] => {
  try {
    return readdirSync(path.join(home, 'autosave')).sort();
  } catch {
    return [];
  }
};
const titleOf = (file: string, panel: string) => (JSON.parse(readFileSync(file, 'utf8')) as { panels: { id: string; title: string }[] }).panels.find((p) => p.id === panel)?.title;

test.describe('several dashboards at once', () => {
  test.use({ extraFiles: { [SQL_FILE]: regionalSqlDashboard() } });

  test('Open dashboard in new window: two tabs on two dashboards, edited, autosaved, trusted and saved independently', async ({ dashboard, page, host, workspace, consoleLog }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await expect(page).toHaveTitle('Customer KPIs — Northstar');

    const tab = await new WindowsPage(page, host).openInNewWindow(workspace.file(SQL_FILE));
    watch(tab, consoleLog);
    const other = new DashboardPage(tab, host);
    await other.waitUntilDrawn();
    await expect(tab).toHaveTitle('Regional (SQL) — Northstar');
    await expect(tab.locator('.dashboard-title .title-text')).toHaveText('Regional (SQL)');
    // Trust is per dashboard: the colleague's SQL waits in its tab; the first tab never asked.
    await expect(other.reviewDialog()).toBeVisible();
    await expect(other.panel('revenue_by_country')).toHaveAttribute('data-state', 'waiting');
    await expect(page.getByTestId('review-banner')).toHaveCount(0);

    // An unsaved edit in each tab.
    await dashboard.renamePanel('kpi_orders', 'Orders (first tab)');
    await other.reviewDialog().getByRole('button', { name: 'Trust this dashboard and run its SQL' }).click();
    await expect(other.panel('revenue_by_country')).toHaveAttribute('data-state', 'ready');
    await other.renamePanel('kpi_revenue', 'Revenue (second tab)');
    await expect(tab).toHaveTitle('• Regional (SQL) — Northstar');
    await expect(page).toHaveTitle('• Customer KPIs — Northstar');
    // Each is autosaved for its own file.
    await expect.poll(() => autosaves(workspace.home)).toEqual([autosaveName(workspace.file()), autosaveName(workspace.file(SQL_FILE))].sort());
    await tab.screenshot({ path: path.join(ARTIFACTS, 'windows-second-tab.png') });

    // Saving the second tab writes its file only; the first keeps its own unsaved edit and nothing of the other's.
    const firstOnDisk = readFileSync(workspace.file(), 'utf8');
    await other.save();
    expect(titleOf(workspace.file(SQL_FILE), 'kpi_revenue')).toBe('Revenue (second tab)');
    expect(titleOf(workspace.file(SQL_FILE), 'kpi_orders')).toBe('Orders');
    expect(readFileSync(workspace.file(), 'utf8')).toBe(firstOnDisk);
    await expect.poll(() => autosaves(workspace.home)).toEqual([autosaveName(workspace.file())]);
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders (first tab)');
    await expect(dashboard.panelTitle('kpi_revenue')).toHaveText('Revenue');
    await expect(page).toHaveTitle('• Customer KPIs — Northstar');

    await dashboard.save();
    expect(titleOf(workspace.file(), 'kpi_orders')).toBe('Orders (first tab)');
    expect(titleOf(workspace.file(), 'kpi_revenue')).toBe('Revenue');
    expect(titleOf(workspace.file(SQL_FILE), 'kpi_orders')).toBe('Orders');
    await expect(other.panelTitle('kpi_orders')).toHaveText('Orders');

    // Trusting in the second tab trusted that content only: the first tab's file has no SQL to trust,
    // and reloading the second keeps its SQL running (remembered by content on this machine).
    await tab.reload();
    await other.waitUntilDrawn();
    await expect(tab.getByTestId('review-banner')).toHaveCount(0);
    await expect(other.panel('revenue_by_country')).toHaveAttribute('data-state', 'ready');
  });

  test('New window: a tab with nothing open says what it can open, and opens the demo from there', async ({ dashboard, page, host, consoleLog }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const tab = await new WindowsPage(page, host).newWindow();
    watch(tab, consoleLog);
    await expect(tab.getByTestId('start-view')).toContainText('No dashboard open in this window');
    await tab.screenshot({ path: path.join(ARTIFACTS, 'windows-start.png') });
    await tab.getByRole('button', { name: 'Open the demo' }).click();
    await new DashboardPage(tab, host).waitUntilDrawn();
    await expect(tab.locator('.dashboard-title .title-text')).toHaveText('Customer KPIs');
  });
});

test.describe('a link with a view opens in one run', () => {
  test.use({ extraFiles: { [SQL_FILE]: regionalSqlDashboard() } });
  const VIEW = { id: 'last_week', name: 'Last week', timeRange: { lastDays: 7, anchor: 'data' } };

  test('a page launched on a file and a view runs once, showing the view', async ({ page, host, workspace, consoleLog }) => {
    void consoleLog;
    const windows = new WindowsPage(page, host);
    await recordDrawnRuns(page);
    await page.goto(windows.launchUrl({ file: workspace.file(SQL_FILE), view: viewParam(VIEW) }));
    await expect(page.locator('.dashboard-title .title-text')).toHaveText('Regional (SQL)');
    await expect(page.getByTestId('notice')).toContainText('Showing the shared view "Last week"');
    expect(await firstRunShowingSevenDays(page, 0)).toBe(1);
  });

  test('a file and view the desktop host hands over open in one run', async ({ page, host, workspace, consoleLog }) => {
    void consoleLog;
    // The desktop preload's event bridge, stood in for in the page: the same HostEvent reaches openFromHost.
    await page.addInitScript(() => {
      const w = window as unknown as { northstarHostEvents: unknown; __hostEvent?: (e: unknown) => void };
      w.northstarHostEvents = {
        subscribe(listener: (e: unknown) => void) {
          w.__hostEvent = listener;
          return () => undefined;
        },
      };
    });
    await recordDrawnRuns(page);
    const dashboard = new DashboardPage(page, host);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const before = await dashboard.runId();
    const file = workspace.file(SQL_FILE);
    await page.evaluate(({ path: p, view }) => (window as unknown as { __hostEvent: (e: unknown) => void }).__hostEvent({ kind: 'openFile', path: p, view }), { path: file, view: viewParam(VIEW) });
    await expect(page.locator('.dashboard-title .title-text')).toHaveText('Regional (SQL)');
    // The file's first run already shows the view: before, it ran as saved and then again with the view.
    expect(await firstRunShowingSevenDays(page, before)).toBe(before + 1);
  });
});
