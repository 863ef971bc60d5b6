// The entry point: start the query engine first, then load the UI. The engine's worker fetches and
// compiles DuckDB's wasm (18 MB) on its own thread while the main thread parses and runs the UI
// bundle, so a cold open pays for the slower of the two instead of their sum. The first
// `getEngine()` of the open action gets this same start.
import { getEngine } from './engine';

getEngine().catch(() => {
  // A failed start is reported by the first action that needs the engine (it starts it again).
});
void import('./boot');
