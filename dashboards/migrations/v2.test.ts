import { describe, expect, it } from 'vitest';
import { migrateToV2 } from './v2';

describe('migrateToV2', () => {
  it('keeps fields a hand-edited v1 file already has, for validation to judge', () => {
    const out = migrateToV2({
      schemaVersion: 1,
      owner: 'ana',
      datasets: [{ name: 'a', kind: 'sql' }],
      panels: [{ id: 'p', followFilters: false }],
    }) as Record<string, unknown>;
    expect(out.owner).toBe('ana');
    expect(out.datasets).toEqual([{ name: 'a', kind: 'sql' }]);
    expect(out.panels).toEqual([{ id: 'p', followFilters: false }]);
    expect(out.filters).toEqual([]);
  });

  it('passes shapes it does not recognise through untouched', () => {
    const out = migrateToV2({ schemaVersion: 1, datasets: 'nope', panels: [1, null, ['x']] }) as Record<string, unknown>;
    expect(out.datasets).toBe('nope');
    expect(out.panels).toEqual([1, null, ['x']]);
    expect(out.schemaVersion).toBe(2);
  });

  it('refuses something that is not a dashboard object', () => {
    expect(() => migrateToV2([])).toThrow();
    expect(() => migrateToV2(null)).toThrow();
  });
});
