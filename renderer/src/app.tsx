import { useEffect, useMemo } from 'react';
import type { HostApi } from '../../electron/api/host-api';
import type { OpenError } from './store';
import { useStore } from './store';
import { PanelFrame } from './components/panels';
import { SourcesDialog } from './components/sources-dialog';
import { changeSource, openDashboard, saveDashboard, type ActionDeps } from './actions/dashboard-actions';
import { getEngine } from './engine';
import { formatTimestamp } from './format';


export function App({ host }: { host: HostApi }) {
  const deps: ActionDeps = useMemo(() => ({ host, engine: getEngine, store: useStore }), [host]);
  const dashboard = useStore((s) => s.dashboard);
  const openError = useStore((s) => s.openError);
  const sourcesOpen = useStore((s) => s.sourcesOpen);

  useEffect(() => {
    void openDashboard(deps);
  }, [deps]);

  useAllPanelsDrawnMark();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void saveDashboard(deps);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [deps]);

  if (openError) return <OpenErrorView error={openError} />;
  if (!dashboard) return <div className="splash">Opening dashboard…</div>;

  return (
    <div className="app">
      <TopBar onSave={() => void saveDashboard(deps)} />
      <Notice />
      <main className="grid" aria-label={dashboard.title}>
        {dashboard.layout.map((item) => {
          const panel = dashboard.panels.find((p) => p.id === item.panel);
          if (!panel) return null;
          return (
            <div
              key={item.panel}
              className="grid-cell"
              style={{ gridColumn: `${item.x + 1} / span ${item.w}`, gridRow: `${item.y + 1} / span ${item.h}` }}
            >
              <PanelFrame panel={panel} dataset={dashboard.datasets.find((d) => d.name === panel.dataset)} />
            </div>
          );
        })}
      </main>
      {sourcesOpen && <SourcesDialog onApply={(name, source, keys) => void changeSource(deps, name, source, keys)} />}
    </div>
  );
}

function TopBar({ onSave }: { onSave: () => void }) {
  const dashboard = useStore((s) => s.dashboard);
  const dirty = useStore((s) => s.dirty);
  const setSourcesOpen = useStore((s) => s.setSourcesOpen);
  const period = useStore((s) => {
    for (const d of Object.values(s.datasets)) if (d.status === 'ready' && d.period) return d.period;
    return null;
  });
  const sourceTrouble = useStore((s) => Object.values(s.datasets).some((d) => d.status === 'error'));
  if (!dashboard) return null;
  return (
    <header className="topbar">
      <div className="brand" aria-hidden="true">
        ✦ Northstar
      </div>
      <div className="title-block">
        <h1>{dashboard.title}</h1>
        {period && (
          <div className="period" data-testid="period">
            {formatTimestamp(period.start, false)} – {formatTimestamp(period.end - 1, false)} · last {period.days} days vs the {period.days} before
          </div>
        )}
      </div>
      <div className="actions">
        <button type="button" className={sourceTrouble ? 'warn' : undefined} onClick={() => setSourcesOpen(true)}>
          Data sources{sourceTrouble ? ' ⚠' : ''}
        </button>
        <button type="button" onClick={onSave} title="Save (Ctrl+S)">
          Save{dirty ? ' •' : ''}
        </button>
      </div>
    </header>
  );
}

function Notice() {
  const notice = useStore((s) => s.notice);
  const setNotice = useStore((s) => s.setNotice);
  const datasets = useStore((s) => s.datasets);
  const sourceErrors = [...new Set(Object.values(datasets).flatMap((d) => (d.status === 'error' ? [d.message] : [])))];
  return (
    <>
      {sourceErrors.map((m) => (
        <div key={m} className="banner error" role="alert" data-testid="source-error">
          {m}
        </div>
      ))}
      {notice && (
        <div className={`banner ${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
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
    case 'notJson':
      heading = 'This file is not valid JSON';
      break;
    case 'notADashboard':
      heading = 'This is not a Northstar dashboard';
      break;
    case 'tooNew':
      heading = 'Made with a newer Northstar';
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

/** Record when every panel of the current run is on screen: the "dashboard open" time. */
function useAllPanelsDrawnMark() {
  const done = useStore((s) => {
    const ids = s.dashboard?.layout.map((l) => l.panel) ?? [];
    return ids.length > 0 && ids.every((id) => s.drawn[id]) ? s.runId : 0;
  });
  useEffect(() => {
    if (!done) return;
    performance.mark('northstar:all-panels-drawn', { detail: { runId: done } });
    document.documentElement.dataset.dashboardState = 'ready';
    document.documentElement.dataset.runId = String(done);
  }, [done]);
}
