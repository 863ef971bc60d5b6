// The renderer's only door to the host: the typed HostApi, over Electron IPC when the preload
// provides it, otherwise over HTTP to the browser host with its per-launch token.
import {
  BROWSER_HOST_TOKEN_HEADER,
  createHostClient,
  HOST_API_GLOBAL,
  HostError,
  hostMethods,
  type HostApi,
  type HostMethod,
  type HostReply,
} from '../../electron/api/host-api';

type Bridge = Record<HostMethod, (...args: unknown[]) => Promise<HostReply>>;

const TOKEN_KEY = 'northstar.token';

/** Connect to whichever host runs this renderer. */
export function connectHost(): HostApi {
  const bridge = (window as unknown as Record<string, unknown>)[HOST_API_GLOBAL] as Bridge | undefined;
  if (bridge && hostMethods.every((m) => typeof bridge[m] === 'function')) {
    return createHostClient((method, args) => bridge[method](...args));
  }
  const token = takeToken();
  return createHostClient(async (method, args) => {
    if (!token) {
      return { ok: false, error: new HostError('accessDenied', 'No session token: open the URL that npm run serve printed.').toJSON() };
    }
    let response: Response;
    try {
      response = await fetch(`./api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [BROWSER_HOST_TOKEN_HEADER]: token },
        body: JSON.stringify({ args }),
      });
    } catch {
      return { ok: false, error: new HostError('network', 'The Northstar host is not running: start it again with npm run serve.').toJSON() };
    }
    try {
      return (await response.json()) as HostReply;
    } catch {
      return { ok: false, error: new HostError('internal', `The host answered ${response.status} without a reply.`).toJSON() };
    }
  });
}

// The token arrives in the URL fragment (never sent to a server or logged), is kept for this tab
// only, and is removed from the address bar.
function takeToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    // Keep the rest of the fragment (a shared view, say).
    const rest = window.location.hash.slice(1).split('&').filter((p) => !p.startsWith('token=')).join('&');
    history.replaceState(null, '', window.location.pathname + window.location.search + (rest ? `#${rest}` : ''));
    return match[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A link that opens this app on a given fragment: in the browser host it carries the session token. */
export function linkWithFragment(fragment: string): string | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token || !window.location.protocol.startsWith('http')) return null;
  return `${window.location.origin}${window.location.pathname}#token=${token}&${fragment}`;
}
