// A worker that turns a JSON source's files into an Arrow IPC stream (text-sources.ts
// `jsonToArrow`), so that parsing hundreds of megabytes never freezes the page: 224 MB of 1M
// orders took 25 s on the page's thread, during which nothing drew and Cancel could not be clicked.
import { jsonToArrow, type JsonRead } from '../../queries/text-sources';

export interface JsonJob {
  files: JsonRead[];
  location: string;
}

/** The stream, or the parser's error; before either, any number of reports of the share parsed and the rows so far. */
export type JsonAnswer = { ipc: Uint8Array } | { error: string } | { parsed: number; rows: number };

self.onmessage = async (event: MessageEvent<JsonJob>) => {
  const { files, location } = event.data;
  const post = (message: JsonAnswer, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);
  let answer: JsonAnswer;
  try {
    answer = { ipc: await jsonToArrow(files, location, (parsed, rows) => post({ parsed, rows })) };
  } catch (err) {
    answer = { error: err instanceof Error ? err.message : String(err) };
  }
  post(answer, 'ipc' in answer ? [answer.ipc.buffer] : []);
};
