// The Datasets drawer: the dashboard's datasets, and for the one selected its semantic layer edited
// with clicks (source, time column, measures and ratios, dimensions, drill hierarchies) or its SQL
// in a real editor with a preview. Nothing changes on the dashboard until "Apply", which is one
// undoable edit, checked first against the schema, the real columns and what the panels read.
import { cloneElement, lazy, Suspense, useEffect, useId, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react';
import type { DashboardFile, Dataset, Measure } from '../../../dashboards/schema';
import { isNumericType, isTemporalType } from '../../../queries/dataset-queries';
import type { ActionDeps } from '../actions/dashboard-actions';
import { createPortal } from 'react-dom';
import { ScanDialog } from './scan-dialog';
import {
  NUMERIC_AGGS,
  addDimension,
  addHierarchy,
  addLevel,
  addMeasure,
  addRatioMeasure,
  deleteDataset,
  describeSources,
  moveLevel,
  newSqlDataset,
  newTableDataset,
  previewSql,
  removeDimension,
  removeHierarchy,
  removeLevel,
  removeMeasure,
  renameHierarchy,
  saveDataset,
  updateDimension,
  updateMeasure,
  type ColumnInfo,
  type DatasetProblem,
  type SqlPreview,
} from '../actions/dataset-actions';
import { formatTimestamp } from '../format';
import { useStore } from '../store';
// The SQL editor (CodeMirror, about a fifth of the UI's code) loads when first shown, not with the
// dashboard: opening a dashboard parses less before its first query.
const SqlEditor = lazy(() => import('./sql-editor').then((m) => ({ default: m.SqlEditor })));
import { loadProgressText } from '../load-progress';

const AGG_LABELS: Record<Measure['agg'], string> = {
  sum: 'Sum',
  avg: 'Average',
  count: 'Count',
  count_distinct: 'Count distinct',
  min: 'Minimum',
  max: 'Maximum',
  ratio: 'Ratio',
};

const FORMAT_LABELS: Record<Measure['format'], string> = {
  number: 'Number',
  integer: 'Whole number',
  currency: 'Currency',
  percent: 'Percent',
};

/** What the editor is on: an existing dataset (by name), or a new draft not on the dashboard yet. */
type Selection = { original: string } | { original: null; draft: Dataset };

export function DatasetsDrawer({ deps, onClose }: { deps: ActionDeps; onClose: () => void }) {
  const dashboard = useStore((s) => s.dashboard);
  const [selection, setSelection] = useState<Selection | null>(() => {
    const first = dashboard?.datasets[0];
    return first ? { original: first.name } : null;
  });
  // A new key after Apply or Discard starts the editor again from the dashboard.
  const [generation, setGeneration] = useState(0);
  const [creating, setCreating] = useState(false);
  const [scanning, setScanning] = useState<Dataset | null>(null);
  const sourceColumns = useSourceColumns(deps, dashboard);
  if (!dashboard) return null;

  const select = (next: Selection | null) => {
    setSelection(next);
    setGeneration((g) => g + 1);
  };
  const selectedName = selection?.original ?? null;
  const existing = selectedName === null ? undefined : dashboard.datasets.find((d) => d.name === selectedName);
  const draft = selection && selection.original === null ? selection.draft : existing;

  return (
    <aside
      className="drawer datasets-drawer"
      role="dialog"
      aria-label="Datasets"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) onClose();
      }}
    >
      <header className="dialog-header">
        <h2>Datasets</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <div className="datasets-layout">
        <nav className="datasets-nav" aria-label="Datasets of this dashboard">
          <ul className="datasets-list">
            {dashboard.datasets.map((d) => (
              <li key={d.name}>
                <button type="button" aria-pressed={selectedName === d.name} onClick={() => select({ original: d.name })} data-dataset={d.name}>
                  <span className="dataset-name">{d.label ?? d.name}</span>
                  <DatasetStatus dataset={d} />
                </button>
              </li>
            ))}
            {selection?.original === null && (
              <li>
                <button type="button" aria-pressed="true" data-dataset={selection.draft.name}>
                  <span className="dataset-name">{selection.draft.label ?? selection.draft.name}</span>
                  <span className="muted small">new, not applied</span>
                </button>
              </li>
            )}
          </ul>
          <button type="button" onClick={() => setCreating(!creating)} aria-expanded={creating}>
            New dataset
          </button>
          {existing && (
            <button type="button" onClick={() => setScanning(existing)} title="Run every check rule on this dataset and pin what it finds as checks">
              Scan for problems
            </button>
          )}
          {scanning && createPortal(<ScanDialog dataset={scanning} onClose={() => setScanning(null)} />, document.body)}
          {creating && (
            <NewDatasetForm
              dashboard={dashboard}
              sourceColumns={sourceColumns}
              onCreate={(d) => {
                setCreating(false);
                select({ original: null, draft: d });
              }}
            />
          )}
        </nav>
        <div className="datasets-main">
          {draft ? (
            <DatasetEditor
              key={`${selectedName ?? 'new'}:${generation}`}
              deps={deps}
              dashboard={dashboard}
              original={selectedName}
              initial={draft}
              sourceColumns={sourceColumns}
              onApplied={(name) => select({ original: name })}
              onDiscard={() => select(selection?.original === null ? (dashboard.datasets[0] ? { original: dashboard.datasets[0].name } : null) : selection)}
              onDeleted={() => {
                const next = dashboard.datasets.find((d) => d.name !== selectedName);
                select(next ? { original: next.name } : null);
              }}
            />
          ) : (
            <p className="muted">{dashboard.datasets.length === 0 ? 'This dashboard has no datasets yet: make one with "New dataset".' : 'Choose a dataset to edit.'}</p>
          )}
        </div>
      </div>
    </aside>
  );
}

