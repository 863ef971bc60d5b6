import { useEffect, useMemo } from 'react';
import type { ChartPanel, Dataset, KpiPanel, Panel, TablePanel } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import { buildChartOption } from '../charts/chart-options';
import { EChart } from '../charts/echart';
import { formatCell, formatChange, formatMeasure } from '../format';
import { useStore, type PanelState } from '../store';

/** The frame every panel sits in: title, body, and its own loading or error state. */
export function PanelFrame({ panel, dataset }: { panel: Panel; dataset: Dataset | undefined }) {
  const state: PanelState = useStore((s) => s.panels[panel.id]) ?? { status: 'loading' };
  const markDrawn = useStore((s) => s.markDrawn);
  // KPIs and tables are drawn once React has committed them; charts report from ECharts.
  useEffect(() => {
    if (state.status === 'error' || (state.status === 'ready' && panel.kind !== 'chart')) markDrawn(panel.id);
  }, [state, panel.kind, panel.id, markDrawn]);

  return (
    <section className={`panel panel-${panel.kind}`} data-panel-id={panel.id} data-state={state.status} aria-busy={state.status === 'loading'}>
      <header className="panel-title">{panel.title}</header>
      <div className="panel-body">
        {state.status === 'loading' && <div className="panel-loading" aria-label="Loading">Loading…</div>}
        {state.status === 'error' && (
          <div className="panel-error" role="alert">
            {state.message}
          </div>
        )}
        {state.status === 'ready' && dataset && <PanelBody panel={panel} dataset={dataset} result={state.result} onDrawn={() => markDrawn(panel.id)} />}
      </div>
    </section>
  );
}

function PanelBody({ panel, dataset, result, onDrawn }: { panel: Panel; dataset: Dataset; result: QueryResult; onDrawn: () => void }) {
  switch (panel.kind) {
    case 'kpi':
      return <KpiTile panel={panel} dataset={dataset} result={result} />;
    case 'chart':
      return <ChartBody panel={panel} dataset={dataset} result={result} onDrawn={onDrawn} />;
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

function ChartBody({ panel, dataset, result, onDrawn }: { panel: ChartPanel; dataset: Dataset; result: QueryResult; onDrawn: () => void }) {
  const option = useMemo(() => buildChartOption(panel, dataset, result), [panel, dataset, result]);
  if (result.rows.length === 0) {
    return <EmptyResult onShown={onDrawn} />;
  }
  return <EChart option={option} onDrawn={onDrawn} label={panel.title} />;
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
