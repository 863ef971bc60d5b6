// A cold open's head start. Before the UI bundle has loaded (it takes ~0.5 s to load and run on a
// laptop), main.tsx starts here what the open action will do first anyway: read the dashboard file,
// link its first data source and start fetching that source's bytes. The open action and its run
// take these over (`takeOpened`, `takeFetchAhead`) instead of starting them again, so a cold open's
// bytes arrive ~0.5 s sooner. Each is handed over once, and only to the open it was started for: an
// open of another file, or a run that got there first, starts its own, and the head start then
// stops what it started.
import { HostError, parseLaunchFragment, type HostApi, type OpenedDashboard } from '../../electron/api/host-api';
import { loadDashboard } from '../../dashboards/document';
import { DEFAULT_MEMORY_BUDGET_BYTES, fetchAheadPlan, firstFetchedSource } from '../../queries/dashboard-runner';
import { fetchAhead, PREFETCH_MAX_BYTES, type FetchAhead } from '../../queries/engine/prefetch';

interface HeadStart {
  /** The file the launch opens (undefined: the demo). */
  path: string | undefined;
  opened: Promise<OpenedDashboard> | null;
  fetch: FetchAhead | null;
  /** Set once the open action has asked: from then on nothing new is started. */
  asked: boolean;
  /** Set once a run has asked for its fetch (taken or not). */
  fetchAsked: boolean;
}

let current: HeadStart | null = null;

/** Start reading the launch's dashboard and fetching its first dataset's bytes (see above). */
export function startHeadStart(host: HostApi): void {
  const launch = parseLaunchFragment(window.location.hash);
  // A start window opens nothing; a shared view may change what the first run reads.
  if (launch.start || launch.view !== undefined || current) return;
  const state: HeadStart = { path: launch.file, opened: null, fetch: null, asked: false, fetchAsked: false };
  current = state;
  const opened = host.openDashboard(launch.file === undefined ? {} : { path: launch.file });
  state.opened = opened;
  const budget = host.getAppInfo().then(
    (info) => info.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES,
    () => DEFAULT_MEMORY_BUDGET_BYTES,
  );
  void (async () => {
    const file = await opened;
    const loaded = loadDashboard(file.text);
    if (!loaded.ok) return;
    const first = firstFetchedSource(loaded.dashboard);
    if (!first) return;
    const connected = await host.connectSource({ dashboardPath: file.path, source: first.source });
    const plan = fetchAheadPlan(loaded.dashboard, { urls: connected.urls, sizeBytes: connected.sizeBytes ?? null }, await budget);
    // The run may have asked already (it then fetches itself): start nothing it would not take.
    if (!plan || state.fetchAsked || current !== state) return;
    state.fetch = fetchAhead(plan.urls, { choose: plan.choose, maxBytes: PREFETCH_MAX_BYTES });
  })().catch((err: unknown) => {
    // The open action asks the host again, and reports what goes wrong in its place.
    if (!(err instanceof HostError)) console.warn('Northstar: the head start of this open failed', err);
  });
}

/** The launch's dashboard, read ahead, for the open of that same file (once); null otherwise. */
export function takeOpened(path: string | undefined): Promise<OpenedDashboard> | null {
  const state = current;
  if (!state || state.asked) return null;
  state.asked = true;
  if (state.path !== path) {
    stopHeadStart();
    return null;
  }
  return state.opened;
}

/** The fetch started ahead for these files (once), or null: the run fetches them itself. */
export function takeFetchAhead(urls: readonly string[]): FetchAhead | null {
  const state = current;
  if (!state || state.fetchAsked) return null;
  state.fetchAsked = true;
  const fetch = state.fetch;
  state.fetch = null;
  if (!fetch) return null;
  if (fetch.urls.length === urls.length && fetch.urls.every((u, i) => u === urls[i])) return fetch;
  fetch.abort();
  return null;
}

/** Stop whatever the head start still has running (another dashboard was opened). */
export function stopHeadStart(): void {
  const state = current;
  if (!state) return;
  state.asked = true;
  state.fetchAsked = true;
  state.fetch?.abort();
  state.fetch = null;
}
