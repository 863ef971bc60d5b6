// A font style the page lays out for the first time costs a synchronous call from the page to the
// browser process on Linux (GetWebFontRenderStyleForStrike), which waited up to 101 ms in traced
// cold opens. Once the dashboard is drawn, renderer/src/font-warm-up.ts lays out the styles the page
// shows only later. This traces what comes after that warm-up: the checks' summary, a chart's
// tooltip, the palette's shortcuts and the "Why did this move?" dialog ask for no font style.
import { test, expect } from './fixtures/app';
import { PalettePage } from './pages/palette-page';

const STRIKE = 'WebSandboxSupportLinux::GetWebFontRenderStyleForStrike';

test('after the font warm-up, the checks, a tooltip, the palette and a dialog lay out no new font style', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.waitUntilDrawn();
  await expect.poll(() => page.evaluate(() => performance.getEntriesByName('northstar:fonts-warmed').length), { timeout: 30_000 }).toBe(1);

  const cdp = await page.context().newCDPSession(page);
  const events: { name?: string }[] = [];
  cdp.on('Tracing.dataCollected', (data: { value: { name?: string }[] }) => events.push(...data.value));
  await cdp.send('Tracing.start', { categories: 'fonts', transferMode: 'ReportEvents' });

  // The checks' summary ("… failing, … warnings") may come after the warm-up; wait for it either way.
  await expect(dashboard.panel('data_quality')).toContainText(/failing|warning|passing/, { timeout: 60_000 });
  // A chart's tooltip.
  const canvas = dashboard.panel('revenue_by_region').locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  if (!box) throw new Error('revenue_by_region has no chart');
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.2);
  await expect(page.locator('[data-panel-id="revenue_by_region"] .chart div').filter({ hasText: /\S/ }).first()).toBeVisible();
  await page.mouse.move(0, 0);
  // The palette, with its shortcuts.
  const palette = new PalettePage(page);
  await palette.open();
  await expect(palette.dialog.locator('kbd').first()).toBeVisible();
  await page.keyboard.press('Escape');
  // The "Why did this move?" dialog of a KPI tile.
  await dashboard.panel('kpi_revenue').getByRole('button', { name: /^Why/ }).click();
  await expect(page.getByRole('dialog')).toContainText('Why did this move?');
  await page.keyboard.press('Escape');

  const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  expect(events.filter((e) => e.name === STRIKE).length).toBe(0);
});
