// Dataset and source names that would share a relation in the query engine: found, named, and
// refused when a file is opened. The clash is real: shown on DuckDB with the runner's own names.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { datasetTable, rawDatasetTable } from '../queries/dashboard-runner';
import { createTableAs, createViewAs, selectAll, Sql } from '../queries/sql';
import { loadDashboard } from './document';
import { datasetRelationName, engineNameClashes, rawDatasetRelationName } from './engine-names';
import type { Dataset } from './schema';

const here = path.dirname(fileURLToPath(import.meta.url));
const example = () => JSON.parse(readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8')) as Record<string, unknown> & { datasets: Record<string, unknown>[]; sources: Record<string, unknown>[] };
const named = (...names: string[]) => names.map((name) => ({ name }));

describe('engine names', () => {
  it('are the names the dashboard runner gives its relations', () => {
    for (const name of ['orders', 'raw_x', 'X_1']) {
      const dataset = { name, kind: 'table', source: 's' } as Dataset;
      expect(datasetRelationName(name)).toBe(datasetTable(dataset));
      expect(rawDatasetRelationName(name)).toBe(rawDatasetTable(dataset));
    }
  });

  it('clash in DuckDB: one name, whatever its case, is one relation', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    // Dataset "x" loads into ds_raw_x; dataset "Raw_x"'s view replaces it.
    await conn.run(createTableAs(rawDatasetRelationName('x'), Sql.raw`SELECT 1 AS "orders_of_x"`).text);
    await expect(conn.run(createViewAs(datasetRelationName('Raw_x'), Sql.raw`SELECT 2 AS "orders_of_raw_x"`).text)).rejects.toThrow('Existing object ds_Raw_x is of type Table');
    await conn.run(`DROP TABLE ${rawDatasetRelationName('x')}`);
    await conn.run(createViewAs(datasetRelationName('Raw_x'), Sql.raw`SELECT 2 AS "orders_of_raw_x"`).text);
    const read = await conn.runAndReadAll(selectAll(rawDatasetRelationName('x')).text);
    expect(read.columnNames()).toEqual(['orders_of_raw_x']);
  });

  it('finds a dataset whose view is another dataset\'s raw table, case ignored', () => {
    expect(engineNameClashes([], named('x', 'raw_x'))).toEqual([
      {
        item: { list: 'datasets', index: 1 },
        other: { list: 'datasets', index: 0 },
        message: '"ds_raw_x" would name both the table dataset "x" is loaded into and the view of dataset "raw_x" in the query engine: rename one of them',
      },
    ]);
    expect(engineNameClashes([], named('RAW_X', 'x'))[0]?.message).toBe(
      '"ds_raw_x" would name both the view of dataset "RAW_X" and the table dataset "x" is loaded into in the query engine ("ds_RAW_X" and "ds_raw_x": the query engine ignores case): rename one of them',
    );
    expect(engineNameClashes([], named('Orders', 'orders')).map((c) => c.item)).toEqual([{ list: 'datasets', index: 1 }]);
  });

  it('finds a source named like a dataset relation, and a name of a correction table', () => {
    expect(engineNameClashes(named('ds_orders'), named('orders'))[0]?.message).toBe(
      '"ds_orders" would name both the view of data source "ds_orders" and the view of dataset "orders" in the query engine: rename one of them',
    );
    expect(engineNameClashes(named('orders'), named('orders', 'raw_orders__dropped_1'))[0]?.message).toBe(
      '"ds_raw_orders__dropped_1" would name both a table of dataset "orders"\'s duplicate-row corrections and the view of dataset "raw_orders__dropped_1" in the query engine: rename one of them',
    );
  });

  it('leaves alone names that do not clash, exact duplicates (reported elsewhere) and nameless items', () => {
    expect(engineNameClashes(named('orders', 'targets'), named('orders', 'targets', 'raw', 'ds', 'ds_raw'))).toEqual([]);
    expect(engineNameClashes(named('a', 'a'), named('b', 'b'))).toEqual([]);
    expect(engineNameClashes([null, 3, { name: 4 }], [{}, 'x'])).toEqual([]);
  });
});

describe('a file with clashing names', () => {
  it('is refused on open, naming the dataset and the relation', () => {
    const doc = example();
    doc.datasets.push({ ...doc.datasets[0], name: 'raw_orders' });
    const r = loadDashboard(JSON.stringify(doc));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('invalid');
    expect(r.error.kind === 'invalid' && r.error.problems).toEqual([
      { path: '$.datasets[1].name', message: '"ds_raw_orders" would name both the table dataset "orders" is loaded into and the view of dataset "raw_orders" in the query engine: rename one of them' },
    ]);
  });

  it('is refused when a source takes a dataset\'s name in the engine', () => {
    const doc = example();
    doc.sources.push({ ...doc.sources[0], name: 'DS_orders' });
    const r = loadDashboard(JSON.stringify(doc));
    expect(!r.ok && r.error.kind === 'invalid' && r.error.problems.map((p) => p.path)).toEqual(['$.datasets[0].name']);
  });
});
