// S3 faults survived: the data gateway reading through the s3 fixture (s3rver behind a SigV4
// front) while the front injects server errors, resets, truncated bodies, slowness, expired
// credentials and an object deleted mid-session. Transient faults are retried and the bytes come
// out exact; lasting ones end in a clear, specific error.
import http from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startS3Fixture, type S3Fixture } from '../../e2e/fixtures/s3-fixture';
import { DataGateway, type S3ObjectRef } from './data-gateway';
import { destroyS3Clients } from './s3-access';
import { backoffMs, isTransientS3Error, resumableBody, S3_READ_RETRY, withRetries } from './s3-retry';

const BUCKET = 'faults';
const ORIGIN = 'http://127.0.0.1:5556';
// 300 KB of bytes whose position is visible in their value, so a resumed body spliced at the wrong
// offset shows up as a mismatch.
const BIG = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 10)) % 251));

let fx: S3Fixture;
let gw: DataGateway;

beforeAll(async () => {
  fx = await startS3Fixture();
  await fx.createBucket(BUCKET);
  await fx.putObject(BUCKET, 'big.bin', BIG);
  await fx.putObject(BUCKET, 'doomed.bin', BIG);
  gw = await DataGateway.start({ allowedOrigins: [ORIGIN] });
});

afterEach(() => fx.clearFaults());

afterAll(async () => {
  await gw?.close();
  destroyS3Clients();
  await fx?.stop();
});

function mount(key: string): string {
  const ref: S3ObjectRef = { bucket: BUCKET, key, endpoint: fx.endpoint, region: fx.region, keys: { accessKeyId: fx.accessKeyId, secretAccessKey: fx.secretAccessKey } };
  gw.approveBucket(ref.bucket, ref.endpoint);
  return gw.addS3Object(ref);
}

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: Buffer; complete: boolean };

function get(url: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', reject);
    req.end();
  });
}

const object = (key: string) => ({ bucket: BUCKET, key });

