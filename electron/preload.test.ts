import { describe, expect, it, vi } from 'vitest';
import { createHostClient, HOST_API_GLOBAL, HOST_EVENT_CHANNEL, HOST_EVENTS_GLOBAL, HOST_FILES_GLOBAL, HostError, hostMethods, type HostEvent, type HostMethod, type HostReply } from './api/host-api';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (channel: string, args: unknown[]): Promise<HostReply> => {
  if (channel === 'northstar:openDashboard') return { ok: false, error: { name: 'HostError', code: 'notFound', message: `no file ${JSON.stringify(args)}` } };
  return { ok: true, value: { channel, args } };
});

type IpcListener = (event: unknown, payload: unknown) => void;
const ipcListeners = new Map<string, Set<IpcListener>>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: (channel: string, args: unknown[]) => invoke(channel, args),
    on: (channel: string, fn: IpcListener) => void ipcListeners.set(channel, new Set([...(ipcListeners.get(channel) ?? []), fn])),
    removeListener: (channel: string, fn: IpcListener) => void ipcListeners.get(channel)?.delete(fn),
  },
}));

function fromMain(payload: unknown) {
  for (const fn of ipcListeners.get(HOST_EVENT_CHANNEL) ?? []) fn({}, payload);
}

describe('preload', () => {
  it('exposes exactly one function per host method, and a host event subscription, nothing else', async () => {
    await import('./preload');
    const api = exposed[HOST_API_GLOBAL] as Record<string, unknown>;
    expect(Object.keys(exposed)).toEqual([HOST_API_GLOBAL, HOST_EVENTS_GLOBAL, HOST_FILES_GLOBAL]);
    expect(Object.keys(exposed[HOST_FILES_GLOBAL] as object)).toEqual(['pathForFile']);
    const events = exposed[HOST_EVENTS_GLOBAL] as Record<string, unknown>;
    expect(Object.keys(events)).toEqual(['subscribe']);
    expect(Object.isFrozen(events)).toBe(true);
    expect(Object.keys(api).sort()).toEqual([...hostMethods].sort());
    expect(Object.isFrozen(api)).toBe(true);
    for (const m of hostMethods) expect(typeof api[m]).toBe('function');
  });

  it('sends each call on its own channel, and errors come back typed through the client', async () => {
    await import('./preload');
    const bridge = exposed[HOST_API_GLOBAL] as Record<HostMethod, (...a: unknown[]) => Promise<HostReply>>;
    const client = createHostClient((method, args) => bridge[method](...args));
    await expect(client.getAppInfo()).resolves.toEqual({ channel: 'northstar:getAppInfo', args: [] });
    const err = await client.openDashboard({ path: '/x.json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).code).toBe('notFound');
    expect(invoke).toHaveBeenCalledWith('northstar:openDashboard', [{ path: '/x.json' }]);
  });

  it('passes valid host events to a subscriber until it unsubscribes, and drops anything else', async () => {
    await import('./preload');
    const { subscribe } = exposed[HOST_EVENTS_GLOBAL] as { subscribe(fn: (e: HostEvent) => void): () => void };
    const got: HostEvent[] = [];
    const unsubscribe = subscribe((e) => got.push(e));
    fromMain({ kind: 'command', id: 'file.save' });
    fromMain({ kind: 'openFile', path: '/home/ana/Q3 résumé.dashboard.json' });
    fromMain({ kind: 'command', id: 'shell.exec' });
    fromMain({ kind: 'openFile', path: '' });
    fromMain({ kind: 'openFile', path: '/x.dashboard.json', extra: 1 });
    fromMain('file.save');
    expect(got).toEqual([
      { kind: 'command', id: 'file.save' },
      { kind: 'openFile', path: '/home/ana/Q3 résumé.dashboard.json' },
    ]);
    unsubscribe();
    fromMain({ kind: 'command', id: 'file.save' });
    expect(got).toHaveLength(2);
    expect(() => subscribe('not a function' as never)).toThrow(TypeError);
  });
});
