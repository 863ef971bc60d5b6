// Page object for sharing and printing: the "Share…" dialog and "Print / Save as PDF…".
import { expect, type Locator, type Page } from '@playwright/test';
import { openShareExportMenu } from './dashboard-page';

export class SharePage {
  constructor(readonly page: Page) {}

  dialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Share this dashboard' });
  }

  async open(): Promise<Locator> {
    await openShareExportMenu(this.page);
    await this.page.getByRole('button', { name: 'Share…' }).click();
    const dialog = this.dialog();
    await expect(dialog).toBeVisible();
    return dialog;
  }

  shareButton(): Locator {
    return this.dialog().getByRole('button', { name: /^Share$|^Sharing/ });
  }

  unsavedWarning(): Locator {
    return this.dialog().getByTestId('share-unsaved');
  }

  /** Fill the dialog and share; returns the summary line shown. */
  async share(folder: string, opts: { withData: boolean; withHistory: boolean }): Promise<string> {
    const dialog = this.dialog();
    await dialog.getByLabel('Folder to share into').fill(folder);
    await dialog.getByLabel('Include a snapshot of the data').setChecked(opts.withData);
    await dialog.getByLabel('Include the version history').setChecked(opts.withHistory);
    await this.shareButton().click();
    const result = dialog.getByTestId('share-result');
    await expect(result.or(dialog.getByTestId('share-error'))).toBeVisible({ timeout: 60_000 });
    await expect(dialog.getByTestId('share-error')).toHaveCount(0);
    return (await result.locator('p').first().innerText()).trim();
  }

  async close(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Close' }).click();
    await expect(this.dialog()).toHaveCount(0);
  }

  printButton(): Locator {
    return this.page.getByRole('button', { name: 'Print / Save as PDF…' });
  }

  /** Click "Print / Save as PDF…" with window.print replaced by a counter; returns how often it was called. */
  async clickPrintCountingCalls(): Promise<number> {
    await this.page.evaluate(() => {
      const w = window as unknown as { print: () => void; __prints: number };
      w.__prints = 0;
      w.print = () => {
        w.__prints += 1;
      };
    });
    await openShareExportMenu(this.page);
    await this.printButton().click();
    return this.page.evaluate(() => (window as unknown as { __prints: number }).__prints);
  }
}
