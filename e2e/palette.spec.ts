// The command palette runs the app's actions: Undo restores an edit, Save writes the file (checked
// on disk), fuzzy search and the keyboard find and pick commands, Esc closes, and About shows the
// versions in the browser host too.
import { readFileSync } from 'node:fs';
import { test, expect } from './fixtures/app';
import { PalettePage } from './pages/palette-page';

const PANEL = 'kpi_revenue';

test('Undo and Save from the palette: the edit is undone, then the saved file on disk has the new title', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const palette = new PalettePage(page);
  const title = dashboard.panelTitle(PANEL);
  await expect(title).toHaveText('Revenue');
  const before = 'Revenue';

  await dashboard.renamePanel(PANEL, 'Net revenue (palette)');
  await expect(title).toHaveText('Net revenue (palette)');
  await palette.run('undo', 'Undo');
  await expect(title).toHaveText(before);

  await dashboard.renamePanel(PANEL, 'Net revenue (saved)');
  const onDiskBefore = readFileSync(workspace.file(), 'utf8');
  expect(onDiskBefore).not.toContain('Net revenue (saved)');
  await palette.run('save', 'Save');
  await expect(page.getByTestId('notice')).toContainText('Saved revision');
  const saved = JSON.parse(readFileSync(workspace.file(), 'utf8')) as { panels: { id: string; title: string }[]; revision: { number: number } };
  expect(saved.panels.find((p) => p.id === PANEL)?.title).toBe('Net revenue (saved)');
  expect(saved.revision.number).toBeGreaterThanOrEqual(1);
});

test('fuzzy search, keyboard navigation, disabled commands and Esc', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const palette = new PalettePage(page);
  await palette.open();
  await page.screenshot({ path: test.info().outputPath('palette.png') });
  const all = await palette.titles();
  for (const t of ['Save', 'Save as copy', 'Open dashboard…', 'Undo', 'Redo', 'Add chart', 'Edit layout', 'Datasets', 'Data sources', 'History', 'Share…', 'Print / Save as PDF…', 'Reload data', 'About Northstar']) {
    expect(all, t).toContain(t);
  }
  // Nothing was edited: Undo is listed but disabled, after the enabled commands.
  await expect(palette.dialog.getByRole('option', { name: /^Undo/ })).toHaveAttribute('aria-disabled', 'true');

  await palette.input.fill('dsrc');
  await expect(palette.active).toHaveText(/^Data sources/);
  await palette.input.fill('hist');
  await expect(palette.active).toHaveText(/^History/);
  // Several matches: arrows move the highlight, and wrap around.
  await palette.input.fill('save');
  await expect(palette.active).toHaveText(/^Save/);
  const first = await palette.active.textContent();
  await palette.input.press('ArrowDown');
  await expect(palette.active).not.toHaveText(first ?? '');
  await palette.input.press('ArrowUp');
  await expect(palette.active).toHaveText(first ?? '');
  await palette.input.press('ArrowUp');
  await expect(palette.active).toHaveAttribute('data-index', String((await palette.options.count()) - 1));
  await palette.input.fill('zzzqqq');
  await expect(palette.dialog).toContainText('No command matches');

  await palette.input.press('Escape');
  await expect(palette.dialog).toBeHidden();

  // A panel is found by name too.
  await palette.open();
  await palette.input.fill('go to panel');
  await expect(palette.options.first()).toHaveText(/^Go to panel: /);

  await palette.input.fill('edit layout');
  await palette.input.press('Enter');
  await expect(page.getByRole('button', { name: 'Done editing' })).toBeVisible();
});

test('About, from the palette in the browser host: app, DuckDB and browser versions', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const palette = new PalettePage(page);
  await palette.run('about', 'About Northstar');
  const about = page.getByRole('dialog', { name: 'About Northstar' });
  const versions = about.getByTestId('about-versions');
  await expect(versions.locator('dt:text-is("Northstar") + dd')).toHaveText('e2e');
  await expect(versions).toContainText('DuckDB v0.9.1 (duckdb-wasm 1.28.0)');
  await expect(versions).toContainText('not used (running in the browser)');
  await expect(versions).toContainText(/Chromium \d+/);
  await expect(about.getByRole('link', { name: 'Apache License 2.0' })).toHaveAttribute('href', 'https://www.apache.org/licenses/LICENSE-2.0');
  await page.screenshot({ path: test.info().outputPath('about.png') });
  await page.keyboard.press('Escape');
  await expect(about).toBeHidden();
});

test('Open from the palette in the browser host asks for a path, and opens that dashboard', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const palette = new PalettePage(page);
  await palette.run('open dash', 'Open dashboard…');
  const prompt = page.getByRole('dialog', { name: 'Path of the dashboard file to open' });
  await expect(prompt).toBeVisible();
  const input = prompt.getByRole('textbox');
  // Prefilled with the current dashboard's folder.
  await expect(input).toHaveValue(`${workspace.dir}/`);
  await page.screenshot({ path: test.info().outputPath('path-prompt.png') });
  await input.fill(workspace.file('missing.dashboard.json'));
  await input.press('Enter');
  await expect(page.getByRole('alert')).toContainText(/could not be opened/i);
});

test('New and Save as from the palette in the browser host write the files where the typed path says', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  const palette = new PalettePage(page);

  await dashboard.renamePanel(PANEL, 'Revenue (copy)');
  await palette.run('save as', 'Save as…');
  const saveAs = page.getByRole('dialog', { name: 'Save this dashboard as (…/name.dashboard.json)' });
  await saveAs.getByRole('textbox').fill(workspace.file('Q3 ventes été.dashboard.json'));
  await saveAs.getByRole('textbox').press('Enter');
  await expect(page.getByTestId('notice')).toContainText('Q3 ventes été.dashboard.json');
  const copy = JSON.parse(readFileSync(workspace.file('Q3 ventes été.dashboard.json'), 'utf8')) as { panels: { id: string; title: string }[] };
  expect(copy.panels.find((p) => p.id === PANEL)?.title).toBe('Revenue (copy)');
  // The original file is untouched.
  expect(readFileSync(workspace.file(), 'utf8')).not.toContain('Revenue (copy)');

  // A typed path never replaces an existing file.
  await palette.run('save as', 'Save as…');
  await saveAs.getByRole('textbox').fill(workspace.file());
  await saveAs.getByRole('textbox').press('Enter');
  await expect(page.getByTestId('notice')).toContainText('already exists: choose another name');

  await palette.run('new dashboard', 'New dashboard…');
  const create = page.getByRole('dialog', { name: 'Path of the new dashboard file (…/name.dashboard.json)' });
  await create.getByRole('textbox').fill(workspace.file('Plan 2027.dashboard.json'));
  await create.getByRole('textbox').press('Enter');
  await expect(page.getByRole('heading', { name: 'Plan 2027' })).toBeVisible();
  const created = JSON.parse(readFileSync(workspace.file('Plan 2027.dashboard.json'), 'utf8')) as { title: string; panels: unknown[]; revision: { number: number } };
  expect(created).toMatchObject({ title: 'Plan 2027', panels: [], revision: { number: 1 } });
});
