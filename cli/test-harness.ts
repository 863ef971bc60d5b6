// Running the real `northstar` bin from the CLI tests, the way scripts and CI run it: a child process
// per run, at most two engine runs at a time (one engine thread each keeps two cores busy). Also the
// fixture of the tests of reads over HTTP: a local server and the pinned engine's Node build.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Engine } from '../queries/engine/engine';
import { nodeBootstrap, type NodeEngineBootstrap } from './engine-node';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'cli/northstar.mjs');
export const DEMO = path.join(ROOT, 'dashboards/examples/customer-kpis.dashboard.json');
export const DEMO_PARQUET = path.join(ROOT, 'dashboards/examples/data/orders.parquet');

export type Run = { status: number | null; stdout: string; stderr: string; ms: number };

const MAX_PARALLEL_RUNS = 2;
let running = 0;
const queue: (() => void)[] = [];

/** What a test file's runs share: a timeout per run, and environment variables on top of ours. */
export interface BinOptions {
  timeoutMs: number;
  env?: Record<string, string>;
}

/**
 * A runner of the bin. `light` runs (usage errors, unreadable files, refusals before the engine
 * starts) skip the queue.
 */
export function binRunner(opts: BinOptions): (args: string[], light?: boolean) => Promise<Run> {
  return async (args, light = false) => {
    if (light) return spawnBin(args, opts);
    if (running >= MAX_PARALLEL_RUNS) await new Promise<void>((resolve) => queue.push(resolve));
    running += 1;
    try {
      return await spawnBin(args, opts);
    } finally {
      running -= 1;
      queue.shift()?.();
    }
  };
}

function spawnBin(args: string[], opts: BinOptions): Promise<Run> {
  const env = { ...process.env, ...opts.env };
  delete env.NORTHSTAR_DEBUG;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: opts.timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - started }));
  });
}

/** No stack traces, whatever happened. */
export function expectNoStack(r: Run): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).not.toMatch(/^\s+at /m);
}

/** The fields every dashboard file needs, for tests that write their own small dashboards. */
export function dashboardEnvelope(id: string, title: string): Record<string, unknown> {
  return {
    type: 'northstar.dashboard',
    schemaVersion: 2,
    id,
    title,
    owner: '',
    description: '',
    timeRange: { anchor: 'data', lastDays: 30 },
    filters: [],
    views: [],
    corrections: [],
  };
}

/** A local HTTP server and an engine (the pinned package's Node build) for a test file; `close` ends both. */
export interface ServedEngine {
  /** The server's origin, e.g. http://127.0.0.1:40123 */
  base: string;
  boot: NodeEngineBootstrap;
  engine: Engine;
  close(): Promise<void>;
}

/** Serve `handler` on 127.0.0.1 and start an engine that may read the `readable` files. */
export async function serveWithEngine(handler: http.RequestListener, readable: readonly string[] = []): Promise<ServedEngine> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const boot = nodeBootstrap();
  if (readable.length > 0) boot.allowReading(readable);
  const engine = await Engine.start(boot);
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    boot,
    engine,
    async close() {
      server.closeAllConnections();
      server.close();
      await engine.terminate();
      boot.dispose();
    },
  };
}
