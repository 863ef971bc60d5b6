import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboard, serializeDashboard } from './document';

const here = path.dirname(fileURLToPath(import.meta.url));
const exampleText = readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8');

function example(): Record<string, unknown> {
  return JSON.parse(exampleText) as Record<string, unknown>;
}

describe('loadDashboard', () => {
  it('loads the bundled demo dashboard', () => {
    const result = loadDashboard(exampleText);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.dashboard.title).toBe('Customer KPIs');
    expect(result.dashboard.panels.map((p) => p.kind)).toEqual(['kpi', 'kpi', 'kpi', 'kpi', 'chart', 'chart', 'table']);
  });

  it('says when the text is not JSON', () => {
    const r = loadDashboard('{"type": ');
    expect(r.ok ? null : r.error.kind).toBe('notJson');
  });

  it('says when the JSON is not a dashboard', () => {
    const r = loadDashboard('{"hello": 1}');
    expect(r.ok ? null : r.error.kind).toBe('notADashboard');
    const r2 = loadDashboard('[1,2]');
    expect(r2.ok ? null : r2.error.kind).toBe('notADashboard');
  });

  it('refuses a file from a newer Northstar with an upgrade message', () => {
    const r = loadDashboard(JSON.stringify({ ...example(), schemaVersion: 99 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('tooNew');
    expect(r.error.message).toContain('upgrade to open');
  });

  it('points at the JSON path of a bad field', () => {
    const doc = example();
    (doc.panels as Record<string, unknown>[])[0]!.kind = 'hologram';
    const r = loadDashboard(JSON.stringify(doc));
    expect(r.ok).toBe(false);
    if (r.ok || r.error.kind !== 'invalid') throw new Error('expected invalid');
    expect(r.error.problems[0]?.path).toBe('$.panels[0].kind');
  });

  it('catches references to things that do not exist', () => {
    const doc = example();
    (doc.panels as Record<string, unknown>[])[0]!.measure = 'profit';
    (doc.layout as Record<string, unknown>[])[1]!.panel = 'ghost';
    const r = loadDashboard(JSON.stringify(doc));
    if (r.ok || r.error.kind !== 'invalid') throw new Error('expected invalid');
    expect(r.error.problems).toEqual([
      { path: '$.panels[0].measure', message: 'dataset "orders" has no measure "profit"' },
      { path: '$.layout[1].panel', message: 'no panel with id "ghost"' },
    ]);
  });

  it('drops __proto__ keys instead of polluting prototypes', () => {
    const text = exampleText.replace('"title": "Customer KPIs"', '"title": "Customer KPIs", "__proto__": {"polluted": true}');
    const r = loadDashboard(text);
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('serializeDashboard', () => {
  it('is deterministic: sorted keys, 2-space indent, trailing newline, stable on re-save', () => {
    const r = loadDashboard(exampleText);
    if (!r.ok) throw new Error(r.error.message);
    const once = serializeDashboard(r.dashboard);
    expect(once.endsWith('}\n')).toBe(true);
    const again = loadDashboard(once);
    if (!again.ok) throw new Error(again.error.message);
    expect(serializeDashboard(again.dashboard)).toBe(once);
    expect(once.indexOf('"$schema"')).toBeLessThan(once.indexOf('"datasets"'));
  });

  it('turns a title change into a one-line diff', () => {
    const r = loadDashboard(exampleText);
    if (!r.ok) throw new Error(r.error.message);
    const a = serializeDashboard(r.dashboard).split('\n');
    const b = serializeDashboard({ ...r.dashboard, title: 'Customer KPIs (EMEA)' }).split('\n');
    expect(a.length).toBe(b.length);
    expect(a.filter((line, i) => line !== b[i])).toHaveLength(1);
  });
});
