import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

const AMOUNT = 'amount; DROP TABLE t; --';
const TIME = 'Zeit "UTC"';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  const base = [
    [12.5, '2025-05-01 10:00:00'],
    [0, '2025-05-01 11:00:00'],
    [null, '2025-05-02 09:00:00'],
    [99.99, '2025-05-03 08:30:00'],
  ];
  await createTable(engine, 'clean', { [AMOUNT]: 'DECIMAL(10,2)', [TIME]: 'TIMESTAMP' }, base);
  await createTable(engine, 'negatives', { [AMOUNT]: 'DECIMAL(10,2)', [TIME]: 'TIMESTAMP' }, [...base, [-3.5, '2025-05-02 12:00:00'], [-40, '2025-05-03 13:15:00']]);
});
afterAll(() => engine.close());

const COLUMNS = [AMOUNT, TIME];

describe('range', () => {
  it('finds negative amounts, most extreme first, with their time', async () => {
    const r = await runRule(engine, 'negatives', COLUMNS, 'range', { column: AMOUNT, min: 0 }, { timeColumn: TIME, severity: 'warn' });
    expect(r.status).toBe('warn');
    expect(r.observed).toBe(2);
    expect(r.examples).toEqual([
      { value: -40, time: '2025-05-03 13:15:00' },
      { value: -3.5, time: '2025-05-02 12:00:00' },
    ]);
    expect(r.message).toBe(`2 rows with ${AMOUNT} not ≥ 0 (from -40 to -3.5)`);
  });

  it('passes when every value is in range (NULL is not out of range)', async () => {
    const r = await runRule(engine, 'clean', COLUMNS, 'range', { column: AMOUNT, min: 0, max: 100 });
    expect(r.status).toBe('pass');
    expect(r.message).toBe(`every ${AMOUNT} is between 0 and 100`);
  });

  it('checks a maximum alone', async () => {
    const r = await runRule(engine, 'clean', COLUMNS, 'range', { column: AMOUNT, max: 50 });
    expect(r.status).toBe('fail');
    expect(r.examples).toEqual([{ value: 99.99 }]);
  });

  it('needs a bound, in order', async () => {
    expect((await runRule(engine, 'clean', COLUMNS, 'range', { column: AMOUNT })).message).toBe('check "c1" (range): param "min": give "min", "max" or both');
    expect((await runRule(engine, 'clean', COLUMNS, 'range', { column: AMOUNT, min: 5, max: 1 })).message).toBe('check "c1" (range): param "max": "max" is below "min"');
    expect((await runRule(engine, 'clean', COLUMNS, 'range', { column: AMOUNT, min: '0' })).status).toBe('error');
  });
});
