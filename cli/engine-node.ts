// The Node bootstrap of the pinned DuckDB-WASM, for the headless CLI: the same wasm build and the same
// Engine wrapper (settings, Arrow conversion) as the app, so `northstar run` shows the app's numbers.
// Only the worker differs: a worker_threads thread dressed as the Web Worker the duckdb-wasm node
// worker script expects (it talks through globalThis.postMessage / globalThis.onmessage).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import * as duckdb from '@duckdb/duckdb-wasm';
import { EngineError, type EngineBootstrap } from '../queries/engine/engine';

const require = createRequire(import.meta.url);

/** The Node bundles of the pinned package, from node_modules: never downloaded. */
function nodeBundles(): duckdb.DuckDBBundles {
  const dist = (file: string) => require.resolve(`@duckdb/duckdb-wasm/dist/${file}`);
  return {
    mvp: { mainModule: dist('duckdb-mvp.wasm'), mainWorker: dist('duckdb-node-mvp.worker.cjs') },
    eh: { mainModule: dist('duckdb-eh.wasm'), mainWorker: dist('duckdb-node-eh.worker.cjs') },
  };
}

// The thread: the duckdb-wasm node worker script behind a file-system allowlist (see that file).
const THREAD_SCRIPT = fileURLToPath(new URL('./engine-thread.mjs', import.meta.url));

type Listener = (event: { type: string; data?: unknown; message?: string }) => void;

/**
 * The part of the Web Worker interface AsyncDuckDB uses (add/removeEventListener for "message",
 * "error" and "close", postMessage, terminate), over a worker_threads Worker.
 */
class ThreadWorker {
  private readonly thread: Worker;
  private readonly listeners = new Map<string, Set<Listener>>();
  private terminated = false;
  /** Rejects when the thread dies on its own; AsyncDuckDB would otherwise wait forever for its answer. */
  readonly crashed: Promise<never>;

  constructor(script: string, moduleFiles: string[], readable: string[]) {
    // The duckdb-wasm worker logs with console.log, which would land in our stdout (and in --json
    // output): keep the thread's output apart, and show it only when debugging.
    this.thread = new Worker(THREAD_SCRIPT, { workerData: { script, moduleFiles, readable }, stdout: true, stderr: true });
    for (const stream of [this.thread.stdout, this.thread.stderr]) {
      if (process.env.NORTHSTAR_DEBUG) stream.pipe(process.stderr, { end: false });
      else stream.resume();
    }
    this.crashed = new Promise<never>((_, reject) => {
      this.thread.on('error', (err) => reject(new EngineError('crashed', `the query engine crashed: ${err.message}`)));
      this.thread.on('exit', (code) => {
        // On a crash AsyncDuckDB's own "close" handler only warns on the console: the rejection says it.
        if (this.terminated) this.dispatch({ type: 'close' });
        else reject(new EngineError('crashed', `the query engine stopped unexpectedly (exit code ${code})`));
      });
    });
    this.crashed.catch(() => {}); // observed by whoever races it; never an unhandled rejection
    this.thread.on('message', (data: unknown) => this.dispatch({ type: 'message', data }));
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  postMessage(message: unknown, transfer: TransferListItem[] = []): void {
    this.thread.postMessage(message, transfer);
  }

  /** Let the engine open these files (resolved paths); messages keep their order, so later queries see them. */
  allowReading(files: readonly string[]): void {
    this.thread.postMessage({ northstarReadable: [...files] });
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    void this.thread.terminate();
  }

  private dispatch(event: { type: string; data?: unknown }): void {
    for (const listener of this.listeners.get(event.type) ?? []) listener(event);
  }
}

/** The Node bootstrap, with what a CLI needs on top: noticing a dead thread, and ending it for sure. */
export interface NodeEngineBootstrap extends EngineBootstrap {
  /** Rejects if the engine's thread dies while it is in use (its queries would never answer). */
  crashed: Promise<never>;
  /**
   * End the thread whatever state the engine is in (Engine.start can fail after the thread started,
   * and a live thread keeps the process running). Call after Engine.terminate, or instead of it.
   */
  dispose(): void;
  /**
   * Let the engine read these files. It reads nothing else: no other path opens, no folder lists,
   * nothing is written (cli/engine-thread.cjs). Give exact files: expand globs first.
   */
  allowReading(files: readonly string[]): void;
}

/** Start DuckDB-WASM (the pinned package's Node build, eh or mvp wasm) in a worker thread that reads only files allowed with `allowReading`. */
export function nodeBootstrap(): NodeEngineBootstrap {
  let signalCrash: (err: unknown) => void = () => {};
  const crashed = new Promise<never>((_, reject) => {
    signalCrash = reject;
  });
  crashed.catch(() => {});
  const workers: ThreadWorker[] = [];
  // Files allowed before the thread starts go with it; later ones are sent to it.
  const readable = new Set<string>();
  return {
    crashed,
    dispose() {
      for (const worker of workers) worker.terminate();
    },
    allowReading(files) {
      const fresh = files.map((file) => path.resolve(file)).filter((file) => !readable.has(file));
      for (const file of fresh) readable.add(file);
      if (fresh.length > 0) for (const worker of workers) worker.allowReading(fresh);
    },
    async createDatabase(logger) {
      const bundle = await duckdb.selectBundle(nodeBundles());
      if (!bundle.mainWorker) throw new EngineError('crashed', 'no DuckDB worker script for Node');
      const worker = new ThreadWorker(bundle.mainWorker, [bundle.mainModule], [...readable]);
      workers.push(worker);
      worker.crashed.catch(signalCrash);
      // AsyncDuckDB is typed for a DOM Worker; ThreadWorker implements the part of it that it calls.
      const db = new duckdb.AsyncDuckDB(logger, worker as unknown as globalThis.Worker);
      await Promise.race([db.instantiate(bundle.mainModule, bundle.pthreadWorker), worker.crashed]);
      return db;
    },
  };
}
