// The entry point: set React DOM up, start the query engine, then load the UI. The engine's worker
// fetches and compiles DuckDB's wasm (18 MB) on its own thread while the main thread parses and runs
// the UI bundle, so a cold open pays for the slower of the two instead of their sum. The first
// `getEngine()` of the open action gets this same start.
//
// The UI waits (at most BOOT_HOLD_MS) until the worker runs and has taken its first message.
// Starting a worker, and handing it messages posted before its script ran, take turns on this
// thread: measured in a cold open at 5M rows, the UI bundle's evaluation (~250 ms) and first render
// (~160 ms) held the worker's start and its first message back by ~400 ms, and the engine is what
// the first paint waits for.
//
// Except on a re-open that will draw from stored results (engine-hold.ts): then the UI loads at
// once and the engine starts when the panels are drawn.
import { getEngine } from './engine';
import { ENGINE_HOLD_MAX_MS, holdEngineStart, storedDrawExpected } from './engine-hold';
import { sessionToken } from './session-token';

const BOOT_HOLD_MS = 400;

let booted = false;
function boot(reason: 'worker running' | 'held long enough' | 'engine failed' | 'engine held'): void {
  if (booted) return;
  booted = true;
  performance.mark('northstar:ui-boot', { detail: { reason } });
  loadUi().catch((err: unknown) => {
    // A chunk that cannot be loaded (files replaced by an update, a broken install): say so
    // instead of leaving an empty window.
    const root = document.getElementById('root');
    if (root && !root.hasChildNodes()) {
      root.setAttribute('role', 'alert');
      root.textContent = `Northstar could not load its window (${err instanceof Error ? err.message : String(err)}). Reload the window; if that does not help, reinstall the app.`;
    }
  });
}

// The UI in stages, each imported only when the one before it has run, so each is evaluated in a
// task of its own (one module graph evaluates in one task, and a task over 50 ms is a moment the
// window does not answer). Measured in a cold open at 5M rows, the UI as one import was one task of
// 107–160 ms; in stages each does 5–17 ms of work: React, zod's modules (zod-stage.ts), the
// document schema in two halves, the host API's schemas, the query runner, the data checks, the
// grid layout library, then the app (the app alone was 517 KB minified and a task of 57 ms in a
// cold open at 5M rows; 299 KB without the last three). Building zod schemas is
// most of a schema's cost: the schema in one stage was 13–20 ms of work, and a task of 51–81 ms in
// 4 of 20 first launches at 5M rows (DuckDB's wasm compiles meanwhile, on two cores).
const UI_STAGES: [name: string, load: () => Promise<unknown>][] = [
  ['react', () => import('react-dom/client')],
  ['zod', () => import('./zod-stage')],
  ['dataset schema', () => import('../../dashboards/dataset-schema')],
  ['document schema', () => import('../../dashboards/schema')],
  ['host schemas', () => import('../../electron/api/host-api')],
  ['queries', () => import('../../queries/dashboard-runner')],
  ['checks', () => import('../../queries/checks/index')],
  ['grid layout', () => import('react-grid-layout')],
];

async function loadUi(): Promise<void> {
  for (const [name, load] of UI_STAGES) {
    await load();
    performance.mark('northstar:ui-stage', { detail: name });
  }
  await import('./boot');
}

/**
 * A re-open that draws from stored results needs ECharts as soon as the host answers. Its chunks
 * (listed by the build in index.html's `northstar-charts`) are module-preloaded now: fetched and
 * compiled, not run, while the UI boots. They carry V8's compile hint (build/compile-hints.mjs),
 * so each one is compiled whole, off this thread, before it can run: asked for at the open, as on a
 * cold open, the charts waited for those compiles (a re-open ~70 ms later, eight interleaved pairs
 * at 5M rows). One at a time, each once the one before has loaded: preloaded together, their
 * compiles took both cores, and the UI's boot had a task of 50–78 ms in 13 of 20 re-opens (none in
 * seven one at a time).
 */
function preloadCharts(): void {
  const hrefs = (document.querySelector<HTMLMetaElement>('meta[name="northstar-charts"]')?.content ?? '').split(' ').filter(Boolean);
  const next = () => {
    const href = hrefs.shift();
    if (!href) return;
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.crossOrigin = '';
    link.href = href;
    link.onload = next;
    link.onerror = next;
    document.head.append(link);
  };
  next();
}

if (storedDrawExpected()) {
  holdEngineStart(ENGINE_HOLD_MAX_MS);
  preloadCharts();
  boot('engine held');
} else {
  // React DOM's set-up first, in a task of its own before the worker starts: once DuckDB's wasm
  // compiled on the other core, that one task was 50–85 ms long, in 3 of 4 cold opens at 5M rows
  // (and in 0 of 4 with it first, the open no slower: 2.08–2.80 s against 2.37–2.72 s, bench/run.ts).
  void import('react-dom/client')
    .catch(() => {})
    .then(() => {
      getEngine(() => boot('worker running')).catch(() => {
        // A failed start is reported by the first action that needs the engine (it starts it again).
        boot('engine failed');
      });
      setTimeout(() => boot('held long enough'), BOOT_HOLD_MS);
    });
}
// One-time costs of the page, each in a task of its own after the worker's start was asked for,
// instead of inside the UI's evaluation: the first storage access (~15 ms) and the first number
// format, which loads the locale data (12–45 ms measured; format.ts makes its formats at load).
setTimeout(sessionToken, 0);
setTimeout(() => new Intl.NumberFormat('en-US').format(0), 0);
