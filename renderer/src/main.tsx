// The entry point: start the query engine first, then load the UI. The engine's worker fetches and
// compiles DuckDB's wasm (18 MB) on its own thread while the main thread parses and runs the UI
// bundle, so a cold open pays for the slower of the two instead of their sum. The first
// `getEngine()` of the open action gets this same start.
import { getEngine } from './engine';

getEngine().catch(() => {
  // A failed start is reported by the first action that needs the engine (it starts it again).
});
// And, while the UI loads, read the launch's dashboard and start fetching its data (head-start.ts).
void Promise.all([import('./host'), import('./head-start')])
  .then(([{ connectHost }, { startHeadStart }]) => startHeadStart(connectHost()))
  .catch(() => {
    // Without a head start the open action does all of it, as before.
  });
void import('./boot');
