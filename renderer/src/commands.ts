// The registry of every action the app has, by id: the command palette (Ctrl/Cmd+K) lists and
// runs them, and the desktop app's native menus send the same ids (HOST_COMMAND_IDS) through the
// host event channel. Commands are plain objects over the store and the host, so the registry
// and its search are testable without React.
import { create } from 'zustand';
import {
  CURRENT_SCHEMA_VERSION,
  DASHBOARD_FILE_TYPE,
  type DashboardFile,
} from '../../dashboards/schema';
import { loadDashboard, serializeDashboard } from '../../dashboards/document';
import { HOST_EVENTS_GLOBAL, HostError, HostEvent } from '../../electron/api/host-api';
import { clearDatasetCache, moveInHistory, openDashboard, runDashboard, saveDashboard, editFilters, showView, type ActionDeps } from './actions/dashboard-actions';
import { decodeViewParam } from './views';
import { addPanel, type NewPanelKind } from './actions/panel-actions';
import { nextClicksEnabled, setNextClicksEnabled } from './actions/next-clicks';
import { selectDirty, type Store } from './store';
import { requestSave, saveDraftAs, useInstantUi } from './components/instant-dashboard';
import { saveReportPng } from './components/print-report';
import { openInNewWindow } from './windows';
import { formatBytes } from './format';

/** Why the palette asks for a typed path: the host has no file dialog (the browser host). */
export type PathPurpose = 'open' | 'openInNewWindow' | 'new' | 'saveAs';

/** UI state owned by the commands: what the palette shows, and the dialogs commands open. */
export interface CommandUi {
  palette: null | { mode: 'commands'; query: string } | { mode: 'path'; purpose: PathPurpose };
  about: boolean;
  share: boolean;
  setPalette(palette: CommandUi['palette']): void;
  setAbout(about: boolean): void;
  setShare(share: boolean): void;
}

/** The command UI store (palette, About, Share), apart from the document store. */
export const useCommandUi = create<CommandUi>()((set) => ({
  palette: null,
  about: false,
  share: false,
  setPalette: (palette) => set({ palette }),
  setAbout: (about) => set({ about }),
  setShare: (share) => set({ share }),
}));

export interface Command {
  id: string;
  title: string;
  /** Shown next to the title, e.g. "Ctrl+S"; "Mod" is Ctrl, or ⌘ on macOS. */
  shortcut?: string;
  /** The shortcut is a native menu accelerator: the browser host keeps the browser's own meaning. */
  desktopShortcut?: boolean;
  /** More words the fuzzy search matches, e.g. "pdf" for Print. */
  keywords?: string;
  enabled(s: Store): boolean;
  run(deps: ActionDeps): unknown;
}

const always = () => true;
const editable = (s: Store) => s.dashboard !== null && s.viewing === null;

// A save already in flight: a second one (a key repeat, the menu and the page both reacting) would
// carry the same base hash and be refused as a conflict.
let saving: Promise<unknown> | null = null;
function once(work: () => Promise<unknown>): Promise<unknown> {
  if (saving) return saving;
  saving = work().finally(() => {
    saving = null;
  });
  return saving;
}

/** Undo/redo in a focused text field is the field's own; elsewhere it is the dashboard's. */
function inTextField(): boolean {
  const el = typeof document === 'undefined' ? null : document.activeElement;
  // The palette's own search box (still focused while it closes) is not what the user edits.
  if (el instanceof HTMLElement && el.closest('.palette')) return false;
  return el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || (el instanceof HTMLElement && el.isContentEditable);
}

function addPanelCommand(kind: NewPanelKind, title: string): Command {
  return {
    id: `panel.add.${kind}`,
    title,
    keywords: 'new panel insert',
    enabled: editable,
    run: (deps) => {
      let created = '';
      void editFilters(deps, (d) => {
        const first = d.datasets[0];
        const state = first ? deps.store.getState().datasets[first.name] : undefined;
        const columns = state?.status === 'ready' ? state.columns.map((c) => c.name) : [];
        const r = addPanel(d, kind, columns);
        created = r.id;
        return r.dashboard;
      });
      // The edit applies synchronously; the queries run in the background.
      if (created) deps.store.getState().setEditorPanel(created);
    },
  };
}

