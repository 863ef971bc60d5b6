// The security policy of the Electron app, as plain functions over the electron objects they are
// given (Electron security checklist; VS Code `ipcMain.ts` sender validation). main.ts only wires
// these up, so every rule here is unit-testable without launching Electron.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type {
  BrowserWindow,
  CustomScheme,
  IpcMain,
  IpcMainInvokeEvent,
  Session,
  WebContents,
  WebPreferences,
} from 'electron';
import { dispatchHostCall, hostMethods, IPC_PREFIX, type HostApi, type HostReply } from './api/host-api';
import { buildCsp, CROSS_ORIGIN_ISOLATION_HEADERS } from './services/csp';

/** The custom scheme the renderer is served from: `app://northstar/`, never file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'northstar';
/** The renderer's origin, as the data gateway's CORS check and the IPC sender check see it. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * `app:` must be privileged before `ready`: `standard` gives it a real origin (relative URLs,
 * localStorage), `secure` makes it a secure context, and fetch/CORS are needed by DuckDB-WASM to
 * load its worker and wasm from the app itself. `codeCache` lets V8 keep the compiled scripts and
 * DuckDB's compiled wasm between launches, as it does for http(s) (Electron enables the code cache
 * only for http(s) and schemes that ask for it); measured in Chromium over the browser host (the
 * Electron binary cannot run here), a re-open then reads the wasm's compiled code instead of compiling it again.
 * It does NOT get `bypassCSP`.
 */
export const APP_PRIVILEGED_SCHEMES: CustomScheme[] = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
];

/** The renderer's Content-Security-Policy: `connect-src` allows only the app and the data gateway. */
export function buildContentSecurityPolicy(gatewayOrigin: string): string {
  // One builder shared with the browser host, so both hosts enforce the same policy.
  return buildCsp(gatewayOrigin);
}

/** webPreferences of every Northstar window: isolated, sandboxed, no Node in the page. */
export function secureWebPreferences(opts: { preloadPath: string; devTools: boolean }): WebPreferences {
  return {
    preload: opts.preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    devTools: opts.devTools,
  };
}

/** True for `app://northstar/` and `app://northstar/index.html` (any query or hash). */
export function isAppIndexUrl(url: string): boolean {
  const parsed = parseUrl(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host === APP_HOST &&
    parsed.username === '' &&
    parsed.password === '' &&
    (parsed.pathname === '/' || parsed.pathname === '/index.html')
  );
}

/** True when a URL is served by the app's own protocol (any path). */
export function isAppUrl(url: string): boolean {
  const parsed = parseUrl(url);
  // Node's URL gives non-special schemes an opaque origin ("null"), so compare the parts instead.
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

const hardened = new WeakSet<WebContents>();

/**
 * Navigation, popup and webview rules for one webContents: it may only ever show the app's own
 * index. Idempotent, so it can run both for our window and from `web-contents-created`.
 */
export function hardenWebContents(contents: WebContents): void {
  if (hardened.has(contents)) return;
  hardened.add(contents);
  const refuseForeign = (event: { url: string; preventDefault(): void }) => {
    if (!isAppIndexUrl(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', refuseForeign);
  contents.on('will-frame-navigate', refuseForeign);
  contents.on('will-redirect', refuseForeign);
  // Never `shell.openExternal` here: a link in a dashboard must not become a launcher.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Session-wide rules: no permission is ever granted, and every response carries our CSP. */
export function hardenSession(session: Session, csp: string): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders ?? {}, csp) });
  });
}

/** Response headers with any existing CSP (in any letter case) replaced by ours. */
export function withCsp(headers: Record<string, string[] | string>, csp: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'content-security-policy') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [csp];
  return out;
}

/** The parts of an IPC event the sender check reads. */
export type IpcSender = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

/**
 * Whether an IPC message comes from the top frame of our window, showing our app. Subframes,
 * other webContents and pages that navigated elsewhere are refused (Electron checklist item 17).
 */
