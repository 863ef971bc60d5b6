// File › New dashboard from data…: choose a data file (local, S3 or URL), see what Northstar
// makes of its columns and change the picks, then get a starter dashboard (KPIs with the change
// on the period before, a trend, top-N bars, the scan's checks) opened as a new unsaved file.
import { useState, type FormEvent } from 'react';
import { create } from 'zustand';
import type { DashboardFile, Source } from '../../../dashboards/schema';
import { HostError } from '../../../electron/api/host-api';
import { EngineError } from '../../../queries/engine/engine';
import { dropRelation } from '../../../queries/sql';
import { loadProfileTable, profileTable, proposePicks, scanForStarter, type DatasetProfile, type StarterPicks } from '../../../queries/profile';
import { buildStarterDashboard, humanize, sourceNameFor } from '../../../queries/starter-dashboard';
import { clearDatasetCache, memoryBudgetBytes, runDashboard, saveDashboard, type ActionDeps } from '../actions/dashboard-actions';
import { useStore } from '../store';
import { BrowseButton } from './file-browser';
import './instant-dashboard.css';

type Where = 'file' | 's3' | 'url';
type Format = Source['format'];

/** What the dialog starts with: a local file already chosen (dropped or browsed), or nothing. */
export interface InstantStart {
  path?: string;
}

interface InstantUi {
  open: InstantStart | null;
  saveAs: boolean;
  openInstant(start?: InstantStart): void;
  closeInstant(): void;
  setSaveAs(open: boolean): void;
}

/** UI state of the instant-dashboard flow (kept out of the app store: nothing here is the document). */
export const useInstantUi = create<InstantUi>()((set) => ({
  open: null,
  saveAs: false,
  openInstant: (start = {}) => set({ open: start }),
  closeInstant: () => set({ open: null }),
  setSaveAs: (saveAs) => set({ saveAs }),
}));

/** The format a data file is read as, from its name; null when Northstar cannot read it. */
export function formatFromName(name: string): Format | null {
  const lower = name.toLowerCase().replace(/\?.*$/, '');
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  if (lower.endsWith('.json') && !lower.endsWith('.dashboard.json')) return 'json';
  // One object per line: read as JSON too (queries/json-source.ts takes both shapes).
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'json';
  return null;
}

interface Profiled {
  draftPath: string;
  source: Source;
  location: string;
  profile: DatasetProfile;
  picks: StarterPicks;
  /** What PROFILE_TABLE is: a table of the rows, or a view of Parquet files too large to load. */
  relation: 'table' | 'view';
}

const PROFILE_TABLE = 'instant_profile';

/** Save: a new dashboard asks where first; every other one saves where it is. */
export async function requestSave(deps: ActionDeps): Promise<void> {
  const { draft, path } = deps.store.getState();
  if (!draft || !path) {
    await saveDashboard(deps);
    return;
  }
  try {
    // Electron shows its own save dialog; the browser host has none and says so (badRequest).
    const picked = await deps.host.pickDashboardFile({ purpose: 'saveAs', suggestedPath: path });
    if (picked.path) await saveDraftAs(deps, picked.path);
  } catch (err) {
    if (HostError.from(err).code === 'badRequest') useInstantUi.getState().setSaveAs(true);
    else deps.store.getState().setNotice({ tone: 'error', text: `Could not save: ${HostError.from(err).message}` });
  }
}

export function InstantDashboardDialog({ deps }: { deps: ActionDeps }) {
  const start = useInstantUi((s) => s.open);
  // Mounted afresh on every opening, so a path given with it (a dropped file) fills the form.
  return start ? <InstantDialogBody deps={deps} start={start} /> : null;
}

