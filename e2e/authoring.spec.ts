// Authoring with mouse and keyboard alone: add a KPI and a chart through the panel editor (with a
// live preview), duplicate, move with the keyboard, delete, undo; save and reopen.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test, expect } from './fixtures/app';
import { computeKpisNative } from './oracle';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARQUET = path.resolve(here, '..', 'dashboards', 'examples', 'data', 'orders.parquet');

test('add a KPI and a chart in the panel editor, duplicate, move by keyboard, delete, undo, save', async ({ dashboard, page, workspace }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await page.getByRole('button', { name: 'Edit layout' }).click();

  // A KPI: the editor opens on the new panel; its preview follows the draft before Apply.
  await page.getByRole('button', { name: '+ Add panel' }).click();
  await page.getByRole('menuitem', { name: 'KPI tile' }).click();
  const editor = page.getByRole('dialog', { name: /^Edit panel/ });
  await expect(editor).toBeVisible();
  await editor.getByLabel('Title').fill('Customers this month');
  await editor.getByLabel('Value').selectOption({ label: 'Active customers' });
  await expect(editor.getByLabel('Preview').locator('.kpi-value')).toBeVisible();
  const native = await computeKpisNative(PARQUET, 30);
  await expect(editor.getByLabel('Preview').locator('.kpi-value')).toHaveAttribute('data-value', String(native.current.activeCustomers));
  await page.screenshot({ path: path.join('e2e', 'artifacts', 'panel-editor.png') });
  await editor.getByRole('button', { name: 'Apply' }).click();
  await expect(editor).toBeHidden();
  const kpi = page.locator('section.panel', { hasText: 'Customers this month' });
  await expect(kpi.locator('.kpi-value')).toHaveAttribute('data-value', String(native.current.activeCustomers));

  // A chart by channel, as a pie.
  await page.getByRole('button', { name: '+ Add panel' }).click();
  await page.getByRole('menuitem', { name: 'Chart' }).click();
  await editor.getByLabel('Title').fill('Revenue by channel');
  await editor.getByLabel('Chart type').selectOption({ label: 'Pie / donut' });
  await editor.getByLabel('Group by', { exact: true }).selectOption({ label: 'Channel' });
  await editor.getByRole('button', { name: 'Apply' }).click();
  const pie = page.locator('section.panel', { hasText: 'Revenue by channel' });
  await expect(pie.locator('canvas')).toHaveCount(1);

  // Duplicate, then move the copy one column right with the keyboard, then delete it; undo the delete.
  await page.getByRole('button', { name: 'Duplicate Revenue by channel' }).click();
  await expect(page.locator('section.panel', { hasText: 'Revenue by channel (copy)' })).toHaveCount(1);
  await page.getByRole('button', { name: 'Delete Revenue by channel (copy)' }).click();
  await expect(page.locator('section.panel', { hasText: 'Revenue by channel (copy)' })).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(page.locator('section.panel', { hasText: 'Revenue by channel (copy)' })).toHaveCount(1);

  const cell = page.getByLabel(/^Customers this month: arrows move/);
  await cell.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');

  await page.getByRole('button', { name: 'Done editing' }).click();
  await dashboard.save();
  const saved = JSON.parse(readFileSync(workspace.file(), 'utf8')) as {
    panels: { id: string; title: string; kind: string; chart?: string; x?: unknown }[];
    layout: { panel: string; x: number; w: number }[];
  };
  const kpiPanel = saved.panels.find((p) => p.title === 'Customers this month');
  expect(kpiPanel?.kind).toBe('kpi');
  const moved = saved.layout.find((l) => l.panel === kpiPanel?.id);
  expect(moved).toMatchObject({ x: 1, w: 4 });
  expect(saved.panels.find((p) => p.title === 'Revenue by channel')).toMatchObject({ kind: 'chart', chart: 'pie', x: { type: 'dimension', dimension: 'channel' } });

  await page.reload();
  await dashboard.waitUntilDrawn();
  await expect(page.locator('section.panel', { hasText: 'Revenue by channel (copy)' })).toHaveCount(1);
  await expect(page.locator('section.panel', { hasText: 'Customers this month' }).locator('.kpi-value')).toHaveAttribute('data-value', String(native.current.activeCustomers));
});
