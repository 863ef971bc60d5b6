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
 * The script each pthread worker of the `coi` build runs. The 1.28.0 pthread worker as shipped
 * cannot start: its own `load` handler runs the Emscripten factory, whose pthread start-up calls a
 * global `startWorker()` that only Emscripten's (overridden, never reached) handler defines, so
 * every thread dies with "startWorker is not defined" and the database never opens (reproduced
 * with the unbundled dist files, no Vite involved). Defining `startWorker` first is all that
 * handler's version did that the pthread needs: tell the main thread the worker is ready. The dist
 * file itself runs unchanged, loaded by `importScripts` from the app's own origin.
 */
function pthreadShimSource(pthreadWorkerUrl: string): string {
  return `self.startWorker = function () { postMessage({ cmd: 'loaded' }); };\nimportScripts(${JSON.stringify(pthreadWorkerUrl)});\n`;
}

let pthreadShimUrl: string | null = null;

/**
 * The script each engine worker runs: the dist worker, unchanged, made to compile DuckDB's wasm
 * from the fetch's own Response so that the browser's wasm code cache can serve it.
 *
 * The 1.28.0 worker, wherever `TransformStream` exists, pipes the wasm's response body through one
 * (to report instantiation progress, which we do not use) and compiles a `new Response(stream)`.
 * A constructed Response has no URL and no cache handler, so the compiled module was never cached:
 * every open, warm or cold, validated and compiled the 18 MB again (measured in a Chromium trace of
 * a re-open: no `v8.wasm.moduleCacheHit`, ~300 ms of compile work on the thread pool). Without
 * `TransformStream` the worker calls `instantiateStreaming(fetch(url))`, which the browser caches
 * once the module has tiered up and reads back on the next open (`wasm.Deserialize`). The shim
 * hides it only until that call, then puts it back, and drops the one warning the worker prints
 * for taking that path.
 */
const NO_PROGRESS_WARNING = 'instantiating without progress handler since transform streams are unavailable';
function mainWorkerShimSource(workerUrl: string): string {
  return `(() => {
  const transformStream = self.TransformStream, warn = console.warn, instantiate = WebAssembly.instantiateStreaming;
  self.TransformStream = undefined;
  console.warn = function (...args) { if (args[0] !== ${JSON.stringify(NO_PROGRESS_WARNING)}) warn.apply(console, args); };
  WebAssembly.instantiateStreaming = function (source, imports) {
    self.TransformStream = transformStream;
    console.warn = warn;
    WebAssembly.instantiateStreaming = instantiate;
    return instantiate.call(WebAssembly, source, imports);
  };
})();
importScripts(${JSON.stringify(workerUrl)});
`;
}

// One blob per worker script and page (a blob URL lives as long as the page).
const mainShims = new Map<string, string>();

/** A blob worker running `workerUrl` behind the shim above (allowed by the CSP's `worker-src blob:`). */
function mainWorkerShim(workerUrl: string): string {
  let url = mainShims.get(workerUrl);
  if (!url) {
    url = URL.createObjectURL(new Blob([mainWorkerShimSource(absolute(workerUrl))], { type: 'text/javascript' }));
    mainShims.set(workerUrl, url);
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
 * retry. coi is only listed when it can be chosen, so its shim (a blob URL, allowed by the CSP's
 * `worker-src blob:`) is made only then, once per page; otherwise duckdb-wasm falls back by itself.
 */
export function browserBundles(): DuckDBBundles {
  const bundles: DuckDBBundles = {
    mvp: { mainModule: absolute(mvpWasm), mainWorker: mainWorkerShim(mvpWorker) },
    eh: { mainModule: absolute(ehWasm), mainWorker: mainWorkerShim(ehWorker) },
  };
  if (globalThis.crossOriginIsolated !== true) return bundles;
  if (!pthreadShimUrl) {
    pthreadShimUrl = URL.createObjectURL(new Blob([pthreadShimSource(absolute(coiPthreadWorker))], { type: 'text/javascript' }));
  }
  return { ...bundles, coi: { mainModule: absolute(coiWasm), mainWorker: mainWorkerShim(coiWorker), pthreadWorker: pthreadShimUrl } };
}