function DatasetStatus({ dataset }: { dataset: Dataset }) {
  const state = useStore((s) => s.datasets[dataset.name]);
  const kind = dataset.kind === 'sql' ? 'SQL' : `table · ${dataset.source}`;
  let status = '';
  if (state?.status === 'ready') status = ` · ${state.rowCount.toLocaleString('en-US')} rows`;
  else if (state?.status === 'error') status = ' · error';
  else if (state?.status === 'needsTrust') status = ' · waiting for review';
  else if (state?.status === 'loading') status = state.progress ? ` · ${loadProgressText(dataset.label ?? dataset.name, state.progress)}` : ' · loading…';
  return (
    <span className={`muted small${state?.status === 'error' ? ' error-text' : ''}`} data-testid="dataset-status">
      {kind}
      {status}
    </span>
  );
}

/** The columns of every source view, described through the engine; again after each completed run. */
function useSourceColumns(deps: ActionDeps, dashboard: DashboardFile | null): Record<string, ColumnInfo[]> {
  const [columns, setColumns] = useState<Record<string, ColumnInfo[]>>({});
  const sources = dashboard?.sources.map((s) => s.name).join('\u0000') ?? '';
  const ready = useStore((s) => Object.values(s.datasets).filter((d) => d.status === 'ready').length);
  useEffect(() => {
    let live = true;
    describeSources(deps, sources ? sources.split('\u0000') : [])
      .then((c) => live && setColumns(c))
      .catch(() => {}); // no engine: the dashboard says so; pickers fall back to loaded datasets
    return () => {
      live = false;
    };
  }, [deps, sources, ready]);
  return columns;
}