describe('the gateway under S3 faults', () => {
  it('retries a 503 SlowDown and a 500 on GET and HEAD, then serves the exact bytes', async () => {
    const url = mount('big.bin');
    // Two failures per request: more than the SDK's own 2 attempts, within the gateway's 3 × 2.
    fx.injectFault({ object: object('big.bin'), method: 'HEAD', fault: { kind: 'status', status: 503 }, times: 2 });
    const head = await get(url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(BIG.length));
    fx.injectFault({ object: object('big.bin'), method: 'GET', fault: { kind: 'status', status: 500 }, times: 3 });
    const reply = await get(url, { Range: 'bytes=1000-200999' });
    expect(reply.status).toBe(206);
    expect(reply.body.equals(BIG.subarray(1000, 201000))).toBe(true);
    expect(fx.injected.filter((f) => f.startsWith('status')).length).toBeGreaterThanOrEqual(5);
  });

  it('retries connection resets before the answer', async () => {
    const url = mount('big.bin');
    fx.injectFault({ object: object('big.bin'), method: 'GET', fault: { kind: 'reset' }, times: 2 });
    const reply = await get(url, { Range: 'bytes=0-99' });
    expect(reply.status).toBe(206);
    expect(reply.body.equals(BIG.subarray(0, 100))).toBe(true);
  });

  it('resumes a body cut mid-way with a Range for the missing bytes only, and the bytes are exact', async () => {
    const url = mount('big.bin');
    const before = fx.requests.length;
    fx.injectFault({ object: object('big.bin'), method: 'GET', fault: { kind: 'truncate', afterBytes: 70_000 }, times: 2 });
    const reply = await get(url, { Range: 'bytes=5000-254999' });
    expect(reply.status).toBe(206);
    expect(reply.complete).toBe(true);
    expect(reply.body.length).toBe(250_000);
    expect(reply.body.equals(BIG.subarray(5000, 255000))).toBe(true);
    const gets = fx.requests.slice(before).filter((r) => r.method === 'GET').map((r) => r.range);
    // The original range, then two resumptions that each start where the bytes stopped.
    expect(gets).toEqual(['bytes=5000-254999', 'bytes=75000-254999', 'bytes=145000-254999']);
  });

  it('gives up on a body that keeps breaking (bounded), and the client sees a short body, not a hang', async () => {
    const url = mount('big.bin');
    const seen = fx.injected.length;
    fx.injectFault({ object: object('big.bin'), method: 'GET', fault: { kind: 'truncate', afterBytes: 1000 } });
    const reply = await get(url);
    expect(reply.complete).toBe(false);
    expect(reply.body.length).toBeLessThan(BIG.length);
    expect(fx.injected.slice(seen).filter((f) => f.startsWith('truncate')).length).toBe(S3_READ_RETRY.attempts);
    // The gateway notes the failure when its pipeline ends, which may be just after the client saw the cut.
    await expect.poll(() => gw.lastError(url)?.message ?? '').toMatch(/broke while reading s3:\/\/faults\/big\.bin: gave up after 3 broken reads, with \d+ of 300000 bytes/);
  });

  it('serves a slow object (2 s before each answer) without giving up', async () => {
    const url = mount('big.bin');
    fx.injectFault({ object: object('big.bin'), fault: { kind: 'delay', ms: 2000 }, times: 1 });
    const reply = await get(url, { Range: 'bytes=0-9' });
    expect(reply.body.equals(BIG.subarray(0, 10))).toBe(true);
  });

  it('says expired credentials have expired, without retrying them', async () => {
    const url = mount('big.bin');
    const seen = fx.injected.length;
    fx.injectFault({ object: object('big.bin'), fault: { kind: 'expiredCredentials' } });
    const reply = await get(url, { Range: 'bytes=0-9' });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(gw.lastError(url)?.message).toMatch(/^The credentials for s3:\/\/faults\/big\.bin at .* have expired \(ExpiredToken\)/);
    // The SDK asks once, the gateway does not ask again: a 4xx is not transient.
    expect(fx.injected.slice(seen).length).toBe(1);
  });

  it('an object deleted mid-session: a clear "does not exist", and other objects still read', async () => {
    const doomed = mount('doomed.bin');
    expect((await get(doomed, { Range: 'bytes=0-9' })).status).toBe(206);
    await fx.deleteObject(BUCKET, 'doomed.bin');
    const gone = await get(doomed, { Range: 'bytes=0-9' });
    expect(gone.status).toBe(404);
    expect(gw.lastError(doomed)?.message).toMatch(/^Object s3:\/\/faults\/doomed\.bin does not exist at /);
    const other = await get(mount('big.bin'), { Range: 'bytes=0-9' });
    expect(other.body.equals(BIG.subarray(0, 10))).toBe(true);
  });

  it('does not retry a 503 forever: after the bounded attempts, a clear network error', async () => {
    const url = mount('big.bin');
    const seen = fx.injected.length;
    fx.injectFault({ object: object('big.bin'), method: 'GET', fault: { kind: 'status', status: 503 } });
    const reply = await get(url, { Range: 'bytes=0-9' });
    expect(reply.status).toBeGreaterThanOrEqual(500);
    expect(gw.lastError(url)?.message).toMatch(/failed to serve s3:\/\/faults\/big\.bin: SlowDown \(503\)/);
    // 3 gateway attempts × 2 SDK attempts.
    expect(fx.injected.slice(seen).filter((f) => f.startsWith('status GET')).length).toBe(S3_READ_RETRY.attempts * 2);
  });
});

describe('retry building blocks', () => {
  it('calls only server errors, throttling and broken connections transient', () => {
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 400 }, name: 'ExpiredToken' })).toBe(false);
    expect(isTransientS3Error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientS3Error(new Error('the body ended early: 5 of 9 bytes'))).toBe(true);
    expect(isTransientS3Error(new Error('NoSuchKey'))).toBe(false);
    expect(isTransientS3Error(null)).toBe(false);
  });

  it('backs off exponentially, capped, with jitter in the upper half', () => {
    const policy = { attempts: 9, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((r) => backoffMs(policy, r, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3].map((r) => backoffMs(policy, r, () => 0))).toEqual([50, 100, 200]);
  });

  it('withRetries stops at the first lasting error and after the last attempt', async () => {
    let calls = 0;
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    await expect(withRetries(async () => ((calls += 1), Promise.reject(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 404 } }))), { policy })).rejects.toThrow('x');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(async () => ((calls += 1), Promise.reject(Object.assign(new Error('y'), { $metadata: { httpStatusCode: 500 } }))), { policy })).rejects.toThrow('y');
    expect(calls).toBe(3);
  });

  it('resumableBody never passes on more bytes than promised, even from a server that ignores Range', async () => {
    const data = Buffer.from('0123456789');
    const broken = new Readable({ read() {} });
    broken.push(data.subarray(0, 4));
    setImmediate(() => broken.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    const offsets: number[] = [];
    const body = resumableBody(broken, 10, async (offset) => (offsets.push(offset), Readable.from([Buffer.concat([data.subarray(offset), Buffer.from('EXTRA')])])), { policy: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('0123456789');
    expect(offsets).toEqual([4]);
  });
});
