import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

const STATUS = 'st"atus';
const TIME = 'when';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  const rows = (extra: (string | null)[][]) => {
    const out: (string | null)[][] = [];
    for (let d = 1; d <= 20; d += 1) {
      const day = `2025-03-${String(d).padStart(2, '0')} 12:00:00`;
      out.push(['paid', day], ['refunded', day], [null, day]);
    }
    return [...out, ...extra];
  };
  await createTable(engine, 'clean', { [STATUS]: 'VARCHAR', [TIME]: 'TIMESTAMP' }, rows([]));
  // A new value on the last day, and one that only existed long before the reference window.
  await createTable(engine, 'new_value', { [STATUS]: 'VARCHAR', [TIME]: 'TIMESTAMP' }, rows([['Paid ', '2025-03-20 18:00:00'], ['Paid ', '2025-03-20 19:00:00'], ['chargeback', '2025-03-20 08:00:00']]));
  await createTable(engine, 'only_recent', { [STATUS]: 'VARCHAR', [TIME]: 'TIMESTAMP' }, [['paid', '2025-03-20 12:00:00']]);
});
afterAll(() => engine.close());

const COLUMNS = [STATUS, TIME];

describe('unexpected_values with an allowed list', () => {
  it('reports values outside the list, most rows first, and ignores NULLs', async () => {
    const r = await runRule(engine, 'new_value', COLUMNS, 'unexpected_values', { column: STATUS, allowed: ['paid', 'refunded'] });
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(2);
    expect(r.examples).toEqual([
      { value: 'Paid ', rows: 2 },
      { value: 'chargeback', rows: 1 },
    ]);
    expect(r.message).toBe('2 unexpected st"atus values on 3 rows: `Paid ` (2 rows), `chargeback` (1 row)');
  });

  it('passes when every value is allowed', async () => {
    const r = await runRule(engine, 'clean', COLUMNS, 'unexpected_values', { column: STATUS, allowed: ['paid', 'refunded', "it's"] });
    expect(r.status).toBe('pass');
    expect(r.observed).toBe(0);
  });
});

describe('unexpected_values against a reference window', () => {
  it('reports values of the recent days never seen in the days before', async () => {
    const r = await runRule(engine, 'new_value', COLUMNS, 'unexpected_values', { column: STATUS, referenceDays: 14 }, { timeColumn: TIME });
    expect(r.status).toBe('fail');
    expect(r.examples).toEqual([
      { value: 'Paid ', rows: 2, first_day: '2025-03-20' },
      { value: 'chargeback', rows: 1, first_day: '2025-03-20' },
    ]);
    expect(r.message).toContain('(new in the recent period)');
  });

  it('passes when the recent values were all seen before', async () => {
    const r = await runRule(engine, 'clean', COLUMNS, 'unexpected_values', { column: STATUS, referenceDays: 14, recentDays: 3 }, { timeColumn: TIME });
    expect(r.status).toBe('pass');
  });

  it('cannot run without reference rows, or without a time column', async () => {
    const empty = await runRule(engine, 'only_recent', COLUMNS, 'unexpected_values', { column: STATUS, referenceDays: 14 }, { timeColumn: TIME });
    expect(empty.status).toBe('error');
    expect(empty.message).toContain('no rows in the 14 reference days');
    const noTime = await runRule(engine, 'clean', COLUMNS, 'unexpected_values', { column: STATUS, referenceDays: 14 });
    expect(noTime.status).toBe('error');
    expect(noTime.message).toContain('the rule needs a time column');
  });

  it('takes either a list or a reference window', async () => {
    const both = await runRule(engine, 'clean', COLUMNS, 'unexpected_values', { column: STATUS, allowed: [], referenceDays: 3 });
    expect(both.message).toBe('check "c1" (unexpected_values): param "allowed": give either "allowed" (a list of values) or "referenceDays" (values seen before), not both');
    const neither = await runRule(engine, 'clean', COLUMNS, 'unexpected_values', { column: STATUS });
    expect(neither.status).toBe('error');
  });
});
