import { describe, expect, it } from 'vitest';
import type { Dataset, Source } from '../dashboards/schema';
import { contentVersion, persistedResultsKey, sameVersions, storableResult, type PersistedKeyParts } from './persisted-results';

const parts: PersistedKeyParts = {
  dataset: { kind: 'table', name: 'orders', source: 'orders', measures: [], dimensions: [] } as unknown as Dataset,
  sources: [{ kind: 'file', name: 'orders', path: 'data/orders.parquet', format: 'parquet' } as unknown as Source],
  corrections: [],
  raw: false,
  memoryBudgetBytes: 2 ** 31,
  versions: [[{ object: '/data/orders.parquet', version: 'etag "1-2" size 100' }]],
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
  it('changes with any content version, file, definition, correction, raw toggle or budget', async () => {
    const base = await persistedResultsKey(parts);
    const variants: PersistedKeyParts[] = [
      { ...parts, versions: [[{ object: '/data/orders.parquet', version: 'etag "1-3" size 100' }]] },
      { ...parts, versions: [[{ object: '/other/orders.parquet', version: 'etag "1-2" size 100' }]] },
      { ...parts, versions: [[...(parts.versions[0] ?? []), { object: '/data/more.parquet', version: 'etag "9" size 1' }]] },
      { ...parts, dataset: { ...parts.dataset, label: 'Orders' } as Dataset },
      { ...parts, sources: [{ ...(parts.sources[0] as Source), path: 'data/other.parquet' } as Source] },
      { ...parts, corrections: [{ id: 'c1', dataset: 'orders', kind: 'exclude_rows' } as unknown as PersistedKeyParts['corrections'][number]] },
      { ...parts, raw: true },
      { ...parts, memoryBudgetBytes: 1 },
    ];
    const keys = await Promise.all(variants.map(persistedResultsKey));
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([base, ...keys]).size).toBe(variants.length + 1);
  });
  it('is null when any file has no known version, or there are no files', async () => {
    expect(await persistedResultsKey({ ...parts, versions: [[{ object: '/a', version: null }]] })).toBeNull();
    expect(await persistedResultsKey({ ...parts, versions: [] })).toBeNull();
    expect(await persistedResultsKey({ ...parts, versions: [[]] })).toBeNull();
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
