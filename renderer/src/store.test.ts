import { beforeEach, describe, expect, it } from 'vitest';
import type { DashboardFile } from '../../dashboards/schema';
import { selectDirty, useStore } from './store';
import { cancelRun, copyPath, moveInHistory, renameDashboard, renamePanel } from './actions/dashboard-actions';

const HASH = 'a'.repeat(64);

function doc(title = 'T'): DashboardFile {
  return {
    type: 'northstar.dashboard',
    schemaVersion: 2,
    id: '6f1c2a4e-8b7d-4c1e-9a3f-2d5b6e7f8a90',
    title,
    description: '',
    owner: '',
    revision: { number: 3, savedAt: '2026-11-26T10:00:00.000Z', savedBy: 'me', parentHash: null, contentHash: HASH },
    timeRange: { lastDays: 30, anchor: 'data' },
    sources: [],
    datasets: [],
    filters: [],
    panels: [{ id: 'p', kind: 'text', title: 'Notes', markdown: 'hi', followFilters: true }],
    layout: [{ panel: 'p', x: 0, y: 0, w: 4, h: 2 }],
    views: [],
    checks: [],
    corrections: [],
  };
}

const deps = { store: useStore };

beforeEach(() => {
  useStore.getState().setOpened({ path: '/x.dashboard.json', dashboard: doc(), diskHash: HASH, contentHash: HASH, trusted: true, warnings: [] });
});

describe('editing with undo and redo', () => {
  it('renames, undoes and redoes, and tracks dirty against the saved file', async () => {
    renamePanel(deps, 'p', '  Team notes ');
    expect(useStore.getState().dashboard?.panels[0]?.title).toBe('Team notes');
    expect(selectDirty(useStore.getState())).toBe(true);
    await moveInHistory(deps as never, 'undo');
    expect(useStore.getState().dashboard?.panels[0]?.title).toBe('Notes');
    expect(selectDirty(useStore.getState())).toBe(false);
    await moveInHistory(deps as never, 'redo');
    expect(useStore.getState().dashboard?.panels[0]?.title).toBe('Team notes');
  });

  it('ignores empty and unchanged titles (no undo entry)', () => {
    renameDashboard(deps, '   ');
    renameDashboard(deps, 'T');
    expect(useStore.getState().past).toHaveLength(0);
  });

  it('keeps the newest revision block when undoing past a save', async () => {
    renameDashboard(deps, 'Before save');
    const saved = { ...doc('Before save'), revision: { ...doc().revision!, number: 4, parentHash: HASH, contentHash: 'b'.repeat(64) } };
    useStore.getState().markSaved({ path: '/x.dashboard.json', dashboard: saved, diskHash: 'c'.repeat(64), contentHash: 'b'.repeat(64), trusted: true });
    await moveInHistory(deps as never, 'undo');
    const now = useStore.getState().dashboard;
    expect(now?.title).toBe('T');
    expect(now?.revision?.number).toBe(4);
    expect(selectDirty(useStore.getState())).toBe(true);
  });

  it('a save as a copy that got its own id is clean, and undo past it keeps the new id (its own history)', async () => {
    renameDashboard(deps, 'Copy');
    const before = useStore.getState().dashboard;
    const copyId = '00000000-0000-4000-8000-00000000c0de';
    const saved = { ...doc('Copy'), id: copyId, revision: { ...doc().revision!, number: 1, parentHash: null, contentHash: 'd'.repeat(64) } };
    expect(before?.id).not.toBe(copyId);
    useStore.getState().markSaved({ path: '/x (copy).dashboard.json', dashboard: saved, diskHash: 'e'.repeat(64), contentHash: 'd'.repeat(64), trusted: true });
    expect(selectDirty(useStore.getState())).toBe(false);
    expect(useStore.getState().dashboard?.id).toBe(copyId);
    await moveInHistory(deps as never, 'undo');
    expect(useStore.getState().dashboard?.title).toBe('T');
    expect(useStore.getState().dashboard?.id).toBe(copyId);
  });
});

describe('copyPath', () => {
  it('names copies next to the original', () => {
    expect(copyPath('/a/orders.dashboard.json', 1)).toBe('/a/orders (copy).dashboard.json');
    expect(copyPath('/a/orders.dashboard.json', 2)).toBe('/a/orders (copy 2).dashboard.json');
    expect(copyPath('C:\\d\\x.json', 1)).toBe('C:\\d\\x (copy).json');
    expect(copyPath('/a/noext', 1)).toBe('/a/noext (copy).dashboard.json');
  });
});

describe('cancelling a run', () => {
  it('marks what still loads as cancelled, keeps finished results, and drops late results', async () => {
    const s = useStore.getState();
    const runId = s.startRun(['orders'], ['a', 'b']);
    const ready = { status: 'ready' as const, result: { columns: [], rows: [] }, sql: 'SELECT 1', period: null };
    s.setPanel(runId, 'a', ready);
    let engineCancelled = false;
    await cancelRun({ store: useStore, host: {} as never, engine: () => Promise.reject(new Error('unused')), cancelEngine: async () => void (engineCancelled = true) });
    const after = useStore.getState();
    expect(engineCancelled).toBe(true);
    expect(after.runId).toBe(runId + 1);
    expect(after.panels).toEqual({ a: ready, b: { status: 'cancelled' } });
    expect(after.datasets).toEqual({ orders: { status: 'cancelled' } });
    after.setPanel(runId, 'b', ready); // the cancelled run's late result
    expect(useStore.getState().panels.b).toEqual({ status: 'cancelled' });
  });
});
