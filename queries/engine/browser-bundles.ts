// The wasm and worker files of the pinned DuckDB-WASM, bundled by Vite (`?url`): never a CDN.
import type { DuckDBBundles } from '@duckdb/duckdb-wasm';
import mvpWasm from '@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm?url';
import mvpWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-mvp.worker.js?url';
import ehWasm from '@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url';
import ehWorker from '@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js?url';

/**
 * Bundles for browsers with and without wasm exception handling (Chromium picks eh). The threaded
 * `coi` build is left out on purpose: served cross-origin isolated (COOP/COEP) in Chromium 156,
 * its pthread workers fail to start ("startWorker is not defined", measured 2026-11-26; see
 * bench/README.md), and without isolation duckdb-wasm would never pick it anyway.
 */
export const BROWSER_BUNDLES: DuckDBBundles = {
  mvp: { mainModule: mvpWasm, mainWorker: mvpWorker },
  eh: { mainModule: ehWasm, mainWorker: ehWorker },
};
