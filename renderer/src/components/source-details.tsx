// What the Data sources dialog shows about a source: the files it reads (count, total size) and,
// for each dataset on it, the row count, the columns with their types and a sample of its rows.
// Everything is shown as text, never as HTML.
import { useEffect, useState } from 'react';
import type { Dataset, Source } from '../../../dashboards/schema';
import { HostError, type SourceListing } from '../../../electron/api/host-api';
import type { QueryResult } from '../../../queries/engine/engine';
import type { ActionDeps } from '../actions/dashboard-actions';
import { listSource, sampleDataset, SAMPLE_ROW_COUNT } from '../actions/source-actions';
import { formatBytes, formatCell } from '../format';
import { useStore } from '../store';

/** Files listed in the dialog per source; the count and total cover all of them. */
const FILES_SHOWN = 20;

type Listed = { status: 'loading' } | { status: 'ready'; listing: SourceListing } | { status: 'error'; message: string };

/** The number of files a source reads and their total size, listed again after every run. */
export function SourceFiles({ deps, source }: { deps: ActionDeps; source: Source }) {
  const runId = useStore((s) => s.runId);
  const [listed, setListed] = useState<Listed>({ status: 'loading' });
  // The source object changes identity with every edit; its content is what matters.
  const sourceKey = JSON.stringify(source);

  useEffect(() => {
    let live = true;
    setListed({ status: 'loading' });
    listSource(deps, JSON.parse(sourceKey) as Source).then(
      (listing) => live && setListed({ status: 'ready', listing }),
      (err: unknown) => live && setListed({ status: 'error', message: HostError.from(err).message }),
    );
    return () => {
      live = false;
    };
  }, [deps, sourceKey, runId]);

  if (listed.status === 'loading') return <div className="source-files muted small">Listing files…</div>;
  if (listed.status === 'error') {
    return (
      <div className="source-files muted small" data-testid="source-files-error">
        Files: could not be listed ({listed.message})
      </div>
    );
  }
  const { listing } = listed;
  const shown = listing.objects.slice(0, FILES_SHOWN);
  const more = listing.count - shown.length;
  return (
    <div className="source-files small" data-testid="source-files" data-file-count={listing.count} data-total-bytes={listing.totalBytes ?? ''}>
      <span>
        {listing.count === 1 ? '1 file' : `${listing.count.toLocaleString('en-US')} files`}, {formatBytes(listing.totalBytes)}
      </span>
      {listing.count > 1 && (
        <details>
          <summary>Show files</summary>
          <ul className="muted" style={{ margin: '4px 0', paddingLeft: 18 }}>
            {shown.map((o) => (
              <li key={o.location}>
                {o.location} ({formatBytes(o.sizeBytes)})
              </li>
            ))}
            {more > 0 && <li>… and {more.toLocaleString('en-US')} more</li>}
          </ul>
        </details>
      )}
    </div>
  );
}

type Sampled = { runId: number; result: QueryResult } | { runId: number; error: string } | null;

/** Row count, columns and a sample of a loaded dataset; nothing until it is loaded. */
export function DatasetDetails({ deps, dataset }: { deps: ActionDeps; dataset: Dataset }) {
  const state = useStore((s) => s.datasets[dataset.name]);
  const runId = useStore((s) => s.runId);
  const [sample, setSample] = useState<Sampled>(null);
  const ready = state?.status === 'ready';
  const datasetKey = JSON.stringify(dataset);

  useEffect(() => {
    if (!ready) return;
    let live = true;
    sampleDataset(deps, JSON.parse(datasetKey) as Dataset).then(
      (result) => live && setSample({ runId, result }),
      (err: unknown) => live && setSample({ runId, error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [deps, datasetKey, runId, ready]);

  if (state?.status !== 'ready') return null;
  const current = sample && sample.runId === runId ? sample : null;
  return (
    <div className="dataset-details" data-dataset-details={dataset.name} style={{ margin: '6px 0 4px' }}>
      <div className="small">
        <span data-testid="row-count" data-value={state.rowCount}>
          {state.rowCount.toLocaleString('en-US')} {state.rowCount === 1 ? 'row' : 'rows'}
        </span>
        , {state.columns.length} {state.columns.length === 1 ? 'column' : 'columns'}
      </div>
      <div style={{ maxHeight: 200, overflowY: 'auto', margin: '4px 0' }}>
        <table className="data-table" aria-label={`Columns of ${dataset.name}`} style={{ width: 'auto' }}>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {state.columns.map((c) => (
              <tr key={c.name} data-column={c.name}>
                <td>{c.name}</td>
                <td className="muted">{c.type}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {current === null && <div className="muted small">Loading a sample…</div>}
      {current && 'error' in current && <div className="form-error">The sample could not be read: {current.error}</div>}
      {current && 'result' in current && (
        <div style={{ overflowX: 'auto' }}>
          <table className="data-table" aria-label={`Sample of ${dataset.name}`}>
            <caption className="muted small" style={{ textAlign: 'left', padding: '2px 0' }}>
              First {SAMPLE_ROW_COUNT} rows
            </caption>
            <thead>
              <tr>
                {current.result.columns.map((c) => (
                  <th key={c.name} scope="col">
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {current.result.rows.map((row, i) => (
                <tr key={i}>
                  {current.result.columns.map((c) => (
                    <td key={c.name}>{formatCell(row[c.name] ?? null, c.type)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