/** Every command of the app, in the order the palette lists them when nothing is typed. */
export const COMMANDS: readonly Command[] = [
  { id: 'file.save', title: 'Save', shortcut: 'Mod+S', keywords: 'write revision', enabled: editable, run: (deps) => once(() => requestSave(deps)) },
  { id: 'file.saveCopy', title: 'Save as copy', keywords: 'duplicate', enabled: (s) => editable(s) && s.path !== null && !s.draft, run: (deps) => once(() => saveDashboard(deps, { asCopy: true })) },
  { id: 'file.saveAs', desktopShortcut: true, title: 'Save as…', shortcut: 'Shift+Mod+S', keywords: 'save to another file', enabled: editable, run: (deps) => pickThen(deps, 'saveAs') },
  { id: 'file.open', desktopShortcut: true, title: 'Open dashboard…', shortcut: 'Mod+O', keywords: 'file load', enabled: always, run: (deps) => pickThen(deps, 'open') },
  {
    id: 'file.openInNewWindow',
    title: 'Open dashboard in new window…',
    keywords: 'file load another second tab side by side',
    enabled: always,
    run: (deps) => pickThen(deps, 'openInNewWindow'),
  },
  { id: 'file.newWindow', desktopShortcut: true, title: 'New window', shortcut: 'Shift+Mod+N', keywords: 'another second tab', enabled: always, run: (deps) => openInNewWindow(deps, {}) },
  { id: 'file.newFromData', title: 'New dashboard from data…', keywords: 'instant parquet csv file s3 url', enabled: always, run: () => useInstantUi.getState().openInstant() },
  { id: 'file.new', desktopShortcut: true, title: 'New dashboard…', shortcut: 'Mod+N', keywords: 'create empty blank', enabled: always, run: (deps) => pickThen(deps, 'new') },
  {
    id: 'edit.undo',
    title: 'Undo',
    shortcut: 'Mod+Z',
    enabled: (s) => s.past.length > 0 && s.viewing === null,
    run: (deps) => (inTextField() ? void document.execCommand('undo') : moveInHistory(deps, 'undo')),
  },
  {
    id: 'edit.redo',
    title: 'Redo',
    shortcut: 'Shift+Mod+Z',
    enabled: (s) => s.future.length > 0 && s.viewing === null,
    run: (deps) => (inTextField() ? void document.execCommand('redo') : moveInHistory(deps, 'redo')),
  },
  addPanelCommand('kpi', 'Add KPI tile'),
  addPanelCommand('chart', 'Add chart'),
  addPanelCommand('table', 'Add table'),
  addPanelCommand('text', 'Add text'),
  { id: 'layout.edit', title: 'Edit layout', keywords: 'move resize arrange panels', enabled: editable, run: (deps) => deps.store.getState().setEditing(!deps.store.getState().editing) },
  { id: 'view.datasets', title: 'Datasets', keywords: 'measures dimensions sql', enabled: editable, run: (deps) => deps.store.getState().setDrawer('datasets') },
  { id: 'view.sources', title: 'Data sources', keywords: 'parquet s3 csv files', enabled: editable, run: (deps) => deps.store.getState().setDrawer('sources') },
  { id: 'view.history', title: 'History', keywords: 'revisions versions restore compare', enabled: (s) => s.dashboard !== null, run: (deps) => deps.store.getState().setDrawer('history') },
  { id: 'file.share', title: 'Share…', keywords: 'export folder colleague snapshot', enabled: (s) => s.dashboard !== null, run: () => useCommandUi.getState().setShare(true) },
  { id: 'file.print', title: 'Print / Save as PDF…', shortcut: 'Mod+P', keywords: 'export report pdf', enabled: (s) => s.dashboard !== null, run: () => window.print() },
  { id: 'file.savePng', title: 'Save as PNG…', keywords: 'export report image picture screenshot', enabled: (s) => s.dashboard !== null, run: () => saveReportPng() },
  {
    id: 'data.reload',
    desktopShortcut: true,
    title: 'Reload data',
    shortcut: 'Mod+R',
    keywords: 'refresh rerun queries',
    enabled: (s) => s.dashboard !== null,
    run: async (deps) => {
      clearDatasetCache();
      await runDashboard(deps);
    },
  },
  {
    id: 'data.clearCache',
    title: 'Clear data cache',
    keywords: 'disk cache downloads s3 url free space',
    enabled: always,
    run: async (deps) => {
      const cleared = await deps.host.clearCache();
      const text = cleared.enabled
        ? `Cleared ${formatBytes(cleared.freedBytes)} of downloaded data from the disk cache${cleared.freedResultsBytes ? ` (and ${formatBytes(cleared.freedResultsBytes)} of stored panel results)` : ''}; the next load reads from the source again.`
        : 'This app keeps no disk cache of downloaded data: nothing to clear.';
      deps.store.getState().setNotice({ tone: 'info', text });
    },
  },
  {
    id: 'data.toggleRaw',
    title: 'Show raw data (without corrections)',
    keywords: 'corrections original uncorrected',
    enabled: (s) => (s.dashboard?.corrections?.length ?? 0) > 0 && s.viewing === null,
    run: async (deps) => {
      const s = deps.store.getState();
      s.setShowRaw(!s.showRaw);
      await runDashboard(deps);
    },
  },
  {
    id: 'data.toggleNextClicks',
    // The title says the state now and what running it does (read each time the palette draws).
    get title() {
      return nextClicksEnabled() ? 'Precompute next clicks: on (turn off)' : 'Precompute next clicks: off (turn on)';
    },
    keywords: 'prefetch speculative drill filter fast idle battery cpu',
    enabled: always,
    run: (deps) => {
      const on = !nextClicksEnabled();
      setNextClicksEnabled(on);
      const text = on
        ? "Next clicks are precomputed again: while the dashboard is idle, the charts' drill and filter steps run ahead, so those clicks answer from memory."
        : 'Next clicks are no longer precomputed: each click asks the engine when it is made (less work while the dashboard is idle).';
      deps.store.getState().setNotice({ tone: 'info', text });
    },
  },
  { id: 'edit.find', desktopShortcut: true, title: 'Find…', shortcut: 'Mod+F', keywords: 'search commands panels', enabled: always, run: () => useCommandUi.getState().setPalette({ mode: 'commands', query: '' }) },
  { id: 'app.commandPalette', title: 'Command palette', shortcut: 'Mod+K', enabled: always, run: () => useCommandUi.getState().setPalette({ mode: 'commands', query: '' }) },
  { id: 'app.about', title: 'About Northstar', keywords: 'version licenses duckdb electron', enabled: always, run: () => useCommandUi.getState().setAbout(true) },
];

