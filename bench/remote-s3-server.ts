// The child process of remote-s3.ts: the S3 fixture (and the latency proxy) at the lowest CPU
// priority, answering the parent's calls over the IPC channel. Not run on its own.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { startS3Fixture } from '../e2e/fixtures/s3-fixture';
import { startLatencyProxy } from './latency-proxy';
import type { RemoteS3Call, RemoteS3Ready, RemoteS3Reply } from './remote-s3';

/** Lower this process's CPU priority before its servers start (threads made later inherit it). */
function lowerPriority(): boolean {
  let lowered = false;
  try {
    os.setPriority(19);
    lowered = true;
  } catch {
    // Not allowed here: the fixture runs at normal priority (the parent reports it).
  }
  try {
    // Linux shares the CPU between sessions (autogroups) before threads: this session's share.
    writeFileSync('/proc/self/autogroup', '19');
  } catch {
    // No autogroups (another OS, or a kernel without them).
  }
  return lowered;
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('remote-s3-server.ts is started by bench/remote-s3.ts');
  const send = (m: RemoteS3Ready | RemoteS3Reply) => process.send?.(m);
  const lowPriority = lowerPriority();
  const latencyMs = Number(process.argv[2] ?? 0);
  const s3 = await startS3Fixture();
  const proxy = latencyMs > 0 ? await startLatencyProxy(s3.endpoint, latencyMs) : null;
  const stop = async () => {
    await proxy?.close().catch(() => {});
    await s3.stop().catch(() => {});
  };
  process.on('disconnect', () => void stop().then(() => process.exit(0)));
  process.on('message', (m) => {
    const msg = m as RemoteS3Call;
    const answer = async (): Promise<unknown> => {
      switch (msg.op) {
        case 'createBucket':
          return s3.createBucket(msg.name);
        case 'putFile':
          return s3.putFile(msg.bucket, msg.key, msg.filePath);
        case 'requests':
          return s3.requests;
        case 'clearRequests':
          s3.requests.length = 0;
          return undefined;
        case 'stop':
          await stop();
          setImmediate(() => process.exit(0));
          return undefined;
      }
    };
    answer().then(
      (value) => send({ id: msg.id, ok: true, ...(value === undefined ? {} : { value }) }),
      (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ ready: { endpoint: proxy?.endpoint ?? s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, lowPriority } });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench S3: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
