// The dashboard grid: 12 columns. Viewing uses plain CSS grid; editing uses react-grid-layout to
// drag (by the handle) and resize panels, and every panel can also be moved and resized from the
// keyboard (arrows move, Shift+arrows resize) and edited, duplicated or deleted.
import { startTransition, useEffect, useMemo, useState } from 'react';
import ReactGridLayout, { useContainerWidth, verticalCompactor } from 'react-grid-layout';
import 'react-grid-layout/css/styles.css';
import type { DashboardFile } from '../../../dashboards/schema';
import { editFilters, renamePanel, type ActionDeps } from '../actions/dashboard-actions';
import { applyGridLayout, deletePanel, duplicatePanel, nudgeLayout } from '../actions/panel-actions';
import { effectivePanels } from '../explore';
import { useStore } from '../store';
import { PanelFrame } from './panels';

const ROW_HEIGHT = 56;
const GAP = 12;

export function DashboardGrid({ dashboard, editable, deps }: { dashboard: DashboardFile; editable: boolean; deps: ActionDeps }) {
  const exploreState = useStore((s) => s.explore);
  const editing = useStore((s) => s.editing) && editable;
  const drawn = useMemo(() => effectivePanels(dashboard, exploreState), [dashboard, exploreState]);
  const cells = dashboard.layout.flatMap((item) => {
    const index = dashboard.panels.findIndex((p) => p.id === item.panel);
    const source = dashboard.panels[index];
    const panel = drawn[index];
    if (!source || !panel) return [];
    const dataset = 'dataset' in source ? dashboard.datasets.find((d) => d.name === source.dataset) : undefined;
    const frame = (
      <PanelFrame panel={panel} source={source} dataset={dataset} deps={deps} onRename={editable ? (title) => renamePanel(deps, source.id, title) : undefined} />
    );
    return [{ item, frame, title: source.title }];
  });

  const revealed = useRevealed(cells.length);
  if (!editing) {
    // The top panels are drawn first and the others in a transition (useRevealed); a panel not
    // yet drawn holds its place as an empty frame.
    const order = cells.map((_, i) => i).sort((a, b) => {
      const ia = cells[a]?.item;
      const ib = cells[b]?.item;
      return ia && ib ? ia.y - ib.y || ia.x - ib.x : 0;
    });
    const rank = new Map(order.map((cell, r) => [cell, r]));
    return (
      <main className="grid" aria-label={dashboard.title}>
        {cells.map(({ item, frame, title }, i) => (
          <div key={item.panel} className="grid-cell" style={{ gridColumn: `${item.x + 1} / span ${item.w}`, gridRow: `${item.y + 1} / span ${item.h}` }}>
            {(rank.get(i) ?? 0) < revealed ? frame : <section className="panel panel-pending" aria-busy="true" aria-label={title} />}
          </div>
        ))}
      </main>
    );
  }
  return <EditableGrid dashboard={dashboard} deps={deps} cells={cells} />;
}

/** Panels a newly shown grid draws in its first render; the rest follow in a transition. */
const REVEAL_FIRST = 2;

/**
 * How many of a grid's `total` panels to draw. A dashboard's first render drew every panel in one
 * task (40–80 ms with its effects, measured at open). Now it draws the first REVEAL_FIRST, and the
 * rest in a transition, which React renders in slices of a few ms with the page answering in
 * between. Once all are drawn the count stays, so later edits draw at once.
 */
function useRevealed(total: number): number {
  const [revealed, setRevealed] = useState(REVEAL_FIRST);
  const all = revealed >= total;
  useEffect(() => {
    if (!all) startTransition(() => setRevealed(Number.POSITIVE_INFINITY));
  }, [all]);
  return revealed;
}

function EditableGrid({
  dashboard,
  deps,
  cells,
}: {
  dashboard: DashboardFile;
  deps: ActionDeps;
  cells: { item: DashboardFile['layout'][number]; frame: React.ReactNode; title: string }[];
}) {
  const { width, containerRef, mounted } = useContainerWidth();
  const setEditorPanel = useStore((s) => s.setEditorPanel);
  const layout = dashboard.layout.map((l) => ({ i: l.panel, x: l.x, y: l.y, w: l.w, h: l.h, minW: 1, minH: 1 }));
  // Moving and resizing change no data: edit without re-running queries.
  const commit = (items: readonly { i: string; x: number; y: number; w: number; h: number }[]) => deps.store.getState().edit((d) => applyGridLayout(d, items));
  return (
    <main className="grid-edit" aria-label={`${dashboard.title} (editing layout)`} ref={containerRef}>
      {mounted && (
        <ReactGridLayout
          width={width}
          layout={layout}
          gridConfig={{ cols: 12, rowHeight: ROW_HEIGHT, margin: [GAP, GAP], containerPadding: [20, 14] }}
          dragConfig={{ enabled: true, handle: '.drag-handle' }}
          resizeConfig={{ enabled: true, handles: ['se'] }}
          compactor={verticalCompactor}
          onDragStop={(l) => commit(l)}
          onResizeStop={(l) => commit(l)}
        >
          {cells.map(({ item, frame, title }) => (
            <div
              key={item.panel}
              className="grid-cell editing"
              tabIndex={0}
              aria-label={`${title}: arrows move, Shift+arrows resize, Enter edits, Delete removes`}
              onKeyDown={(e) => {
                if (e.target !== e.currentTarget) return;
                const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
                if (step) {
                  e.preventDefault();
                  const [a, b] = step as [number, number];
                  deps.store.getState().edit((d) => nudgeLayout(d, item.panel, e.shiftKey ? { dw: a, dh: b } : { dx: a, dy: b }));
                } else if (e.key === 'Enter') {
                  setEditorPanel(item.panel);
                } else if (e.key === 'Delete' || e.key === 'Backspace') {
                  e.preventDefault();
                  deps.store.getState().edit((d) => deletePanel(d, item.panel));
                }
              }}
            >
              <div className="edit-toolbar">
                <span className="drag-handle" title="Drag to move" aria-hidden="true">
                  ⠿ Move
                </span>
                <button type="button" onClick={() => setEditorPanel(item.panel)} aria-label={`Edit ${title}`}>
                  Edit
                </button>
                <button
                  type="button"
                  aria-label={`Duplicate ${title}`}
                  onClick={() =>
                    void editFilters(deps, (d) => {
                      const copy = duplicatePanel(d, item.panel);
                      return copy ? copy.dashboard : d;
                    })
                  }
                >
                  Duplicate
                </button>
                <button type="button" aria-label={`Delete ${title}`} onClick={() => deps.store.getState().edit((d) => deletePanel(d, item.panel))}>
                  Delete
                </button>
              </div>
              {frame}
            </div>
          ))}
        </ReactGridLayout>
      )}
    </main>
  );
}
