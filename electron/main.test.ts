// Loads the real main process against a stubbed `electron` module and a stubbed data gateway, and
// checks what it wires up: window options, CSP, navigation/popup/permission rules and the IPC
// sender and argument checks. Nothing here launches Electron.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hostMethods, IPC_PREFIX, type HostReply } from './api/host-api';
import { APP_ROOT } from './services/host-services';

const h = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => unknown;

  class FakeEmitter {
    readonly listeners = new Map<string, Listener[]>();
    on(event: string, fn: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
      return this;
    }
    once(event: string, fn: Listener) {
      return this.on(event, fn);
    }
    emit(event: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(event) ?? []) fn(...args);
    }
  }

  interface FakeFrame {
    url: string;
    parent: FakeFrame | null;
  }

  class FakeWebContents extends FakeEmitter {
    mainFrame: FakeFrame = { url: 'app://northstar/index.html', parent: null };
    windowOpenHandler: Listener | null = null;
    setWindowOpenHandler(fn: Listener) {
      this.windowOpenHandler = fn;
    }
  }

  function createFakeElectron(opts: { lock: boolean; isPackaged: boolean }) {
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const windows: FakeBrowserWindow[] = [];

    const app = Object.assign(new FakeEmitter(), {
      isPackaged: opts.isPackaged,
      whenReady: () => ready,
      getVersion: () => '1.2.3-test',
      requestSingleInstanceLock: vi.fn(() => opts.lock),
      enableSandbox: vi.fn(),
      quit: vi.fn(),
      exit: vi.fn(),
    });

    class FakeBrowserWindow extends FakeEmitter {
      readonly webContents = new FakeWebContents();
      readonly loadURL = vi.fn(async (_url: string) => undefined);
      readonly focus = vi.fn();
      readonly restore = vi.fn();
      readonly show = vi.fn();
      minimized = false;
      constructor(readonly options: Record<string, unknown>) {
        super();
        windows.push(this);
        // As Electron does for every new webContents.
        app.emit('web-contents-created', {}, this.webContents);
      }
      isDestroyed() {
        return false;
      }
      isMinimized() {
        return this.minimized;
      }
    }

    const ipcHandlers = new Map<string, Listener>();
    const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
    const defaultSession = {
      permissionRequestHandler: null as Listener | null,
      permissionCheckHandler: null as Listener | null,
      headersReceived: null as Listener | null,
      setPermissionRequestHandler(fn: Listener) {
        this.permissionRequestHandler = fn;
      },
      setPermissionCheckHandler(fn: Listener) {
        this.permissionCheckHandler = fn;
      },
      webRequest: {
        onHeadersReceived(fn: Listener) {
          defaultSession.headersReceived = fn;
        },
      },
    };

    const module = {
      app,
      BrowserWindow: FakeBrowserWindow,
      dialog: { showErrorBox: vi.fn() },
      ipcMain: {
        handle: (channel: string, fn: Listener) => void ipcHandlers.set(channel, fn),
        removeHandler: (channel: string) => void ipcHandlers.delete(channel),
      },
      protocol: {
        registerSchemesAsPrivileged: vi.fn(),
        handle: (scheme: string, fn: (request: Request) => Promise<Response>) => void protocolHandlers.set(scheme, fn),
      },
      session: { defaultSession },
    };
    return { module, app, windows, ipcHandlers, protocolHandlers, defaultSession, markReady, FakeWebContents };
  }

  const gateway = {
    origin: 'http://127.0.0.1:45678',
    allowOrigin: vi.fn(),
    close: vi.fn(async () => undefined),
    addLocalFile: vi.fn(() => 'http://127.0.0.1:45678/t/file'),
    addS3Object: vi.fn(() => 'http://127.0.0.1:45678/t/s3'),
    head: vi.fn(async () => ({ sizeBytes: 1 })),
  };
  const state = {
    fake: createFakeElectron({ lock: true, isPackaged: false }),
    gatewayStart: vi.fn(async (_opts?: { allowedOrigins?: string[] }) => gateway),
  };
  return { state, gateway, createFakeElectron };
});

vi.mock('electron', () => h.state.fake.module);
vi.mock('./services/data-gateway', () => ({ DataGateway: { start: h.state.gatewayStart } }));

