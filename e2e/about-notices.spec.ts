// About › Third-party notices: the licenses of what ships (build/THIRD_PARTY_NOTICES.md), shown
// inside the app as plain text.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures/app';
import { PalettePage } from './pages/palette-page';

const ARTIFACTS = path.join(path.dirname(new URL(import.meta.url).pathname), 'artifacts');
const NOTICES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'build', 'THIRD_PARTY_NOTICES.md');

test('About links to the third-party notices, which open in the app as text', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await new PalettePage(page).run('about', 'About Northstar');
  const about = page.getByRole('dialog', { name: 'About Northstar' });
  await about.getByRole('button', { name: 'Third-party notices' }).click();
  const notices = page.getByRole('dialog', { name: 'Third-party notices' });
  const text = notices.getByTestId('notices-text');
  await expect(text).toContainText('| @duckdb/duckdb-wasm | 1.28.0 | MIT |');
  await expect(text).toContainText('Stichting DuckDB Foundation');
  // Exactly the file's text, not rendered Markdown: the headings keep their "#".
  expect(await text.textContent()).toBe(readFileSync(NOTICES, 'utf8'));
  await expect(notices.locator('h1, h3, table')).toHaveCount(0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'about-notices.png') });
  // Escape closes the notices and leaves About open.
  await text.press('Escape');
  await expect(notices).toBeHidden();
  await expect(about).toBeVisible();
});
