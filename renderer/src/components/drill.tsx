// Drill-down and cross-filtering from a chart: a click on a bar, slice or point offers what to do
// with that member (drill to the next level, show its rows, filter the other panels), and
// breadcrumbs lead back up.
import { useEffect, useRef } from 'react';
import type { ChartPanel, Dataset, TimeGrain } from '../../../dashboards/schema';
import type { QueryResult, Row, Scalar } from '../../../queries/engine/engine';
import { explore, type ActionDeps } from '../actions/dashboard-actions';
import { breadcrumbs, bucketEnd, currentGrain, drillLevel, finerGrain, type DrillStep, type Exploration } from '../explore';
import { formatTimeBucket } from '../format';
import { canExplain } from '../actions/explain-actions';
import { useStore } from '../store';

export interface ClickedPoint {
  dataIndex: number;
  x: number;
  y: number;
}

interface Action {
  label: string;
  run: (e: Exploration) => Exploration;
}

function withDrill(e: Exploration, panelId: string, step: DrillStep, showRows: boolean): Exploration {
  const current = e.drills[panelId] ?? { steps: [], showRows: false };
  return { ...e, drills: { ...e.drills, [panelId]: { steps: [...current.steps, step], showRows } } };
}

function timeLabel(start: number, grain: TimeGrain): string {
  const label = formatTimeBucket(start, grain);
  return grain === 'week' ? `week of ${label}` : label;
}

/** The drill step to one value of a chart axis: a time bucket or a dimension member. */
function axisStep(axis: NonNullable<ChartPanel['y']>, value: Scalar | undefined, grain: TimeGrain): { step: DrillStep; label: string } | null {
  if (axis.type === 'time') {
    if (typeof value !== 'number') return null;
    const label = timeLabel(value, grain);
    return { step: { kind: 'time', start: value, end: bucketEnd(value, grain), label }, label };
  }
  const member = value === null || value === undefined ? null : String(value);
  return { step: { kind: 'member', dimension: axis.dimension, value: member }, label: member ?? '(null)' };
}

/** A heatmap cell: its rows, or its x (and y) member as the other panels' filter. No zoom: the cell's row axis would not follow. */
function heatmapActions(panel: ChartPanel, row: Row, state: Exploration): { title: string; actions: Action[] } | null {
  if (!panel.y) return null;
  const x = axisStep(panel.x, row.x, currentGrain(panel, state));
  const y = axisStep(panel.y, row.y, panel.y.type === 'time' ? panel.y.grain : 'day');
  if (!x || !y) return null;
  const title = `${x.label} × ${y.label}`;
  const actions: Action[] = [{ label: `Show rows for ${title}`, run: (e) => withDrill(withDrill(e, panel.id, x.step, false), panel.id, y.step, true) }];
  if (state.crossFilter) {
    for (const { step, label } of [x, y]) {
      if (step.kind === 'member') {
        actions.push({ label: `Filter other panels to ${label}`, run: (e) => ({ ...e, clickFilter: { panelId: panel.id, dimension: step.dimension, value: step.value } }) });
      }
    }
  }
  return { title, actions };
}

/** What a click on one member of a chart can do. */
export function chartActions(panel: ChartPanel, dataset: Dataset, result: QueryResult, dataIndex: number, state: Exploration): { title: string; actions: Action[] } | null {
  const row = result.rows[dataIndex];
  if (!row) return null;
  const drill = state.drills[panel.id];
  if (panel.chart === 'heatmap') return heatmapActions(panel, row, state);
  if (panel.x.type === 'time') {
    if (typeof row.x !== 'number') return null;
    const grain = currentGrain(panel, state);
    const start = row.x;
    const step: DrillStep = { kind: 'time', start, end: bucketEnd(start, grain), label: timeLabel(start, grain) };
    const actions: Action[] = [];
    const finer = finerGrain(grain);
    if (finer) actions.push({ label: `Zoom into ${step.label} by ${finer}`, run: (e) => withDrill(e, panel.id, step, false) });
    actions.push({ label: `Show rows for ${step.label}`, run: (e) => withDrill(e, panel.id, step, true) });
    return { title: step.label, actions };
  }
  const level = drillLevel(panel, dataset, drill);
  if (!level) return null;
  const value = row.x === null ? null : String(row.x);
  const shown = value ?? '(null)';
  const dim = dataset.dimensions.find((d) => d.name === level.dimension);
  const step: DrillStep = { kind: 'member', dimension: level.dimension, value };
  const actions: Action[] = [];
  if (level.next) {
    const nextDim = dataset.dimensions.find((d) => d.name === level.next);
    actions.push({ label: `Drill into ${shown} by ${(nextDim?.label ?? level.next).toLowerCase()}`, run: (e) => withDrill(e, panel.id, step, false) });
  }
  actions.push({ label: `Show rows for ${shown}`, run: (e) => withDrill(e, panel.id, step, true) });
  if (state.crossFilter) {
    actions.push({ label: `Filter other panels to ${shown}`, run: (e) => ({ ...e, clickFilter: { panelId: panel.id, dimension: level.dimension, value } }) });
  }
  return { title: `${dim?.label ?? level.dimension}: ${shown}`, actions };
}

