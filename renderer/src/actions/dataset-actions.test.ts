import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadDashboard } from '../../../dashboards/document';
import demoJson from '../../../dashboards/examples/customer-kpis.dashboard.json';
import type { Dataset } from '../../../dashboards/schema';
import { Engine, EngineError, type QueryResult, type Row } from '../../../queries/engine/engine';
import type { Sql } from '../../../queries/sql';
import type { HostApi } from '../../../electron/api/host-api';
import { useStore, type Store } from '../store';
import {
  addDimension,
  addHierarchy,
  addLevel,
  addMeasure,
  addRatioMeasure,
  applyDataset,
  deleteDataset,
  freshDatasetName,
  freshName,
  moveLevel,
  newSqlDataset,
  newTableDataset,
  previewSql,
  removeDataset,
  removeDimension,
  removeLevel,
  removeMeasure,
  saveDataset,
  updateDimension,
  updateMeasure,
  type ColumnInfo,
} from './dataset-actions';

// No node: imports in renderer/ (the layering rule): the demo comes in as JSON, its data by URL.
const PARQUET = decodeURIComponent(new URL('../../../dashboards/examples/data/orders.parquet', import.meta.url).pathname);
const loaded = loadDashboard(JSON.stringify(demoJson));
if (!loaded.ok) throw new Error(loaded.error.message);
const demo = loaded.dashboard;
const orders = demo.datasets[0] as Dataset;

let instance: DuckDBInstance;
let conn: DuckDBConnection;
let columns: ColumnInfo[];

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`CREATE VIEW orders AS SELECT * FROM read_parquet('${PARQUET.replaceAll("'", "''")}')`);
  const described = await conn.runAndReadAll('DESCRIBE orders');
  columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

const measure = (ds: Dataset, name: string) => ds.measures.find((m) => m.name === name);

describe('measures', () => {
  it('adds "Units" = sum(quantity), valid for the schema, the real columns and the loader', () => {
    let draft = addMeasure(orders);
    const i = draft.measures.length - 1;
    expect(draft.measures[i]).toEqual({ name: 'measure', agg: 'count', format: 'integer' });
    draft = updateMeasure(draft, i, { name: 'units', label: 'Units', agg: 'sum', column: 'quantity' });
    const r = applyDataset(demo, 'orders', draft, columns);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(measure(r.dashboard.datasets[0] as Dataset, 'units')).toEqual({ name: 'units', label: 'Units', agg: 'sum', column: 'quantity', format: 'integer' });
    expect(loadDashboard(JSON.stringify(r.dashboard))).toMatchObject({ ok: true, warnings: [] });
    expect(orders.measures).toHaveLength(4); // the input is never changed
  });

  it('refuses removing a measure that panels or ratios use, naming them', () => {
    const revenue = removeMeasure(demo, 'orders', orders, 'revenue');
    expect(revenue).toEqual({
      ok: false,
      message:
        'Measure "revenue" is used by panels "Revenue", "Daily revenue", "Revenue by region" and "Revenue by campaign" and ratio measure "Average order value": change or remove those first.',
    });
    expect(removeMeasure(demo, 'orders', orders, 'active_customers')).toMatchObject({ ok: false, message: expect.stringContaining('panel "Active customers"') });
    // Nothing on the dashboard reads a new dataset yet: only its own ratios count.
    expect(removeMeasure(demo, null, orders, 'active_customers').ok).toBe(true);
  });

  it('removes a measure nothing uses', () => {
    const draft = updateMeasure(addMeasure(orders), 4, { name: 'spare' });
    const r = removeMeasure(demo, 'orders', draft, 'spare');
    expect(r.ok && r.value.measures.map((m) => m.name)).toEqual(['revenue', 'orders', 'aov', 'active_customers']);
  });

  it('refuses at apply time too when a measure a panel reads is gone (e.g. renamed)', () => {
    const renamed = updateMeasure(orders, 3, { name: 'customers' });
    const r = applyDataset(demo, 'orders', renamed, columns);
    expect(r).toEqual({ ok: false, problems: [{ field: null, message: 'Measure "active_customers" is used by panel "Active customers": keep it, or change those panels first.' }] });
  });

  it('adds a ratio of two measures (AOV = revenue / orders)', () => {
    const r = addRatioMeasure(orders, 'revenue', 'orders', 'AOV 2');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(measure(r.value, 'aov_2')).toEqual({ name: 'aov_2', label: 'AOV 2', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'number' });
    expect(applyDataset(demo, 'orders', r.value, columns).ok).toBe(true);
    expect(addRatioMeasure(orders, 'revenue', 'nope')).toEqual({ ok: false, message: 'Pick two measures of this dataset for the ratio.' });
  });

  it('carries a renamed measure into the ratios and drops fields the new aggregation does not use', () => {
    const renamed = updateMeasure(orders, 1, { name: 'order_count' });
    expect(measure(renamed, 'aov')).toMatchObject({ numerator: 'revenue', denominator: 'order_count' });
    const sum = updateMeasure(orders, 2, { agg: 'sum', column: 'amount' });
    expect(measure(sum, 'aov')).toEqual({ name: 'aov', label: 'Average order value', agg: 'sum', column: 'amount', format: 'currency' });
    const ratio = updateMeasure(orders, 0, { agg: 'ratio' });
    expect(measure(ratio, 'revenue')?.column).toBeUndefined();
    // A ratio without its parts is a field error, not a crash.
    expect(applyDataset(demo, 'orders', ratio, columns)).toMatchObject({ ok: false, problems: [{ field: 'measures.0.agg', message: 'a ratio needs a numerator and a denominator' }] });
  });

  it('a ratio that refers to itself is reported on its measure by the loader', () => {
    const loop = updateMeasure(orders, 2, { numerator: 'aov' });
    expect(applyDataset(demo, 'orders', loop, columns)).toEqual({ ok: false, problems: [{ field: 'measures.2', message: 'ratio "aov" refers to itself' }] });
  });
});

