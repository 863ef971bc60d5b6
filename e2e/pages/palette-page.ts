// Page object for the command palette (Ctrl/Cmd+K) and the About dialog it opens.
import { expect, type Locator, type Page } from '@playwright/test';

export class PalettePage {
  constructor(readonly page: Page) {}

  get dialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Command palette' });
  }

  get input(): Locator {
    return this.dialog.getByRole('combobox', { name: 'Search commands' });
  }

  get options(): Locator {
    return this.dialog.getByRole('option');
  }

  /** The highlighted option (what Enter runs). */
  get active(): Locator {
    return this.dialog.locator('[role="option"][aria-selected="true"]');
  }

  async open(): Promise<void> {
    await this.page.keyboard.press('Control+k');
    await expect(this.input).toBeFocused();
  }

  /** Open the palette, type `query`, check the highlighted command is `title`, press Enter. */
  async run(query: string, title: string): Promise<void> {
    await this.open();
    await this.input.fill(query);
    await expect(this.active).toHaveText(new RegExp(`^${escapeRegExp(title)}`));
    await this.input.press('Enter');
    await expect(this.dialog).toBeHidden();
  }

  async titles(): Promise<string[]> {
    return this.dialog.locator('.palette-title').allTextContents();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