type Fake = ReturnType<typeof h.createFakeElectron>;
type FakeWindow = Fake['windows'][number];
type FakeFrame = FakeWindow['webContents']['mainFrame'];

const GATEWAY = 'http://127.0.0.1:45678';
const savedArgv = process.argv;
let fake: Fake;

/** Evaluate a fresh main module against a fresh fake electron (not yet `ready`). */
async function loadMain(opts: { lock?: boolean; isPackaged?: boolean; argv?: string[] } = {}): Promise<void> {
  fake = h.createFakeElectron({ lock: opts.lock ?? true, isPackaged: opts.isPackaged ?? false });
  h.state.fake = fake;
  process.argv = opts.argv ?? ['/usr/bin/electron', APP_ROOT];
  vi.resetModules();
  // vi.mock's factory result outlives resetModules; doMock hands this test's fake to the new import.
  vi.doMock('electron', () => fake.module);
  await import('./main');
}

/** Load main, fire `ready` and wait for its window. */
async function startMain(opts: { lock?: boolean; isPackaged?: boolean; argv?: string[] } = {}): Promise<FakeWindow | undefined> {
  await loadMain(opts);
  fake.markReady();
  if (opts.lock === false) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return undefined;
  }
  await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
  return fake.windows[0];
}

function invoke(method: string, args: unknown, event: { sender: unknown; senderFrame: FakeFrame | null }): Promise<HostReply> {
  const handler = fake.ipcHandlers.get(`${IPC_PREFIX}${method}`);
  if (!handler) throw new Error(`no IPC handler for ${method}`);
  return handler(event, args) as Promise<HostReply>;
}

function fromWindow(win: FakeWindow, frame: FakeFrame | null = win.webContents.mainFrame) {
  return { sender: win.webContents, senderFrame: frame };
}

function navigationEvent(url: string) {
  return { url, preventDefault: vi.fn() };
}

function cspDirectives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name = '', ...values] = d.split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
  );
}

beforeEach(() => {
  h.state.gatewayStart.mockImplementation(async () => h.gateway);
  h.state.gatewayStart.mockClear();
  h.gateway.allowOrigin.mockClear();
  h.gateway.close.mockClear();
});

afterEach(() => {
  process.argv = savedArgv;
});

describe('main process: window', () => {
  it('creates one isolated, sandboxed window without Node, with the preload, loading app://northstar', async () => {
    const win = await startMain();
    expect(win?.options.webPreferences).toEqual({
      preload: path.join(APP_ROOT, 'out', 'electron', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: true,
    });
    expect(win?.loadURL).toHaveBeenCalledWith('app://northstar/index.html');
    expect(fake.app.enableSandbox).toHaveBeenCalledTimes(1);
  });

  it('turns DevTools off when packaged', async () => {
    const win = await startMain({ isPackaged: true });
    expect((win?.options.webPreferences as { devTools?: boolean }).devTools).toBe(false);
  });

  it('registers app: as a privileged standard scheme, without bypassCSP', async () => {
    await startMain();
    expect(fake.module.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
    ]);
    expect([...fake.protocolHandlers.keys()]).toEqual(['app']);
  });

  it('starts the data gateway allowing the app origin for CORS', async () => {
    await startMain();
    expect(h.state.gatewayStart).toHaveBeenCalledWith({ allowedOrigins: ['app://northstar'] });
    expect(h.gateway.allowOrigin).toHaveBeenCalledWith('app://northstar');
  });
});

