import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type * as echarts from 'echarts/core';
import type { Dataset, Panel, TimeGrain } from '../../../dashboards/schema';
import { cancelRun, isDataPanel, runDashboard, type ActionDeps } from '../actions/dashboard-actions';
import { AnomalyBody } from './anomaly-panel';
import { emptyReason, EmptyPanelMessage, useActiveFilters } from './empty-panel';
import type { QueryResult } from '../../../queries/engine/engine';
import { Breadcrumbs, ChartActionsMenu, type ClickedPoint } from './drill';
import { PanelBody, TextBody } from './panel-bodies';
import { PanelMenu } from './panel-menu';
import { OpenLinkDialog } from './open-link-dialog';
import { currentGrain, refinementFor } from '../explore';
import { useStore, type PanelState } from '../store';
import { loadProgressText } from '../load-progress';
import { StoredResultNote } from './stored-result-note';
import './panels.css';

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
  // A link in a text panel waits here for the reader's confirmation.
  const [link, setLink] = useState<string | null>(null);
  const closeLink = useCallback(() => setLink(null), []);
  const status = panel.kind === 'text' || panel.kind === 'anomaly' ? 'ready' : (state?.status ?? 'loading');
  // KPIs, tables and messages are drawn once React has committed them; charts report from ECharts.
  // Every run starts with nothing drawn, so text and anomaly panels (always "ready") report again.
  const runId = useStore((s) => s.runId);
  useEffect(() => {
    if (status !== 'loading' && !(status === 'ready' && panel.kind === 'chart')) markDrawn(panel.id);
  }, [status, panel.kind, panel.id, markDrawn, runId]);
  const closeMenu = useCallback(() => setPoint(null), []);
  // The chart instance on screen, for PNG export (EChart reports it, and null on dispose).
  const chart = useRef<echarts.ECharts | null>(null);
  const getChart = useCallback(() => chart.current, []);
  const onInstance = useCallback((c: echarts.ECharts | null) => {
    chart.current = c;
  }, []);
  // The refinement the runner used for this panel, so "all rows" are the rows the panel shows.
  const file = useStore((s) => s.viewing?.dashboard ?? s.dashboard);
  const explore = useStore((s) => s.explore);
  const refine = useMemo(() => (file && isDataPanel(panel) ? refinementFor(panel, file, explore) : undefined), [file, panel, explore]);
  const drillable = deps && source.kind === 'chart' && panel.kind === 'chart';
  // No rows to draw: say why (empty dataset, filters, period) and offer the way out.
  const datasetRows = useStore((s) => {
    const d = dataset ? s.datasets[dataset.name] : undefined;
    return d?.status === 'ready' ? d.rowCount : null;
  });
  const activeFilters = useActiveFilters(dataset);
  const shownEmpty = useCallback(() => markDrawn(panel.id), [markDrawn, panel.id]);
  // A chart, KPI or table that shows rows keeps them on screen while a new run re-queries it: a
  // chart's ECharts instance stays mounted and takes the new option in place, instead of a dispose
  // and an init per click (a long main-thread task); a table's rows and a KPI's figures are updated
  // in place, not removed for a progress line and made again (measured at 5M rows: the table's
  // removal alone was ~4 ms of every click's ~75 ms of work). It is drawn as it was: the panel spec
  // and time grain of its result. Errors, empty results and cancels replace it as before.
  const grain = useStore((s) => (panel.kind === 'chart' && panel.x.type === 'time' ? currentGrain(panel, s.explore) : undefined));
  const lastShown = useRef<{ result: QueryResult; panel: Panel; grain: TimeGrain | undefined } | null>(null);
  if (state?.status === 'ready') {
    if (lastShown.current?.result !== state.result) lastShown.current = isDataPanel(panel) && state.result.rows.length > 0 ? { result: state.result, panel, grain } : null;
  } else if (state?.status !== 'loading') {
    lastShown.current = null;
  }
  const kept = state?.status === 'loading' && isDataPanel(panel) ? lastShown.current : null;
  // Dimmed, with its progress, only once the new result is slow to come: a click answered from the
  // result cache changes nothing on screen until its results are drawn.
  const slow = useHeldFor(kept !== null, REFRESH_SHOWN_AFTER_MS);
  const shown = state?.status === 'ready' ? { result: state.result, panel, grain: undefined } : kept;
  const empty = (result: QueryResult) => {
    const reason = dataset && isDataPanel(panel) ? emptyReason(panel, dataset, datasetRows, result, activeFilters) : null;
    return reason ? <EmptyPanelMessage reason={reason} deps={deps} onShown={shownEmpty} /> : null;
  };

  return (
    <section className={`panel panel-${panel.kind}`} data-panel-id={panel.id} data-state={status} aria-busy={status === 'loading'} aria-label={panel.title}>
      <div className="panel-head">
        <EditableTitle title={panel.title} onRename={onRename} />
        <PanelMenu panel={panel} dataset={dataset} state={state} getChart={getChart} refine={refine} />
      </div>
      {deps && source.kind === 'chart' && <Breadcrumbs deps={deps} panel={source} dataset={dataset} />}
      <div className={slow ? 'panel-body refreshing' : 'panel-body'}>
        {panel.kind === 'text' && <TextBody markdown={panel.markdown} onOpenLink={setLink} />}
        {link && <OpenLinkDialog url={link} deps={deps} onClose={closeLink} />}
        {panel.kind === 'anomaly' && <AnomalyBody panel={panel} deps={deps} />}
        {state?.status === 'loading' && !kept && <PanelProgress dataset={dataset} deps={deps} />}
        {slow && (
          <div className="panel-refresh">
            <PanelProgress dataset={dataset} deps={deps} />
          </div>
        )}
        {state?.status === 'ready' && state.stored && <StoredResultNote dataset={dataset} />}
        {state?.status === 'cancelled' && (
          <div className="panel-cancelled">
            Cancelled —{' '}
            {deps ? (
              <button type="button" className="link" onClick={() => void runDashboard(deps)}>
                Run again
              </button>
            ) : (
              'Run again'
            )}
          </div>
        )}
        {state?.status === 'waiting' && <div className="panel-waiting">{state.message}</div>}
        {state?.status === 'error' && (
          <div className="panel-error" role="alert">
            {state.message}
          </div>
        )}
        {/* One slot for the shown and the kept result, so the chart in it stays mounted from one to the next. */}
        {shown && dataset && isDataPanel(shown.panel) && ((kept ? null : empty(shown.result)) ?? (
          <PanelBody
            panel={shown.panel}
            dataset={dataset}
            result={shown.result}
            // The kept chart is not this run's drawing, and its rows are not the ones a click would act on.
            onDrawn={kept ? ignoreDrawn : () => markDrawn(panel.id)}
            onPointClick={drillable && !kept ? setPoint : undefined}
            onInstance={onInstance}
            grain={kept ? kept.grain : undefined}
          />
        ))}
        {drillable && point && state?.status === 'ready' && dataset && panel.kind === 'chart' && (
          <ChartActionsMenu deps={deps} panel={panel} dataset={dataset} result={state.result} point={point} onClose={closeMenu} />
        )}
      </div>
    </section>
  );
}

