// The history of the open file: who saved what and when, with a one-line summary of each change;
// any revision can be viewed read-only, restored (as a new revision) or compared with the current.
import { useEffect, useState } from 'react';
import type { RevisionInfo } from '../../../electron/api/host-api';
import { HostError } from '../../../electron/api/host-api';
import { diffDashboards, formatDiff } from '../../../dashboards/diff';
import { listHistory, loadRevisionForCompare, restoreRevision, viewRevision, type ActionDeps } from '../actions/dashboard-actions';
import { useStore } from '../store';

export function HistoryDrawer({ deps }: { deps: ActionDeps }) {
  const setDrawer = useStore((s) => s.setDrawer);
  const current = useStore((s) => s.dashboard);
  const currentNumber = useStore((s) => s.dashboard?.revision?.number ?? null);
  const [revisions, setRevisions] = useState<RevisionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [compare, setCompare] = useState<{ number: number; text: string } | null>(null);

  useEffect(() => {
    let live = true;
    listHistory(deps)
      .then((r) => live && setRevisions(r))
      .catch((err: unknown) => live && setError(HostError.from(err).message));
    return () => {
      live = false;
    };
  }, [deps, currentNumber]);

  const showCompare = async (r: RevisionInfo) => {
    if (!current) return;
    try {
      const old = await loadRevisionForCompare(deps, r);
      setCompare({ number: r.number, text: formatDiff(diffDashboards(old, current)) });
    } catch (err) {
      setError(HostError.from(err).message);
    }
  };

  return (
    <aside className="drawer" role="dialog" aria-label="History" onKeyDown={(e) => e.key === 'Escape' && setDrawer(null)}>
      <header className="dialog-header">
        <h2>History</h2>
        <button type="button" className="ghost" onClick={() => setDrawer(null)} aria-label="Close">
          ✕
        </button>
      </header>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      {revisions === null && !error && <div className="muted">Loading…</div>}
      {revisions?.length === 0 && <div className="muted">No saved revisions yet: the first save starts the history.</div>}
      <ol className="revisions">
        {revisions?.map((r) => (
          <li key={r.contentHash} className="revision-row" data-revision={r.number}>
            <div className="revision-head">
              <strong>Revision {r.number}</strong>
              {r.number === currentNumber && <span className="pill">current</span>}
              <span className="muted small">
                {new Date(r.savedAt).toLocaleString()} · {r.savedBy}
              </span>
            </div>
            {r.message && <div className="revision-message">{r.message}</div>}
            <div className="muted small revision-summary">{r.summary}</div>
            <div className="revision-actions">
              <button type="button" onClick={() => void viewRevision(deps, r)}>
                Open read-only
              </button>
              <button type="button" onClick={() => void showCompare(r)}>
                Compare with current
              </button>
              {r.number !== currentNumber && (
                <button type="button" onClick={() => void restoreRevision(deps, r)}>
                  Restore
                </button>
              )}
            </div>
            {compare?.number === r.number && (
              <pre className="diff" aria-label={`Changes since revision ${r.number}`}>
                {compare.text}
              </pre>
            )}
          </li>
        ))}
      </ol>
    </aside>
  );
}
