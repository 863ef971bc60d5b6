// The scan on the demo data must find every planted problem (cli/demo-data.ts PLANTED), and on the
// clean variant of the same data nothing of severity error: weekly seasonality and growth are normal.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrdersParquet, PLANTED } from '../../cli/demo-data';
import { str } from '../sql';
import { ScanCancelled, scanCheckParams, scanDataset, type ScanResult } from './scan';
import { createTable, openNativeEngine, type NativeEngine } from './testing-engine';

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboards/examples/data/orders.parquet');
const AS_OF = Date.parse('2026-01-01T06:00:00Z');

let engine: NativeEngine;
let tmp = '';
beforeAll(async () => {
  engine = await openNativeEngine();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-scan-'));
});
afterAll(() => {
  engine.close();
  rmSync(tmp, { recursive: true, force: true });
});

const only = (result: ScanResult, rule: string, column: string) => {
  const found = result.findings.filter((f) => f.rule === rule && f.column === column);
  expect(found, `one ${rule} finding on ${column}`).toHaveLength(1);
  return found[0] as ScanResult['findings'][number];
};

describe('scan of the demo data', { timeout: 60_000 }, () => {
  let result: ScanResult;
  beforeAll(async () => {
    await engine.run(`CREATE TABLE demo AS SELECT * FROM read_parquet(${str(DEMO).text})`);
    result = await scanDataset(engine, 'demo', { asOf: AS_OF });
  });

  it('infers the time column and the key, and says so', () => {
    expect(result.inferred).toEqual({ time: 'order_ts', key: 'order_id' });
    expect(result.notes).toContain('time column: order_ts (inferred: the only TIMESTAMP column)');
    expect(result.notes.some((n) => n.startsWith('key: order_id (inferred: named like an id'))).toBe(true);
  });

  it('finds the day loaded twice', () => {
    const f = only(result, 'duplicate_key', 'order_id');
    expect(f.severity).toBe('error');
    expect(f.detail).toMatch(new RegExp(`^\\d[\\d,]* repeated order_id values \\(.* extra rows\\), all on ${PLANTED.duplicatedDay}$`));
    for (const e of f.examples) expect(e.days).toEqual([PLANTED.duplicatedDay]);
  });

  it('finds every misspelling of Black Friday', () => {
    const f = only(result, 'near_duplicate_values', 'campaign');
    expect(f.severity).toBe('warn');
    expect(f.examples.map((e) => [e.value, e.rows, e.looks_like])).toEqual(PLANTED.misspellings.map((m) => [m.value, m.count, PLANTED.misspelledCampaign]));
    expect(f.detail).toContain('`Blak Friday` (20 rows) looks like `Black Friday` (');
  });

  it('finds the spike of NULL amounts on its day', () => {
    const f = only(result, 'null_rate', 'amount');
    expect(f.severity).toBe('error');
    expect(f.examples).toHaveLength(1);
    expect(f.examples[0]).toMatchObject({ day: PLANTED.nullSpikeDay, baseline: 0 });
    expect(f.examples[0]?.null_share as number).toBeCloseTo(PLANTED.nullSpikeFraction, 2);
  });

  it('finds the negative amounts', () => {
    const f = only(result, 'range', 'amount');
    expect(f.detail).toMatch(new RegExp(`^${PLANTED.negativeAmountCount} rows with amount not ≥ 0 `));
    for (const e of f.examples) expect(e.value as number).toBeLessThan(0);
  });

  it('reports nothing else of severity error, and the doubled day as a volume jump', () => {
    expect(result.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toEqual(['duplicate_key', 'null_rate']);
    expect(only(result, 'volume', 'order_ts').examples.map((e) => e.day)).toContain(PLANTED.duplicatedDay);
    expect(result.findings.some((f) => f.rule === 'freshness')).toBe(false);
  });
});

describe('scan of the clean variant', { timeout: 120_000 }, () => {
  it('raises no error: weekly seasonality and growth do not alarm', async () => {
    const out = path.join(tmp, 'clean.parquet');
    await generateOrdersParquet({ rows: 100_000, clean: true, out });
    await engine.run(`CREATE TABLE clean AS SELECT * FROM read_parquet(${str(out).text})`);
    const result = await scanDataset(engine, 'clean', { asOf: AS_OF });
    expect(result.inferred).toEqual({ time: 'order_ts', key: 'order_id' });
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // What remains are the generator's calendar events (Black Friday, Christmas...), as warnings on daily totals.
    expect([...new Set(result.findings.map((f) => f.rule))].sort()).toEqual(['total_jump', 'volume']);
  });
});

describe('scan of a small table with hostile names', () => {
  const KEY = 'ticket "id"';
  const TIME = 'opened_at';
  const COST = 'cost; --';
  beforeAll(async () => {
    const rows: (string | number | null)[][] = [];
    for (let i = 0; i < 2000; i += 1) {
      const day = `2025-02-${String(1 + (i % 28)).padStart(2, '0')} 09:00:00`;
      rows.push([i, day, i === 7 ? -5 : 10 + (i % 7), i % 3 === 0 ? 'open' : 'closed']);
    }
    await createTable(engine, 'tickets', { [KEY]: 'BIGINT', [TIME]: 'TIMESTAMP', [COST]: 'DOUBLE', 'sta"tus': 'VARCHAR' }, rows);
  });

  it('infers the key and time column by type, name and distinct values', async () => {
    const result = await scanDataset(engine, 'tickets');
    expect(result.inferred).toEqual({ time: TIME, key: KEY });
    expect(result.findings.map((f) => [f.rule, f.column, f.severity])).toEqual([['range', COST, 'warn']]);
    expect(result.notes).toContain('freshness not judged: give --as-of to judge how old the newest row is');
  });

  it('takes the time and key it is given, and names a missing one', async () => {
    const result = await scanDataset(engine, 'tickets', { key: 'sta"tus', time: TIME });
    expect(result.inferred).toEqual({ time: TIME, key: 'sta"tus' });
    expect(result.findings[0]).toMatchObject({ rule: 'duplicate_key', column: 'sta"tus', severity: 'error' });
    await expect(scanDataset(engine, 'tickets', { time: 'created' })).rejects.toThrow('--time: the data has no column "created"');
  });

  it('reports each step before it runs, and stops between two queries when cancelled', async () => {
    const steps: string[] = [];
    await scanDataset(engine, 'tickets', { onStep: (step, done) => steps.push(`${done} ${step}`) });
    expect(steps[0]).toBe('0 profiling the columns');
    expect(steps).toContain(`1 duplicate_key on ${KEY}`);
    expect(steps).toContain(`${steps.length - 1} total_jump on ${COST}`);
    const controller = new AbortController();
    const seen: string[] = [];
    const scan = scanDataset(engine, 'tickets', {
      signal: controller.signal,
      onStep: (step) => {
        seen.push(step);
        if (step.startsWith('duplicate_key')) controller.abort();
      },
    });
    await expect(scan).rejects.toBeInstanceOf(ScanCancelled);
    expect(seen).toEqual(['profiling the columns', `duplicate_key on ${KEY}`]);
  });

  it('gives the params a check of each finding runs with: the scan\'s own', () => {
    expect(scanCheckParams('duplicate_key', 'id')).toEqual({ key: 'id' });
    expect(scanCheckParams('range', 'amount')).toEqual({ column: 'amount', min: 0 });
    expect(scanCheckParams('unexpected_values', 'c')).toEqual({ column: 'c', referenceDays: 90, recentDays: 7 });
    expect(scanCheckParams('volume', 'ts')).toEqual({});
    expect(scanCheckParams('null_rate', null)).toBeNull();
    expect(scanCheckParams('custom_sql', 'x')).toBeNull();
  });

  it('skips the time-based rules without a time column, and says so', async () => {
    await createTable(engine, 'no_time', { id: 'INTEGER', n: 'INTEGER' }, [
      [1, 1],
      [2, 2],
    ]);
    const result = await scanDataset(engine, 'no_time');
    expect(result.inferred).toEqual({ time: null, key: 'id' });
    expect(result.notes).toContain('no time column: null_rate, volume, total_jump, unexpected_values and freshness were not run (give one with --time)');
  });
});

describe('scan of a time column spanning centuries', () => {
  it('judges the days with data, not every day from 0001-01-01 to 9999-12-31', async () => {
    const rows: (string | number)[][] = [];
    for (let i = 0; i < 3000; i += 1) rows.push([i, `2025-03-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00`, 5 + (i % 4), 1 + (i % 3), 2 + (i % 5)]);
    rows.push([-1, '0001-01-01 00:00:00', 5, 1, 2], [-2, '9999-12-31 00:00:00', 5, 1, 2]);
    await createTable(engine, 'centuries', { id: 'BIGINT', at: 'TIMESTAMP', a: 'DOUBLE', b: 'DOUBLE', c: 'DOUBLE' }, rows);
    const result = await scanDataset(engine, 'centuries');
    expect(result.inferred).toEqual({ time: 'at', key: 'id' });
    expect(result.notes).toContain(
      'time column: at spans 0001-01-01 … 9999-12-31, more than a century: placeholder or broken dates there make the days next to real data read as jumps from nothing',
    );
    // A date past the years a timestamp holds (a broken file) leaves the scan running, the span unknown.
    await engine.run(`CREATE TABLE far_dates AS SELECT * REPLACE (CAST("at" AS DATE) AS "at") FROM centuries UNION ALL SELECT -3, DATE '5000000-01-01', 1, 1, 1`);
    const far = await scanDataset(engine, 'far_dates');
    expect(far.inferred.time).toBe('at');
    expect(far.notes.some((n) => n.startsWith('time column: at (inferred'))).toBe(true);
    // Each daily rule sees the stray last day as a jump from nothing.
    for (const rule of ['volume', 'total_jump']) {
      for (const f of result.findings.filter((x) => x.rule === rule)) expect(f.examples.map((e) => e.day)).toContain('9999-12-31');
    }
    expect(result.findings.filter((f) => f.rule === 'total_jump').map((f) => f.column)).toEqual(['a', 'b', 'c']);
  });
});
