// Tests only: a QueryEngine on native DuckDB (@duckdb/node-api), returning the same plain rows as the
// app's Engine (numbers for counts and bigints, epoch ms for dates and timestamps), so the rules can
// be tested fast without starting DuckDB-WASM. Nothing in the app imports this.
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import type { QueryEngine } from '../dashboard-runner';
import type { QueryResult, Row, Scalar } from '../engine/engine';
import type { Check } from '../../dashboards/schema';
import { Sql, ident, literal } from '../sql';
import { runCheck } from './index';
import type { CheckContext, CheckResult } from './types';

export interface NativeEngine extends QueryEngine {
  /** Run fixture SQL written by a test (never user input). */
  run(sql: string): Promise<void>;
  close(): void;
}

function toScalar(value: JS): Scalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** An in-memory native DuckDB behind the QueryEngine interface. */
export async function openNativeEngine(): Promise<NativeEngine> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn: DuckDBConnection = await instance.connect();
  const query = async (sql: Sql): Promise<QueryResult> => {
    const reader = await conn.runAndReadAll(sql.text);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns = names.map((name, i) => ({ name, type: String(types[i]) }));
    const rows = reader.getRowsJS().map((values) => {
      const row: Row = {};
      names.forEach((name, i) => (row[name] = toScalar(values[i] as JS)));
      return row;
    });
    return { columns, rows };
  };
  return {
    query,
    async exec(sql) {
      await conn.run(sql.text);
    },
    async describe(table) {
      const described = await query(Sql.concat('DESCRIBE ', ident(table)));
      return described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    },
    async run(sql) {
      await conn.run(sql);
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** `native` as a runner's engine that records the SQL of every query it is asked, in order, into `asked`. */
export function recordingEngine(native: NativeEngine, asked: string[]): QueryEngine {
  return {
    exec: (sql) => native.exec(sql),
    describe: (table) => native.describe(table),
    query: (sql) => {
      asked.push(sql.text);
      return native.query(sql);
    },
  };
}

/** Create a table from typed columns and rows of literals (through the quoting module, so hostile names work). */
export async function createTable(engine: NativeEngine, table: string, columns: Record<string, string>, rows: readonly (string | number | boolean | null)[][]): Promise<void> {
  const names = Object.keys(columns);
  const defs = names.map((n) => `${ident(n).text} ${columns[n]}`).join(', ');
  await engine.run(`CREATE OR REPLACE TABLE ${ident(table).text} (${defs})`);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    if (chunk.length === 0) break;
    await engine.run(`INSERT INTO ${ident(table).text} VALUES ${chunk.map((r) => `(${r.map((v) => literal(v).text).join(', ')})`).join(', ')}`);
  }
}

/** A check of `rule` with these params, as a dashboard would carry it. */
export function checkOf(rule: string, params: Record<string, unknown>, severity: 'warn' | 'error' = 'error'): Check {
  return { id: 'c1', title: `a ${rule} check`, dataset: 'd', rule, params, severity, guards: [] };
}

/** Run one rule on a table the way the runner does; returns the check's result. */
export function runRule(
  engine: QueryEngine,
  table: string,
  columns: readonly string[],
  rule: string,
  params: Record<string, unknown>,
  opts: { timeColumn?: string | null; severity?: 'warn' | 'error'; now?: number; trusted?: boolean; affected?: boolean; maxGroupRows?: number } = {},
): Promise<CheckResult> {
  const ctx: CheckContext = {
    table,
    columns: new Set(columns),
    timeColumn: opts.timeColumn ?? null,
    where: 'check "c1"',
    ...(opts.maxGroupRows !== undefined ? { maxGroupRows: opts.maxGroupRows } : {}),
  };
  return runCheck(engine, checkOf(rule, params, opts.severity), ctx, { now: opts.now ?? Date.now() }, opts.trusted ?? false, opts.affected ?? false);
}
