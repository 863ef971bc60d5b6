// The Electron main process, kept thin: it starts the data gateway and the host services, and
// wires the policies of window-security.ts and the desktop integration of desktop.ts into
// Electron. No product logic lives here. Each window is its own renderer with its own dashboard;
// which window a file goes to is decided by routeDashboardOpen (desktop.ts).
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, screen, session, shell, type OpenDialogOptions } from 'electron';
import { encodeLaunchFragment, HOST_EVENT_CHANNEL, HostEvent, hostMethods, IPC_PREFIX, type HostApi, type HostCommandId, type LaunchFragment } from './api/host-api';
import { DataGateway } from './services/data-gateway';
import { CredentialStore, safeStorageCipher } from './services/credentials';
import { APP_ROOT, createHostServices, defaultHomeDir, DEMO_DASHBOARD_PATH } from './services/host-services';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_PRIVILEGED_SCHEMES,
  APP_SCHEME,
  buildContentSecurityPolicy,
  createAppProtocolHandler,
  hardenSession,
  handleHostCall,
  hardenWebContents,
  secureWebPreferences,
} from './window-security';
import {
  buildMenuTemplate,
  cascadeBounds,
  DEEP_LINK_SCHEME,
  launchRequestFromArgv,
  launchRequestFromFile,
  launchRequestFromLink,
  reportingOpenedDashboards,
  restoreWindowState,
  routeDashboardOpen,
  withDashboardExtension,
  type LaunchRequest,
  type WindowState,
} from './desktop';
import { ensureWritableDemo, RecentDashboards, WindowStateFile } from './desktop-state';

// APP_ROOT is the repository root in development and the app folder once packaged; the build
// writes the renderer to out/renderer and this file and the preload to out/electron.
const RENDERER_DIR = path.join(APP_ROOT, 'out', 'renderer');
const PRELOAD_PATH = path.join(APP_ROOT, 'out', 'electron', 'preload.cjs');
const GATEWAY_CLOSE_TIMEOUT_MS = 2000;
const WINDOW_SIZING = { width: 1360, height: 880, minWidth: 800, minHeight: 560 };

/** One dashboard window: its page's state as far as main knows it, and its own host API. */
interface AppWindow {
  id: number;
  win: BrowserWindow;
  /** Events for the page wait here until it has loaded. */
  pageLoaded: boolean;
  queued: HostEvent[];
  /** The dashboard it shows: the file it was opened for, then what its page reports. */
  path: string | null;
  dirty: boolean;
  services: HostApi;
}

let gateway: DataGateway | null = null;
// Set once start() has run: the host API every window shares, and the window state to start from.
let shared: HostApi | null = null;
let lastWindowState: WindowState | null = null;
// Files or links the OS handed over before start() read the launch (macOS open-file/open-url at launch).
const pendingLaunches: LaunchRequest[] = [];
let launchRead = false;
// Open windows, most recently focused first.
let windows: AppWindow[] = [];
let nextWindowId = 1;

const home = defaultHomeDir();
const recent = new RecentDashboards(home);
const windowStateFile = new WindowStateFile(home);

// Both must happen before `ready`.
protocol.registerSchemesAsPrivileged(APP_PRIVILEGED_SCHEMES);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    // A second launch (`northstar other.dashboard.json`, a double-click) lands here, its file
    // resolved against the directory *that* launch ran in. Without a file, bring the app forward.
    const request = launchRequestFromArgv(argv, workingDirectory, { isPackaged: app.isPackaged });
    if (request.kind !== 'open' && windows[0]) focusWindow(windows[0]);
    handleOsRequest(request);
  });
  // macOS delivers double-clicked files (and files dropped on the Dock icon) and clicked
  // northstar:// links as events, also before `ready`: register at once.
  app.on('open-file', (event, file) => {
    event.preventDefault();
    handleOsRequest(launchRequestFromFile(file));
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    handleOsRequest(launchRequestFromLink(url));
  });
  // Windows and Linux start the app (or a second instance, see above) with the link as an
  // argument. Only the installed app registers itself: a development run must not take the
  // scheme over from it.
  if (app.isPackaged && !app.isDefaultProtocolClient(DEEP_LINK_SCHEME)) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  // Closing the last window quits, except on macOS, where apps stay in the Dock until Cmd+Q.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    // macOS: a click on the Dock icon with no window open opens one.
    if (shared && windows.length === 0) createWindow({});
  });
  app.on('will-quit', (event) => {
    if (!gateway) return;
    // Hold the quit until the gateway has closed (bounded), then quit for real.
    event.preventDefault();
    const closing = gateway;
    gateway = null;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, GATEWAY_CLOSE_TIMEOUT_MS).unref());
    void Promise.race([closing.close(), timeout])
      .catch((err: unknown) => console.error('Northstar: closing the data gateway failed:', err))
      .finally(() => app.quit());
  });
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      console.error('Northstar failed to start:', err);
      dialog.showErrorBox('Northstar could not start', message);
      app.exit(1);
    });
}

