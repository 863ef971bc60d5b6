// The preload: exposes exactly the typed host API, one function per method, on
// `window.northstarHost`. Never ipcRenderer itself, never a generic send/invoke.
// Each function resolves to the plain `HostReply` envelope; the renderer turns it back into
// values and typed `HostError`s with `createHostClient`. (Thrown Errors would lose their `code`
// crossing contextBridge, electron/electron#25596.)
// Sandboxed preloads can only require a few electron modules, so the build bundles this file
// into one self-contained CJS file.
import { contextBridge, ipcRenderer } from 'electron';
import { HOST_API_GLOBAL, hostMethods, IPC_PREFIX, type HostReply } from './api/host-api';

const api: Record<string, (...args: unknown[]) => Promise<HostReply>> = {};
for (const method of hostMethods) {
  api[method] = (...args: unknown[]) => ipcRenderer.invoke(`${IPC_PREFIX}${method}`, args) as Promise<HostReply>;
}

contextBridge.exposeInMainWorld(HOST_API_GLOBAL, Object.freeze(api));
