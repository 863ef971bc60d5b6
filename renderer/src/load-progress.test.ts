import { describe, expect, it } from 'vitest';
import { loadProgressText } from './load-progress';

describe('loadProgressText', () => {
  it('says bytes done of the total, and the time left once it is known', () => {
    expect(loadProgressText('orders', { phase: 'fetching', bytesDone: 23 * 1024 ** 2, bytesTotal: 61.6 * 1024 ** 2, rowsTotal: 5_000_000, etaMs: 2100 })).toBe('Loading orders: 23 of 62 MB · about 2 s left');
    expect(loadProgressText('orders', { phase: 'fetching', bytesDone: 0, bytesTotal: 3.25 * 1024 ** 2, rowsTotal: null, etaMs: null })).toBe('Loading orders: 0.0 of 3.3 MB');
    expect(loadProgressText('orders', { phase: 'fetching', bytesDone: 1, bytesTotal: 2 * 1024 ** 3, rowsTotal: null, etaMs: 200_000 })).toBe('Loading orders: 0.0 of 2048 MB · about 3 min left');
    expect(loadProgressText('orders', { phase: 'fetching', bytesDone: 449 * 1024 ** 2, bytesTotal: 449 * 1024 ** 2, rowsTotal: null, etaMs: 0 })).toBe('Loading orders: 449 of 449 MB');
  });

  it('counts the rows a CSV read as it downloads has given so far', () => {
    expect(loadProgressText('orders', { phase: 'fetching', bytesDone: 64 * 1024 ** 2, bytesTotal: 449 * 1024 ** 2, rowsTotal: null, etaMs: 9000, rowsDone: 712_430 })).toBe('Loading orders: 64 of 449 MB · 712,430 rows · about 9 s left');
    expect(loadProgressText('orders', { phase: 'fetching', bytesDone: 0, bytesTotal: 449 * 1024 ** 2, rowsTotal: null, etaMs: null, rowsDone: 0 })).toBe('Loading orders: 0.0 of 449 MB');
  });

  it('counts the rows being read, from the footers', () => {
    expect(loadProgressText('orders', { phase: 'reading', bytesTotal: 1, rowsTotal: 5_000_000 })).toBe('Reading 5,000,000 rows…');
    expect(loadProgressText('orders', { phase: 'reading', bytesTotal: 1, rowsTotal: null })).toBe('Reading orders…');
  });

  it('says how much of a JSON file was parsed and the rows so far, with the time left', () => {
    expect(loadProgressText('orders', { phase: 'reading', bytesTotal: 224 * 1024 ** 2, rowsTotal: null, bytesDone: 120 * 1024 ** 2, rowsDone: 540_000, etaMs: 4200 })).toBe('Reading orders: 120 of 224 MB · 540,000 rows · about 4 s left');
    expect(loadProgressText('orders', { phase: 'reading', bytesTotal: 224 * 1024 ** 2, rowsTotal: null, bytesDone: 224 * 1024 ** 2, rowsDone: 1_000_000, etaMs: 0 })).toBe('Reading orders: 224 of 224 MB · 1,000,000 rows');
  });
});