async function start(): Promise<void> {
  gateway = await DataGateway.start({ allowedOrigins: [APP_ORIGIN] });
  gateway.allowOrigin(APP_ORIGIN);
  const csp = buildContentSecurityPolicy(gateway.origin);

  const launches = pendingLaunches.length > 0 ? pendingLaunches.splice(0) : [launchRequestFromArgv(process.argv, process.cwd(), { isPackaged: app.isPackaged })];
  launchRead = true;

  // Packaged, the bundled demo is read-only inside the asar: open a writable copy in the home.
  const demo = app.isPackaged ? await ensureWritableDemo(DEMO_DASHBOARD_PATH, path.join(home, 'examples')) : DEMO_DASHBOARD_PATH;

  const [first, ...rest] = launches;
  const services = createHostServices({
    host: 'electron',
    appVersion: app.getVersion(),
    gateway,
    // Each window names its file in its URL; a window asking for "the default" gets the demo.
    defaultDashboardPath: demo,
    probeSourcesOf: first?.kind === 'open' ? first.path : demo,
    homeDir: home,
    // Typed S3 keys: encrypted by the OS keychain, never stored where safeStorage falls back to plain text.
    credentials: new CredentialStore(home, safeStorageCipher(safeStorage)),
    openExternal: (url) => shell.openExternal(url),
    pickDashboardFile: pickDashboardFile,
    pickDataFile: pickDataFile,
    pickFolder: pickFolder,
  });
  shared = reportingOpenedDashboards(
    services,
    (file) => void recent.add(file).then(updateMenu).catch((err: unknown) => console.error('Northstar: could not update the recent dashboards:', err)),
    [DEMO_DASHBOARD_PATH, demo],
  );

  hardenSession(session.defaultSession, csp);
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: RENDERER_DIR, csp }));
  registerWindowIpc();
  await updateMenu();
  lastWindowState = await initialWindowState();
  // The first launch's dashboard (and a link's view) go into the first window's URL, so the page
  // opens them in one run; the demo when the launch named nothing.
  createWindow(first?.kind === 'open' ? launchOf(first) : {});
  if (first && first.kind !== 'open') handleLaunchRequest(first);
  for (const request of rest) handleLaunchRequest(request);
}

/**
 * One IPC handler per host method (generated from `hostMethods`), answering only the top frame
 * of one of our windows (handleHostCall checks the sender against the window it came from), each
 * window with its own host API: the same services, plus the methods about that window.
 */
function registerWindowIpc(): void {
  for (const method of hostMethods) {
    ipcMain.handle(`${IPC_PREFIX}${method}`, (event, args: unknown) => {
      const entry = windows.find((w) => !w.win.isDestroyed() && w.win.webContents === event.sender);
      return handleHostCall(event, entry?.win ?? null, entry?.services ?? (shared as HostApi), method, args);
    });
  }
}

function windowServices(entry: AppWindow): HostApi {
  return {
    ...(shared as HostApi),
    openWindow: async (req) => {
      if (req.path === undefined) createWindow({ start: true });
      else openDashboardRequest(req.path, req.view, { newWindow: true });
      return { opened: true };
    },
    setWindowDocument: async (req) => {
      entry.path = req.path;
      entry.dirty = req.dirty;
      if (process.platform === 'darwin') {
        // The title bar's unsaved dot and its file icon (Cmd-click shows the folder).
        entry.win.setDocumentEdited(req.dirty);
        entry.win.setRepresentedFilename(req.path ?? '');
      }
    },
  };
}

