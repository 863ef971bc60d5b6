// Page object for the "Why did this move?" drawer: tests say what a manager does.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DashboardPage } from './dashboard-page';

export interface ShownMember {
  member: string;
  contribution: number;
}

export class WhyMovedPage {
  constructor(
    readonly page: Page,
    private readonly dashboard: DashboardPage,
  ) {}

  drawer(): Locator {
    return this.page.getByRole('dialog', { name: 'Why did this move?' });
  }

  headline(): Locator {
    return this.drawer().getByTestId('why-headline');
  }

  /** Open it from a panel's "⋯" menu and wait for the first explanation. */
  async openFromMenu(panelId: string): Promise<void> {
    await this.dashboard.panel(panelId).getByRole('button', { name: /^Panel menu for / }).click();
    await this.page.getByRole('menuitem', { name: 'Why did this move?' }).click();
    await this.waitExplained();
  }

  /** Open it from the small "Why?" link on a KPI tile's delta. */
  async openFromKpi(panelId: string): Promise<void> {
    await this.dashboard.panel(panelId).getByRole('button', { name: /^Why did .* move\?$/ }).click();
    await this.waitExplained();
  }

  async waitExplained(): Promise<void> {
    await expect(this.drawer()).toBeVisible();
    await expect(this.drawer().getByRole('tabpanel')).toBeVisible({ timeout: 60_000 });
    await expect(this.drawer().getByText('Explaining…')).toHaveCount(0);
  }

  /** The dimension whose tab is selected. */
  async selectedDimension(): Promise<string> {
    return (await this.drawer().getByRole('tabpanel').getAttribute('data-dimension')) ?? '';
  }

  async dimensions(): Promise<string[]> {
    return this.drawer().getByRole('tab').evaluateAll((tabs) => tabs.map((t) => t.getAttribute('data-dimension') ?? ''));
  }

  async selectTab(label: string): Promise<void> {
    await this.drawer().getByRole('tab', { name: label, exact: true }).click();
    await expect(this.drawer().getByRole('tab', { name: label, exact: true })).toHaveAttribute('aria-selected', 'true');
  }

  /** The members listed for the selected dimension (not "Other"), in the order shown, with their exact contributions. */
  async members(): Promise<ShownMember[]> {
    return this.drawer()
      .locator('tbody tr:not([data-other])')
      .evaluateAll((rows) => rows.map((r) => ({ member: r.getAttribute('data-member') ?? '', contribution: Number(r.getAttribute('data-contribution')) })));
  }

  /** Drill into a member by clicking its name, and wait for the next explanation. */
  async drillInto(member: string): Promise<void> {
    await this.drawer().getByRole('button', { name: member, exact: true }).click();
    await expect(this.drawer().getByRole('navigation', { name: 'Explanation path' }).getByRole('button', { name: new RegExp(`=${escapeRegExp(member)}$`) })).toBeVisible();
    await this.waitExplained();
  }

  async applyAsFilter(): Promise<void> {
    const before = await this.dashboard.runId();
    await this.drawer().getByRole('button', { name: 'Apply as filter' }).click();
    await expect(this.drawer()).toHaveCount(0);
    await this.dashboard.waitUntilDrawn(before + 1);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