export function isTrustedSender(event: IpcSender, win: BrowserWindow | null): boolean {
  try {
    if (!win || win.isDestroyed()) return false;
    const frame = event.senderFrame;
    if (!frame) return false;
    // Our window's webContents, and its top frame. `parent === null` rather than identity with
    // `mainFrame`: WebContents objects are canonical, WebFrameMain wrappers are an implementation
    // detail we would rather not depend on.
    if (event.sender !== win.webContents) return false;
    if (frame.parent !== null) return false;
    return isAppUrl(frame.url);
  } catch {
    // A frame disposed mid-call throws on access: treat it as untrusted.
    return false;
  }
}

/**
 * Register one `ipcMain.handle` per host method (generated from `hostMethods`, no hand-written
 * channels). Each handler checks the sender, then validates and runs the call; it always resolves
 * to a HostReply. Returns a function that removes the handlers.
 */
export function registerHostIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  services: HostApi,
  getWindow: () => BrowserWindow | null,
): () => void {
  const channels: string[] = [];
  for (const method of hostMethods) {
    const channel = `${IPC_PREFIX}${method}`;
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, args: unknown): Promise<HostReply> => handleHostCall(event, getWindow(), services, method, args));
    channels.push(channel);
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

/** One IPC call: sender check, then `dispatchHostCall` (which validates the arguments with zod). */
export async function handleHostCall(
  event: IpcSender,
  win: BrowserWindow | null,
  services: HostApi,
  method: string,
  args: unknown,
): Promise<HostReply> {
  if (!isTrustedSender(event, win)) {
    return {
      ok: false,
      error: { name: 'HostError', code: 'accessDenied', message: `${method} may only be called by the Northstar window.` },
    };
  }
  return dispatchHostCall(services, method, args);
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  // WebAssembly.instantiateStreaming refuses any other type.
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file under `rendererDir` an `app://northstar/...` URL names, or null when the URL is not
 * ours or escapes the folder (`..`, encoded slashes or backslashes, NUL, absolute paths).
 */
export function resolveRendererFile(rendererDir: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  const { pathname } = new URL(url);
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (relative === '/' || relative === '') relative = '/index.html';
  if (relative.includes('\0') || relative.includes('\\')) return null;
  const segments = relative.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, ...segments);
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return file;
}

/**
 * The `protocol.handle('app', ...)` handler: serves the built renderer read-only, with our CSP on
 * every response (errors included). `crossOriginIsolation` adds COOP/COEP/CORP, which lets
 * DuckDB-WASM pick its threaded build; off by default (not kept, see bench/README.md "Threads").
 */
export function createAppProtocolHandler(opts: { rendererDir: string; csp: string; crossOriginIsolation?: boolean }): (request: Request) => Promise<Response> {
  const baseHeaders = {
    'Content-Security-Policy': opts.csp,
    ...(opts.crossOriginIsolation ? CROSS_ORIGIN_ISOLATION_HEADERS : {}),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  const plain = (status: number, text: string) =>
    new Response(text, { status, headers: { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8' } });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
    const file = resolveRendererFile(opts.rendererDir, request.url);
    if (!file) return plain(404, 'Not found');
    let body: Buffer;
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) return plain(404, 'Not found');
      body = await fs.readFile(file);
    } catch {
      return plain(404, 'Not found');
    }
    const headers = {
      ...baseHeaders,
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(body.byteLength),
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}

/** The first `*.northstar.json` / `*.dashboard.json` argument, resolved against `cwd`. */
export function dashboardPathFromArgv(argv: readonly string[], cwd: string): string | undefined {
  // argv[0] is the executable; in development argv[1] is the app folder, which never matches.
  const arg = argv.slice(1).find((a) => !a.startsWith('-') && /\.(northstar|dashboard)\.json$/i.test(a));
  return arg === undefined ? undefined : path.resolve(cwd, arg);
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
