import { describe, expect, it } from 'vitest';
import type { QueryResult } from './engine/engine';
import { ResultCache, approximateResultBytes } from './result-cache';

const result = (value: number | string, rows = 1): QueryResult => ({
  columns: [{ name: 'value', type: typeof value === 'number' ? 'DOUBLE' : 'VARCHAR' }],
  rows: Array.from({ length: rows }, () => ({ value })),
});

describe('ResultCache', () => {
  it('returns the result kept for the same dataset, data version and SQL', () => {
    const cache = new ResultCache();
    const kept = result(42);
    cache.set('orders', '1', 'SELECT 42', kept);
    expect(cache.get('orders', '1', 'SELECT 42')).toBe(kept);
    expect(cache.get('orders', '1', 'SELECT 43')).toBeUndefined();
  });

  it('misses once the data version changed, and drops the older version', () => {
    const cache = new ResultCache();
    cache.set('orders', '1', 'SELECT 42', result(42));
    expect(cache.get('orders', '2', 'SELECT 42')).toBeUndefined();
    cache.set('orders', '2', 'SELECT 42', result(43));
    expect(cache.get('orders', '2', 'SELECT 42')?.rows[0]?.value).toBe(43);
    // The first version's data is gone from the engine: its results are gone from the cache.
    expect(cache.get('orders', '1', 'SELECT 42')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('never serves one dataset the result of another with the same SQL and version', () => {
    const cache = new ResultCache();
    cache.set('orders', '1', 'SELECT count(*) FROM t', result(1));
    cache.set('returns', '1', 'SELECT count(*) FROM t', result(2));
    expect(cache.get('orders', '1', 'SELECT count(*) FROM t')?.rows[0]?.value).toBe(1);
    expect(cache.get('returns', '1', 'SELECT count(*) FROM t')?.rows[0]?.value).toBe(2);
    expect(cache.get('customers', '1', 'SELECT count(*) FROM t')).toBeUndefined();
    // A new version of one dataset leaves the other's results alone.
    cache.set('returns', '2', 'SELECT 1', result(3));
    expect(cache.get('orders', '1', 'SELECT count(*) FROM t')?.rows[0]?.value).toBe(1);
  });

  it('does not confuse keys whose parts run into each other', () => {
    const cache = new ResultCache();
    cache.set('a', '1', '2', result(1));
    expect(cache.get('a', '12', '')).toBeUndefined();
    expect(cache.get('a1', '2', '')).toBeUndefined();
  });

  it('evicts the least recently used entry past the entry limit', () => {
    const cache = new ResultCache({ maxEntries: 2 });
    cache.set('d', '1', 'q1', result(1));
    cache.set('d', '1', 'q2', result(2));
    cache.get('d', '1', 'q1'); // q1 is now the most recently used
    cache.set('d', '1', 'q3', result(3));
    expect(cache.size).toBe(2);
    expect(cache.get('d', '1', 'q2')).toBeUndefined();
    expect(cache.get('d', '1', 'q1')).toBeDefined();
    expect(cache.get('d', '1', 'q3')).toBeDefined();
  });

  it('evicts by approximate size and keeps the byte count right', () => {
    const big = result('x'.repeat(1000), 10);
    const one = approximateResultBytes(big) + 2 * 'q1'.length;
    const cache = new ResultCache({ maxBytes: one * 2 + 10 });
    cache.set('d', '1', 'q1', big);
    cache.set('d', '1', 'q2', result('x'.repeat(1000), 10));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBe(one * 2);
    cache.set('d', '1', 'q3', result('x'.repeat(1000), 10));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(cache.limits.maxBytes);
    expect(cache.get('d', '1', 'q1')).toBeUndefined();
    // Replacing an entry counts its bytes once.
    cache.set('d', '1', 'q3', result('x'.repeat(1000), 10));
    expect(cache.bytes).toBe(one * 2);
  });

  it('does not keep a result larger than the whole byte budget', () => {
    const cache = new ResultCache({ maxBytes: 1000 });
    cache.set('d', '1', 'small', result(1));
    cache.set('d', '1', 'huge', result('y'.repeat(10_000)));
    expect(cache.get('d', '1', 'huge')).toBeUndefined();
    expect(cache.get('d', '1', 'small')).toBeDefined();
  });

  it('sizes results by their content', () => {
    expect(approximateResultBytes(result('x'.repeat(100), 100))).toBeGreaterThan(100 * 100 * 2);
    expect(approximateResultBytes(result('x', 10))).toBeLessThan(approximateResultBytes(result('x', 20)));
  });

  it('forgets everything on clear', () => {
    const cache = new ResultCache();
    cache.set('d', '1', 'q', result(1));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    expect(cache.get('d', '1', 'q')).toBeUndefined();
  });

  it('refuses limits that are not whole numbers of at least 0', () => {
    expect(() => new ResultCache({ maxEntries: -1 })).toThrow(/maxEntries must be a whole number of at least 0, got -1/);
    expect(() => new ResultCache({ maxBytes: Number.NaN })).toThrow(/maxBytes/);
  });
});
