// The entry point: start the query engine first, then load the UI. The engine's worker fetches and
// compiles DuckDB's wasm (18 MB) on its own thread while the main thread parses and runs the UI
// bundle, so a cold open pays for the slower of the two instead of their sum. The first
// `getEngine()` of the open action gets this same start.
//
// The UI waits (at most BOOT_HOLD_MS) until the worker runs and has taken its first message.
// Starting a worker, and handing it messages posted before its script ran, take turns on this
// thread: measured in a cold open at 5M rows, the UI bundle's evaluation (~250 ms) and first render
// (~160 ms) held the worker's start and its first message back by ~400 ms, and the engine is what
// the first paint waits for.
import { getEngine } from './engine';

const BOOT_HOLD_MS = 400;

let booted = false;
function boot(reason: 'worker running' | 'held long enough' | 'engine failed'): void {
  if (booted) return;
  booted = true;
  performance.mark('northstar:ui-boot', { detail: { reason } });
  void import('./boot');
}

getEngine(() => boot('worker running')).catch(() => {
  // A failed start is reported by the first action that needs the engine (it starts it again).
  boot('engine failed');
});
setTimeout(() => boot('held long enough'), BOOT_HOLD_MS);
