import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  await createTable(engine, 'events', { 'loaded "at"': 'TIMESTAMP', day: 'DATE' }, [
    ['2025-12-30 08:00:00', '2025-12-30'],
    ['2025-12-31 23:00:00', '2025-12-31'],
  ]);
  await createTable(engine, 'empty', { 'loaded "at"': 'TIMESTAMP', day: 'DATE' }, []);
});
afterAll(() => engine.close());

const COLUMNS = ['loaded "at"', 'day'];
const AS_OF = Date.parse('2026-01-01T12:00:00Z');

describe('freshness', () => {
  it('passes when the newest row is recent enough, relative to the as-of time', async () => {
    const r = await runRule(engine, 'events', COLUMNS, 'freshness', { maxAgeHours: 24 }, { timeColumn: 'loaded "at"', now: AS_OF });
    expect(r.status).toBe('pass');
    expect(r.observed).toBe(13);
    expect(r.message).toBe('the newest row (2025-12-31T23:00:00.000Z) is 13 h old at 2026-01-01T12:00:00.000Z');
  });

  it('fails when it is older than allowed', async () => {
    const r = await runRule(engine, 'events', COLUMNS, 'freshness', { maxAgeHours: 12 }, { timeColumn: 'loaded "at"', now: AS_OF });
    expect(r.status).toBe('fail');
    expect(r.message).toContain(': more than 12 h');
    expect(r.examples).toEqual([{ newest: '2025-12-31T23:00:00.000Z', as_of: '2026-01-01T12:00:00.000Z', age_hours: 13 }]);
  });

  it('reads DATE columns, and fails on data without timestamps', async () => {
    const byDay = await runRule(engine, 'events', COLUMNS, 'freshness', { maxAgeHours: 72, timeColumn: 'day' }, { now: AS_OF });
    expect(byDay.observed).toBe(36);
    const empty = await runRule(engine, 'empty', COLUMNS, 'freshness', { maxAgeHours: 72 }, { timeColumn: 'day', now: AS_OF, severity: 'warn' });
    expect(empty.status).toBe('warn');
    expect(empty.message).toBe('the data has no timestamps: nothing is fresh');
  });

  it('needs a positive age', async () => {
    expect((await runRule(engine, 'events', COLUMNS, 'freshness', { maxAgeHours: 0 }, { timeColumn: 'day' })).status).toBe('error');
  });
});
