// Desktop integration as plain functions: which file a launch asks to open, where the window goes,
// what the native menus hold. main.ts wires these into Electron; everything here runs under plain
// Node in tests (only electron *types* are imported).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MenuItemConstructorOptions } from 'electron';
import { MAX_LINK_VIEW_CHARS, type HostCommandId, type HostApi } from './api/host-api';

/** The file names Northstar opens as dashboards. */
export const DASHBOARD_FILE_PATTERN = /\.(northstar|dashboard)\.json$/i;

/** What the command line of a launch (first or second instance) asks for. */
export type LaunchRequest =
  | { kind: 'none' }
  | { kind: 'open'; path: string; view?: string }
  | { kind: 'notADashboard'; path: string; message: string }
  | { kind: 'badLink'; link: string; message: string };

/**
 * The file a launch names, resolved against the launch's working directory. Flags (`-x`, `--x=y`,
 * macOS `-psn_...`, the switches Chromium appends on a second launch) are ignored; a `file://` URL
 * (what Linux file managers pass for `%U`) becomes a path. The first positional argument counts;
 * a file that is not named like a dashboard is refused with a message for the user.
 * In development argv[1] is the app folder, so positional arguments start one later.
 */
export function launchRequestFromArgv(argv: readonly string[], cwd: string, opts: { isPackaged: boolean; platform?: NodeJS.Platform }): LaunchRequest {
  const args = argv.slice(opts.isPackaged ? 1 : 2);
  let positional: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      positional = args[i + 1];
      break;
    }
    if (arg.startsWith('-') || arg === '') continue;
    positional = arg;
    break;
  }
  if (positional === undefined) return { kind: 'none' };
  // Windows and Linux hand a clicked northstar:// link to the app as an argument.
  if (isDeepLink(positional)) return launchRequestFromLink(positional, opts.platform ?? process.platform);
  let file: string;
  if (/^file:\/\//i.test(positional)) {
    try {
      file = fileURLToPath(positional);
    } catch {
      return { kind: 'notADashboard', path: positional, message: notADashboardMessage(positional) };
    }
  } else {
    file = path.resolve(cwd, positional);
  }
  if (!DASHBOARD_FILE_PATTERN.test(file)) return { kind: 'notADashboard', path: file, message: notADashboardMessage(file) };
  return { kind: 'open', path: file };
}

/**
 * A launch request for a file the OS hands over by path (macOS open-file: a double-click, "Open
 * With", a drop on the Dock icon). Finder offers Northstar for every .json file, so the name is checked.
 */
export function launchRequestFromFile(file: string): LaunchRequest {
  return DASHBOARD_FILE_PATTERN.test(file) ? { kind: 'open', path: file } : { kind: 'notADashboard', path: file, message: notADashboardMessage(file) };
}

/** The text of the error dialog for a file that is not a dashboard. */
export function notADashboardMessage(file: string): string {
  return `"${path.basename(file)}" is not a Northstar dashboard. Northstar opens dashboard files named *.northstar.json or *.dashboard.json.`;
}

// ---------------------------------------------------------------------------------------------
// northstar:// links
//
// `northstar://open?file=<absolute dashboard path>#view=<base64url view>` opens a dashboard and
// shows a view of it. A link comes from anywhere (a chat, a web page), so it may only name a
// dashboard file: opening one runs nothing by itself (its SQL waits for trust, its sources for
// approval), and everything else about a link is refused with a message saying why.

/** The URL scheme of Northstar links, registered with the OS. */
export const DEEP_LINK_SCHEME = 'northstar';
/** Longest link accepted: the view plus room for a long path. */
const MAX_LINK_CHARS = MAX_LINK_VIEW_CHARS + 8192;
const MAX_PATH_CHARS = 4096;

