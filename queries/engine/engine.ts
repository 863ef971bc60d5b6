// The one wrapper around DuckDB-WASM: start once, load datasets into memory, run queries, convert
// Arrow results once, terminate on teardown. The engine settings live in engine-settings.ts.
import * as duckdb from '@duckdb/duckdb-wasm';
import type { Sql } from '../sql';
import { ident, Sql as SqlFragment, str } from '../sql';
import { engineConfig, engineThreads, lockDownEngine, WASM_THREADS_FEATURE } from './engine-settings';
import { describeReadFailure, outOfMemoryReason, type ReadFailure } from './read-errors';
import type { ParsedShare } from '../json-source';
import type { JsonRead } from '../text-sources';

/** A cancelled or crashed engine, or one out of memory: a load cannot go on by other means (another read of the same data). */
export function endsTheLoad(err: unknown): boolean {
  return (err instanceof EngineError && (err.code === 'cancelled' || err.code === 'crashed')) || outOfMemoryReason(err) !== null;
}

/** A plain value in a result row. Timestamps arrive as epoch milliseconds. */
export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar>;

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Row[];
}

/** What went wrong in the engine, in the user's terms. */
export type EngineErrorCode = 'sourceUnreadable' | 'sql' | 'crashed' | 'cancelled';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** When reading data failed: what kind of failure (read-errors.ts); the message is its sentence. */
    readonly readFailure?: ReadFailure,
  ) {
    super(message);
  }
}

// Settings applied to every new database live in one module, engine-settings.ts.
export { ENGINE_CONFIG } from './engine-settings';

/** How the engine starts its worker: the browser bundles, or (later) the Node build for the CLI. */
export interface EngineBootstrap {
  /** `onCrash` is called when the worker itself fails (not when a query fails). */
  createDatabase(logger: duckdb.Logger, onCrash: (message: string) => void): Promise<duckdb.AsyncDuckDB>;
}

/**
 * Start a DuckDB-WASM engine in a Web Worker from bundled files. `onWorkerAnswered` is called once
 * the worker runs and has begun fetching the wasm: the page then knows its own long tasks no longer
 * hold the worker's start back (see renderer/src/main.tsx).
 */
export function browserBootstrap(bundles: duckdb.DuckDBBundles, onWorkerAnswered?: () => void): EngineBootstrap {
  return {
    async createDatabase(logger, onCrash) {
      const bundle = await duckdb.selectBundle(bundles);
      if (!bundle.mainWorker) throw new EngineError('crashed', 'no DuckDB worker bundle for this browser');
      const worker = new Worker(bundle.mainWorker);
      worker.addEventListener('error', (e) => onCrash(e.message || 'the worker failed'));
      const db = new duckdb.AsyncDuckDB(logger, worker);
      const instantiated = db.instantiate(bundle.mainModule, bundle.pthreadWorker);
      // Answered as soon as the worker has taken the INSTANTIATE (it awaits the wasm's fetch).
      if (onWorkerAnswered) db.ping().then(onWorkerAnswered, () => {});
      await instantiated;
      return db;
    },
  };
}

const silentLogger: duckdb.Logger = { log: () => {} };

// Every engine start and statement leaves a user-timing entry (detail: the SQL), so the benchmark
// (bench/run.ts) and the browser's performance panel can attribute time to the SQL that spent it.
// Entries are dropped every SQL_TRACE_LIMIT statements so a long session does not keep them all.
const SQL_TRACE = 'northstar:sql';
const SQL_TRACE_LIMIT = 5000;
let sqlTraceCount = 0;

function traceMeasure(name: string, start: number, detail: Record<string, unknown>): void {
  if (name === SQL_TRACE && ++sqlTraceCount % SQL_TRACE_LIMIT === 0) performance.clearMeasures(SQL_TRACE);
  performance.measure(name, { start, end: performance.now(), detail });
}

/** A running DuckDB-WASM database with one connection. */
export class Engine {
  /** Why the engine stopped (cancelled or crashed); null while it runs. */
  private stopped: EngineError | null = null;
  /** Calls waiting for the worker: DuckDB-WASM never settles them once its worker is gone. */
  private readonly inFlight = new Set<(err: EngineError) => void>();

