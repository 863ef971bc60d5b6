// One DuckDB-WASM engine per window: started on first use, terminated when the page goes away.
import { Engine, browserBootstrap } from '../../queries/engine/engine';
import { BROWSER_BUNDLES } from '../../queries/engine/browser-bundles';

let starting: Promise<Engine> | null = null;

/** The window's engine, started once. */
export function getEngine(): Promise<Engine> {
  if (!starting) {
    starting = Engine.start(browserBootstrap(BROWSER_BUNDLES));
    starting.catch(() => {
      starting = null;
    });
    window.addEventListener('pagehide', () => {
      void starting?.then((e) => e.terminate());
      starting = null;
    }, { once: true });
  }
  return starting;
}
