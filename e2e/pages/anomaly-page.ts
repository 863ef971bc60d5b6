// Page object for the anomaly panel: the data-quality check results of the open dashboard.
import type { Locator, Page } from '@playwright/test';

export class AnomalyPage {
  constructor(
    readonly page: Page,
    private readonly panelId: string,
  ) {}

  get panel(): Locator {
    return this.page.locator(`[data-panel-id="${this.panelId}"]`);
  }

  get summary(): Locator {
    return this.panel.getByTestId('check-summary');
  }

  check(id: string): Locator {
    return this.panel.locator(`[data-check-id="${id}"]`);
  }

  /** The button that opens a check's row (the row may also hold the fix its finding offers). */
  toggle(id: string): Locator {
    return this.check(id).locator('button.check-toggle');
  }

  /** Open a check's row to show its example rows. */
  async expand(id: string): Promise<void> {
    await this.toggle(id).click();
  }

  examples(id: string): Locator {
    return this.check(id).locator('table.check-examples');
  }
}
