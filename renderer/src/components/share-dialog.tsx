// Share: write the saved dashboard into a folder for a colleague, with a snapshot of its data (so
// they need no access to your S3 or files) and, if asked, its version history. The host does the
// copying (electron/services/share.ts); this dialog asks where and what, and says what it wrote.
import { useState, type FormEvent } from 'react';
import { HostError, type SharedDashboard } from '../../../electron/api/host-api';
import { saveDashboard, type ActionDeps } from '../actions/dashboard-actions';
import { formatBytes } from '../format';
import { BrowseButton } from './file-browser';
import { selectDirty, useStore } from '../store';

interface ShareOutcome {
  shared: SharedDashboard;
  withHistory: boolean;
}

export function ShareDialog({ deps, onClose }: { deps: ActionDeps; onClose: () => void }) {
  const path = useStore((s) => s.path);
  const dirty = useStore(selectDirty);
  const viewing = useStore((s) => s.viewing);
  const [targetDir, setTargetDir] = useState('');
  const [withData, setWithData] = useState(true);
  const [withHistory, setWithHistory] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<ShareOutcome | null>(null);
  if (!path) return null;

  const share = async (e: FormEvent) => {
    e.preventDefault();
    // Checked again here: the store may have changed since the button was drawn.
    if (selectDirty(deps.store.getState()) || busy) return;
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const shared = await deps.host.shareDashboard({ dashboardPath: path, targetDir: targetDir.trim(), withData, withHistory });
      setOutcome({ shared, withHistory });
    } catch (err) {
      setError(HostError.from(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="share-title">
        <header className="dialog-header">
          <h2 id="share-title">Share this dashboard</h2>
          <button type="button" className="ghost" onClick={onClose} aria-label="Close" disabled={busy}>
            ✕
          </button>
        </header>
        <p className="muted small">
          Writes a copy of the saved dashboard into a folder you can send as it is (zip it, or put it on a shared drive). Credentials are never copied.
        </p>
        {dirty && (
          <div className="banner warn" role="alert" data-testid="share-unsaved">
            Save first: this dashboard has unsaved changes, and a share is made from the saved file.
            <button type="button" onClick={() => void saveDashboard(deps)}>
              Save
            </button>
          </div>
        )}
        {viewing && <p className="warn-text small">You are viewing revision {viewing.number}: the share holds the current saved version.</p>}
        <form className="source-form" aria-label="Share" onSubmit={(e) => void share(e)}>
          <label>
            Folder to share into
            <input
              value={targetDir}
              onChange={(e) => setTargetDir(e.target.value)}
              placeholder="Full path, e.g. /home/me/Shared/customer-kpis"
              spellCheck={false}
              autoFocus
              required
            />
          </label>
          {/* The system's folder dialog in the desktop app, the in-app browser otherwise; the path stays editable (a new folder's name can be added). */}
          <BrowseButton host={deps.host} dashboardPath={path} pick="folder" label="Browse for a folder…" onPick={(picked) => setTargetDir(picked)} onError={setError} />
          <label className="check">
            <input type="checkbox" checked={withData} onChange={(e) => setWithData(e.target.checked)} />
            Include a snapshot of the data
          </label>
          <div className="muted small">
            {withData
              ? 'Every data file (local files, S3 objects, URLs) is copied under data/ and the copy reads those, so a colleague needs no access to your sources.'
              : 'Without data, the copy reads the same sources as yours: a colleague needs access to them, and local files do not travel.'}
          </div>
          <label className="check">
            <input type="checkbox" checked={withHistory} onChange={(e) => setWithHistory(e.target.checked)} />
            Include the version history
          </label>
          <div className="muted small">{withHistory ? 'Every saved revision goes along, so the colleague can compare and restore them.' : 'Only the current version goes along; the copy starts without history.'}</div>
          <div className="dialog-actions">
            <button type="submit" className="primary" disabled={busy || dirty || targetDir.trim() === ''}>
              {busy ? 'Sharing…' : 'Share'}
            </button>
            {busy && withData && <span className="muted small">Copying the data can take a while for large sources.</span>}
          </div>
        </form>
        {error && (
          <div className="form-error" role="alert" data-testid="share-error">
            {error}
          </div>
        )}
        {outcome && <ShareSummary outcome={outcome} />}
      </div>
    </div>
  );
}

function ShareSummary({ outcome }: { outcome: ShareOutcome }) {
  const { shared } = outcome;
  return (
    <div role="status" data-testid="share-result" className="share-result">
      <p>{describeShare(shared, outcome.withHistory)}</p>
      {shared.notes.length > 0 && (
        <ul className="small warn-text">
          {shared.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <details className="small">
        <summary>
          {shared.files.length} file{shared.files.length === 1 ? '' : 's'} in {shared.folder}
        </summary>
        <ul className="share-files">
          {shared.files.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code> <span className="muted">({formatBytes(f.bytes)})</span>
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

/**
 * One line for people, e.g. "Shared to /x: customer-kpis.dashboard.json + 1 data file (5.1 MB);
 * sources rewritten: orders. Without version history."
 */
export function describeShare(shared: SharedDashboard, withHistory: boolean): string {
  const dashboard = shared.files.find((f) => f.kind === 'dashboard');
  const data = shared.files.filter((f) => f.kind === 'data');
  const history = shared.files.filter((f) => f.kind === 'history');
  const parts = [dashboard?.path ?? 'the dashboard'];
  if (data.length > 0) {
    const bytes = data.reduce((sum, f) => sum + f.bytes, 0);
    parts.push(`${data.length} data file${data.length === 1 ? '' : 's'} (${formatBytes(bytes)})`);
  }
  if (history.length > 0) parts.push(`${history.length} revision${history.length === 1 ? '' : 's'} of history`);
  const rewritten = shared.rewrittenSources.length > 0 ? `; sources rewritten: ${shared.rewrittenSources.join(', ')}` : '';
  const historyNote = withHistory ? (history.length > 0 ? 'With its version history.' : 'It has no version history yet.') : 'Without version history.';
  return `Shared to ${shared.folder}: ${parts.join(' + ')}${rewritten}. ${historyNote}`;
}
