// Data sources: where each source reads from (files, total size), what each dataset on it holds
// (rows, columns, a sample), a form to point a source at a local file, a URL or S3, and a form to
// add a source. Typed keys go to the host once and are cleared from the form.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { DashboardFile, Source } from '../../../dashboards/schema';
import type { AccessKeys } from '../../../electron/api/host-api';
import type { ActionDeps } from '../actions/dashboard-actions';
import { addSource, applySourceChange, checkSource, forgetSourceKeys, listSource, refreshSources, type SourceFormError } from '../actions/source-actions';
import { useStore } from '../store';
import { DatasetDetails, SourceFiles } from './source-details';
import { BrowseButton, relativeToDashboard } from './file-browser';
import { formatFromName } from './instant-dashboard';
import { HostError, type HostApi } from '../../../electron/api/host-api';

export function SourcesDialog({ deps }: { deps: ActionDeps }) {
  const dashboard = useStore((s) => s.dashboard);
  const datasets = useStore((s) => s.datasets);
  const setDrawer = useStore((s) => s.setDrawer);
  const close = () => setDrawer(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  if (!dashboard) return null;
  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && close()}>
      <div className="dialog wide" role="dialog" aria-modal="true" aria-labelledby="sources-title">
        <header className="dialog-header">
          <h2 id="sources-title">Data sources</h2>
          <div style={{ display: 'flex', gap: 8 }}>
            <button type="button" onClick={() => void refreshSources(deps)} title="Connect every source and load every dataset again">
              Refresh
            </button>
            <button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>
              Add source…
            </button>
            <button type="button" className="ghost" onClick={close} aria-label="Close">
              ✕
            </button>
          </div>
        </header>
        {adding && (
          <div className="source-row" data-testid="add-source">
            <SourceForm
              host={deps.host}
              dashboard={dashboard}
              source={null}
              onSubmit={(source, keys) => {
                setAdding(false);
                void addSource(deps, source, keys);
              }}
            />
          </div>
        )}
        {dashboard.sources.length === 0 && !adding && (
          <div className="empty-state" data-testid="no-sources">
            <p>This dashboard reads no data yet. Add a local file (or Browse… for one), a web address or an S3 object.</p>
            <button type="button" className="primary" onClick={() => setAdding(true)}>
              Add a data source
            </button>
          </div>
        )}
        {dashboard.sources.map((source) => {
          const tables = dashboard.datasets.filter((d) => d.kind === 'table' && d.source === source.name);
          const sqlDatasets = dashboard.datasets.filter((d) => d.kind === 'sql');
          // A source of a file from elsewhere (not saved or trusted here) waits for the user's OK.
          const needsApproval = tables.some((d) => {
            const st = datasets[d.name];
            return st?.status === 'error' && st.message.includes(NOT_APPROVED);
          });
          // A SQL dataset's error names its SQL, not the source it could not read: the source's listing says.
          const sqlFailed = sqlDatasets.some((d) => datasets[d.name]?.status === 'error');
          return (
            <div className="source-row" key={source.name} data-source={source.name}>
              <div className="source-head">
                <strong>{source.name}</strong> <span className="muted">{describeSource(source)}</span>
                <button type="button" onClick={() => setEditing(editing === source.name ? null : source.name)}>
                  {editing === source.name ? 'Cancel' : 'Change…'}
                </button>
                <SourceApproval deps={deps} source={source} needed={needsApproval} askListing={sqlFailed && !needsApproval} />
                {source.kind === 's3' && (
                  <button
                    type="button"
                    data-testid="forget-keys"
                    onClick={() => void forgetSourceKeys(deps, source)}
                    title={`Forget the keys typed for ${source.uri}: in this session and, where stored, on this machine`}
                  >
                    Forget keys
                  </button>
                )}
              </div>
              <SourceFiles deps={deps} source={source} />
              {[...tables, ...sqlDatasets].map((d) => {
                const st = datasets[d.name];
                return (
                  <div key={d.name}>
                    <div className={`source-status ${st?.status ?? 'loading'}`} data-dataset={d.name}>
                      {st?.status === 'ready' && `Dataset "${d.name}": ${st.rowCount.toLocaleString('en-US')} rows, ${st.columns.length} columns, from ${st.location}`}
                      {st?.status === 'error' && st.message}
                      {st?.status === 'needsTrust' && `Dataset "${d.name}": waiting for you to review its SQL.`}
                      {(st === undefined || st.status === 'loading') && `Dataset "${d.name}": loading…`}
                    </div>
                    {/* SQL datasets may read every source: their details would repeat under each. */}
                    {d.kind === 'table' && <DatasetDetails deps={deps} dataset={d} />}
                  </div>
                );
              })}
              {editing === source.name && (
                <SourceForm
                  host={deps.host}
                  dashboard={dashboard}
                  source={source}
                  onSubmit={(next, keys) => {
                    setEditing(null);
                    void applySourceChange(deps, source.name, next, keys);
                  }}
                />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** What the host says of a source nobody approved (electron/services/data-gateway.ts). */
const NOT_APPROVED = 'is not approved on this machine';

/**
 * "Allow" for a source nobody approved on this machine. Table datasets say so in their error;
 * for SQL datasets (`askListing`) the source's own listing is asked, after each run.
 */
function SourceApproval({ deps, source, needed, askListing }: { deps: ActionDeps; source: Source; needed: boolean; askListing: boolean }) {
  const runId = useStore((s) => s.runId);
  const [listingRefused, setListingRefused] = useState(false);
  const sourceKey = JSON.stringify(source);
  useEffect(() => {
    if (!askListing) {
      setListingRefused(false);
      return;
    }
    let live = true;
    listSource(deps, JSON.parse(sourceKey) as Source).then(
      () => live && setListingRefused(false),
      (err: unknown) => live && setListingRefused(HostError.from(err).message.includes(NOT_APPROVED)),
    );
    return () => {
      live = false;
    };
  }, [deps, sourceKey, askListing, runId]);
  if (!needed && !listingRefused) return null;
  return (
    <button type="button" data-testid="allow-source" onClick={() => void allowSource(deps, source)} title={`Read ${describeSource(source)} in this session`}>
      Allow
    </button>
  );
}

/** The user approves a source as declared: the host is told it was entered by hand, then everything runs again. */
async function allowSource(deps: ActionDeps, source: Source): Promise<void> {
  const { path } = deps.store.getState();
  if (!path) return;
  try {
    await deps.host.listSourceObjects({ dashboardPath: path, source, typedByUser: true });
  } catch {
    // The run that follows shows why the source cannot be read.
  }
  await refreshSources(deps);
}

function describeSource(s: Source): string {
  switch (s.kind) {
    case 'file':
      return `local ${/[*?[]|[/\\]$/.test(s.path) ? 'files' : 'file'} ${s.path} (${s.format})`;
    case 'url':
      return `${s.url} (${s.format})`;
    case 's3':
      return `${s.uri}${s.endpoint ? ` at ${s.endpoint}` : ''}${s.region ? ` (${s.region})` : ''}${s.profile ? `, profile ${s.profile}` : ''}`;
  }
}

type Kind = Source['kind'];
type Format = Source['format'];

/** Edit one source (`source` given: its name is fixed) or describe a new one (`source` null). */
function SourceForm({ host, dashboard, source, onSubmit }: { host?: HostApi; dashboard: DashboardFile; source: Source | null; onSubmit: (s: Source, keys?: AccessKeys) => void }) {
  const dashboardPath = useStore((s) => s.path);
  const adding = source === null;
  const [name, setName] = useState(source?.name ?? '');
  const [kind, setKind] = useState<Kind>(source?.kind ?? 'file');
  const [format, setFormat] = useState<Format>(source?.format ?? 'parquet');
  const [path, setPath] = useState(source?.kind === 'file' ? source.path : '');
  const [url, setUrl] = useState(source?.kind === 'url' ? source.url : '');
  const [uri, setUri] = useState(source?.kind === 's3' ? source.uri : '');
  const [endpoint, setEndpoint] = useState(source?.kind === 's3' ? (source.endpoint ?? '') : '');
  const [region, setRegion] = useState(source?.kind === 's3' ? (source.region ?? '') : 'us-east-1');
  const [profile, setProfile] = useState(source?.kind === 's3' ? (source.profile ?? '') : '');
  const [pathStyle, setPathStyle] = useState(source?.kind === 's3' ? (source.pathStyle ?? true) : true);
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [errors, setErrors] = useState<SourceFormError[]>([]);
  // Where typed keys are kept depends on the host (OS keychain, or this session only): it says which.
  const [keysNote, setKeysNote] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    host?.getAppInfo().then(
      (info) => live && setKeysNote(info.credentialStorage ?? null),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [host]);
  // Radio groups of several forms in one dialog must not share a name.
  const group = `kind-${source?.name ?? 'new'}`;
  const formId = `source-form-${source?.name ?? 'new'}`;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const base = { name: adding ? name.trim() : (source?.name ?? ''), format };
    const candidate =
      kind === 'file'
        ? { ...base, kind, path: path.trim() }
        : kind === 'url'
          ? { ...base, kind, url: url.trim() }
          : {
              ...base,
              kind,
              uri: uri.trim(),
              ...(endpoint.trim() ? { endpoint: endpoint.trim() } : {}),
              ...(region.trim() ? { region: region.trim() } : {}),
              ...(profile.trim() ? { profile: profile.trim() } : {}),
              pathStyle,
            };
    const checked = checkSource(dashboard, candidate, adding);
    const problems = checked.ok ? [] : [...checked.errors];
    if (kind === 's3' && (accessKeyId === '') !== (secret === '')) {
      problems.push({ field: '', message: 'Give both the access key ID and the secret access key, or neither (to use the AWS profile or environment).' });
    }
    setErrors(problems);
    if (!checked.ok || problems.length > 0) return;
    const keys = kind === 's3' && accessKeyId && secret ? { accessKeyId, secretAccessKey: secret } : undefined;
    setSecret('');
    setAccessKeyId('');
    onSubmit(checked.source, keys);
  };

  const errorOf = (field: string) => errors.find((e) => e.field === field)?.message;
  // Problems with fields the form does not show (e.g. "kind") are shown with the general ones.
  const shownFields = new Set(['name', 'path', 'url', 'uri', 'endpoint', 'region', 'profile', 'format']);
  const general = errors.filter((e) => !shownFields.has(e.field));
  // The error sits outside the label, so the field's accessible name stays its label.
  const field = (id: string, label: ReactNode, input: ReactNode) => (
    <div style={{ display: 'flex', flexDirection: 'column', flex: 1, gap: 3 }}>
      <label>
        {label}
        {input}
      </label>
      {errorOf(id) && (
        <span className="form-error" id={`${formId}-${id}-error`}>
          {errorOf(id)}
        </span>
      )}
    </div>
  );
  const described = (id: string) => (errorOf(id) ? { 'aria-invalid': true, 'aria-describedby': `${formId}-${id}-error` } : {});

  return (
    <form className="source-form" onSubmit={submit} aria-label={adding ? 'Add a data source' : `Change source ${source.name}`} noValidate>
      {adding &&
        field(
          'name',
          'Name',
          <input name="name" value={name} placeholder="e.g. targets" autoComplete="off" onChange={(e) => setName(e.target.value)} {...described('name')} />,
        )}
      <fieldset className="kind">
        <label>
          <input type="radio" name={group} checked={kind === 'file'} onChange={() => setKind('file')} /> Local file
        </label>
        <label>
          <input type="radio" name={group} checked={kind === 'url'} onChange={() => setKind('url')} /> Web address (http or https)
        </label>
        <label>
          <input type="radio" name={group} checked={kind === 's3'} onChange={() => setKind('s3')} /> Amazon S3 or S3-compatible
        </label>
      </fieldset>
      {kind === 'file' &&
        field(
          'path',
          'Path (relative to the dashboard file)',
          <input name="path" value={path} placeholder="data/orders.parquet, data/*/*.parquet or data/" onChange={(e) => setPath(e.target.value)} {...described('path')} />,
        )}
      {kind === 'file' && host && (
        <BrowseButton
          host={host}
          dashboardPath={dashboardPath}
          onPick={(picked) => {
            setPath(relativeToDashboard(picked, dashboardPath));
            const f = formatFromName(picked);
            if (f) setFormat(f);
          }}
          onError={(message) => setErrors([{ field: 'path', message }])}
        />
      )}
      {kind === 'url' &&
        field('url', 'URL of the data file', <input name="url" value={url} placeholder="https://example.com/data/orders.parquet" onChange={(e) => setUrl(e.target.value)} {...described('url')} />)}
      {kind === 's3' && (
        <>
          {field('uri', 'S3 URI', <input name="uri" value={uri} placeholder="s3://bucket/path/orders.parquet or s3://bucket/orders/*/*.parquet" onChange={(e) => setUri(e.target.value)} {...described('uri')} />)}
          {field('endpoint', 'Endpoint (for S3-compatible stores)', <input name="endpoint" value={endpoint} placeholder="http://127.0.0.1:9000" onChange={(e) => setEndpoint(e.target.value)} {...described('endpoint')} />)}
          <div className="row">
            {field('region', 'Region', <input name="region" value={region} onChange={(e) => setRegion(e.target.value)} {...described('region')} />)}
            {field('profile', 'AWS profile', <input name="profile" value={profile} placeholder="default chain" onChange={(e) => setProfile(e.target.value)} {...described('profile')} />)}
          </div>
          <label className="check">
            <input type="checkbox" name="pathStyle" checked={pathStyle} onChange={(e) => setPathStyle(e.target.checked)} /> Path-style addressing
          </label>
          <div className="row">
            <label>
              Access key ID (optional)
              <input name="accessKeyId" value={accessKeyId} autoComplete="off" onChange={(e) => setAccessKeyId(e.target.value)} />
            </label>
            <label>
              Secret access key
              <input name="secretAccessKey" type="password" value={secret} autoComplete="off" onChange={(e) => setSecret(e.target.value)} />
            </label>
          </div>
          <p className="muted small" data-testid="keys-note">
            {keysNote ?? "Keys stay on this machine's Northstar host for this session."} They are never written into the dashboard file.
          </p>
        </>
      )}
      {field(
        'format',
        'Format',
        <select name="format" value={format} onChange={(e) => setFormat(e.target.value as Format)}>
          <option value="parquet">Parquet</option>
          <option value="csv">CSV</option>
          <option value="json">JSON</option>
        </select>,
      )}
      <p className="muted small">A path or S3 URI ending in "/" reads every file of the format below it; * matches within a folder, ** across folders.</p>
      {general.length > 0 && (
        <div className="form-error" role="alert">
          {general.map((e) => (
            <div key={`${e.field}:${e.message}`}>{e.field ? `${e.field}: ${e.message}` : e.message}</div>
          ))}
        </div>
      )}
      {errors.length > general.length && general.length === 0 && (
        <div className="form-error" role="alert">
          Please correct the fields marked above.
        </div>
      )}
      <button type="submit" className="primary">
        {adding ? 'Add source' : 'Connect'}
      </button>
    </form>
  );
}
