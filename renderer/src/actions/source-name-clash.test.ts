// Adding a source whose name would share a relation in the query engine with another source or
// dataset is refused in the form, with the same message a file with that clash gets on open.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import type { DashboardFile } from '../../../dashboards/schema';
import { checkSource } from './source-actions';

const here = path.dirname(fileURLToPath(import.meta.url));

function demo(): DashboardFile {
  const r = loadDashboard(readFileSync(path.join(here, '../../../dashboards/examples/customer-kpis.dashboard.json'), 'utf8'));
  if (!r.ok) throw new Error(r.error.message);
  return r.dashboard;
}

const refusal = (dashboard: DashboardFile, name: string) => {
  const r = checkSource(dashboard, { name, kind: 'file', path: 'x.csv', format: 'csv' }, true);
  return r.ok ? null : r.errors.map((e) => `${e.field}: ${e.message}`);
};

describe('adding a source whose engine names clash', () => {
  it('refuses "raw_orders" next to dataset "orders" (whose table as read is ds_raw_orders)', () => {
    expect(refusal(demo(), 'raw_orders')).toEqual([
      'name: "ds_raw_orders" would name both the table dataset "orders" is loaded into and the view of dataset "raw_orders" in the query engine: rename one of them',
    ]);
  });

  it('refuses a name that differs only in case, and one of a correction table', () => {
    expect(refusal(demo(), 'Raw_Orders')?.[0]).toContain('the query engine ignores case');
    expect(refusal(demo(), 'DS_ORDERS')?.[0]).toBe('name: "ds_orders" would name both the view of data source "DS_ORDERS" and the view of dataset "orders" in the query engine ("DS_ORDERS" and "ds_orders": the query engine ignores case): rename one of them');
    expect(refusal(demo(), 'raw_orders__dropped_2')?.[0]).toContain('duplicate-row corrections');
  });

  it('accepts a free name, and the result still opens', () => {
    const dashboard = demo();
    const r = checkSource(dashboard, { name: 'raw_targets', kind: 'file', path: 'x.csv', format: 'csv' }, true);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const added = { ...dashboard, sources: [...dashboard.sources, r.source], datasets: [...dashboard.datasets, { name: 'raw_targets', kind: 'table' as const, source: 'raw_targets', measures: [], dimensions: [], hierarchies: [] }] };
    expect(loadDashboard(JSON.stringify(added)).ok).toBe(true);
  });
});