describe('checks against the real columns', () => {
  it('wants numeric columns for sum and avg, existing columns everywhere, and a date/time time column', () => {
    let draft = updateMeasure(orders, 0, { agg: 'avg', column: 'region' });
    draft = updateMeasure(draft, 3, { column: 'customer' });
    draft = { ...draft, timeColumn: 'channel' };
    draft = updateDimension(draft, 0, { column: 'zone' });
    const r = applyDataset(demo, 'orders', draft, columns);
    expect(r).toEqual({
      ok: false,
      problems: [
        { field: 'measures.0.column', message: 'avg needs a numeric column; "region" is VARCHAR' },
        { field: 'measures.3.column', message: 'the data has no column "customer"' },
        { field: 'dimensions.0.column', message: 'the data has no column "zone"' },
        { field: 'timeColumn', message: '"channel" is VARCHAR, not a date or timestamp' },
      ],
    });
    // Measures are read as DOUBLE, so min and max want numbers too.
    expect(applyDataset(demo, 'orders', updateMeasure(orders, 0, { agg: 'max', column: 'order_ts' }), columns)).toEqual({
      ok: false,
      problems: [{ field: 'measures.0.column', message: 'max needs a numeric column; "order_ts" is TIMESTAMP' }],
    });
    // Without known columns (a SQL dataset not previewed yet) only the rest is checked.
    expect(applyDataset(demo, 'orders', updateMeasure(orders, 0, { agg: 'avg', column: 'region' })).ok).toBe(true);
  });

  it('reports schema problems on their fields, and a name another dataset has', () => {
    expect(applyDataset(demo, null, { ...newSqlDataset(demo), name: '9 lives' })).toMatchObject({ ok: false, problems: [{ field: 'name' }] });
    expect(applyDataset(demo, null, { ...newSqlDataset(demo), name: 'orders' })).toEqual({
      ok: false,
      problems: [{ field: 'name', message: 'another dataset is already called "orders"' }],
    });
    const twice = updateMeasure(addMeasure(orders), 4, { name: 'revenue' });
    expect(applyDataset(demo, 'orders', twice, columns)).toMatchObject({ ok: false, problems: [{ field: 'measures.4.name', message: expect.stringContaining('duplicate name "revenue"') }] });
  });

  it('refuses renaming a dataset that panels read, and dropping the time column of a time chart', () => {
    expect(applyDataset(demo, 'orders', { ...orders, name: 'sales' }, columns)).toMatchObject({
      ok: false,
      problems: [{ field: 'name', message: expect.stringMatching(/^dataset "orders" is used by panels "Revenue", .*: keep its name$/) }],
    });
    const { timeColumn: _drop, ...untimed } = orders;
    expect(applyDataset(demo, 'orders', untimed, columns)).toEqual({ ok: false, problems: [{ field: 'timeColumn', message: 'panel "Daily revenue" draws over time: keep a time column' }] });
  });
});