function InstantDialogBody({ deps, start }: { deps: ActionDeps; start: InstantStart }) {
  const close = useInstantUi((s) => s.closeInstant);
  const dashboardPath = useStore((s) => s.path);
  const [where, setWhere] = useState<Where>('file');
  const [path, setPath] = useState(start.path ?? '');
  const [uri, setUri] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [region, setRegion] = useState('us-east-1');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<Format | 'auto'>('auto');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [profiled, setProfiled] = useState<Profiled | null>(null);
  const [picks, setPicks] = useState<StarterPicks | null>(null);

  const location = where === 'file' ? path.trim() : where === 's3' ? uri.trim() : url.trim();

  const profile = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!location) {
      setError(where === 'file' ? 'Give the path of a data file, or Browse… for one.' : where === 's3' ? 'Give an S3 URI such as s3://bucket/orders.parquet.' : 'Give the http(s) address of a data file.');
      return;
    }
    const fmt = format === 'auto' ? formatFromName(location) : format;
    if (!fmt) {
      setError(`Cannot tell the format of "${location}" from its name: choose Parquet, CSV or JSON below.`);
      return;
    }
    if (where === 's3' && !/^s3:\/\/[^/]+\/.+/.test(location)) {
      setError('An S3 URI looks like s3://bucket/path/file.parquet.');
      return;
    }
    if (where === 'url' && !/^https?:\/\/./i.test(location)) {
      setError('A web address starts with http:// or https://.');
      return;
    }
    setBusy('Reading the data…');
    try {
      setProfiled(null);
      const result = await profileData(deps, { where, location, fmt, endpoint: endpoint.trim(), region: region.trim(), dashboardPath });
      setProfiled(result);
      setPicks(result.picks);
    } catch (err) {
      setError(err instanceof HostError ? err.message : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  const build = async () => {
    if (!profiled || !picks) return;
    setBusy('Looking for data problems and building the dashboard…');
    setError(null);
    try {
      await createFromProfile(deps, profiled, picks);
      close();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && !busy && close()}>
      <div className="dialog wide instant" role="dialog" aria-modal="true" aria-labelledby="instant-title">
        <header className="dialog-header">
          <h2 id="instant-title">New dashboard from data</h2>
          <button type="button" className="ghost" onClick={close} aria-label="Close" disabled={!!busy}>
            ✕
          </button>
        </header>
        <form onSubmit={(e) => void profile(e)} aria-label="Choose the data" className="instant-source">
          <fieldset className="kind">
            <label>
              <input type="radio" name="instant-where" checked={where === 'file'} onChange={() => setWhere('file')} /> Local file
            </label>
            <label>
              <input type="radio" name="instant-where" checked={where === 's3'} onChange={() => setWhere('s3')} /> S3
            </label>
            <label>
              <input type="radio" name="instant-where" checked={where === 'url'} onChange={() => setWhere('url')} /> Web address
            </label>
          </fieldset>
          {where === 'file' && (
            <div className="row">
              <label style={{ flex: 1 }}>
                Data file (Parquet, CSV, TSV or JSON)
                <input name="path" value={path} placeholder="/home/me/data/orders.parquet" onChange={(e) => setPath(e.target.value)} />
              </label>
              <BrowseButton host={deps.host} dashboardPath={dashboardPath} onPick={setPath} onError={setError} />
            </div>
          )}
          {where === 's3' && (
            <div className="row">
              <label style={{ flex: 2 }}>
                S3 URI
                <input name="uri" value={uri} placeholder="s3://bucket/orders.parquet" onChange={(e) => setUri(e.target.value)} />
              </label>
              <label style={{ flex: 1 }}>
                Endpoint (S3-compatible)
                <input name="endpoint" value={endpoint} placeholder="http://127.0.0.1:9000" onChange={(e) => setEndpoint(e.target.value)} />
              </label>
              <label style={{ flex: 1 }}>
                Region
                <input name="region" value={region} onChange={(e) => setRegion(e.target.value)} />
              </label>
            </div>
          )}
          {where === 'url' && (
            <label>
              Address of the data file
              <input name="url" value={url} placeholder="https://example.com/orders.parquet" onChange={(e) => setUrl(e.target.value)} />
            </label>
          )}
          <div className="row">
            <label>
              Format
              <select name="format" value={format} onChange={(e) => setFormat(e.target.value as Format | 'auto')}>
                <option value="auto">From the file name</option>
                <option value="parquet">Parquet</option>
                <option value="csv">CSV</option>
                <option value="json">JSON</option>
              </select>
            </label>
            <button type="submit" className={profiled ? undefined : 'primary'} disabled={!!busy}>
              {profiled ? 'Read again' : 'Read the data'}
            </button>
          </div>
        </form>
        {busy && (
          <p className="muted" role="status" data-testid="instant-busy">
            {busy}
          </p>
        )}
        {error && (
          <div className="form-error" role="alert" data-testid="instant-error">
            {error}
          </div>
        )}
        {profiled && picks && <Picks profiled={profiled} picks={picks} onChange={setPicks} />}
        {profiled && picks && (
          <div className="dialog-actions">
            <button type="button" onClick={close} disabled={!!busy}>
              Cancel
            </button>
            <button type="button" className="primary" onClick={() => void build()} disabled={!!busy}>
              Create dashboard
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

/** The step where the user sees and changes what the dashboard will show. */
function Picks({ profiled, picks, onChange }: { profiled: Profiled; picks: StarterPicks; onChange: (p: StarterPicks) => void }) {
  const { profile } = profiled;
  const times = profile.columns.filter((c) => c.role === 'time');
  const measures = profile.columns.filter((c) => c.role === 'measure');
  const dims = profile.columns.filter((c) => c.role === 'dimension');
  const toggle = (list: string[], name: string, on: boolean) => (on ? [...list.filter((n) => n !== name), name] : list.filter((n) => n !== name));
  const skipped = profile.columns.filter((c) => c.role === 'id' || c.role === 'other');
  return (
    <section className="instant-picks" aria-label="What the dashboard shows" data-testid="instant-picks">
      <p className="muted">
        {profile.rows.toLocaleString('en-US')} rows and {profile.columns.length} columns in {profiled.location}.
      </p>
      <div className="instant-columns">
        <fieldset>
          <legend>Time</legend>
          {times.length === 0 && <p className="muted small">No date or time column: the KPIs will not compare periods.</p>}
          {times.map((c) => (
            <label key={c.name} className="check">
              <input type="radio" name="instant-time" checked={picks.time === c.name} onChange={() => onChange({ ...picks, time: c.name })} /> {c.name}
            </label>
          ))}
          {times.length > 0 && (
            <label className="check">
              <input type="radio" name="instant-time" checked={picks.time === null} onChange={() => onChange({ ...picks, time: null })} /> none
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>Measures (summed)</legend>
          <label className="check">
            <input type="checkbox" checked disabled /> Rows (count)
          </label>
          {measures.map((c) => (
            <label key={c.name} className="check" title={c.why}>
              <input type="checkbox" name="measure" value={c.name} checked={picks.measures.includes(c.name)} onChange={(e) => onChange({ ...picks, measures: toggle(picks.measures, c.name, e.target.checked) })} />{' '}
              {c.name}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Break down by</legend>
          {dims.length === 0 && <p className="muted small">No text column with a few distinct values: no breakdown charts.</p>}
          {dims.map((c) => (
            <label key={c.name} className="check" title={c.why}>
              <input
                type="checkbox"
                name="dimension"
                value={c.name}
                checked={picks.dimensions.includes(c.name)}
                onChange={(e) => onChange({ ...picks, dimensions: toggle(picks.dimensions, c.name, e.target.checked) })}
              />{' '}
              {c.name} <span className="muted small">({c.distinct})</span>
            </label>
          ))}
        </fieldset>
      </div>
      {skipped.length > 0 && (
        <details className="muted small">
          <summary>{skipped.length} columns left out</summary>
          <ul>
            {skipped.map((c) => (
              <li key={c.name}>
                {c.name}: {c.why}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

/** Connect the data through the host (as a source of a new draft dashboard), load it and profile it. */
async function profileData(
  deps: ActionDeps,
  req: { where: Where; location: string; fmt: Format; endpoint: string; region: string; dashboardPath: string | null },
): Promise<Profiled> {
  const stem = sourceNameFor(req.location);
  const draft = await deps.host.startDraftDashboard({
    ...(req.dashboardPath ? { dashboardPath: req.dashboardPath } : {}),
    ...(req.where === 'file' ? { dataPath: req.location } : {}),
    stem,
  });
  const name = stem;
  const source: Source =
    req.where === 'file'
      ? // The draft sits next to the file, so the source says just its name and travels with the folder.
        { name, kind: 'file', path: baseName(draft.dataPath ?? req.location), format: req.fmt }
      : req.where === 's3'
        ? { name, kind: 's3', uri: req.location, ...(req.endpoint ? { endpoint: req.endpoint, pathStyle: true } : {}), ...(req.region ? { region: req.region } : {}), format: req.fmt }
        : { name, kind: 'url', url: req.location, format: req.fmt };
  // The user typed or chose this source here: that approves it for the data gateway.
  await deps.host.listSourceObjects({ dashboardPath: draft.path, source, typedByUser: true });
  const connected = await deps.host.connectSource({ dashboardPath: draft.path, source });
  const engine = await deps.engine();
  let relation: Profiled['relation'];
  try {
    const budgetBytes = await memoryBudgetBytes(deps.host);
    ({ relation } = await loadProfileTable(engine, PROFILE_TABLE, source, { urls: connected.urls, location: connected.location, sizeBytes: connected.sizeBytes }, { budgetBytes }));
  } catch (err) {
    // The engine's own refusals need the file and format said; a JSON file's syntax error, a file
    // too large or an HTTP refusal already name the file (and a line and column), as the runner shows them.
    if (err instanceof EngineError) throw new Error(`Could not read ${connected.location} as ${req.fmt.toUpperCase()}: ${err.message}`);
    throw err;
  }
  const profile = await profileTable(engine, PROFILE_TABLE);
  if (profile.rows === 0) throw new Error(`${connected.location} has no rows: there is nothing to make a dashboard from.`);
  return { draftPath: draft.path, source, location: connected.location, profile, picks: proposePicks(profile), relation };
}

/** Scan the loaded data for the checks, build the starter dashboard and open it as a new unsaved file. */
async function createFromProfile(deps: ActionDeps, profiled: Profiled, picks: StarterPicks): Promise<void> {
  const engine = await deps.engine();
  const scan = await scanForStarter(engine, PROFILE_TABLE, profiled.profile, picks);
  const dashboard: DashboardFile = buildStarterDashboard({
    id: crypto.randomUUID(),
    title: `${humanize(profiled.source.name)} overview`,
    source: profiled.source,
    profile: profiled.profile,
    picks,
    findings: scan?.findings ?? [],
    key: scan?.inferred.key ?? null,
  });
  // Frees the profiled rows (a table), or a view of files too large to load.
  await engine.exec(dropRelation(PROFILE_TABLE, profiled.relation)).catch(() => undefined);
  clearDatasetCache();
  deps.store.getState().setOpened({ path: profiled.draftPath, dashboard, diskHash: null, contentHash: null, trusted: true, warnings: [], draft: true });
  deps.store.getState().setNotice({ tone: 'info', text: `New dashboard from ${profiled.location}: not saved yet. Save asks where to keep it.` });
  await runDashboard(deps);
}

function baseName(p: string): string {
  return p.split(/[\\/]/).filter((s) => s !== '').pop() ?? p;
}

function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i <= 0 ? p.slice(0, i + 1) : p.slice(0, i);
}

/** The first save of a new dashboard: where to keep it (the native dialog in Electron). */
export function SaveDraftDialog({ deps }: { deps: ActionDeps }) {
  const open = useInstantUi((s) => s.saveAs);
  const setOpen = useInstantUi((s) => s.setSaveAs);
  const draftPath = useStore((s) => s.path);
  const [target, setTarget] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!open || !draftPath) return null;
  const value = target ?? draftPath;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const chosen = value.trim();
    if (!/\.json$/i.test(chosen)) {
      setError('A dashboard is saved as a .json file, e.g. orders.dashboard.json.');
      return;
    }
    setError(null);
    if (await saveDraftAs(deps, chosen)) {
      setOpen(false);
      setTarget(null);
    }
  };
  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="save-draft-title" onSubmit={(e) => void submit(e)}>
        <header className="dialog-header">
          <h2 id="save-draft-title">Save the new dashboard</h2>
        </header>
        <label>
          Save as
          <input name="save-path" value={value} autoFocus onChange={(e) => setTarget(e.target.value)} />
        </label>
        <p className="muted small">Next to the data file, the dashboard reads it by name, so the folder can be shared as it is.</p>
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
    </div>
  );
}

/**
 * Save the draft at `target`. Its local sources name files relative to the draft's folder; saved
 * in another folder they are made absolute, so they still read the same files.
 */
export async function saveDraftAs(deps: ActionDeps, target: string): Promise<boolean> {
  const s = deps.store.getState();
  const from = s.path;
  if (!from || !s.dashboard) return false;
  const fromDir = dirName(from);
  if (dirName(target) !== fromDir) {
    const sep = from.includes('\\') && !from.includes('/') ? '\\' : '/';
    s.edit((d) => ({
      ...d,
      sources: d.sources.map((src) => (src.kind === 'file' && !/^([/\\]|[A-Za-z]:)/.test(src.path) ? { ...src, path: `${fromDir}${sep}${src.path}` } : src)),
    }));
  }
  useStore.setState({ path: target });
  const ok = await saveDashboard(deps);
  // Refused (not a conflict, which the conflict dialog resolves at the new place): stay where it was.
  if (!ok && deps.store.getState().draft && !deps.store.getState().conflict) useStore.setState({ path: from });
  return ok;
}
