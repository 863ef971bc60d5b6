// A JSON source's files parsed in a worker of their own (json-worker.ts), one per load: the page's
// thread only hands the bytes over (transferred, not copied) and takes the Arrow stream back.
import type { ParsedShare } from '../../queries/json-source';
import type { JsonRead } from '../../queries/text-sources';
import type { JsonAnswer, JsonJob } from './json-worker';

/** The Arrow IPC stream of these JSON files (`onParsed` hears the parse's progress); rejects with the parser's own message, or as aborted when the load is cancelled. */
export function jsonToArrowOffThread(files: JsonRead[], location: string, signal?: AbortSignal, onParsed?: ParsedShare): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new DOMException('The load was cancelled.', 'AbortError'));
    const worker = new Worker(new URL('./json-worker.ts', import.meta.url), { type: 'module', name: 'northstar-json' });
    const stop = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(signal?.reason ?? new DOMException('The load was cancelled.', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<JsonAnswer>) => {
      const answer = event.data;
      if ('parsed' in answer) return onParsed?.(answer.parsed, answer.rows);
      stop();
      if ('ipc' in answer) resolve(answer.ipc);
      else reject(new Error(answer.error));
    };
    worker.onerror = (event) => {
      stop();
      reject(new Error(`${location} could not be read: the JSON worker failed (${event.message || 'no message'})`));
    };
    const job: JsonJob = { files, location };
    // The bytes go to the worker, not a copy of them: the page does not need them again.
    worker.postMessage(job, [...new Set(files.map((f) => f.bytes.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
  });
}
