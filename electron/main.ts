// The Electron main process, kept thin: it starts the data gateway and the host services, and
// wires the policies of window-security.ts into Electron. No product logic lives here.
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import { DataGateway } from './services/data-gateway';
import { APP_ROOT, createHostServices, DEMO_DASHBOARD_PATH } from './services/host-services';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_PRIVILEGED_SCHEMES,
  APP_SCHEME,
  buildContentSecurityPolicy,
  createAppProtocolHandler,
  dashboardPathFromArgv,
  hardenSession,
  hardenWebContents,
  registerHostIpc,
  secureWebPreferences,
} from './window-security';

// APP_ROOT is the repository root in development and the app folder once packaged; the build
// writes the renderer to out/renderer and this file and the preload to out/electron.
const RENDERER_DIR = path.join(APP_ROOT, 'out', 'renderer');
const PRELOAD_PATH = path.join(APP_ROOT, 'out', 'electron', 'preload.cjs');
const GATEWAY_CLOSE_TIMEOUT_MS = 2000;

let mainWindow: BrowserWindow | null = null;
let gateway: DataGateway | null = null;

// Both must happen before `ready`.
protocol.registerSchemesAsPrivileged(APP_PRIVILEGED_SCHEMES);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
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

  const services = createHostServices({
    host: 'electron',
    appVersion: app.getVersion(),
    gateway,
    defaultDashboardPath: dashboardPathFromArgv(process.argv, process.cwd()) ?? DEMO_DASHBOARD_PATH,
  });

  hardenSession(session.defaultSession, csp);
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir: RENDERER_DIR, csp }));
  registerHostIpc(ipcMain, services, () => mainWindow);
  mainWindow = createWindow();
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Northstar',
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences({ preloadPath: PRELOAD_PATH, devTools: !app.isPackaged }),
  });
  // Also applied by `web-contents-created`; doing it here too does not depend on event order.
  hardenWebContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.loadURL(APP_INDEX_URL).catch((err: unknown) => console.error(`Northstar: could not load ${APP_INDEX_URL}:`, err));
  return win;
}