describe('main process: content security policy', () => {
  it('serves the renderer with a CSP whose connect-src is only the app and the gateway', async () => {
    await startMain();
    const handler = fake.protocolHandlers.get('app');
    const response = await handler!(new Request('app://northstar/no-such-file.js'));
    expect(response.status).toBe(404);
    const csp = response.headers.get('content-security-policy') ?? '';
    const directives = cspDirectives(csp);
    expect(directives.get('connect-src')).toBe(`'self' ${GATEWAY}`);
    expect(directives.get('script-src')).toBe("'self' 'wasm-unsafe-eval'");
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('object-src')).toBe("'none'");
    // 'wasm-unsafe-eval' is needed for DuckDB; plain 'unsafe-eval' must appear nowhere.
    expect(csp.split(/[\s;]+/)).not.toContain("'unsafe-eval'");
  });

  it('puts the same CSP on every other response, replacing any CSP it had', async () => {
    await startMain();
    const callback = vi.fn();
    fake.defaultSession.headersReceived!(
      { url: `${GATEWAY}/t/file`, responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/plain'] } },
      callback,
    );
    expect(callback).toHaveBeenCalledTimes(1);
    const headers = (callback.mock.calls[0]?.[0] as { responseHeaders: Record<string, string[]> }).responseHeaders;
    expect(Object.keys(headers).sort()).toEqual(['Content-Security-Policy', 'Content-Type']);
    expect(cspDirectives(headers['Content-Security-Policy']?.[0] ?? '').get('connect-src')).toBe(`'self' ${GATEWAY}`);
  });
});

