// The CI smoke check of the benchmark harness (`npm run test:bench`): one small run must complete
// and report numbers. It asserts nothing about speed: figures on a shared CI machine mean little.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROWS = '200000';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-bench-smoke-'));
const out = path.join(dir, 'bench.json');
try {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'run.ts'), '--rows', ROWS, '--json', out], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) fail(`the benchmark exited with ${String(run.status ?? run.signal)}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    rows: unknown;
    dashboard_open?: { ratio?: unknown };
    interactions?: { p50_ms?: unknown; p95_ms?: unknown };
    steps?: { name: string; ratio: unknown }[];
    s3?: { requests?: unknown; bytes?: unknown; needed_bytes?: unknown };
  };
  const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (report.rows !== Number(ROWS)) fail(`rows is ${String(report.rows)}, not ${ROWS}`);
  if (!isNumber(report.dashboard_open?.ratio)) fail(`dashboard_open.ratio is not a number: ${String(report.dashboard_open?.ratio)}`);
  if (!isNumber(report.interactions?.p50_ms) || !isNumber(report.interactions?.p95_ms)) fail('interaction percentiles are not numbers');
  const steps = report.steps ?? [];
  if (steps.length === 0) fail('no steps were measured');
  const compared = steps.filter((s) => s.ratio !== null);
  if (compared.length === 0 || !compared.every((s) => isNumber(s.ratio))) fail(`step ratios are not numbers: ${JSON.stringify(steps)}`);
  if (![report.s3?.requests, report.s3?.bytes, report.s3?.needed_bytes].every(isNumber)) fail('S3 figures are not numbers');
  console.log(`bench smoke: completed; open ratio ${String(report.dashboard_open?.ratio)}, ${compared.length} step ratios are numbers`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function fail(message: string): never {
  console.error(`bench smoke FAILED: ${message}`);
  process.exit(1);
}
