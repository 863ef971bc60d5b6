// When a run's panels are all on screen. The app notes each run as its last panel is drawn (app.tsx,
// AllPanelsDrawnMark); work that must not share the machine with a run's drawing waits for it: the
// next clicks computed ahead (dashboard-actions.ts). Measured at 5M rows, a click answered from the
// result cache started its first statement ahead while two of its three charts were still to draw,
// and the engine's work on the other core slowed their draws.
//
// No imports: the actions and the app both use it.

let drawnUpTo = 0;
const waiting = new Set<{ runId: number; resolve: () => void }>();

/** Every panel of run `runId` is drawn. */
export function noteRunDrawn(runId: number): void {
  drawnUpTo = Math.max(drawnUpTo, runId);
  for (const w of waiting) {
    if (w.runId > drawnUpTo) continue;
    waiting.delete(w);
    w.resolve();
  }
}

/**
 * Resolves once run `runId` or a later one is drawn, or after `maxMs` (a run nobody draws to the
 * end: a newer one began first and is still drawing, or no window shows it).
 */
export function whenRunDrawn(runId: number, maxMs: number): Promise<void> {
  if (runId <= drawnUpTo) return Promise.resolve();
  return new Promise((resolve) => {
    const entry = {
      runId,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    };
    const timer = setTimeout(() => {
      waiting.delete(entry);
      resolve();
    }, maxMs);
    waiting.add(entry);
  });
}
