// The bench's S3: the test fixture (s3rver behind a SigV4-verifying front, e2e/fixtures/s3-fixture.ts)
// and, with a latency, the round-trip proxy (latency-proxy.ts), run in a child process of their own
// at the lowest CPU priority. They stand in for a remote service, whose CPU is not the laptop's.
//
// In the bench's own process they took a share of this 2-core machine's CPU the real S3 never
// takes: measured in a cold open at 5M rows, the bench process used ~880 ms of CPU in the open's
// 1.8 s, about half of it the fixture (its file reads, SigV4 checks and socket writes). And Linux
// shares a busy CPU between sessions first (the scheduler's autogroups; Playwright starts the
// browser in a session of its own), so the fixture's work came out of the browser's half. In a
// separate session at nice 19, the fixture runs on CPU nothing else wants; its answers come as
// fast as the cores allow, like a remote server behind a fast link.
//
// The gateway (the app's own code) stays in the bench's process, at normal priority.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { S3FixtureRequest } from '../e2e/fixtures/s3-fixture';

export interface RemoteS3 {
  /** What the app connects to: the proxy when there is a latency, else the fixture. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Whether the child's CPU priority could be lowered (it runs at normal priority if not). */
  lowPriority: boolean;
  createBucket(name: string): Promise<void>;
  putFile(bucket: string, key: string, filePath: string): Promise<void>;
  /** The requests the fixture answered since the last `clearRequests()`. */
  requests(): Promise<S3FixtureRequest[]>;
  clearRequests(): Promise<void>;
  stop(): Promise<void>;
}

/** What the parent asks the child (remote-s3-server.ts), one message per call. */
export type RemoteS3Call =
  | { id: number; op: 'createBucket'; name: string }
  | { id: number; op: 'putFile'; bucket: string; key: string; filePath: string }
  | { id: number; op: 'requests' }
  | { id: number; op: 'clearRequests' }
  | { id: number; op: 'stop' };

/** Each call's own shape, without the id the channel adds. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export type RemoteS3Reply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

export interface RemoteS3Ready {
  ready: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; lowPriority: boolean };
}

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'remote-s3-server.ts');

/** Start the child; `latencyMs` > 0 puts the round-trip proxy in front of the fixture. */
export async function startRemoteS3(opts: { latencyMs?: number } = {}): Promise<RemoteS3> {
  // fork() runs the child with this process's loader flags (tsx), and `detached` gives it a session
  // (so an autogroup) of its own.
  const child: ChildProcess = fork(SERVER, [String(opts.latencyMs ?? 0)], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited: Error | null = null;
  child.on('exit', (code, signal) => {
    exited = new Error(`the bench's S3 process ended (${signal ?? `exit code ${code}`})`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  const ready = await new Promise<RemoteS3Ready['ready']>((resolve, reject) => {
    child.once('message', (m) => resolve((m as RemoteS3Ready).ready));
    child.once('exit', () => reject(exited ?? new Error("the bench's S3 process ended before it was ready")));
  });
  child.on('message', (m) => {
    const reply = m as RemoteS3Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.error));
  });
  let nextId = 1;
  const call = (msg: WithoutId<RemoteS3Call>): Promise<unknown> => {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ ...msg, id });
    });
  };
  return {
    ...ready,
    createBucket: async (name) => void (await call({ op: 'createBucket', name })),
    putFile: async (bucket, key, filePath) => void (await call({ op: 'putFile', bucket, key, filePath })),
    requests: async () => (await call({ op: 'requests' })) as S3FixtureRequest[],
    clearRequests: async () => void (await call({ op: 'clearRequests' })),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ op: 'stop' }).catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
