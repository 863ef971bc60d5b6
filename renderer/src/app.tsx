import { useEffect, useMemo, useState } from 'react';
import type { HostApi } from '../../electron/api/host-api';
import type { DashboardFile } from '../../dashboards/schema';
import type { OpenError } from './store';
import { selectDirty, useStore } from './store';
import { EditableTitle } from './components/panels';
import { DashboardGrid } from './components/dashboard-grid';
import { PanelEditor } from './components/panel-editor';
import { addPanel, type NewPanelKind } from './actions/panel-actions';
import { SourcesDialog } from './components/sources-dialog';
import { HistoryDrawer } from './components/history-drawer';
import { DatasetsDrawer } from './components/datasets-drawer';
import { WhyMoved } from './components/why-moved';
import { InstantDashboardDialog, requestSave, SaveDraftDialog, useInstantUi } from './components/instant-dashboard';
import { ThemeSwitch } from './components/theme-switch';
import { DropZone } from './components/drop-zone';
import { Tour } from './components/tour';
import { EmptyDashboard } from './components/empty-states';
import { ConflictDialog, ReviewSqlDialog } from './components/dialogs';
import {
  clearDatasetCache,
  hasSql,
  moveInHistory,
  openDashboard,
  editFilters,
  renameDashboard,
  saveDashboard,
  stopViewing,
  type ActionDeps,
} from './actions/dashboard-actions';
import { cancelEngine, engineStartSettled, getEngine, restartEngine, setEngineRestartListener } from './engine';
import { releaseEngineStart } from './engine-hold';
import { noteRunDrawn } from './drawn-runs';
import { warmFontStrikes } from './font-warm-up';
import { formatBytesApart, formatTimestamp } from './format';
import { FilterBar } from './components/filter-bar';
import { ShareDialog } from './components/share-dialog';
import { CommandPalette } from './components/command-palette';
import { listenToHostEvents, useCommandUi } from './commands';
import { PrintReportButton, PrintStamp, ReportPngButton } from './components/print-report';
import { RawDataToggle } from './components/corrections';
import { AutosaveRecovery } from './components/autosave-recovery';
import { StartView } from './components/start-view';
import { launchView, pageLaunch, useWindowDocument } from './windows';

export function App({ host }: { host: HostApi }) {
  const deps: ActionDeps = useMemo(() => ({ host, engine: getEngine, cancelEngine, restartEngine, store: useStore }), [host]);
  const dashboard = useStore((s) => s.dashboard);
  const viewing = useStore((s) => s.viewing);
  const openError = useStore((s) => s.openError);
  const drawnStages = useDrawnStages(dashboard !== null);

  const launch = pageLaunch();
  useEffect(() => {
    // This window's dashboard and view come from its URL (a new window, a link); a start window opens nothing.
    if (launch.start) return;
    const { view, damaged } = launchView(launch);
    void openDashboard(deps, launch.file, view ? { view } : {}).then(() => {
      if (damaged) deps.store.getState().setNotice({ tone: 'error', text: 'The link’s view could not be read (it is damaged or from another version); showing the dashboard as saved.' });
    });
  }, [deps, launch]);
  useWindowDocument(host);
  useEffect(() => {
    // A restarted engine has none of the loaded tables; after a crash the user should know why.
    setEngineRestartListener((reason) => {
      clearDatasetCache();
      if (reason === 'crashed') useStore.getState().setNotice({ tone: 'error', text: 'The query engine stopped unexpectedly and was restarted; the data is loaded again.' });
    });
  }, []);

  useShortcuts(deps);
  // Native menu commands and files handed over by the OS (desktop app only).
  useEffect(() => listenToHostEvents(deps), [deps]);

  if (openError)
    return (
      <>
        <OpenErrorView error={openError} />
        <CommandPalette deps={deps} />
      </>
    );
  if (!dashboard)
    return launch.start ? (
      <>
        <StartView deps={deps} />
        <CommandPalette deps={deps} />
      </>
    ) : (
      // Its own element (a key of its own): were React to reuse this div as the dashboard's, the
      // browser would see the splash's box move and grow into the page (a layout shift of 0.25).
      <div key="splash" className="splash">
        Opening dashboard…
      </div>
    );
  const shown = viewing?.dashboard ?? dashboard;

  return (
    <div key="app" className="app">
      <AllPanelsDrawnMark />
      <TopBar deps={deps} />
      {drawnStages >= 1 && (
        <>
          <FilterBar deps={deps} />
          <Banners deps={deps} />
        </>
      )}
      {drawnStages >= 2 && <AppBody deps={deps} shown={shown} viewing={viewing !== null} />}
    </div>
  );
}