describe('dimensions and hierarchies', () => {
  it('adds a dimension named after its column', () => {
    const d = addDimension(orders, 'order_ts');
    expect(d.dimensions.at(-1)).toEqual({ name: 'order_ts', label: 'Order ts', column: 'order_ts' });
    expect(addDimension(orders, 'region').dimensions.at(-1)?.name).toBe('region_2');
  });

  it('refuses removing a dimension used by a panel, a filter or a hierarchy', () => {
    expect(removeDimension(demo, 'orders', orders, 'region')).toEqual({
      ok: false,
      message: 'Dimension "region" is used by panel "Revenue by region" and drill hierarchy "geography": change or remove those first.',
    });
    const filtered = { ...demo, filters: [{ id: 'by_channel', kind: 'dimension' as const, dataset: 'orders', dimension: 'channel', values: [] }] };
    expect(removeDimension(filtered, 'orders', orders, 'channel')).toMatchObject({ ok: false, message: expect.stringContaining('filter "by_channel"') });
    const r = removeDimension(demo, 'orders', orders, 'category');
    expect(r.ok && r.value.dimensions.map((x) => x.name)).toEqual(['region', 'country', 'city', 'channel', 'campaign']);
  });

  it('renaming a dimension renames its hierarchy levels', () => {
    const d = updateDimension(orders, 1, { name: 'nation' });
    expect(d.hierarchies[0]?.levels).toEqual(['region', 'nation', 'city']);
  });

  it('orders hierarchy levels: add, move up and down, remove, never below one level', () => {
    const added = addHierarchy(orders);
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    let d = addLevel(added.value, 1, 'channel');
    d = addLevel(d, 1, 'campaign');
    d = addLevel(d, 1, 'campaign'); // each dimension once
    expect(d.hierarchies[1]).toEqual({ name: 'drill', levels: ['region', 'channel', 'campaign'] });
    d = moveLevel(d, 1, 2, -1);
    expect(d.hierarchies[1]?.levels).toEqual(['region', 'campaign', 'channel']);
    d = moveLevel(d, 1, 0, 1);
    expect(d.hierarchies[1]?.levels).toEqual(['campaign', 'region', 'channel']);
    expect(moveLevel(d, 1, 0, -1)).toBe(d);
    expect(moveLevel(d, 1, 2, 1)).toBe(d);
    d = removeLevel(removeLevel(d, 1, 0), 1, 0);
    expect(d.hierarchies[1]?.levels).toEqual(['channel']);
    expect(removeLevel(d, 1, 0).hierarchies[1]?.levels).toEqual(['channel']);
    expect(applyDataset(demo, 'orders', d, columns).ok).toBe(true);
    expect(addHierarchy({ ...orders, dimensions: [], hierarchies: [] })).toMatchObject({ ok: false });
  });
});

