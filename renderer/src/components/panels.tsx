import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ChartPanel, DataPanel, Dataset, KpiPanel, Panel, TablePanel } from '../../../dashboards/schema';
import { isDataPanel, type ActionDeps } from '../actions/dashboard-actions';
import { Breadcrumbs, ChartActionsMenu, type ClickedPoint } from './drill';
import type { QueryResult } from '../../../queries/engine/engine';
import { buildChartOption } from '../charts/chart-options';
import { EChart } from '../charts/echart';
import { formatCell, formatChange, formatMeasure } from '../format';
import { useStore, type PanelState } from '../store';

/**
 * The frame every panel sits in: title (renamable), drill breadcrumbs, body, and its own loading
 * or error state. `panel` is what is drawn now; `source` is the panel as in the file (a chart
 * drilled to its rows is drawn as a table).
 */
export function PanelFrame({
  panel,
  source = panel,
  dataset,
  deps,
  onRename,
}: {
  panel: Panel;
  source?: Panel;
  dataset: Dataset | undefined;
  deps?: ActionDeps;
  onRename?: (title: string) => void;
}) {
  const state: PanelState | undefined = useStore((s) => s.panels[panel.id]);
  const markDrawn = useStore((s) => s.markDrawn);
  const [point, setPoint] = useState<ClickedPoint | null>(null);
  const status = panel.kind === 'text' || panel.kind === 'anomaly' ? 'ready' : (state?.status ?? 'loading');
  // KPIs, tables and messages are drawn once React has committed them; charts report from ECharts.
  useEffect(() => {
    if (status !== 'loading' && !(status === 'ready' && panel.kind === 'chart')) markDrawn(panel.id);
  }, [status, panel.kind, panel.id, markDrawn]);
  const closeMenu = useCallback(() => setPoint(null), []);
  const drillable = deps && source.kind === 'chart' && panel.kind === 'chart';

  return (
    <section className={`panel panel-${panel.kind}`} data-panel-id={panel.id} data-state={status} aria-busy={status === 'loading'} aria-label={panel.title}>
      <EditableTitle title={panel.title} onRename={onRename} />
      {deps && source.kind === 'chart' && <Breadcrumbs deps={deps} panel={source} dataset={dataset} />}
      <div className="panel-body">
        {panel.kind === 'text' && <TextBody markdown={panel.markdown} />}
        {panel.kind === 'anomaly' && <div className="panel-empty">No data checks run on this dashboard yet.</div>}
        {state?.status === 'loading' && <div className="panel-loading" aria-label="Loading">Loading…</div>}
        {state?.status === 'waiting' && <div className="panel-waiting">{state.message}</div>}
        {state?.status === 'error' && (
          <div className="panel-error" role="alert">
            {state.message}
          </div>
        )}
        {state?.status === 'ready' && dataset && isDataPanel(panel) && (
          <PanelBody panel={panel} dataset={dataset} result={state.result} onDrawn={() => markDrawn(panel.id)} onPointClick={drillable ? setPoint : undefined} />
        )}
        {drillable && point && state?.status === 'ready' && dataset && panel.kind === 'chart' && (
          <ChartActionsMenu deps={deps} panel={panel} dataset={dataset} result={state.result} point={point} onClose={closeMenu} />
        )}
      </div>
    </section>
  );
}

/** A title that becomes an input on double-click or on its rename button; Enter keeps, Esc cancels. */
export function EditableTitle({ title, onRename, as = 'header' }: { title: string; onRename?: (title: string) => void; as?: 'header' | 'h1' }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(title);
  const Tag = as;
  if (editing && onRename) {
    const commit = () => {
      setEditing(false);
      if (draft.trim() && draft !== title) onRename(draft);
    };
    return (
      <input
        className={as === 'h1' ? 'title-input h1' : 'title-input'}
        aria-label="Title"
        value={draft}
        autoFocus
        maxLength={300}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') {
            e.stopPropagation();
            setEditing(false);
            setDraft(title);
          }
        }}
      />
    );
  }
  return (
    <Tag className={as === 'h1' ? 'dashboard-title' : 'panel-title'} onDoubleClick={() => onRename && (setDraft(title), setEditing(true))}>
      <span className="title-text">{title}</span>
      {onRename && (
        <button type="button" className="ghost rename" aria-label={`Rename ${title}`} onClick={() => (setDraft(title), setEditing(true))}>
          ✎
        </button>
      )}
    </Tag>
  );
}