/** Whether a launch argument or an `open-url` URL is a Northstar link (scheme compared case-insensitively, as URLs do). */
export function isDeepLink(arg: string): boolean {
  return arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}:`);
}

/** What a northstar:// link asks for: a dashboard to open and maybe a view, or why it is refused. */
export type DeepLink = { ok: true; path: string; view?: string } | { ok: false; message: string };

/**
 * Parse and check a northstar:// link. `platform` decides what an absolute path is (a drive path
 * on Windows, `/...` elsewhere). Refused: another scheme or action, a relative path, `..`
 * segments, Windows network (UNC) paths, files not named like a dashboard, unknown or repeated
 * parameters, a fragment other than `view=<base64url>`, and a view over MAX_LINK_VIEW_CHARS.
 */
export function parseDeepLink(link: string, platform: NodeJS.Platform = process.platform): DeepLink {
  const refuse = (why: string): DeepLink => ({ ok: false, message: `This Northstar link cannot be opened: ${why}` });
  if (link.length > MAX_LINK_CHARS) return refuse(`it is ${link.length} characters long; links are at most ${MAX_LINK_CHARS}.`);
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return refuse('it is not a valid link.');
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) return refuse(`it starts with "${url.protocol}" instead of "${DEEP_LINK_SCHEME}:".`);
  if (url.host.toLowerCase() !== 'open' || (url.pathname !== '' && url.pathname !== '/') || url.username || url.password) {
    return refuse(`Northstar links look like ${DEEP_LINK_SCHEME}://open?file=<dashboard path>, and this one does not.`);
  }
  const keys = [...url.searchParams.keys()];
  const unknown = keys.find((k) => k !== 'file');
  if (unknown !== undefined) return refuse(`it has an unknown parameter "${unknown.slice(0, 40)}" (only "file" is allowed).`);
  const files = url.searchParams.getAll('file');
  if (files.length === 0 || !files[0]) return refuse('it names no dashboard file (file=...).');
  if (files.length > 1) return refuse('it names more than one file.');
  const checked = checkLinkedFile(files[0], platform);
  if (!checked.ok) return refuse(checked.message);

  const fragment = url.hash.replace(/^#/, '');
  if (fragment === '') return { ok: true, path: checked.path };
  const view = /^view=([A-Za-z0-9_-]+)$/.exec(fragment)?.[1];
  if (!view) return refuse('the part after "#" is not a Northstar view (#view=...).');
  if (view.length > MAX_LINK_VIEW_CHARS) return refuse(`its view is ${view.length} characters long; at most ${MAX_LINK_VIEW_CHARS} are accepted.`);
  return { ok: true, path: checked.path, view };
}

function checkLinkedFile(file: string, platform: NodeJS.Platform): { ok: true; path: string } | { ok: false; message: string } {
  const win = platform === 'win32';
  const p = win ? path.win32 : path.posix;
  const shown = file.length > 200 ? `${file.slice(0, 200)}…` : file;
  if (file.length > MAX_PATH_CHARS) return { ok: false, message: `the file path is longer than ${MAX_PATH_CHARS} characters.` };
  if (/[\u0000-\u001f]/.test(file)) return { ok: false, message: 'the file path contains control characters.' };
  // URLSearchParams turns broken %-escapes into U+FFFD: that is not the path the link meant.
  if (file.includes('\uFFFD')) return { ok: false, message: 'the file path in it is damaged (invalid %-escapes).' };
  // Opening \\server\share from a link would make Windows contact that server (and offer it the user's credentials).
  if (win && /^[\\/]{2}/.test(file)) return { ok: false, message: `"${shown}" is a network path; links may only open files on this computer.` };
  const absolute = win ? /^[A-Za-z]:[\\/]/.test(file) : p.isAbsolute(file);
  if (!absolute) return { ok: false, message: `"${shown}" is not an absolute path${win ? ' (such as C:\\Users\\ana\\sales.dashboard.json)' : ' (such as /home/ana/sales.dashboard.json)'}.` };
  if (file.split(win ? /[\\/]/ : '/').includes('..')) return { ok: false, message: `"${shown}" contains "..": links must name the file directly.` };
  const normal = p.normalize(file);
  if (!DASHBOARD_FILE_PATTERN.test(normal)) return { ok: false, message: notADashboardMessage(normal) };
  return { ok: true, path: normal };
}

