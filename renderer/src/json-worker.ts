// A worker that turns a JSON source's files into an Arrow IPC stream (text-sources.ts
// `jsonToArrow`), so that parsing hundreds of megabytes never freezes the page: 224 MB of 1M
// orders took 25 s on the page's thread, during which nothing drew and Cancel could not be clicked.
import { jsonToArrow, type JsonRead } from '../../queries/text-sources';

export interface JsonJob {
  files: JsonRead[];
  location: string;
}

export type JsonAnswer = { ipc: Uint8Array } | { error: string };

self.onmessage = async (event: MessageEvent<JsonJob>) => {
  const { files, location } = event.data;
  let answer: JsonAnswer;
  try {
    answer = { ipc: await jsonToArrow(files, location) };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  (self as unknown as Worker).postMessage(answer, 'ipc' in answer ? [answer.ipc.buffer] : []);
};