/** Markdown as plain text: paragraphs and headings, never HTML. */
function TextBody({ markdown }: { markdown: string }) {
  const blocks = markdown.split(/\n{2,}/).filter((b) => b.trim());
  return (
    <div className="text-body">
      {blocks.map((b, i) => {
        const heading = /^(#{1,6})\s+(.*)$/s.exec(b.trim());
        return heading ? <h3 key={i}>{heading[2]}</h3> : <p key={i}>{b.trim()}</p>;
      })}
    </div>
  );
}

function PanelBody({
  panel,
  dataset,
  result,
  onDrawn,
  onPointClick,
}: {
  panel: DataPanel;
  dataset: Dataset;
  result: QueryResult;
  onDrawn: () => void;
  onPointClick?: (p: ClickedPoint) => void;
}) {
  switch (panel.kind) {
    case 'kpi':
      return <KpiTile panel={panel} dataset={dataset} result={result} />;
    case 'chart':
      return <ChartBody panel={panel} dataset={dataset} result={result} onDrawn={onDrawn} onPointClick={onPointClick} />;
    case 'table':
      return <TableBody panel={panel} result={result} />;
  }
}

function KpiTile({ panel, dataset, result }: { panel: KpiPanel; dataset: Dataset; result: QueryResult }) {
  const measure = dataset.measures.find((m) => m.name === panel.measure);
  const pick = (period: string) => {
    const v = result.rows.find((r) => r.period === period)?.value;
    return typeof v === 'number' ? v : null;
  };
  const current = pick('current');
  const previous = pick('previous');
  const change = formatChange(current, previous);
  const good = change.ratio === null || change.ratio === 0 ? 'neutral' : (change.ratio > 0) === (panel.goodDirection === 'up') ? 'good' : 'bad';
  const days = useStore((s) => {
    const ds = s.datasets[dataset.name];
    return ds?.status === 'ready' ? (ds.period?.days ?? null) : null;
  });
  return (
    <div className="kpi">
      <div className="kpi-value" data-value={current ?? ''} title={current === null ? '' : formatMeasure(current, measure?.format ?? 'number', false)}>
        {formatMeasure(current, measure?.format ?? 'number')}
      </div>
      {panel.comparison === 'previous_period' && (
        <div className={`kpi-change ${good}`} data-previous={previous ?? ''}>
          <span className="kpi-delta">{change.text}</span>
          <span className="kpi-vs">
            vs previous {days ?? ''} days ({formatMeasure(previous, measure?.format ?? 'number')})
          </span>
        </div>
      )}
    </div>
  );
}

function ChartBody({
  panel,
  dataset,
  result,
  onDrawn,
  onPointClick,
}: {
  panel: ChartPanel;
  dataset: Dataset;
  result: QueryResult;
  onDrawn: () => void;
  onPointClick?: (p: ClickedPoint) => void;
}) {
  const option = useMemo(() => buildChartOption(panel, dataset, result), [panel, dataset, result]);
  if (result.rows.length === 0) {
    return <EmptyResult onShown={onDrawn} />;
  }
  return <EChart option={option} onDrawn={onDrawn} onPointClick={onPointClick} label={panel.title} />;
}

function EmptyResult({ onShown }: { onShown: () => void }) {
  useEffect(onShown, [onShown]);
  return <div className="panel-empty">No rows in this period.</div>;
}

function TableBody({ panel, result }: { panel: TablePanel; result: QueryResult }) {
  if (result.rows.length === 0) return <div className="panel-empty">No rows in this period.</div>;
  return (
    <div className="table-scroll">
      <table className="data-table">
        <thead>
          <tr>
            {result.columns.map((c) => (
              <th key={c.name} className={/Float|Int|Decimal/.test(c.type) ? 'num' : undefined}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((row, i) => (
            <tr key={i}>
              {result.columns.map((c) => (
                <td key={c.name} className={/Float|Int|Decimal/.test(c.type) ? 'num' : undefined}>
                  {formatCell(row[c.name] ?? null, c.type)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="table-footer">
        {result.rows.length} rows{result.rows.length === panel.limit ? ` (first ${panel.limit})` : ''}
      </div>
    </div>
  );
}
