// Data sources: where each source reads from, whether it loaded, and a form to point it at a
// local file or an S3 object. Typed keys go to the host once and are cleared from the form.
import { useState, type FormEvent } from 'react';
import type { Source } from '../../../dashboards/schema';
import { Source as SourceSchema } from '../../../dashboards/schema';
import type { AccessKeys } from '../../../electron/api/host-api';
import { useStore } from '../store';

export function SourcesDialog({ onApply }: { onApply: (name: string, source: Source, keys?: AccessKeys) => void }) {
  const dashboard = useStore((s) => s.dashboard);
  const datasets = useStore((s) => s.datasets);
  const setDrawer = useStore((s) => s.setDrawer);
  const setOpen = (open: boolean) => setDrawer(open ? 'sources' : null);
  const [editing, setEditing] = useState<string | null>(null);
  if (!dashboard) return null;
  return (
    <div className="dialog-backdrop" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="sources-title">
        <header className="dialog-header">
          <h2 id="sources-title">Data sources</h2>
          <button type="button" className="ghost" onClick={() => setOpen(false)} aria-label="Close">
            ✕
          </button>
        </header>
        {dashboard.sources.map((source) => {
          const used = dashboard.datasets.filter((d) => d.kind === 'sql' || d.source === source.name);
          return (
            <div className="source-row" key={source.name} data-source={source.name}>
              <div className="source-head">
                <strong>{source.name}</strong> <span className="muted">{describeSource(source)}</span>
                <button type="button" onClick={() => setEditing(editing === source.name ? null : source.name)}>
                  {editing === source.name ? 'Cancel' : 'Change…'}
                </button>
              </div>
              {used.map((d) => {
                const st = datasets[d.name];
                return (
                  <div key={d.name} className={`source-status ${st?.status ?? 'loading'}`} data-dataset={d.name}>
                    {st?.status === 'ready' && `Dataset "${d.name}": ${st.rowCount.toLocaleString('en-US')} rows, ${st.columns.length} columns, from ${st.location}`}
                    {st?.status === 'error' && st.message}
                    {(st === undefined || st.status === 'loading') && `Dataset "${d.name}": loading…`}
                  </div>
                );
              })}
              {editing === source.name && (
                <SourceForm
                  source={source}
                  onSubmit={(next, keys) => {
                    setEditing(null);
                    onApply(source.name, next, keys);
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

function describeSource(s: Source): string {
  switch (s.kind) {
    case 'file':
      return `local file ${s.path}`;
    case 'url':
      return s.url;
    case 's3':
      return `${s.uri}${s.endpoint ? ` at ${s.endpoint}` : ''}${s.region ? ` (${s.region})` : ''}${s.profile ? `, profile ${s.profile}` : ''}`;
  }
}

function SourceForm({ source, onSubmit }: { source: Source; onSubmit: (s: Source, keys?: AccessKeys) => void }) {
  const [kind, setKind] = useState<'file' | 's3'>(source.kind === 's3' ? 's3' : 'file');
  const [path, setPath] = useState(source.kind === 'file' ? source.path : '');
  const [uri, setUri] = useState(source.kind === 's3' ? source.uri : '');
  const [endpoint, setEndpoint] = useState(source.kind === 's3' ? (source.endpoint ?? '') : '');
  const [region, setRegion] = useState(source.kind === 's3' ? (source.region ?? '') : 'us-east-1');
  const [profile, setProfile] = useState(source.kind === 's3' ? (source.profile ?? '') : '');
  const [pathStyle, setPathStyle] = useState(source.kind === 's3' ? (source.pathStyle ?? true) : true);
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const candidate =
      kind === 'file'
        ? { name: source.name, kind, path, format: source.format }
        : {
            name: source.name,
            kind,
            uri: uri.trim(),
            format: source.format,
            ...(endpoint.trim() ? { endpoint: endpoint.trim() } : {}),
            ...(region.trim() ? { region: region.trim() } : {}),
            ...(profile.trim() ? { profile: profile.trim() } : {}),
            pathStyle,
          };
    const parsed = SourceSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      setError(`${issue?.path.join('.') || 'source'}: ${issue?.message ?? 'invalid'}`);
      return;
    }
    if ((accessKeyId && !secret) || (!accessKeyId && secret)) {
      setError('Give both the access key ID and the secret access key, or neither (to use the AWS profile or environment).');
      return;
    }
    const keys = kind === 's3' && accessKeyId && secret ? { accessKeyId, secretAccessKey: secret } : undefined;
    setSecret('');
    setAccessKeyId('');
    onSubmit(parsed.data, keys);
  };

  return (
    <form className="source-form" onSubmit={submit} aria-label={`Change source ${source.name}`}>
      <fieldset className="kind">
        <label>
          <input type="radio" name="kind" checked={kind === 'file'} onChange={() => setKind('file')} /> Local file
        </label>
        <label>
          <input type="radio" name="kind" checked={kind === 's3'} onChange={() => setKind('s3')} /> Amazon S3 or S3-compatible
        </label>
      </fieldset>
      {kind === 'file' ? (
        <label>
          Path (relative to the dashboard file)
          <input name="path" value={path} onChange={(e) => setPath(e.target.value)} required />
        </label>
      ) : (
        <>
          <label>
            S3 URI
            <input name="uri" value={uri} placeholder="s3://bucket/path/orders.parquet" onChange={(e) => setUri(e.target.value)} required />
          </label>
          <label>
            Endpoint (for S3-compatible stores)
            <input name="endpoint" value={endpoint} placeholder="http://127.0.0.1:9000" onChange={(e) => setEndpoint(e.target.value)} />
          </label>
          <div className="row">
            <label>
              Region
              <input name="region" value={region} onChange={(e) => setRegion(e.target.value)} />
            </label>
            <label>
              AWS profile
              <input name="profile" value={profile} placeholder="default chain" onChange={(e) => setProfile(e.target.value)} />
            </label>
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
          <p className="muted small">Keys stay on this machine's Northstar host for this session; they are never written into the dashboard file.</p>
        </>
      )}
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <button type="submit" className="primary">
        Connect
      </button>
    </form>
  );
}
