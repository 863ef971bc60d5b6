// Autosave recovery in the real app: an unsaved edit is autosaved by the host under <home>/autosave/;
// the page goes away without saving; opening the dashboard again offers "Recover unsaved changes
// from HH:MM?" and Restore brings the edit back (unsaved), Discard drops it; saving removes it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures/app';
import type { DashboardPage } from './pages/dashboard-page';
import type { Page } from '@playwright/test';

const autosaves = (home: string): string[] => {
  try {
    return readdirSync(path.join(home, 'autosave'));
  } catch {
    return [];
  }
};

/** Edit a panel title, wait until the host has written the autosave, then leave the page unsaved. */
async function editAndLeave(dashboard: DashboardPage, page: Page, home: string): Promise<void> {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await dashboard.renamePanel('kpi_orders', 'Orders (recovered)');
  await expect.poll(() => autosaves(home).length).toBe(1);
  await page.goto('about:blank');
}

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

test.describe('autosave recovery', () => {
  test('edit, leave without saving, reopen: Restore brings the edit back, unsaved', async ({ dashboard, page, workspace }) => {
    const onDisk = readFileSync(workspace.file(), 'utf8');
    const before = new Date();
    await editAndLeave(dashboard, page, workspace.home);
    const after = new Date();
    // The file itself was never written: autosave is not a save.
    expect(readFileSync(workspace.file(), 'utf8')).toBe(onDisk);

    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const offer = page.getByTestId('autosave-recovery');
    await expect(offer).toBeVisible();
    const text = await offer.innerText();
    expect([hhmm(before), hhmm(after)].some((t) => text.includes(`Recover unsaved changes from ${t}?`)), text).toBe(true);
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders');
    await page.screenshot({ path: path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts', 'autosave-recovery.png') });

    await offer.getByRole('button', { name: 'Restore' }).click();
    await expect(offer).toBeHidden();
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders (recovered)');
    // Restored as an unsaved edit: the file is still as it was until the user saves.
    expect(readFileSync(workspace.file(), 'utf8')).toBe(onDisk);
    await dashboard.save();
    expect(JSON.parse(readFileSync(workspace.file(), 'utf8')).panels.find((p: { id: string }) => p.id === 'kpi_orders').title).toBe('Orders (recovered)');
    // Saved: the autosave is gone, and the next open offers nothing.
    await expect.poll(() => autosaves(workspace.home)).toEqual([]);
    await page.goto('about:blank');
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders (recovered)');
    await expect(page.getByTestId('autosave-recovery')).toHaveCount(0);
  });

  test('Discard drops the autosave for good', async ({ dashboard, page, workspace }) => {
    await editAndLeave(dashboard, page, workspace.home);
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    const offer = page.getByTestId('autosave-recovery');
    await offer.getByRole('button', { name: 'Discard' }).click();
    await expect(offer).toBeHidden();
    await expect.poll(() => autosaves(workspace.home)).toEqual([]);
    await expect(dashboard.panelTitle('kpi_orders')).toHaveText('Orders');
    await page.goto('about:blank');
    await dashboard.open();
    await dashboard.waitUntilDrawn();
    await expect(page.getByTestId('autosave-recovery')).toHaveCount(0);
  });
});
