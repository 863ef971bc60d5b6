// The runner and the registry: results in file order, every way a check can fail to run, dbt-style
// thresholds, and a test file for every rule.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check, DashboardFile, Dataset } from '../../dashboards/schema';
import type { DatasetContext } from '../panel-queries';
import { RULES, runChecks } from './index';
import { createTable, openNativeEngine, type NativeEngine } from './testing-engine';
import { judge, meets } from './thresholds';
import type { RuleOutcome } from './types';

const HERE = path.dirname(fileURLToPath(import.meta.url));

describe('the registry', () => {
  it('has the rules checks refer to, each with its own test', () => {
    expect([...RULES.keys()].sort()).toEqual(
      ['custom_sql', 'duplicate_key', 'freshness', 'near_duplicate_values', 'null_rate', 'range', 'schema', 'total_jump', 'unexpected_values', 'volume'].sort(),
    );
    const tests = readdirSync(HERE)
      .filter((f) => f.endsWith('.test.ts') && f !== 'checks.test.ts' && f !== 'scan.test.ts')
      .map((f) => readFileSync(path.join(HERE, f), 'utf8'));
    for (const rule of RULES.keys()) {
      expect(tests.some((text) => text.includes(`'${rule}'`)), `a test file runs the rule ${rule}`).toBe(true);
    }
  });
});

describe('dbt-style thresholds', () => {
  const outcome = (count: number): RuleOutcome => ({ count, observed: count, expected: '', examples: [], message: '' });

  it('parse comparisons', () => {
    expect([meets('>10', 11), meets('>10', 10), meets('>=10', 10), meets('<1', 0), meets('<=0', 0), meets('!=0', 0), meets('=3', 3), meets('== 3', 3), meets(' > 2.5 ', 3)]).toEqual([
      true, false, true, true, true, false, true, true, true,
    ]);
  });

  it('work as in dbt: error_if for severity error, warn_if otherwise, both "!=0" by default', () => {
    expect(judge(outcome(0), 'error', {})).toBe('pass');
    expect(judge(outcome(1), 'error', {})).toBe('fail');
    expect(judge(outcome(1), 'warn', {})).toBe('warn');
    expect(judge(outcome(5), 'error', { error_if: '>10' })).toBe('warn');
    expect(judge(outcome(11), 'error', { error_if: '>10' })).toBe('fail');
    expect(judge(outcome(5), 'error', { error_if: '>10', warn_if: '>5' })).toBe('pass');
    expect(judge(outcome(11), 'warn', { error_if: '>10', warn_if: '>50' })).toBe('warn');
    expect(judge({ ...outcome(0), count: null, failed: true }, 'error', {})).toBe('fail');
  });
});

describe('runChecks', () => {
  let engine: NativeEngine;
  const dataset: Dataset = { name: 'orders', kind: 'table', source: 'orders', timeColumn: 'ts', measures: [], dimensions: [], hierarchies: [] };
  const check = (id: string, rule: string, params: Record<string, unknown>, extra: Partial<Check> = {}): Check => ({
    id,
    title: `Check ${id}`,
    dataset: 'orders',
    rule,
    params,
    severity: 'error',
    guards: [],
    ...extra,
  });
  const dashboard = (checks: Check[]): DashboardFile =>
    ({ datasets: [dataset, { ...dataset, name: 'broken' }], checks }) as unknown as DashboardFile;
  const ctx: DatasetContext = { dataset, table: 'ds_orders', columns: new Set(['id', 'ts', 'amount']), period: null };
  const lookup = (name: string) => (name === 'orders' ? ctx : name === 'broken' ? { error: 'Data source "orders": cannot read /x.parquet: no such file.' } : undefined);

  beforeAll(async () => {
    engine = await openNativeEngine();
    await createTable(engine, 'ds_orders', { id: 'INTEGER', ts: 'TIMESTAMP', amount: 'DOUBLE' }, [
      [1, '2025-06-01 10:00:00', 5],
      [1, '2025-06-01 10:00:00', 5],
      [2, '2025-06-02 10:00:00', -1],
    ]);
  });
  afterAll(() => engine.close());

  it('returns one result per check, in file order, with the check\'s own fields', async () => {
    const results = await runChecks(
      engine,
      dashboard([
        check('fresh', 'freshness', { maxAgeHours: 48 }, { severity: 'warn', owner: 'data-eng@example.com' }),
        check('dups', 'duplicate_key', { key: 'id' }),
        check('neg', 'range', { column: 'amount', min: 0 }, { severity: 'warn' }),
        check('typo', 'rnage', {}),
        check('param', 'range', { column: 'amount', minimum: 0 }),
        check('gone', 'range', { column: 'amount', min: 0 }, { dataset: 'broken' }),
        check('nowhere', 'range', { column: 'amount', min: 0 }, { dataset: 'missing' }),
        check('mine', 'custom_sql', { sql: 'SELECT * FROM ds_orders WHERE amount < 0' }),
      ]),
      lookup,
      { asOf: Date.parse('2025-06-03T12:00:00Z') },
    );
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['fresh', 'pass'],
      ['dups', 'fail'],
      ['neg', 'warn'],
      ['typo', 'error'],
      ['param', 'error'],
      ['gone', 'error'],
      ['nowhere', 'error'],
      ['mine', 'error'],
    ]);
    expect(results[0]).toMatchObject({ title: 'Check fresh', rule: 'freshness', severity: 'warn', owner: 'data-eng@example.com', observed: 26 });
    expect(results[1]).toMatchObject({ owner: null, observed: 1, expected: 'no repeated id', message: '1 repeated id value (1 extra row), all on 2025-06-01' });
    expect(results[3]?.message).toMatch(/^unknown rule "rnage"; the rules are duplicate_key, /);
    expect(results[4]?.message).toBe('check "param" (range): unknown param "minimum"; param "min": give "min", "max" or both');
    expect(results[5]?.message).toBe('Data source "orders": cannot read /x.parquet: no such file.');
    expect(results[6]?.message).toBe('the dashboard has no dataset "missing"');
    expect(results[7]?.message).toContain('trust');
  });

  it('runs custom_sql for a trusted file', async () => {
    const [result] = await runChecks(engine, dashboard([check('mine', 'custom_sql', { sql: 'SELECT * FROM ds_orders WHERE amount < 0' })]), lookup, { trusted: true });
    expect(result).toMatchObject({ status: 'fail', observed: 1 });
  });
});
