// The wasm and worker files of the pinned DuckDB-WASM, bundled by Vite (`?url`): never a CDN.
import type { DuckDBBundles } from '@duckdb/duckdb-wasm';
import mvpWasm from '@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm?url';
import mvpWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-mvp.worker.js?url';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import ehWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js?url';
import coiWasm from '@duckdb/duckdb-wasm/dist/duckdb-coi.wasm?url';
import coiWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-coi.worker.js?url';
import coiPthreadWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-coi.pthread.worker.js?url';

/**
 * What each pthread worker of the `coi` build runs first. The 1.28.0 pthread worker as shipped
 * cannot start: its own `load` handler runs the Emscripten factory, whose pthread start-up calls a
 * global `startWorker()` that only Emscripten's (overridden, never reached) handler defines, so
 * every thread dies with "startWorker is not defined" and the database never opens (reproduced
 * with the unbundled dist files, no Vite involved). Defining `startWorker` first is all that
 * handler's version did that the pthread needs: tell the main thread the worker is ready.
 */
const PTHREAD_PRELUDE = `self.startWorker = function () { postMessage({ cmd: 'loaded' }); };`;

/**
 * What each engine worker runs first, so that it compiles DuckDB's wasm from the fetch's own
 * Response and the browser's wasm code cache can serve it.
 *
 * The 1.28.0 worker, wherever `TransformStream` exists, pipes the wasm's response body through one
 * (to report instantiation progress, which we do not use) and compiles a `new Response(stream)`.
 * A constructed Response has no URL and no cache handler, so the compiled module was never cached:
 * every open, warm or cold, validated and compiled the 18 MB again (measured in a Chromium trace of
 * a re-open: no `v8.wasm.moduleCacheHit`, ~300 ms of compile work on the thread pool). Without
 * `TransformStream` the worker calls `instantiateStreaming(fetch(url))`, which the browser caches
 * once the module has tiered up and reads back on the next open (`wasm.Deserialize`). The prelude
 * hides it only until that call, then puts it back, and drops the one warning the worker prints
 * for taking that path.
 */
const NO_PROGRESS_WARNING = 'instantiating without progress handler since transform streams are unavailable';
const MAIN_WORKER_PRELUDE = `(() => {
  const transformStream = self.TransformStream, warn = console.warn, instantiate = WebAssembly.instantiateStreaming;
  self.TransformStream = undefined;
  console.warn = function (...args) { if (args[0] !== ${JSON.stringify(NO_PROGRESS_WARNING)}) warn.apply(console, args); };
  WebAssembly.instantiateStreaming = function (source, imports) {
    self.TransformStream = transformStream;
    console.warn = warn;
    WebAssembly.instantiateStreaming = instantiate;
    return instantiate.call(WebAssembly, source, imports);
  };
})();`;

// One blob per shim and page (a blob URL lives as long as the page).
const shims = new Map<string, string>();

/**
 * A worker script (a blob URL, allowed by the CSP's `worker-src blob:`) that runs `prelude`, then
 * the dist file at `workerUrl`, unchanged, loaded by `importScripts` from the app's own origin.
 */
function shimmed(prelude: string, workerUrl: string): string {
  const source = `${prelude}\nimportScripts(${JSON.stringify(absolute(workerUrl))});\n`;
  let url = shims.get(source);
  if (!url) {
    url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    shims.set(source, url);
  }
  return url;
}

/** A blob's base URL cannot resolve a relative path: the worker gets absolute ones. */
function absolute(url: string): string {
  return new URL(url, globalThis.location.href).href;
}

/**
 * The bundles for this page: `eh` in Chromium, `mvp` for browsers without wasm exceptions, and the
 * threaded `coi` build only when the page is cross-origin isolated. Isolation is off by default in
 * both hosts, so the app runs `eh`: with the shim below coi starts and its in-memory queries are
 * right, but in 1.28.0 its pthreads crash on HTTP reads (scan mode: "memory access out of bounds",
 * then aborted range requests), and on this shared 2-core machine it was not reliably faster;
 * numbers and details in bench/README.md "Threads". `NORTHSTAR_CROSS_ORIGIN_ISOLATION=on` (browser host) turns it on to
 * retry. coi is only listed when it can be chosen, so its shims are made only then; otherwise
 * duckdb-wasm falls back by itself.
 */
export function browserBundles(): DuckDBBundles {
  const bundles: DuckDBBundles = {
    mvp: { mainModule: absolute(mvpWasm), mainWorker: shimmed(MAIN_WORKER_PRELUDE, mvpWorker) },
    eh: { mainModule: absolute(ehWasm), mainWorker: shimmed(MAIN_WORKER_PRELUDE, ehWorker) },
  };
  if (globalThis.crossOriginIsolated !== true) return bundles;
  return { ...bundles, coi: { mainModule: absolute(coiWasm), mainWorker: shimmed(MAIN_WORKER_PRELUDE, coiWorker), pthreadWorker: shimmed(PTHREAD_PRELUDE, coiPthreadWorker) } };
}
