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
    await this.page.getByRole('button', { name: /Data sources/ }).click();
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
}
