import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../../dashboards/document';
import { NO_EXPLORATION, type Exploration } from './explore';
import { applyView, captureView, decodeViewParam, encodeViewParam, freshViewId } from './views';

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
