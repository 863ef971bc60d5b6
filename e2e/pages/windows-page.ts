// Page object for several dashboards at once in the browser host: opening more tabs of the same
// host (token carried in the fragment), and pages launched on a given file and view.
import { expect, type Page } from '@playwright/test';
import { encodeLaunchFragment, type LaunchFragment } from '../../electron/api/host-api';
import type { BrowserHost } from '../../electron/browser-host/server';
import { PalettePage } from './palette-page';

export class WindowsPage {
  constructor(
    readonly page: Page,
    private readonly host: BrowserHost,
  ) {}

  /** The host URL of a page launched on `launch` (the token stays first, as the host printed it). */
  launchUrl(launch: LaunchFragment): string {
    return `${this.host.url}&${encodeLaunchFragment(launch)}`;
  }

  /** Command palette › Open dashboard in new window…, type the path, and return the tab it opens. */
  async openInNewWindow(file: string): Promise<Page> {
    const palette = new PalettePage(this.page);
    await palette.run('open dashboard in new window', 'Open dashboard in new window…');
    const prompt = this.page.getByRole('dialog', { name: 'Path of the dashboard file to open in a new window' });
    await prompt.getByRole('textbox').fill(file);
    const opened = this.page.context().waitForEvent('page');
    await prompt.getByRole('button', { name: 'Open' }).click();
    const tab = await opened;
    await tab.waitForLoadState('domcontentloaded');
    return tab;
  }

  /** Command palette › New window: a tab with no dashboard, showing what it can open. */
  async newWindow(): Promise<Page> {
    const palette = new PalettePage(this.page);
    const opened = this.page.context().waitForEvent('page');
    await palette.run('new window', 'New window');
    const tab = await opened;
    await expect(tab.getByTestId('start-view')).toBeVisible();
    return tab;
  }
}