  /** How JSON sources are parsed into Arrow off the caller's thread (the app's worker); unset, text-sources.ts parses them in place. */
  jsonToArrow?: (files: JsonRead[], location: string, signal?: AbortSignal, onParsed?: ParsedShare) => Promise<Uint8Array>;

  private constructor(
    private db: duckdb.AsyncDuckDB | null,
    private conn: duckdb.AsyncDuckDBConnection | null,
    readonly version: string,
  ) {}

  /** Start the engine once; call `terminate()` when done. */
  /** `opts.memoryLimit`: a cap on what the engine's buffers may hold, e.g. "32MB" (see `lockdownStatements`); `opts.jsonToArrow`: see the field. */
  static async start(bootstrap: EngineBootstrap, opts: { memoryLimit?: string; jsonToArrow?: Engine['jsonToArrow'] } = {}): Promise<Engine> {
    let engine: Engine | null = null;
    const startedAt = performance.now();
    const db = await bootstrap.createDatabase(silentLogger, (message) => engine?.stop(new EngineError('crashed', `The query engine stopped unexpectedly (${message}).`)));
    // A threaded (coi) build gets the machine's cores; the others refuse any thread count above 1.
    const threaded = ((await db.getFeatureFlags()) & WASM_THREADS_FEATURE) !== 0;
    const threads = threaded ? engineThreads(globalThis.navigator?.hardwareConcurrency) : 1;
    // Sent together: the worker answers them in order (each is synchronous there), instead of each
    // waiting for the page to hear the last answer. During a cold open the page is busy with the
    // UI's first evaluation and render, and every round trip waited for it.
    const [, version, conn] = await Promise.all([db.open(engineConfig(threads)), db.getVersion(), db.connect()]);
    await lockDownEngine(conn, opts.memoryLimit);
    engine = new Engine(db, conn, version);
    if (opts.jsonToArrow) engine.jsonToArrow = opts.jsonToArrow;
    traceMeasure('northstar:engine-start', startedAt, { version, threads });
    return engine;
  }

  /** Listeners told when the worker dies (not on cancel or terminate). */
  private readonly crashListeners = new Set<(err: EngineError) => void>();