describe('new datasets', () => {
  it('a new table dataset over a source is valid and loads', () => {
    const ds = newTableDataset(demo, 'orders', columns);
    expect(ds).toMatchObject({ name: 'orders_2', kind: 'table', source: 'orders', timeColumn: 'order_ts' });
    const r = applyDataset(demo, null, ds, columns);
    expect(r.ok).toBe(true);
    if (r.ok) expect(loadDashboard(JSON.stringify(r.dashboard))).toMatchObject({ ok: true, warnings: [] });
  });

  it('a new SQL dataset starts from the first source, quoted, and loads', () => {
    const ds = newSqlDataset(demo);
    expect(ds).toMatchObject({ name: 'sql_dataset', kind: 'sql', sql: 'SELECT * FROM "orders"' });
    const r = applyDataset(demo, null, ds);
    expect(r.ok && r.dashboard.datasets.map((x) => x.name)).toEqual(['orders', 'sql_dataset']);
  });

  it('a dataset can be removed only when nothing reads it', () => {
    expect(removeDataset(demo, 'orders')).toMatchObject({ ok: false, message: expect.stringMatching(/^Dataset "orders" is used by panels "Revenue"/) });
    const r = applyDataset(demo, null, newSqlDataset(demo));
    if (!r.ok) throw new Error('not applied');
    const removed = removeDataset(r.dashboard, 'sql_dataset');
    expect(removed.ok && removed.value.datasets.map((x) => x.name)).toEqual(['orders']);
  });

  it('makes machine names', () => {
    expect(freshName([], 'Order date')).toBe('order_date');
    expect(freshName(['x'], 'x')).toBe('x_2');
    expect(freshName([], '9 lives!')).toBe('_9_lives');
    expect(freshName([], '!!!')).toBe('item');
  });

  it('names a new dataset so its engine relations clash with nothing, and the file still opens', () => {
    // Source "raw_orders": a dataset of that name would have the view "ds_raw_orders", the table dataset "orders" is loaded into.
    const withRaw = { ...demo, sources: [...demo.sources, { name: 'raw_orders', kind: 'file' as const, path: 'data/orders.parquet', format: 'parquet' as const }] };
    const ds = newTableDataset(withRaw, 'raw_orders');
    expect(ds.name).toBe('raw_orders_2');
    const r = applyDataset(withRaw, null, ds);
    expect(r.ok).toBe(true);
    if (r.ok) expect(loadDashboard(JSON.stringify(r.dashboard)).ok).toBe(true);
    // Names ignore case in the engine: a dataset "Sales" takes "sales" too.
    expect(freshDatasetName({ sources: [], datasets: [{ ...orders, name: 'Sales' }] }, 'sales')).toBe('sales_2');
    // "ds_x" would be the view of dataset "x": a source named so takes it.
    expect(freshDatasetName({ sources: [{ name: 'ds_sales', kind: 'file', path: 'a.csv', format: 'csv' }], datasets: [] }, 'sales')).toBe('sales_2');
    expect(freshDatasetName(demo, 'targets')).toBe('targets');
  });
});