const ignoreDrawn = () => {};

/** How long a result kept on screen waits for its new one before it is dimmed and shows its progress. */
export const REFRESH_SHOWN_AFTER_MS = 250;

/** True once `on` has held for `ms` (false again as soon as it does not). */
function useHeldFor(on: boolean, ms: number): boolean {
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (!on) {
      setHeld(false);
      return;
    }
    const timer = setTimeout(() => setHeld(true), ms);
    return () => clearTimeout(timer);
  }, [on, ms]);
  return on && held;
}

/**
 * What a loading panel waits for and for how long, with a Cancel that stops the whole run
 * (the engine runs one query at a time, so stopping it stops every panel still waiting).
 */
function PanelProgress({ dataset, deps }: { dataset: Dataset | undefined; deps?: ActionDeps }) {
  const datasetState = useStore((s) => (dataset ? s.datasets[dataset.name] : undefined));
  const seconds = useElapsedSeconds();
  const name = dataset?.label ?? dataset?.name;
  const loadingData = datasetState?.status === 'loading';
  const what = !name ? 'Loading' : loadingData ? `Loading ${name}` : `Querying ${name}`;
  const location = datasetState?.status === 'loading' ? datasetState.location : undefined;
  // Bytes with a time left while a dataset's data arrives, then the rows the engine reads.
  const progress = datasetState?.status === 'loading' ? datasetState.progress : undefined;
  return (
    <div className="panel-loading" aria-label="Loading" data-testid="panel-progress">
      <span>{progress && name ? loadProgressText(name, progress) : `${what}… ${seconds} s`}</span>
      {location && <div className="muted small panel-loading-location">from {location}</div>}
      {deps && (
        <button type="button" className="small" onClick={() => void cancelRun(deps)}>
          Cancel
        </button>
      )}
    </div>
  );
}

/** Whole seconds since the component mounted, updated every second. */
function useElapsedSeconds(): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    const started = Date.now();
    const timer = window.setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return seconds;
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
