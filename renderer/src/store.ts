// One bound zustand store built from typed slices (zustand's slices pattern). Components read it
// through selectors; the logic that changes it lives in ./actions as plain functions.
import { create, type StateCreator } from 'zustand';
import type { DashboardFile, Source } from '../../dashboards/schema';
import type { LoadError } from '../../dashboards/document';
import type { Period } from '../../queries/panel-queries';
import type { QueryResult } from '../../queries/engine/engine';

/** Why the dashboard could not be shown at all. */
export type OpenError = { kind: 'host'; message: string } | LoadError;

export interface DashboardSlice {
  path: string | null;
  dashboard: DashboardFile | null;
  openError: OpenError | null;
  /** The file on disk differs from what is shown. */
  dirty: boolean;
  setOpened(path: string, dashboard: DashboardFile): void;
  setOpenError(error: OpenError): void;
  replaceSource(name: string, source: Source): void;
  markSaved(path: string): void;
}

export type DatasetState =
  | { status: 'loading'; location?: string }
  | { status: 'ready'; location: string; rowCount: number; columns: { name: string; type: string }[]; period: Period | null }
  | { status: 'error'; message: string; location?: string };

export type PanelState =
  | { status: 'loading' }
  | { status: 'ready'; result: QueryResult; sql: string }
  | { status: 'error'; message: string };

export interface RunSlice {
  /** Increases with every run; results of an older run are dropped. */
  runId: number;
  datasets: Record<string, DatasetState>;
  panels: Record<string, PanelState>;
  /** Panels whose pixels are on screen for the current run. */
  drawn: Record<string, true>;
  startRun(datasetNames: string[], panelIds: string[]): number;
  setDataset(runId: number, name: string, state: DatasetState): void;
  setPanel(runId: number, id: string, state: PanelState): void;
  markDrawn(id: string): void;
}

export interface UiSlice {
  sourcesOpen: boolean;
  notice: { tone: 'info' | 'error'; text: string } | null;
  setSourcesOpen(open: boolean): void;
  setNotice(notice: UiSlice['notice']): void;
}

export type Store = DashboardSlice & RunSlice & UiSlice;

const dashboardSlice: StateCreator<Store, [], [], DashboardSlice> = (set) => ({
  path: null,
  dashboard: null,
  openError: null,
  dirty: false,
  setOpened: (path, dashboard) => set({ path, dashboard, openError: null, dirty: false }),
  setOpenError: (openError) => set({ openError, dashboard: null }),
  replaceSource: (name, source) =>
    set((s) =>
      s.dashboard
        ? {
            dirty: true,
            dashboard: { ...s.dashboard, sources: s.dashboard.sources.map((x) => (x.name === name ? source : x)) },
          }
        : {},
    ),
  markSaved: (path) => set({ path, dirty: false }),
});

const runSlice: StateCreator<Store, [], [], RunSlice> = (set, get) => ({
  runId: 0,
  datasets: {},
  panels: {},
  drawn: {},
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
});

const uiSlice: StateCreator<Store, [], [], UiSlice> = (set) => ({
  sourcesOpen: false,
  notice: null,
  setSourcesOpen: (sourcesOpen) => set({ sourcesOpen }),
  setNotice: (notice) => set({ notice }),
});

/** The app's store. */
export const useStore = create<Store>()((...a) => ({
  ...dashboardSlice(...a),
  ...runSlice(...a),
  ...uiSlice(...a),
}));
