// Dashboards for the host-service tests, built in code so they follow the current schema.
import { CURRENT_SCHEMA_VERSION, DASHBOARD_FILE_TYPE } from '../../../dashboards/schema';

export const SAMPLE_ID = '6f1c2a4e-8b7d-4c1e-9a3f-2d5b6e7f8a90';

/** A small valid dashboard as a plain object (no revision block). */
export function sampleDashboard(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: DASHBOARD_FILE_TYPE,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    id: SAMPLE_ID,
    title: 'Customer KPIs',
    description: 'Revenue over the last 30 days.',
    owner: 'data-team',
    timeRange: { lastDays: 30, anchor: 'data' },
    sources: [{ name: 'orders', kind: 'file', path: 'data/orders.parquet', format: 'parquet' }],
    datasets: [
      {
        name: 'orders',
        kind: 'table',
        source: 'orders',
        timeColumn: 'order_ts',
        measures: [{ name: 'revenue', agg: 'sum', column: 'amount', format: 'currency' }],
        dimensions: [{ name: 'region', column: 'region' }],
        hierarchies: [],
      },
    ],
    filters: [],
    panels: [{ id: 'kpi_revenue', title: 'Revenue', kind: 'kpi', dataset: 'orders', measure: 'revenue', comparison: 'previous_period', goodDirection: 'up', followFilters: true }],
    layout: [{ panel: 'kpi_revenue', x: 0, y: 0, w: 3, h: 2 }],
    checks: [],
    corrections: [],
    ...overrides,
  };
}

/** The text of a dashboard as a person might have written it (not in Northstar's key order). */
export function sampleText(overrides: Record<string, unknown> = {}): string {
  return `${JSON.stringify(sampleDashboard(overrides), null, 2)}\n`;
}

/**
 * A valid dashboard of about `kilobytes` KB (text panels of prose), so that writing it takes a
 * measurable time. `variant` changes every panel, so two variants differ all through the file.
 */
export function largeDashboardText(variant: string, kilobytes = 200): string {
  const words = ['revenue', 'orders', 'region', 'growth', 'churn', 'weekly', 'target', 'margin', 'cohort', 'retention'];
  let seed = 0;
  for (const ch of variant) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const next = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed;
  };
  const panels: Record<string, unknown>[] = [];
  const layout: Record<string, unknown>[] = [];
  const panelCount = Math.max(1, Math.ceil(kilobytes / 19));
  for (let i = 0; i < panelCount; i++) {
    let markdown = `## ${variant} note ${i}\n`;
    while (markdown.length < 19_000) markdown += `${words[next() % words.length]} `;
    panels.push({ id: `note_${i}`, title: `${variant} note ${i}`, kind: 'text', markdown, followFilters: true });
    layout.push({ panel: `note_${i}`, x: 0, y: i * 4, w: 12, h: 4 });
  }
  return `${JSON.stringify(sampleDashboard({ title: `Large dashboard ${variant}`, panels: [...(sampleDashboard().panels as unknown[]), ...panels], layout: [...(sampleDashboard().layout as unknown[]), ...layout] }), null, 2)}\n`;
}
