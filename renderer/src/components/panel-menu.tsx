// The "⋯" menu in a panel's header: downloads of the panel as PNG, SVG or CSV. A WAI-ARIA menu
// button: Enter, Space or ↓ open it on the first entry, ↑ on the last; arrows, Home and End move;
// Esc or Tab close it and focus returns to the button.
import { useEffect, useId, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react';
import type * as echarts from 'echarts/core';
import type { Dataset, Panel } from '../../../dashboards/schema';
import { isDataPanel } from '../../../queries/dashboard-runner';
import type { PanelRefinement } from '../../../queries/panel-queries';
import { getEngine } from '../engine';
import { downloadBlob } from '../export/download';
import { buildExport, exportActions, unavailableReason, type ExportAction, type PanelExportSource } from '../export/panel-export';
import { canExplain } from '../actions/explain-actions';
import { useStore, type PanelState } from '../store';
import { createPortal } from 'react-dom';
import { PinCheckDialog, type PinKind } from './pin-check-dialog';

export interface PanelMenuProps {
  panel: Panel;
  dataset: Dataset | undefined;
  /** The panel's run state (its result). */
  state: PanelState | undefined;
  /** The chart on screen, for PNG (and the size of the SVG); charts only. */
  getChart?: () => echarts.ECharts | null;
  /**
   * The filters and drill the panel ran with, so "all rows" are the rows the panel would show.
   * Required (undefined only when there are none) so a caller cannot forget it and export unfiltered rows.
   */
  refine: PanelRefinement | undefined;
}

// The popup is `position: fixed` so the panel's `overflow: hidden` cannot clip it; these few rules
// are inline so the menu works before styles.css knows about it.
const POPUP_STYLE: CSSProperties = {
  position: 'fixed',
  zIndex: 20,
  minWidth: 200,
  margin: 0,
  padding: 4,
  listStyle: 'none',
  background: '#fff',
  border: '1px solid #e3e6ec',
  borderRadius: 6,
  boxShadow: '0 6px 24px rgba(0, 0, 0, 0.16)',
  display: 'flex',
  flexDirection: 'column',
};
const ITEM_STYLE: CSSProperties = { textAlign: 'left', border: 'none', borderRadius: 4, width: '100%', whiteSpace: 'nowrap' };

/** The panel menu; renders nothing for panels that have no data to export (text, anomaly). */
export function PanelMenu({ panel, dataset, state, getChart, refine }: PanelMenuProps) {
  const datasetState = useStore((s) => (dataset ? s.datasets[dataset.name] : undefined));
  const setNotice = useStore((s) => s.setNotice);
  const [open, setOpen] = useState<{ top: number; anchorTop: number; right: number; focus: 'first' | 'last' } | null>(null);
  const [busy, setBusy] = useState(false);
  const [pinning, setPinning] = useState<PinKind | null>(null);
  const viewingRevision = useStore((s) => s.viewing !== null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();

  const close = (refocus: boolean) => {
    setOpen(null);
    if (refocus) button.current?.focus();
  };

  // A menu that would run off the bottom of the window opens above its button instead.
  useLayoutEffect(() => {
    if (!open || open.top !== open.anchorTop || !menu.current || !button.current) return;
    const height = menu.current.getBoundingClientRect().height;
    if (open.top + height <= window.innerHeight - 4) return;
    const above = button.current.getBoundingClientRect().top - 4 - height;
    if (above >= 4) setOpen({ ...open, top: above });
  }, [open]);

  // Focus an entry when the menu opens; close it on a click elsewhere, on scroll or resize (it is
  // positioned once, from the button).
  useEffect(() => {
    if (!open) return;
    const items = menuItems(menu.current);
    (open.focus === 'first' ? items[0] : items[items.length - 1])?.focus({ preventScroll: true });
    const onPointerDown = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(null);
    };
    // Close only when the button really moved: a scroll event still queued from before the menu
    // opened (the page scrolled the button into view, then it was clicked) must not close it.
    const onMove = (e: Event) => {
      if (e.target instanceof Node && menu.current?.contains(e.target)) return;
      const r = button.current?.getBoundingClientRect();
      if (!r || Math.abs(r.bottom + 4 - open.anchorTop) > 1 || Math.abs(window.innerWidth - r.right - open.right) > 1) setOpen(null);
    };
    document.addEventListener('pointerdown', onPointerDown, true);
    window.addEventListener('scroll', onMove, true);
    window.addEventListener('resize', onMove);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown, true);
      window.removeEventListener('scroll', onMove, true);
      window.removeEventListener('resize', onMove);
    };
  }, [open]);

  if (!isDataPanel(panel) || !dataset) return null;
  const source = (): PanelExportSource => ({ panel, dataset, state, datasetState, chart: getChart?.() ?? null, refine });

  const show = (focus: 'first' | 'last') => {
    const r = button.current?.getBoundingClientRect();
    if (!r) return;
    setOpen({ top: r.bottom + 4, anchorTop: r.bottom + 4, right: Math.max(4, window.innerWidth - r.right), focus });
  };

  const run = async (action: ExportAction) => {
    close(true);
    setBusy(true);
    try {
      const file = await buildExport(action.format, source(), getEngine);
      downloadBlob(file.blob, file.fileName);
    } catch (err) {
      setNotice({ tone: 'error', text: `Could not export "${panel.title}": ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      setBusy(false);
    }
  };

  const onButtonKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (busy) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      show(e.key === 'ArrowDown' ? 'first' : 'last');
    }
  };

  const onMenuKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = menuItems(menu.current);
    const at = items.indexOf(document.activeElement as HTMLElement);
    const go = (i: number) => items[(i + items.length) % items.length]?.focus();
    switch (e.key) {
      case 'ArrowDown':
        go(at + 1);
        break;
      case 'ArrowUp':
        go(at - 1);
        break;
      case 'Home':
        go(0);
        break;
      case 'End':
        go(items.length - 1);
        break;
      case 'Escape':
        // The dashboard's own Esc handling (dialogs, editing) must not see this one.
        e.stopPropagation();
        close(true);
        break;
      case 'Tab':
        close(false);
        return;
      default:
        return;
    }
    e.preventDefault();
  };

  const current = open ? source() : null;
  return (
    <span className="panel-menu">
      <button
        ref={button}
        type="button"
        className="ghost panel-menu-button"
        aria-label={`Panel menu for ${panel.title}`}
        aria-haspopup="menu"
        aria-expanded={open !== null}
        aria-controls={open ? menuId : undefined}
        aria-busy={busy}
        // Not `disabled` while busy: that would drop the keyboard focus the menu just gave back.
        onClick={() => (busy ? undefined : open ? close(false) : show('first'))}
        onKeyDown={onButtonKey}
      >
        {busy ? '…' : '⋯'}
      </button>
      {open && current && (
        <div
          ref={menu}
          id={menuId}
          role="menu"
          aria-label={`Export ${panel.title}`}
          className="panel-menu-list"
          style={{ ...POPUP_STYLE, top: open.top, right: open.right }}
          onKeyDown={onMenuKey}
        >
          {exportActions(panel).map((action) => {
            const why = unavailableReason(action.format, current);
            return (
              <button
                key={action.format}
                type="button"
                role="menuitem"
                tabIndex={-1}
                className="ghost panel-menu-item"
                style={why ? { ...ITEM_STYLE, opacity: 0.5, cursor: 'default' } : ITEM_STYLE}
                aria-disabled={why !== null}
                title={why ?? undefined}
                onClick={() => why === null && void run(action)}
              >
                {action.label}
              </button>
            );
          })}
          {canExplain(panel) && (
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              className="ghost panel-menu-item"
              style={ITEM_STYLE}
              onClick={() => {
                close(false);
                useStore.getState().setWhyMoved({ panelId: panel.id, point: null });
              }}
            >
              Why did this move?
            </button>
          )}
          {(panel.kind === 'kpi' || panel.kind === 'chart') &&
            !viewingRevision &&
            (
              [
                ['jump', 'Watch this measure for jumps'],
                ['spelling', 'Watch a column for misspellings…'],
              ] as const
            ).map(([kind, label]) => (
              <button
                key={kind}
                type="button"
                role="menuitem"
                tabIndex={-1}
                className="ghost panel-menu-item"
                style={ITEM_STYLE}
                onClick={() => {
                  close(false);
                  setPinning(kind);
                }}
              >
                {label}
              </button>
            ))}
        </div>
      )}
      {pinning && (panel.kind === 'kpi' || panel.kind === 'chart') &&
        // On <body>: a dialog inside the panel would be clipped by it.
        createPortal(<PinCheckDialog kind={pinning} panel={panel} dataset={dataset} onClose={() => setPinning(null)} />, document.body)}
    </span>
  );
}

function menuItems(menu: HTMLElement | null): HTMLElement[] {
  return menu ? Array.from(menu.querySelectorAll<HTMLElement>('[role="menuitem"]')) : [];
}
