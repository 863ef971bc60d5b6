import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../../dashboards/document';
import { NO_EXPLORATION, type Exploration } from './explore';
import { MAX_LINK_VIEW_CHARS } from '../../electron/api/host-api';
import { parseDeepLink } from '../../electron/desktop';
import { applyView, captureView, decodeViewParam, desktopViewLink, encodeViewParam, freshViewId } from './views';

const here = path.dirname(fileURLToPath(import.meta.url));
const loaded = loadDashboard(readFileSync(path.join(here, '../../dashboards/examples/customer-kpis.dashboard.json'), 'utf8'));
if (!loaded.ok) throw new Error(loaded.error.message);
const demo = loaded.dashboard;

const explore: Exploration = {
  ...NO_EXPLORATION,
  grain: 'week',
  clickFilter: { panelId: 'revenue_by_campaign', dimension: 'campaign', value: "O'Brien \"é\" 東京" },
  drills: { revenue_by_region: { steps: [{ kind: 'member', dimension: 'region', value: 'EMEA' }], showRows: false } },
};

describe('views', () => {
  it('round-trips through a URL fragment, unicode and quotes included', () => {
    const view = captureView('v_emea', 'EMEA by week', { ...demo, timeRange: { toDate: 'quarter', anchor: 'data' } }, explore);
    const param = encodeViewParam(view);
    expect(param).toMatch(/^view=[A-Za-z0-9_-]+$/);
    expect(decodeViewParam(`#token=abc&${param}`)).toEqual(view);
    expect(decodeViewParam(`#${param}`)).toEqual(view);
  });

  it('rejects broken or hostile fragments', () => {
    expect(decodeViewParam('#view=!!!')).toBeNull();
    expect(decodeViewParam('#view=e30')).toBeNull(); // {} lacks id and name
    expect(decodeViewParam('#nothing')).toBeNull();
    const proto = encodeViewParam({ ...captureView('v', 'x', demo, NO_EXPLORATION) }).replace('view=', '');
    expect(decodeViewParam(`#view=${proto}`)?.name).toBe('x');
  });

  it('applies a view and drops parts the dashboard no longer has', () => {
    const view = captureView('v', 'x', demo, { ...explore, drills: { ...explore.drills, gone: { steps: [], showRows: true } } });
    const { dashboard, explore: e } = applyView({ ...view, timeRange: { lastDays: 7, anchor: 'data' } }, demo);
    expect(dashboard.timeRange).toEqual({ lastDays: 7, anchor: 'data' });
    expect(Object.keys(e.drills)).toEqual(['revenue_by_region']);
    expect(e.grain).toBe('week');
  });

  it('makes readable unique ids', () => {
    expect(freshViewId(demo, 'EMEA, by week!')).toBe('v_emea_by_week');
    expect(freshViewId({ ...demo, views: [captureView('v_emea_by_week', 'a', demo, NO_EXPLORATION)] }, 'EMEA by week')).toBe('v_emea_by_week_2');
  });
});

describe('desktop links', () => {
  it('names the dashboard file and carries the view; the desktop app reads back the same file and view', () => {
    const view = captureView('shared', 'EMEA « été » + 100%', demo, explore);
    const param = encodeViewParam(view);
    for (const [file, platform] of [
      ['/home/ana/Équipe finance/Q3 ventes + été #1 ✦.dashboard.json', 'linux'],
      ['C:\\Users\\Ana\\Rapports 2026\\看板 & co.northstar.json', 'win32'],
    ] as const) {
      const url = desktopViewLink(file, param);
      expect(url).toMatch(/^northstar:\/\/open\?file=[^#\s]+#view=[A-Za-z0-9_-]+$/);
      const parsed = parseDeepLink(url!, platform);
      expect(parsed).toEqual({ ok: true, path: file, view: param.slice('view='.length) });
      if (parsed.ok) expect(decodeViewParam(`#view=${parsed.view}`)).toEqual(view);
    }
  });

  it('makes no link for a view longer than the desktop app accepts, or for something that is not a view parameter', () => {
    expect(desktopViewLink('/a.dashboard.json', `view=${'A'.repeat(MAX_LINK_VIEW_CHARS)}`)).not.toBeNull();
    expect(desktopViewLink('/a.dashboard.json', `view=${'A'.repeat(MAX_LINK_VIEW_CHARS + 1)}`)).toBeNull();
    expect(desktopViewLink('/a.dashboard.json', 'token=x')).toBeNull();
  });
});
