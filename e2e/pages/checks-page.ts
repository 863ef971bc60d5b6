// Page object for authoring data checks: the dataset scan, pinning a check from a panel's menu, and
// the anomaly marks a chart draws (read from the chart's `data-anomaly-marks`, a test hook).
import { expect, type Locator, type Page } from '@playwright/test';

/** One mark on a chart, as the chart lists it for tests. */
export interface ChartMark {
  check: string;
  kind: 'point' | 'area';
  from: string;
  to: string;
  status: 'warn' | 'fail';
  text: string;
}

export class ChecksPage {
  constructor(readonly page: Page) {}

  // ---- Scan ----

  scanDialog(): Locator {
    return this.page.getByTestId('scan-dialog');
  }

  /** Open the Datasets drawer on a dataset and start its scan. */
  async scan(dataset: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Datasets', exact: true }).click();
    const drawer = this.page.getByRole('dialog', { name: 'Datasets' });
    await drawer.locator(`[data-dataset="${dataset}"]`).click();
    await drawer.getByRole('button', { name: 'Scan for problems' }).click();
    await expect(this.scanDialog()).toBeVisible();
  }

  /** Wait for the scan's findings (the demo's 400,000 rows take a while in the browser engine). */
  async waitForFindings(): Promise<void> {
    await expect(this.scanDialog().getByTestId('scan-summary')).toBeVisible({ timeout: 120_000 });
  }

  finding(rule: string, column: string): Locator {
    return this.scanDialog().locator(`li.scan-finding[data-rule="${rule}"][data-column="${column}"]`);
  }

  async pick(rule: string, column: string): Promise<void> {
    await this.finding(rule, column).getByRole('checkbox').check();
  }

  async pinPicked(count: number): Promise<void> {
    await this.scanDialog().getByRole('button', { name: `Pin ${count} ${count === 1 ? 'check' : 'checks'}` }).click();
    await expect(this.scanDialog()).toBeHidden();
  }

  async closeDatasets(): Promise<void> {
    const drawer = this.page.getByRole('dialog', { name: 'Datasets' });
    await drawer.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(drawer).toBeHidden();
  }

  // ---- Pin from a panel ----

  pinDialog(): Locator {
    return this.page.getByTestId('pin-check-dialog');
  }

  /** Open a panel's menu and choose one of its "Watch …" entries. */
  async watchFromPanel(panelId: string, entry: RegExp): Promise<void> {
    await this.page.locator(`[data-panel-id="${panelId}"]`).getByRole('button', { name: /^Panel menu for / }).click();
    await this.page.getByRole('menuitem', { name: entry }).click();
    await expect(this.pinDialog()).toBeVisible();
  }

  field(label: string): Locator {
    return this.pinDialog().getByLabel(label, { exact: true });
  }

  /** A drop-down of the dialog (its accessible name starts with the label, then its options). */
  choice(label: string): Locator {
    return this.pinDialog().getByRole('combobox', { name: new RegExp(`^${label}`) });
  }

  async addPinnedCheck(): Promise<void> {
    await this.pinDialog().getByRole('button', { name: 'Add check' }).click();
    await expect(this.pinDialog()).toBeHidden();
  }

  // ---- Marks ----

  /**
   * Hover along a chart's top edge around `fraction` of its width until a mark's tooltip (it names
   * "(check …") shows, then click there. The pin's pixels are on the canvas only: the tooltip is
   * how a test knows the pointer is on it.
   */
  async clickMarkNear(panelId: string, fraction: number, top = 40): Promise<void> {
    const chart = this.page.locator(`[data-panel-id="${panelId}"] .chart`);
    const box = await chart.boundingBox();
    if (!box) throw new Error(`the chart of ${panelId} is not on screen`);
    const tooltip = chart.locator('div').filter({ hasText: '(check ' }).last();
    const center = box.x + fraction * box.width;
    for (let dx = 0; dx <= 60; dx += 3) {
      for (const x of dx === 0 ? [center] : [center - dx, center + dx]) {
        await this.page.mouse.move(x, box.y + top);
        if (await tooltip.isVisible()) {
          await this.page.mouse.click(x, box.y + top);
          return;
        }
      }
    }
    throw new Error(`no anomaly mark near ${Math.round(fraction * 100)}% of the chart of ${panelId}`);
  }

  /** The anomaly marks the chart of a panel draws now. */
  async marks(panelId: string): Promise<ChartMark[]> {
    const text = await this.page.locator(`[data-panel-id="${panelId}"] .chart`).getAttribute('data-anomaly-marks');
    return JSON.parse(text ?? '[]') as ChartMark[];
  }
}
