import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, type NativeEngine } from './checks/testing-engine';
import { namedLikeId, profileTable, proposePicks, scanForStarter, scanTimeColumn } from './profile';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
});
afterAll(() => engine.close());

const DAY = 86_400_000;

describe('profileTable and proposePicks', () => {
  it('classifies hostile column names and picks time, measures and dimensions', async () => {
    const rows: (string | number | null)[][] = [];
    for (let i = 0; i < 200; i += 1) {
      rows.push([i, `2025-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`, i * 1.5, i % 7, ['north', 'south', 'east'][i % 3] as string, `c${i}`, 2025, i % 2 ? 'x' : null]);
    }
    await createTable(
      engine,
      'p"1',
      { 'row id': 'INTEGER', 'sold "at"': 'TIMESTAMP', "price's": 'DOUBLE', qty: 'INTEGER', 'Region; DROP': 'VARCHAR', customerId: 'VARCHAR', year: 'INTEGER', empty_mostly: 'VARCHAR' },
      rows,
    );
    const profile = await profileTable(engine, 'p"1');
    expect(profile.rows).toBe(200);
    const role = Object.fromEntries(profile.columns.map((c) => [c.name, c.role]));
    expect(role).toEqual({
      'row id': 'id',
      'sold "at"': 'time',
      "price's": 'measure',
      qty: 'measure',
      'Region; DROP': 'dimension',
      customerId: 'id',
      year: 'other',
      empty_mostly: 'other',
    });
    const time = profile.columns.find((c) => c.name === 'sold "at"');
    expect(time?.minMs).toBe(Date.UTC(2025, 0, 1, 10));
    expect(time?.maxMs).toBe(Date.UTC(2025, 0, 28, 10));
    // Money-like and fractional amounts first.
    expect(proposePicks(profile)).toEqual({ time: 'sold "at"', measures: ["price's", 'qty'], dimensions: ['Region; DROP'] });
  });

  it('names like ids', () => {
    expect(['order_id', 'orderId', 'ID', 'uuid', 'id_card', 'paid', 'kid_count'].map(namedLikeId)).toEqual([true, true, true, true, true, false, false]);
  });

  it('keeps implausible dates out of time and out of the scan', async () => {
    await createTable(engine, 'odd', { a: 'TIMESTAMP', b: 'TIMESTAMP', v: 'DOUBLE' }, [
      ['0001-01-01 00:00:00', '2025-01-01 00:00:00', 1],
      ['9999-12-31 00:00:00', '2025-01-02 00:00:00', 2],
    ]);
    const profile = await profileTable(engine, 'odd');
    expect(profile.columns.find((c) => c.name === 'a')?.role).toBe('other');
    const picks = proposePicks(profile);
    expect(picks.time).toBe('b');
    expect(scanTimeColumn(profile, picks)).toBe('b');
    const scan = await scanForStarter(engine, 'odd', profile, picks);
    expect(scan?.inferred.time).toBe('b');
    expect(scanTimeColumn({ rows: 1, columns: [{ ...profile.columns[1]!, minMs: 0, maxMs: 200 * 366 * DAY }] }, { time: 'b', measures: [], dimensions: [] })).toBeNull();
  });
});
