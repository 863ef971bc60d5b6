// The browser host: the same renderer and the same typed host API as the Electron app, served to
// a normal browser on 127.0.0.1. The API is POST /api/<method> with a per-launch token.
import http from 'node:http';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BROWSER_HOST_TOKEN_HEADER, dispatchHostCall, HostError, type HostApi, type HostReply } from '../api/host-api';
import { APP_ROOT, createHostServices, DEMO_DASHBOARD_PATH } from '../services/host-services';
import { DataGateway } from '../services/data-gateway';
import { buildCsp, CROSS_ORIGIN_ISOLATION_HEADERS } from '../services/csp';

export interface BrowserHostOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Folder of the built renderer (index.html). */
  rendererDir?: string;
  /** Dashboard opened at start instead of the demo. */
  dashboardPath?: string;
  appVersion?: string;
  /** Where this machine's Northstar state lives (trusted dashboards); default ~/.northstar. */
  homeDir?: string;
  /** Overrides the renderer's memory budget for one dataset load, in bytes (tests of scan mode). */
  memoryBudgetBytes?: number;
  /**
   * Serve the renderer cross-origin isolated, so DuckDB-WASM runs its threaded `coi` build. Off by
   * default (the single-threaded `eh` build: coi was not kept, see bench/README.md "Threads");
   * on with this option or NORTHSTAR_CROSS_ORIGIN_ISOLATION=on, for A/B benchmarks and retrials.
   */
  crossOriginIsolation?: boolean;
}

export interface BrowserHost {
  /** The URL to open, token included. */
  url: string;
  origin: string;
  token: string;
  gateway: DataGateway;
  services: HostApi;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 21 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** Start the browser host: data gateway, host services, and the HTTP server for renderer + API. */
export async function startBrowserHost(opts: BrowserHostOptions = {}): Promise<BrowserHost> {
  const rendererDir = path.resolve(opts.rendererDir ?? path.join(APP_ROOT, 'out', 'renderer'));
  try {
    await fs.access(path.join(rendererDir, 'index.html'));
  } catch {
    throw new Error(`The renderer is not built (no ${path.join(rendererDir, 'index.html')}): run npm run build:renderer first.`);
  }
  const token = randomBytes(24).toString('base64url');
  const gateway = await DataGateway.start();
  const services = createHostServices({
    host: 'browser',
    appVersion: opts.appVersion ?? '0.0.0',
    gateway,
    defaultDashboardPath: opts.dashboardPath,
    probeSourcesOf: opts.dashboardPath ?? DEMO_DASHBOARD_PATH,
    homeDir: opts.homeDir,
    ...(opts.memoryBudgetBytes !== undefined ? { memoryBudgetBytes: opts.memoryBudgetBytes } : {}),
  });
  const csp = buildCsp(gateway.origin);
  const isolated = opts.crossOriginIsolation ?? process.env.NORTHSTAR_CROSS_ORIGIN_ISOLATION === 'on';
  const isolation = isolated ? CROSS_ORIGIN_ISOLATION_HEADERS : {};

  let port = 0;
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Internal error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    // DNS rebinding: only our own loopback address may name us.
    const hostHeader = req.headers.host ?? '';
    if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden host');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    if (url.pathname.startsWith('/api/')) {
      await handleApi(req, res, url.pathname.slice('/api/'.length));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    await serveStatic(req, res, url.pathname);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, method: string) {
    const reply = (status: number, body: HostReply) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') {
      reply(405, { ok: false, error: new HostError('badRequest', 'Host API calls are POST requests.').toJSON() });
      return;
    }
    // Same-origin only: a page on another origin may not drive the host.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
      reply(403, { ok: false, error: new HostError('accessDenied', 'Cross-origin host API calls are refused.').toJSON() });
      return;
    }
    if (!tokenMatches(req.headers[BROWSER_HOST_TOKEN_HEADER], token)) {
      reply(403, { ok: false, error: new HostError('accessDenied', 'Missing or wrong session token: reopen the URL printed by npm run serve.').toJSON() });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      reply(400, { ok: false, error: HostError.from(err instanceof HostError ? err : new HostError('badRequest', 'The request body is not JSON.')).toJSON() });
      return;
    }
    const args = (body as { args?: unknown } | null)?.args;
    reply(200, await dispatchHostCall(services, method, args));
  }

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string) {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(rendererDir, `.${rel}`);
    if (!file.startsWith(rendererDir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'content-length': data.length,
      'content-security-policy': csp,
      ...isolation,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': rel === '/index.html' ? 'no-store' : 'public, max-age=31536000, immutable',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  gateway.allowOrigin(origin);

  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    gateway,
    services,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.close();
    },
  };
}

function tokenMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HostError('tooLarge', 'The request is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
