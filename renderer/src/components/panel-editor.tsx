// The panel editor: every panel kind is edited in a side panel with a live preview of the draft.
// Nothing changes on the dashboard until "Apply", which is one undoable edit.
import { cloneElement, useEffect, useId, useMemo, useState, type ReactElement } from 'react';
import { CHART_TYPES, Panel as PanelSchema, TIME_GRAINS, type ChartPanel, type TimeGrain, type DashboardFile, type Dataset, type KpiPanel, type Panel, type TablePanel } from '../../../dashboards/schema';
import { datasetTable, isDataPanel } from '../../../queries/dashboard-runner';
import { panelQuery } from '../../../queries/panel-queries';
import type { QueryResult } from '../../../queries/engine/engine';
import { editFilters, type ActionDeps } from '../actions/dashboard-actions';
import { updatePanel } from '../actions/panel-actions';
import { refinementFor } from '../explore';
import { useStore } from '../store';
import { PanelBody, TextBody } from './panel-bodies';

const CHART_LABELS: Record<(typeof CHART_TYPES)[number], string> = {
  line: 'Line',
  area: 'Area',
  bar: 'Bar',
  stacked_bar: 'Stacked bar',
  horizontal_bar: 'Horizontal bar',
  pie: 'Pie / donut',
  scatter: 'Scatter',
  heatmap: 'Heatmap',
};

const GRAIN_LABELS: Record<TimeGrain, string> = { day: 'Day', week: 'Week', month: 'Month', quarter: 'Quarter', year: 'Year' };

type ChartAxis = ChartPanel['x'];

/** The value of an axis in the "Group by" / "Rows (y)" selects: "time:month" or "dim:region". */
const axisValue = (axis: ChartAxis) => (axis.type === 'time' ? `time:${axis.grain}` : `dim:${axis.dimension}`);

function parseAxis(value: string): ChartAxis {
  const [kind, rest] = value.split(':') as [string, string];
  return kind === 'time' ? { type: 'time', grain: rest as TimeGrain } : { type: 'dimension', dimension: rest };
}

/** Time grains (when the dataset has time) and dimensions, as the options of an axis select. */
function AxisOptions({ dataset }: { dataset: Dataset }) {
  return (
    <>
      {dataset.timeColumn && (
        <optgroup label="Time">
          {TIME_GRAINS.map((g) => (
            <option key={g} value={`time:${g}`}>
              {GRAIN_LABELS[g]}
            </option>
          ))}
        </optgroup>
      )}
      <optgroup label="Dimension">
        {dataset.dimensions.map((d) => (
          <option key={d.name} value={`dim:${d.name}`}>
            {d.label ?? d.name}
          </option>
        ))}
      </optgroup>
    </>
  );
}

export function PanelEditor({ deps, panelId, onClose }: { deps: ActionDeps; panelId: string; onClose: () => void }) {
  const dashboard = useStore((s) => s.dashboard);
  const original = dashboard?.panels.find((p) => p.id === panelId);
  const [draft, setDraft] = useState<Panel | null>(original ?? null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setDraft(original ?? null), [original]);
  if (!dashboard || !original || !draft) return null;

  const apply = () => {
    const parsed = PanelSchema.safeParse(draft);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      setError(`${issue?.path.join('.') || 'panel'}: ${issue?.message ?? 'invalid'}`);
      return;
    }
    setError(null);
    void editFilters(deps, (d) => updatePanel(d, parsed.data));
    onClose();
  };
  const set = (change: Partial<Panel>) => setDraft({ ...draft, ...change } as Panel);
  const dataset = 'dataset' in draft ? dashboard.datasets.find((d) => d.name === draft.dataset) : undefined;

  return (
    <aside className="drawer editor" role="dialog" aria-label={`Edit panel ${original.title}`} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <header className="dialog-header">
        <h2>Edit panel</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close editor">
          ✕
        </button>
      </header>
      <div className="editor-preview" aria-label="Preview">
        <div className="preview-title">{draft.title}</div>
        <Preview deps={deps} dashboard={dashboard} panel={draft} />
      </div>
      <form
        className="editor-form"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <Field label="Title">
          <input value={draft.title} maxLength={300} onChange={(e) => set({ title: e.target.value })} />
        </Field>
        {'dataset' in draft && (
          <Field label="Dataset">
            <select value={draft.dataset} onChange={(e) => set({ dataset: e.target.value } as Partial<Panel>)}>
              {dashboard.datasets.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.label ?? d.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        {draft.kind === 'kpi' && dataset && <KpiFields panel={draft} dataset={dataset} set={set} />}
        {draft.kind === 'chart' && dataset && <ChartFields panel={draft} dataset={dataset} set={set} />}
        {draft.kind === 'table' && dataset && <TableFields panel={draft} datasetName={dataset.name} set={set} />}
        {draft.kind === 'text' && (
          <Field label="Text (Markdown)">
            <textarea rows={10} value={draft.markdown} onChange={(e) => set({ markdown: e.target.value } as Partial<Panel>)} />
          </Field>
        )}
        {isDataPanel(draft) && (
          <label className="check">
            <input type="checkbox" checked={draft.followFilters} onChange={(e) => set({ followFilters: e.target.checked })} /> Follow the dashboard filters
          </label>
        )}
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <div className="dialog-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </aside>
  );
}

/** A labelled control: the label names exactly the one control (for screen readers and tests). */
function Field({ label, children }: { label: string; children: ReactElement<{ id?: string }> }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id })}
    </div>
  );
}

