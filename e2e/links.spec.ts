// Links in text panels: the reader sees the whole address and confirms before anything opens, and
// only https links can be opened at all.
import { test, expect } from './fixtures/app';

const NOTES = {
  type: 'northstar.dashboard',
  schemaVersion: 2,
  id: '7b0f3c52-5a0e-4d8e-9f43-2c1d51c1e0a1',
  title: 'Notes with links',
  timeRange: { lastDays: 30, anchor: 'data' },
  sources: [],
  datasets: [],
  panels: [
    {
      id: 'readme',
      kind: 'text',
      title: 'Read me',
      markdown: 'See the [runbook](https://wiki.example.com/runbook?team=data) or the [old page](http://intranet.example.com/x).',
    },
  ],
  layout: [{ panel: 'readme', x: 0, y: 0, w: 12, h: 4 }],
};

test.use({ openFile: 'notes.dashboard.json', extraFiles: { 'notes.dashboard.json': `${JSON.stringify(NOTES, null, 2)}\n` } });

test('a link asks first, shows its full target, and opens only after "Open link"', async ({ dashboard, page }) => {
  await dashboard.open();
  // The browser host cannot launch the system browser; the page opens a new tab itself. Count those.
  await page.evaluate(() => {
    (window as unknown as { opened: unknown[][] }).opened = [];
    window.open = (...args: unknown[]) => {
      (window as unknown as { opened: unknown[][] }).opened.push(args);
      return null;
    };
  });
  const opened = () => page.evaluate(() => (window as unknown as { opened: unknown[][] }).opened);
  const panel = dashboard.panel('readme');
  await panel.getByRole('button', { name: 'runbook' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog.getByRole('heading')).toHaveText('Open a link to wiki.example.com?');
  await expect(dialog.getByTestId('link-target')).toHaveText('https://wiki.example.com/runbook?team=data');

  // Cancel (and Esc) leave nothing opened.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await panel.getByRole('button', { name: 'runbook' }).click();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect(await opened()).toEqual([]);

  await panel.getByRole('button', { name: 'runbook' }).click();
  await dialog.getByRole('button', { name: 'Open link' }).click();
  await expect(dialog).toBeHidden();
  expect(await opened()).toEqual([['https://wiki.example.com/runbook?team=data', '_blank', 'noopener,noreferrer']]);
});

test('an http link cannot be opened, only copied', async ({ dashboard, page }) => {
  await dashboard.open();
  await dashboard.panel('readme').getByRole('button', { name: 'old page' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog.getByRole('heading')).toHaveText('This link cannot be opened');
  await expect(dialog.getByTestId('link-target')).toHaveText('http://intranet.example.com/x');
  await expect(dialog.getByRole('button', { name: 'Open link' })).toHaveCount(0);
  await expect(dialog.getByRole('button', { name: 'Copy address' })).toBeVisible();
});
