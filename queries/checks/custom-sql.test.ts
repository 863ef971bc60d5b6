import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectAll } from '../sql';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  await createTable(engine, 'ds_orders', { id: 'INTEGER', amount: 'DOUBLE', refund: 'DOUBLE' }, [
    [1, 10, 0],
    [2, 20, 25],
    [3, 30, 40],
    [4, 5, 0],
  ]);
});
afterAll(() => engine.close());

const REFUNDS_OVER_AMOUNT = 'SELECT id, amount, refund FROM ds_orders WHERE refund > amount ORDER BY id;';

describe('custom_sql', () => {
  it('fails with the rows the query returns', async () => {
    const r = await runRule(engine, 'ds_orders', [], 'custom_sql', { sql: REFUNDS_OVER_AMOUNT }, { trusted: true });
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(2);
    expect(r.examples).toEqual([
      { id: 2, amount: 20, refund: 25 },
      { id: 3, amount: 30, refund: 40 },
    ]);
    expect(r.message).toBe('the query returned 2 failing rows');
  });

  it('passes when the query returns nothing', async () => {
    const r = await runRule(engine, 'ds_orders', [], 'custom_sql', { sql: 'SELECT * FROM ds_orders WHERE amount < 0' }, { trusted: true });
    expect(r.status).toBe('pass');
  });

  it('runs only for a trusted file, and only one statement', async () => {
    const untrusted = await runRule(engine, 'ds_orders', [], 'custom_sql', { sql: REFUNDS_OVER_AMOUNT });
    expect(untrusted.status).toBe('error');
    expect(untrusted.message).toContain('runs only once you trust the file');
    const two = await runRule(engine, 'ds_orders', [], 'custom_sql', { sql: 'SELECT 1; DROP TABLE ds_orders' }, { trusted: true });
    expect(two.status).toBe('error');
    expect(two.message).toContain('must be a single query');
    expect((await engine.query(selectAll('ds_orders'))).rows).toHaveLength(4);
  });

  it('applies thresholds to the number of rows', async () => {
    const r = await runRule(engine, 'ds_orders', [], 'custom_sql', { sql: REFUNDS_OVER_AMOUNT, error_if: '>5' }, { trusted: true });
    expect(r.status).toBe('warn');
    const sqlError = await runRule(engine, 'ds_orders', [], 'custom_sql', { sql: 'SELECT nope FROM ds_orders' }, { trusted: true });
    expect(sqlError.status).toBe('error');
    expect(sqlError.message).toMatch(/^check "c1": .*nope/);
  });
});
