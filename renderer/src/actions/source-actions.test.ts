import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import type { DashboardFile } from '../../../dashboards/schema';
import type { HostApi } from '../../../electron/api/host-api';
import { useStore } from '../store';
import type { ActionDeps } from './dashboard-actions';
import { addSource, applySourceChange, checkSource, sampleQuery } from './source-actions';

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dashboards/examples/customer-kpis.dashboard.json');
const HASH = 'b'.repeat(64);

function demo(): DashboardFile {
  const loaded = loadDashboard(readFileSync(DEMO, 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
}

/** Deps whose host records calls and whose engine never starts (the run then stops early). */
function fakeDeps() {
  const listSourceObjects = vi.fn(async () => ({ objects: [], truncated: false, count: 1, totalBytes: 10, location: 'x' }));
  const connectSource = vi.fn(async () => {
    throw new Error('not in this test');
  });
  const host = { listSourceObjects, connectSource } as unknown as HostApi;
  const deps: ActionDeps = { host, store: useStore, engine: () => Promise.reject(new Error('no engine in unit tests')) };
  return { deps, listSourceObjects };
}

beforeEach(() => {
  useStore.getState().setOpened({ path: '/w/kpis.dashboard.json', dashboard: demo(), diskHash: HASH, contentHash: HASH, trusted: true, warnings: [] });
});

describe('sampleQuery', () => {
  it('reads the first rows of the dataset table, with the name quoted', () => {
    const dataset = demo().datasets[0];
    if (!dataset) throw new Error('demo has a dataset');
    expect(sampleQuery(dataset).text).toBe('SELECT * FROM "ds_orders" LIMIT 5');
  });
});

describe('checkSource', () => {
  const d = () => useStore.getState().dashboard as DashboardFile;

  it('accepts a valid new source, filling defaults', () => {
    expect(checkSource(d(), { name: 'targets', kind: 'file', path: 'targets.csv' }, true)).toEqual({
      ok: true,
      source: { name: 'targets', kind: 'file', path: 'targets.csv', format: 'parquet' },
    });
  });

  it('reports schema problems by field', () => {
    const bad = checkSource(d(), { name: '2x', kind: 's3', uri: 'bucket/key', format: 'parquet' }, true);
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.map((e) => e.field).sort()).toEqual(['name', 'uri']);
    expect(bad.errors.find((e) => e.field === 'uri')?.message).toContain('s3://bucket/key');
    const url = checkSource(d(), { name: 'web', kind: 'url', url: 'not a url', format: 'csv' }, true);
    expect(url.ok ? [] : url.errors.map((e) => e.field)).toEqual(['url']);
  });

  it('refuses a new name that a source, a dataset or a dataset table already uses', () => {
    const message = (name: string) => {
      const r = checkSource(d(), { name, kind: 'file', path: 'x.csv', format: 'csv' }, true);
      return r.ok ? null : r.errors[0]?.message;
    };
    expect(message('orders')).toBe('"orders" is already the name of a data source');
    expect(message('ds_orders')).toBe(`"ds_orders" is the name of a dataset's table in the engine`);
    // Changing an existing source keeps its own name.
    expect(checkSource(d(), { name: 'orders', kind: 'file', path: 'x.csv', format: 'csv' }, false).ok).toBe(true);
  });
});

describe('addSource', () => {
  it('adds the source and a table dataset of the same name as one undoable edit, after telling the host the user typed it', async () => {
    const { deps, listSourceObjects } = fakeDeps();
    const before = useStore.getState().dashboard as DashboardFile;
    const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const source = { name: 'lake', kind: 's3' as const, uri: 's3://b/orders/*/*.parquet', format: 'parquet' as const };
    await addSource(deps, source, keys);

    expect(listSourceObjects).toHaveBeenCalledWith({ dashboardPath: '/w/kpis.dashboard.json', source, typedByUser: true, keys });
    const after = useStore.getState().dashboard as DashboardFile;
    expect(after.sources.map((s) => s.name)).toEqual([...before.sources.map((s) => s.name), 'lake']);
    expect(after.datasets[after.datasets.length - 1]).toEqual({ name: 'lake', kind: 'table', source: 'lake', measures: [], dimensions: [], hierarchies: [] });
    expect(useStore.getState().past).toHaveLength(1);
    // The run started (and stopped: no engine here).
    expect(useStore.getState().notice?.text).toContain('no engine in unit tests');

    useStore.getState().undo();
    const undone = useStore.getState().dashboard as DashboardFile;
    expect(undone.sources).toEqual(before.sources);
    expect(undone.datasets).toEqual(before.datasets);
  });

  it('changes a source even when the host cannot list it (the run reports why)', async () => {
    const { deps, listSourceObjects } = fakeDeps();
    listSourceObjects.mockRejectedValueOnce(new Error('listing failed'));
    await applySourceChange(deps, 'orders', { name: 'orders', kind: 'file', path: 'data/*.parquet', format: 'parquet' });
    expect(useStore.getState().dashboard?.sources[0]).toEqual({ name: 'orders', kind: 'file', path: 'data/*.parquet', format: 'parquet' });
  });
});
