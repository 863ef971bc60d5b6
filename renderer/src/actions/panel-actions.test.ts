import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import { Panel } from '../../../dashboards/schema';
import { addPanel, applyGridLayout, deletePanel, duplicatePanel, freshPanelId, nudgeLayout, updatePanel } from './panel-actions';

const here = path.dirname(fileURLToPath(import.meta.url));
const loaded = loadDashboard(readFileSync(path.join(here, '../../../dashboards/examples/customer-kpis.dashboard.json'), 'utf8'));
if (!loaded.ok) throw new Error(loaded.error.message);
const demo = loaded.dashboard;

describe('panel actions', () => {
  it('adds a valid panel of every kind below the others, and the result still loads', () => {
    const bottom = Math.max(...demo.layout.map((l) => l.y + l.h));
    const count = demo.panels.length;
    for (const kind of ['kpi', 'chart', 'table', 'text'] as const) {
      const { dashboard, id } = addPanel(demo, kind, ['order_id', 'amount']);
      const panel = dashboard.panels.find((p) => p.id === id);
      expect(Panel.safeParse(panel).success, kind).toBe(true);
      expect(dashboard.layout.find((l) => l.panel === id)?.y).toBe(bottom);
      expect(loadDashboard(JSON.stringify(dashboard)).ok).toBe(true);
    }
    expect(demo.panels).toHaveLength(count); // the input is never changed
  });

  it('makes unique ids', () => {
    expect(freshPanelId(demo, 'kpi_revenue')).toBe('kpi_revenue_2');
    expect(freshPanelId(demo, '9 lives!')).toBe('_9_lives_');
  });

  it('duplicates next to the original when it fits, else below', () => {
    const right = duplicatePanel(demo, 'kpi_revenue');
    expect(right?.dashboard.layout.find((l) => l.panel === right.id)).toMatchObject({ x: 3, y: 0, w: 3 });
    expect(right?.dashboard.panels.find((p) => p.id === right.id)?.title).toBe('Revenue (copy)');
    const below = duplicatePanel(demo, 'recent_orders');
    expect(below?.dashboard.layout.find((l) => l.panel === below.id)?.x).toBe(0);
    expect(duplicatePanel(demo, 'nope')).toBeNull();
  });

  it('deletes a panel with its layout item and check guards', () => {
    const withCheck = { ...demo, checks: [{ id: 'c', title: 'C', dataset: 'orders', rule: 'range', params: {}, severity: 'warn' as const, guards: ['kpi_revenue', 'kpi_orders'] }] };
    const d = deletePanel(withCheck, 'kpi_revenue');
    expect(d.panels.some((p) => p.id === 'kpi_revenue')).toBe(false);
    expect(d.layout.some((l) => l.panel === 'kpi_revenue')).toBe(false);
    expect(d.checks[0]?.guards).toEqual(['kpi_orders']);
  });

  it('nudges within the 12 columns and returns the same object when nothing changes', () => {
    const moved = nudgeLayout(demo, 'kpi_active_customers', { dx: 1 });
    expect(moved).toBe(demo); // already at the right edge
    const left = nudgeLayout(demo, 'kpi_active_customers', { dx: -2, dw: 2 });
    expect(left.layout.find((l) => l.panel === 'kpi_active_customers')).toMatchObject({ x: 7, w: 5 });
    expect(nudgeLayout(demo, 'kpi_revenue', { dy: -1 })).toBe(demo);
  });

  it('takes grid positions only when they changed', () => {
    const same = demo.layout.map((l) => ({ i: l.panel, x: l.x, y: l.y, w: l.w, h: l.h }));
    expect(applyGridLayout(demo, same)).toBe(demo);
    const changed = same.map((g) => (g.i === 'recent_orders' ? { ...g, y: 20, h: 9 } : g));
    expect(applyGridLayout(demo, changed).layout.find((l) => l.panel === 'recent_orders')).toMatchObject({ y: 20, h: 9 });
  });

  it('replaces a panel by id', () => {
    const p = demo.panels[0]!;
    expect(updatePanel(demo, { ...p, title: 'X' }).panels[0]?.title).toBe('X');
  });
});