describe('main process: navigation, popups, permissions', () => {
  it('prevents navigation and redirects away from the app', async () => {
    const win = await startMain();
    const away = navigationEvent('https://evil.example/');
    win!.webContents.emit('will-navigate', away, away.url);
    expect(away.preventDefault).toHaveBeenCalled();

    const redirect = navigationEvent('https://evil.example/landing');
    win!.webContents.emit('will-redirect', redirect, redirect.url);
    expect(redirect.preventDefault).toHaveBeenCalled();

    const lookalike = navigationEvent('app://northstar.evil.example/index.html');
    win!.webContents.emit('will-navigate', lookalike, lookalike.url);
    expect(lookalike.preventDefault).toHaveBeenCalled();
  });

  it('lets the window navigate to its own index', async () => {
    const win = await startMain();
    const home = navigationEvent('app://northstar/index.html');
    win!.webContents.emit('will-navigate', home, home.url);
    expect(home.preventDefault).not.toHaveBeenCalled();
  });

  it('denies window.open and webviews', async () => {
    const win = await startMain();
    expect(win!.webContents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const attach = { preventDefault: vi.fn() };
    win!.webContents.emit('will-attach-webview', attach, {}, {});
    expect(attach.preventDefault).toHaveBeenCalledTimes(1);
  });

  it('applies the same rules to any other webContents', async () => {
    await startMain();
    const other = new fake.FakeWebContents();
    fake.app.emit('web-contents-created', {}, other);
    const away = navigationEvent('https://evil.example/');
    other.emit('will-navigate', away, away.url);
    expect(away.preventDefault).toHaveBeenCalled();
    expect(other.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
  });

  it('grants no permission', async () => {
    const win = await startMain();
    const callback = vi.fn();
    fake.defaultSession.permissionRequestHandler!(win!.webContents, 'media', callback, {});
    expect(callback.mock.calls).toEqual([[false]]);
    expect(fake.defaultSession.permissionCheckHandler!(win!.webContents, 'clipboard-read', 'app://northstar', {})).toBe(false);
  });
});

describe('main process: IPC', () => {
  it('registers exactly one handler per host method', async () => {
    await startMain();
    expect([...fake.ipcHandlers.keys()].sort()).toEqual(hostMethods.map((m) => `${IPC_PREFIX}${m}`).sort());
  });

  it('answers a call from the window with the service result', async () => {
    const win = await startMain();
    await expect(invoke('getAppInfo', [], fromWindow(win!))).resolves.toEqual({
      ok: true,
      value: { appVersion: '1.2.3-test', host: 'electron', gatewayOrigin: GATEWAY },
    });
  });

  it.each([
    ['a foreign origin', { url: 'https://evil.example/', parent: null }],
    ['a lookalike host', { url: 'app://northstar.evil.example/index.html', parent: null }],
    ['a file: page', { url: 'file:///work/main/out/renderer/index.html', parent: null }],
  ])('denies a call from %s', async (_label, frame) => {
    const win = await startMain();
    const reply = await invoke('getAppInfo', [], fromWindow(win!, frame));
    expect(reply).toEqual({ ok: false, error: { name: 'HostError', code: 'accessDenied', message: 'getAppInfo may only be called by the Northstar window.' } });
  });

  it('denies a call from a subframe, even one on the app origin', async () => {
    const win = await startMain();
    const subframe = { url: 'app://northstar/index.html', parent: win!.webContents.mainFrame };
    const reply = await invoke('getAppInfo', [], fromWindow(win!, subframe));
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error.code).toBe('accessDenied');
  });

  it('denies a call without a sender frame or from another webContents', async () => {
    const win = await startMain();
    const noFrame = await invoke('getAppInfo', [], fromWindow(win!, null));
    expect(!noFrame.ok && noFrame.error.code).toBe('accessDenied');
    const other = new fake.FakeWebContents();
    const otherReply = await invoke('getAppInfo', [], { sender: other, senderFrame: other.mainFrame });
    expect(!otherReply.ok && otherReply.error.code).toBe('accessDenied');
  });

  it('answers badRequest to bad argument shapes', async () => {
    const win = await startMain();
    for (const [method, args] of [
      ['openDashboard', [{ path: 42 }]],
      ['openDashboard', [{ path: '/x.json', extra: true }]],
      ['getAppInfo', ['unexpected']],
      ['saveDashboard', 'not an array'],
    ] as const) {
      const reply = await invoke(method, args, fromWindow(win!));
      expect(reply.ok, `${method} ${JSON.stringify(args)}`).toBe(false);
      expect(!reply.ok && reply.error.code).toBe('badRequest');
    }
  });

  it('turns a failing service call into an error reply, never a rejection', async () => {
    const win = await startMain();
    const reply = await invoke('openDashboard', [{ path: path.join(os.tmpdir(), 'northstar-missing', 'none.dashboard.json') }], fromWindow(win!));
    expect(reply).toMatchObject({ ok: false, error: { name: 'HostError', code: 'notFound' } });
  });

  it('opens the dashboard named on the command line by default', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'northstar-main-'));
    try {
      const file = path.join(dir, 'sales.northstar.json');
      await writeFile(file, '{"type":"northstar.dashboard"}\n');
      const win = await startMain({ argv: ['/usr/bin/electron', APP_ROOT, '--some-flag', file] });
      await expect(invoke('openDashboard', [{}], fromWindow(win!))).resolves.toMatchObject({
        ok: true,
        value: { path: file, text: '{"type":"northstar.dashboard"}\n', contentHash: null, trusted: false },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('main process: lifecycle', () => {
  it('quits without a window when another instance holds the lock', async () => {
    await startMain({ lock: false });
    expect(fake.app.quit).toHaveBeenCalledTimes(1);
    expect(fake.windows).toHaveLength(0);
    expect(fake.ipcHandlers.size).toBe(0);
  });

  it('focuses (and restores) the window when a second instance starts', async () => {
    const win = await startMain();
    win!.minimized = true;
    fake.app.emit('second-instance', {}, [], '/');
    expect(win!.restore).toHaveBeenCalledTimes(1);
    expect(win!.focus).toHaveBeenCalledTimes(1);
  });

  it('quits when the window closes, and closes the gateway before quitting', async () => {
    await startMain();
    fake.app.emit('window-all-closed');
    expect(fake.app.quit).toHaveBeenCalledTimes(1);

    const willQuit = { preventDefault: vi.fn() };
    fake.app.emit('will-quit', willQuit);
    expect(willQuit.preventDefault).toHaveBeenCalledTimes(1);
    expect(h.gateway.close).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(fake.app.quit).toHaveBeenCalledTimes(2));

    // The second will-quit (from that quit) goes through.
    const again = { preventDefault: vi.fn() };
    fake.app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
    expect(h.gateway.close).toHaveBeenCalledTimes(1);
  });

  it('shows an error and exits when the gateway cannot start', async () => {
    h.state.gatewayStart.mockImplementation(async () => {
      throw new Error('no free port');
    });
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await loadMain();
      fake.markReady();
      await vi.waitFor(() => expect(fake.app.exit).toHaveBeenCalledWith(1));
      expect(fake.module.dialog.showErrorBox).toHaveBeenCalledWith('Northstar could not start', 'no free port');
      expect(fake.windows).toHaveLength(0);
    } finally {
      consoleError.mockRestore();
    }
  });
});
