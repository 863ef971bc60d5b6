// Page object for the Data sources dialog (VS Code test/automation style): tests say what a user
// does with sources and what they see, never which elements carry it.
import { expect, type Locator, type Page } from '@playwright/test';

export interface S3Target {
  uri: string;
  endpoint: string;
  region: string;
  keys?: { accessKeyId: string; secretAccessKey: string };
}

export type NewSource =
  | { name: string; kind: 'file'; path: string; format?: 'parquet' | 'csv' | 'json' }
  | { name: string; kind: 'url'; url: string; format?: 'parquet' | 'csv' | 'json' };

export class SourcesPage {
  constructor(readonly page: Page) {}

  dialog(): Locator {
    return this.page.getByRole('dialog', { name: 'Data sources' });
  }

  async open(): Promise<void> {
    await this.page.getByRole('button', { name: /^Data sources/ }).click();
    await expect(this.dialog()).toBeVisible();
  }

  async close(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Close', exact: true }).click();
    await expect(this.dialog()).toBeHidden();
  }

  async refresh(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Refresh', exact: true }).click();
  }

  row(source: string): Locator {
    return this.dialog().locator(`[data-source="${source}"]`);
  }

  /** The status line of a dataset ("Dataset "orders": 1,234 rows, ... from ..."). */
  datasetStatus(dataset: string): Locator {
    return this.dialog().locator(`[data-dataset="${dataset}"]`).first();
  }

  files(source: string): Locator {
    return this.row(source).getByTestId('source-files');
  }

  /** How many files the dialog says the source reads (waits until listed). */
  async fileCount(source: string): Promise<number> {
    await expect(this.files(source)).toBeVisible();
    return Number(await this.files(source).getAttribute('data-file-count'));
  }

  async totalBytes(source: string): Promise<number> {
    await expect(this.files(source)).toBeVisible();
    return Number(await this.files(source).getAttribute('data-total-bytes'));
  }

  details(dataset: string): Locator {
    return this.dialog().locator(`[data-dataset-details="${dataset}"]`);
  }

  async rowCount(dataset: string): Promise<number> {
    const count = this.details(dataset).getByTestId('row-count');
    await expect(count).toBeVisible();
    return Number(await count.getAttribute('data-value'));
  }

  /** The columns listed for a dataset, as [name, type] pairs. */
  async columns(dataset: string): Promise<[string, string][]> {
    const rows = this.details(dataset).getByRole('table', { name: `Columns of ${dataset}` }).locator('tbody tr');
    await expect(rows.first()).toBeVisible();
    const texts = await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    return texts.map((cells) => [cells[0] ?? '', cells[1] ?? '']);
  }

  sample(dataset: string): Locator {
    return this.details(dataset).getByRole('table', { name: `Sample of ${dataset}` });
  }

  /** The sample's header and rows as text. */
  async sampleRows(dataset: string): Promise<{ header: string[]; rows: string[][] }> {
    const table = this.sample(dataset);
    await expect(table).toBeVisible();
    const header = await table.locator('thead th').allTextContents();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    return { header, rows };
  }

  /** Change… on a source, S3 with the given URI (and keys), Connect. */
  async pointAtS3(source: string, s3: S3Target): Promise<void> {
    const row = this.row(source);
    await row.getByRole('button', { name: 'Change…' }).click();
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
    await expect(form).toBeHidden();
  }

  addForm(): Locator {
    return this.dialog().getByRole('form', { name: 'Add a data source' });
  }

  /** Add source…, fill in the form and submit it (the form stays open when it has errors). */
  async addSource(source: NewSource): Promise<void> {
    if (!(await this.addForm().isVisible())) await this.dialog().getByRole('button', { name: 'Add source…' }).click();
    const form = this.addForm();
    await form.getByLabel('Name', { exact: true }).fill(source.name);
    if (source.kind === 'file') {
      await form.getByLabel('Local file').check();
      await form.getByLabel('Path (relative to the dashboard file)').fill(source.path);
    } else {
      await form.getByLabel('Web address (http or https)').check();
      await form.getByLabel('URL of the data file').fill(source.url);
    }
    await form.getByLabel('Format').selectOption(source.format ?? 'parquet');
    await form.getByRole('button', { name: 'Add source', exact: true }).click();
  }

  /** Inline errors the add form shows. */
  addFormErrors(): Locator {
    return this.addForm().locator('.form-error');
  }
}
