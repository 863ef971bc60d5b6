// One bound zustand store built from typed slices (zustand's slices pattern). Components read it
// through selectors; the logic that changes it lives in ./actions as plain functions.
import { create, type StateCreator } from 'zustand';
import type { DashboardFile } from '../../dashboards/schema';
import type { LoadError, LoadWarning } from '../../dashboards/document';
import type { DatasetRunState, PanelRunState } from '../../queries/dashboard-runner';
import type { CheckResult } from '../../queries/checks/index';
import { NO_EXPLORATION, type Exploration } from './explore';
import type { SaveConflict } from '../../electron/api/host-api';

/** Why the dashboard could not be shown at all. */
export type OpenError = { kind: 'host'; message: string } | LoadError;

/** How many edits undo remembers. */
const UNDO_LIMIT = 200;

export interface DashboardSlice {
  path: string | null;
  dashboard: DashboardFile | null;
  /** The document as last opened or saved: `dirty` is derived by comparing with it. */
  saved: DashboardFile | null;
  /** SHA-256 of the file on disk this editor started from (for conflict detection). */
  diskHash: string | null;
  contentHash: string | null;
  /** Its SQL may run: saved on this machine, or trusted by the user here. */
  trusted: boolean;
  warnings: LoadWarning[];
  /** A new dashboard not saved anywhere yet (made from a data file): the first save asks where. */
  draft: boolean;
  openError: OpenError | null;
  past: DashboardFile[];
  future: DashboardFile[];
  setOpened(opened: { path: string; dashboard: DashboardFile; diskHash: string | null; contentHash: string | null; trusted: boolean; warnings: LoadWarning[]; draft?: boolean }): void;
  setOpenError(error: OpenError): void;
  /** Apply one undoable edit. */
  edit(change: (d: DashboardFile) => DashboardFile): void;
  undo(): void;
  redo(): void;
  markSaved(saved: { path: string; dashboard: DashboardFile; diskHash: string; contentHash: string; trusted: boolean }): void;
  setTrusted(trusted: boolean): void;
}

/** The user stopped the run before this dataset or panel finished. */
export type CancelledState = { status: 'cancelled' };
export type DatasetState = DatasetRunState | CancelledState;
export type PanelState = PanelRunState | CancelledState;

export interface RunSlice {
  /** Increases with every run; results of an older run are dropped. */
  runId: number;
  datasets: Record<string, DatasetState>;
  panels: Record<string, PanelState>;
  /** Panels whose pixels are on screen for the current run. */
  drawn: Record<string, true>;
  /** The data-quality check results of the latest run that ran them (kept while a new run loads). */
  checks: { runId: number; results: CheckResult[]; ranAt: number } | null;
  startRun(datasetNames: string[], panelIds: string[]): number;
  setDataset(runId: number, name: string, state: DatasetState): void;
  setPanel(runId: number, id: string, state: PanelState): void;
  markDrawn(id: string): void;
  /** Store check results; results of a run that is no longer current are dropped. */
  setChecks(runId: number, checks: { results: CheckResult[]; ranAt: number }): void;
  /** Stop the current run: what is still loading shows "Cancelled"; late results are dropped. */
  cancelRun(): void;
}

export type Drawer = 'sources' | 'history' | 'review' | 'datasets' | null;

export interface UiSlice {
  drawer: Drawer;
  notice: { tone: 'info' | 'error'; text: string } | null;
  conflict: (SaveConflict & { message: string }) | null;
  /** A revision shown read-only instead of the working copy. */
  /**
   * A revision shown read-only instead of the working copy. `trusted`: its SQL may run, which holds
   * only when the working copy is trusted and the revision brings exactly the same SQL (a history
   * file can be crafted, and a shared folder can carry one).
   */
  viewing: { number: number; dashboard: DashboardFile; trusted: boolean } | null;
  /** Layout editing: panels can be moved, resized, added, duplicated and deleted. */
  editing: boolean;
  /** The panel open in the panel editor. */
  editorPanel: string | null;
  setEditing(editing: boolean): void;
  setEditorPanel(id: string | null): void;
  setDrawer(drawer: Drawer): void;
  setNotice(notice: UiSlice['notice']): void;
  setConflict(conflict: UiSlice['conflict']): void;
  setViewing(viewing: UiSlice['viewing']): void;
  /** Show every panel on raw data, without the file's corrections (for comparison; never saved). */
  showRaw: boolean;
  setShowRaw(showRaw: boolean): void;
  /** The check a chart mark or KPI badge asked to see: the anomaly panel scrolls to it and opens it. */
  focusedCheck: { id: string; seq: number } | null;
  focusCheck(id: string): void;
  /** The KPI or time-chart point "Why did this move?" explains, when its drawer is open. */
  whyMoved: { panelId: string; point: number | null } | null;
  setWhyMoved(whyMoved: UiSlice['whyMoved']): void;
}

export interface ExploreSlice {
  explore: Exploration;
  /** Replace the exploration state (filters by click, drill paths, grain). */
  setExplore(change: (e: Exploration) => Exploration): void;
}

export type Store = DashboardSlice & RunSlice & UiSlice & ExploreSlice;

