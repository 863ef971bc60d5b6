import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { encodeLaunchFragment, HOST_COMMAND_IDS, HostEvent, MAX_LINK_VIEW_CHARS, parseLaunchFragment, type HostCommandId } from './api/host-api';
import {
  buildMenuTemplate,
  CASCADE_STEP,
  cascadeBounds,
  isDeepLink,
  launchRequestFromArgv,
  launchRequestFromLink,
  parseDeepLink,
  recentLabel,
  restoreWindowState,
  routeDashboardOpen,
  withDashboardExtension,
  type DashboardWindow,
} from './desktop';
import { ensureWritableDemo, MAX_RECENT_DASHBOARDS, RecentDashboards, WindowStateFile } from './desktop-state';

const DEV = { isPackaged: false };
const PACKAGED = { isPackaged: true };

describe('northstar:// links', () => {
  const link = (file: string, fragment = '') => `northstar://open?file=${encodeURIComponent(file)}${fragment}`;
  const VIEW = 'eyJpZCI6InNoYXJlZCJ9';

  it('opens an absolute dashboard path, with spaces, unicode and "+" intact, and carries the view', () => {
    const file = '/home/ana/Équipe finance/Q3 ventes + été ✦.dashboard.json';
    expect(parseDeepLink(link(file, `#view=${VIEW}`), 'linux')).toEqual({ ok: true, path: file, view: VIEW });
    expect(parseDeepLink(link('/Users/ana/看板.northstar.json'), 'darwin')).toEqual({ ok: true, path: '/Users/ana/看板.northstar.json' });
    // An empty fragment is no view; the scheme and action compare case-insensitively, as in URLs.
    expect(parseDeepLink(`NorthStar://OPEN?file=${encodeURIComponent('/d/x.dashboard.json')}#`, 'linux')).toEqual({ ok: true, path: '/d/x.dashboard.json' });
    expect(parseDeepLink(link('C:\\Users\\Ana\\Ventes été.dashboard.json', `#view=${VIEW}`), 'win32')).toEqual({ ok: true, path: 'C:\\Users\\Ana\\Ventes été.dashboard.json', view: VIEW });
    expect(parseDeepLink(link('C:/data/x.dashboard.json'), 'win32')).toEqual({ ok: true, path: 'C:\\data\\x.dashboard.json' });
  });

  it('refuses every other link with a message that says why', () => {
    const refused = (l: string, platform: NodeJS.Platform = 'linux') => {
      const r = parseDeepLink(l, platform);
      expect(r.ok, l.slice(0, 80)).toBe(false);
      return r.ok ? '' : r.message;
    };
    expect(refused('https://open?file=%2Fa.dashboard.json')).toMatch(/starts with "https:" instead of "northstar:"/);
    expect(refused('northstar://run?file=%2Fa.dashboard.json')).toMatch(/northstar:\/\/open\?file=/);
    expect(refused('northstar://open/extra?file=%2Fa.dashboard.json')).toMatch(/northstar:\/\/open\?file=/);
    expect(refused('northstar://evil@open?file=%2Fa.dashboard.json')).toMatch(/northstar:\/\/open\?file=/);
    expect(refused('northstar://open')).toMatch(/names no dashboard file/);
    expect(refused('northstar://open?file=')).toMatch(/names no dashboard file/);
    expect(refused('northstar://open?file=%2Fa.dashboard.json&file=%2Fb.dashboard.json')).toMatch(/more than one file/);
    expect(refused('northstar://open?file=%2Fa.dashboard.json&sql=DROP')).toMatch(/unknown parameter "sql"/);
    expect(refused(link('reports/a.dashboard.json'))).toMatch(/"reports\/a.dashboard.json" is not an absolute path/);
    expect(refused(link('a.dashboard.json'), 'win32')).toMatch(/is not an absolute path \(such as C:/);
    expect(refused(link('\\Users\\a.dashboard.json'), 'win32')).toMatch(/not an absolute path/);
    expect(refused(link('\\\\evil-server\\share\\a.dashboard.json'), 'win32')).toMatch(/network path/);
    expect(refused(link('/home/ana/../bob/a.dashboard.json'))).toMatch(/contains "\.\."/);
    expect(refused(link('C:\\Users\\ana\\..\\bob\\a.dashboard.json'), 'win32')).toMatch(/contains "\.\."/);
    expect(refused(link('/home/ana/.bashrc'))).toMatch(/"\.bashrc" is not a Northstar dashboard/);
    expect(refused(link('/home/ana/orders.json'))).toMatch(/"orders.json" is not a Northstar dashboard/);
    expect(refused(link('/home/ana/a\n.dashboard.json'))).toMatch(/control characters/);
    expect(refused(link('/a.dashboard.json', '#token=x&view=abc'))).toMatch(/not a Northstar view/);
    expect(refused(link('/a.dashboard.json', '#view=a+b'))).toMatch(/not a Northstar view/);
    expect(refused(link('/a.dashboard.json', `#view=${'A'.repeat(MAX_LINK_VIEW_CHARS + 1)}`))).toMatch(new RegExp(`view is ${MAX_LINK_VIEW_CHARS + 1} characters long; at most ${MAX_LINK_VIEW_CHARS}`));
    expect(refused(link('/a.dashboard.json', `#view=${'A'.repeat(1_000_000)}`))).toMatch(/links are at most/);
    expect(refused('northstar://open?file=%E0%A4%A')).toMatch(/file path in it is damaged/);
    expect(refused('northstar://open?file=%2Fa%E0.dashboard.json')).toMatch(/file path in it is damaged/);
    // Every message reads as a dialog text about the link.
    expect(refused('mailto:x@y')).toMatch(/^This Northstar link cannot be opened: /);
  });

  it('accepts a view right at the size limit, and every accepted link makes a valid host event', () => {
    const big = 'A'.repeat(MAX_LINK_VIEW_CHARS);
    const parsed = parseDeepLink(link('/a.dashboard.json', `#view=${big}`), 'linux');
    expect(parsed).toEqual({ ok: true, path: '/a.dashboard.json', view: big });
    if (parsed.ok) expect(HostEvent.safeParse({ kind: 'openFile', path: parsed.path, view: parsed.view }).success).toBe(true);
    expect(HostEvent.safeParse({ kind: 'openFile', path: '/a.dashboard.json', view: `${big}A` }).success).toBe(false);
    expect(HostEvent.safeParse({ kind: 'openFile', path: '/a.dashboard.json', view: 'a+b' }).success).toBe(false);
  });

  it('is recognised among launch arguments (Windows and Linux pass the link as one)', () => {
    expect(isDeepLink('northstar://open')).toBe(true);
    expect(isDeepLink('NORTHSTAR:x')).toBe(true);
    expect(isDeepLink('northstar.dashboard.json')).toBe(false);
    const file = '/srv/Équipe/ventes.dashboard.json';
    const argv = ['/opt/Northstar/northstar', '--allow-file-access-from-files', link(file, `#view=${VIEW}`)];
    expect(launchRequestFromArgv(argv, '/w', { isPackaged: true, platform: 'linux' })).toEqual({ kind: 'open', path: file, view: VIEW });
    expect(launchRequestFromArgv(['/opt/Northstar/northstar', 'northstar://open?file=rel.dashboard.json'], '/w', { isPackaged: true, platform: 'linux' })).toEqual({
      kind: 'badLink',
      link: 'northstar://open?file=rel.dashboard.json',
      message: 'This Northstar link cannot be opened: "rel.dashboard.json" is not an absolute path (such as /home/ana/sales.dashboard.json).',
    });
    expect(launchRequestFromLink(link(file), 'linux')).toEqual({ kind: 'open', path: file });
  });
});

describe('the file a launch asks to open', () => {
  it('resolves a relative path against the directory of the launch, with spaces and unicode intact', () => {
    const cwd = path.join(os.tmpdir(), 'Équipe finance', 'rapports 2026');
    expect(launchRequestFromArgv(['/opt/Northstar/northstar', 'Q3 ventes — été ✦.dashboard.json'], cwd, PACKAGED)).toEqual({
      kind: 'open',
      path: path.join(cwd, 'Q3 ventes — été ✦.dashboard.json'),
    });
    expect(launchRequestFromArgv(['/opt/Northstar/northstar', '../数据/看板.northstar.json'], cwd, PACKAGED)).toEqual({
      kind: 'open',
      path: path.join(os.tmpdir(), 'Équipe finance', '数据', '看板.northstar.json'),
    });
  });

  it('keeps an absolute path, and turns a file:// URL (Linux %U) into a path', () => {
    const abs = path.join(os.tmpdir(), 'a b', 'x.dashboard.json');
    expect(launchRequestFromArgv(['northstar', abs], '/elsewhere', PACKAGED)).toEqual({ kind: 'open', path: abs });
    expect(launchRequestFromArgv(['northstar', pathToFileURL(abs).href], '/elsewhere', PACKAGED)).toEqual({ kind: 'open', path: abs });
  });

  it('ignores flags, including the switches Chromium adds on a second launch and macOS -psn', () => {
    const argv = ['northstar', '--allow-file-access-from-files', '-psn_0_12345', '--original-process-start-time=1', '--lang', 'sales.dashboard.json'];
    // `--lang` takes no value of ours: the next positional argument is the file.
    expect(launchRequestFromArgv(argv, '/w', PACKAGED)).toEqual({ kind: 'open', path: path.resolve('/w', 'sales.dashboard.json') });
    expect(launchRequestFromArgv(['northstar', '--', '-odd name.dashboard.json'], '/w', PACKAGED)).toEqual({ kind: 'open', path: path.resolve('/w', '-odd name.dashboard.json') });
  });

  it('skips the app folder that development launches pass first', () => {
    expect(launchRequestFromArgv(['/usr/bin/electron', '/work/main'], '/w', DEV)).toEqual({ kind: 'none' });
    expect(launchRequestFromArgv(['/usr/bin/electron', '.', 'x.dashboard.json'], '/w', DEV)).toEqual({ kind: 'open', path: path.resolve('/w', 'x.dashboard.json') });
    expect(launchRequestFromArgv(['northstar'], '/w', PACKAGED)).toEqual({ kind: 'none' });
  });

  it('refuses a file that is not a dashboard with a message naming it', () => {
    const r = launchRequestFromArgv(['northstar', 'orders export.csv'], '/data', PACKAGED);
    expect(r).toEqual({
      kind: 'notADashboard',
      path: path.resolve('/data', 'orders export.csv'),
      message: '"orders export.csv" is not a Northstar dashboard. Northstar opens dashboard files named *.northstar.json or *.dashboard.json.',
    });
    expect(launchRequestFromArgv(['northstar', 'package.json'], '/data', PACKAGED).kind).toBe('notADashboard');
    expect(launchRequestFromArgv(['northstar', 'file://remote-host/x.dashboard.json'], '/data', PACKAGED).kind).toBe(process.platform === 'win32' ? 'open' : 'notADashboard');
  });

  it('gives a name typed in a save dialog the dashboard extension', () => {
    expect(withDashboardExtension('/d/sales')).toBe('/d/sales.dashboard.json');
    expect(withDashboardExtension('/d/sales.json')).toBe('/d/sales.dashboard.json');
    expect(withDashboardExtension('/d/sales.northstar.json')).toBe('/d/sales.northstar.json');
  });
});

describe('window state', () => {
  const sizing = { width: 1360, height: 880, minWidth: 800, minHeight: 560 };
  const laptop = { x: 0, y: 0, width: 1440, height: 875 };
  const external = { x: 1440, y: -200, width: 2560, height: 1400 };

  it('restores a window that is on a display as it was', () => {
    const saved = { bounds: { x: 1600, y: 0, width: 1500, height: 1000 }, maximized: true };
    expect(restoreWindowState(saved, [laptop, external], sizing)).toEqual(saved);
  });

  it('moves a window that hangs off its display back inside it, and shrinks it to fit', () => {
    expect(restoreWindowState({ bounds: { x: 1000, y: 500, width: 1000, height: 700 }, maximized: false }, [laptop], sizing)).toEqual({
      bounds: { x: 440, y: 175, width: 1000, height: 700 },
      maximized: false,
    });
    expect(restoreWindowState({ bounds: { x: 0, y: 0, width: 3000, height: 2000 }, maximized: false }, [laptop], sizing).bounds).toEqual(laptop);
  });

  it('centres the window on the primary display when its display is gone', () => {
    // Saved on the external monitor, which is no longer attached.
    const r = restoreWindowState({ bounds: { x: 2000, y: 100, width: 1200, height: 800 }, maximized: false }, [laptop], sizing);
    expect(r).toEqual({ bounds: { x: 120, y: 38, width: 1200, height: 800 }, maximized: false });
  });

  it('does not let the title bar hide above the top or off to the side', () => {
    const r = restoreWindowState({ bounds: { x: -1350, y: -860, width: 1360, height: 880 }, maximized: false }, [laptop], sizing);
    expect(r.bounds.x).toBeGreaterThanOrEqual(laptop.x);
    expect(r.bounds.y).toBeGreaterThanOrEqual(laptop.y);
  });

  it('keeps to the minimum size, and falls back to the default on damaged state', () => {
    expect(restoreWindowState({ bounds: { x: 10, y: 10, width: 100, height: 50 }, maximized: false }, [laptop], sizing).bounds).toMatchObject({ width: 800, height: 560 });
    const fallback = { bounds: { x: 40, y: 0, width: 1360, height: 875 }, maximized: false };
    for (const bad of [null, 'x', {}, { bounds: { x: 0, y: 0, width: 'wide', height: 1 } }, { bounds: { x: NaN, y: 0, width: 900, height: 600 } }, { bounds: { x: 0, y: 0, width: -5, height: 600 } }]) {
      expect(restoreWindowState(bad, [laptop], sizing), JSON.stringify(bad)).toEqual(fallback);
    }
  });
});

describe('recent dashboards and window state files', () => {
  let home: string;
  let files: string[];
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'northstar-desktop-'));
    files = [];
    for (let i = 0; i < 12; i += 1) {
      const f = path.join(home, `board ${i} ✦.dashboard.json`);
      await writeFile(f, '{}');
      files.push(f);
    }
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('lists the newest first, moves a reopened one up, keeps at most 10, and persists across instances', async () => {
    const recent = new RecentDashboards(home);
    for (const f of files) await recent.add(f);
    await recent.add(files[5]!);
    const expected = [files[5], files[11], files[10], files[9], files[8], files[7], files[6], files[4], files[3], files[2]];
    expect(await recent.list()).toEqual(expected);
    expect(MAX_RECENT_DASHBOARDS).toBe(10);
    expect(await new RecentDashboards(home).list()).toEqual(expected);
    const onDisk = JSON.parse(await readFile(path.join(home, 'recent-dashboards.json'), 'utf8')) as { paths: string[] };
    expect(onDisk.paths).toEqual(expected);
  });

  it('drops files that no longer exist, on disk too', async () => {
    const recent = new RecentDashboards(home);
    await recent.add(files[0]!);
    await recent.add(files[1]!);
    await unlink(files[0]!);
    expect(await recent.list()).toEqual([files[1]]);
    const onDisk = JSON.parse(await readFile(path.join(home, 'recent-dashboards.json'), 'utf8')) as { paths: string[] };
    expect(onDisk.paths).toEqual([files[1]]);
  });

  it('still lists what is there when the drop of a missing file cannot be saved', async () => {
    const recent = new RecentDashboards(home);
    await recent.add(files[0]!);
    await recent.add(files[1]!);
    // While the list is checked, the home becomes a file: the drop cannot be written.
    const blocked = new RecentDashboards(home, async (file) => {
      if (file !== files[0]) return true;
      await rm(home, { recursive: true, force: true });
      await writeFile(home, 'not a folder');
      return false;
    });
    await expect(blocked.list()).resolves.toEqual([files[1]]);
  });

  it('treats a damaged or hand-edited file as empty or filters it, and clears', async () => {
    await writeFile(path.join(home, 'recent-dashboards.json'), '{not json');
    expect(await new RecentDashboards(home).list()).toEqual([]);
    await writeFile(path.join(home, 'recent-dashboards.json'), JSON.stringify({ paths: ['relative.dashboard.json', 42, files[3], files[3]] }));
    const recent = new RecentDashboards(home);
    expect(await recent.list()).toEqual([files[3]]);
    await recent.clear();
    expect(await recent.list()).toEqual([]);
  });

  it('does not lose entries added at the same time', async () => {
    const recent = new RecentDashboards(home);
    await Promise.all(files.slice(0, 5).map((f) => recent.add(f)));
    expect((await recent.list()).sort()).toEqual(files.slice(0, 5).sort());
  });

  it('remembers the window state, refusing to write nonsense', async () => {
    const store = new WindowStateFile(path.join(home, 'nested', 'home'));
    expect(await store.load()).toBeNull();
    await store.save({ bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: true });
    expect(await store.load()).toEqual({ bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: true });
    await store.save({ bounds: { x: 10, y: 20, width: Number.NaN, height: 700 }, maximized: false });
    expect(await store.load()).toEqual({ bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: true });
  });
});

