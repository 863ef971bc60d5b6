import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';
import { dayNumber, isoDay, mad, median, MAD_SCALE } from './stats';
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

/** The band as first written: every day from the first to the last, one by one (fine for short spans). */
function walkEveryDay(rows: { day: string; value: number }[], p: typeof PARAMS & { recentDays?: number }) {
  const byDay = new Map(rows.map((r) => [Math.round(Date.parse(`${r.day}T00:00:00Z`) / 86_400_000), r.value]));
  const first = Math.min(...byDay.keys());
  const last = Math.max(...byDay.keys());
  const weeks = Math.floor(p.windowDays / 7);
  const out: string[] = [];
  let judged = 0;
  for (let d = p.recentDays === undefined ? first : Math.max(first, last - p.recentDays + 1); d <= last; d += 1) {
    const history: number[] = [];
    for (let w = 1; w <= weeks && d - 7 * w >= first; w += 1) history.push(byDay.get(d - 7 * w) ?? 0);
    if (history.length < p.minHistory) continue;
    judged += 1;
    const usual = median(history);
    const width = Math.max(p.k * MAD_SCALE * mad(history), p.minChange * Math.abs(usual));
    if (Math.abs((byDay.get(d) ?? 0) - usual) > width) out.push(new Date(d * 86_400_000).toISOString().slice(0, 10));
  }
  return { judged, days: out };
}

describe('a time column spanning centuries', () => {
  it('judges exactly the days a day-by-day walk judges, gaps and stray days included', () => {
    const base = rowsOf(series(0.02, (d, v) => (d === 100 ? 2 * v : v)));
    const variants = [
      base,
      base.filter((_, d) => d < 30 || d > 90), // a two-month gap: drops, then a return from 0
      [{ day: '2020-06-01', value: 5 }, ...base.filter((_, d) => d % 3 !== 0), { day: '2027-01-01', value: 9 }], // stray days years away
      base.filter((_, d) => d % 7 === 2), // one weekday only
    ];
    const params = [PARAMS, { ...PARAMS, windowDays: 14, minHistory: 2 }, { ...PARAMS, recentDays: 40 }, { ...PARAMS, windowDays: 364, minHistory: 10 }];
    for (const [i, rows] of variants.entries()) {
      for (const p of params) {
        const walked = walkEveryDay(rows, p);
        const got = outlierDays(rows, p);
        expect({ judged: got.judged, days: got.outliers.map((o) => o.day) }, `variant ${i}, ${JSON.stringify(p)}`).toEqual(walked);
      }
    }
  });

  it('reads and writes the days of years before 1 and after 9999 as DuckDB writes them', () => {
    for (const day of ['0001-01-01', '0000-03-01', '9999-12-31', '10000-01-01', '275760-09-13', '1969-12-31']) expect(isoDay(dayNumber(day))).toBe(day);
    expect(dayNumber('-1-01-01')).toBe(dayNumber('0000-01-01') - 365); // year -1 is not a leap year (0 is)
    expect(isoDay(dayNumber('-1-01-01'))).toBe('-0001-01-01');
    expect(dayNumber('10000-01-01') - dayNumber('9999-12-31')).toBe(1);
    expect(dayNumber('not a day')).toBeNaN();
  });

  it('judges a series that runs past the year 9999', async () => {
    const rows: string[][] = [];
    series(0).forEach((n, d) => {
      const iso = isoDay(dayNumber('9999-10-01') + d);
      for (let i = 0; i < (d === 100 ? 2 * n : n); i += 1) rows.push([`${iso} 08:00:00`]);
    });
    await createTable(engine, 'far', { ts: 'TIMESTAMP' }, rows);
    const r = await runRule(engine, 'far', ['ts'], 'volume', {}, { timeColumn: 'ts', severity: 'warn', affected: true });
    expect(r.status).toBe('warn');
    expect(r.examples.map((e) => e.day)).toEqual([isoDay(dayNumber('9999-10-01') + 100)]);
    expect(r.examples[0]?.day).toBe('10000-01-09');
    expect(r.affected?.spans.map((s) => s.from)).toEqual(['10000-01-09']);
  });

  it('judges a table with stray rows on 0001-01-01 and 9999-12-31 without walking the days between', async () => {
    await engine.run(`CREATE TABLE stray AS SELECT * FROM orders`);
    await createTable(engine, 'stray_rows', { [TIME]: 'TIMESTAMP', [AMOUNT]: 'DOUBLE' }, [
      ['0001-01-01 00:00:00', 1],
      ['9999-12-31 23:59:59', 1],
    ]);
    await engine.run(`INSERT INTO stray SELECT * FROM stray_rows`);
    const r = await runRule(engine, 'stray', [TIME, AMOUNT], 'volume', {}, { timeColumn: TIME, severity: 'warn' });
    const days = r.examples.map((e) => e.day as string);
    // The doubled and the missing day are still found; the stray days show as what they are.
    expect(days).toEqual(expect.arrayContaining([day(100), day(120), '9999-12-31']));
    expect(r.message).toMatch(/^the daily row count was outside the usual band for its weekday on [\d,]+ days: /);
    // Ten years of same weekdays per day: a walk over 3.65 million days would take minutes here.
    const wide = await runRule(engine, 'stray', [TIME, AMOUNT], 'total_jump', { column: AMOUNT, windowDays: 3660 }, { timeColumn: TIME, severity: 'warn', affected: true });
    // Against ten years of empty same weekdays every day of 2025 with rows is new; the stray last day too.
    expect(wide.affected?.spans.map((x) => x.from)).toEqual([...Array.from({ length: DAYS }, (_, d) => day(d)).filter((x) => x !== day(120)), '9999-12-31']);
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