  /** Hear when this engine's worker crashes, even while idle, so the app can restart and re-run. Returns an unsubscribe. */
  onCrash(listener: (err: EngineError) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  /** True while a call is in the worker (a cancel has something to stop). */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** False once cancelled or crashed: a new engine must be started for the next query. */
  get alive(): boolean {
    return this.stopped === null;
  }

  /**
   * Calls run one at a time, in the order they were made: a caller may queue the next query before
   * the last one answered. The next call goes to the worker as soon as the one before is read, before
   * its caller hears the answer, so the worker goes on while this thread handles that answer.
   */
  readonly pipelined = true;
  /** Calls waiting for the one in the worker to be read (see `inTurn`). */
  private readonly waiting: (() => void)[] = [];
  private turnTaken = false;
  /** When the latest call made so far settles: a queued call's time is traced from then (see `traced`). */
  private queueEnd: Promise<number> = Promise.resolve(0);

  /**
   * Run a query and return plain rows. The rows are read with `send()`, not `query()`: DuckDB-WASM
   * 1.28.0's `query()` drops an error raised while a result streams (duckdb-wasm #1329, #1662: a
   * failing CAST, `ln(0)` or a damaged Parquet page answers fewer rows, or none, with no error).
   */
  async query(sql: Sql): Promise<QueryResult> {
    return this.traced(
      sql,
      async (conn) => {
        try {
          return await readAll(await conn.send(sql.text));
        } catch (err) {
          // send() takes exactly one statement: several (or none) run through query(), as before.
          if (/PendingQuery can only take a single statement/.test(err instanceof Error ? err.message : String(err))) return arrowToRows(await conn.query(sql.text));
          throw err;
        }
      },
      (result) => ({ rows: result.rows.length }),
    );
  }

  /** Run a statement whose result is not needed (CREATE VIEW / TABLE ...). */
  async exec(sql: Sql): Promise<void> {
    // query(): a statement here may be several, and one that returns no rows reports its errors.
    await this.traced(sql, async (conn) => {
      await conn.query(sql.text);
    });
  }

  /**
   * A statement, traced from when the worker could start it: the later of the call and the end of
   * the call before it, so queued statements' times do not overlap (bench/run.ts adds them up).
   */
  private async traced<T>(sql: Sql, work: (conn: duckdb.AsyncDuckDBConnection) => Promise<T>, detail?: (result: T) => Record<string, unknown>): Promise<T> {
    const calledAt = performance.now();
    const before = this.queueEnd;
    const done = this.inTurn(() => this.call(work));
    const settled = done.then(
      () => performance.now(),
      () => performance.now(),
    );
    this.queueEnd = settled;
    const result = await done;
    const startedAt = Math.max(calledAt, await before);
    traceMeasure(SQL_TRACE, startedAt, { sql: sql.text, ...detail?.(result) });
    return result;
  }

  /**
   * Make bytes readable by SQL under `name` (a file in the worker's memory, see prefetch.ts). The
   * buffer is transferred to the worker: `bytes` is empty afterwards. Call `dropFile` when done.
   */
  async registerFile(name: string, bytes: Uint8Array): Promise<void> {
    await this.inTurn(() => this.callDb((db) => db.registerFileBuffer(name, bytes)));
  }

  /**
   * Create the table `name` from an Arrow IPC stream (a JSON source parsed by json-source.ts: 0.9.1
   * has no JSON reader offline). The table must not exist yet; `ipc` is transferred to the worker.
   */
  async insertArrow(name: string, ipc: Uint8Array): Promise<void> {
    await this.inTurn(() => this.call((conn) => conn.insertArrowFromIPCStream(ipc, { name, create: true })));
  }

  /** Forget a file registered with `registerFile`, freeing its memory in the worker. */
  async dropFile(name: string): Promise<void> {
    await this.inTurn(() => this.callDb((db) => db.dropFile(name)));
  }

  /** The columns of a table or view. */
  async describe(table: string): Promise<{ name: string; type: string }[]> {
    // The same names and type strings as DESCRIBE, which takes 100-200 ms in DuckDB-WASM 1.28
    // where table_info takes a few (measured on the demo table after a 1M-row load). table_info
    // parses its argument as a (dotted) name without unquoting, so only plain names go that way.
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
      const info = await this.query(SqlFragment.concat('PRAGMA table_info(', str(table), ')'));
      return info.rows.map((r) => ({ name: String(r.name), type: String(r.type) }));
    }
    const described = await this.query(SqlFragment.concat('DESCRIBE ', ident(table)));
    return described.rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /**
   * Stop whatever runs now. DuckDB-WASM runs a `query()` synchronously inside its worker and
   * `cancelSent()` only reaches streamed (`send()`) queries between chunks, so the only way to
   * stop a long aggregate is to terminate the worker: every call in flight fails with
   * `cancelled`, and the in-memory tables are gone with it.
   */
  cancel(): void {
    this.stop(new EngineError('cancelled', 'The query was cancelled.'));
  }

  async terminate(): Promise<void> {
    const { db, conn } = this;
    if (!db) return;
    try {
      await conn?.close();
    } finally {
      this.db = null;
      this.stop(new EngineError('cancelled', 'The query engine was shut down.'));
      await db.terminate();
    }
  }

  private stop(reason: EngineError): void {
    if (this.stopped) return;
    this.stopped = reason;
    const db = this.db;
    this.db = null;
    this.conn = null;
    void db?.terminate();
    for (const reject of this.inFlight) reject(reason);
    this.inFlight.clear();
    if (reason.code === 'crashed') for (const listener of this.crashListeners) listener(reason);
    this.crashListeners.clear();
  }

  /**
   * `work` once every call made before it has been read. A statement sent on the connection ends a
   * result still being read on it, and a file dropped under a streaming read would fail it, so calls
   * take turns; the next one starts before this one's caller hears the answer.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        work().then(
          (value) => {
            this.passTurn();
            resolve(value);
          },
          (err: unknown) => {
            this.passTurn();
            reject(err);
          },
        );
      };
      if (this.turnTaken) this.waiting.push(run);
      else {
        this.turnTaken = true;
        run();
      }
    });
  }

  private passTurn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.turnTaken = false;
  }

  private callDb<T>(work: (db: duckdb.AsyncDuckDB) => Promise<T>): Promise<T> {
    const db = this.db;
    return this.call(() => (db ? work(db) : Promise.reject(new EngineError('crashed', 'The query engine is not running.'))));
  }

  /** One call into the worker that fails (instead of hanging) when the engine is stopped. */
  private call<T>(work: (conn: duckdb.AsyncDuckDBConnection) => Promise<T>): Promise<T> {
    const conn = this.conn;
    if (this.stopped || !conn) return Promise.reject(this.stopped ?? new EngineError('crashed', 'The query engine is not running.'));
    return new Promise<T>((resolve, reject) => {
      const onStop = (err: EngineError) => reject(err);
      this.inFlight.add(onStop);
      work(conn).then(
        (value) => {
          this.inFlight.delete(onStop);
          resolve(value);
        },
        (err: unknown) => {
          this.inFlight.delete(onStop);
          const error = this.stopped ?? toEngineError(err);
          // A wasm trap leaves the database unusable: later queries need a fresh engine.
          if (error.code === 'crashed') this.stop(error);
          reject(error);
        },
      );
    });
  }
}

function toEngineError(err: unknown): EngineError {
  // A statement read with send() that failed before its first row says so first: keep the reason.
  const message = (err instanceof Error ? err.message : String(err)).replace(/^Invalid Input Error: Attempting to fetch from an unsuccessful query result\s*Error: /, '');
  if (/RuntimeError|memory access out of bounds|Aborted\(|unreachable executed/i.test(message)) {
    return new EngineError('crashed', `The query engine stopped unexpectedly (${message}).`);
  }
  // Damaged, encrypted or unsupported files, bad text, out of memory: the words of read-errors.ts,
  // shared with `northstar inspect`, instead of the Parquet reader's jargon.
  const failure = describeReadFailure(message);
  if (failure.kind === 'tooLarge') return new EngineError('sql', failure.message, failure);
  // An unreachable source keeps the engine's text unless read-errors.ts found the HTTP status in it.
  if (failure.kind !== 'other' && (failure.kind !== 'unreachable' || failure.detail.startsWith('HTTP '))) return new EngineError('sourceUnreadable', failure.message, failure);
  // 0.9.1 reports any HTTP failure (403, 404, reset) as this opaque text: say what it means instead.
  if (message.includes('WebAssembly.Exception') || /HTTP|IO Error|No magic bytes/i.test(message)) {
    return new EngineError('sourceUnreadable', message);
  }
  return new EngineError('sql', message.replace(/^(Binder|Parser|Catalog|Conversion|Invalid Input) Error: /, '$1 error: '));
}

/**
 * Every batch of a streamed result, as plain rows; an error raised while it streams is thrown. The
 * columns come from the first batch (DuckDB-WASM sends one, empty, for an empty result).
 */
async function readAll(reader: AsyncIterable<Parameters<typeof arrowToRows>[0]>): Promise<QueryResult> {
  const rows: Row[] = [];
  let columns: QueryResult['columns'] | null = null;
  for await (const batch of reader) {
    const part = arrowToRows(batch);
    columns ??= part.columns;
    for (const row of part.rows) rows.push(row);
  }
  return { columns: columns ?? [], rows };
}

/** Convert an Arrow table to plain rows, once, at the engine boundary. */
function arrowToRows(table: {
  schema: { fields: { name: string; type: { toString(): string } }[] };
  toArray(): { toJSON(): Record<string, unknown> }[];
  getChildAt(index: number): { get(row: number): unknown } | null;
}): QueryResult {
  const columns = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
  // A column named "__proto__" (a JSON source's key) is missing from Arrow's row objects and would
  // set the prototype if assigned: it is read from its vector and defined as a property instead.
  const protoColumn = columns.findIndex((c) => c.name === '__proto__');
  const rows = table.toArray().map((r, index) => {
    const obj = r.toJSON();
    const out: Row = {};
    for (const { name } of columns) out[name] = toScalar(obj[name]);
    if (protoColumn >= 0) Object.defineProperty(out, '__proto__', { value: toScalar(table.getChildAt(protoColumn)?.get(index)), enumerable: true, writable: true, configurable: true });
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