describe('the SQL preview', () => {
  /** The engine the drawer gets, backed by native DuckDB (same messages as the app's, see dataset-queries.test). */
  const nativeEngine = {
    async query(sql: Sql): Promise<QueryResult> {
      try {
        const reader = await conn.runAndReadAll(sql.text);
        const rows = reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])) as Row);
        return { columns: reader.columnNames().map((name) => ({ name, type: '' })), rows };
      } catch (err) {
        throw new EngineError('sql', (err as Error).message);
      }
    },
  } as unknown as Engine;
  const deps = (trusted: boolean, calls: string[] = [], engine: Engine = nativeEngine) => ({
    host: {} as HostApi,
    engine: async () => {
      calls.push('engine');
      return engine;
    },
    restartEngine: () => {
      calls.push('restart');
      return true;
    },
    store: { getState: () => ({ trusted }) as Store },
  });

  it('runs nothing while the dashboard is not trusted', async () => {
    const calls: string[] = [];
    expect(await previewSql(deps(false, calls), 'SELECT * FROM orders')).toEqual({ kind: 'needsTrust' });
    expect(calls).toEqual([]);
  });

  it('shows the first 100 rows with DuckDB column types', async () => {
    const r = await previewSql(deps(true), 'SELECT region, sum(quantity) AS units FROM orders GROUP BY region ORDER BY region');
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.columns).toEqual([
      { name: 'region', type: 'VARCHAR' },
      { name: 'units', type: 'HUGEINT' },
    ]);
    expect(r.rows.length).toBeGreaterThan(0);
    expect(r.truncated).toBe(false);
    const all = await previewSql(deps(true), 'SELECT * FROM orders');
    expect(all.kind === 'ok' && [all.rows.length, all.truncated]).toEqual([100, true]);
  });

  it('says when a query runs out of memory, and starts a surviving engine afresh to free what it took', async () => {
    // Native DuckDB with a small memory limit runs out as DuckDB-WASM does at its 3.4 GB, and survives.
    const small = await (await DuckDBInstance.create(':memory:', { memory_limit: '64MB', threads: '1' })).connect();
    const limited = (alive: boolean) =>
      ({
        alive,
        async query(sql: Sql): Promise<QueryResult> {
          try {
            await small.run(sql.text);
            return { columns: [], rows: [] };
          } catch (err) {
            throw new EngineError(alive ? 'sql' : 'crashed', (err as Error).message);
          }
        },
      }) as unknown as Engine;
    const huge = 'SELECT count(*) AS n, sum(len(l)) AS s FROM (SELECT list(i) AS l FROM range(20000000) t(i))';
    const calls: string[] = [];
    const r = await previewSql(deps(true, calls, limited(true)), huge);
    expect(r).toMatchObject({ kind: 'error', location: null });
    expect(r.kind === 'error' && r.message).toMatch(
      /^The query needs more memory than the query engine may use \([\d.]+ ?MiB\); Northstar started the query engine again to free the memory it took, and the data is loaded again\. Make it hold less at once/,
    );
    expect(calls).toEqual(['engine', 'restart']);
    // An engine the failure stopped is started again by the next query anyway; other errors restart nothing.
    const stopped: string[] = [];
    const s = await previewSql(deps(true, stopped, limited(false)), huge);
    expect(s.kind === 'error' && s.message).not.toContain('free the memory');
    const syntax: string[] = [];
    await previewSql(deps(true, syntax, limited(true)), 'SELECT FORM orders');
    expect([stopped, syntax]).toEqual([['engine'], ['engine']]);
    small.closeSync();
  });

  it('reports a syntax error with its place in the author\'s text', async () => {
    const r = await previewSql(deps(true), 'SELECT region\nFORM orders');
    expect(r).toEqual({ kind: 'error', message: 'Parser Error: syntax error at or near "orders"', location: { from: 19, to: 25, line: 2, column: 6 } });
    const two = await previewSql(deps(true), 'SELECT 1; SELECT 2');
    expect(two).toMatchObject({ kind: 'error', location: { line: 1, column: 9 } });
  });
});

describe('applying through the store', () => {
  const HASH = 'a'.repeat(64);
  const deps = { host: {} as HostApi, engine: () => Promise.reject(new Error('no engine in unit tests')), store: useStore };

  it('applies a valid draft as one undoable edit, and changes nothing for a refused one', () => {
    useStore.getState().setOpened({ path: '/w/demo.dashboard.json', dashboard: demo, diskHash: HASH, contentHash: HASH, trusted: true, warnings: [] });
    const refused = saveDataset(deps, 'orders', updateMeasure(orders, 3, { name: 'customers' }), columns);
    expect(refused.ok).toBe(false);
    expect(useStore.getState().past).toHaveLength(0);

    const units = updateMeasure(addMeasure(orders), 4, { name: 'units', label: 'Units', agg: 'sum', column: 'quantity' });
    expect(saveDataset(deps, 'orders', units, columns).ok).toBe(true);
    expect(useStore.getState().dashboard?.datasets[0]?.measures.map((m) => m.name)).toEqual(['revenue', 'orders', 'aov', 'active_customers', 'units']);
    expect(saveDataset(deps, null, newSqlDataset(demo)).ok).toBe(true);
    expect(deleteDataset(deps, 'orders').ok).toBe(false);
    expect(deleteDataset(deps, 'sql_dataset').ok).toBe(true);
    expect(useStore.getState().past).toHaveLength(3);
    useStore.getState().undo();
    useStore.getState().undo();
    useStore.getState().undo();
    expect(useStore.getState().dashboard).toEqual({ ...demo, revision: undefined });
  });
});
