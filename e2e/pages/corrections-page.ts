// Page object for corrections: the fix a finding offers in the anomaly panel, the corrections list,
// and the top bar's "Show raw" switch.
import { expect, type Locator, type Page } from '@playwright/test';

export class CorrectionsPage {
  constructor(
    readonly page: Page,
    private readonly anomalyPanelId: string,
  ) {}

  private get panel(): Locator {
    return this.page.locator(`[data-panel-id="${this.anomalyPanelId}"]`);
  }

  /** The fix offered under a check's row. */
  offer(checkId: string): Locator {
    return this.panel.locator(`[data-check-id="${checkId}"]`).getByTestId('fix-offer');
  }

  /** Click a check's fix, check the prefilled reason, sign it and apply it. */
  async applyFix(checkId: string, author: string): Promise<{ reason: string }> {
    await this.offer(checkId).click();
    const form = this.panel.locator(`[data-check-id="${checkId}"]`).getByTestId('fix-form');
    const reason = await form.getByLabel('Reason').inputValue();
    await form.getByLabel('Your name').fill(author);
    await form.getByRole('button', { name: 'Apply correction' }).click();
    await expect(form).toHaveCount(0);
    return { reason };
  }

  get list(): Locator {
    return this.panel.getByTestId('corrections');
  }

  items(): Locator {
    return this.list.locator('[data-correction-id]');
  }

  item(id: string): Locator {
    return this.list.locator(`[data-correction-id="${id}"]`);
  }

  async remove(id: string): Promise<void> {
    await this.item(id).getByRole('button', { name: `Remove correction ${id}` }).click();
  }

  get rawSwitch(): Locator {
    return this.page.getByRole('button', { name: /^Show (raw|corrected)$/ });
  }

  get rawNotice(): Locator {
    return this.page.getByTestId('raw-notice');
  }
}
