import { describe, expect, it } from 'vitest';
import type { SharedDashboard } from '../../../electron/api/host-api';
import { describeShare } from './share-dialog';

const base: SharedDashboard = {
  folder: '/x',
  files: [{ path: 'customer-kpis.dashboard.json', bytes: 5855, kind: 'dashboard' }],
  rewrittenSources: [],
  notes: [],
};

describe('describeShare', () => {
  it('names the dashboard, counts data files with their total size and the rewritten sources', () => {
    const shared: SharedDashboard = {
      ...base,
      files: [...base.files, { path: 'data/orders.parquet', bytes: 5_317_407, kind: 'data' }],
      rewrittenSources: ['orders'],
    };
    expect(describeShare(shared, false)).toBe('Shared to /x: customer-kpis.dashboard.json + 1 data file (5.1 MB); sources rewritten: orders. Without version history.');
  });

  it('says whether history went along, and when there was none to take', () => {
    const withHistory: SharedDashboard = {
      ...base,
      files: [...base.files, { path: '.northstar/history/id/000001-abc.json', bytes: 10, kind: 'history' }, { path: '.northstar/history/id/000002-def.json', bytes: 10, kind: 'history' }],
    };
    expect(describeShare(withHistory, true)).toBe('Shared to /x: customer-kpis.dashboard.json + 2 revisions of history. With its version history.');
    expect(describeShare(base, true)).toBe('Shared to /x: customer-kpis.dashboard.json. It has no version history yet.');
  });
});
