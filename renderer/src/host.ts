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
import { sessionToken } from './session-token';

type Bridge = Record<HostMethod, (...args: unknown[]) => Promise<HostReply>>;

/** Connect to whichever host runs this renderer. */
export function connectHost(): HostApi {
  const bridge = (window as unknown as Record<string, unknown>)[HOST_API_GLOBAL] as Bridge | undefined;
  if (bridge && hostMethods.every((m) => typeof bridge[m] === 'function')) {
    return createHostClient((method, args) => bridge[method](...args));
  }
  const token = sessionToken();
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

/** A link that opens this app on a given fragment: in the browser host it carries the session token. */
export function linkWithFragment(fragment: string): string | null {
  const token = sessionToken();
  if (!token || !window.location.protocol.startsWith('http')) return null;
  return `${window.location.origin}${window.location.pathname}#token=${token}&${fragment}`;
}
