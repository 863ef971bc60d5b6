// Page object for the Datasets drawer (VS Code test/automation style): tests say what a user does
// with datasets, measures and SQL, and what they see.
import { expect, type Locator, type Page } from '@playwright/test';

export interface NewMeasure {
  name: string;
  label: string;
  /** As the Aggregation menu says it: "Sum", "Count distinct", … */
  aggregation: string;
  column: string;
  /** As the Format menu says it: "Whole number", "Currency", … */
  format: string;
}

export class DatasetsPage {
  constructor(readonly page: Page) {}

  drawer(): Locator {
    return this.page.getByRole('dialog', { name: 'Datasets' });
  }

  async open(): Promise<void> {
    await this.page.getByRole('button', { name: 'Datasets', exact: true }).click();
    await expect(this.drawer()).toBeVisible();
  }

  async close(): Promise<void> {
    await this.drawer().getByRole('button', { name: 'Close', exact: true }).click();
    await expect(this.drawer()).toBeHidden();
  }

  /** A dataset in the list (its label, kind and row count). */
  listItem(name: string): Locator {
    return this.drawer().locator(`[data-dataset="${name}"]`);
  }

  async select(name: string): Promise<void> {
    await this.listItem(name).click();
  }

  measure(n: number): Locator {
    return this.drawer().getByRole('group', { name: `Measure ${n}`, exact: true });
  }

  async addMeasure(m: NewMeasure): Promise<void> {
    const count = await this.drawer().getByRole('group', { name: /^Measure \d+$/ }).count();
    await this.drawer().getByRole('button', { name: 'Add measure', exact: true }).click();
    const row = this.measure(count + 1);
    await row.getByLabel('Name', { exact: true }).fill(m.name);
    await row.getByLabel('Label', { exact: true }).fill(m.label);
    await row.getByLabel('Aggregation', { exact: true }).selectOption({ label: m.aggregation });
    await row.getByLabel('Column', { exact: true }).selectOption({ label: m.column });
    await row.getByLabel('Format', { exact: true }).selectOption({ label: m.format });
  }

  async removeMeasure(name: string): Promise<void> {
    await this.drawer().getByRole('button', { name: `Remove measure ${name}`, exact: true }).click();
  }

  async addDimension(column: string): Promise<void> {
    await this.drawer().getByLabel('Column for a new dimension', { exact: true }).selectOption({ label: column });
    await this.drawer().getByRole('button', { name: 'Add dimension', exact: true }).click();
  }

  async setName(name: string, label?: string): Promise<void> {
    await this.drawer().getByLabel('Dataset name', { exact: true }).fill(name);
    if (label !== undefined) await this.drawer().getByLabel('Dataset label', { exact: true }).fill(label);
  }

  async apply(): Promise<void> {
    await this.drawer().getByRole('button', { name: 'Apply', exact: true }).click();
  }

  /** Messages of refused edits and invalid drafts. */
  alerts(): Locator {
    return this.drawer().getByRole('alert');
  }

  async newSqlDataset(): Promise<void> {
    await this.drawer().getByRole('button', { name: 'New dataset', exact: true }).click();
    const form = this.drawer().getByRole('form', { name: 'New dataset' });
    await form.getByLabel('SQL', { exact: true }).check();
    await form.getByRole('button', { name: 'Create', exact: true }).click();
  }

  trustNotice(): Locator {
    return this.drawer().getByText('Review and trust this dashboard first');
  }

  sqlEditor(): Locator {
    return this.drawer().getByRole('textbox', { name: 'SQL', exact: true });
  }

  /**
   * Replace the SQL by typing it as a user does. Between lines the completion popup is closed
   * first (Escape), or Enter would pick a completion instead of starting a new line.
   */
  async typeSql(text: string): Promise<void> {
    await this.sqlEditor().click();
    await this.page.keyboard.press('ControlOrMeta+a');
    await this.page.keyboard.press('Delete');
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      await this.page.keyboard.type(line);
      if (i < lines.length - 1) {
        await this.page.keyboard.press('Escape');
        await this.page.keyboard.press('Enter');
      }
    }
  }

  /** The completion popup of the SQL editor. */
  completions(): Locator {
    return this.page.locator('.cm-tooltip-autocomplete');
  }

  async runSql(): Promise<void> {
    await this.sqlEditor().press('ControlOrMeta+Enter');
  }

  preview(): Locator {
    return this.drawer().getByRole('region', { name: 'Preview of the SQL' });
  }

  sqlError(): Locator {
    return this.drawer().getByTestId('sql-error');
  }

  sqlErrorPosition(): Locator {
    return this.drawer().getByTestId('sql-error-position');
  }

  /** The part of the SQL marked as where the error is. */
  errorMark(): Locator {
    return this.drawer().getByTestId('sql-error-mark');
  }
}
