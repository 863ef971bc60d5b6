// Cross-origin isolation (threads for DuckDB-WASM), off by default since the threaded build was not
// kept: switched on, both hosts send COOP/COEP/CORP on every renderer response, and the data gateway
// (another origin) stays readable by an isolated page through CORS.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost } from './browser-host/server';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './services/csp';
import { buildContentSecurityPolicy, createAppProtocolHandler } from './window-security';

let base: string;
let rendererDir: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'northstar-coi-'));
  rendererDir = path.join(base, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Northstar</title>');
  await writeFile(path.join(rendererDir, 'assets', 'duckdb-browser-coi.worker.js'), 'self.onmessage = () => {};');
  await writeFile(path.join(rendererDir, 'assets', 'duckdb-coi.wasm'), new Uint8Array([0, 97, 115, 109]));
  await writeFile(path.join(base, 'data.csv'), 'a\n1\n');
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const ISOLATED = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

function isolationOf(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(Object.keys(ISOLATED).map((name) => [name, headers.get(name)]));
}

describe('the isolation headers', () => {
  it('are exactly COOP same-origin, COEP require-corp and CORP same-origin', () => {
    expect(Object.fromEntries(Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS).map(([k, v]) => [k.toLowerCase(), v]))).toEqual(ISOLATED);
  });
});

const NOT_ISOLATED = { 'cross-origin-opener-policy': null, 'cross-origin-embedder-policy': null, 'cross-origin-resource-policy': null };

describe('the Electron protocol handler', () => {
  const csp = buildContentSecurityPolicy('http://127.0.0.1:45678');

  it('does not isolate by default', async () => {
    const res = await createAppProtocolHandler({ rendererDir, csp })(new Request('app://northstar/'));
    expect(res.status).toBe(200);
    expect(isolationOf(res.headers)).toEqual(NOT_ISOLATED);
  });

  it('switched on, isolates the index, the workers, the wasm and even a 404 or 405', async () => {
    const handler = createAppProtocolHandler({ rendererDir, csp, crossOriginIsolation: true });
    for (const url of ['app://northstar/', 'app://northstar/assets/duckdb-browser-coi.worker.js', 'app://northstar/assets/duckdb-coi.wasm', 'app://northstar/nope.js']) {
      const res = await handler(new Request(url));
      expect(isolationOf(res.headers), url).toEqual(ISOLATED);
    }
    const post = await handler(new Request('app://northstar/', { method: 'POST', body: 'x' }));
    expect(post.status).toBe(405);
    expect(isolationOf(post.headers)).toEqual(ISOLATED);
  });
});

describe('the browser host', () => {
  it('serves the renderer not isolated by default, and isolated when told so', async () => {
    for (const [option, expected] of [
      [undefined, NOT_ISOLATED],
      [false, NOT_ISOLATED],
      [true, ISOLATED],
    ] as const) {
      const host = await startBrowserHost({ rendererDir, homeDir: path.join(base, 'home'), ...(option === undefined ? {} : { crossOriginIsolation: option }) });
      try {
        for (const file of ['/', '/assets/duckdb-browser-coi.worker.js', '/assets/duckdb-coi.wasm']) {
          const res = await fetch(`${host.origin}${file}`);
          expect(res.status, file).toBe(200);
          expect(isolationOf(res.headers), `${String(option)} ${file}`).toEqual(expected);
        }
      } finally {
        await host.close();
      }
    }
  });

  it('NORTHSTAR_CROSS_ORIGIN_ISOLATION=on turns isolation on (A/B benchmarks); the option overrides it', async () => {
    process.env.NORTHSTAR_CROSS_ORIGIN_ISOLATION = 'on';
    try {
      const host = await startBrowserHost({ rendererDir, homeDir: path.join(base, 'home') });
      const off = await startBrowserHost({ rendererDir, homeDir: path.join(base, 'home'), crossOriginIsolation: false });
      try {
        expect(isolationOf((await fetch(`${host.origin}/`)).headers)).toEqual(ISOLATED);
        expect(isolationOf((await fetch(`${off.origin}/`)).headers)).toEqual(NOT_ISOLATED);
      } finally {
        await off.close();
        await host.close();
      }
    } finally {
      delete process.env.NORTHSTAR_CROSS_ORIGIN_ISOLATION;
    }
  });

  it('lets the isolated page read the data gateway through CORS (COEP accepts a CORS-approved response)', async () => {
    const host = await startBrowserHost({ rendererDir, homeDir: path.join(base, 'home'), crossOriginIsolation: true });
    try {
      host.gateway.allowFolder(base);
      const url = host.gateway.addLocalFile(path.join(base, 'data.csv'));
      const res = await fetch(url, { headers: { origin: host.origin, range: 'bytes=0-1' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('access-control-allow-origin')).toBe(host.origin);
      expect(await res.text()).toBe('a\n');
    } finally {
      await host.close();
    }
  });
});
