// The first-start tour: three tips (drill into a chart, the anomaly panel, the data sources), each
// pointing at the real element with a ring. It never blocks: the tips sit in a strip in the page's
// flow (nothing floats over the dashboard or catches a click), the ring lets clicks through, Esc or
// "Skip tour" ends it, and once ended it is never shown again on this machine (localStorage: the
// Electron app's own origin keeps it as the browser host's does).
import { useEffect, useState } from 'react';
import './tour.css';

const DONE_KEY = 'northstar.tour.done';

interface TourStep {
  title: string;
  text: string;
  /** The element the tip is about; a step whose element is not on screen is skipped. */
  anchor: () => Element | null;
}

const STEPS: TourStep[] = [
  {
    title: 'Drill into a chart',
    text: 'Click a bar, slice or point to go one level deeper (region → country → city), zoom into days, or see the rows behind it. Breadcrumbs lead back.',
    anchor: () => document.querySelector('.panel-chart'),
  },
  {
    title: 'See where the data is wrong',
    text: 'The anomaly panel lists the data checks: duplicates, misspellings, gaps and jumps, with example rows when you expand one.',
    anchor: () => document.querySelector('.panel-anomaly'),
  },
  {
    title: 'Where the numbers come from',
    text: 'Data sources shows every file or S3 object the dashboard reads, its rows and columns, and lets you add your own data.',
    anchor: () => Array.from(document.querySelectorAll('.topbar button')).find((b) => b.textContent?.startsWith('Data sources')) ?? null,
  },
];

/** Whether the tour was finished or skipped on this machine. */
export function tourDone(): boolean {
  try {
    return localStorage.getItem(DONE_KEY) === '1';
  } catch {
    // No storage (a locked-down profile): never nag.
    return true;
  }
}

function markTourDone(): void {
  try {
    localStorage.setItem(DONE_KEY, '1');
  } catch {
    // Nothing to remember it in; the tour is closed for this page anyway.
  }
}

export function Tour() {
  const [step, setStep] = useState<number | null>(() => (tourDone() ? null : 0));
  const [ring, setRing] = useState<DOMRect | null>(null);

  const end = () => {
    markTourDone();
    setStep(null);
  };

  // Esc ends the tour; it does not stop the key (Esc also clears a click filter, say).
  useEffect(() => {
    if (step === null) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') end();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [step]);

  // The ring follows its element: at once on scroll and resize (it is position: fixed, so a stale
  // place shows as a ring beside the panel), and every 250 ms for layout changes while the page loads.
  useEffect(() => {
    if (step === null) return;
    let timer = 0;
    let frame = 0;
    let first = 0;
    const measure = () => {
      const el = STEPS[step]?.anchor();
      const rect = el?.getBoundingClientRect() ?? null;
      setRing((old) => (old && rect && old.x === rect.x && old.y === rect.y && old.width === rect.width && old.height === rect.height ? old : rect));
    };
    const poll = () => {
      measure();
      timer = window.setTimeout(poll, 250);
    };
    const onMove = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(measure);
    };
    // The first measure waits for the next frame, which lays the page out anyway: measured at once,
    // it forced the new dashboard's first layout (~20 ms) inside the task that rendered it.
    // (Its own handle: a scroll before that frame must not cancel the polling with it.)
    first = requestAnimationFrame(poll);
    window.addEventListener('scroll', onMove, { capture: true, passive: true });
    window.addEventListener('resize', onMove, { passive: true });
    return () => {
      window.clearTimeout(timer);
      cancelAnimationFrame(first);
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', onMove, { capture: true });
      window.removeEventListener('resize', onMove);
    };
  }, [step]);

  if (step === null) return null;
  const current = STEPS[step] as TourStep;
  const last = step === STEPS.length - 1;
  return (
    <>
      <section className="tour" role="region" aria-label="Tour" data-testid="tour">
        <span className="tour-count">
          Tip {step + 1} of {STEPS.length}
        </span>
        <strong>{current.title}.</strong> <span className="tour-text">{current.text}</span>
        <span className="tour-actions">
          {step > 0 && (
            <button type="button" onClick={() => setStep(step - 1)}>
              Previous tip
            </button>
          )}
          <button type="button" className="primary" onClick={() => (last ? end() : setStep(step + 1))}>
            {last ? 'Done' : 'Next tip'}
          </button>
          <button type="button" className="ghost" onClick={end}>
            Skip tour
          </button>
        </span>
      </section>
      {ring && <div className="tour-ring" aria-hidden="true" style={{ left: ring.x - 4, top: ring.y - 4, width: ring.width + 8, height: ring.height + 8 }} />}
    </>
  );
}
