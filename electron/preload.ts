// The preload: exposes exactly the typed host API, one function per method, on
// `window.northstarHost`, and a subscription to host events on `window.northstarHostEvents`.
// Never ipcRenderer itself, never a generic send/invoke/on.
// Each function resolves to the plain `HostReply` envelope; the renderer turns it back into
// values and typed `HostError`s with `createHostClient`. (Thrown Errors would lose their `code`
// crossing contextBridge, electron/electron#25596.)
// Sandboxed preloads can only require a few electron modules, so the build bundles this file
// into one self-contained CJS file.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { HOST_API_GLOBAL, HOST_EVENT_CHANNEL, HOST_EVENTS_GLOBAL, HOST_FILES_GLOBAL, HostEvent, hostMethods, IPC_PREFIX, type HostReply } from './api/host-api';

const api: Record<string, (...args: unknown[]) => Promise<HostReply>> = {};
for (const method of hostMethods) {
  api[method] = (...args: unknown[]) => ipcRenderer.invoke(`${IPC_PREFIX}${method}`, args) as Promise<HostReply>;
}

contextBridge.exposeInMainWorld(HOST_API_GLOBAL, Object.freeze(api));

// Events sent before the page has subscribed (main sends a first launch's link view right after the
// page loads, possibly before React has mounted) are held for the first subscriber instead of lost.
const MAX_HELD_EVENTS = 20;
let held: HostEvent[] | null = [];
ipcRenderer.on(HOST_EVENT_CHANNEL, (_ipcEvent: IpcRendererEvent, payload: unknown) => {
  const parsed = HostEvent.safeParse(payload);
  if (held && parsed.success && held.length < MAX_HELD_EVENTS) held.push(parsed.data);
});

const events = {
  /** Call `listener` with every valid host event (menu commands, files to open); returns an unsubscribe function. The first subscriber also gets the events that arrived before it. */
  subscribe(listener: (event: HostEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function');
    const onEvent = (_ipcEvent: IpcRendererEvent, payload: unknown) => {
      // Only the main process can send to a renderer; even so the page gets only what the contract allows.
      const parsed = HostEvent.safeParse(payload);
      if (parsed.success) listener(parsed.data);
    };
    ipcRenderer.on(HOST_EVENT_CHANNEL, onEvent);
    const early = held ?? [];
    held = null;
    for (const event of early) listener(event);
    return () => void ipcRenderer.removeListener(HOST_EVENT_CHANNEL, onEvent);
  },
};

contextBridge.exposeInMainWorld(HOST_EVENTS_GLOBAL, Object.freeze(events));

// A file dropped on the page: its local path, so it is read where it is (no copy). Only a File
// object the page holds can be asked about; the page learns nothing it was not given.
contextBridge.exposeInMainWorld(
  HOST_FILES_GLOBAL,
  Object.freeze({
    pathForFile(file: File): string {
      return webUtils.getPathForFile(file);
    },
  }),
);
