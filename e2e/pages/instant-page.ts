// Page object for File › New dashboard from data… (VS Code test/automation style): choosing the
// data (typed, or through the in-app file browser), the picks step, and saving the new dashboard.
import { expect, type Locator, type Page } from '@playwright/test';

export class InstantPage {
  constructor(readonly page: Page) {}

  dialog(): Locator {
    return this.page.getByRole('dialog', { name: 'New dashboard from data' });
  }

  async open(): Promise<void> {
    await this.page.getByRole('button', { name: 'New from data…' }).click();
    await expect(this.dialog()).toBeVisible();
  }

  /** Browse with the in-app file browser: from the dashboard's folder, through `folders`, to `file`. */
  async browseTo(folders: string[], file: string): Promise<void> {
    await this.dialog().getByTestId('browse').click();
    const browser = this.page.getByRole('dialog', { name: 'Choose a data file' });
    await expect(browser).toBeVisible();
    for (const f of folders) await browser.locator(`[data-entry="${f}"]`).click();
    await browser.locator(`[data-entry="${file}"]`).click();
    await expect(browser).toBeHidden();
  }

  async typePath(path: string): Promise<void> {
    await this.dialog().getByLabel('Data file (Parquet, CSV, TSV or JSON)').fill(path);
  }

  async pathValue(): Promise<string> {
    return this.dialog().getByLabel('Data file (Parquet, CSV, TSV or JSON)').inputValue();
  }

  async read(): Promise<void> {
    await this.dialog().getByRole('button', { name: /Read the data|Read again/ }).click();
  }

  picks(): Locator {
    return this.dialog().getByTestId('instant-picks');
  }

  error(): Locator {
    return this.dialog().getByTestId('instant-error');
  }

  async timeColumn(): Promise<string | null> {
    const checked = this.picks().locator('input[name="instant-time"]:checked');
    if ((await checked.count()) === 0) return null;
    const label = (await checked.locator('xpath=..').innerText()).trim();
    return label === 'none' ? null : label;
  }

  async checked(kind: 'measure' | 'dimension'): Promise<string[]> {
    return this.picks().locator(`input[name="${kind}"]:checked`).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  }

  async offered(kind: 'measure' | 'dimension'): Promise<string[]> {
    return this.picks().locator(`input[name="${kind}"]`).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  }

  async toggle(kind: 'measure' | 'dimension', column: string): Promise<void> {
    await this.picks().locator(`input[name="${kind}"][value="${column}"]`).click();
  }

  async create(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Create dashboard' }).click();
    await expect(this.dialog()).toBeHidden({ timeout: 90_000 });
  }

  /** Save the new dashboard: the first save asks where (the browser host's own dialog). */
  async saveAs(path?: string): Promise<string> {
    await this.page.getByRole('button', { name: /^Save( •)?$/ }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Save the new dashboard' });
    await expect(dialog).toBeVisible();
    const input = dialog.getByLabel('Save as');
    if (path !== undefined) await input.fill(path);
    const target = await input.inputValue();
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog).toBeHidden();
    return target;
  }
}
