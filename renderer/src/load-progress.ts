// The words of a dataset's load progress, shared by the panels and the Datasets drawer.
import type { LoadProgress } from '../../queries/dashboard-runner';

const MB = 1024 * 1024;

/** Megabytes with a decimal only where it says something (under 10 MB). */
function megabytes(bytes: number): string {
  const mb = bytes / MB;
  return mb < 10 ? mb.toFixed(1) : String(Math.round(mb));
}

/** "about 2 s left", "about 1 min left", or nothing while the rate is unknown. */
function timeLeft(ms: number | null): string {
  if (ms === null) return '';
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds < 90 ? ` · about ${seconds} s left` : ` · about ${Math.round(seconds / 60)} min left`;
}

/**
 * "Loading orders: 23 of 62 MB · about 2 s left", then "Reading 5,000,000 rows…"; a CSV "Loading
 * orders: 64 of 449 MB · 712,430 rows · about 9 s left"; a JSON file, once fetched, "Reading
 * orders: 120 of 224 MB · 540,000 rows · about 4 s left".
 */
export function loadProgressText(name: string, progress: LoadProgress): string {
  if (progress.phase === 'fetching') {
    // Every byte in (the engine is being handed them): no time left to guess.
    const left = progress.bytesDone >= progress.bytesTotal ? '' : timeLeft(progress.etaMs);
    // A CSV read into memory as it downloads counts its rows too.
    const rows = progress.rowsDone ? ` · ${progress.rowsDone.toLocaleString('en-US')} rows` : '';
    return `Loading ${name}: ${megabytes(progress.bytesDone)} of ${megabytes(progress.bytesTotal)} MB${rows}${left}`;
  }
  // A JSON source parsed: how much of it, and the rows so far.
  if (progress.bytesDone !== undefined) {
    const left = progress.bytesDone >= progress.bytesTotal ? '' : timeLeft(progress.etaMs ?? null);
    return `Reading ${name}: ${megabytes(progress.bytesDone)} of ${megabytes(progress.bytesTotal)} MB · ${(progress.rowsDone ?? 0).toLocaleString('en-US')} rows${left}`;
  }
  return progress.rowsTotal === null ? `Reading ${name}…` : `Reading ${progress.rowsTotal.toLocaleString('en-US')} rows…`;
}