/** The command with this id; every id a native menu can send has one. */
export function commandById(id: string): Command | undefined {
  return COMMANDS.find((c) => c.id === id);
}

/** Run a command by id if it is enabled now; returns whether it ran. */
export async function runCommand(deps: ActionDeps, id: string): Promise<boolean> {
  const command = commandById(id);
  if (!command || !command.enabled(deps.store.getState())) return false;
  try {
    await command.run(deps);
  } catch (err) {
    deps.store.getState().setNotice({ tone: 'error', text: `${command.title} failed: ${HostError.from(err).message}` });
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Open, New, Save as: a file dialog where the host has one, else a path typed in the palette.

async function pickThen(deps: ActionDeps, purpose: PathPurpose): Promise<void> {
  if ((purpose === 'open' || purpose === 'new') && !confirmDiscard(deps.store.getState())) return;
  let picked: string | null;
  try {
    const current = deps.store.getState().path;
    const dialog = purpose === 'openInNewWindow' ? 'open' : purpose;
    picked = (await deps.host.pickDashboardFile({ purpose: dialog, ...(current && purpose !== 'new' ? { suggestedPath: current } : {}) })).path;
  } catch (err) {
    const e = HostError.from(err);
    if (e.code !== 'badRequest') throw e;
    // No file dialog here (the browser host): ask for the path in the palette.
    useCommandUi.getState().setPalette({ mode: 'path', purpose });
    return;
  }
  if (picked) await usePath(deps, purpose, picked, { confirmedByDialog: true });
}

/**
 * Act on a dashboard path for Open, New or Save as. `confirmedByDialog`: the OS save dialog
 * already asked before replacing an existing file; a typed path never replaces one.
 */
export async function usePath(deps: ActionDeps, purpose: PathPurpose, file: string, opts: { confirmedByDialog?: boolean } = {}): Promise<void> {
  const target = file.trim();
  if (!target) return;
  if (purpose === 'open') return openDashboard(deps, target);
  if (purpose === 'openInNewWindow') return openInNewWindow(deps, { file: target });
  if (!/\.json$/i.test(target)) {
    deps.store.getState().setNotice({ tone: 'error', text: `Dashboards are saved as .json files: "${target}" does not end in .dashboard.json.` });
    return;
  }
  if (purpose === 'saveAs' && deps.store.getState().draft) {
    // A draft made from a data file: saving it places the file next to its data (instant-dashboard.tsx).
    await saveDraftAs(deps, target);
    return;
  }
  const doc = purpose === 'new' ? emptyDashboard(titleFromPath(target)) : deps.store.getState().dashboard;
  if (!doc) return;
  try {
    const saved = await deps.host.saveDashboard({ path: target, text: serializeDashboard(doc), baseDiskHash: null, ...(opts.confirmedByDialog ? { force: true } : {}) });
    if (purpose === 'new') {
      await openDashboard(deps, saved.path);
      return;
    }
    const reloaded = loadDashboard(saved.text);
    if (!reloaded.ok) throw new HostError('internal', `The saved file does not load back: ${reloaded.error.message}`);
    deps.store.getState().markSaved({ path: saved.path, dashboard: reloaded.dashboard, diskHash: saved.diskHash, contentHash: saved.contentHash, trusted: saved.trusted });
    deps.store.getState().setNotice({ tone: 'info', text: `Saved revision ${saved.revisionNumber} to ${saved.path}` });
  } catch (err) {
    const e = HostError.from(err);
    const text = e.code === 'conflict' ? `${target} already exists: choose another name.` : `Could not save: ${e.message}`;
    deps.store.getState().setNotice({ tone: 'error', text });
  }
}

/** A valid, empty dashboard to start from. */
export function emptyDashboard(title: string): DashboardFile {
  const doc = {
    type: DASHBOARD_FILE_TYPE,
    schemaVersion: CURRENT_SCHEMA_VERSION,
    id: crypto.randomUUID(),
    title,
    timeRange: { lastDays: 30, anchor: 'data' },
    sources: [],
    datasets: [],
    filters: [],
    panels: [],
    layout: [],
  };
  const loaded = loadDashboard(JSON.stringify(doc));
  if (!loaded.ok) throw new Error(`The empty dashboard does not validate: ${loaded.error.message}`);
  return loaded.dashboard;
}

/** "Q3 sales" for ".../Q3 sales.dashboard.json". */
export function titleFromPath(file: string): string {
  const name = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  return name.replace(/(\.(dashboard|northstar))?\.json$/i, '').trim() || 'Untitled dashboard';
}

function confirmDiscard(s: Store): boolean {
  if (!selectDirty(s)) return true;
  return window.confirm('This dashboard has unsaved changes. Discard them?');
}

// ---------------------------------------------------------------------------------------------
// Host events: native menus and files handed over by the OS.

type EventBridge = { subscribe(listener: (event: unknown) => void): () => void };

/** Run the commands and open the files the host sends (Electron only); returns an unsubscribe. */
export function listenToHostEvents(deps: ActionDeps): () => void {
  const bridge = (window as unknown as Record<string, unknown>)[HOST_EVENTS_GLOBAL] as EventBridge | undefined;
  if (!bridge || typeof bridge.subscribe !== 'function') return () => undefined;
  return bridge.subscribe((raw) => {
    const parsed = HostEvent.safeParse(raw);
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.kind === 'command') void runCommand(deps, event.id);
    else void openFromHost(deps, event.path, event.view);
  });
}

/**
 * Open a file the host hands over; a northstar:// link also carries a view, shown once the file
 * is open. A link to the dashboard already open only switches the view (undoable), so unsaved
 * edits need no discarding. The view's filters run like any filter: SQL still waits for trust.
 */
export async function openFromHost(deps: ActionDeps, path: string, view?: string): Promise<void> {
  const linked = view === undefined ? null : decodeViewParam(`#view=${view}`);
  const store = () => deps.store.getState();
  const alreadyOpen = store().path === path && store().dashboard !== null;
  if (!(linked && alreadyOpen)) {
    if (!confirmDiscard(store())) return;
    // The view goes into the open itself: one run, not the file's and then the view's.
    await openDashboard(deps, path, linked ? { view: linked } : {});
    if (store().openError || !store().dashboard) return;
    if (view !== undefined && !linked) {
      store().setNotice({ tone: 'error', text: 'The link’s view could not be read (it is damaged or from another version); showing the dashboard as saved.' });
    }
    return;
  }
  await showView(deps, linked);
  store().setNotice({ tone: 'info', text: `Showing the shared view "${linked.name}".` });
}

// ---------------------------------------------------------------------------------------------
// Fuzzy search

/**
 * How well `query` matches `text` as a subsequence (case-insensitive), or null when it does not.
 * Higher is better: matches at word starts and runs of consecutive letters count more, so "sa"
 * ranks "Save" above "Data sources".
 */
export function fuzzyScore(query: string, text: string): number | null {
  const q = query.toLowerCase().replace(/\s+/g, '');
  if (!q) return 0;
  const t = text.toLowerCase();
  let score = 0;
  let ti = 0;
  let prev = -2;
  for (const ch of q) {
    const found = t.indexOf(ch, ti);
    if (found === -1) return null;
    const wordStart = found === 0 || /[\s/._\-(]/.test(t[found - 1]!);
    score += 1 + (wordStart ? 3 : 0) + (found === prev + 1 ? 2 : 0) - Math.min(found - ti, 3) * 0.1;
    prev = found;
    ti = found + 1;
  }
  // A shorter text that matches as well is the closer match.
  return score - t.length * 0.01;
}

/** Commands matching `query`, best first; with no query, all in registry order. */
export function searchCommands(commands: readonly Command[], query: string): Command[] {
  if (!query.trim()) return [...commands];
  const scored: { c: Command; score: number; i: number }[] = [];
  commands.forEach((c, i) => {
    const title = fuzzyScore(query, c.title);
    const keywords = c.keywords ? fuzzyScore(query, c.keywords) : null;
    // A title match outranks a keyword-only match.
    const score = title !== null ? title + 100 : keywords;
    if (score !== null) scored.push({ c, score, i });
  });
  return scored.sort((a, b) => b.score - a.score || a.i - b.i).map((s) => s.c);
}

/** "Mod+S" as this platform writes it: "Ctrl+S", or "⌘S" on macOS. */
export function formatShortcut(shortcut: string, mac: boolean): string {
  if (!mac) return shortcut.replace(/Mod/g, 'Ctrl');
  return shortcut
    .split('+')
    .map((k) => ({ Mod: '⌘', Shift: '⇧', Alt: '⌥', Ctrl: '⌃' })[k] ?? k)
    .join('');
}
