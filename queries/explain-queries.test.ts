import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../dashboards/schema';
import { createTable, openNativeEngine, type NativeEngine } from './checks/testing-engine';
import { explainDimension, explainQuery, measurePlan, type DimensionExplanation, type ExplainSpec } from './explain-queries';
import type { DatasetContext } from './panel-queries';
import { SqlBuildError } from './sql';

// Hostile names on purpose: a quote, a space and a keyword as column names; quotes, a comment
// marker and unicode in the members.
const dataset: Dataset = {
  name: 'sales',
  kind: 'table',
  source: 'src',
  timeColumn: 'order ts',
  measures: [
    { name: 'revenue', agg: 'sum', column: 'the "amount"', format: 'currency' },
    { name: 'rows', agg: 'count', format: 'integer' },
    { name: 'orders', agg: 'count_distinct', column: 'order"id', format: 'integer' },
    { name: 'customers', agg: 'count_distinct', column: 'cust', format: 'integer' },
    { name: 'aov', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
    { name: 'per_customer', agg: 'ratio', numerator: 'revenue', denominator: 'customers', format: 'currency' },
    { name: 'per_row', agg: 'ratio', numerator: 'revenue', denominator: 'rows', format: 'currency' },
    { name: 'avg_amount', agg: 'avg', column: 'the "amount"', format: 'currency' },
    { name: 'biggest', agg: 'max', column: 'the "amount"', format: 'currency' },
  ],
  dimensions: [
    { name: 'region', column: 'select' },
    { name: 'channel', column: 'sales channel' },
  ],
  hierarchies: [],
};

const OBRIEN = "O'Brien's -- land";
const ZURICH = 'Zürich ✓';
const DAY = 86_400_000;
const JAN1 = Date.UTC(2025, 0, 1);
// Previous = Jan 1–2, current = Jan 3–4.
const spec: ExplainSpec = { previous: { start: JAN1, end: JAN1 + 2 * DAY }, current: { start: JAN1 + 2 * DAY, end: JAN1 + 4 * DAY }, members: [] };

let engine: NativeEngine;
let ctx: DatasetContext;

beforeAll(async () => {
  engine = await openNativeEngine();
  await createTable(
    engine,
    'sales "t"',
    { 'order ts': 'TIMESTAMP', select: 'VARCHAR', 'sales channel': 'VARCHAR', 'order"id': 'INTEGER', cust: 'VARCHAR', 'the "amount"': 'DOUBLE' },
    [
      // previous: revenue 200, 4 orders, customers A B C
      ['2025-01-01 10:00:00', 'EMEA', 'web', 1, 'A', 100],
      ['2025-01-01 11:00:00', 'EMEA', 'partner', 2, 'B', 50],
      ['2025-01-02 09:00:00', 'APAC', 'web', 3, 'A', 30],
      ['2025-01-02 10:00:00', OBRIEN, 'web', 4, 'C', 20],
      // current: revenue 165, 5 orders, customers A D E
      ['2025-01-03 10:00:00', 'EMEA', 'web', 5, 'A', 60],
      ['2025-01-03 11:00:00', 'APAC', 'web', 6, 'A', 50],
      ['2025-01-04 09:00:00', 'APAC', 'partner', 7, 'D', 40],
      ['2025-01-04 10:00:00', ZURICH, 'partner', 8, 'E', 10],
      ['2025-01-04 23:00:00', null, 'web', 9, 'A', 5],
      // outside both periods
      ['2024-12-31 23:00:00', 'EMEA', 'web', 10, 'Z', 1000],
    ],
  );
  ctx = { dataset, table: 'sales "t"', columns: new Set(['order ts', 'select', 'sales channel', 'order"id', 'cust', 'the "amount"']), period: null };
});

afterAll(() => engine.close());

const explain = (measure: string, dimension: string, topN = 8, s: ExplainSpec = spec) => explainDimension(engine, ctx, measurePlan(dataset, measure), s, dimension, topN);
const member = (e: DimensionExplanation, name: string | null) => e.members.find((m) => !m.other && m.member === name);
const sumOf = (e: DimensionExplanation) => e.members.reduce((s, m) => s + (m.contribution ?? 0), 0);

describe('measurePlan', () => {
  it('picks the method from the measure', () => {
    expect(measurePlan(dataset, 'revenue').method).toBe('difference');
    expect(measurePlan(dataset, 'rows').method).toBe('difference');
    expect(measurePlan(dataset, 'avg_amount').method).toBe('mix_rate');
    expect(measurePlan(dataset, 'per_row').method).toBe('mix_rate');
    expect(measurePlan(dataset, 'customers').method).toBe('leave_one_out');
    expect(measurePlan(dataset, 'aov').method).toBe('leave_one_out');
  });

  it('refuses min and max, and unknown measures, with the reason', () => {
    expect(() => measurePlan(dataset, 'biggest')).toThrow(/is a max: its change comes from one row/);
    expect(() => measurePlan(dataset, 'nope')).toThrow(SqlBuildError);
  });
});

describe('explainDimension', () => {
  it('splits a sum by member, with new, vanished and NULL members, hostile names included', async () => {
    const e = await explain('revenue', 'region');
    expect(e.total).toEqual({ current: 165, previous: 200, change: -35 });
    expect(e.members.map((m) => [m.member, m.contribution, m.status])).toEqual([
      ['EMEA', -90, 'both'],
      ['APAC', 60, 'both'],
      [OBRIEN, -20, 'gone'],
      [ZURICH, 10, 'new'],
      [null, 5, 'new'],
    ]);
    expect(member(e, 'EMEA')).toMatchObject({ current: 60, previous: 150 });
    expect(e.concentration).toBe(90);
    expect(e.unexplained).toBeCloseTo(0, 12);
  });

  it('puts members beyond the top N in "Other", and the contributions still add up to the change', async () => {
    const e = await explain('revenue', 'region', 1);
    expect(e.members).toHaveLength(2);
    expect(e.members[0]).toMatchObject({ member: 'EMEA', contribution: -90 });
    expect(e.members[1]).toMatchObject({ other: true, members: 4, contribution: 55, current: 105, previous: 50 });
    expect(e.memberCount).toBe(5);
    expect(sumOf(e)).toBeCloseTo(-35, 12);
  });

  it('respects the filters both periods share', async () => {
    const e = await explain('revenue', 'region', 8, { ...spec, members: [{ dimension: 'channel', values: ['web'] }] });
    // web: previous 100 + 30 + 20 = 150, current 60 + 50 + 5 = 115
    expect(e.total).toEqual({ current: 115, previous: 150, change: -35 });
    expect(member(e, 'EMEA')?.contribution).toBe(-40);
    expect(member(e, 'APAC')?.contribution).toBe(20);
  });

  it('counts a row in both periods when they overlap (a previous year of a period longer than a year)', async () => {
    // Days: Jan 1 = 150, Jan 2 = 50, Jan 3 = 110, Jan 4 = 55. Current Jan 1–3, previous Jan 2–4.
    const overlapping = { ...spec, current: { start: JAN1, end: JAN1 + 3 * DAY }, previous: { start: JAN1 + DAY, end: JAN1 + 4 * DAY } };
    const e = await explain('revenue', 'channel', 8, overlapping);
    expect(e.total).toEqual({ current: 310, previous: 215, change: 95 });
    expect(sumOf(e)).toBe(95);
  });

  it('decomposes an average into rate and mix effects that add up to its change', async () => {
    const e = await explain('avg_amount', 'region');
    expect(e.method).toBe('mix_rate');
    expect(e.total.previous).toBe(50);
    expect(e.total.current).toBe(33);
    // EMEA: weight 2/4 → 1/5, average 75 → 60; rate = 0.35 × −15, mix = −0.3 × (67.5 − 41.5).
    const emea = member(e, 'EMEA');
    expect(emea?.rate).toBeCloseTo(-5.25, 10);
    expect(emea?.mix).toBeCloseTo(-7.8, 10);
    expect(emea?.contribution).toBeCloseTo(-13.05, 10);
    expect(sumOf(e)).toBeCloseTo(-17, 10);
    expect(e.unexplained).toBeCloseTo(0, 10);
    // A ratio of a sum and a count is the same decomposition.
    const perRow = await explain('per_row', 'channel');
    expect(sumOf(perRow)).toBeCloseTo(-17, 10);
  });

  it('explains a distinct count by leaving each member out', async () => {
    const e = await explain('customers', 'region');
    expect(e.total).toEqual({ current: 3, previous: 3, change: 0 });
    // Without EMEA, previous loses B (A also bought in APAC): 2 → 3, so EMEA explains −1.
    expect(member(e, 'EMEA')?.contribution).toBe(-1);
    // Without APAC: previous keeps A (EMEA), current loses D: 3 → 2, so APAC explains +1.
    expect(member(e, 'APAC')?.contribution).toBe(1);
    expect(member(e, OBRIEN)?.contribution).toBe(-1);
    expect(member(e, ZURICH)?.contribution).toBe(1);
    // NULL region only has A, who is elsewhere too: no effect.
    expect(member(e, null)?.contribution).toBe(0);
  });

  it('explains a ratio over a shared distinct count by leaving each member out', async () => {
    const e = await explain('per_customer', 'region');
    expect(e.method).toBe('leave_one_out');
    expect(e.exclusiveDistinct).toBe(false);
    expect(e.total.previous).toBeCloseTo(200 / 3, 10);
    expect(e.total.current).toBe(55);
    // Without EMEA: previous 50 / 2 customers (B only bought there) = 25, current 105 / 3 = 35.
    expect(member(e, 'EMEA')?.contribution).toBeCloseTo(55 - 200 / 3 - 10, 10);
  });

  it('splits a distinct count like a sum over a dimension where no value is in two members', async () => {
    // Every order has one region: orders by region add up, and AOV splits into rate and mix exactly.
    const orders = await explain('orders', 'region');
    expect(orders).toMatchObject({ method: 'difference', exclusiveDistinct: true, total: { current: 5, previous: 4, change: 1 } });
    expect(member(orders, 'APAC')?.contribution).toBe(1);
    expect(member(orders, OBRIEN)?.contribution).toBe(-1);
    expect(sumOf(orders)).toBe(1);
    const aov = await explain('aov', 'region');
    expect(aov.method).toBe('mix_rate');
    expect(sumOf(aov)).toBeCloseTo(33 - 50, 10);
    // Customers are shared between regions: still left out one by one.
    expect((await explain('customers', 'region')).method).toBe('leave_one_out');
  });

  it('computes "Other" of a leave-one-out as the rest left out together', async () => {
    const e = await explain('customers', 'region', 1);
    const other = e.members.find((m) => m.other);
    // Top member by |contribution| with ties broken by name: APAC (+1). The rest together had
    // previous {A, B, C} and current {A, E}; without them: previous {A}, current {A, D}.
    expect(e.members[0]?.member).toBe('APAC');
    expect(other).toMatchObject({ members: 4, current: 2, previous: 3 });
    expect(other?.contribution).toBe(0 - (2 - 1));
  });

  it('adds up to the change on random data for every additive method', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const rows = Array.from({ length: 400 }, (_, i) => [
      new Date(JAN1 + Math.floor(rand() * 4 * DAY)).toISOString().replace('T', ' ').slice(0, 19),
      rand() < 0.05 ? null : `r${Math.floor(rand() * 12)}`,
      `c${Math.floor(rand() * 3)}`,
      i,
      `u${Math.floor(rand() * 50)}`,
      Math.round(rand() * 10_000) / 100,
    ]);
    await createTable(engine, 'random', { 'order ts': 'TIMESTAMP', select: 'VARCHAR', 'sales channel': 'VARCHAR', 'order"id': 'INTEGER', cust: 'VARCHAR', 'the "amount"': 'DOUBLE' }, rows);
    const random = { ...ctx, table: 'random' };
    for (const measure of ['revenue', 'rows', 'avg_amount', 'per_row']) {
      for (const topN of [3, 8, 50]) {
        const e = await explainDimension(engine, random, measurePlan(dataset, measure), spec, 'region', topN);
        expect(Math.abs(sumOf(e) - (e.total.change ?? NaN)), `${measure} top ${topN}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(e.total.previous ?? 1)));
      }
    }
  });

  it('refuses unknown dimensions and bad top N', async () => {
    await expect(explain('revenue', 'nope')).rejects.toThrow(/has no dimension "nope"/);
    await expect(explain('revenue', 'region', 0)).rejects.toThrow(/top N must be a whole number/);
  });

  it('quotes every name and value', () => {
    const sql = explainQuery(ctx, measurePlan(dataset, 'customers'), { ...spec, members: [{ dimension: 'channel', values: ["it's -- x"] }] }, 'region', [OBRIEN, null]).text;
    expect(sql).toContain('"select"');
    expect(sql).toContain('"sales channel"');
    expect(sql).toContain("'it''s -- x'");
    expect(sql).toContain("'O''Brien''s -- land'");
  });
});
