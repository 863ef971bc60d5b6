// Drill-down and cross-filtering from a chart: a click on a bar, slice or point offers what to do
// with that member (drill to the next level, show its rows, filter the other panels), and
// breadcrumbs lead back up.
import { useEffect, useRef } from 'react';
import type { ChartPanel, Dataset } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import { explore, type ActionDeps } from '../actions/dashboard-actions';
import { breadcrumbs, chartActions } from '../explore';
import { canExplain } from '../actions/explain-actions';
import { useStore } from '../store';

export interface ClickedPoint {
  dataIndex: number;
  x: number;
  y: number;
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
