// Saved views and shareable links: an exploration (period, filters, click filter, drill paths)
// captured as a `View` of the dashboard file, applied back, or carried in a URL fragment.
import { View as ViewSchema, type DashboardFile, type View } from '../../dashboards/schema';
import { MAX_LINK_VIEW_CHARS } from '../../electron/api/host-api';
import type { Exploration } from './explore';

/** The current exploration as a view. */
export function captureView(id: string, name: string, dashboard: DashboardFile, explore: Exploration): View {
  return {
    id,
    name,
    timeRange: dashboard.timeRange,
    filters: dashboard.filters,
    grain: explore.grain,
    crossFilter: explore.crossFilter,
    clickFilter: explore.clickFilter,
    drills: explore.drills,
  };
}

/** Apply a view: its period and filters go into the dashboard, the rest into the exploration. Parts that no longer fit the dashboard are dropped. */
export function applyView(view: View, dashboard: DashboardFile): { dashboard: DashboardFile; explore: Exploration } {
  const panelIds = new Set(dashboard.panels.map((p) => p.id));
  const drills = Object.fromEntries(Object.entries(view.drills).filter(([id]) => panelIds.has(id)));
  const clickFilter = view.clickFilter && panelIds.has(view.clickFilter.panelId) ? view.clickFilter : null;
  const datasets = new Map(dashboard.datasets.map((d) => [d.name, d]));
  const filters = (view.filters ?? dashboard.filters).filter((f) => datasets.get(f.dataset)?.dimensions.some((x) => x.name === f.dimension));
  return {
    dashboard: { ...dashboard, timeRange: view.timeRange ?? dashboard.timeRange, filters },
    explore: { grain: view.grain, crossFilter: view.crossFilter, clickFilter, drills },
  };
}

/** A view id not used yet. */
export function freshViewId(dashboard: DashboardFile, name: string): string {
  const base = `v_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')}`.slice(0, 56) || 'v_view';
  const taken = new Set(dashboard.views.map((v) => v.id));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i += 1) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

const PREFIX = 'view=';

/** The view as a URL fragment parameter (base64url JSON). */
export function encodeViewParam(view: View): string {
  const bytes = new TextEncoder().encode(JSON.stringify(view));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return PREFIX + btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Read a view from a URL fragment such as "#view=..." (or "#token=...&view=..."); null when absent or invalid. */
export function decodeViewParam(hash: string): View | null {
  const match = /(?:^#|&)view=([A-Za-z0-9_-]+)/.exec(hash);
  if (!match?.[1]) return null;
  try {
    const b64 = match[1].replaceAll('-', '+').replaceAll('_', '/');
    const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const parsed = ViewSchema.safeParse(JSON.parse(json, (k, v: unknown) => (k === '__proto__' || k === 'constructor' ? undefined : v)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The desktop app's link to a dashboard file showing a view: `northstar://open?file=<path>#view=...`
 * (`viewParam` as made by encodeViewParam). Null when the view is too long for a link (the
 * desktop app refuses those: electron/desktop.ts parseDeepLink).
 */
export function desktopViewLink(dashboardPath: string, viewParam: string): string | null {
  if (!viewParam.startsWith(PREFIX) || viewParam.length - PREFIX.length > MAX_LINK_VIEW_CHARS) return null;
  // encodeURIComponent escapes "+" too, which a query string would otherwise read as a space.
  return `northstar://open?file=${encodeURIComponent(dashboardPath)}#${viewParam}`;
}