describe('native menus', () => {
  function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
    return template.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? items(i.submenu) : [])]);
  }
  function menu(platform: NodeJS.Platform, recent: string[] = []) {
    const sent: HostCommandId[] = [];
    const opened: string[] = [];
    let cleared = 0;
    const template = buildMenuTemplate({
      platform,
      appName: 'Northstar',
      recent,
      devTools: false,
      actions: { command: (id) => sent.push(id), newWindow: () => undefined, openInNewWindow: () => undefined, openRecent: (f) => opened.push(f), clearRecent: () => (cleared += 1) },
    });
    const byId = (id: string) => {
      const item = items(template).find((i) => i.id === id);
      if (!item) throw new Error(`no menu item ${id}`);
      return item;
    };
    const click = (id: string) => (byId(id).click as () => void)();
    return { template, sent, opened, byId, click, cleared: () => cleared };
  }

  it.each(['linux', 'win32', 'darwin'] as const)('on %s sends command ids for the dashboard actions, with standard shortcuts', (platform) => {
    const m = menu(platform);
    const expected: [string, string | undefined][] = [
      ['file.new', 'CmdOrCtrl+N'],
      ['file.open', 'CmdOrCtrl+O'],
      ['file.save', 'CmdOrCtrl+S'],
      ['file.saveAs', 'Shift+CmdOrCtrl+S'],
      ['edit.undo', 'CmdOrCtrl+Z'],
      ['edit.redo', platform === 'darwin' ? 'Shift+Cmd+Z' : 'Ctrl+Y'],
      ['edit.find', 'CmdOrCtrl+F'],
      ['data.reload', 'CmdOrCtrl+R'],
      ['data.clearCache', undefined],
      ['app.commandPalette', 'CmdOrCtrl+K'],
      ['app.about', undefined],
    ];
    for (const [id, accelerator] of expected) {
      expect(m.byId(id).accelerator, id).toBe(accelerator);
      m.click(id);
    }
    expect(m.sent).toEqual(expected.map(([id]) => id));
    // Every id a menu can send is one the renderer implements.
    for (const id of m.sent) expect(HOST_COMMAND_IDS).toContain(id);
    const roles = items(m.template).map((i) => i.role).filter(Boolean);
    expect(roles).toEqual(expect.arrayContaining(['close', 'cut', 'copy', 'paste', 'selectAll', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']));
    expect(roles).not.toContain('toggleDevTools');
    expect(roles).not.toContain('reload');
  });

  it('lists recent dashboards under File > Open Recent, telling apart files of the same name', () => {
    const recent = ['/a/sales.dashboard.json', '/b/sales.dashboard.json', '/c/R&D.dashboard.json'];
    const m = menu('linux', recent);
    expect(m.byId('file.recent.0').label).toBe('sales.dashboard.json — /a');
    expect(m.byId('file.recent.2').label).toBe('R&&D.dashboard.json');
    m.click('file.recent.1');
    expect(m.opened).toEqual(['/b/sales.dashboard.json']);
    m.click('file.recent.clear');
    expect(m.cleared()).toBe(1);
    expect(recentLabel('/x/y.dashboard.json', ['/x/y.dashboard.json'])).toBe('y.dashboard.json');
  });

  it('shows an empty Open Recent as disabled', () => {
    const m = menu('linux');
    expect(m.byId('file.recent.none').enabled).toBe(false);
    expect(m.byId('file.recent.clear').enabled).toBe(false);
  });
});

describe('the writable demo of a packaged app', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'northstar-demo-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('copies the demo dashboard and its data once, and keeps an edited copy', async () => {
    const bundled = path.join(dir, 'app', 'examples');
    await mkdir(path.join(bundled, 'data', 'nested'), { recursive: true });
    await writeFile(path.join(bundled, 'demo.dashboard.json'), '{"title":"Demo"}');
    await writeFile(path.join(bundled, 'data', 'orders.parquet'), 'PAR1');
    await writeFile(path.join(bundled, 'data', 'nested', 'more.csv'), 'a\n1\n');
    const home = path.join(dir, 'home', 'examples');

    const copy = await ensureWritableDemo(path.join(bundled, 'demo.dashboard.json'), home);
    expect(copy).toBe(path.join(home, 'demo.dashboard.json'));
    expect(await readFile(copy, 'utf8')).toBe('{"title":"Demo"}');
    expect(await readFile(path.join(home, 'data', 'orders.parquet'), 'utf8')).toBe('PAR1');
    expect(await readFile(path.join(home, 'data', 'nested', 'more.csv'), 'utf8')).toBe('a\n1\n');

    await writeFile(copy, '{"title":"Edited"}');
    await ensureWritableDemo(path.join(bundled, 'demo.dashboard.json'), home);
    expect(await readFile(copy, 'utf8')).toBe('{"title":"Edited"}');
  });
});

