import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalType } from './column-schema';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

const WEIRD = 'weird "name"; --';

let engine: NativeEngine;
beforeAll(async () => {
  engine = await openNativeEngine();
  await createTable(engine, 't', { id: 'BIGINT', [WEIRD]: 'VARCHAR', ts: 'TIMESTAMP', price: 'DECIMAL(10,2)' }, []);
});
afterAll(() => engine.close());

const COLUMNS = ['id', WEIRD, 'ts', 'price'];

describe('schema', () => {
  it('passes when every expected column is there with its type (aliases resolved)', async () => {
    const r = await runRule(engine, 't', COLUMNS, 'schema', {
      columns: [{ name: 'id', type: 'int8' }, { name: WEIRD, type: 'text' }, { name: 'ts', type: 'datetime' }, { name: 'price', type: 'decimal(10, 2)' }],
    });
    expect(r.status).toBe('pass');
  });

  it('reports a missing column and a changed type', async () => {
    const r = await runRule(engine, 't', COLUMNS, 'schema', { columns: [{ name: 'id', type: 'INTEGER' }, { name: 'amount' }, { name: WEIRD }] });
    expect(r.status).toBe('fail');
    expect(r.observed).toBe(2);
    expect(r.examples).toEqual([
      { column: 'id', problem: 'type changed', expected_type: 'INTEGER', actual_type: 'BIGINT' },
      { column: 'amount', problem: 'missing', expected_type: null, actual_type: null },
    ]);
    expect(r.message).toBe('id is BIGINT, not INTEGER; amount is missing');
  });

  it('spells types canonically', () => {
    expect(canonicalType(' varchar(20) ')).toBe('VARCHAR');
    expect(canonicalType('timestamptz')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(canonicalType('Decimal( 18 , 3 )')).toBe('DECIMAL(18,3)');
    expect(canonicalType('numeric(18,3)')).toBe('DECIMAL(18,3)');
  });

  it('needs at least one column', async () => {
    expect((await runRule(engine, 't', COLUMNS, 'schema', { columns: [] })).status).toBe('error');
  });
});
