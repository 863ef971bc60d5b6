// Drag a data file onto the window: Northstar offers "Add as data source" or "New dashboard from
// this file". In Electron the file is read where it is (the preload gives its path); the browser
// host cannot see paths, so the bytes are uploaded and the host copies them into the dashboard
// folder's data/ (never overwriting), and the offer says where the copy went. Folders, other file
// types, several files and files too large get a specific message instead.
import { useEffect, useState } from 'react';
import { HOST_FILES_GLOBAL, HostError, type HostApi } from '../../../electron/api/host-api';
import { addSource } from '../actions/source-actions';
import type { ActionDeps } from '../actions/dashboard-actions';
import { sourceNameFor } from '../../../queries/starter-dashboard';
import { newSourceNameClash } from '../../../dashboards/engine-names';
import { useStore } from '../store';
import { formatFromName, useInstantUi } from './instant-dashboard';
import { relativeToDashboard } from './file-browser';
import './drop-zone.css';

/** Dropped files above this size are refused in the browser host (the host's import limit). */
export const MAX_DROP_BYTES = 12 * 1024 * 1024;

/** What the Electron preload may expose for dropped files (`webUtils.getPathForFile`). */
interface DroppedFilePaths {
  pathForFile(file: File): string;
}

function electronPathFor(file: File): string | null {
  const bridge = (window as unknown as Record<string, DroppedFilePaths | undefined>)[HOST_FILES_GLOBAL];
  try {
    const p = bridge?.pathForFile(file);
    return p ? p : null;
  } catch {
    return null;
  }
}

interface Offer {
  /** Absolute path of the file to use. */
  path: string;
  /** The source path as the dashboard should say it (relative to its folder when inside). */
  sourcePath: string;
  format: 'parquet' | 'csv' | 'json';
  name: string;
  /** Where the browser host copied it, for the user. */
  copiedTo: string | null;
}

/** Why a drop cannot be used, in words for the user; null when it can. */
export function checkDrop(files: readonly { name: string; size: number; isFolder: boolean }[], sizeLimit: number | null): string | null {
  if (files.length === 0) return 'Nothing was dropped: drag a data file from your files onto the window.';
  if (files.length > 1) return `${files.length} files were dropped: drop one data file at a time.`;
  const f = files[0] as { name: string; size: number; isFolder: boolean };
  if (f.isFolder) return `"${f.name}" is a folder: drop one data file from it (.parquet, .csv, .tsv or .json), or add the folder as a source in Data sources.`;
  if (!formatFromName(f.name)) return `"${f.name}" is not a data file Northstar reads: drop a .parquet, .csv, .tsv or .json file.`;
  if (f.size === 0) return `"${f.name}" is empty.`;
  if (sizeLimit !== null && f.size > sizeLimit) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    return `"${f.name}" is ${mb(f.size)}; dropped files may be at most ${mb(sizeLimit)} here. Copy it next to the dashboard and add it with Data sources › Browse… instead.`;
  }
  return null;
}

export function DropZone({ deps }: { deps: ActionDeps }) {
  const [dragging, setDragging] = useState(false);
  const [offer, setOffer] = useState<Offer | null>(null);
  const [busy, setBusy] = useState(false);
  const dashboardPath = useStore((s) => s.path);
  const viewing = useStore((s) => s.viewing);

  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const onEnter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth += 1;
      setDragging(true);
    };
    const onLeave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      // Without this the browser would open the file in place of the app.
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      void handleDrop(e.dataTransfer);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('dragover', onOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('drop', onDrop);
    };
    // Registered once: handleDrop reads the latest store state itself.
  }, []);

  const notify = (tone: 'info' | 'error', text: string) => deps.store.getState().setNotice({ tone, text });

  async function handleDrop(transfer: DataTransfer | null) {
    if (!transfer) return;
    const items = Array.from(transfer.items ?? []).filter((i) => i.kind === 'file');
    const files = Array.from(transfer.files ?? []);
    const described = files.map((f, i) => ({ name: f.name, size: f.size, isFolder: items[i]?.webkitGetAsEntry?.()?.isDirectory === true }));
    const path = deps.store.getState().path;
    if (!path) return;
    const local = files[0] ? electronPathFor(files[0]) : null;
    const problem = checkDrop(described, local ? null : MAX_DROP_BYTES);
    if (problem) {
      notify('error', problem);
      return;
    }
    const file = files[0] as File;
    const format = formatFromName(file.name) as 'parquet' | 'csv' | 'json';
    if (local) {
      setOffer({ path: local, sourcePath: relativeToDashboard(local, path), format, name: file.name, copiedTo: null });
      return;
    }
    setBusy(true);
    try {
      const imported = await importDropped(deps.host, path, file);
      setOffer({ path: imported.path, sourcePath: imported.relativePath, format: imported.format, name: file.name, copiedTo: imported.path });
    } catch (err) {
      notify('error', `Could not copy "${file.name}": ${HostError.from(err).message}`);
    } finally {
      setBusy(false);
    }
  }

  const addAsSource = async (o: Offer) => {
    setOffer(null);
    const d = deps.store.getState().dashboard;
    if (!d) return;
    const taken = new Set([...d.sources.map((s) => s.name), ...d.datasets.map((x) => x.name)]);
    // A source comes with its table dataset: neither may share a relation in the query engine with
    // what is there ("raw_orders" next to dataset "orders" would both be "ds_raw_orders").
    const free = (n: string) => !taken.has(n) && newSourceNameClash(d.sources, d.datasets, n) === null;
    const base = sourceNameFor(o.name);
    let name = base;
    for (let i = 2; !free(name); i += 1) name = `${base}_${i}`;
    await addSource(deps, { name, kind: 'file', path: o.sourcePath, format: o.format });
    notify('info', `Added the data source "${name}" reading ${o.sourcePath}.`);
  };

  return (
    <>
      {(dragging || busy) && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          <div>{busy ? 'Copying the file…' : 'Drop a data file (.parquet, .csv, .tsv, .json) to use it'}</div>
        </div>
      )}
      {offer && dashboardPath && (
        <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && setOffer(null)}>
          <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="drop-title">
            <header className="dialog-header">
              <h2 id="drop-title">Use {offer.name}</h2>
            </header>
            {offer.copiedTo ? (
              <p data-testid="drop-copied">
                Copied to <code>{offer.copiedTo}</code>, next to the dashboard (the original file is unchanged).
              </p>
            ) : (
              <p>
                Read from <code>{offer.path}</code>.
              </p>
            )}
            <div className="dialog-actions">
              <button type="button" onClick={() => setOffer(null)}>
                Cancel
              </button>
              <button type="button" onClick={() => void addAsSource(offer)} disabled={!!viewing}>
                Add as data source
              </button>
              <button
                type="button"
                className="primary"
                autoFocus
                onClick={() => {
                  setOffer(null);
                  useInstantUi.getState().openInstant({ path: offer.path });
                }}
              >
                New dashboard from this file
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

async function importDropped(host: HostApi, dashboardPath: string, file: File) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return host.importDataFile({ dashboardPath, name: file.name, base64: toBase64(bytes) });
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  // In chunks: String.fromCharCode with millions of arguments overflows the stack.
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}
