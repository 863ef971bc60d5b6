import { describe, expect, it, vi } from 'vitest';
import { noteRunDrawn, whenRunDrawn } from './drawn-runs';

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
};

describe('whenRunDrawn', () => {
  it('waits for its run, or a later one, to be drawn, and at most maxMs', async () => {
    vi.useFakeTimers();
    try {
      const clicked = whenRunDrawn(102, 2000);
      const later = whenRunDrawn(104, 2000);
      noteRunDrawn(101);
      expect(await settled(clicked)).toBe(false);
      // A later run drawn ends the wait of one before it (another click came before it drew).
      noteRunDrawn(103);
      expect(await settled(clicked)).toBe(true);
      expect(await settled(later)).toBe(false);
      // Drawn already: no wait.
      expect(await settled(whenRunDrawn(103, 2000))).toBe(true);
      // A run nobody draws: the wait ends after maxMs.
      await vi.advanceTimersByTimeAsync(1999);
      expect(await settled(later)).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await settled(later)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
