// Views: save the current exploration under a name in the dashboard file, switch between saved
// views, and copy a link that opens this exploration.
import { useEffect, useRef, useState } from 'react';
import { showView, type ActionDeps } from '../actions/dashboard-actions';
import { linkWithFragment } from '../host';
import { useStore } from '../store';
import { captureView, desktopViewLink, encodeViewParam, freshViewId } from '../views';

export function ViewsMenu({ deps }: { deps: ActionDeps }) {
  const dashboard = useStore((s) => s.dashboard);
  const explore = useStore((s) => s.explore);
  const dashboardPath = useStore((s) => s.path);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [link, setLink] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('mousedown', onDown);
    return () => window.removeEventListener('mousedown', onDown);
  }, [open]);
  if (!dashboard) return null;

  const save = () => {
    const clean = name.trim();
    if (!clean) return;
    deps.store.getState().edit((d) => {
      const existing = d.views.find((v) => v.name === clean);
      const view = captureView(existing?.id ?? freshViewId(d, clean), clean, d, explore);
      return { ...d, views: existing ? d.views.map((v) => (v.id === existing.id ? view : v)) : [...d.views, view] };
    });
    setName('');
  };
  const copyLink = async () => {
    const view = captureView('shared', name.trim() || 'Shared view', dashboard, explore);
    const param = encodeViewParam(view);
    let desktop = false;
    try {
      desktop = (await deps.host.getAppInfo()).host === 'electron';
    } catch {
      // Unknown host: fall back to the browser link, which says when it cannot be made.
    }
    let url: string | null;
    if (desktop) {
      // The desktop link names the file itself: it opens on this computer (or one with the same path).
      url = dashboardPath ? desktopViewLink(dashboardPath, param) : null;
      if (!url) {
        setLink(dashboardPath ? 'This view is too large for a link; save it by name instead.' : 'Save the dashboard to a file first: the link opens that file.');
        return;
      }
    } else {
      url = linkWithFragment(param);
      if (!url) {
        setLink('This page has no link of its own; save the view by name instead.');
        return;
      }
    }
    setLink(url);
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // The link stays visible to copy by hand.
    }
  };

  return (
    <div className="add-filter" ref={box}>
      <button type="button" aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen(!open)}>
        Views{dashboard.views.length > 0 ? ` (${dashboard.views.length})` : ''} ▾
      </button>
      {open && (
        <div className="popover views" role="dialog" aria-label="Views" onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          {dashboard.views.length === 0 && <div className="muted small">No saved views yet.</div>}
          <ul className="view-list">
            {dashboard.views.map((v) => (
              <li key={v.id}>
                <button
                  type="button"
                  className="view-apply"
                  onClick={() => {
                    setOpen(false);
                    void showView(deps, v);
                  }}
                >
                  {v.name}
                </button>
                <button type="button" className="ghost" aria-label={`Delete view ${v.name}`} onClick={() => deps.store.getState().edit((d) => ({ ...d, views: d.views.filter((x) => x.id !== v.id) }))}>
                  ✕
                </button>
              </li>
            ))}
          </ul>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save();
            }}
          >
            <label>
              Save the current view as
              <input value={name} maxLength={200} placeholder="e.g. EMEA weekly" onChange={(e) => setName(e.target.value)} />
            </label>
            <div className="dialog-actions">
              <button type="submit" className="primary" disabled={!name.trim()}>
                Save view
              </button>
              <button type="button" onClick={() => void copyLink()}>
                Copy link
              </button>
            </div>
          </form>
          {link && <input className="link-box" aria-label="Link to this view" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />}
        </div>
      )}
    </div>
  );
}
