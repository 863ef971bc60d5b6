import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard } from '../dashboards/document';
import type { DashboardFile, Dataset } from '../dashboards/schema';
import { projectedColumns, projectionInputs } from './projection';
import { createSourceView, createTableAs, ident, selectColumns, Sql } from './sql';

const EXAMPLES = path.join(__dirname, '..', 'dashboards', 'examples');
const PARQUET = path.join(EXAMPLES, 'data', 'orders.parquet');
const FILE_COLUMNS = ['order_id', 'order_ts', 'customer_id', 'region', 'country', 'city', 'channel', 'campaign', 'category', 'amount', 'quantity'];

const demo = (): DashboardFile => {
  const loaded = loadDashboard(readFileSync(path.join(EXAMPLES, 'customer-kpis.dashboard.json'), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.dashboard;
};

/** The demo without its "Recent orders" table: the semantic layer alone does not use `quantity`. */
const withoutTable = (): DashboardFile => {
  const d = demo();
  return { ...d, panels: d.panels.filter((p) => p.kind !== 'table'), layout: d.layout.filter((l) => l.panel !== 'recent_orders') };
};

const ordersOf = (d: DashboardFile): Dataset => d.datasets[0] as Dataset;

describe('projectedColumns', () => {
  it('keeps the semantic layer and table panel columns, in the file order', () => {
    const d = withoutTable();
    expect(projectedColumns(d, ordersOf(d), FILE_COLUMNS)).toEqual(FILE_COLUMNS.filter((c) => c !== 'quantity'));
    // The demo's table shows quantity too: everything is used, so nothing is projected away.
    expect(projectedColumns(demo(), ordersOf(demo()), FILE_COLUMNS)).toBeNull();
  });

  it('keeps columns named by check and correction parameters, whatever the parameter is called', () => {
    const d = withoutTable();
    const checked: DashboardFile = {
      ...d,
      checks: [{ id: 'c1', title: 'qty', dataset: 'orders', rule: 'range', params: { column: 'quantity', min: 0 }, severity: 'warn', guards: [] }],
    };
    expect(projectedColumns(checked, ordersOf(checked), [...FILE_COLUMNS, 'note'])).toEqual(FILE_COLUMNS);
  });

  it('loads everything for a SQL dataset, a schema or custom SQL check, and SQL in parameters', () => {
    const d = withoutTable();
    const sqlDataset: Dataset = { name: 'q', kind: 'sql', sql: 'SELECT 1', measures: [], dimensions: [], hierarchies: [] } as unknown as Dataset;
    expect(projectedColumns(d, sqlDataset, FILE_COLUMNS)).toBeNull();
    const check = (rule: string, params: Record<string, unknown>) =>
      ({ ...d, checks: [{ id: 'c', title: 't', dataset: 'orders', rule, params, severity: 'warn' }] }) as DashboardFile;
    expect(projectedColumns(check('schema', { columns: ['order_id'] }), ordersOf(d), FILE_COLUMNS)).toBeNull();
    expect(projectedColumns(check('custom_sql', { sql: 'SELECT quantity FROM t' }), ordersOf(d), FILE_COLUMNS)).toBeNull();
  });

  it('changes its cache input for a new table column, not for "show rows" of the semantic layer', () => {
    const d = withoutTable();
    expect(projectionInputs(d, ordersOf(d))).toEqual([]);
    const rows = { id: 'rows', kind: 'table', title: 'Rows', dataset: 'orders', followFilters: true, columns: ['order_ts', 'region', 'amount'], limit: 50, pageSize: 50, rules: [] };
    expect(projectionInputs({ ...d, panels: [...d.panels, rows] } as DashboardFile, ordersOf(d))).toEqual([]);
    expect(projectionInputs({ ...d, panels: [...d.panels, { ...rows, columns: ['quantity'] }] } as DashboardFile, ordersOf(d))).toEqual(['quantity']);
  });
});

describe('loading a projection, on native DuckDB', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run(createSourceView('orders', [PARQUET], 'parquet').text);
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
  });

  async function describeTable(table: string): Promise<string[]> {
    const reader = await conn.runAndReadAll(Sql.concat('DESCRIBE ', ident(table)).text);
    return reader.getRowObjectsJS().map((r) => String(r.column_name));
  }

  async function load(d: DashboardFile): Promise<{ sql: string; columns: string[] }> {
    const columns = projectedColumns(d, ordersOf(d), await describeTable('orders'));
    const sql = createTableAs('ds_raw_orders', selectColumns('orders', columns)).text;
    await conn.run(sql);
    return { sql, columns: await describeTable('ds_raw_orders') };
  }

  it('loads only the columns the dashboard uses, and only their Parquet chunks are read', async () => {
    const { sql, columns } = await load(withoutTable());
    expect(columns).toEqual(FILE_COLUMNS.filter((c) => c !== 'quantity'));
    expect(sql).toContain('SELECT "order_id", "order_ts"');
    expect(sql).not.toContain('quantity');
    // DuckDB's plan reads just those columns from the file.
    const plan = await conn.runAndReadAll(`EXPLAIN ${selectColumns('orders', columns).text}`);
    const text = JSON.stringify(plan.getRowObjectsJS());
    expect(text).toContain('amount');
    expect(text).not.toContain('quantity');
  });

  it('loads every column when the dashboard uses them all', async () => {
    expect((await load(demo())).columns).toEqual(FILE_COLUMNS);
    expect(selectColumns('orders', null).text).toBe('SELECT * FROM "orders"');
    expect(() => selectColumns('orders', [])).toThrow(/no columns/);
  });
});
