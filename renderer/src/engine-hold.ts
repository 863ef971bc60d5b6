// The query engine's start, held back while a re-open draws from stored results.
//
// A re-open of a dashboard over unchanged files draws every panel from the results an earlier
// session stored (persisted-results.ts) and needs no engine until they are on screen. Starting the
// engine takes one of this machine's two cores for ~0.4 s (its worker's script, DuckDB's 18 MB wasm
// compiled or read from the code cache, the database opened), and during that time the page's own
// work (the UI's evaluation, the dashboard's render, the charts' first draws) waited for a core:
// in three interleaved pairs at 1M rows, a warm re-open drew all its panels in 397–440 ms instead
// of 598–640 ms with the engine's start moved after the draw (bench/README.md, session 13).
//
// So when the page's launch target drew from stored results last time, the engine's start waits
// until the panels are drawn, until the run finds a dataset whose stored results cannot draw (the
// files changed, none were stored, or a panel has none), or at most ENGINE_HOLD_MAX_MS. A wrong
// guess costs that open ~0.2 s of engine start, never a wrong number: what may draw is decided by
// the run, from the files' versions the host validated.
//
// Kept light (main.tsx imports it before the UI): no imports.

const HINT_KEY = 'northstar.storedDraw';
// Launch targets remembered (most recent first); older ones fall off.
const MAX_HINTS = 20;
/** The longest the engine's start waits for the stored draw. */
export const ENGINE_HOLD_MAX_MS = 1500;

/**
 * A page's launch target from its URL fragment: the `file=` part as written ("" when the page opens
 * the host's own dashboard), null for a start window, which opens nothing.
 */
export function launchKey(hash: string): string | null {
  let file: string | null = null;
  let start = false;
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (part.startsWith('file=') && part.length > 5 && file === null) file = part.slice(5);
    else if (part === 'start') start = true;
  }
  return file ?? (start ? null : '');
}

// Read once, at the page's start: the app may rewrite the fragment later (the session token goes).
const bootKey: string | null = typeof location === 'undefined' ? null : launchKey(location.hash);

function readHints(): string[] {
  try {
    const parsed: unknown = JSON.parse(globalThis.localStorage?.getItem(HINT_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string').slice(0, MAX_HINTS) : [];
  } catch {
    // No storage, or a damaged value: expect nothing.
    return [];
  }
}

/** Whether this page's launch target drew from stored results (or stored them) the last time it opened. */
export function storedDrawExpected(): boolean {
  return bootKey !== null && readHints().includes(bootKey);
}

let launchPath: string | null = null;
let noted: boolean | null = null;

/**
 * Whether a run of `path` is expected to draw from stored results: the launch target's hint, for
 * the page's launch target only (the first dashboard a run reports on); other files, none.
 */
export function storedDrawExpectedFor(path: string): boolean {
  return (launchPath === null || launchPath === path) && storedDrawExpected();
}

/**
 * What a run of `path` learned about its stored results: they can draw (or were just stored for the
 * next open), or a dataset's cannot. Remembered for the page's launch target only, which is the
 * first dashboard a run reports on (the page's own open); other files opened later are not its.
 */
export function noteStoredDraw(path: string, drawable: boolean): void {
  launchPath ??= path;
  if (bootKey === null || path !== launchPath || noted === drawable) return;
  noted = drawable;
  const hints = readHints().filter((k) => k !== bootKey);
  if (drawable) hints.unshift(bootKey);
  try {
    globalThis.localStorage?.setItem(HINT_KEY, JSON.stringify(hints.slice(0, MAX_HINTS)));
  } catch {
    // Storage refused: the next open starts its engine at once, as without a hint.
  }
}

export type EngineReleaseReason = 'drawn' | 'not drawable' | 'held long enough' | 'another run';

let gate: { opened: Promise<void>; open: (reason: EngineReleaseReason) => void } | null = null;

/** Hold the engine's first start until `releaseEngineStart()`, or `maxMs` at most. */
export function holdEngineStart(maxMs: number): void {
  if (gate) return;
  let resolve!: () => void;
  const opened = new Promise<void>((r) => (resolve = r));
  const timer = setTimeout(() => releaseEngineStart('held long enough'), maxMs);
  gate = {
    opened,
    open: (reason) => {
      clearTimeout(timer);
      // For the benchmark and tests: when, and why, the held start went ahead.
      performance.mark('northstar:engine-released', { detail: { reason } });
      resolve();
    },
  };
}

/** Let a held engine start go ahead (nothing when none is held, or it already went). */
export function releaseEngineStart(reason: EngineReleaseReason): void {
  const held = gate;
  if (!held) return;
  gate = null;
  held.open(reason);
}

/** What the engine's start waits for: a held start's release, or nothing. */
export function engineStartGate(): Promise<void> | null {
  return gate?.opened ?? null;
}
