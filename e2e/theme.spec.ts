// Dark theme: follows the OS (prefers-color-scheme) unless overridden; the override is remembered;
// charts draw on the dark panels with ECharts' dark theme. The screenshot is checked by the
// luminance of its pixels (page background, a panel) and kept under e2e/artifacts/.
import { test, expect, type Page } from './fixtures/app';

/** Relative luminance (0 black … 1 white) of the pixel at x, y of the rendered page. */
async function luminanceAt(page: Page, x: number, y: number, png: Buffer): Promise<number> {
  return page.evaluate(
    async ({ b64, x, y }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      ctx.drawImage(img, 0, 0);
      const [r, g, b] = ctx.getImageData(x, y, 1, 1).data as unknown as number[];
      const lin = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r as number) + 0.7152 * lin(g as number) + 0.0722 * lin(b as number);
    },
    { b64: png.toString('base64'), x, y },
  );
}

async function panelPoint(page: Page, id: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(`[data-panel-id="${id}"]`).boundingBox();
  if (!box) throw new Error(`no panel ${id}`);
  // Just inside the panel's top-left corner: its background, clear of text.
  return { x: Math.round(box.x + 6), y: Math.round(box.y + box.height - 6) };
}

test('dark when the OS prefers dark, with dark charts; a manual override is remembered', async ({ page, dashboard }) => {
  test.setTimeout(120_000);
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const shot = await page.screenshot({ path: 'e2e/artifacts/theme-dark.png', fullPage: true });
  expect(await luminanceAt(page, 3, 300, shot)).toBeLessThan(0.05);
  const kpi = await panelPoint(page, 'kpi_revenue');
  expect(await luminanceAt(page, kpi.x, kpi.y, shot)).toBeLessThan(0.05);
  // The chart canvas is transparent over the dark panel: its plot area is dark too.
  const chart = await page.locator('[data-panel-id="daily_revenue"] canvas').first().boundingBox();
  if (!chart) throw new Error('no chart canvas');
  expect(await luminanceAt(page, Math.round(chart.x + 4), Math.round(chart.y + 4), shot)).toBeLessThan(0.05);
  // Text stays readable: the KPI value is light.
  expect(await page.locator('[data-panel-id="kpi_revenue"] .kpi-value').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(228, 231, 238)');

  // Override to light: applied at once, and remembered over a reload though the OS still says dark.
  await dashboard.openShareExport();
  await page.getByLabel('Theme').selectOption('light');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.reload();
  await dashboard.waitUntilDrawn();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  const light = await page.screenshot({ path: 'e2e/artifacts/theme-light-override.png' });
  expect(await luminanceAt(page, 3, 300, light)).toBeGreaterThan(0.8);
  // Back to following the system.
  await dashboard.openShareExport();
  await page.getByLabel('Theme').selectOption('system');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('light when the OS prefers light', async ({ page, dashboard }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  // Following the system: a change of the OS setting applies without a reload.
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});
