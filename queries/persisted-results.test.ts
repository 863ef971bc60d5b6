import { describe, expect, it } from 'vitest';
import type { Dataset, Source } from '../dashboards/schema';
import { contentVersion, persistedResultsKey, sameFileVersions, sameVersions, storableResult, versionsKnown, type PersistedKeyParts } from './persisted-results';

const parts: PersistedKeyParts = {
  dataset: { kind: 'table', name: 'orders', source: 'orders', measures: [], dimensions: [] } as unknown as Dataset,
  sources: [{ kind: 'file', name: 'orders', path: 'data/orders.parquet', format: 'parquet' } as unknown as Source],
  corrections: [],
  raw: false,
  memoryBudgetBytes: 2 ** 31,
};

describe('contentVersion', () => {
  it('takes a strong ETag with the size, else the date with the size, and agrees between ISO and HTTP dates', () => {
    expect(contentVersion('"abc"', 'Tue, 01 Jul 2025 10:00:00 GMT', 10)).toBe('etag "abc" size 10');
    expect(contentVersion('W/"abc"', 'Tue, 01 Jul 2025 10:00:00 GMT', 10)).toBe('modified 2025-07-01T10:00:00.000Z size 10');
    expect(contentVersion(null, '2025-07-01T10:00:00.000Z', 10)).toBe(contentVersion('W/"x"', 'Tue, 01 Jul 2025 10:00:00 GMT', 10));
  });
  it('gives no version without a size, or with only a weak ETag and no date', () => {
    expect(contentVersion('"abc"', null, null)).toBeNull();
    expect(contentVersion('W/"abc"', null, 10)).toBeNull();
    expect(contentVersion(null, 'not a date', 10)).toBeNull();
  });
});

describe('persistedResultsKey', () => {
  it('is a SHA-256 hex digest, the same for the same parts', async () => {
    const key = await persistedResultsKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await persistedResultsKey(structuredClone(parts))).toBe(key);
  });
  it('changes with any definition, correction, raw toggle or budget', async () => {
    const base = await persistedResultsKey(parts);
    const variants: PersistedKeyParts[] = [
      { ...parts, dataset: { ...parts.dataset, label: 'Orders' } as Dataset },
      { ...parts, sources: [{ ...(parts.sources[0] as Source), path: 'data/other.parquet' } as Source] },
      { ...parts, sources: [...parts.sources, { ...(parts.sources[0] as Source), name: 'more' } as Source] },
      { ...parts, corrections: [{ id: 'c1', dataset: 'orders', kind: 'exclude_rows' } as unknown as PersistedKeyParts['corrections'][number]] },
      { ...parts, raw: true },
      { ...parts, memoryBudgetBytes: 1 },
    ];
    const keys = await Promise.all(variants.map(persistedResultsKey));
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([base, ...keys]).size).toBe(variants.length + 1);
  });
});

describe('versionsKnown and sameFileVersions', () => {
  const v = (object: string, version: string | null) => ({ object, version });
  it('knows versions only when every source has files and every file a version', () => {
    expect(versionsKnown([[v('/a', 'etag "1" size 1')], [v('/b', 'etag "2" size 1'), v('/c', 'etag "3" size 1')]])).toBe(true);
    expect(versionsKnown([[v('/a', null)]])).toBe(false);
    expect(versionsKnown([])).toBe(false);
    expect(versionsKnown([[]])).toBe(false);
    expect(versionsKnown([[v('/a', 'x')], []])).toBe(false);
  });
  it('holds only for the same files at the same known versions, in the same order', () => {
    const stored = [[v('/a', 'etag "1" size 1'), v('/b', 'etag "2" size 1')]];
    expect(sameFileVersions(stored, structuredClone(stored))).toBe(true);
    expect(sameFileVersions(stored, [[v('/a', 'etag "1" size 1'), v('/b', 'etag "3" size 1')]])).toBe(false);
    expect(sameFileVersions(stored, [[v('/a', 'etag "1" size 1'), v('/c', 'etag "2" size 1')]])).toBe(false);
    expect(sameFileVersions(stored, [[v('/b', 'etag "2" size 1'), v('/a', 'etag "1" size 1')]])).toBe(false);
    expect(sameFileVersions(stored, [[v('/a', 'etag "1" size 1')]])).toBe(false);
    expect(sameFileVersions(stored, [[v('/a', 'etag "1" size 1')], [v('/b', 'etag "2" size 1')]])).toBe(false);
    expect(sameFileVersions(stored, [...stored, [v('/c', 'x')]])).toBe(false);
    expect(sameFileVersions([[v('/a', null)]], [[v('/a', null)]])).toBe(false);
  });
});

describe('storableResult and sameVersions', () => {
  it('refuses results JSON would change (NaN, Infinity)', () => {
    expect(storableResult({ columns: [], rows: [{ a: 1.5, b: 'x', c: null, d: true }] })).toBe(true);
    expect(storableResult({ columns: [], rows: [{ a: Number.NaN }] })).toBe(false);
    expect(storableResult({ columns: [], rows: [{ a: Number.POSITIVE_INFINITY }] })).toBe(false);
  });
  it('holds only when every file read is the version the key was built from', () => {
    const expected = [{ object: '/a', version: 'v1' }];
    expect(sameVersions(expected, ['v1'])).toBe(true);
    expect(sameVersions(expected, ['v2'])).toBe(false);
    expect(sameVersions(expected, [null])).toBe(false);
    expect(sameVersions(expected, ['v1', 'v1'])).toBe(false);
    expect(sameVersions([{ object: '/a', version: null }], [null])).toBe(false);
  });
});
