// The one wrapper around DuckDB-WASM: start once, load datasets into memory, run queries, convert
// Arrow results once, terminate on teardown. The engine settings live here and nowhere else.
import * as duckdb from '@duckdb/duckdb-wasm';
import type { Sql } from '../sql';
import { ident, Sql as SqlFragment } from '../sql';

/** A plain value in a result row. Timestamps arrive as epoch milliseconds. */
export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar>;

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Row[];
}

/** What went wrong in the engine, in the user's terms. */
export type EngineErrorCode = 'sourceUnreadable' | 'sql' | 'crashed';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Settings applied to every new database; one place, so hardening and upgrades touch one list. */
export const ENGINE_CONFIG: duckdb.DuckDBConfig = {
  query: {
    // Results as plain numbers: measures are cast to DOUBLE in SQL, counts fit in 2^53.
    castBigIntToDouble: true,
    castDecimalToDouble: true,
    castTimestampToDate: false,
  },
  filesystem: { allowFullHTTPReads: false },
};

/** How the engine starts its worker: the browser bundles, or (later) the Node build for the CLI. */
export interface EngineBootstrap {
  createDatabase(logger: duckdb.Logger): Promise<duckdb.AsyncDuckDB>;
}

/** Start a DuckDB-WASM engine in a Web Worker from bundled files. */
export function browserBootstrap(bundles: duckdb.DuckDBBundles): EngineBootstrap {
  return {
    async createDatabase(logger) {
      const bundle = await duckdb.selectBundle(bundles);
      if (!bundle.mainWorker) throw new EngineError('crashed', 'no DuckDB worker bundle for this browser');
      const worker = new Worker(bundle.mainWorker);
      const db = new duckdb.AsyncDuckDB(logger, worker);
      await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
      return db;
    },
  };
}

const silentLogger: duckdb.Logger = { log: () => {} };

/** A running DuckDB-WASM database with one connection. */
export class Engine {
  private constructor(
    private readonly db: duckdb.AsyncDuckDB,
    private readonly conn: duckdb.AsyncDuckDBConnection,
    readonly version: string,
  ) {}

  /** Start the engine once; call `terminate()` when done. */
  static async start(bootstrap: EngineBootstrap): Promise<Engine> {
    const db = await bootstrap.createDatabase(silentLogger);
    await db.open(ENGINE_CONFIG);
    const version = await db.getVersion();
    const conn = await db.connect();
    return new Engine(db, conn, version);
  }

  /** Run a query and return plain rows. */
  async query(sql: Sql): Promise<QueryResult> {
    let table;
    try {
      table = await this.conn.query(sql.text);
    } catch (err) {
      throw toEngineError(err);
    }
    return arrowToRows(table);
  }

  /** Run a statement whose result is not needed (CREATE VIEW / TABLE ...). */
  async exec(sql: Sql): Promise<void> {
    try {
      await this.conn.query(sql.text);
    } catch (err) {
      throw toEngineError(err);
    }
  }

  /** The columns of a table or view. */
  async describe(table: string): Promise<{ name: string; type: string }[]> {
    const described = await this.query(SqlFragment.concat('DESCRIBE ', ident(table)));
    return described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  async terminate(): Promise<void> {
    try {
      await this.conn.close();
    } finally {
      await this.db.terminate();
    }
  }
}

function toEngineError(err: unknown): EngineError {
  const message = err instanceof Error ? err.message : String(err);
  // 0.9.1 reports any HTTP failure (403, 404, reset) as this opaque text: say what it means instead.
  if (message.includes('WebAssembly.Exception') || /HTTP|IO Error|No magic bytes/i.test(message)) {
    return new EngineError('sourceUnreadable', message);
  }
  return new EngineError('sql', message.replace(/^(Binder|Parser|Catalog|Conversion|Invalid Input) Error: /, '$1 error: '));
}

/** Convert an Arrow table to plain rows, once, at the engine boundary. */
function arrowToRows(table: { schema: { fields: { name: string; type: { toString(): string } }[] }; toArray(): { toJSON(): Record<string, unknown> }[] }): QueryResult {
  const columns = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
  const rows = table.toArray().map((r) => {
    const obj = r.toJSON();
    const out: Row = {};
    for (const { name } of columns) out[name] = toScalar(obj[name]);
    return out;
  });
  return { columns, rows };
}

function toScalar(value: unknown): Scalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.getTime();
  return String(value);
}