/**
 * Below the bars: the grid and everything mounted with it. Not in the dashboard's first render
 * (useDrawnStages).
 */
function AppBody({ deps, shown, viewing }: { deps: ActionDeps; shown: DashboardFile; viewing: boolean }) {
  const drawer = useStore((s) => s.drawer);
  const conflict = useStore((s) => s.conflict);
  const editorPanel = useStore((s) => s.editorPanel);
  const setEditorPanel = useStore((s) => s.setEditorPanel);
  return (
    <>
      <AutosaveRecovery deps={deps} />
      <Tour />
      {shown.panels.length === 0 ? <EmptyDashboard deps={deps} editable={!viewing} /> : <DashboardGrid dashboard={shown} editable={!viewing} deps={deps} />}
      {drawer === 'sources' && !viewing && <SourcesDialog deps={deps} />}
      {drawer === 'history' && <HistoryDrawer deps={deps} />}
      {drawer === 'datasets' && !viewing && <DatasetsDrawer deps={deps} onClose={() => useStore.getState().setDrawer(null)} />}
      {drawer === 'review' && <ReviewSqlDialog deps={deps} />}
      {conflict && <ConflictDialog deps={deps} />}
      {editorPanel && !viewing && <PanelEditor deps={deps} panelId={editorPanel} onClose={() => setEditorPanel(null)} />}
      <WhyMoved deps={deps} />
      <InstantDashboardDialog deps={deps} />
      <SaveDraftDialog deps={deps} />
      <DropZone deps={deps} />
      <CommandPalette deps={deps} />
    </>
  );
}

/**
 * How much of a newly shown dashboard is drawn: 0 the top bar, 1 also the filter bar and banners,
 * 2 all of it. The dashboard's first render comes from a store update, which React renders and
 * commits in one task with its effects, and the browser lays it out and paints it in the next
 * frame. Drawn whole (bars, grid, the first panels, the dialogs' hosts), it was 11–14 ms of work
 * and a task of 51–65 ms in some first launches at 5M rows, its frame's layout another, where
 * DuckDB's wasm compiles on the same two cores. So it is drawn top down, one part per task.
 * Nothing drawn moves: each part goes below what is on screen.
 */
function useDrawnStages(shown: boolean): number {
  const [drawn, setDrawn] = useState(0);
  useEffect(() => {
    if (!shown || drawn >= 2) return;
    const timer = setTimeout(() => setDrawn(drawn + 1), 0);
    return () => clearTimeout(timer);
  }, [shown, drawn]);
  return drawn;
}

