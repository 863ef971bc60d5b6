import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketEnd } from './null-rate';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

const AMOUNT = 'amount ($)';
const NOTE = 'note"s';
const TIME = 'order ts';

let engine: NativeEngine;

/** 30 days of 40 rows; `nulls(day, i)` says whether row i of that day has a NULL amount. */
function rows(nulls: (day: number, i: number) => boolean): (string | number | null)[][] {
  const out: (string | number | null)[][] = [];
  for (let d = 1; d <= 30; d += 1) {
    for (let i = 0; i < 40; i += 1) {
      const ts = `2025-04-${String(d).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00`;
      // A column that is always half NULL is its own normal.
      out.push([nulls(d, i) ? null : 10 + i, i % 2 === 0 ? null : 'x', ts]);
    }
  }
  return out;
}

beforeAll(async () => {
  engine = await openNativeEngine();
  const columns = { [AMOUNT]: 'DOUBLE', [NOTE]: 'VARCHAR', [TIME]: 'TIMESTAMP' };
  // The usual: one or two NULLs a day (2.5-5%).
  const usual = (d: number, i: number) => i === 0 || (d % 3 === 0 && i === 1);
  await createTable(engine, 'clean', columns, rows(usual));
  // Day 20: 16 of 40 rows (40%) lose their amount.
  await createTable(engine, 'spike', columns, rows((d, i) => usual(d, i) || (d === 20 && i < 16)));
  await createTable(engine, 'short', columns, rows(usual).slice(0, 80));
});
afterAll(() => engine.close());

const COLUMNS = [AMOUNT, NOTE, TIME];

describe('null_rate', () => {
  it('finds the day whose NULL share spikes above its baseline', async () => {
    const r = await runRule(engine, 'spike', COLUMNS, 'null_rate', { column: AMOUNT, grain: 'day' }, { timeColumn: TIME });
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(1);
    expect(r.examples).toEqual([{ day: '2025-04-20', rows: 40, nulls: 16, null_share: 0.4, baseline: 0.025 }]);
    expect(r.message).toBe('amount ($) is NULL far more often than usual on 1 day: 2025-04-20 (40.0%, usually 2.5%)');
  });

  it('places a spike in time as its bucket: a day, or a whole week or month', async () => {
    const daily = await runRule(engine, 'spike', COLUMNS, 'null_rate', { column: AMOUNT }, { timeColumn: TIME, affected: true });
    expect(daily.affected).toEqual({ timeColumn: TIME, spans: [{ from: '2025-04-20', to: '2025-04-20', note: 'amount ($) NULL on 40.0% of rows, usually 2.5%' }] });
    expect(bucketEnd('2025-04-14', 'week')).toBe('2025-04-20');
    expect(bucketEnd('2024-02-01', 'month')).toBe('2024-02-29');
    expect(bucketEnd('2025-12-01', 'month')).toBe('2025-12-31');
    expect(bucketEnd('2025-04-20', 'day')).toBe('2025-04-20');
    // Years DuckDB writes outside 0000-9999 (Date.UTC would read year 50 as 1950, Date.parse fails on 10000).
    expect(bucketEnd('10000-02-01', 'month')).toBe('10000-02-29');
    expect(bucketEnd('0050-02-01', 'month')).toBe('0050-02-28');
    expect(bucketEnd('9999-12-27', 'week')).toBe('10000-01-02');
  });

  it('passes on the usual day-to-day noise, and on a column that is always half NULL', async () => {
    expect((await runRule(engine, 'clean', COLUMNS, 'null_rate', { column: AMOUNT }, { timeColumn: TIME })).status).toBe('pass');
    expect((await runRule(engine, 'spike', COLUMNS, 'null_rate', { column: NOTE }, { timeColumn: TIME })).status).toBe('pass');
  });

  it('judges only the recent buckets when asked, and respects the absolute floor', async () => {
    expect((await runRule(engine, 'spike', COLUMNS, 'null_rate', { column: AMOUNT, recent: 5 }, { timeColumn: TIME })).status).toBe('pass');
    expect((await runRule(engine, 'spike', COLUMNS, 'null_rate', { column: AMOUNT, minIncrease: 0.5 }, { timeColumn: TIME })).status).toBe('pass');
  });

  it('cannot judge two days of data', async () => {
    const r = await runRule(engine, 'short', COLUMNS, 'null_rate', { column: AMOUNT }, { timeColumn: TIME });
    expect(r.status).toBe('error');
    expect(r.message).toBe('check "c1": 2 days of data: too few to tell a spike of NULLs from the usual share');
  });

  it('names a missing time column', async () => {
    const r = await runRule(engine, 'clean', COLUMNS, 'null_rate', { column: AMOUNT, timeColumn: 'ts' });
    expect(r.message).toBe('check "c1" param "timeColumn": the data has no column "ts"');
  });
});