/** A launch request for a link: open its dashboard (and view), or a refusal to show. */
export function launchRequestFromLink(link: string, platform: NodeJS.Platform = process.platform): LaunchRequest {
  const parsed = parseDeepLink(link, platform);
  if (!parsed.ok) return { kind: 'badLink', link, message: parsed.message };
  return parsed.view === undefined ? { kind: 'open', path: parsed.path } : { kind: 'open', path: parsed.path, view: parsed.view };
}

/** `name.dashboard.json` for a path the user typed in a save dialog without our extension. */
export function withDashboardExtension(file: string): string {
  if (DASHBOARD_FILE_PATTERN.test(file)) return file;
  return `${file.replace(/\.json$/i, '')}.dashboard.json`;
}

// ---------------------------------------------------------------------------------------------
// Window state

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What is remembered of the window between launches. */
export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

export interface WindowSizing {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
}

/** How much of the window's top edge (its title bar) must be on a display to count as visible. */
const MIN_VISIBLE = 64;

/**
 * The bounds to open the window with: the remembered ones when they are sane and still on a
 * display (moved fully inside that display's work area, shrunk to fit it), else the default size
 * centred on the primary display (`displays[0]`). `saved` is whatever was on disk, unchecked.
 */
export function restoreWindowState(saved: unknown, displays: readonly Rectangle[], sizing: WindowSizing): WindowState {
  const primary = displays[0] ?? { x: 0, y: 0, width: sizing.width, height: sizing.height };
  const centred = (width: number, height: number, area: Rectangle): Rectangle => {
    const w = Math.min(width, area.width);
    const h = Math.min(height, area.height);
    return { x: Math.round(area.x + (area.width - w) / 2), y: Math.round(area.y + (area.height - h) / 2), width: w, height: h };
  };
  const fallback: WindowState = { bounds: centred(sizing.width, sizing.height, primary), maximized: false };
  const state = parseWindowState(saved);
  if (!state) return fallback;
  const { bounds } = state;
  const width = Math.max(sizing.minWidth, Math.round(bounds.width));
  const height = Math.max(sizing.minHeight, Math.round(bounds.height));
  // The display that shows most of the window's title bar strip.
  const titleBar = { x: bounds.x, y: bounds.y, width, height: Math.min(height, MIN_VISIBLE) };
  let best: Rectangle | null = null;
  let bestArea = 0;
  for (const d of displays) {
    const area = overlap(titleBar, d);
    if (area > bestArea) {
      best = d;
      bestArea = area;
    }
  }
  if (!best || bestArea < MIN_VISIBLE * Math.min(titleBar.height, MIN_VISIBLE)) {
    // Its display is gone (a detached monitor) or it was dragged off-screen: keep its size only.
    return { bounds: centred(width, height, primary), maximized: state.maximized };
  }
  const w = Math.min(width, best.width);
  const h = Math.min(height, best.height);
  const x = Math.min(Math.max(Math.round(bounds.x), best.x), best.x + best.width - w);
  const y = Math.min(Math.max(Math.round(bounds.y), best.y), best.y + best.height - h);
  return { bounds: { x, y, width: w, height: h }, maximized: state.maximized };
}

/** A WindowState from untrusted JSON, or null when any field is missing or not a finite number. */
export function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== 'object' || value === null) return null;
  const { bounds, maximized } = value as { bounds?: unknown; maximized?: unknown };
  if (typeof bounds !== 'object' || bounds === null) return null;
  const b = bounds as Record<string, unknown>;
  const nums = [b.x, b.y, b.width, b.height];
  if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  const [x, y, width, height] = nums as number[];
  if (width! <= 0 || height! <= 0 || width! > 100_000 || height! > 100_000) return null;
  return { bounds: { x: x!, y: y!, width: width!, height: height! }, maximized: maximized === true };
}

function overlap(a: Rectangle, b: Rectangle): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** How far each new window is moved from one already at its place, so that it does not hide it exactly. */
export const CASCADE_STEP = 28;

/**
 * The bounds of one more window: `base` (the remembered state, already clamped to a display),
 * moved down and right by CASCADE_STEP while another window sits at that very place, and moved
 * back to the top-left of the base display when that would push it off it.
 */