function TopBar({ deps }: { deps: ActionDeps }) {
  const dashboard = useStore((s) => s.dashboard);
  const viewing = useStore((s) => s.viewing);
  const dirty = useStore(selectDirty);
  const canUndo = useStore((s) => s.past.length > 0);
  const canRedo = useStore((s) => s.future.length > 0);
  const setDrawer = useStore((s) => s.setDrawer);
  const editing = useStore((s) => s.editing);
  const setEditing = useStore((s) => s.setEditing);
  const [message, setMessage] = useState('');
  const [saveOpen, setSaveOpen] = useState(false);
  // Also opened by the Share command of the command palette.
  const shareOpen = useCommandUi((s) => s.share);
  const setShareOpen = useCommandUi((s) => s.setShare);
  const period = useStore((s) => {
    for (const d of Object.values(s.datasets)) if (d.status === 'ready' && d.period) return d.period;
    // Drawn from stored results while the data loads: the period those results were computed for.
    for (const p of Object.values(s.panels)) if (p.status === 'ready' && p.stored?.period) return p.stored.period;
    return null;
  });
  const sourceTrouble = useStore((s) => Object.values(s.datasets).some((d) => d.status === 'error'));
  if (!dashboard) return null;
  const shown = viewing?.dashboard ?? dashboard;
  const revision = shown.revision;
  // One line, cut with an ellipsis where the bar is narrow (the whole text in its tooltip): wrapped,
  // it grew the top bar and moved the page down when the period arrived.
  const periodText = period ? `${formatTimestamp(period.start, false)} – ${formatTimestamp(period.end - 1, false)} · last ${period.days} days vs the ${period.days} before` : '';
  return (
    <header className="topbar">
      <div className="brand" aria-hidden="true">
        ✦ Northstar
      </div>
      <div className="title-block">
        <EditableTitle as="h1" title={shown.title} onRename={viewing ? undefined : (t) => renameDashboard(deps, t)} />
        <div className="period" data-testid="period" title={periodText || undefined}>
          {periodText}
          {revision && (
            <span className="revision" data-testid="revision">
              {period ? ' · ' : ''}revision {revision.number} by {revision.savedBy}
            </span>
          )}
        </div>
      </div>
      <div className="actions">
        <button type="button" onClick={() => void moveInHistory(deps, 'undo')} disabled={!canUndo || !!viewing} title="Undo (Ctrl+Z)" aria-label="Undo">
          ↶
        </button>
        <button type="button" onClick={() => void moveInHistory(deps, 'redo')} disabled={!canRedo || !!viewing} title="Redo (Shift+Ctrl+Z)" aria-label="Redo">
          ↷
        </button>
        <button type="button" onClick={() => useInstantUi.getState().openInstant()} title="File › New dashboard from data…">
          New from data…
        </button>
        <button type="button" className={sourceTrouble ? 'warn' : undefined} onClick={() => setDrawer('sources')} disabled={!!viewing}>
          Data sources{sourceTrouble ? ' ⚠' : ''}
        </button>
        <button type="button" onClick={() => setDrawer('datasets')} disabled={!!viewing}>
          Datasets
        </button>
        <button type="button" onClick={() => setDrawer('history')}>
          History
        </button>
        <RawDataToggle deps={deps} />
        <ShareExportMenu onShare={() => setShareOpen(true)} />
        <button type="button" aria-pressed={editing} className={editing ? 'active' : undefined} onClick={() => setEditing(!editing)} disabled={!!viewing}>
          {editing ? 'Done editing' : 'Edit layout'}
        </button>
        {editing && <AddPanelMenu deps={deps} />}
        <div className="save-group">
          <button type="button" className={dirty ? 'primary' : undefined} onClick={() => void requestSave(deps)} disabled={!!viewing} title="Save (Ctrl+S)">
            Save{dirty ? ' •' : ''}
          </button>
          <button type="button" aria-label="Save with a message" onClick={() => setSaveOpen(!saveOpen)} disabled={!!viewing}>
            ▾
          </button>
          {saveOpen && (
            <form
              className="popover"
              aria-label="Save with a message"
              onSubmit={(e) => {
                e.preventDefault();
                setSaveOpen(false);
                // A new dashboard has no place yet: its first save asks where (the message is for later revisions).
                if (deps.store.getState().draft) void requestSave(deps);
                else void saveDashboard(deps, { message: message.trim() || undefined }).then((ok) => ok && setMessage(''));
              }}
            >
              <label>
                Message for this revision
                <input value={message} maxLength={2000} autoFocus onChange={(e) => setMessage(e.target.value)} placeholder="What changed?" />
              </label>
              <button type="submit" className="primary">
                Save revision
              </button>
            </form>
          )}
        </div>
      </div>
      {shareOpen && <ShareDialog deps={deps} onClose={() => setShareOpen(false)} />}
      <PrintStamp />
    </header>
  );
}