describe('several windows: which window a dashboard opens in', () => {
  const win = (id: number, p: string | null, dirty = false): DashboardWindow => ({ id, path: p, dirty });

  it('focuses the window that has the file open already, wherever it is in the focus order', () => {
    const windows = [win(1, '/d/a.dashboard.json', true), win(2, '/d/b.dashboard.json')];
    expect(routeDashboardOpen('/d/b.dashboard.json', windows, { platform: 'linux' })).toEqual({ kind: 'focus', id: 2 });
    // Even when asked for a new window: two windows on one file would overwrite each other's saves.
    expect(routeDashboardOpen('/d/b.dashboard.json', windows, { platform: 'linux', newWindow: true })).toEqual({ kind: 'focus', id: 2 });
    // The same file named another way (a relative segment) is still that file.
    expect(routeDashboardOpen('/d/x/../b.dashboard.json', windows, { platform: 'linux' })).toEqual({ kind: 'focus', id: 2 });
  });

  it('compares names without case where the file system does (macOS, Windows), and with case on Linux', () => {
    const windows = [win(1, '/Users/ana/Sales.dashboard.json'), win(2, null)];
    expect(routeDashboardOpen('/users/ana/sales.DASHBOARD.json', windows, { platform: 'darwin' })).toEqual({ kind: 'focus', id: 1 });
    expect(routeDashboardOpen('/users/ana/sales.DASHBOARD.json', windows, { platform: 'linux' })).toEqual({ kind: 'replace', id: 1 });
    expect(routeDashboardOpen('c:\\Data\\Q3.dashboard.json', [win(7, 'C:\\data\\q3.dashboard.json')], { platform: 'win32' })).toEqual({ kind: 'focus', id: 7 });
  });

  it('shows a file that is not open in the focused window when it has no unsaved edits', () => {
    const windows = [win(3, '/d/a.dashboard.json'), win(1, '/d/b.dashboard.json', true)];
    expect(routeDashboardOpen('/d/c.dashboard.json', windows, { platform: 'linux' })).toEqual({ kind: 'replace', id: 3 });
    // A start window (nothing open) is reused too.
    expect(routeDashboardOpen('/d/c.dashboard.json', [win(5, null)], { platform: 'linux' })).toEqual({ kind: 'replace', id: 5 });
  });

  it('opens a new window when the focused window has unsaved edits, when asked to, or when none is open', () => {
    const dirtyFirst = [win(1, '/d/a.dashboard.json', true), win(2, '/d/b.dashboard.json')];
    expect(routeDashboardOpen('/d/c.dashboard.json', dirtyFirst, { platform: 'linux' })).toEqual({ kind: 'newWindow' });
    expect(routeDashboardOpen('/d/c.dashboard.json', [win(2, '/d/b.dashboard.json')], { platform: 'linux', newWindow: true })).toEqual({ kind: 'newWindow' });
    expect(routeDashboardOpen('/d/c.dashboard.json', [], { platform: 'darwin' })).toEqual({ kind: 'newWindow' });
  });
});

