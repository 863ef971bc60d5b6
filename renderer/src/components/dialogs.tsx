import { reloadFromDisk, saveDashboard, trustAndRun, type ActionDeps } from '../actions/dashboard-actions';
import { useStore } from '../store';

/** The file changed on disk since it was opened: reload, overwrite or save as a copy. Never silent. */
export function ConflictDialog({ deps }: { deps: ActionDeps }) {
  const conflict = useStore((s) => s.conflict);
  const setConflict = useStore((s) => s.setConflict);
  if (!conflict) return null;
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="conflict-title" aria-describedby="conflict-text">
        <h2 id="conflict-title">The file changed on disk</h2>
        <p id="conflict-text">{conflict.message}</p>
        {conflict.diverged && (
          <p className="warn-text" data-testid="diverged">
            Both copies have changes the other does not have. Saving as a copy keeps both; overwriting drops the changes on disk.
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={() => void reloadFromDisk(deps)}>
            Reload from disk (discard my changes)
          </button>
          <button type="button" onClick={() => void saveDashboard(deps, { force: true })}>
            Overwrite
          </button>
          <button type="button" className="primary" onClick={() => void saveDashboard(deps, { asCopy: true })}>
            Save as a copy
          </button>
          <button type="button" className="ghost" onClick={() => setConflict(null)}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}

/** A file with SQL from elsewhere: show every SQL dataset; nothing runs until the user trusts it. */
export function ReviewSqlDialog({ deps }: { deps: ActionDeps }) {
  const dashboard = useStore((s) => s.dashboard);
  const trusted = useStore((s) => s.trusted);
  const setDrawer = useStore((s) => s.setDrawer);
  if (!dashboard) return null;
  const sql = dashboard.datasets.flatMap((d) => (d.kind === 'sql' ? [d] : []));
  return (
    <div className="dialog-backdrop">
      <div className="dialog wide" role="dialog" aria-modal="true" aria-labelledby="review-title">
        <h2 id="review-title">Review this dashboard's SQL</h2>
        <p>
          This file was not last saved on this machine. Its SQL runs with your data access, so read it before it runs.
          Datasets built with clicks (no SQL) already run.
        </p>
        {sql.map((d) => (
          <section key={d.name} className="sql-review" data-dataset={d.name}>
            <h3>
              Dataset <code>{d.name}</code>
              {d.label ? ` (${d.label})` : ''}
            </h3>
            <pre className="sql">{d.sql}</pre>
          </section>
        ))}
        <div className="dialog-actions">
          {!trusted && (
            <button type="button" className="primary" onClick={() => void trustAndRun(deps)}>
              Trust this dashboard and run its SQL
            </button>
          )}
          <button type="button" onClick={() => setDrawer(null)}>
            {trusted ? 'Close' : 'Not now'}
          </button>
        </div>
      </div>
    </div>
  );
}