export function ChartActionsMenu({
  deps,
  panel,
  dataset,
  result,
  point,
  onClose,
}: {
  deps: ActionDeps;
  panel: ChartPanel;
  dataset: Dataset;
  result: QueryResult;
  point: ClickedPoint;
  onClose: () => void;
}) {
  const state = useStore((s) => s.explore);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    menu.current?.querySelector('button')?.focus();
    const onDown = (e: MouseEvent) => {
      if (menu.current && !menu.current.contains(e.target as Node)) onClose();
    };
    window.addEventListener('mousedown', onDown);
    return () => window.removeEventListener('mousedown', onDown);
  }, [onClose]);
  const found = chartActions(panel, dataset, result, point.dataIndex, state);
  if (!found) return null;
  // A time-series point can be explained against the bucket before it ("Why did this move?").
  const bucket = result.rows[point.dataIndex]?.x;
  const explainPoint = canExplain(panel) && typeof bucket === 'number' ? bucket : null;
  return (
    <div
      ref={menu}
      className="chart-menu"
      role="menu"
      aria-label={found.title}
      style={{ left: Math.max(4, point.x - 10), top: point.y + 8 }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const items = [...(menu.current?.querySelectorAll('button') ?? [])];
          const i = items.indexOf(document.activeElement as HTMLButtonElement);
          items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
        }
      }}
    >
      <div className="chart-menu-title">{found.title}</div>
      {found.actions.map((a) => (
        <button
          key={a.label}
          type="button"
          role="menuitem"
          onClick={() => {
            onClose();
            void explore(deps, a.run);
          }}
        >
          {a.label}
        </button>
      ))}
      {explainPoint !== null && (
        <button
          type="button"
          role="menuitem"
          onClick={() => {
            onClose();
            useStore.getState().setWhyMoved({ panelId: panel.id, point: explainPoint });
          }}
        >
          Why did this move?
        </button>
      )}
    </div>
  );
}

/** "All regions › EMEA › Germany": every crumb but the last goes back to that level. */
export function Breadcrumbs({ deps, panel, dataset }: { deps: ActionDeps; panel: ChartPanel; dataset: Dataset | undefined }) {
  const drill = useStore((s) => s.explore.drills[panel.id]);
  const crumbs = breadcrumbs(panel, dataset, drill);
  if (crumbs.length === 0) return null;
  const goTo = (depth: number) =>
    void explore(deps, (e) => {
      const drills = { ...e.drills };
      const steps = drills[panel.id]?.steps.slice(0, depth) ?? [];
      if (steps.length === 0) delete drills[panel.id];
      else drills[panel.id] = { steps, showRows: false };
      return { ...e, drills };
    });
  return (
    <nav className="breadcrumbs" aria-label={`Drill path of ${panel.title}`}>
      {crumbs.map((c, i) => (
        <span key={i}>
          {i > 0 && <span className="crumb-sep">›</span>}
          {i < crumbs.length - 1 ? (
            <button type="button" className="crumb" onClick={() => goTo(i)}>
              {c}
            </button>
          ) : (
            <span className="crumb current" aria-current="location">
              {c}
            </span>
          )}
        </span>
      ))}
    </nav>
  );
}
