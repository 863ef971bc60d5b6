// Sharing and printing, end to end: share the demo with its data from the UI into a folder, open
// that folder in a second browser host (as a colleague would) and compare the KPIs; refuse to share
// unsaved changes; print the dashboard to PDF through Chromium and look at page 1.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { startBrowserHost } from '../electron/browser-host/server';
import { test, expect, DEMO_FILE, EXAMPLES } from './fixtures/app';
import { DashboardPage } from './pages/dashboard-page';
import { SharePage } from './pages/share-page';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
const KPI_PANELS = ['kpi_revenue', 'kpi_orders', 'kpi_aov', 'kpi_active_customers'];

test.beforeAll(() => mkdirSync(ARTIFACTS, { recursive: true }));

/** Fail on browser errors of a second page, as the consoleLog fixture does for the first. */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

async function kpis(dashboard: DashboardPage): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of KPI_PANELS) out[id] = await dashboard.kpiValue(id);
  return out;
}

function which(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('shares the demo with its data from the UI; a colleague\'s host on the copy shows the same KPIs', async ({ dashboard, page, workspace, context }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const original = await kpis(dashboard);

  const folder = path.join(workspace.dir, '..', 'outbox', 'customer-kpis');
  const share = new SharePage(page);
  await share.open();
  const summary = await share.share(folder, { withData: true, withHistory: false });
  expect(summary).toBe(`Shared to ${folder}: ${DEMO_FILE} + 1 data file (5.1 MB). Without version history.`);
  await share.close();

  expect(readdirSync(folder).sort()).toEqual(['customer-kpis.dashboard.json', 'data']);
  expect(readFileSync(path.join(folder, 'data', 'orders.parquet')).equals(readFileSync(path.join(workspace.dir, 'data', 'orders.parquet')))).toBe(true);

  // The colleague: another host, another home, only the shared folder.
  const home = mkdtempSync(path.join(os.tmpdir(), 'northstar-colleague-'));
  const colleagueHost = await startBrowserHost({ appVersion: 'e2e', dashboardPath: path.join(folder, DEMO_FILE), homeDir: home, ...(process.env.NORTHSTAR_RENDERER_DIR ? { rendererDir: process.env.NORTHSTAR_RENDERER_DIR } : {}) });
  try {
    const colleaguePage = await context.newPage();
    const errors = watchConsole(colleaguePage);
    const colleague = new DashboardPage(colleaguePage, colleagueHost);
    await colleague.open();
    await colleague.waitUntilDrawn();
    expect(await kpis(colleague)).toEqual(original);
    expect(errors).toEqual([]);
    await colleaguePage.close();
  } finally {
    await colleagueHost.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('"Browse for a folder…" picks a folder in the in-app browser (data files shown, not picked); the path stays editable and the share goes there', async ({ dashboard, page, workspace }) => {
  const team = path.join(workspace.dir, 'outbox', 'team');
  mkdirSync(team, { recursive: true });
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const share = new SharePage(page);
  const dialog = await share.open();
  await dialog.getByRole('button', { name: 'Browse for a folder…' }).click();
  const browser = page.getByRole('dialog', { name: 'Choose a folder' });
  await expect(browser.getByTestId('browser-path')).toHaveText(workspace.dir);
  await browser.locator('[data-entry="data"]').click();
  await expect(browser.locator('[data-entry="orders.parquet"]')).toBeDisabled();
  await browser.getByRole('button', { name: 'Up one folder' }).click();
  await browser.locator('[data-entry="outbox"]').click();
  await browser.locator('[data-entry="team"]').click();
  await expect(browser.getByTestId('browser-path')).toHaveText(team);
  await page.screenshot({ path: path.join(ARTIFACTS, 'share-folder-browser.png') });
  await browser.getByTestId('choose-folder').click();
  await expect(browser).toBeHidden();
  const input = dialog.getByLabel('Folder to share into');
  await expect(input).toHaveValue(team);
  await page.screenshot({ path: path.join(ARTIFACTS, 'share-folder-picked.png') });
  // Escape in the browser closes the browser only.
  await dialog.getByRole('button', { name: 'Browse for a folder…' }).click();
  await expect(browser).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(browser).toBeHidden();
  await expect(dialog).toBeVisible();
  // A new folder's name can still be added to the picked one.
  await input.fill(path.join(team, 'customer-kpis'));
  await dialog.getByLabel('Include the version history').setChecked(false);
  await share.shareButton().click();
  await expect(dialog.getByTestId('share-result')).toBeVisible({ timeout: 60_000 });
  expect(readdirSync(path.join(team, 'customer-kpis')).sort()).toEqual(['customer-kpis.dashboard.json', 'data']);
});

test('refuses to share unsaved changes ("Save first"), then shares the saved file with its history', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await dashboard.renamePanel('kpi_revenue', 'Net revenue');

  const share = new SharePage(page);
  const dialog = await share.open();
  await expect(share.unsavedWarning()).toContainText('Save first');
  await dialog.getByLabel('Folder to share into').fill(path.join(workspace.dir, '..', 'outbox'));
  await expect(share.shareButton()).toBeDisabled();

  await share.unsavedWarning().getByRole('button', { name: 'Save' }).click();
  await expect(share.unsavedWarning()).toHaveCount(0);
  const folder = path.join(workspace.dir, '..', 'outbox-with-history');
  const summary = await share.share(folder, { withData: false, withHistory: true });
  expect(summary).toBe(`Shared to ${folder}: ${DEMO_FILE} + 1 revision of history. With its version history.`);

  const shared = JSON.parse(readFileSync(path.join(folder, DEMO_FILE), 'utf8')) as { id: string; panels: { id: string; title: string }[] };
  expect(shared.panels.find((p) => p.id === 'kpi_revenue')?.title).toBe('Net revenue');
  expect(readdirSync(path.join(folder, '.northstar', 'history', shared.id))).toHaveLength(1);
  expect(existsSync(path.join(folder, 'data'))).toBe(false);
});

const FILTERED_FILE = 'emea-kpis.dashboard.json';

function filteredDemo(): string {
  const demo = JSON.parse(readFileSync(path.join(EXAMPLES, DEMO_FILE), 'utf8')) as Record<string, unknown>;
  const doc = { ...demo, title: 'Customer KPIs, EMEA', filters: [{ id: 'region', kind: 'dimension', dataset: 'orders', dimension: 'region', values: ['EMEA'] }] };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

test.describe('Print / Save as PDF', () => {
  test.use({ openFile: FILTERED_FILE, extraFiles: { [FILTERED_FILE]: filteredDemo() } });

  test('prints the whole dashboard: a PDF with the title, period, filters and print time; page 1 rendered to PNG', async ({ dashboard, page }) => {
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const share = new SharePage(page);
    expect(await share.clickPrintCountingCalls()).toBe(1);

    const period = (await page.getByTestId('period').innerText()).trim();
    expect(period).toMatch(/last 30 days/);
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const pdfPath = path.join(ARTIFACTS, 'report.pdf');
    writeFileSync(pdfPath, pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? [];
    expect(pages.length).toBeGreaterThanOrEqual(1);

    if (which('pdftotext')) {
      const text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
      expect(text).toContain('Customer KPIs, EMEA');
      // The header: the period line as on screen, the filter chip and the print time.
      expect(text.replace(/\s+/g, ' ')).toContain(period.replace(/\s+/g, ' '));
      expect(text).toContain('Region: EMEA');
      expect(text).toMatch(/Printed \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      // Panels are there; controls are not.
      for (const title of ['Revenue', 'Daily revenue']) expect(text).toContain(title);
      for (const control of ['Data sources', 'Edit layout', 'Print / Save as PDF', '+ Filter', 'Clicks filter other panels']) expect(text).not.toContain(control);
    } else {
      // Without poppler: the title is in the PDF's metadata (document.title while printing).
      test.info().annotations.push({ type: 'note', description: 'pdftotext not installed: checked the PDF title metadata only' });
      expect(pdfTitle(pdf)).toBe('Customer KPIs, EMEA');
    }
    if (which('pdftoppm')) {
      execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdfPath, path.join(ARTIFACTS, 'report-page1')]);
      expect(existsSync(path.join(ARTIFACTS, 'report-page1.png'))).toBe(true);
    }
    // After printing the screen is as it was: the chart fills its panel again.
    const panelBox = await dashboard.panel('daily_revenue').boundingBox();
    const canvasBox = await dashboard.panel('daily_revenue').locator('canvas').boundingBox();
    if (!panelBox || !canvasBox) throw new Error('daily_revenue has no chart');
    expect(canvasBox.width).toBeGreaterThan(panelBox.width * 0.9);
    // The test-side PNG of the whole page (the app itself offers no PNG report).
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-screen.png'), fullPage: true });
  });
});

/** The /Title of a PDF's info dictionary (Chromium writes it as UTF-16BE hex or a literal string). */
function pdfTitle(pdf: Buffer): string | null {
  const raw = pdf.toString('latin1');
  const hex = /\/Title\s*<FEFF([0-9A-Fa-f]*)>/.exec(raw);
  if (hex?.[1]) return Buffer.from(hex[1], 'hex').swap16().toString('utf16le');
  const literal = /\/Title\s*\(([^)]*)\)/.exec(raw);
  return literal?.[1] ?? null;
}
