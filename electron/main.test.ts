// Loads the real main process against a stubbed `electron` module and a stubbed data gateway, and
// checks what it wires up: window options, CSP, navigation/popup/permission rules and the IPC
// sender and argument checks. Nothing here launches Electron.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HOST_EVENT_CHANNEL, hostMethods, IPC_PREFIX, type HostReply } from './api/host-api';
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
    readonly sent: [string, unknown][] = [];
    send(channel: string, payload: unknown) {
      this.sent.push([channel, payload]);
    }
    setWindowOpenHandler(fn: Listener) {
      this.windowOpenHandler = fn;
    }
  }

  function createFakeElectron(opts: { lock: boolean; isPackaged: boolean }) {
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const windows: FakeBrowserWindow[] = [];
    const displays = [{ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1050 } }];

    const app = Object.assign(new FakeEmitter(), {
      isPackaged: opts.isPackaged,
      whenReady: () => ready,
      getVersion: () => '1.2.3-test',
      getPath: (_name: string) => '/tmp',
      requestSingleInstanceLock: vi.fn(() => opts.lock),
      isDefaultProtocolClient: vi.fn((_scheme: string) => false),
      setAsDefaultProtocolClient: vi.fn((_scheme: string) => true),
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
      readonly maximize = vi.fn();
      minimized = false;
      bounds = { x: 0, y: 0, width: 0, height: 0 };
      constructor(readonly options: Record<string, unknown>) {
        super();
        const o = options as { x?: number; y?: number; width?: number; height?: number };
        this.bounds = { x: o.x ?? 0, y: o.y ?? 0, width: o.width ?? 0, height: o.height ?? 0 };
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
      isMaximized() {
        return false;
      }
      isFullScreen() {
        return false;
      }
      getBounds() {
        return this.bounds;
      }
      getNormalBounds() {
        return this.bounds;
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
      dialog: {
        showErrorBox: vi.fn(),
        showMessageBox: vi.fn(async () => ({ response: 0 })),
        showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
        showSaveDialog: vi.fn(async () => ({ canceled: true, filePath: '' })),
      },
      Menu: {
        buildFromTemplate: (template: unknown[]) => ({ template }),
        setApplicationMenu: vi.fn(),
      },
      screen: {
        getPrimaryDisplay: () => displays[0]!,
        getAllDisplays: () => displays,
      },
      shell: { openExternal: vi.fn(async () => undefined) },
      // Linux without a secret service: typed keys must not be stored (electron/services/credentials.ts).
      safeStorage: { isEncryptionAvailable: () => true, getSelectedStorageBackend: () => 'basic_text', encryptString: (s: string) => Buffer.from(s), decryptString: (b: Buffer) => b.toString() },
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
    allowFolder: vi.fn(),
    useCache: vi.fn(),
    approveBucket: vi.fn(),
    approveUrl: vi.fn(),
    checkApproved: vi.fn(),
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
const savedHome = process.env.NORTHSTAR_HOME;
let fake: Fake;
// Each test gets its own Northstar home, so recent files and window state never leak between them.
let home: string;

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

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'northstar-main-home-'));
  process.env.NORTHSTAR_HOME = home;
  h.state.gatewayStart.mockImplementation(async () => h.gateway);
  h.state.gatewayStart.mockClear();
  h.gateway.allowOrigin.mockClear();
  h.gateway.close.mockClear();
});