export function cascadeBounds(base: Rectangle, others: readonly Rectangle[], display: Rectangle): Rectangle {
  let { x, y } = base;
  const taken = (px: number, py: number) => others.some((o) => Math.abs(o.x - px) < CASCADE_STEP / 2 && Math.abs(o.y - py) < CASCADE_STEP / 2);
  for (let i = 0; i < 50 && taken(x, y); i += 1) {
    x += CASCADE_STEP;
    y += CASCADE_STEP;
    if (x + base.width > display.x + display.width || y + base.height > display.y + display.height) {
      // Off the display: start a new cascade from its corner.
      x = display.x + ((i + 1) % 10) * CASCADE_STEP;
      y = display.y;
    }
  }
  return { x, y, width: base.width, height: base.height };
}

// ---------------------------------------------------------------------------------------------
// Several windows: where a dashboard opens

/** What the main process knows of one open window. */
export interface DashboardWindow {
  id: number;
  /** The dashboard file it shows (as its page last reported), or null (a start window, not yet reported). */
  path: string | null;
  /** It has edits not saved yet (as its page last reported). */
  dirty: boolean;
}

/**
 * Where a dashboard goes: `focus` the window that has it open already, `replace` what a window
 * shows (the focused window, when it has no unsaved edits), or a `newWindow`.
 */
export type OpenRoute = { kind: 'focus'; id: number } | { kind: 'replace'; id: number } | { kind: 'newWindow' };

/**
 * Route a dashboard the user opens from outside a window (a double-click, a second launch, a
 * northstar:// link, File › Open Recent, File › Open in New Window). `windows` are most recently
 * focused first. A file already open anywhere focuses that window (two windows on one file would
 * overwrite each other's saves and autosaves); `newWindow` (Open in New Window) or a focused
 * window with unsaved edits gets a new window; else the focused window shows the file instead.
 */
export function routeDashboardOpen(
  file: string,
  windows: readonly DashboardWindow[],
  opts: { newWindow?: boolean; platform?: NodeJS.Platform } = {},
): OpenRoute {
  const platform = opts.platform ?? process.platform;
  const key = pathKey(file, platform);
  const open = windows.find((w) => w.path !== null && pathKey(w.path, platform) === key);
  if (open) return { kind: 'focus', id: open.id };
  const target = windows[0];
  if (opts.newWindow || !target || target.dirty) return { kind: 'newWindow' };
  return { kind: 'replace', id: target.id };
}

/** A path as the file system compares it: macOS and Windows file names ignore case by default. */
function pathKey(file: string, platform: NodeJS.Platform): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const resolved = p.resolve(file);
  return platform === 'win32' || platform === 'darwin' ? resolved.toLowerCase() : resolved;
}

// ---------------------------------------------------------------------------------------------
// Native menus

