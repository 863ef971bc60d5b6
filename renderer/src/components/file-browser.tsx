// Choosing a local data file, or a folder (to share into). The Electron app shows the system's
// dialog (through the host); the browser host has none, so an in-app browser lists folders and data
// files through the host API (hidden files and other files are never listed), starting in the
// dashboard's folder.
import { useEffect, useState } from 'react';
import { HostError, type DataFolderListing, type HostApi } from '../../../electron/api/host-api';
import './file-browser.css';

let hostKind: Promise<'electron' | 'browser'> | null = null;
function hostKindOf(host: HostApi): Promise<'electron' | 'browser'> {
  hostKind ??= host.getAppInfo().then(
    (info) => info.host,
    () => 'browser' as const,
  );
  return hostKind;
}

/** What a browser picks: a data file, or a folder. */
export type BrowseFor = 'file' | 'folder';

/** A "Browse…" button: the native dialog in Electron, the in-app browser otherwise. Calls `onPick` with an absolute path. */
export function BrowseButton({
  host,
  dashboardPath,
  onPick,
  onError,
  label = 'Browse…',
  pick = 'file',
}: {
  host: HostApi;
  dashboardPath: string | null;
  onPick: (path: string) => void;
  onError?: (message: string) => void;
  label?: string;
  pick?: BrowseFor;
}) {
  const [browsing, setBrowsing] = useState(false);
  const click = async () => {
    if ((await hostKindOf(host)) === 'electron') {
      try {
        const req = dashboardPath ? { dashboardPath } : {};
        const picked = pick === 'folder' ? await host.pickFolder(req) : await host.pickDataFile(req);
        if (picked.path) onPick(picked.path);
      } catch (err) {
        onError?.(HostError.from(err).message);
      }
      return;
    }
    setBrowsing(true);
  };
  return (
    <>
      <button type="button" className="browse-button" onClick={() => void click()} data-testid="browse">
        {label}
      </button>
      {browsing && (
        <FileBrowser
          host={host}
          dashboardPath={dashboardPath}
          pick={pick}
          onClose={() => setBrowsing(false)}
          onPick={(p) => {
            setBrowsing(false);
            onPick(p);
          }}
        />
      )}
    </>
  );
}

/**
 * The in-app browser of local folders and data files (browser host). Picking a folder, the data
 * files are shown (so the folder is recognisable) but not picked, and the folder shown is chosen.
 */
export function FileBrowser({ host, dashboardPath, onPick, onClose, pick = 'file' }: { host: HostApi; dashboardPath: string | null; onPick: (path: string) => void; onClose: () => void; pick?: BrowseFor }) {
  const [listing, setListing] = useState<DataFolderListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [folder, setFolder] = useState<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    setError(null);
    host
      .listDataFolder({ ...(folder ? { folder } : {}), ...(dashboardPath ? { dashboardPath } : {}) })
      .then((l) => live && setListing(l))
      .catch((err: unknown) => live && setError(HostError.from(err).message));
    return () => {
      live = false;
    };
  }, [host, folder, dashboardPath]);

  return (
    <div className="dialog-backdrop file-browser-backdrop" onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), onClose())}>
      <div className="dialog file-browser" role="dialog" aria-modal="true" aria-labelledby="file-browser-title">
        <header className="dialog-header">
          <h2 id="file-browser-title">{pick === 'folder' ? 'Choose a folder' : 'Choose a data file'}</h2>
          <button type="button" className="ghost" onClick={onClose} aria-label="Close" autoFocus>
            ✕
          </button>
        </header>
        <div className="file-browser-places">
          {listing?.places.map((p) => (
            <button key={p.path} type="button" onClick={() => setFolder(p.path)} title={p.path}>
              {p.label}
            </button>
          ))}
          <button type="button" disabled={!listing?.parent} onClick={() => listing?.parent && setFolder(listing.parent)} aria-label="Up one folder">
            ↑ Up
          </button>
        </div>
        <div className="file-browser-path" data-testid="browser-path">
          {listing?.path ?? '…'}
        </div>
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <ul className="file-browser-list" aria-label="Folders and data files">
          {listing?.entries.map((e) => (
            <li key={e.path}>
              <button
                type="button"
                className={`entry ${e.kind}`}
                disabled={pick === 'folder' && e.kind !== 'folder'}
                onClick={() => (e.kind === 'folder' ? setFolder(e.path) : onPick(e.path))}
                data-entry={e.name}
              >
                {e.name}
                {e.kind === 'folder' && <span className="muted">/</span>}
                {e.kind === 'file' && <span className="muted small"> {formatBytes(e.sizeBytes)}</span>}
              </button>
            </li>
          ))}
        </ul>
        {listing && listing.entries.length === 0 && (
          <p className="empty-state" data-testid="browser-empty">
            {pick === 'folder'
              ? 'No folders here: choose this one, or go up a folder.'
              : 'No folders or data files here. Northstar reads .parquet, .csv, .tsv and .json files: go up a folder or start from Home.'}
          </p>
        )}
        {listing?.truncated && <p className="muted small">Only the first 2,000 entries are listed.</p>}
        {pick === 'folder' && (
          <div className="dialog-actions">
            <button type="button" className="primary" disabled={!listing} onClick={() => listing && onPick(listing.path)} data-testid="choose-folder">
              Choose this folder
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

function formatBytes(n: number | null): string {
  if (n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A picked file as a source path: relative to the dashboard's folder when inside it ("data/x.parquet"), else absolute. */
export function relativeToDashboard(file: string, dashboardPath: string | null): string {
  if (!dashboardPath) return file;
  const cut = Math.max(dashboardPath.lastIndexOf('/'), dashboardPath.lastIndexOf('\\'));
  const dir = dashboardPath.slice(0, cut + 1);
  return dir && file.startsWith(dir) ? file.slice(dir.length).replaceAll('\\', '/') : file;
}
