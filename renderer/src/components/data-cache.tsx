// The data gateway's disk cache as the About dialog shows it: how much downloaded data (S3 objects,
// URLs) it holds, and the panel results stored for quick re-opens, with a button that clears both
// through the same command as the palette and menu.
import { useCallback, useEffect, useState } from 'react';
import { HostError, type GatewayCacheInfo } from '../../../electron/api/host-api';
import type { ActionDeps } from '../actions/dashboard-actions';
import { runCommand } from '../commands';
import { formatBytes } from '../format';
import './data-cache.css';

/** "61.6 MB of 2.0 GB" with a Clear button; a line saying why when the host keeps no cache. */
export function DataCacheRow({ deps }: { deps: ActionDeps }) {
  const [info, setInfo] = useState<GatewayCacheInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const refresh = useCallback(async () => {
    try {
      setInfo(await deps.host.getCacheInfo());
      setError(null);
    } catch (err) {
      setError(HostError.from(err).message);
    }
  }, [deps]);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const clear = async () => {
    setBusy(true);
    try {
      // The command reports what it freed as a notice, like the palette and menu entries do.
      await runCommand(deps, 'data.clearCache');
    } finally {
      setBusy(false);
      await refresh();
    }
  };
  let text: string;
  if (error) text = `unknown (${error})`;
  else if (!info) text = '…';
  else if (!info.enabled) text = 'not used (every read goes to the source)';
  else text = `${formatBytes(info.bytes)} of ${formatBytes(info.maxBytes)} downloaded data`;
  const results = info?.enabled && info.resultsBytes ? info.resultsBytes : 0;
  return (
    <div className="data-cache" data-testid="data-cache">
      <span className="data-cache-label">Data cache</span>
      <span className="data-cache-size" data-testid="data-cache-size">
        {text}
      </span>
      {results > 0 && (
        <span className="data-cache-results" data-testid="data-cache-results" title="Panel results kept so that re-opening a dashboard over unchanged data shows its numbers at once">
          + {formatBytes(results)} of stored panel results
        </span>
      )}
      <button type="button" disabled={busy || !info?.enabled || info.bytes + results === 0} onClick={() => void clear()}>
        Clear
      </button>
    </div>
  );
}
