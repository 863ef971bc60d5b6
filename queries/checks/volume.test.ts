import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';
import { outlierDays } from './volume';

const TIME = 'created "at"';
const AMOUNT = 'amount €';

// The demo's weekday factors (Sunday..Saturday): a Saturday is 1.33× a Tuesday, so comparing a day
// with the day before (or a flat band) would alarm every weekend.
const WEEKDAY = [1.18, 0.94, 0.92, 0.95, 0.98, 1.05, 1.22];
const START = Date.UTC(2025, 0, 1);
const DAYS = 140;

/** A deterministic daily series: weekly seasonality, growth per week, ±4% noise. */
function series(weeklyGrowth: number, change: (day: number, value: number) => number = (_d, v) => v): number[] {
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 1 + ((seed / 2147483648) * 2 - 1) * 0.04;
  };
  return Array.from({ length: DAYS }, (_, d) => {
    const weekday = new Date(START + d * 86_400_000).getUTCDay();
    return change(d, Math.round(200 * WEEKDAY[weekday]! * (1 + weeklyGrowth) ** (d / 7) * noise()));
  });
}

const day = (d: number) => new Date(START + d * 86_400_000).toISOString().slice(0, 10);
const rowsOf = (values: number[]) => values.map((value, d) => ({ day: day(d), value }));
const PARAMS = { k: 3, windowDays: 56, minChange: 0.25, minHistory: 3 };

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  // A table of one row per order: 2% weekly growth, day 100 loaded twice, day 120 missing; amounts 1.5 each.
  const counts = series(0.02, (d, v) => (d === 100 ? 2 * v : d === 120 ? 0 : v));
  const rows: (string | number)[][] = [];
  counts.forEach((n, d) => {
    for (let i = 0; i < n; i += 1) rows.push([`${day(d)} 12:00:00`, d === 110 ? 0.5 : 1.5]);
  });
  await createTable(engine, 'orders', { [TIME]: 'TIMESTAMP', [AMOUNT]: 'DOUBLE' }, rows);
});
afterAll(() => engine.close());

describe('the weekday-aware band', () => {
  it('never alarms on weekly seasonality with growth (32%/year, and 3%/week)', () => {
    expect(outlierDays(rowsOf(series(0.0053)), PARAMS).outliers).toEqual([]);
    expect(outlierDays(rowsOf(series(0.03)), PARAMS).outliers).toEqual([]);
    expect(outlierDays(rowsOf(series(0.03)), PARAMS).judged).toBe(DAYS - 21);
  });

  it('alarms on a doubled day, a halved day, and a missing day', () => {
    const broken = series(0.0053, (d, v) => (d === 60 ? 2 * v : d === 90 ? v / 2 : v)).map((value, d) => ({ day: day(d), value })).filter((r) => r.day !== day(75));
    expect(outlierDays(broken, PARAMS).outliers.map((o) => o.day)).toEqual([day(60), day(75), day(90)]);
  });
});

describe('volume and total_jump', () => {
  it('volume finds the day loaded twice and the missing day, nothing else', async () => {
    const r = await runRule(engine, 'orders', [TIME, AMOUNT], 'volume', {}, { timeColumn: TIME, severity: 'warn' });
    expect(r.status).toBe('warn');
    expect(r.examples.map((e) => e.day)).toEqual([day(100), day(120)]);
    expect(r.examples[0]).toMatchObject({ day: day(100), weekday: 'Friday' });
    expect(r.message).toMatch(new RegExp(`^the daily row count was outside the usual band for its weekday on 2 days: ${day(100)} \\(.*, \\+\\d+%\\), ${day(120)} \\(0, usually ~.*, -100%\\)$`));
  });

  it('total_jump finds a day whose total drops although its row count does not', async () => {
    const r = await runRule(engine, 'orders', [TIME, AMOUNT], 'total_jump', { column: AMOUNT }, { timeColumn: TIME });
    expect(r.status).toBe('fail');
    expect(r.examples.map((e) => e.day).sort()).toEqual([day(100), day(110), day(120)]);
  });

  it('places the outlier days in time, in day order, for charts to mark', async () => {
    const r = await runRule(engine, 'orders', [TIME, AMOUNT], 'total_jump', { column: AMOUNT }, { timeColumn: TIME, affected: true });
    expect(r.affected?.timeColumn).toBe(TIME);
    expect(r.affected?.spans.map((s) => [s.from, s.to])).toEqual([day(100), day(110), day(120)].map((d) => [d, d]));
    expect(r.affected?.spans[2]?.note).toMatch(/^the daily total of amount € 0, usually ~[\d,.]+ \(-100%\)$/);
  });

  it('passes when judging only recent days that are fine', async () => {
    const r = await runRule(engine, 'orders', [TIME, AMOUNT], 'volume', { recentDays: 14 }, { timeColumn: TIME });
    expect(r.status).toBe('pass');
    expect(r.message).toBe('the daily row count stayed within the usual band for its weekday on all 14 days judged');
  });

  it('cannot judge without enough history', async () => {
    await createTable(engine, 'short', { ts: 'DATE' }, [['2025-01-01'], ['2025-01-08']]);
    const r = await runRule(engine, 'short', ['ts'], 'volume', {}, { timeColumn: 'ts' });
    expect(r.status).toBe('error');
    expect(r.message).toContain('too little history');
  });

  it('validates the column and params', async () => {
    expect((await runRule(engine, 'orders', [TIME, AMOUNT], 'total_jump', {}, { timeColumn: TIME })).message).toBe('check "c1" (total_jump): param "column": is required');
    expect((await runRule(engine, 'orders', [TIME, AMOUNT], 'volume', { windowDays: 7 }, { timeColumn: TIME })).message).toMatch(/param "windowDays"/);
  });
});
