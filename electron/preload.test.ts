import { describe, expect, it, vi } from 'vitest';
import { createHostClient, HOST_API_GLOBAL, HostError, hostMethods, type HostMethod, type HostReply } from './api/host-api';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (channel: string, args: unknown[]): Promise<HostReply> => {
  if (channel === 'northstar:openDashboard') return { ok: false, error: { name: 'HostError', code: 'notFound', message: `no file ${JSON.stringify(args)}` } };
  return { ok: true, value: { channel, args } };
});

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: { invoke: (channel: string, args: unknown[]) => invoke(channel, args) },
}));

describe('preload', () => {
  it('exposes exactly one function per host method and nothing else', async () => {
    await import('./preload');
    const api = exposed[HOST_API_GLOBAL] as Record<string, unknown>;
    expect(Object.keys(exposed)).toEqual([HOST_API_GLOBAL]);
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
});