function launchOf(request: Extract<LaunchRequest, { kind: 'open' }>): LaunchFragment {
  return request.view === undefined ? { file: request.path } : { file: request.path, view: request.view };
}

/** A file or link from the OS: remembered for start() until it has read the launch, else handled at once. */
function handleOsRequest(request: LaunchRequest): void {
  if (launchRead) handleLaunchRequest(request);
  else pendingLaunches.push(request);
}

function handleLaunchRequest(request: LaunchRequest): void {
  if (request.kind === 'open') openDashboardRequest(request.path, request.view, {});
  else if (request.kind === 'notADashboard') showRefusal('Not a dashboard', 'This file cannot be opened', request.message);
  else if (request.kind === 'badLink') showRefusal('Not a Northstar link', 'This link cannot be opened', request.message);
}

/** Open a dashboard from outside a page: in the window that has it, the focused one, or a new one. */
function openDashboardRequest(file: string, view: string | undefined, opts: { newWindow?: boolean }): void {
  const route = routeDashboardOpen(file, windows, opts);
  if (route.kind === 'newWindow') {
    createWindow(view === undefined ? { file } : { file, view });
    return;
  }
  const entry = windows.find((w) => w.id === route.id);
  if (!entry) return;
  focusWindow(entry);
  if (route.kind === 'replace') {
    // entry.path follows once the page reports the file open (it may still ask to keep unsaved edits).
    sendHostEvent(entry, view === undefined ? { kind: 'openFile', path: file } : { kind: 'openFile', path: file, view });
  } else if (view !== undefined) {
    // Open there already: the page only switches to the link's view (its path, as it knows it).
    sendHostEvent(entry, { kind: 'openFile', path: entry.path ?? file, view });
  }
}

function focusWindow(entry: AppWindow): void {
  if (entry.win.isDestroyed()) return;
  if (entry.win.isMinimized()) entry.win.restore();
  entry.win.focus();
  moveToFront(entry);
}

function moveToFront(entry: AppWindow): void {
  windows = [entry, ...windows.filter((w) => w !== entry)];
}

function createWindow(launch: LaunchFragment): BrowserWindow {
  const state = lastWindowState ?? { bounds: { x: 0, y: 0, ...WINDOW_SIZING }, maximized: false };
  const bounds = cascadeBounds(
    state.bounds,
    windows.filter((w) => !w.win.isDestroyed()).map((w) => w.win.getBounds()),
    screen.getPrimaryDisplay().workArea,
  );
  const win = new BrowserWindow({
    ...bounds,
    minWidth: WINDOW_SIZING.minWidth,
    minHeight: WINDOW_SIZING.minHeight,
    show: false,
    title: 'Northstar',
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences({ preloadPath: PRELOAD_PATH, devTools: !app.isPackaged }),
  });
  // Also applied by `web-contents-created`; doing it here too does not depend on event order.
  hardenWebContents(win.webContents);
  const self: AppWindow = { id: nextWindowId++, win, pageLoaded: false, queued: [], path: launch.file ?? null, dirty: false, services: shared as HostApi };
  self.services = windowServices(self);
  windows = [self, ...windows];
  win.webContents.on('did-start-loading', () => {
    self.pageLoaded = false;
  });
  win.webContents.on('did-finish-load', () => {
    self.pageLoaded = true;
    for (const event of self.queued.splice(0)) win.webContents.send(HOST_EVENT_CHANNEL, event);
  });
  win.once('ready-to-show', () => {
    if (state.maximized && windows.length === 1) win.maximize();
    win.show();
  });
  win.on('focus', () => moveToFront(self));
  win.on('close', () => {
    // Every window remembers its place when it closes: the last one closed is where the next launch opens.
    const closed = { bounds: win.isMaximized() || win.isFullScreen() ? win.getNormalBounds() : win.getBounds(), maximized: win.isMaximized() };
    lastWindowState = closed;
    void windowStateFile.save(closed).catch((err: unknown) => console.error('Northstar: could not remember the window size:', err));
  });
  win.on('closed', () => {
    windows = windows.filter((w) => w !== self);
  });
  const fragment = encodeLaunchFragment(launch);
  const url = fragment ? `${APP_INDEX_URL}#${fragment}` : APP_INDEX_URL;
  win.loadURL(url).catch((err: unknown) => console.error(`Northstar: could not load ${APP_INDEX_URL}:`, err));
  return win;
}

