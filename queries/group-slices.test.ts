// The slices that keep a GROUP BY over every row small: the engine's sizes, the count of slices, and
// the hash condition (duplicate-key.test.ts and corrections.test.ts run the slices on native DuckDB).
import { describe, expect, it } from 'vitest';
import { MAX_SLICES, hashSlice, sizeBytes, sliceCount } from './group-slices';
import { ident } from './sql';

describe('sizeBytes: the engine\'s sizes, as DuckDB-WASM 1.28 and native DuckDB 1.x print them', () => {
  it('reads decimal and binary units', () => {
    expect(sizeBytes('3.4GB')).toBe(3.4e9);
    expect(sizeBytes('106.9MB')).toBeCloseTo(106.9e6, 3);
    expect(sizeBytes('262KB')).toBe(262_000);
    expect(sizeBytes('0 bytes')).toBe(0);
    expect(sizeBytes('18.8 GiB')).toBeCloseTo(18.8 * 2 ** 30, 0);
    expect(sizeBytes('2.2 MiB')).toBeCloseTo(2.2 * 2 ** 20, 3);
  });

  it('says null for anything else, so the split falls back to its row cap', () => {
    for (const text of ['', 'lots', '-1', '3.4 XB', null, undefined, 42]) expect(sizeBytes(text)).toBeNull();
  });
});

describe('sliceCount and hashSlice', () => {
  it('slices a table in statements of at most maxGroupRows rows, 4,096 at most', () => {
    expect(sliceCount({ rows: 6_000_000, maxGroupRows: 6_000_000 })).toBe(1);
    expect(sliceCount({ rows: 6_000_001, maxGroupRows: 6_000_000 })).toBe(2);
    expect(sliceCount({ rows: 45_000_000, maxGroupRows: 3_000_000 })).toBe(15);
    expect(sliceCount({ rows: 1e12, maxGroupRows: 1 })).toBe(MAX_SLICES);
    expect(sliceCount({ rows: Number.NaN, maxGroupRows: 10 })).toBe(1);
    expect(sliceCount({ rows: 0, maxGroupRows: 10 })).toBe(1);
  });

  it('hashes every key column, with the divisor typed as hash() is', () => {
    expect(hashSlice([ident('a b'), ident('c')], 2, 5).text).toBe('hash("a b", "c") % 5::UBIGINT = 2');
    // One slice is no slicing: the callers run their one statement instead.
    expect(() => hashSlice([ident('a')], 0, 1)).toThrow();
  });
});
