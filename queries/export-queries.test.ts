import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
// Fixtures go through the schema, so defaults of fields added later fill in.
import { Dataset, TablePanel } from '../dashboards/schema';
import { tableExportQuery } from './export-queries';
import { resolvePeriod, tableQuery, type DatasetContext, type PanelRefinement } from './panel-queries';
import { SqlBuildError } from './sql';

// Hostile on purpose: quotes, a space and a keyword in table and column names.
const dataset = Dataset.parse({
  name: 'sales',
  kind: 'table',
  source: 'src',
  timeColumn: 'order ts',
  measures: [],
  dimensions: [{ name: 'region', column: 'region "name"' }],
});

const panel = TablePanel.parse({
  id: 'recent',
  kind: 'table',
  title: 'Recent',
  dataset: 'sales',
  followFilters: true,
  columns: ['order ts', 'select', 'region "name"'],
  orderBy: { column: 'order ts', direction: 'desc' },
  limit: 2,
});

const DAY = 86_400_000;
let conn: DuckDBConnection;
let ctx: DatasetContext;

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`CREATE TABLE "t ""x"";--" ("order ts" TIMESTAMP, "select" BIGINT, "region ""name""" VARCHAR)`);
  // Five rows in the period (Jan 3–4), one before it.
  await conn.run(`INSERT INTO "t ""x"";--" VALUES
    ('2025-01-03 09:00', 1, 'EMEA'), ('2025-01-03 10:00', 2, 'O''Brien''s "land"'), ('2025-01-03 11:00', 3, NULL),
    ('2025-01-04 08:00', 4, 'APAC'), ('2025-01-04 23:59:59', 5, 'EMEA'), ('2025-01-02 23:00', 9, 'EMEA')`);
  ctx = {
    dataset,
    table: 't "x";--',
    columns: new Set(['order ts', 'select', 'region "name"']),
    period: resolvePeriod({ lastDays: 2, anchor: 'data' }, Date.UTC(2025, 0, 4, 23, 59, 59), 0),
  };
});

async function ids(sql: { text: string }): Promise<number[]> {
  const reader = await conn.runAndReadAll(sql.text);
  return reader.getRowObjectsJS().map((r) => Number(r.select));
}

const refinements: [string, PanelRefinement | undefined][] = [
  ['no refinement', undefined],
  ['members with a quote and NULL', { members: [{ dimension: 'region', values: ["O'Brien's \"land\"", null] }] }],
  ['a drilled-into window', { window: { start: Date.UTC(2025, 0, 4), end: Date.UTC(2025, 0, 5) } }],
  ['no members at all', { members: [{ dimension: 'region', values: [] }] }],
];

describe('tableExportQuery', () => {
  it.each(refinements)('is tableQuery without its LIMIT (%s)', (_name, refine) => {
    const shown = tableQuery(panel, ctx, refine).text;
    const exported = tableExportQuery(panel, ctx, refine).text;
    expect(exported).not.toMatch(/LIMIT/);
    expect(`${exported} LIMIT ${panel.limit}`).toBe(shown);
  });

  it('matches tableQuery without a period, order or time column too', () => {
    const bare: DatasetContext = { ...ctx, period: null, dataset: { ...dataset, timeColumn: undefined } };
    const unordered: TablePanel = { ...panel, orderBy: undefined };
    expect(`${tableExportQuery(unordered, bare).text} LIMIT ${panel.limit}`).toBe(tableQuery(unordered, bare).text);
  });

  it('returns every row of the period, in the panel order, where the panel shows `limit`', async () => {
    expect(await ids(tableQuery(panel, ctx))).toEqual([5, 4]);
    expect(await ids(tableExportQuery(panel, ctx))).toEqual([5, 4, 3, 2, 1]);
    expect(await ids(tableExportQuery(panel, ctx, { members: [{ dimension: 'region', values: ["O'Brien's \"land\"", null] }] }))).toEqual([3, 2]);
    expect(await ids(tableExportQuery(panel, ctx, { window: { start: Date.UTC(2025, 0, 2), end: Date.UTC(2025, 0, 3) + DAY } }))).toEqual([3, 2, 1, 9]);
  });

  it('quotes hostile names and checks them against the real columns', () => {
    const text = tableExportQuery(panel, ctx).text;
    expect(text).toContain('FROM "t ""x"";--"');
    expect(text).toContain('"region ""name"""');
    expect(() => tableExportQuery({ ...panel, columns: ['select', 'x"; DROP TABLE t; --'] }, ctx)).toThrow(SqlBuildError);
    expect(() => tableExportQuery({ ...panel, orderBy: { column: 'nope', direction: 'asc' } }, ctx)).toThrow(/no column "nope"/);
    expect(() => tableExportQuery(panel, ctx, { members: [{ dimension: 'nope', values: ['a'] }] })).toThrow(/no dimension "nope"/);
    expect(() => tableExportQuery(panel, ctx, { window: { start: 5, end: 5 } })).toThrow(/empty time window/);
  });
});