async function initialWindowState(): Promise<WindowState> {
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((d) => d.id !== primary.id);
  return restoreWindowState(await windowStateFile.load(), [primary, ...others].map((d) => d.workArea), WINDOW_SIZING);
}

/** Send a host event to a window's page, validated like every message; queued until the page has loaded. */
function sendHostEvent(entry: AppWindow, event: HostEvent): void {
  const checked = HostEvent.parse(event);
  if (entry.win.isDestroyed() || !entry.pageLoaded) {
    entry.queued.push(checked);
    return;
  }
  entry.win.webContents.send(HOST_EVENT_CHANNEL, checked);
}

/** A menu command goes to the focused window; with none open (macOS), to a new, empty one. */
function sendCommand(id: HostCommandId): void {
  const target = windows[0];
  if (target) {
    sendHostEvent(target, { kind: 'command', id });
    return;
  }
  createWindow({ start: true });
  if (windows[0]) sendHostEvent(windows[0], { kind: 'command', id });
}

/** The window a dialog belongs to: the focused one, if any. */
function dialogParent(): BrowserWindow | null {
  const win = windows[0]?.win;
  return win && !win.isDestroyed() ? win : null;
}

function showRefusal(title: string, message: string, detail: string): void {
  const options = { type: 'error' as const, title, message, detail, buttons: ['OK'] };
  const win = dialogParent();
  void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}

async function updateMenu(): Promise<void> {
  const template = buildMenuTemplate({
    platform: process.platform,
    appName: 'Northstar',
    recent: await recent.list(),
    devTools: !app.isPackaged,
    actions: {
      command: sendCommand,
      newWindow: () => createWindow({ start: true }),
      openInNewWindow: () => {
        void pickDashboardFile({ purpose: 'open' }).then(
          (file) => file && openDashboardRequest(file, undefined, { newWindow: true }),
          (err: unknown) => console.error('Northstar: the open dialog failed:', err),
        );
      },
      openRecent: (file) => openDashboardRequest(file, undefined, {}),
      clearRecent: () => void recent.clear().then(updateMenu).catch((err: unknown) => console.error('Northstar: could not clear the recent dashboards:', err)),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function pickDashboardFile(req: { purpose: 'open' | 'new' | 'saveAs'; suggestedPath?: string }): Promise<string | null> {
  const filters = [
    { name: 'Northstar dashboards', extensions: ['json'] },
    { name: 'All files', extensions: ['*'] },
  ];
  const win = dialogParent();
  if (req.purpose === 'open') {
    const options = { title: 'Open dashboard', properties: ['openFile' as const], filters, ...(req.suggestedPath ? { defaultPath: path.dirname(req.suggestedPath) } : {}) };
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  }
  const options = {
    title: req.purpose === 'new' ? 'New dashboard' : 'Save dashboard as',
    buttonLabel: req.purpose === 'new' ? 'Create' : 'Save',
    filters,
    defaultPath: req.suggestedPath ?? path.join(app.getPath('documents'), 'untitled.dashboard.json'),
  };
  const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  return result.canceled || !result.filePath ? null : withDashboardExtension(result.filePath);
}

function pickFolder(req: { folder?: string }): Promise<string | null> {
  return pickOne(req, { title: 'Choose a folder', buttonLabel: 'Choose', properties: ['openDirectory', 'createDirectory', 'promptToCreate'] });
}

function pickDataFile(req: { folder?: string }): Promise<string | null> {
  return pickOne(req, {
    title: 'Choose a data file',
    properties: ['openFile'],
    filters: [
      { name: 'Data files', extensions: ['parquet', 'csv', 'tsv', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
  });
}

/** The system's open dialog, over the app's window, starting in `req.folder`: the one path picked, or null. */
async function pickOne(req: { folder?: string }, dialogOptions: OpenDialogOptions): Promise<string | null> {
  const options = { ...dialogOptions, ...(req.folder ? { defaultPath: req.folder } : {}) };
  const win = dialogParent();
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
