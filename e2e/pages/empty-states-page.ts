// Page object for empty states: empty panels (with their reason), the no-checks anomaly panel,
// and a dashboard without panels.
import type { Locator, Page } from '@playwright/test';

export class EmptyStatesPage {
  constructor(readonly page: Page) {}

  /** The empty state of one panel; its `data-reason` says which (emptyDataset, filtered, period). */
  emptyPanel(panelId: string): Locator {
    return this.page.locator(`[data-panel-id="${panelId}"] [data-testid="empty-panel"]`);
  }

  get allEmptyPanels(): Locator {
    return this.page.getByTestId('empty-panel');
  }

  get noChecks(): Locator {
    return this.page.getByTestId('no-checks');
  }

  get emptyDashboard(): Locator {
    return this.page.getByTestId('empty-dashboard');
  }
}
