// The browser host's per-launch token. It arrives in the URL fragment (never sent to a server or
// logged), is kept for this tab only, and is removed from the address bar.
//
// Taken once, early (main.tsx, in a task of its own): the page's first sessionStorage access
// opens the tab's storage, ~12–15 ms measured, which otherwise lands in the UI bundle's evaluation.
const TOKEN_KEY = 'northstar.token';

let taken: { token: string | null } | null = null;

/** The session token, or null where the page was not opened with one (Electron, or a bare URL). */
export function sessionToken(): string | null {
  taken ??= { token: take() };
  return taken.token;
}

function take(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    try {
      sessionStorage.setItem(TOKEN_KEY, match[1]);
    } catch {
      // No storage (refused): the token still works until the page goes.
    }
    // Keep the rest of the fragment (a shared view, say).
    const rest = window.location.hash.slice(1).split('&').filter((p) => !p.startsWith('token=')).join('&');
    history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
    return match[1];
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