/** Share, print, image and theme: one menu, so the top bar keeps room for the title. */
function ShareExportMenu({ onShare }: { onShare: () => void }) {
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    const onPointer = (e: PointerEvent) => {
      if (!(e.target instanceof Element && e.target.closest('.share-export'))) setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer, true);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer, true);
    };
  }, [open]);
  return (
    <div className="share-export">
      <button type="button" aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)}>
        Share &amp; export ▾
      </button>
      {open && (
        <div className="popover share-export-list" aria-label="Share and export">
          <button
            type="button"
            onClick={() => {
              close();
              onShare();
            }}
          >
            Share…
          </button>
          <PrintReportButton onDone={close} />
          <ReportPngButton onDone={close} />
          <ThemeSwitch />
        </div>
      )}
    </div>
  );
}

function AddPanelMenu({ deps }: { deps: ActionDeps }) {
  const [open, setOpen] = useState(false);
  const datasets = useStore((s) => s.datasets);
  const add = (kind: NewPanelKind) => {
    setOpen(false);
    let created = '';
    void editFilters(deps, (d) => {
      const first = d.datasets[0];
      const state = first ? datasets[first.name] : undefined;
      const columns = state?.status === 'ready' ? state.columns.map((c) => c.name) : [];
      const r = addPanel(d, kind, columns);
      created = r.id;
      return r.dashboard;
    });
    // The edit is applied synchronously; the queries run in the background.
    if (created) deps.store.getState().setEditorPanel(created);
  };
  return (
    <div className="save-group">
      <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        + Add panel
      </button>
      {open && (
        <div className="popover menu" role="menu" aria-label="Add panel">
          {(
            [
              ['kpi', 'KPI tile'],
              ['chart', 'Chart'],
              ['table', 'Table'],
              ['text', 'Text'],
            ] as const
          ).map(([kind, label]) => (
            <button key={kind} type="button" role="menuitem" onClick={() => add(kind)}>
              {label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function Banners({ deps }: { deps: ActionDeps }) {
  const notice = useStore((s) => s.notice);
  const setNotice = useStore((s) => s.setNotice);
  const datasets = useStore((s) => s.datasets);
  const warnings = useStore((s) => s.warnings);
  const viewing = useStore((s) => s.viewing);
  const needsReview = useStore((s) => !s.trusted && s.dashboard !== null && hasSql(s.dashboard));
  const setDrawer = useStore((s) => s.setDrawer);
  const sourceErrors = [...new Set(Object.values(datasets).flatMap((d) => (d.status === 'error' ? [d.message] : [])))];
  // Datasets too large to load say so: every query reads them from disk, so panels are slower.
  const scanned = Object.entries(datasets).flatMap(([name, d]) => (d.status === 'ready' && d.scan ? [{ name, sizes: formatBytesApart(d.scan.estimateBytes, d.scan.budgetBytes) }] : []));
  // So do datasets whose table ran out of memory after the first panels drew: they read their fetched file.
  const unloaded = Object.entries(datasets).flatMap(([name, d]) => (d.status === 'ready' && d.readsFetched ? [{ name, ...d.readsFetched }] : []));
  return (
    <>
      {viewing && (
        <div className="banner info" role="status" data-testid="viewing">
          Viewing revision {viewing.number}, read-only.
          <button type="button" onClick={() => void stopViewing(deps)}>
            Back to the current version
          </button>
        </div>
      )}
      {needsReview && !viewing && (
        <div className="banner warn" role="status" data-testid="review-banner">
          This dashboard contains SQL and was not last saved on this machine. Its SQL datasets run only after you review them.
          <button type="button" onClick={() => setDrawer('review')}>
            Review SQL…
          </button>
        </div>
      )}
      {warnings.length > 0 && (
        <details className="banner warn" data-testid="load-warnings">
          <summary>
            {warnings.length} part{warnings.length === 1 ? '' : 's'} of this file could not be shown and {warnings.length === 1 ? 'was' : 'were'} skipped
          </summary>
          <ul>
            {warnings.slice(0, 50).map((w, i) => (
              <li key={i}>
                <code>{w.path}</code>: {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      {scanned.map((d) => (
        <div key={d.name} className="banner info" role="status" data-testid="scan-mode">
          Large dataset: queries read from disk. Dataset &quot;{d.name}&quot; needs about {d.sizes[0]} in memory, above the {d.sizes[1]} budget, so
          it is not loaded: each query reads its files, which is slower.
        </div>
      ))}
      {unloaded.map((d) => (
        <div key={d.name} className="banner info" role="status" data-testid="reads-fetched" title={d.reason}>
          Large dataset: queries read the downloaded file. Dataset &quot;{d.name}&quot; ran out of memory while it was being loaded, so it is not in memory: the numbers are
          right, but each query reads the file again, which is slower.
        </div>
      ))}
      {sourceErrors.map((m) => (
        <div key={m} className="banner error" role="alert" data-testid="source-error">
          {m}
        </div>
      ))}
      {notice && (
        <div className={`banner ${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'} data-testid="notice">
          {notice.text}
          <button type="button" className="ghost" onClick={() => setNotice(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
    </>
  );
}

function OpenErrorView({ error }: { error: OpenError }) {
  let heading: string;
  switch (error.kind) {
    case 'host':
      heading = 'The dashboard could not be opened';
      break;
    case 'tooLarge':
      heading = 'This file is too large to be a dashboard';
      break;
    case 'notJson':
      heading = 'This file is not valid JSON';
      break;
    case 'notADashboard':
      heading = 'This is not a Northstar dashboard';
      break;
    case 'tooDeep':
      heading = 'This file is nested too deeply to be a dashboard';
      break;
    case 'tooNew':
      heading = 'Made with a newer Northstar';
      break;
    case 'secret':
      heading = 'This file contains what looks like a credential';
      break;
    case 'migrationFailed':
      heading = 'This dashboard could not be upgraded';
      break;
    case 'invalid':
      heading = 'This dashboard file has problems';
      break;
  }
  return (
    <div className="open-error" role="alert">
      <h1>{heading}</h1>
      <p>{error.message}</p>
      {error.kind === 'invalid' && (
        <ul>
          {error.problems.slice(0, 50).map((p, i) => (
            <li key={i}>
              <code>{p.path}</code>: {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function useShortcuts(deps: ActionDeps) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const key = e.key.toLowerCase();
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (key === 's') {
        e.preventDefault();
        void requestSave(deps);
      } else if (key === 'z' && !typing) {
        e.preventDefault();
        void moveInHistory(deps, e.shiftKey ? 'redo' : 'undo');
      } else if (key === 'y' && !typing) {
        e.preventDefault();
        void moveInHistory(deps, 'redo');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [deps]);
}

/**
 * Record when every panel of the current run is on screen: the "dashboard open" time. A component
 * of its own that draws nothing: the store's answer changes once per run, and in App that change
 * rendered the whole page again (23 ms at 5M rows) before the mark, on every open and every click.
 */
function AllPanelsDrawnMark(): null {
  const done = useStore((s) => {
    const d = s.viewing?.dashboard ?? s.dashboard;
    const ids = d?.layout.map((l) => l.panel) ?? [];
    return ids.length > 0 && ids.every((id) => s.drawn[id]) ? s.runId : 0;
  });
  useEffect(() => {
    if (!done) return;
    performance.mark('northstar:all-panels-drawn', { detail: { runId: done } });
    noteRunDrawn(done);
    // A re-open drawn from stored results held the engine's start back until now (engine-hold.ts).
    releaseEngineStart('drawn');
    // The font styles shown only later, laid out now, one per task (font-warm-up.ts), once the
    // engine has started: a re-open starts it only now (above), and while it reads DuckDB's wasm
    // and its compiled code from the browser's caches, the browser process answered the layout's
    // question about a new font style in up to 104 ms (at 5M rows, a load average of 3.4).
    void engineStartSettled().then(warmFontStrikes);
    document.documentElement.dataset.dashboardState = 'ready';
    document.documentElement.dataset.runId = String(done);
  }, [done]);
  return null;
}
