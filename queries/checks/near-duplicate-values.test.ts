import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './testing-engine';

const COL = 'camp"aign name';

let engine: NativeEngine;
const repeat = (value: string | null, n: number) => Array.from({ length: n }, () => [value]);

beforeAll(async () => {
  engine = await openNativeEngine();
  const common = [...repeat('Black Friday', 400), ...repeat('Cyber Monday', 300), ...repeat('US', 300), ...repeat('Spring Sale', 200), ...repeat('Summer Sale', 200), ...repeat(null, 5)];
  await createTable(engine, 'clean', { [COL]: 'VARCHAR' }, [...common, ...repeat('Referral', 3)]);
  await createTable(engine, 'misspelt', { [COL]: 'VARCHAR' }, [
    ...common,
    ...repeat('Blak Friday', 8),
    ...repeat('black friday', 6),
    ...repeat('Black  Friday', 4),
    ...repeat('Black Friday ', 3),
    ...repeat('Cyber-Monday!', 2),
    // Short codes a letter apart are different things, not typos.
    ...repeat('UK', 2),
  ]);
});
afterAll(() => engine.close());

describe('near_duplicate_values', () => {
  it('finds case, spacing, punctuation and typo variants of a much more frequent value', async () => {
    const r = await runRule(engine, 'misspelt', [COL], 'near_duplicate_values', { column: COL }, { severity: 'warn' });
    expect(r.status).toBe('warn');
    expect(r.observed).toBe(5);
    expect(r.message).toContain('`Blak Friday` (8 rows) looks like `Black Friday` (400 rows)');
    expect(r.examples.map((e) => [e.value, e.looks_like, e.how])).toEqual([
      ['Blak Friday', 'Black Friday', '1 edit'],
      ['black friday', 'Black Friday', 'case, spacing or punctuation'],
      ['Black  Friday', 'Black Friday', 'case, spacing or punctuation'],
      ['Black Friday ', 'Black Friday', 'case, spacing or punctuation'],
      ['Cyber-Monday!', 'Cyber Monday', 'case, spacing or punctuation'],
    ]);
  });

  it('passes on distinct values, however close their spelling, when neither is rare', async () => {
    const r = await runRule(engine, 'clean', [COL], 'near_duplicate_values', { column: COL });
    expect(r.status).toBe('pass');
    expect(r.message).toBe(`no ${COL} value looks like a misspelling of a more frequent one`);
  });

  it('needs the look-alike to be minRatio times more frequent', async () => {
    const r = await runRule(engine, 'misspelt', [COL], 'near_duplicate_values', { column: COL, minRatio: 100 });
    expect(r.examples.map((e) => e.value)).toEqual(['Black  Friday', 'Black Friday ', 'Cyber-Monday!']);
    const strict = await runRule(engine, 'misspelt', [COL], 'near_duplicate_values', { column: COL, maxDistance: 0, minSimilarity: 1 });
    expect(strict.examples.map((e) => e.value)).not.toContain('Blak Friday');
  });

  it('validates its params', async () => {
    const r = await runRule(engine, 'clean', [COL], 'near_duplicate_values', { column: COL, maxDistance: 9 });
    expect(r.status).toBe('error');
    expect(r.message).toMatch(/^check "c1" \(near_duplicate_values\): param "maxDistance": /);
  });
});
