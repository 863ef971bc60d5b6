// The native side of the benchmark: the same dashboard run with the app's own runner and query
// builder, on native DuckDB (@duckdb/node-api, 2 threads) over the local file, so each statement's
// text is the one the renderer sends to DuckDB-WASM and the two can be compared one to one.
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import type { DashboardFile } from '../dashboards/schema';
import { runDashboardQueries, type QueryEngine } from '../queries/dashboard-runner';
import type { QueryResult, Row, Scalar } from '../queries/engine/engine';
import { ident, Sql, str } from '../queries/sql';

export interface TimedStatement {
  sql: string;
  ms: number;
}

export interface NativeRun {
  engineStartMs: number;
  /** Every statement of the first run, in order. */
  statements: TimedStatement[];
  /** Panel id → the SQL of its query (identical to the renderer's). */
  panelSql: Map<string, string>;
  /** Panel id → rows its query returned (bars of a chart, say). */
  panelRows: Map<string, number>;
  /** Each panel's query run a second time. */
  warm: Map<string, number>;
  /** How many of `statements` load the dataset (the rest are the panels' queries, batched or not). */
  loadStatementCount: number;
  /** SQL → time of its second execution, for every statement after the load. */
  warmStatements: Map<string, number>;
  /** DuckDB's own accounting of the in-memory tables after the load. */
  memoryMb: number | null;
}

/** Run `dashboard` natively, with every source read from `localPath`. */
export async function runNative(dashboard: DashboardFile, localPath: string): Promise<NativeRun> {
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  const engineStartMs = performance.now() - started;
  try {
    const statements: TimedStatement[] = [];
    const engine = nativeEngine(conn, statements);
    const panelSql = new Map<string, string>();
    const panelRows = new Map<string, number>();
    const errors: string[] = [];
    let loadStatementCount: number | null = null;
    await runDashboardQueries(
      engine,
      dashboard,
      {
        linkSource: async () => ({ urls: [localPath], location: localPath }),
        onDataset: (name, s) => {
          if (s.status === 'error') errors.push(`dataset ${name}: ${s.message}`);
          if (s.status === 'ready' && loadStatementCount === null) loadStatementCount = statements.length;
        },
        onPanel: (id, s) => {
          if (s.status === 'ready') {
            panelSql.set(id, s.sql);
            panelRows.set(id, s.result.rows.length);
          }
          else if (s.status === 'error') errors.push(`panel ${id}: ${s.message}`);
        },
      },
      // The table as the engine reads it, as before the runner encoded text in place after the panels
      // (enum-columns.ts): that work follows the open, and its DDL is not a query to time twice.
      { trusted: true, now: Date.now(), textEncodingMinRows: Number.POSITIVE_INFINITY },
    );
    if (errors.length > 0) throw new Error(`The native run failed: ${errors.join('; ')}`);

    const warm = new Map<string, number>();
    for (const [id, sql] of panelSql) {
      const t = performance.now();
      await conn.run(sql);
      warm.set(id, performance.now() - t);
    }
    const warmStatements = new Map<string, number>();
    for (const { sql } of statements.slice(loadStatementCount ?? statements.length)) {
      if (warmStatements.has(sql)) continue;
      const t = performance.now();
      await conn.run(sql);
      warmStatements.set(sql, performance.now() - t);
    }
    return { engineStartMs, statements, panelSql, panelRows, warm, loadStatementCount: loadStatementCount ?? statements.length, warmStatements, memoryMb: await memoryMb(conn) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function nativeEngine(conn: DuckDBConnection, log: TimedStatement[]): QueryEngine {
  const timed = async <T>(sql: Sql, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await work();
    log.push({ sql: sql.text, ms: performance.now() - t });
    return out;
  };
  const query = async (sql: Sql): Promise<QueryResult> =>
    timed(sql, async () => {
      const reader = await conn.runAndReadAll(sql.text);
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const rows = reader.getRowObjectsJS().map((r) => {
        const out: Row = {};
        for (const name of names) out[name] = toScalar(r[name]);
        return out;
      });
      return { columns: names.map((name, i) => ({ name, type: String(types[i]) })), rows };
    });
  return {
    exec: async (sql) => {
      await timed(sql, () => conn.run(sql.text));
    },
    query,
    describe: async (table) => {
      const described = await query(Sql.concat('DESCRIBE ', ident(table)));
      return described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    },
  };
}

function toScalar(v: JS | undefined): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}

async function memoryMb(conn: DuckDBConnection): Promise<number | null> {
  const reader = await conn.runAndReadAll('SELECT sum(memory_usage_bytes) AS b FROM duckdb_memory()');
  const b = reader.getRowObjectsJS()[0]?.b;
  return typeof b === 'bigint' || typeof b === 'number' ? Number(b) / 1048576 : null;
}

/** Bytes of the Parquet column chunks of `columns` (all columns when null), from the file's metadata. */
export async function columnChunkBytes(localPath: string, columns: readonly string[] | null): Promise<{ bytes: number; columns: string[] }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      // min(column_id): the file's own column order, for a readable list.
      Sql.concat('SELECT path_in_schema AS c, sum(total_compressed_size) AS b FROM parquet_metadata(', str(localPath), ') GROUP BY 1 ORDER BY min(column_id)').text,
    );
    const perColumn = new Map(reader.getRowObjectsJS().map((r) => [String(r.c), Number(r.b)]));
    const used = columns ?? [...perColumn.keys()];
    return { bytes: used.reduce((sum, c) => sum + (perColumn.get(c) ?? 0), 0), columns: [...perColumn.keys()] };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
