// Page object for the dashboard view (VS Code test/automation style): tests say what a user does.
import { expect, type Locator, type Page } from '@playwright/test';
import type { BrowserHost } from '../../electron/browser-host/server';

export class DashboardPage {
  constructor(
    readonly page: Page,
    private readonly host: BrowserHost,
  ) {}

  async open(): Promise<void> {
    await this.page.goto(this.host.url);
  }

  /** Open the top bar's "Share & export" menu (Share…, Print / Save as PDF…, Save as PNG…, Theme). */
  async openShareExport(): Promise<void> {
    await openShareExportMenu(this.page);
  }

  /** Wait until every panel of run `minRun` (or later) is drawn. */
  async waitUntilDrawn(minRun = 1): Promise<void> {
    await expect
      .poll(async () => Number((await this.page.locator('html').getAttribute('data-run-id')) ?? 0), { timeout: 90_000 })
      .toBeGreaterThanOrEqual(minRun);
  }

  async runId(): Promise<number> {
    return Number((await this.page.locator('html').getAttribute('data-run-id')) ?? 0);
  }

  panel(id: string): Locator {
    return this.page.locator(`[data-panel-id="${id}"]`);
  }

  /** The exact value behind a KPI tile (the tile shows it rounded). */
  async kpiValue(id: string): Promise<number> {
    const raw = await this.panel(id).locator('.kpi-value').getAttribute('data-value');
    if (raw === null || raw === '') throw new Error(`KPI ${id} shows no value`);
    return Number(raw);
  }

  async kpiPrevious(id: string): Promise<number> {
    const raw = await this.panel(id).locator('.kpi-change').getAttribute('data-previous');
    if (raw === null || raw === '') throw new Error(`KPI ${id} shows no comparison`);
    return Number(raw);
  }

  /** Milliseconds from navigation to all panels drawn, from the renderer's own performance mark. */
  async openTimeMs(): Promise<number> {
    return this.page.evaluate(() => {
      const marks = performance.getEntriesByName('northstar:all-panels-drawn');
      const first = marks[0];
      if (!first) throw new Error('no all-panels-drawn mark');
      return first.startTime;
    });
  }

  async pointSourceAtS3(source: string, s3: { uri: string; endpoint: string; region: string; keys?: { accessKeyId: string; secretAccessKey: string } }) {
    await this.page.getByRole('button', { name: /^Data sources/ }).click();
    const row = this.page.locator(`[data-source="${source}"]`);
    await row.getByRole('button', { name: /Change/ }).click();
    const form = row.getByRole('form');
    await form.getByLabel('Amazon S3 or S3-compatible').check();
    await form.getByLabel('S3 URI').fill(s3.uri);
    await form.getByLabel('Endpoint (for S3-compatible stores)').fill(s3.endpoint);
    await form.getByLabel('Region').fill(s3.region);
    if (s3.keys) {
      await form.getByLabel('Access key ID (optional)').fill(s3.keys.accessKeyId);
      await form.getByLabel('Secret access key').fill(s3.keys.secretAccessKey);
    }
    await form.getByRole('button', { name: 'Connect' }).click();
  }

  async closeSources(): Promise<void> {
    await this.page.getByRole('button', { name: 'Close' }).click();
  }

  sourceErrors(): Locator {
    return this.page.getByTestId('source-error');
  }

  panelTitle(id: string): Locator {
    return this.panel(id).locator('.panel-title .title-text');
  }

  /** Rename a panel the way a user does: its rename button, type, Enter. */
  async renamePanel(id: string, title: string): Promise<void> {
    await this.panel(id).locator('.panel-title').hover();
    await this.panel(id).getByRole('button', { name: /^Rename / }).click();
    const input = this.panel(id).getByRole('textbox', { name: 'Title' });
    await input.fill(title);
    await input.press('Enter');
  }

  /** Ctrl+S, then wait for the "Saved revision N" notice. */
  async save(): Promise<void> {
    await this.page.keyboard.press('Control+s');
    await expect(this.page.getByTestId('notice')).toContainText('Saved revision');
  }

