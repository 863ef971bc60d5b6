import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from './document';
import { canonicalContent, withRevision } from './revision';
import type { DashboardFile, Revision } from './schema';

const here = path.dirname(fileURLToPath(import.meta.url));

function example(): DashboardFile {
  const r = loadDashboard(readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8'));
  if (!r.ok) throw new Error(r.error.message);
  return r.dashboard;
}

const first: Revision = {
  number: 1,
  savedAt: '2025-01-02T03:04:05Z',
  savedBy: 'ana',
  parentHash: null,
  contentHash: 'a'.repeat(64),
};

describe('canonicalContent', () => {
  it('leaves the revision block out', () => {
    const doc = example();
    const withRev = withRevision(doc, first);
    expect(canonicalContent(withRev)).toBe(canonicalContent(doc));
    expect(canonicalContent(withRev)).not.toContain('"revision"');
    const later = withRevision(withRev, { ...first, number: 2, parentHash: 'a'.repeat(64), contentHash: 'b'.repeat(64), message: 'm' });
    expect(canonicalContent(later)).toBe(canonicalContent(withRev));
  });

  it('changes when the content changes', () => {
    const doc = withRevision(example(), first);
    expect(canonicalContent({ ...doc, title: 'Other' })).not.toBe(canonicalContent(doc));
  });

  it('is the deterministic serialization of the content', () => {
    const doc = example();
    expect(canonicalContent(doc)).toBe(readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8'));
  });
});

describe('withRevision', () => {
  it('returns a new document and leaves the old one alone', () => {
    const doc = Object.freeze(example());
    const next = withRevision(doc, first);
    expect(next).not.toBe(doc);
    expect(next.revision).toEqual(first);
    expect(doc.revision).toBeUndefined();
    expect(loadDashboard(JSON.stringify(next)).ok).toBe(true);
  });
});
