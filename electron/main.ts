// The Electron main process, kept thin: it starts the data gateway and the host services, and
// wires the policies of window-security.ts and the desktop integration of desktop.ts into
// Electron. No product logic lives here.
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, screen, session, shell } from 'electron';
import { HOST_EVENT_CHANNEL, HostEvent, type HostCommandId } from './api/host-api';
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
  hardenWebContents,
  registerHostIpc,
  secureWebPreferences,
} from './window-security';
import {
  buildMenuTemplate,
  DEEP_LINK_SCHEME,
  launchRequestFromArgv,
  launchRequestFromLink,
  reportingOpenedDashboards,
  restoreWindowState,
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

let mainWindow: BrowserWindow | null = null;
let gateway: DataGateway | null = null;
// A file or link the OS handed over before start() read the launch (macOS open-file/open-url at launch).
let pendingLaunch: LaunchRequest | null = null;
let launchRead = false;
// Events for a window whose page has not loaded yet: sent once it has.
let pageLoaded = false;
const queuedEvents: HostEvent[] = [];

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
    // A second launch (`northstar other.dashboard.json`, a double-click) lands here: open its
    // file in this window, resolved against the directory *that* launch ran in.
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
    handleLaunchRequest(launchRequestFromArgv(argv, workingDirectory, { isPackaged: app.isPackaged }));
  });
  // macOS delivers double-clicked files (and files dropped on the Dock icon) and clicked
  // northstar:// links as events, also before `ready`: register at once.
  app.on('open-file', (event, file) => {
    event.preventDefault();
    handleOsRequest({ kind: 'open', path: file });
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
  app.on('window-all-closed', () => app.quit());
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

  const launch = pendingLaunch ?? launchRequestFromArgv(process.argv, process.cwd(), { isPackaged: app.isPackaged });
  const firstFile = launch.kind === 'open' ? launch.path : null;
  pendingLaunch = null;
  launchRead = true;

  // Packaged, the bundled demo is read-only inside the asar: open a writable copy in the home.
  const demo = app.isPackaged ? await ensureWritableDemo(DEMO_DASHBOARD_PATH, path.join(home, 'examples')) : DEMO_DASHBOARD_PATH;

  const services = createHostServices({
    host: 'electron',
    appVersion: app.getVersion(),
    gateway,
    defaultDashboardPath: firstFile ?? demo,
    homeDir: home,
    // Typed S3 keys: encrypted by the OS keychain, never stored where safeStorage falls back to plain text.
    credentials: new CredentialStore(home, safeStorageCipher(safeStorage)),
    openExternal: (url) => shell.openExternal(url),
    pickDashboardFile: pickDashboardFile,
    pickDataFile: pickDataFile,
  });
  const reported = reportingOpenedDashboards(
    services,
    (file) => void recent.add(file).then(updateMenu, (err: unknown) => console.error('Northstar: could not update the recent dashboards:', err)),
    [DEMO_DASHBOARD_PATH, demo],
  );

  hardenSession(session.defaultSession, csp);
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: RENDERER_DIR, csp }));
  registerHostIpc(ipcMain, reported, () => mainWindow);
  await updateMenu();
  mainWindow = createWindow(await initialWindowState());
  // The renderer opens firstFile by itself; a link's view comes after it as an event (queued until the page has loaded).
  if (launch.kind !== 'open' || launch.view !== undefined) handleLaunchRequest(launch);
}

/** A file or link from the OS: remembered for start() until it has read the launch, else handled at once. */
function handleOsRequest(request: LaunchRequest): void {
  if (launchRead) handleLaunchRequest(request);
  else pendingLaunch = request;
}

function createWindow(state: WindowState): BrowserWindow {
  const win = new BrowserWindow({
    ...state.bounds,
    minWidth: WINDOW_SIZING.minWidth,
    minHeight: WINDOW_SIZING.minHeight,
    show: false,
    title: 'Northstar',
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences({ preloadPath: PRELOAD_PATH, devTools: !app.isPackaged }),
  });
  // Also applied by `web-contents-created`; doing it here too does not depend on event order.
  hardenWebContents(win.webContents);
  pageLoaded = false;
  win.webContents.on('did-start-loading', () => {
    pageLoaded = false;
  });
  win.webContents.on('did-finish-load', () => {
    pageLoaded = true;
    for (const event of queuedEvents.splice(0)) win.webContents.send(HOST_EVENT_CHANNEL, event);
  });
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  win.on('close', () => {
    const bounds = win.isMaximized() || win.isFullScreen() ? win.getNormalBounds() : win.getBounds();
    void windowStateFile.save({ bounds, maximized: win.isMaximized() }).catch((err: unknown) => console.error('Northstar: could not remember the window size:', err));
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.loadURL(APP_INDEX_URL).catch((err: unknown) => console.error(`Northstar: could not load ${APP_INDEX_URL}:`, err));
  return win;
}

async function initialWindowState(): Promise<WindowState> {
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((d) => d.id !== primary.id);
  return restoreWindowState(await windowStateFile.load(), [primary, ...others].map((d) => d.workArea), WINDOW_SIZING);
}

/** Send a host event to the page, validated like every message; queued until the page has loaded. */
function sendHostEvent(event: HostEvent): void {
  const checked = HostEvent.parse(event);
  const win = mainWindow;
  if (!win || win.isDestroyed() || !pageLoaded) {
    queuedEvents.push(checked);
    return;
  }
  win.webContents.send(HOST_EVENT_CHANNEL, checked);
}

function handleLaunchRequest(request: LaunchRequest): void {
  if (request.kind === 'open') sendHostEvent(request.view === undefined ? { kind: 'openFile', path: request.path } : { kind: 'openFile', path: request.path, view: request.view });
  else if (request.kind === 'notADashboard') showRefusal('Not a dashboard', 'This file cannot be opened', request.message);
  else if (request.kind === 'badLink') showRefusal('Not a Northstar link', 'This link cannot be opened', request.message);
}

function showRefusal(title: string, message: string, detail: string): void {
  const options = { type: 'error' as const, title, message, detail, buttons: ['OK'] };
  const win = mainWindow;
  void (win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}

async function updateMenu(): Promise<void> {
  const template = buildMenuTemplate({
    platform: process.platform,
    appName: 'Northstar',
    recent: await recent.list(),
    devTools: !app.isPackaged,
    actions: {
      command: (id: HostCommandId) => sendHostEvent({ kind: 'command', id }),
      openRecent: (file) => sendHostEvent({ kind: 'openFile', path: file }),
      clearRecent: () => void recent.clear().then(updateMenu),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function pickDashboardFile(req: { purpose: 'open' | 'new' | 'saveAs'; suggestedPath?: string }): Promise<string | null> {
  const filters = [
    { name: 'Northstar dashboards', extensions: ['json'] },
    { name: 'All files', extensions: ['*'] },
  ];
  const win = mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;
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

async function pickDataFile(req: { folder?: string }): Promise<string | null> {
  const options = {
    title: 'Choose a data file',
    properties: ['openFile' as const],
    filters: [
      { name: 'Data files', extensions: ['parquet', 'csv', 'tsv', 'json'] },
      { name: 'All files', extensions: ['*'] },
    ],
    ...(req.folder ? { defaultPath: req.folder } : {}),
  };
  const win = mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;
  const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