const dashboardSlice: StateCreator<Store, [], [], DashboardSlice> = (set) => ({
  path: null,
  dashboard: null,
  saved: null,
  diskHash: null,
  contentHash: null,
  trusted: false,
  warnings: [],
  draft: false,
  openError: null,
  past: [],
  future: [],
  setOpened: (o) =>
    set({
      path: o.path,
      dashboard: o.dashboard,
      saved: o.dashboard,
      diskHash: o.diskHash,
      contentHash: o.contentHash,
      trusted: o.trusted,
      warnings: o.warnings,
      draft: o.draft ?? false,
      openError: null,
      past: [],
      future: [],
      viewing: null,
      conflict: null,
      explore: NO_EXPLORATION,
      checks: null,
      showRaw: false,
      whyMoved: null,
    }),
  setOpenError: (openError) => set({ openError, dashboard: null, saved: null }),
  edit: (change) =>
    set((s) => {
      if (!s.dashboard) return {};
      const next = change(s.dashboard);
      if (next === s.dashboard) return {};
      return { dashboard: next, past: [...s.past, s.dashboard].slice(-UNDO_LIMIT), future: [] };
    }),
  undo: () =>
    set((s) => {
      const previous = s.past[s.past.length - 1];
      if (!previous || !s.dashboard) return {};
      // The id and revision block belong to the file, not to the edit: keep the current ones.
      return { dashboard: { ...previous, id: s.dashboard.id, revision: s.dashboard.revision }, past: s.past.slice(0, -1), future: [s.dashboard, ...s.future] };
    }),
  redo: () =>
    set((s) => {
      const next = s.future[0];
      if (!next || !s.dashboard) return {};
      return { dashboard: { ...next, id: s.dashboard.id, revision: s.dashboard.revision }, past: [...s.past, s.dashboard], future: s.future.slice(1) };
    }),
  markSaved: ({ path, dashboard, diskHash, contentHash, trusted }) =>
    // The saved file carries a new revision block, and a copy saved next to its original a new id
    // (its own history); edits made while it saved stay, and edits before it stay undoable.
    set((s) => {
      const working = s.dashboard && { ...s.dashboard, id: dashboard.id, revision: dashboard.revision };
      return { path, diskHash, contentHash, trusted, draft: false, saved: dashboard, dashboard: !working || sameContent(working, dashboard) ? dashboard : working };
    }),
  setTrusted: (trusted) => set({ trusted }),
});

function sameContent(a: DashboardFile, b: DashboardFile): boolean {
  return JSON.stringify({ ...a, revision: undefined }) === JSON.stringify({ ...b, revision: undefined });
}

/** Whether the working copy differs from the file as last opened or saved. */
export function selectDirty(s: Store): boolean {
  if (s.draft && s.dashboard !== null) return true;
  return s.dashboard !== null && s.saved !== null && s.dashboard !== s.saved && !sameContent(s.dashboard, s.saved);
}

const runSlice: StateCreator<Store, [], [], RunSlice> = (set, get) => ({
  runId: 0,
  datasets: {},
  panels: {},
  drawn: {},
  checks: null,
  startRun: (datasetNames, panelIds) => {
    const runId = get().runId + 1;
    set({
      runId,
      datasets: Object.fromEntries(datasetNames.map((n) => [n, { status: 'loading' } as DatasetState])),
      panels: Object.fromEntries(panelIds.map((id) => [id, { status: 'loading' } as PanelState])),
      drawn: {},
    });
    return runId;
  },
  setDataset: (runId, name, state) => {
    if (get().runId === runId) set((s) => ({ datasets: { ...s.datasets, [name]: state } }));
  },
  setPanel: (runId, id, state) => {
    if (get().runId === runId) set((s) => ({ panels: { ...s.panels, [id]: state } }));
  },
  markDrawn: (id) => {
    if (!get().drawn[id]) set((s) => ({ drawn: { ...s.drawn, [id]: true } }));
  },
  setChecks: (runId, checks) => {
    if (get().runId === runId) set({ checks: { runId, ...checks } });
  },
  cancelRun: () => {
    const cancel = <T extends { status: string }>(states: Record<string, T>): Record<string, T | CancelledState> =>
      Object.fromEntries(Object.entries(states).map(([k, v]) => [k, v.status === 'loading' ? { status: 'cancelled' } : v]));
    // A new run id without a new run: every callback of the cancelled run is now stale.
    set((s) => ({ runId: s.runId + 1, datasets: cancel(s.datasets), panels: cancel(s.panels) }));
  },
});

const uiSlice: StateCreator<Store, [], [], UiSlice> = (set) => ({
  drawer: null,
  notice: null,
  conflict: null,
  viewing: null,
  setDrawer: (drawer) => set({ drawer }),
  setNotice: (notice) => set({ notice }),
  setConflict: (conflict) => set({ conflict }),
  setViewing: (viewing) => set({ viewing }),
  showRaw: false,
  setShowRaw: (showRaw) => set({ showRaw }),
  focusedCheck: null,
  // A new seq every time, so asking for the same check again scrolls to it again.
  focusCheck: (id) => set((s) => ({ focusedCheck: { id, seq: (s.focusedCheck?.seq ?? 0) + 1 } })),
  whyMoved: null,
  setWhyMoved: (whyMoved) => set({ whyMoved }),
  editing: false,
  editorPanel: null,
  setEditing: (editing) => set({ editing }),
  setEditorPanel: (editorPanel) => set({ editorPanel }),
});

const exploreSlice: StateCreator<Store, [], [], ExploreSlice> = (set) => ({
  explore: NO_EXPLORATION,
  setExplore: (change) => set((s) => ({ explore: change(s.explore) })),
});

/** The app's store. */
export const useStore = create<Store>()((...a) => ({
  ...dashboardSlice(...a),
  ...runSlice(...a),
  ...uiSlice(...a),
  ...exploreSlice(...a),
}));

/** Whether the SQL of what is shown may run: the working copy's trust, or a viewed revision's own. */
export function sqlMayRun(state: Pick<Store, 'trusted' | 'viewing'>): boolean {
  return state.viewing ? state.viewing.trusted : state.trusted;
}