export interface MenuActions {
  /** Ask the renderer to run one of its commands (the same ids the command palette runs). */
  command(id: HostCommandId): void;
  /** A new window with no dashboard open. */
  newWindow(): void;
  /** Ask for a dashboard file and open it in a window of its own. */
  openInNewWindow(): void;
  openRecent(file: string): void;
  clearRecent(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  recent: readonly string[];
  /** Adds Toggle Developer Tools (never in a packaged app). */
  devTools: boolean;
  actions: MenuActions;
}

/**
 * The application menu. Items that act on the dashboard send command ids to the renderer; the
 * standard text editing, zoom, full screen and window items keep Electron's built-in roles.
 */
export function buildMenuTemplate(opts: MenuOptions): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const send = (id: HostCommandId) => () => opts.actions.command(id);
  const about: MenuItemConstructorOptions = { id: 'app.about', label: `About ${opts.appName}`, click: send('app.about') };
  const recentItems: MenuItemConstructorOptions[] =
    opts.recent.length === 0
      ? [{ id: 'file.recent.none', label: 'No Recent Dashboards', enabled: false }]
      : opts.recent.map((file, i) => ({ id: `file.recent.${i}`, label: recentLabel(file, opts.recent), click: () => opts.actions.openRecent(file) }));

  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: opts.appName,
      submenu: [about, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
    });
  }
  template.push({
    label: '&File',
    submenu: [
      { id: 'file.new', label: 'New Dashboard…', accelerator: 'CmdOrCtrl+N', click: send('file.new') },
      { id: 'file.newWindow', label: 'New Window', accelerator: 'Shift+CmdOrCtrl+N', click: () => opts.actions.newWindow() },
      { type: 'separator' },
      { id: 'file.open', label: 'Open…', accelerator: 'CmdOrCtrl+O', click: send('file.open') },
      { id: 'file.openInNewWindow', label: 'Open in New Window…', click: () => opts.actions.openInNewWindow() },
      {
        id: 'file.recent',
        label: 'Open Recent',
        submenu: [...recentItems, { type: 'separator' }, { id: 'file.recent.clear', label: 'Clear Recently Opened', enabled: opts.recent.length > 0, click: () => opts.actions.clearRecent() }],
      },
      { type: 'separator' },
      { id: 'file.save', label: 'Save', accelerator: 'CmdOrCtrl+S', click: send('file.save') },
      { id: 'file.saveAs', label: 'Save As…', accelerator: 'Shift+CmdOrCtrl+S', click: send('file.saveAs') },
      { type: 'separator' },
      { id: 'file.close', role: 'close', label: 'Close Window', accelerator: 'CmdOrCtrl+W' },
      ...(mac ? [] : [{ type: 'separator' } as const, { role: 'quit' } as const]),
    ],
  });
  template.push({
    label: '&Edit',
    submenu: [
      // The dashboard's own undo history (panels, filters, datasets), not only text fields': the
      // renderer routes it to the focused text field when there is one.
      { id: 'edit.undo', label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: send('edit.undo') },
      { id: 'edit.redo', label: 'Redo', accelerator: mac ? 'Shift+Cmd+Z' : 'Ctrl+Y', click: send('edit.redo') },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
      { type: 'separator' },
      { id: 'edit.find', label: 'Find…', accelerator: 'CmdOrCtrl+F', click: send('edit.find') },
      { id: 'app.commandPalette', label: 'Command Palette…', accelerator: 'CmdOrCtrl+K', click: send('app.commandPalette') },
    ],
  });
  template.push({
    label: '&View',
    submenu: [
      // Replaces the page reload Chromium binds to Ctrl+R: reloading the page would drop unsaved edits.
      { id: 'data.reload', label: 'Reload Data', accelerator: 'CmdOrCtrl+R', click: send('data.reload') },
      { id: 'data.clearCache', label: 'Clear Data Cache', click: send('data.clearCache') },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(opts.devTools ? [{ type: 'separator' } as const, { role: 'toggleDevTools' } as const] : []),
    ],
  });
  if (mac) template.push({ role: 'windowMenu' });
  template.push({ role: 'help', submenu: mac ? [{ id: 'app.palette.help', label: 'Command Palette…', click: send('app.commandPalette') }] : [about] });
  return template;
}

/** A recent file's menu label: its name, with its folder when two entries share a name. */
export function recentLabel(file: string, all: readonly string[]): string {
  const name = path.basename(file);
  const clash = all.filter((f) => path.basename(f) === name).length > 1;
  // `&` marks a mnemonic in menu labels on Windows and Linux.
  return (clash ? `${name} — ${path.dirname(file)}` : name).replace(/&/g, '&&');
}

// ---------------------------------------------------------------------------------------------
// Recent dashboards

/** Where opened and saved dashboards are reported, e.g. to the recent list. */
export type DashboardSeen = (file: string) => void;

/**
 * The host API with every successful open and save reported to `seen` (for File > Open Recent).
 * `skip` paths (the bundled demo) are not reported.
 */
export function reportingOpenedDashboards(api: HostApi, seen: DashboardSeen, skip: readonly string[] = []): HostApi {
  const skipped = new Set(skip.map((p) => path.resolve(p)));
  const report = (file: string) => {
    if (!skipped.has(path.resolve(file))) seen(file);
  };
  return {
    ...api,
    openDashboard: async (req) => {
      const opened = await api.openDashboard(req);
      report(opened.path);
      return opened;
    },
    saveDashboard: async (req) => {
      const saved = await api.saveDashboard(req);
      report(saved.path);
      return saved;
    },
  };
}
