// One DuckDB-WASM engine per window: started on first use, terminated when the page goes away,
// and started afresh after a cancel (which terminates the worker), a crash, or an out-of-memory
// error (to give the memory back).
import { Engine, browserBootstrap } from '../../queries/engine/engine';
import { browserBundles } from '../../queries/engine/browser-bundles';
import { engineStartGate } from './engine-hold';
import { jsonToArrowOffThread } from './json-off-thread';

let starting: Promise<Engine> | null = null;
let current: Engine | null = null;
let listening = false;

/** Called when the engine is started again after it stopped; its in-memory tables are gone. */
export type EngineRestartListener = (reason: 'cancelled' | 'crashed' | 'memory') => void;
let onRestart: EngineRestartListener = () => {};
/** Why the app stopped the current engine itself (a stop the app did not ask for is a crash). */
let stoppedFor: 'cancelled' | 'memory' | null = null;

/** Hear about restarts (the app clears its dataset cache and tells the user). */
export function setEngineRestartListener(listener: EngineRestartListener): void {
  onRestart = listener;
}

/**
 * The window's engine, started once (again after a cancel or a crash). `onWorkerAnswered` is called
 * when a start this call makes has its worker running (not when the engine is ready).
 */
export function getEngine(onWorkerAnswered?: () => void): Promise<Engine> {
  if (current && !current.alive) {
    const reason = stoppedFor ?? 'crashed';
    current = null;
    starting = null;
    stoppedFor = null;
    onRestart(reason);
  }
  if (!starting) {
    // A start held back for a re-open's stored draw (engine-hold.ts) begins when it is released.
    const gate = engineStartGate();
    const memoryLimit = addressMemoryLimit();
    // JSON sources are parsed in a worker of their own, not on the page's thread (json-off-thread.ts).
    const start = () => Engine.start(browserBootstrap(browserBundles(), onWorkerAnswered), { ...(memoryLimit ? { memoryLimit } : {}), jsonToArrow: jsonToArrowOffThread });
    const started = gate ? gate.then(start) : start();
    starting = started;
    started.then(
      (e) => {
        if (starting === started) current = e;
      },
      () => {
        if (starting === started) starting = null;
      },
    );
    if (!listening) {
      listening = true;
      window.addEventListener('pagehide', () => {
        void starting?.then((e) => e.terminate());
        starting = null;
        current = null;
      }, { once: true });
    }
  }
  return starting;
}

/**
 * A cap on the engine's memory from the page's address (`?engineMemoryLimit=32MB`), else none.
 * For trying the out-of-memory paths on small data (e2e/reads-fetched.spec.ts); a value that is
 * not a size fails the engine's start, with a message that says so.
 */
function addressMemoryLimit(): string | null {
  return new URLSearchParams(window.location.search).get('engineMemoryLimit');
}

/**
 * Settles when the engine start under way (if any) has ended, well or not, without starting one.
 * Work nobody waits for (the charts' warm-up) waits for it: in a launch whose compiled wasm is
 * cached, V8 compiles the functions that ran before on every thread of its pool during the start,
 * and a warm-up step of ~15 ms of work then took 104–223 ms (bench/README.md, session 16).
 */
export function engineStartSettled(): Promise<void> {
  const noop = () => {};
  return starting ? starting.then(noop, noop) : Promise.resolve();
}

/**
 * Stop the running query by terminating the worker; the next `getEngine()` starts a new one. An
 * idle engine (a load cancelled while its bytes were still being fetched) is kept, with its start.
 */
export async function cancelEngine(): Promise<void> {
  const engine = current;
  if (!engine?.alive || !engine.busy) return;
  stoppedFor = 'cancelled';
  engine.cancel();
}

/**
 * Stop the engine so that the next `getEngine()` starts a fresh one, whose worker holds only what
 * it loads again. For after an out-of-memory error the engine survived: its worker keeps the memory
 * it grew to, since wasm memory only grows (measured: the renderer held 2.41 GB for as long as it
 * was watched after a SQL preview's). Whatever runs on it fails as cancelled. False when there is no
 * running engine to stop (one that crashed is started afresh anyway).
 */
export function restartEngine(): boolean {
  const engine = current;
  if (!engine?.alive) return false;
  stoppedFor = 'memory';
  engine.cancel();
  return true;
}