  async saveWithMessage(message: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Save with a message' }).click();
    await this.page.getByLabel('Message for this revision').fill(message);
    await this.page.getByRole('button', { name: 'Save revision' }).click();
    await expect(this.page.getByTestId('notice')).toContainText('Saved revision');
  }

  async openHistory(): Promise<Locator> {
    await this.page.getByRole('button', { name: 'History' }).click();
    const drawer = this.page.getByRole('dialog', { name: 'History' });
    await expect(drawer).toBeVisible();
    return drawer;
  }

  revisionRow(n: number): Locator {
    return this.page.locator(`[data-revision="${n}"]`);
  }

  conflictDialog(): Locator {
    return this.page.getByRole('alertdialog');
  }

  reviewDialog(): Locator {
    return this.page.getByRole('dialog', { name: "Review this dashboard's SQL" });
  }

  /** Click the n-th category (0 = first) of a bar chart; returns the menu that opens. */
  async clickBar(panelId: string, index: number, count: number): Promise<Locator> {
    const canvas = this.panel(panelId).locator('canvas');
    const box = await canvas.boundingBox();
    if (!box) throw new Error(`panel ${panelId} has no chart`);
    // Horizontal bars: categories are evenly spaced bands over the plot, first on top.
    const plotTop = box.y + box.height * 0.03;
    const plotHeight = box.height * 0.88;
    await this.page.mouse.click(box.x + box.width * 0.6, plotTop + (plotHeight * (index + 0.5)) / count);
    const menu = this.panel(panelId).getByRole('menu');
    await expect(menu).toBeVisible();
    return menu;
  }

  /** Click the category `index` of `count` on a line chart: points sit evenly from the plot's left edge to its right one (about 9%–91% of a half-width canvas). */
  async clickLinePoint(panelId: string, index: number, count: number): Promise<Locator> {
    const canvas = this.panel(panelId).locator('canvas').first();
    const box = await canvas.boundingBox();
    if (!box) throw new Error(`panel ${panelId} has no chart`);
    const left = box.x + box.width * 0.09;
    const width = box.width * 0.82;
    await this.page.mouse.click(left + (count > 1 ? (width * index) / (count - 1) : width / 2), box.y + box.height * 0.5);
    const menu = this.panel(panelId).getByRole('menu');
    await expect(menu).toBeVisible();
    return menu;
  }

  /** Click the cell in column `column` of `columns` and row `row` of `rows` of a heatmap (the plot leaves room for the colour scale below). */
  async clickHeatmapCell(panelId: string, column: number, columns: number, row: number, rows: number): Promise<Locator> {
    const canvas = this.panel(panelId).locator('canvas').first();
    const box = await canvas.boundingBox();
    if (!box) throw new Error(`panel ${panelId} has no chart`);
    const plot = { left: box.x + box.width * 0.12, width: box.width * 0.86, top: box.y + box.height * 0.04, height: box.height * 0.7 };
    await this.page.mouse.click(plot.left + (plot.width * (column + 0.5)) / columns, plot.top + (plot.height * (row + 0.5)) / rows);
    const menu = this.panel(panelId).getByRole('menu');
    await expect(menu).toBeVisible();
    return menu;
  }

  async chooseMenuAction(menu: Locator, label: RegExp): Promise<void> {
    const before = await this.runId();
    await menu.getByRole('menuitem', { name: label }).click();
    await this.waitUntilDrawn(before + 1);
  }

  breadcrumbs(panelId: string): Locator {
    return this.panel(panelId).getByRole('navigation');
  }

  async menuTitle(menu: Locator): Promise<string> {
    return (await menu.getAttribute('aria-label')) ?? '';
  }
}

/** Open the "Share & export" menu unless it is open already. */
export async function openShareExportMenu(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Share & export ▾' });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await expect(page.getByLabel('Share and export')).toBeVisible();
}
