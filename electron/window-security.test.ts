import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserWindow } from 'electron';
import {
  buildContentSecurityPolicy,
  createAppProtocolHandler,
  dashboardPathFromArgv,
  isAppIndexUrl,
  isTrustedSender,
  resolveRendererFile,
  withCsp,
  type IpcSender,
} from './window-security';

const CSP = buildContentSecurityPolicy('http://127.0.0.1:45678');
let base: string;
let rendererDir: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'northstar-ws-'));
  rendererDir = path.join(base, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Northstar</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'export {};');
  await writeFile(path.join(rendererDir, 'assets', 'duckdb-eh.wasm'), new Uint8Array([0, 97, 115, 109]));
  // Next to the renderer, not inside it: must never be served.
  await writeFile(path.join(base, 'secret.txt'), 'do not serve');
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('buildContentSecurityPolicy', () => {
  it('refuses a gateway origin that could smuggle in directives', () => {
    expect(() => buildContentSecurityPolicy("http://127.0.0.1:1; script-src 'unsafe-eval'")).toThrow();
    expect(() => buildContentSecurityPolicy('https://evil.example')).toThrow();
  });
});

describe('resolveRendererFile', () => {
  it.each([
    ['app://northstar/', 'index.html'],
    ['app://northstar/index.html', 'index.html'],
    ['app://northstar/assets/app.js?v=1#x', path.join('assets', 'app.js')],
  ])('maps %s into the renderer folder', (url, relative) => {
    expect(resolveRendererFile(rendererDir, url)).toBe(path.join(rendererDir, relative));
  });

  it.each([
    'app://northstar/..%2fsecret.txt',
    'app://northstar/assets/..%2f..%2fsecret.txt',
    'app://northstar/..%5csecret.txt',
    'app://northstar/index.html%00.js',
    'app://northstar/%E0%A4%A',
    'app://other/index.html',
    'app://user@northstar/index.html',
    'file:///etc/passwd',
    'https://northstar/index.html',
  ])('refuses %s', (url) => {
    expect(resolveRendererFile(rendererDir, url)).toBeNull();
  });
});

describe('createAppProtocolHandler', () => {
  const handler = () => createAppProtocolHandler({ rendererDir, csp: CSP });

  it('serves the index with its type and the CSP', async () => {
    const res = await handler()(new Request('app://northstar/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('<!doctype html><title>Northstar</title>');
  });

  it('serves wasm as application/wasm (instantiateStreaming requires it)', async () => {
    const res = await handler()(new Request('app://northstar/assets/duckdb-eh.wasm'));
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
  });

  it('answers 404 with the CSP to traversal, folders and missing files, leaking nothing', async () => {
    for (const url of ['app://northstar/..%2fsecret.txt', 'app://northstar/assets', 'app://northstar/nope.js']) {
      const res = await handler()(new Request(url));
      expect(res.status, url).toBe(404);
      expect(res.headers.get('content-security-policy')).toBe(CSP);
      expect(await res.text()).toBe('Not found');
    }
  });

  it('refuses methods other than GET and HEAD, and sends no body to HEAD', async () => {
    const post = await handler()(new Request('app://northstar/index.html', { method: 'POST', body: 'x' }));
    expect(post.status).toBe(405);
    const head = await handler()(new Request('app://northstar/index.html', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('39');
    expect(await head.text()).toBe('');
  });
});

describe('isAppIndexUrl', () => {
  it.each([
    ['app://northstar/', true],
    ['app://northstar/index.html#/d', true],
    ['app://northstar/other.html', false],
    ['app://northstar.evil.example/', false],
    ['https://northstar/index.html', false],
    ['not a url', false],
  ])('%s -> %s', (url, expected) => {
    expect(isAppIndexUrl(url)).toBe(expected);
  });
});

describe('withCsp', () => {
  it('replaces a CSP header in any case and keeps the others', () => {
    expect(withCsp({ 'content-security-policy': ['default-src *'], 'CONTENT-SECURITY-POLICY': 'x', Vary: 'Origin' }, CSP)).toEqual({
      Vary: ['Origin'],
      'Content-Security-Policy': [CSP],
    });
  });
});

describe('isTrustedSender', () => {
  const mainFrame = { url: 'app://northstar/index.html', parent: null };
  const webContents = { mainFrame };
  const win = (destroyed = false) => ({ webContents, isDestroyed: () => destroyed }) as unknown as BrowserWindow;
  const event = (senderFrame: unknown, sender: unknown = webContents) => ({ sender, senderFrame }) as unknown as IpcSender;

  it('trusts only the top frame of our window on the app origin', () => {
    expect(isTrustedSender(event(mainFrame), win())).toBe(true);
    expect(isTrustedSender(event(mainFrame), win(true))).toBe(false);
    expect(isTrustedSender(event(mainFrame), null)).toBe(false);
  });

  it('treats a frame that throws on access (disposed) as untrusted', () => {
    const disposed = {
      parent: null,
      get url(): string {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    };
    expect(isTrustedSender(event(disposed), win())).toBe(false);
  });
});

describe('dashboardPathFromArgv', () => {
  it('takes the first dashboard file argument, resolved against the working folder', () => {
    expect(dashboardPathFromArgv(['/electron', '/app', '--inspect', 'a/sales.northstar.json', 'b.dashboard.json'], '/home/u')).toBe(
      path.resolve('/home/u', 'a/sales.northstar.json'),
    );
    expect(dashboardPathFromArgv(['/electron', '/app', 'notes.json'], '/home/u')).toBeUndefined();
  });
});
