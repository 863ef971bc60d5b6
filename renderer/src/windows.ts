// Several dashboards at once: every window (desktop) or browser tab (browser host) is its own
// renderer with its own store, engine, autosave and trust state; what it shows comes from its URL
// fragment (see LaunchFragment in host-api.ts). This module opens more of them and tells the host
// what this one shows.
import { useEffect } from 'react';
import { encodeLaunchFragment, HOST_API_GLOBAL, HostError, parseLaunchFragment, type HostApi, type LaunchFragment } from '../../electron/api/host-api';
import type { View } from '../../dashboards/schema';
import { linkWithFragment } from './host';
import { decodeViewParam } from './views';
import { selectDirty, useStore } from './store';
import type { ActionDeps } from './actions/dashboard-actions';

let launch: LaunchFragment | null = null;

/** What this page was opened to show, read once per page load (the fragment stays for a reload). */
export function pageLaunch(): LaunchFragment {
  launch ??= typeof window === 'undefined' ? {} : parseLaunchFragment(window.location.hash);
  return launch;
}

/** The launch's view, decoded; `damaged` when the fragment carried one that does not read. */
export function launchView(l: LaunchFragment): { view?: View; damaged: boolean } {
  if (l.view === undefined) return { damaged: false };
  const view = decodeViewParam(`#view=${l.view}`);
  return view ? { view, damaged: false } : { damaged: true };
}

/**
 * Open a dashboard (or, without `file`, an empty start window) in another window: the desktop app
 * makes a window (or focuses the one that has the file open); the browser host has no windows of
 * its own, so this page opens a tab of the same host, token included.
 */
export async function openInNewWindow(deps: Pick<ActionDeps, 'host' | 'store'>, target: { file?: string; view?: string }): Promise<void> {
  try {
    if (!deps.host.openWindow) throw new HostError('badRequest', 'openWindow is not available in this host.');
    const { opened } = await deps.host.openWindow({ ...(target.file ? { path: target.file } : {}), ...(target.view ? { view: target.view } : {}) });
    if (opened) return;
  } catch (err) {
    const e = HostError.from(err);
    if (e.code !== 'badRequest' || !/not available/.test(e.message)) {
      deps.store.getState().setNotice({ tone: 'error', text: `Could not open a new window: ${e.message}` });
      return;
    }
  }
  const link = linkWithFragment(encodeLaunchFragment(target.file ? target : { start: true }));
  if (!link) {
    deps.store.getState().setNotice({ tone: 'error', text: 'Could not open a new window: this page has no session link to copy (open the URL that npm run serve printed).' });
    return;
  }
  // The new tab gets the token through the fragment (never sent to the server); noopener keeps
  // the two pages from reaching into each other.
  window.open(link, '_blank', 'noopener');
}

/**
 * Keep the window's title on the dashboard it shows ("• " while it has unsaved edits), and tell a
 * desktop host which file this window has open and whether it has unsaved edits.
 */
export function useWindowDocument(host: HostApi): void {
  const title = useStore((s) => s.dashboard?.title ?? null);
  const path = useStore((s) => s.path);
  const dirty = useStore(selectDirty);
  useEffect(() => {
    document.title = title ? `${dirty ? '• ' : ''}${title} — Northstar` : 'Northstar';
  }, [title, dirty]);
  useEffect(() => {
    // Only a desktop window has a title bar and files to route (the browser host would answer badRequest).
    if (!host.setWindowDocument || !(HOST_API_GLOBAL in window)) return;
    host.setWindowDocument({ path, dirty }).catch(() => {
      // The browser host has no windows to route; nothing else can fail here that a user could act on.
    });
  }, [host, path, dirty]);
}
