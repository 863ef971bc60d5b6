// Page object for dropping files on the window: builds the files inside the page (a real
// DataTransfer and real File objects) and dispatches the drag events a user's drop makes.
import { expect, type Locator, type Page } from '@playwright/test';

export interface DroppedFile {
  name: string;
  /** Text content, or a size in bytes of zeros. */
  text?: string;
  size?: number;
}

export class DropPage {
  constructor(readonly page: Page) {}

  async drop(files: DroppedFile[]): Promise<void> {
    const transfer = await this.page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([f.text !== undefined ? f.text : new Uint8Array(f.size ?? 0)], f.name));
      return dt;
    }, files);
    for (const type of ['dragenter', 'dragover', 'drop']) await this.page.dispatchEvent('body', type, { dataTransfer: transfer });
  }

  offer(): Locator {
    return this.page.getByRole('dialog', { name: /^Use / });
  }

  async addAsSource(): Promise<void> {
    await this.offer().getByRole('button', { name: 'Add as data source' }).click();
    await expect(this.offer()).toBeHidden();
  }

  async newDashboard(): Promise<void> {
    await this.offer().getByRole('button', { name: 'New dashboard from this file' }).click();
    await expect(this.offer()).toBeHidden();
  }

  notice(): Locator {
    return this.page.getByTestId('notice');
  }
}
