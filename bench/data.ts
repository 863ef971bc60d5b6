// The benchmark's data: the demo `orders` generator at N rows, cached by row count under
// bench/.cache/ (git-ignored), because a 5M-row file takes over a minute to generate.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOrdersParquet } from '../cli/demo-data';
import { loadDashboard } from '../dashboards/document';
import { contentHashOf } from '../electron/services/host-services';
import { TrustStore } from '../electron/services/trust-store';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = path.join(BENCH_DIR, '.cache');

/** The cached orders file with `rows` distinct orders, generated on first use. */
export async function ensureOrders(rows: number, log: (line: string) => void): Promise<{ path: string; bytes: number }> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `orders-${rows}.parquet`);
  if (!existsSync(file)) {
    log(`generating ${rows} orders into ${path.relative(process.cwd(), file)} (cached for later runs)…`);
    // The generator writes a temp file and renames it, so an interrupted run leaves no half file here.
    await generateOrdersParquet({ rows, out: file });
  }
  return { path: file, bytes: statSync(file).size };
}

/**
 * Trust the dashboard file at `dashboardPath` in the home `home`, as the app does for a dashboard
 * its user saved: its declared sources are then read without asking, from the host's start on.
 */
export async function trustDashboard(home: string, dashboardPath: string): Promise<void> {
  const loaded = loadDashboard(readFileSync(dashboardPath, 'utf8'));
  if (!loaded.ok) throw new Error(`${dashboardPath}: ${loaded.error.message}`);
  await new TrustStore(home).add(contentHashOf(loaded.dashboard));
}
