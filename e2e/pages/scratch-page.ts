// Page object for authoring a dashboard from nothing (VS Code test/automation style): the steps a
// user takes in the Datasets drawer, the panel editor and the filter bar, said in their words.
import { expect, type Locator, type Page } from '@playwright/test';
import { DatasetsPage } from './datasets-page';

export class ScratchPage {
  readonly datasets: DatasetsPage;

  constructor(readonly page: Page) {
    this.datasets = new DatasetsPage(page);
  }

  /** New dataset → rows from a data source → Create (the drawer is open). */
  async newTableDataset(source: string): Promise<void> {
    const drawer = this.datasets.drawer();
    await drawer.getByRole('button', { name: 'New dataset', exact: true }).click();
    const form = drawer.getByRole('form', { name: 'New dataset' });
    await form.getByRole('radio', { name: 'A data source' }).check();
    await form.getByLabel('Data source', { exact: true }).selectOption(source);
    await form.getByRole('button', { name: 'Create', exact: true }).click();
  }

  async setTimeColumn(column: string): Promise<void> {
    await this.datasets.drawer().getByLabel('Time column', { exact: true }).selectOption({ label: column });
  }

  panelEditor(): Locator {
    return this.page.getByRole('dialog', { name: /^Edit panel/ });
  }

  /** + Add panel → the kind; the panel editor opens on the new panel. */
  async addPanel(kind: 'KPI tile' | 'Chart'): Promise<Locator> {
    await this.page.getByRole('button', { name: '+ Add panel' }).click();
    await this.page.getByRole('menuitem', { name: kind }).click();
    await expect(this.panelEditor()).toBeVisible();
    return this.panelEditor();
  }

  async addKpi(title: string, measure: string): Promise<void> {
    const editor = await this.addPanel('KPI tile');
    await editor.getByLabel('Title').fill(title);
    await editor.getByLabel('Value').selectOption({ label: measure });
    await editor.getByRole('button', { name: 'Apply' }).click();
    await expect(editor).toBeHidden();
  }

  /** A bar chart of exactly `measures`, grouped by a dimension. */
  async addBarChart(title: string, groupBy: string, measures: { show: string[]; hide: string[] }): Promise<void> {
    const editor = await this.addPanel('Chart');
    await editor.getByLabel('Title').fill(title);
    await editor.getByLabel('Chart type').selectOption({ label: 'Bar' });
    await editor.getByLabel('Group by', { exact: true }).selectOption({ label: groupBy });
    for (const m of measures.show) await editor.getByRole('checkbox', { name: m, exact: true }).check();
    for (const m of measures.hide) await editor.getByRole('checkbox', { name: m, exact: true }).uncheck();
    await editor.getByRole('button', { name: 'Apply' }).click();
    await expect(editor).toBeHidden();
  }

  /** + Filter → a dimension → one member → Apply filter. */
  async addFilter(dimension: string, member: string): Promise<void> {
    await this.page.getByRole('button', { name: '+ Filter' }).click();
    const editor = this.page.getByRole('dialog', { name: 'Add a filter' });
    await editor.getByLabel('Dimension').selectOption({ label: dimension });
    await editor.getByLabel('Search members').fill(member);
    await editor.getByRole('listitem').filter({ hasText: new RegExp(`^${member}`) }).getByRole('checkbox').check();
    await editor.getByRole('button', { name: 'Apply filter' }).click();
    await expect(editor).toBeHidden();
  }

  /** Ctrl+S, and wait for the saved notice. */
  async saveWithKeyboard(): Promise<void> {
    await this.page.keyboard.press('ControlOrMeta+s');
    await expect(this.page.getByText(/Saved revision \d+/)).toBeVisible();
  }
}
