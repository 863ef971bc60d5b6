// Autosave of the working copy, and its recovery: while the dashboard has unsaved edits, the text
// goes to the host (which writes it, debounced and atomically, to <home>/autosave/); once the edits
// are saved (or undone) it is dropped. When a dashboard opens with an autosave that differs from the
// file, a banner offers it back: "Recover unsaved changes from 14:03?" Restore / Discard.
import { useEffect, useRef, useState } from 'react';
import { loadDashboard, serializeDashboard } from '../../../dashboards/document';
import { runDashboard, type ActionDeps } from '../actions/dashboard-actions';
import { selectDirty, useStore } from '../store';

/** Renderer-side quiet time before an edit is sent (the host debounces its disk writes again). */
const SEND_DELAY_MS = 400;

interface Offer {
  path: string;
  text: string;
  savedAt: string;
}

/** "14:03" today, "2026-11-25 14:03" on another day (local time: it is the user's own clock). */
function whenSaved(iso: string): string {
  const at = new Date(iso);
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  const day = `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`;
  return at.toDateString() === new Date().toDateString() ? hhmm : `${day} ${hhmm}`;
}

/** Keeps the autosave in step with the working copy, and offers a found one back on open. */
export function AutosaveRecovery({ deps }: { deps: ActionDeps }) {
  const path = useStore((s) => s.path);
  const [offer, setOffer] = useState<Offer | null>(null);
  // Paths whose autosave on disk this session took over (restored): ours to drop once saved, even
  // when the save comes before this session's first autosave write.
  const owned = useRef(new Set<string>());

  useEffect(() => {
    setOffer(null);
    if (!path) return;
    let stale = false;
    deps.host
      .readAutosave({ dashboardPath: path })
      .then((found) => {
        if (stale || !found) return;
        const loaded = loadDashboard(found.text);
        const current = deps.store.getState().saved;
        // Nothing to recover: unreadable, or the same as the file (saved elsewhere since).
        if (!loaded.ok || (current && serializeDashboard({ ...loaded.dashboard, revision: current.revision }) === serializeDashboard(current))) {
          void deps.host.discardAutosave({ dashboardPath: path }).catch(() => {});
          return;
        }
        setOffer({ path, text: found.text, savedAt: found.savedAt });
      })
      .catch(() => {});
    return () => {
      stale = true;
    };
  }, [path, deps]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The path an autosave was sent for in this session: only such an autosave is ours to drop.
    let sentFor: string | null = null;
    const sync = () => {
      const s = deps.store.getState();
      clearTimeout(timer);
      if (!s.path || !s.dashboard || s.viewing) return;
      const dashboardPath = s.path;
      if (selectDirty(s)) {
        const text = serializeDashboard(s.dashboard);
        const baseDiskHash = s.diskHash;
        timer = setTimeout(() => {
          sentFor = dashboardPath;
          void deps.host.writeAutosave({ dashboardPath, text, baseDiskHash }).catch(() => {});
        }, SEND_DELAY_MS);
      } else if (sentFor === dashboardPath || owned.current.has(dashboardPath)) {
        sentFor = null;
        owned.current.delete(dashboardPath);
        void deps.host.discardAutosave({ dashboardPath }).catch(() => {});
      }
    };
    const unsubscribe = useStore.subscribe((s, prev) => {
      if (s.dashboard !== prev.dashboard || s.saved !== prev.saved || s.path !== prev.path) sync();
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [deps]);

  if (!offer || offer.path !== path) return null;
  const restore = () => {
    const loaded = loadDashboard(offer.text);
    setOffer(null);
    if (!loaded.ok) return;
    owned.current.add(offer.path);
    // An edit of the working copy like any other: undoable, and unsaved until the user saves.
    deps.store.getState().edit(() => loaded.dashboard);
    void runDashboard(deps);
  };
  const discard = () => {
    setOffer(null);
    void deps.host.discardAutosave({ dashboardPath: offer.path }).catch(() => {});
  };
  return (
    <div className="banner info" role="status" data-testid="autosave-recovery">
      <span>Recover unsaved changes from {whenSaved(offer.savedAt)}?</span>
      <span className="autosave-actions">
        <button type="button" onClick={restore}>
          Restore
        </button>
        <button type="button" className="ghost" onClick={discard}>
          Discard
        </button>
      </span>
    </div>
  );
}