function useDatasetColumns(name: string): string[] {
  const state = useStore((s) => s.datasets[name]);
  return useMemo(() => (state?.status === 'ready' ? state.columns.map((c) => c.name) : []), [state]);
}

function KpiFields({ panel, dataset, set }: { panel: KpiPanel; dataset: Dataset; set: (c: Partial<KpiPanel>) => void }) {
  return (
    <>
      <Field label="Value">
        <select value={panel.measure} onChange={(e) => set({ measure: e.target.value })}>
          {dataset.measures.map((m) => (
            <option key={m.name} value={m.name}>
              {m.label ?? m.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Compare with">
        <select value={panel.comparison} onChange={(e) => set({ comparison: e.target.value as KpiPanel['comparison'] })}>
          <option value="previous_period">The previous period</option>
          <option value="previous_year">The same period last year</option>
          <option value="target">A target</option>
          <option value="none">Nothing</option>
        </select>
      </Field>
      {panel.comparison === 'target' && (
        <Field label="Target">
          <input type="number" value={panel.target ?? ''} onChange={(e) => set({ target: e.target.value === '' ? undefined : Number(e.target.value) })} />
        </Field>
      )}
      <Field label="Good direction">
        <select value={panel.goodDirection} onChange={(e) => set({ goodDirection: e.target.value as 'up' | 'down' })}>
          <option value="up">Up is good</option>
          <option value="down">Down is good</option>
        </select>
      </Field>
      <div className="row">
        <Field label="Number format">
          <select value={panel.format} onChange={(e) => set({ format: e.target.value as KpiPanel['format'] })}>
            <option value="auto">As the measure</option>
            <option value="currency">Currency</option>
            <option value="percent">Percent</option>
            <option value="compact">Compact (1.2K)</option>
            <option value="integer">Whole number</option>
            <option value="number">Number</option>
          </select>
        </Field>
        <Field label="Decimals">
          <input type="number" min={0} max={6} value={panel.decimals ?? ''} onChange={(e) => set({ decimals: e.target.value === '' ? undefined : Number(e.target.value) })} />
        </Field>
      </div>
      <div className="row">
        <Field label="Warn at">
          <input
            type="number"
            value={panel.thresholds?.warnAt ?? ''}
            onChange={(e) => set({ thresholds: { ...panel.thresholds, warnAt: e.target.value === '' ? undefined : Number(e.target.value) } })}
          />
        </Field>
        <Field label="Bad at">
          <input
            type="number"
            value={panel.thresholds?.badAt ?? ''}
            onChange={(e) => set({ thresholds: { ...panel.thresholds, badAt: e.target.value === '' ? undefined : Number(e.target.value) } })}
          />
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={panel.sparkline} onChange={(e) => set({ sparkline: e.target.checked })} /> Sparkline of the period
      </label>
    </>
  );
}

function ChartFields({ panel, dataset, set }: { panel: ChartPanel; dataset: Dataset; set: (c: Partial<ChartPanel>) => void }) {
  // A heatmap needs rows: default them to the first dimension not on x (or the x itself).
  const defaultY = (): ChartAxis => {
    const dim = dataset.dimensions.find((d) => panel.x.type !== 'dimension' || d.name !== panel.x.dimension) ?? dataset.dimensions[0];
    return dim ? { type: 'dimension', dimension: dim.name } : panel.x;
  };
  return (
    <>
      <Field label="Chart type">
        <select
          value={panel.chart}
          onChange={(e) => {
            const chart = e.target.value as ChartPanel['chart'];
            set(chart === 'heatmap' && !panel.y ? { chart, y: defaultY() } : { chart });
          }}
        >
          {CHART_TYPES.map((t) => (
            <option key={t} value={t}>
              {CHART_LABELS[t]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Group by">
        <select
          value={axisValue(panel.x)}
          onChange={(e) => {
            const x = parseAxis(e.target.value);
            set(x.type === 'time' ? { x, sort: 'label' } : { x });
          }}
        >
          <AxisOptions dataset={dataset} />
        </select>
      </Field>
      {panel.chart === 'heatmap' && (
        <Field label="Rows (y)">
          <select value={panel.y ? axisValue(panel.y) : ''} onChange={(e) => set({ y: parseAxis(e.target.value) })}>
            {!panel.y && <option value="">Choose…</option>}
            <AxisOptions dataset={dataset} />
          </select>
        </Field>
      )}
      <fieldset className="field">
        <legend>Measures</legend>
        {dataset.measures.map((m) => (
          <label key={m.name} className="check">
            <input
              type="checkbox"
              checked={panel.measures.includes(m.name)}
              onChange={(e) => set({ measures: e.target.checked ? [...panel.measures, m.name] : panel.measures.filter((x) => x !== m.name) })}
            />
            {m.label ?? m.name}
          </label>
        ))}
      </fieldset>
      <Field label="Split into series by">
        <select value={panel.series ?? ''} onChange={(e) => set({ series: e.target.value || undefined })}>
          <option value="">No split</option>
          {dataset.dimensions.map((d) => (
            <option key={d.name} value={d.name}>
              {d.label ?? d.name}
            </option>
          ))}
        </select>
      </Field>
      <div className="row">
        <Field label="Sort">
          <select value={panel.sort} onChange={(e) => set({ sort: e.target.value as ChartPanel['sort'] })}>
            <option value="value_desc">Largest first</option>
            <option value="value_asc">Smallest first</option>
            <option value="label">By label</option>
          </select>
        </Field>
        <Field label="Top N">
          <input type="number" min={1} max={1000} value={panel.limit} onChange={(e) => set({ limit: Math.max(1, Math.min(1000, Number(e.target.value) || 1)) })} />
        </Field>
      </div>
      <label className="check">
        <input type="checkbox" checked={panel.otherBucket} onChange={(e) => set({ otherBucket: e.target.checked })} /> Add the rest up as "Other"
      </label>
      <Field label="Axis format">
        <select value={panel.axisFormat} onChange={(e) => set({ axisFormat: e.target.value as ChartPanel['axisFormat'] })}>
          <option value="auto">As the measure</option>
          <option value="currency">Currency</option>
          <option value="percent">Percent</option>
          <option value="compact">Compact</option>
          <option value="number">Number</option>
        </select>
      </Field>
    </>
  );
}

function TableFields({ panel, datasetName, set }: { panel: TablePanel; datasetName: string; set: (c: Partial<TablePanel>) => void }) {
  const columns = useDatasetColumns(datasetName);
  const all = [...new Set([...panel.columns, ...columns])];
  return (
    <>
      <fieldset className="field">
        <legend>Columns</legend>
        {all.map((c) => (
          <label key={c} className="check">
            <input
              type="checkbox"
              checked={panel.columns.includes(c)}
              onChange={(e) => set({ columns: e.target.checked ? [...panel.columns, c] : panel.columns.filter((x) => x !== c) })}
            />
            {c}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <Field label="Sort by">
          <select
            value={panel.orderBy?.column ?? ''}
            onChange={(e) => set({ orderBy: e.target.value ? { column: e.target.value, direction: panel.orderBy?.direction ?? 'desc' } : undefined })}
          >
            <option value="">Unsorted</option>
            {all.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Direction">
          <select
            value={panel.orderBy?.direction ?? 'desc'}
            disabled={!panel.orderBy}
            onChange={(e) => panel.orderBy && set({ orderBy: { ...panel.orderBy, direction: e.target.value as 'asc' | 'desc' } })}
          >
            <option value="desc">Descending</option>
            <option value="asc">Ascending</option>
          </select>
        </Field>
      </div>
      <div className="row">
        <Field label="Rows fetched">
          <input type="number" min={1} max={10000} value={panel.limit} onChange={(e) => set({ limit: Math.max(1, Math.min(10000, Number(e.target.value) || 1)) })} />
        </Field>
        <Field label="Rows per page">
          <input type="number" min={5} max={1000} value={panel.pageSize} onChange={(e) => set({ pageSize: Math.max(5, Math.min(1000, Number(e.target.value) || 5)) })} />
        </Field>
      </div>
      <RulesEditor panel={panel} columns={panel.columns} set={set} />
    </>
  );
}

function RulesEditor({ panel, columns, set }: { panel: TablePanel; columns: string[]; set: (c: Partial<TablePanel>) => void }) {
  const update = (i: number, change: Partial<TablePanel['rules'][number]>) => set({ rules: panel.rules.map((r, j) => (j === i ? { ...r, ...change } : r)) });
  return (
    <fieldset className="field">
      <legend>Conditional formatting</legend>
      {panel.rules.map((r, i) => (
        <div className="rule" key={i}>
          <select aria-label="Rule column" value={r.column} onChange={(e) => update(i, { column: e.target.value })}>
            {columns.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
          <select aria-label="Rule test" value={r.op} onChange={(e) => update(i, { op: e.target.value as typeof r.op })}>
            <option value="lt">&lt;</option>
            <option value="lte">≤</option>
            <option value="gt">&gt;</option>
            <option value="gte">≥</option>
            <option value="eq">=</option>
            <option value="neq">≠</option>
          </select>
          <input
            aria-label="Rule value"
            value={String(r.value)}
            onChange={(e) => update(i, { value: e.target.value !== '' && Number.isFinite(Number(e.target.value)) ? Number(e.target.value) : e.target.value })}
          />
          <select aria-label="Rule colour" value={r.tone} onChange={(e) => update(i, { tone: e.target.value as typeof r.tone })}>
            <option value="good">Green</option>
            <option value="warn">Amber</option>
            <option value="bad">Red</option>
          </select>
          <button type="button" className="ghost" aria-label="Remove rule" onClick={() => set({ rules: panel.rules.filter((_, j) => j !== i) })}>
            ✕
          </button>
        </div>
      ))}
      {columns[0] && (
        <button type="button" onClick={() => set({ rules: [...panel.rules, { column: columns[0] as string, op: 'lt', value: 0, tone: 'bad' }] })}>
          Add rule
        </button>
      )}
    </fieldset>
  );
}

/** The draft drawn from its own query, so every change shows before it is applied. */
function Preview({ deps, dashboard, panel }: { deps: ActionDeps; dashboard: DashboardFile; panel: Panel }) {
  const datasets = useStore((s) => s.datasets);
  const exploreState = useStore((s) => s.explore);
  const [result, setResult] = useState<{ result: QueryResult } | { error: string } | null>(null);
  const dataset = 'dataset' in panel ? dashboard.datasets.find((d) => d.name === panel.dataset) : undefined;
  const state = dataset ? datasets[dataset.name] : undefined;

  useEffect(() => {
    if (!isDataPanel(panel) || !dataset) return;
    if (state?.status !== 'ready') {
      setResult({ error: `Dataset "${dataset.name}" is not loaded.` });
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      void (async () => {
        try {
          const engine = await deps.engine();
          const ctx = { dataset, table: datasetTable(dataset), columns: new Set(state.columns.map((c) => c.name)), period: state.period };
          const r = await engine.query(panelQuery(panel, ctx, refinementFor(panel, dashboard, exploreState)));
          if (live) setResult({ result: r });
        } catch (err) {
          if (live) setResult({ error: (err as Error).message });
        }
      })();
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [deps, panel, dataset, state, dashboard, exploreState]);

  if (panel.kind === 'text') return <TextBody markdown={panel.markdown} />;
  if (panel.kind === 'anomaly') return <div className="panel-empty">Anomaly panels are configured from their checks.</div>;
  if (!dataset) return <div className="panel-error">Choose a dataset.</div>;
  if (!result) return <div className="panel-loading">Loading…</div>;
  if ('error' in result) return <div className="panel-error">{result.error}</div>;
  return (
    <div className="preview-body">
      <PanelBody panel={panel} dataset={dataset} result={result.result} onDrawn={noop} />
    </div>
  );
}

function noop() {}
