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
    mvp: { mainModule: mvpWasm, mainWorker: mvpWorker },
    eh: { mainModule: ehWasm, mainWorker: ehWorker },
  };
  if (globalThis.crossOriginIsolated !== true) return bundles;
  if (!pthreadShimUrl) {
    // A blob's base URL cannot resolve a relative path: give importScripts an absolute one.
    const absolute = new URL(coiPthreadWorker, globalThis.location.href).href;
    pthreadShimUrl = URL.createObjectURL(new Blob([pthreadShimSource(absolute)], { type: 'text/javascript' }));
  }
  return { ...bundles, coi: { mainModule: coiWasm, mainWorker: coiWorker, pthreadWorker: pthreadShimUrl } };
}
