import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../../../dashboards/document';
import type { Correction } from '../../../dashboards/schema';
import type { CheckResult } from '../../../queries/checks/index';
import { useStore } from '../store';
import { addCorrection, applyCorrection, CorrectionInputError, describeCorrection, proposalsByCheck, removeCorrection, showRawData } from './correction-actions';
import type { ActionDeps } from './dashboard-actions';

const loaded = loadDashboard(readFileSync(path.join(__dirname, '../../../dashboards/examples/customer-kpis.dashboard.json'), 'utf8'));
if (!loaded.ok) throw new Error(loaded.error.message);
const demo = loaded.dashboard;

const result = (id: string, rule: string, examples: CheckResult['examples'], status: CheckResult['status'] = 'fail'): CheckResult => ({
  id, title: id, rule, severity: 'error', status, observed: 1, expected: '', owner: null, examples, message: '',
});

const spellingId = demo.checks.find((c) => c.rule === 'near_duplicate_values')?.id as string;
const duplicatesId = demo.checks.find((c) => c.rule === 'duplicate_key')?.id as string;
const RESULTS = [
  result(duplicatesId, 'duplicate_key', [{ key: { order_id: 7 }, rows: 2, days: ['2025-12-10'] }]),
  result(spellingId, 'near_duplicate_values', [{ value: 'Blak Friday', rows: 20, looks_like: 'Black Friday', looks_like_rows: 9409, how: '1 edit' }], 'warn'),
  result('orders_fresh', 'freshness', [{ newest: '2025-12-31T23:58:53.000Z' }], 'warn'),
];

describe('correction actions (pure)', () => {
  it('offers a fix for the demo findings that have one', () => {
    const proposals = proposalsByCheck(demo, RESULTS);
    expect([...proposals.keys()].sort()).toEqual([duplicatesId, spellingId].sort());
    expect(proposals.get(spellingId)?.label).toBe('Map `Blak Friday` → `Black Friday`');
    expect(proposals.get(duplicatesId)?.label).toBe('Drop duplicate rows of `order_id`, keep one');
    // Passing checks offer nothing.
    expect(proposalsByCheck(demo, RESULTS.map((r) => ({ ...r, status: 'pass' as const }))).size).toBe(0);
  });

  it('adds a correction with a reason and an author, refusing blanks and reused ids, never changing its input', () => {
    const proposal = proposalsByCheck(demo, RESULTS).get(spellingId);
    if (!proposal) throw new Error('expected a proposal');
    const { reason: _r, ...proposed } = proposal.correction;
    const added = addCorrection(demo, proposed, { reason: '  typo in the CRM export ', author: ' ana ' });
    expect(added.corrections).toEqual([{ ...proposed, reason: 'typo in the CRM export', author: 'ana' }]);
    expect(demo.corrections).toEqual([]);
    expect(() => addCorrection(demo, proposed, { reason: ' ', author: 'ana' })).toThrow(new CorrectionInputError('Say why this correction is right: the reason travels with the file.'));
    expect(() => addCorrection(demo, proposed, { reason: 'r', author: '' })).toThrow(/Give your name/);
    expect(() => addCorrection(added, proposed, { reason: 'r', author: 'a' })).toThrow(`A correction named "${proposed.id}" already exists.`);
    expect(() => addCorrection(demo, { ...proposed, dataset: 'payments' }, { reason: 'r', author: 'a' })).toThrow('The dashboard has no dataset "payments".');
    expect(() => addCorrection(demo, proposed, { reason: 'r'.repeat(2001), author: 'a' })).toThrow(/cannot be saved: reason/);
    expect(removeCorrection(added, proposed.id).corrections).toEqual([]);
    expect(removeCorrection(added, 'nope')).toBe(added);
  });

  it('describes what each kind of correction does', () => {
    const c = (kind: Correction['kind'], params: Record<string, unknown>): Correction => ({ id: 'x', kind, dataset: 'orders', params, reason: '', author: '' });
    expect(describeCorrection(c('map_value', { column: 'campaign', mappings: [{ from: 'Blak Friday', to: 'Black Friday' }] }))).toBe('campaign: `Blak Friday` → `Black Friday`');
    expect(describeCorrection(c('map_value', { column: 'amount', from: null, to: 0 }))).toBe('amount: empty → 0');
    expect(describeCorrection(c('exclude_rows', { key: 'order_id', duplicates: 'keep_one' }))).toBe('one row per order_id: duplicate rows dropped');
    expect(describeCorrection(c('exclude_rows', { key: 'order_id', values: [1, 2, 3, 4] }))).toBe('rows dropped where order_id is 1, 2, 3, and 1 more');
    expect(describeCorrection(c('override', { key: 'order_id', keyValue: 9, column: 'amount', value: 12.5 }))).toBe('amount set to 12.5 where order_id is 9');
  });
});

describe('correction actions (store)', () => {
  // The engine never starts here: runDashboard then reports that and stops, which is all these tests need.
  const deps: ActionDeps = {
    host: {} as ActionDeps['host'],
    engine: () => Promise.reject(new Error('no engine in this test')),
    store: useStore,
  };

  it('applies a correction as one undoable edit, and refuses bad input without editing', async () => {
    useStore.getState().setOpened({ path: '/tmp/demo.dashboard.json', dashboard: demo, diskHash: 'h', contentHash: null, trusted: true, warnings: [] });
    const proposal = proposalsByCheck(demo, RESULTS).get(duplicatesId);
    if (!proposal) throw new Error('expected a proposal');
    const { reason: _r, ...proposed } = proposal.correction;
    await expect(applyCorrection(deps, proposed, { reason: '', author: 'ana' })).rejects.toThrow(CorrectionInputError);
    expect(useStore.getState().past).toHaveLength(0);
    await applyCorrection(deps, proposed, { reason: 'loaded twice', author: 'ana' });
    expect(useStore.getState().dashboard?.corrections.map((c) => c.id)).toEqual([proposed.id]);
    useStore.getState().undo();
    expect(useStore.getState().dashboard?.corrections).toEqual([]);
    useStore.getState().redo();
    expect(useStore.getState().dashboard?.corrections.map((c) => c.author)).toEqual(['ana']);
  });

  it('shows raw data without touching the document, and forgets it when another file opens', async () => {
    useStore.getState().setOpened({ path: '/tmp/demo.dashboard.json', dashboard: demo, diskHash: 'h', contentHash: null, trusted: true, warnings: [] });
    await showRawData(deps, true);
    expect(useStore.getState().showRaw).toBe(true);
    expect(useStore.getState().past).toHaveLength(0);
    useStore.getState().setOpened({ path: '/tmp/demo.dashboard.json', dashboard: demo, diskHash: 'h', contentHash: null, trusted: true, warnings: [] });
    expect(useStore.getState().showRaw).toBe(false);
  });
});