describe('several windows: where a new window goes', () => {
  const display = { x: 0, y: 0, width: 1920, height: 1050 };
  const base = { x: 280, y: 85, width: 1360, height: 880 };

  it('takes the remembered place when it is free, and steps down and right past windows already there', () => {
    expect(cascadeBounds(base, [], display)).toEqual(base);
    expect(cascadeBounds(base, [{ ...base, x: 900 }], display)).toEqual(base);
    expect(cascadeBounds(base, [base], display)).toEqual({ ...base, x: 280 + CASCADE_STEP, y: 85 + CASCADE_STEP });
    expect(cascadeBounds(base, [base, { ...base, x: 280 + CASCADE_STEP, y: 85 + CASCADE_STEP }], display)).toEqual({ ...base, x: 280 + 2 * CASCADE_STEP, y: 85 + 2 * CASCADE_STEP });
  });

  it('stays on the display: a step that would leave it starts again from its corner', () => {
    const low = { x: 500, y: 160, width: 1360, height: 880 };
    const next = cascadeBounds(low, [low], display);
    expect(next.x + next.width).toBeLessThanOrEqual(display.x + display.width);
    expect(next.y + next.height).toBeLessThanOrEqual(display.y + display.height);
    expect(next).not.toMatchObject({ x: low.x, y: low.y });
  });
});

describe('launch fragments (what a window or tab opens)', () => {
  it('round-trips a path with spaces, unicode, "&", "#" and "%" and a view', () => {
    const file = '/home/ana/Q3 & Q4 #1 100% été ✦.dashboard.json';
    const fragment = encodeLaunchFragment({ file, view: 'eyJpZCI6InYifQ' });
    expect(parseLaunchFragment(`#token=abc&${fragment}`)).toEqual({ file, view: 'eyJpZCI6InYifQ' });
    expect(parseLaunchFragment(`#${encodeLaunchFragment({ start: true })}`)).toEqual({ start: true });
    expect(parseLaunchFragment('#token=abc')).toEqual({});
  });

  it('ignores broken escapes, control characters, and views that are not base64url', () => {
    expect(parseLaunchFragment('#file=%E0%A4%A')).toEqual({});
    expect(parseLaunchFragment('#file=%2Fa%0A.dashboard.json')).toEqual({});
    expect(parseLaunchFragment('#view=<script>')).toEqual({});
    expect(parseLaunchFragment(`#view=${'a'.repeat(MAX_LINK_VIEW_CHARS + 1)}`)).toEqual({});
  });
});