afterEach(async () => {
  process.argv = savedArgv;
  if (savedHome === undefined) delete process.env.NORTHSTAR_HOME;
  else process.env.NORTHSTAR_HOME = savedHome;
  // Opening a file records it in the recent list in the background: retry while that lands.
  await rm(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
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

  it('registers app: as a privileged standard scheme with a code cache, without bypassCSP', async () => {
    await startMain();
    expect(fake.module.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
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
      value: {
        appVersion: '1.2.3-test',
        host: 'electron',
        gatewayOrigin: GATEWAY,
        // main.ts hands the host safeStorage, and the fake's basic_text backend is refused.
        credentialStorage:
          'Keys you type are kept in memory for this session only: no secret service is running (Electron\'s storage backend is "basic_text", which is not encrypted with a key of yours).',
      },
    });
  });

  it("pickFolder shows the system's folder dialog (may make a folder), starting in the dashboard's folder", async () => {
    const win = await startMain();
    const picked = path.join(home, 'Shared', 'team');
    fake.module.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [picked] });
    const reply = await invoke('pickFolder', [{ dashboardPath: path.join(home, 'q3.dashboard.json') }], fromWindow(win!));
    expect(reply).toEqual({ ok: true, value: { path: picked } });
    // The fake's mock is typed without arguments: its calls hold (window, options).
    const options = (fake.module.dialog.showOpenDialog.mock.calls.at(-1) as unknown[] | undefined)?.at(-1) as { properties: string[]; defaultPath?: string };
    expect(options.properties).toEqual(['openDirectory', 'createDirectory', 'promptToCreate']);
    expect(options.defaultPath).toBe(home);
    // Cancelled: no path.
    await expect(invoke('pickFolder', [{}], fromWindow(win!))).resolves.toEqual({ ok: true, value: { path: null } });
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

  it('opens the dashboard named on the command line in the first window (its URL names it)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'northstar-main-'));
    try {
      const file = path.join(dir, 'sales.northstar.json');
      await writeFile(file, '{"type":"northstar.dashboard"}\n');
      const win = await startMain({ argv: ['/usr/bin/electron', APP_ROOT, '--some-flag', file] });
      expect(win!.loadURL).toHaveBeenCalledWith(`app://northstar/index.html#file=${encodeURIComponent(file)}`);
      await expect(invoke('openDashboard', [{ path: file }], fromWindow(win!))).resolves.toMatchObject({
        ok: true,
        value: { path: file, text: '{"type":"northstar.dashboard"}\n', contentHash: null, trusted: false },
      });
      await vi.waitFor(async () => expect((JSON.parse(await readFile(path.join(home, 'recent-dashboards.json'), 'utf8')) as { paths: string[] }).paths).toEqual([file]));
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

describe('main process: desktop integration', () => {
  type MenuTemplate = { id?: string; label?: string; click?: () => void; submenu?: MenuTemplate }[];
  function menuItems(): MenuTemplate {
    const calls = (fake.module.Menu.setApplicationMenu as ReturnType<typeof vi.fn>).mock.calls;
    const template = (calls.at(-1)?.[0] as { template: MenuTemplate }).template;
    const flat = (t: MenuTemplate): MenuTemplate => t.flatMap((i) => [i, ...(i.submenu ? flat(i.submenu) : [])]);
    return flat(template);
  }
  const events = (win: FakeWindow) => win.webContents.sent.filter(([channel]) => channel === HOST_EVENT_CHANNEL).map(([, payload]) => payload);

  it('opens the file of a second launch in the running window, resolved against that launch’s folder, and focuses it', async () => {
    const win = await startMain();
    win!.webContents.emit('did-finish-load');
    win!.minimized = true;
    const cwd = path.join(os.tmpdir(), 'Équipe finance 2026');
    fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, '--allow-file-access-from-files', 'Q3 ventes ✦.dashboard.json'], cwd);
    expect(win!.restore).toHaveBeenCalledTimes(1);
    expect(win!.focus).toHaveBeenCalledTimes(1);
    expect(events(win!)).toEqual([{ kind: 'openFile', path: path.join(cwd, 'Q3 ventes ✦.dashboard.json') }]);
  });

  it('holds events until the page has loaded', async () => {
    const win = await startMain();
    fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, '/data/a.dashboard.json'], '/');
    expect(events(win!)).toEqual([]);
    win!.webContents.emit('did-finish-load');
    expect(events(win!)).toEqual([{ kind: 'openFile', path: path.resolve('/data/a.dashboard.json') }]);
  });

  it('shows a clear error for a second launch with a file that is not a dashboard, and opens nothing', async () => {
    const win = await startMain();
    win!.webContents.emit('did-finish-load');
    fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, 'notes.txt'], '/home/ana');
    expect(events(win!)).toEqual([]);
    expect(fake.module.dialog.showMessageBox).toHaveBeenCalledWith(
      win,
      expect.objectContaining({ type: 'error', detail: '"notes.txt" is not a Northstar dashboard. Northstar opens dashboard files named *.northstar.json or *.dashboard.json.' }),
    );
  });

  it('on a first launch with a non-dashboard file, opens the demo and says why', async () => {
    const win = await startMain({ argv: ['/usr/bin/electron', APP_ROOT, 'orders.csv'] });
    expect(fake.module.dialog.showMessageBox).toHaveBeenCalledWith(win, expect.objectContaining({ detail: expect.stringContaining('"orders.csv" is not a Northstar dashboard') }));
    await expect(invoke('openDashboard', [{}], fromWindow(win!))).resolves.toMatchObject({ ok: true, value: { path: path.join(APP_ROOT, 'dashboards', 'examples', 'customer-kpis.dashboard.json') } });
  });

  it('opens a file macOS hands over before the window exists (open-file)', async () => {
    const file = path.join(home, 'från Finder.northstar.json');
    await writeFile(file, '{"type":"northstar.dashboard"}\n');
    await loadMain();
    const event = { preventDefault: vi.fn() };
    fake.app.emit('open-file', event, file);
    expect(event.preventDefault).toHaveBeenCalled();
    fake.markReady();
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
    expect(fake.windows[0]!.loadURL).toHaveBeenCalledWith(`app://northstar/index.html#file=${encodeURIComponent(file)}`);
    await expect(invoke('openDashboard', [{ path: file }], fromWindow(fake.windows[0]!))).resolves.toMatchObject({ ok: true, value: { path: file } });
    await vi.waitFor(async () => expect(JSON.parse(await readFile(path.join(home, 'recent-dashboards.json'), 'utf8'))).toEqual({ version: 1, paths: [file] }));
  });

  describe('northstar:// links', () => {
    const VIEW = 'eyJpZCI6InNoYXJlZCJ9';
    const link = (file: string, fragment = `#view=${VIEW}`) => `northstar://open?file=${encodeURIComponent(file)}${fragment}`;

    it('registers the scheme with the OS when packaged, and never from a development run', async () => {
      await startMain({ isPackaged: true, argv: ['/opt/Northstar/northstar'] });
      expect(fake.app.setAsDefaultProtocolClient).toHaveBeenCalledWith('northstar');
      await startMain();
      expect(fake.app.setAsDefaultProtocolClient).not.toHaveBeenCalled();
    });

    it('macOS open-url: sends the dashboard and its view to the running window', async () => {
      const win = await startMain();
      win!.webContents.emit('did-finish-load');
      const file = path.join(home, 'Équipe été + 2026.dashboard.json');
      const event = { preventDefault: vi.fn() };
      fake.app.emit('open-url', event, link(file));
      expect(event.preventDefault).toHaveBeenCalled();
      expect(events(win!)).toEqual([{ kind: 'openFile', path: file, view: VIEW }]);
    });

    it('macOS open-url at launch (before ready): the first window opens that dashboard with its view (one run), and nothing more is sent', async () => {
      const file = path.join(home, 'linked.dashboard.json');
      await writeFile(file, '{"type":"northstar.dashboard"}\n');
      await loadMain();
      fake.app.emit('open-url', { preventDefault: vi.fn() }, link(file));
      fake.markReady();
      await vi.waitFor(() => expect(fake.windows).toHaveLength(1));
      const win = fake.windows[0]!;
      expect(win.loadURL).toHaveBeenCalledWith(`app://northstar/index.html#file=${encodeURIComponent(file)}&view=${VIEW}`);
      win.webContents.emit('did-finish-load');
      expect(events(win)).toEqual([]);
    });

    it('Windows/Linux: a link in a second launch’s arguments reaches the running window; one at first launch opens its dashboard', async () => {
      const file = path.join(home, 'ventes.northstar.json');
      await writeFile(file, '{"type":"northstar.dashboard"}\n');
      const win = await startMain({ argv: ['/usr/bin/electron', APP_ROOT, link(file)] });
      expect(win!.loadURL).toHaveBeenCalledWith(`app://northstar/index.html#file=${encodeURIComponent(file)}&view=${VIEW}`);
      win!.webContents.emit('did-finish-load');
      expect(events(win!)).toEqual([]);
      const other = path.join(home, 'autre été.dashboard.json');
      fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, '--allow-file-access-from-files', link(other, '')], '/somewhere');
      expect(events(win!).at(-1)).toEqual({ kind: 'openFile', path: other });
      expect(win!.focus).toHaveBeenCalled();
    });

    it('refuses a bad link with a dialog that says why, and opens nothing', async () => {
      const win = await startMain();
      win!.webContents.emit('did-finish-load');
      fake.app.emit('open-url', { preventDefault: vi.fn() }, 'northstar://open?file=..%2F..%2Fetc%2Fpasswd');
      fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, link(path.join(home, 'notes.txt'))], '/');
      expect(events(win!)).toEqual([]);
      const details = (fake.module.dialog.showMessageBox as ReturnType<typeof vi.fn>).mock.calls.map((c) => c[1] as { message: string; detail: string });
      expect(details).toEqual([
        expect.objectContaining({ message: 'This link cannot be opened', detail: 'This Northstar link cannot be opened: "../../etc/passwd" is not an absolute path (such as /home/ana/sales.dashboard.json).' }),
        expect.objectContaining({ message: 'This link cannot be opened', detail: expect.stringContaining('"notes.txt" is not a Northstar dashboard') }),
      ]);
    });
  });

  it('packaged, opens a writable copy of the demo in the Northstar home (the bundled one is read-only in the asar)', async () => {
    const win = await startMain({ isPackaged: true, argv: ['/opt/Northstar/northstar'] });
    const copy = path.join(home, 'examples', 'customer-kpis.dashboard.json');
    await expect(invoke('openDashboard', [{}], fromWindow(win!))).resolves.toMatchObject({ ok: true, value: { path: copy } });
    await expect(readFile(path.join(home, 'examples', 'data', 'orders.parquet'))).resolves.toBeInstanceOf(Buffer);
    // The demo copy is not a "recent" file either: after it, only the file opened next is listed.
    const other = path.join(home, 'other.dashboard.json');
    await writeFile(other, '{"type":"northstar.dashboard"}\n');
    await invoke('openDashboard', [{ path: other }], fromWindow(win!));
    await vi.waitFor(() => expect(menuItems().find((i) => i.id === 'file.recent.0')?.label).toBe('other.dashboard.json'));
    expect(menuItems().find((i) => i.id === 'file.recent.1')).toBeUndefined();
  });

  it('sends menu commands to the renderer through the typed event channel', async () => {
    const win = await startMain();
    win!.webContents.emit('did-finish-load');
    for (const id of ['file.save', 'edit.undo', 'app.about']) menuItems().find((i) => i.id === id)!.click!();
    expect(events(win!)).toEqual([
      { kind: 'command', id: 'file.save' },
      { kind: 'command', id: 'edit.undo' },
      { kind: 'command', id: 'app.about' },
    ]);
  });

  it('records opened dashboards in Open Recent (persisted in the Northstar home), not the demo', async () => {
    const file = path.join(home, 'ventes été.dashboard.json');
    await writeFile(file, '{"type":"northstar.dashboard"}\n');
    const win = await startMain();
    win!.webContents.emit('did-finish-load');
    await invoke('openDashboard', [{}], fromWindow(win!));
    await invoke('openDashboard', [{ path: file }], fromWindow(win!));
    await vi.waitFor(() => expect(menuItems().find((i) => i.id === 'file.recent.0')?.label).toBe('ventes été.dashboard.json'));
    expect(menuItems().find((i) => i.id === 'file.recent.1')).toBeUndefined();
    const stored = JSON.parse(await readFile(path.join(home, 'recent-dashboards.json'), 'utf8')) as { paths: string[] };
    expect(stored.paths).toEqual([file]);
    menuItems().find((i) => i.id === 'file.recent.0')!.click!();
    expect(events(win!)).toEqual([{ kind: 'openFile', path: file }]);
  });

  it('remembers the window bounds on close and restores them, clamped to the display, on the next launch', async () => {
    const win = await startMain();
    expect(win!.options).toMatchObject({ width: 1360, height: 880, x: 280, y: 85 });
    win!.bounds = { x: 1800, y: 900, width: 1000, height: 700 };
    win!.emit('close');
    await vi.waitFor(async () => expect(JSON.parse(await readFile(path.join(home, 'window-state.json'), 'utf8'))).toMatchObject({ bounds: win!.bounds }));
    const next = await startMain();
    // The 1920x1050 display: moved back so all of it is visible.
    expect(next!.options).toMatchObject({ x: 920, y: 350, width: 1000, height: 700 });
  });

  it('refuses a plain .json file macOS hands over (Finder offers Northstar for every .json), with a dialog that says why', async () => {
    const win = await startMain();
    win!.webContents.emit('did-finish-load');
    fake.app.emit('open-file', { preventDefault: vi.fn() }, '/Users/ana/package.json');
    expect(events(win!)).toEqual([]);
    expect(fake.windows).toHaveLength(1);
    expect(fake.module.dialog.showMessageBox).toHaveBeenCalledWith(win, expect.objectContaining({ detail: expect.stringContaining('"package.json" is not a Northstar dashboard') }));
  });

  describe('several windows', () => {
    const url = (win: FakeWindow) => win.loadURL.mock.calls[0]?.[0];
    const report = (win: FakeWindow, p: string | null, dirty: boolean) => invoke('setWindowDocument', [{ path: p, dirty }], fromWindow(win));

    it('a second launch opens its file in the focused window when that has no unsaved edits', async () => {
      const first = await startMain();
      first!.webContents.emit('did-finish-load');
      await report(first!, path.join(home, 'a.dashboard.json'), false);
      fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, path.join(home, 'b.dashboard.json')], '/');
      expect(fake.windows).toHaveLength(1);
      expect(events(first!)).toEqual([{ kind: 'openFile', path: path.join(home, 'b.dashboard.json') }]);
    });

    it('a file for a window with unsaved edits gets a new window of its own; the first window is left alone', async () => {
      const first = await startMain();
      first!.webContents.emit('did-finish-load');
      await report(first!, path.join(home, 'a.dashboard.json'), true);
      const other = path.join(home, 'b été.dashboard.json');
      fake.app.emit('second-instance', {}, ['/usr/bin/electron', APP_ROOT, other], '/');
      expect(fake.windows).toHaveLength(2);
      const second = fake.windows[1]!;
      expect(url(second)).toBe(`app://northstar/index.html#file=${encodeURIComponent(other)}`);
      expect(events(first!)).toEqual([]);
      // Its own place: one step down and right of the first window.
      expect(second.options).toMatchObject({ x: (first!.options.x as number) + 28, y: (first!.options.y as number) + 28 });
      // Each window is answered by IPC on its own.
      await expect(invoke('getAppInfo', [], fromWindow(second))).resolves.toMatchObject({ ok: true });
    });

    it('a file open in a window already focuses that window (with a link, it shows the link’s view there)', async () => {
      const first = await startMain();
      first!.webContents.emit('did-finish-load');
      const a = path.join(home, 'a.dashboard.json');
      await report(first!, a, false);
      await invoke('openWindow', [{ path: path.join(home, 'b.dashboard.json') }], fromWindow(first!));
      const second = fake.windows[1]!;
      second.webContents.emit('did-finish-load');
      await report(second, path.join(home, 'b.dashboard.json'), true);
      fake.app.emit('open-file', { preventDefault: vi.fn() }, a);
      expect(fake.windows).toHaveLength(2);
      expect(first!.focus).toHaveBeenCalled();
      expect(events(first!)).toEqual([]);
      fake.app.emit('open-url', { preventDefault: vi.fn() }, `northstar://open?file=${encodeURIComponent(a)}#view=eyJpZCI6InYifQ`);
      expect(events(first!)).toEqual([{ kind: 'openFile', path: a, view: 'eyJpZCI6InYifQ' }]);
      expect(events(second)).toEqual([]);
      // Asking for a new window on a file that is open already focuses it too.
      await invoke('openWindow', [{ path: a }], fromWindow(second));
      expect(fake.windows).toHaveLength(2);
    });

    it('File › New Window opens an empty start window; Open in New Window… asks for a file and opens it apart', async () => {
      const first = await startMain();
      menuItems().find((i) => i.id === 'file.newWindow')!.click!();
      expect(fake.windows).toHaveLength(2);
      expect(url(fake.windows[1]!)).toBe('app://northstar/index.html#start');
      const picked = path.join(home, 'picked.dashboard.json');
      fake.module.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: [picked] });
      menuItems().find((i) => i.id === 'file.openInNewWindow')!.click!();
      await vi.waitFor(() => expect(fake.windows).toHaveLength(3));
      expect(url(fake.windows[2]!)).toBe(`app://northstar/index.html#file=${encodeURIComponent(picked)}`);
      expect(url(first!)).toBe('app://northstar/index.html');
    });

    it('menu commands go to the most recently focused window', async () => {
      const first = await startMain();
      await invoke('openWindow', [{}], fromWindow(first!));
      const second = fake.windows[1]!;
      for (const w of fake.windows) w.webContents.emit('did-finish-load');
      menuItems().find((i) => i.id === 'file.save')!.click!();
      expect(events(second)).toEqual([{ kind: 'command', id: 'file.save' }]);
      first!.emit('focus');
      menuItems().find((i) => i.id === 'edit.undo')!.click!();
      expect(events(first!)).toEqual([{ kind: 'command', id: 'edit.undo' }]);
      expect(events(second)).toHaveLength(1);
    });

    it('closing one window keeps the app running; a closed window’s IPC is refused; the last window closed sets the next launch’s place', async () => {
      const first = await startMain();
      await invoke('openWindow', [{}], fromWindow(first!));
      const second = fake.windows[1]!;
      second.bounds = { x: 100, y: 120, width: 1000, height: 700 };
      second.emit('close');
      second.emit('closed');
      expect(fake.app.quit).not.toHaveBeenCalled();
      const refused = await invoke('getAppInfo', [], fromWindow(second));
      expect(!refused.ok && refused.error.code).toBe('accessDenied');
      await vi.waitFor(async () => expect(JSON.parse(await readFile(path.join(home, 'window-state.json'), 'utf8'))).toMatchObject({ bounds: second.bounds }));
      // A window opened now takes that place (nothing else is there).
      await invoke('openWindow', [{}], fromWindow(first!));
      expect(fake.windows[2]!.options).toMatchObject({ x: 100, y: 120, width: 1000, height: 700 });
    });
  });

  it('opens https links the renderer asks for with the system browser, and nothing else', async () => {
    const win = await startMain();
    await expect(invoke('openExternal', [{ url: 'https://duckdb.org/docs' }], fromWindow(win!))).resolves.toEqual({ ok: true, value: { opened: true } });
    expect(fake.module.shell.openExternal).toHaveBeenCalledWith('https://duckdb.org/docs');
    const refused = await invoke('openExternal', [{ url: 'file:///etc/passwd' }], fromWindow(win!));
    expect(!refused.ok && refused.error.code).toBe('badRequest');
    expect(fake.module.shell.openExternal).toHaveBeenCalledTimes(1);
  });

  it('asks for a file with the native dialog, adding the dashboard extension to a new file', async () => {
    const win = await startMain();
    fake.module.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/docs/Q4 plan' });
    await expect(invoke('pickDashboardFile', [{ purpose: 'new' }], fromWindow(win!))).resolves.toEqual({ ok: true, value: { path: path.resolve('/docs/Q4 plan.dashboard.json') } });
    await expect(invoke('pickDashboardFile', [{ purpose: 'open' }], fromWindow(win!))).resolves.toEqual({ ok: true, value: { path: null } });
  });
});