function NewDatasetForm({ dashboard, sourceColumns, onCreate }: { dashboard: DashboardFile; sourceColumns: Record<string, ColumnInfo[]>; onCreate: (d: Dataset) => void }) {
  const [kind, setKind] = useState<'table' | 'sql'>('table');
  const [source, setSource] = useState(dashboard.sources[0]?.name ?? '');
  return (
    <form
      className="new-dataset editor-form"
      aria-label="New dataset"
      onSubmit={(e) => {
        e.preventDefault();
        if (kind === 'sql') onCreate(newSqlDataset(dashboard));
        else if (source) onCreate(newTableDataset(dashboard, source, sourceColumns[source] ?? []));
      }}
    >
      <fieldset className="field">
        <legend>Rows from</legend>
        <label className="check">
          <input type="radio" name="new-dataset-kind" checked={kind === 'table'} onChange={() => setKind('table')} /> A data source
        </label>
        <label className="check">
          <input type="radio" name="new-dataset-kind" checked={kind === 'sql'} onChange={() => setKind('sql')} /> SQL
        </label>
      </fieldset>
      {kind === 'table' && (
        <Field label="Data source">
          <select value={source} onChange={(e) => setSource(e.target.value)}>
            {dashboard.sources.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      )}
      <button type="submit" className="primary" disabled={kind === 'table' && !source}>
        Create
      </button>
    </form>
  );
}

// Fields that have a control of their own; other problems are listed under the form.
const INLINE_FIELD = /^(name|label|source|sql|timeColumn|measures\.\d+(\.(name|label|agg|column|numerator|denominator|format))?|dimensions\.\d+\.(name|label|column)|hierarchies\.\d+\.name)$/;

interface EditorProps {
  deps: ActionDeps;
  dashboard: DashboardFile;
  original: string | null;
  initial: Dataset;
  sourceColumns: Record<string, ColumnInfo[]>;
  onApplied: (name: string) => void;
  onDiscard: () => void;
  onDeleted: () => void;
}

function DatasetEditor({ deps, dashboard, original, initial, sourceColumns, onApplied, onDiscard, onDeleted }: EditorProps) {
  const [draft, setDraft] = useState<Dataset>(initial);
  const [problems, setProblems] = useState<DatasetProblem[]>([]);
  const [refusal, setRefusal] = useState<{ section: string; text: string } | null>(null);
  const [sqlColumns, setSqlColumns] = useState<{ sql: string; columns: ColumnInfo[] } | null>(null);
  const loaded = useStore((s) => (original ? s.datasets[original] : undefined));
  const loadedColumns = loaded?.status === 'ready' ? loaded.columns : null;

  // Columns known to be those of the draft (checked on Apply), and the best guess for the pickers.
  let fresh: ColumnInfo[] | null = null;
  let known: ColumnInfo[] | null = null;
  if (draft.kind === 'table') {
    fresh = sourceColumns[draft.source] ?? (initial.kind === 'table' && initial.source === draft.source ? loadedColumns : null);
    known = fresh;
  } else {
    fresh = sqlColumns?.sql === draft.sql ? sqlColumns.columns : initial.kind === 'sql' && initial.sql === draft.sql ? loadedColumns : null;
    known = fresh ?? sqlColumns?.columns ?? loadedColumns;
  }
  const columns = known ?? [];

  const problemAt = (field: string) => problems.find((p) => p.field === field)?.message;
  const general = problems.filter((p) => p.field === null || !INLINE_FIELD.test(p.field));
  const change = (next: Dataset) => {
    setDraft(next);
    setRefusal(null);
  };
  const refuse = (section: string, r: { ok: true; value: Dataset } | { ok: false; message: string }) => {
    if (r.ok) change(r.value);
    else setRefusal({ section, text: r.message });
  };
  const refusalIn = (section: string) =>
    refusal?.section === section ? (
      <div className="form-error" role="alert">
        {refusal.text}
      </div>
    ) : null;

  const apply = () => {
    const r = saveDataset(deps, original, draft, fresh ?? undefined);
    if (!r.ok) {
      setProblems(r.problems);
      return;
    }
    setProblems([]);
    onApplied(draft.name);
  };

  return (
    <form
      className="editor-form dataset-editor"
      aria-label={`Dataset ${draft.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <div className="row">
        <Field label="Dataset name" error={problemAt('name')}>
          <input value={draft.name} maxLength={64} spellCheck={false} onChange={(e) => change({ ...draft, name: e.target.value })} />
        </Field>
        <Field label="Dataset label" error={problemAt('label')}>
          <input
            value={draft.label ?? ''}
            maxLength={200}
            onChange={(e) => {
              const { label: _old, ...rest } = draft;
              change(e.target.value ? { ...rest, label: e.target.value } : rest);
            }}
          />
        </Field>
      </div>
      {draft.kind === 'table' ? (
        <Field label="Source" error={problemAt('source')}>
          <select value={draft.source} onChange={(e) => change({ ...draft, source: e.target.value })}>
            {!dashboard.sources.some((s) => s.name === draft.source) && <option value={draft.source}>{draft.source} (not declared)</option>}
            {dashboard.sources.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <SqlSection
          deps={deps}
          dashboard={dashboard}
          sql={draft.sql}
          error={problemAt('sql')}
          sourceColumns={sourceColumns}
          onChange={(sql) => setDraft((d) => (d.kind === 'sql' ? { ...d, sql } : d))}
          onColumns={(sql, c) => setSqlColumns({ sql, columns: c })}
        />
      )}
      <TimeColumnField draft={draft} columns={columns} error={problemAt('timeColumn')} onChange={change} />

      <Section title="Measures">
        {draft.measures.map((m, i) => (
          <MeasureRow
            key={i}
            index={i}
            measure={m}
            draft={draft}
            columns={columns}
            problemAt={problemAt}
            onChange={(c) => change(updateMeasure(draft, i, c))}
            onRemove={() => refuse('measures', removeMeasure(dashboard, original, draft, m.name))}
          />
        ))}
        {refusalIn('measures')}
        <div className="dialog-actions tight">
          <button type="button" onClick={() => change(addMeasure(draft))}>
            Add measure
          </button>
          <button
            type="button"
            disabled={draft.measures.length < 2}
            title="A measure divided by another, e.g. average order value = revenue / orders"
            onClick={() => refuse('measures', addRatioMeasure(draft, draft.measures[0]?.name ?? '', draft.measures[1]?.name ?? ''))}
          >
            Add ratio
          </button>
        </div>
      </Section>

      <Section title="Dimensions">
        {draft.dimensions.map((x, i) => (
          <fieldset key={i} className="item" aria-label={`Dimension ${i + 1}`}>
            <div className="row">
              <Field label="Name" error={problemAt(`dimensions.${i}.name`)}>
                <input value={x.name} maxLength={64} spellCheck={false} onChange={(e) => change(updateDimension(draft, i, { name: e.target.value }))} />
              </Field>
              <Field label="Label" error={problemAt(`dimensions.${i}.label`)}>
                <input value={x.label ?? ''} maxLength={200} onChange={(e) => change(updateDimension(draft, i, { label: e.target.value }))} />
              </Field>
              <Field label="Column" error={problemAt(`dimensions.${i}.column`)}>
                <ColumnSelect value={x.column} columns={columns} onChange={(c) => change(updateDimension(draft, i, { column: c ?? x.column }))} />
              </Field>
              <button type="button" className="ghost remove" aria-label={`Remove dimension ${x.name}`} onClick={() => refuse('dimensions', removeDimension(dashboard, original, draft, x.name))}>
                ✕
              </button>
            </div>
          </fieldset>
        ))}
        {refusalIn('dimensions')}
        <AddDimension draft={draft} columns={columns} onAdd={(c) => change(addDimension(draft, c))} />
      </Section>

      <Section title="Drill hierarchies">
        {draft.hierarchies.map((h, i) => (
          <HierarchyRow key={i} index={i} draft={draft} error={problemAt(`hierarchies.${i}.name`)} onChange={change} />
        ))}
        {refusalIn('hierarchies')}
        <div className="dialog-actions tight">
          <button type="button" onClick={() => refuse('hierarchies', addHierarchy(draft))}>
            Add drill hierarchy
          </button>
        </div>
      </Section>

      {general.length > 0 && (
        <ul className="form-error problems" role="alert" aria-label="Problems">
          {general.map((p, i) => (
            <li key={i}>
              {p.field ? `${describeField(p.field, draft)}: ` : ''}
              {p.message}
            </li>
          ))}
        </ul>
      )}
      {refusalIn('dataset')}
      <div className="dialog-actions">
        <button type="submit" className="primary">
          Apply
        </button>
        <button type="button" onClick={onDiscard}>
          {original === null ? 'Discard' : 'Discard changes'}
        </button>
        {original !== null && (
          <button
            type="button"
            className="warn"
            onClick={() => {
              const r = deleteDataset(deps, original);
              if (r.ok) onDeleted();
              else setRefusal({ section: 'dataset', text: r.message });
            }}
          >
            Delete dataset
          </button>
        )}
      </div>
    </form>
  );
}

/** "hierarchies.0.levels.2" → "Drill hierarchy geography, level 3". */
function describeField(field: string, draft: Dataset): string {
  const [list, index, ...rest] = field.split('.');
  const i = Number(index);
  const tail = rest.length > 0 ? ` (${rest.join('.')})` : '';
  if (list === 'measures') return `Measure ${draft.measures[i]?.name ?? i + 1}${tail}`;
  if (list === 'dimensions') return `Dimension ${draft.dimensions[i]?.name ?? i + 1}${tail}`;
  if (list === 'hierarchies') return `Drill hierarchy ${draft.hierarchies[i]?.name ?? i + 1}${tail}`;
  return field;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="dataset-section" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

/** A labelled control with its error under it (the label names exactly the one control). */
function Field({ label, error, children }: { label: string; error?: string | undefined; children: ReactElement<{ id?: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }> }) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, ...(error ? { 'aria-invalid': true, 'aria-describedby': errorId } : {}) })}
      {error && (
        <div className="field-error" id={errorId}>
          {error}
        </div>
      )}
    </div>
  );
}

/** Columns to pick from; a value not in the data stays visible, marked, rather than silently changing. */
function ColumnSelect({
  value,
  columns,
  onChange,
  filter,
  none,
  id,
  ...aria
}: {
  value: string | undefined;
  columns: readonly ColumnInfo[];
  onChange: (column: string | undefined) => void;
  filter?: (c: ColumnInfo) => boolean;
  none?: string;
  id?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const shown = filter ? columns.filter(filter) : columns;
  const missing = value !== undefined && !shown.some((c) => c.name === value);
  return (
    <select id={id} {...aria} value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}>
      {none !== undefined && <option value="">{none}</option>}
      {value === undefined && none === undefined && <option value="">Choose a column</option>}
      {missing && <option value={value}>{columns.length === 0 ? value : `${value} (not usable here)`}</option>}
      {shown.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name}
        </option>
      ))}
    </select>
  );
}

function TimeColumnField({ draft, columns, error, onChange }: { draft: Dataset; columns: readonly ColumnInfo[]; error: string | undefined; onChange: (d: Dataset) => void }) {
  return (
    <Field label="Time column" error={error}>
      <ColumnSelect
        value={draft.timeColumn}
        columns={columns}
        filter={(c) => isTemporalType(c.type)}
        none="No time column"
        onChange={(c) => {
          const { timeColumn: _old, ...rest } = draft;
          onChange(c === undefined ? rest : { ...rest, timeColumn: c });
        }}
      />
    </Field>
  );
}

function MeasureRow({
  index,
  measure: m,
  draft,
  columns,
  problemAt,
  onChange,
  onRemove,
}: {
  index: number;
  measure: Measure;
  draft: Dataset;
  columns: readonly ColumnInfo[];
  problemAt: (field: string) => string | undefined;
  onChange: (change: Partial<Measure>) => void;
  onRemove: () => void;
}) {
  const at = (f: string) => problemAt(`measures.${index}.${f}`);
  const others = draft.measures.filter((x, i) => i !== index);
  const numeric = NUMERIC_AGGS.includes(m.agg);
  const rowError = problemAt(`measures.${index}`);
  const changeAgg = (agg: Measure['agg']) => {
    const change: Partial<Measure> = { agg };
    if (agg === 'ratio') {
      change.numerator = m.numerator ?? others[0]?.name;
      change.denominator = m.denominator ?? others[1]?.name ?? others[0]?.name;
    } else if (NUMERIC_AGGS.includes(agg)) {
      // Keep a numeric column; otherwise start from the first numeric one.
      const current = columns.find((c) => c.name === m.column);
      if (!current || !isNumericType(current.type)) change.column = columns.find((c) => isNumericType(c.type))?.name ?? m.column;
    } else if (agg !== 'count' && m.column === undefined) {
      change.column = columns[0]?.name;
    }
    onChange(change);
  };
  return (
    <fieldset className="item" aria-label={`Measure ${index + 1}`}>
      <div className="row">
        <Field label="Name" error={at('name')}>
          <input value={m.name} maxLength={64} spellCheck={false} onChange={(e) => onChange({ name: e.target.value })} />
        </Field>
        <Field label="Label" error={at('label')}>
          <input value={m.label ?? ''} maxLength={200} onChange={(e) => onChange({ label: e.target.value })} />
        </Field>
        <button type="button" className="ghost remove" aria-label={`Remove measure ${m.name}`} onClick={onRemove}>
          ✕
        </button>
      </div>
      <div className="row">
        <Field label="Aggregation" error={at('agg')}>
          <select value={m.agg} onChange={(e) => changeAgg(e.target.value as Measure['agg'])}>
            {(Object.keys(AGG_LABELS) as Measure['agg'][]).map((a) => (
              <option key={a} value={a} disabled={a === 'ratio' && others.length === 0}>
                {AGG_LABELS[a]}
              </option>
            ))}
          </select>
        </Field>
        {m.agg === 'ratio' ? (
          <>
            <Field label="Numerator" error={at('numerator')}>
              <MeasureSelect value={m.numerator} measures={others} onChange={(numerator) => onChange({ numerator })} />
            </Field>
            <Field label="Denominator" error={at('denominator')}>
              <MeasureSelect value={m.denominator} measures={others} onChange={(denominator) => onChange({ denominator })} />
            </Field>
          </>
        ) : (
          <Field label="Column" error={at('column')}>
            <ColumnSelect
              value={m.column}
              columns={columns}
              filter={numeric ? (c) => isNumericType(c.type) : undefined}
              {...(m.agg === 'count' ? { none: 'All rows' } : {})}
              onChange={(column) => onChange({ column })}
            />
          </Field>
        )}
        <Field label="Format" error={at('format')}>
          <select value={m.format} onChange={(e) => onChange({ format: e.target.value as Measure['format'] })}>
            {(Object.keys(FORMAT_LABELS) as Measure['format'][]).map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {rowError && <div className="field-error">{rowError}</div>}
    </fieldset>
  );
}

function MeasureSelect({ value, measures, onChange, ...rest }: { value: string | undefined; measures: readonly Measure[]; onChange: (name: string) => void; id?: string }) {
  return (
    <select {...rest} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
      {value === undefined && <option value="">Choose a measure</option>}
      {value !== undefined && !measures.some((x) => x.name === value) && <option value={value}>{value} (missing)</option>}
      {measures.map((x) => (
        <option key={x.name} value={x.name}>
          {x.label ?? x.name}
        </option>
      ))}
    </select>
  );
}

function AddDimension({ draft, columns, onAdd }: { draft: Dataset; columns: readonly ColumnInfo[]; onAdd: (column: string) => void }) {
  const used = new Set(draft.dimensions.map((x) => x.column));
  const free = columns.filter((c) => !used.has(c.name));
  const [column, setColumn] = useState('');
  const chosen = free.some((c) => c.name === column) ? column : (free[0]?.name ?? '');
  if (columns.length === 0) return <p className="muted small">The columns show once the data is loaded{draft.kind === 'sql' ? ' (run the SQL)' : ''}.</p>;
  return (
    <div className="row add-row">
      <Field label="Column for a new dimension">
        <select value={chosen} onChange={(e) => setColumn(e.target.value)}>
          {free.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <button type="button" disabled={!chosen} onClick={() => onAdd(chosen)}>
        Add dimension
      </button>
    </div>
  );
}

function HierarchyRow({ index, draft, error, onChange }: { index: number; draft: Dataset; error: string | undefined; onChange: (d: Dataset) => void }) {
  const h = draft.hierarchies[index];
  const [level, setLevel] = useState('');
  if (!h) return null;
  const label = (name: string) => draft.dimensions.find((x) => x.name === name)?.label ?? name;
  const free = draft.dimensions.filter((x) => !h.levels.includes(x.name));
  const chosen = free.some((x) => x.name === level) ? level : (free[0]?.name ?? '');
  return (
    <fieldset className="item" aria-label={`Hierarchy ${index + 1}`}>
      <div className="row">
        <Field label="Name" error={error}>
          <input value={h.name} maxLength={64} spellCheck={false} onChange={(e) => onChange(renameHierarchy(draft, index, e.target.value))} />
        </Field>
        <button type="button" className="ghost remove" aria-label={`Remove hierarchy ${h.name}`} onClick={() => onChange(removeHierarchy(draft, index))}>
          ✕
        </button>
      </div>
      <ol className="levels" aria-label="Levels, coarse to fine">
        {h.levels.map((l, j) => (
          <li key={l} data-level={l}>
            <span className="level-name">{label(l)}</span>
            <button type="button" className="ghost" aria-label={`Move ${l} up`} disabled={j === 0} onClick={() => onChange(moveLevel(draft, index, j, -1))}>
              ↑
            </button>
            <button type="button" className="ghost" aria-label={`Move ${l} down`} disabled={j === h.levels.length - 1} onClick={() => onChange(moveLevel(draft, index, j, 1))}>
              ↓
            </button>
            <button type="button" className="ghost" aria-label={`Remove level ${l}`} disabled={h.levels.length === 1} onClick={() => onChange(removeLevel(draft, index, j))}>
              ✕
            </button>
          </li>
        ))}
      </ol>
      {free.length > 0 && (
        <div className="row add-row">
          <Field label="Finer level">
            <select value={chosen} onChange={(e) => setLevel(e.target.value)}>
              {free.map((x) => (
                <option key={x.name} value={x.name}>
                  {x.label ?? x.name}
                </option>
              ))}
            </select>
          </Field>
          <button type="button" disabled={!chosen} onClick={() => onChange(addLevel(draft, index, chosen))}>
            Add level
          </button>
        </div>
      )}
    </fieldset>
  );
}

type RunState = { status: 'idle' } | { status: 'running' } | { status: 'done'; sql: string; result: SqlPreview };

function SqlSection({
  deps,
  dashboard,
  sql,
  error,
  sourceColumns,
  onChange,
  onColumns,
}: {
  deps: ActionDeps;
  dashboard: DashboardFile;
  sql: string;
  error: string | undefined;
  sourceColumns: Record<string, ColumnInfo[]>;
  onChange: (sql: string) => void;
  onColumns: (sql: string, columns: ColumnInfo[]) => void;
}) {
  const trusted = useStore((s) => s.trusted);
  const setDrawer = useStore((s) => s.setDrawer);
  const [run, setRun] = useState<RunState>({ status: 'idle' });
  // The text as typed, read by Ctrl+Enter before React has re-rendered.
  const text = useRef(sql);
  const runs = useRef(0);
  useEffect(() => {
    text.current = sql;
  }, [sql]);
  useEffect(
    () => () => {
      runs.current += 1; // unmounted: drop answers still on their way
    },
    [],
  );
  const schema = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const s of dashboard.sources) {
      const c = sourceColumns[s.name];
      out[s.name] = c ? c.map((x) => x.name) : [];
    }
    return out;
  }, [dashboard.sources, sourceColumns]);

  const execute = async () => {
    const current = text.current;
    const id = ++runs.current;
    setRun({ status: 'running' });
    const result = await previewSql(deps, current);
    if (id !== runs.current) return;
    setRun({ status: 'done', sql: current, result });
    if (result.kind === 'ok') onColumns(current, result.columns);
  };

  const result = run.status === 'done' ? run.result : null;
  const errorAt = result?.kind === 'error' && result.location && run.status === 'done' && run.sql === sql ? result.location : null;
  return (
    <div className="field sql-field">
      <span className="field-label">SQL</span>
      <Suspense fallback={<div className="muted small">Loading the SQL editor…</div>}>
        <SqlEditor
          value={sql}
          schema={schema}
          label="SQL"
          errorAt={errorAt}
          onChange={(next) => {
            text.current = next;
            onChange(next);
          }}
          onRun={() => void execute()}
        />
      </Suspense>
      {error && <div className="field-error">{error}</div>}
      {!trusted && (
        <div className="banner warn sql-trust" role="status">
          <span>Review and trust this dashboard first: SQL from a file not saved on this machine runs only after review.</span>
          <button type="button" onClick={() => setDrawer('review')}>
            Review SQL…
          </button>
        </div>
      )}
      <div className="dialog-actions tight">
        <button type="button" onClick={() => void execute()} disabled={!trusted || run.status === 'running'} title="Run (Ctrl+Enter)">
          {run.status === 'running' ? 'Running…' : 'Run'}
        </button>
        <span className="muted small">Ctrl+Enter runs the query; Ctrl+Space completes names.</span>
      </div>
      {result?.kind === 'error' && (
        <div className="sql-error" role="alert" data-testid="sql-error">
          <div>{result.message}</div>
          {result.location && (
            <div className="small" data-testid="sql-error-position">
              Line {result.location.line}, column {result.location.column}
            </div>
          )}
        </div>
      )}
      {result?.kind === 'ok' && <PreviewTable result={result} />}
    </div>
  );
}

function PreviewTable({ result }: { result: Extract<SqlPreview, { kind: 'ok' }> }) {
  const temporal = new Set(result.columns.filter((c) => isTemporalType(c.type)).map((c) => c.name));
  const show = (name: string, v: unknown) => {
    if (v === null || v === undefined) return '∅';
    if (typeof v === 'number' && temporal.has(name)) return formatTimestamp(v, true);
    return String(v);
  };
  return (
    <div className="sql-preview" aria-label="Preview of the SQL" role="region">
      <div className="muted small" data-testid="sql-preview-count">
        {result.truncated ? `First ${result.rows.length} rows` : `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`} · {result.columns.length} columns
      </div>
      <div className="sql-preview-scroll">
        <table className="data-table">
          <thead>
            <tr>
              {result.columns.map((c) => (
                <th key={c.name} title={c.type}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((r, i) => (
              <tr key={i}>
                {result.columns.map((c) => (
                  <td key={c.name} className={isNumericType(c.type) ? 'num' : undefined}>
                    {show(c.name, r[c.name])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
