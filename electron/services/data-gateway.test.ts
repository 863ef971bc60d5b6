import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startS3Fixture, type S3Fixture } from '../../e2e/fixtures/s3-fixture';
import { HostError } from '../api/host-api';
import { DataGateway, type S3ObjectRef } from './data-gateway';
import { destroyS3Clients } from './s3-access';

// The Apache parquet-testing corpus lives in shared/ beside the repository (as in CI).
const PARQUET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/parquet-testing/data/alltypes_plain.parquet');
const APP_ORIGIN = 'http://127.0.0.1:5555';
const BUCKET = 'northstar-data';
const EXPOSED = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified';

// Deterministic, non-repeating-looking bytes, so an off-by-one shows up as a mismatch.
const SAMPLE = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131 + (i >> 8) * 17 + 7) % 256));

let fx: S3Fixture;
let gw: DataGateway;
let tmp: string;
let parquet: Buffer;
let keys: { accessKeyId: string; secretAccessKey: string };
let web: TestWebServer;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(target: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders } = {}): Promise<Reply> {
  // Always this gateway's port; anything but a gateway URL goes on the request line as is.
  const rawPath = target.startsWith(`${gw.origin}/`) ? target.slice(gw.origin.length) : target;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: new URL(gw.origin).port, method: opts.method ?? 'GET', path: rawPath, headers: opts.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Mount a URL as a source the user approved (the host approves typed and trusted sources). */
function mountUrl(url: string): string {
  gw.approveUrl(url);
  return gw.addRemoteUrl(url);
}

/** Mount an S3 object of a bucket the user approved. */
function mountS3(ref: S3ObjectRef, name?: string): string {
  gw.approveBucket(ref.bucket, ref.endpoint);
  return gw.addS3Object(ref, name);
}

function s3Ref(key: string, extra: Partial<S3ObjectRef> = {}): S3ObjectRef {
  return { bucket: BUCKET, key, endpoint: fx.endpoint, region: fx.region, keys, ...extra };
}

async function hostErrorOf(p: Promise<unknown>): Promise<HostError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HostError);
    return err as HostError;
  }
  throw new Error('expected a HostError');
}

function accessHeaders(reply: Reply): string[] {
  return Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'));
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  parquet = await readFile(PARQUET);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-gw-'));
  await writeFile(path.join(tmp, 'sample.bin'), SAMPLE);
  fx = await startS3Fixture();
  keys = { accessKeyId: fx.accessKeyId, secretAccessKey: fx.secretAccessKey };
  await fx.createBucket(BUCKET);
  await fx.putObject(BUCKET, 'nested/dir/sample.bin', SAMPLE);
  await fx.putFile(BUCKET, 'alltypes_plain.parquet', PARQUET);
  gw = await DataGateway.start({ allowedOrigins: [APP_ORIGIN] });
  // The folders a user would have opened: the test's own and the Parquet corpus.
  gw.allowFolder(tmp);
  gw.allowFolder(path.dirname(PARQUET));
  web = await startWebServer({ '/files/sample.bin': SAMPLE, '/files/alltypes_plain.parquet': parquet });
});

afterAll(async () => {
  await web?.close();
  await gw?.close();
  destroyS3Clients();
  await fx?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const cases = [
  { name: 'local binary file', data: () => SAMPLE, url: () => gw.addLocalFile(path.join(tmp, 'sample.bin')), basename: 'sample.bin' },
  { name: 'local Parquet file', data: () => parquet, url: () => gw.addLocalFile(PARQUET), basename: 'alltypes_plain.parquet' },
  { name: 'S3 binary object', data: () => SAMPLE, url: () => mountS3(s3Ref('nested/dir/sample.bin')), basename: 'sample.bin' },
  { name: 'S3 Parquet object', data: () => parquet, url: () => mountS3(s3Ref('alltypes_plain.parquet')), basename: 'alltypes_plain.parquet' },
  { name: 'URL on a server with ranges', data: () => SAMPLE, url: () => mountUrl(`${web.origin}/files/sample.bin`), basename: 'sample.bin' },
  { name: 'URL of Parquet on a server with ranges', data: () => parquet, url: () => mountUrl(`${web.origin}/files/alltypes_plain.parquet`), basename: 'alltypes_plain.parquet' },
  { name: 'URL on a server that ignores Range', data: () => SAMPLE, url: () => mountUrl(`${web.origin}/no-ranges/sample.bin`), basename: 'sample.bin' },
];

describe.each(cases)('reads of a $name', ({ data, url, basename }) => {
  it('has a URL of the documented shape, stable per mount', () => {
    const u = url();
    expect(u).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${gw.token}/o/[A-Za-z0-9_-]{16}/${basename.replace('.', '\\.')}$`));
    expect(u.startsWith(`${gw.origin}/`)).toBe(true);
    expect(url()).toBe(u);
  });

  it('answers HEAD with size, ranges, ETag and Last-Modified and no body', async () => {
    const res = await request(url(), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(data().length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['etag']).toMatch(/^"[^"]+"$/);
    expect(Number.isNaN(Date.parse(res.headers['last-modified'] ?? ''))).toBe(false);
    expect(res.body.length).toBe(0);
  });

  it('serves the whole object without a Range', async () => {
    const res = await request(url());
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(data().length));
    expect(res.body.equals(data())).toBe(true);
  });

  it('serves bytes=a-b exactly', async () => {
    const res = await request(url(), { headers: { Range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 100-199/${data().length}`);
    expect(res.headers['content-length']).toBe('100');
    expect(res.body.equals(data().subarray(100, 200))).toBe(true);
  });

  it('serves bytes=0-0 as one byte', async () => {
    const res = await request(url(), { headers: { Range: 'bytes=0-0' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-0/${data().length}`);
    expect([...res.body]).toEqual([data()[0]]);
  });

  it('serves bytes=a- to the end', async () => {
    const size = data().length;
    const res = await request(url(), { headers: { Range: `bytes=${size - 10}-` } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${size - 10}-${size - 1}/${size}`);
    expect(res.body.equals(data().subarray(size - 10))).toBe(true);
  });

  it('clamps an end past the last byte', async () => {
    const size = data().length;
    const res = await request(url(), { headers: { Range: `bytes=${size - 3}-${size + 1000}` } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${size - 3}-${size - 1}/${size}`);
    expect(res.body.equals(data().subarray(size - 3))).toBe(true);
  });

  it('serves the suffix bytes=-8 (for Parquet: footer length and PAR1)', async () => {
    const size = data().length;
    const res = await request(url(), { headers: { Range: 'bytes=-8' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${size - 8}-${size - 1}/${size}`);
    expect(res.headers['content-length']).toBe('8');
    expect(res.body.equals(data().subarray(size - 8))).toBe(true);
    if (basename.endsWith('.parquet')) expect(res.body.subarray(4).toString('latin1')).toBe('PAR1');
  });

  it('serves a suffix longer than the object as the whole object', async () => {
    const size = data().length;
    const res = await request(url(), { headers: { Range: `bytes=-${size + 50}` } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-${size - 1}/${size}`);
    expect(res.body.equals(data())).toBe(true);
  });

  it('answers 416 with bytes */size for a range past the end, bytes=-0 and multi-range', async () => {
    const size = data().length;
    for (const range of [`bytes=${size}-`, 'bytes=-0', 'bytes=0-1,5-6', 'bytes=9-3']) {
      const res = await request(url(), { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers['content-range'], range).toBe(`bytes */${size}`);
    }
  });

  it('answers HEAD with Range as 206 (DuckDB-WASM probes range support that way)', async () => {
    const size = data().length;
    const all = await request(url(), { method: 'HEAD', headers: { Range: 'bytes=0-' } });
    expect(all.status).toBe(206);
    expect(all.headers['content-length']).toBe(String(size));
    expect(all.headers['content-range']).toBe(`bytes 0-${size - 1}/${size}`);
    expect(all.body.length).toBe(0);
    const some = await request(url(), { method: 'HEAD', headers: { Range: 'bytes=0-9' } });
    expect(some.status).toBe(206);
    expect(some.headers['content-length']).toBe('10');
    const past = await request(url(), { method: 'HEAD', headers: { Range: `bytes=${size}-` } });
    expect(past.status).toBe(416);
  });

  it('ignores ranges in unknown units', async () => {
    const items = await request(url(), { headers: { Range: 'items=0-9' } });
    expect(items.status).toBe(200);
    expect(items.body.equals(data())).toBe(true);
  });

  it('head() reports size, ETag and date', async () => {
    const info = await gw.head(url());
    expect(info.sizeBytes).toBe(data().length);
    expect(info.etag).toMatch(/^"[^"]+"$/);
    expect(Number.isNaN(Date.parse(info.lastModified ?? ''))).toBe(false);
    expect(gw.lastError(url())).toBeNull();
  });
});

describe('S3 pass-through', () => {
  it('passes the S3 ETag through and makes exactly one signed request per read', async () => {
    const url = mountS3(s3Ref('nested/dir/sample.bin'));
    const md5 = createHash('md5').update(SAMPLE).digest('hex');
    const before = fx.requests.length;
    const res = await request(url, { headers: { Range: 'bytes=1000-1999' } });
    expect(res.status).toBe(206);
    expect(res.headers['etag']).toBe(`"${md5}"`);
    const seen = fx.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', range: 'bytes=1000-1999', status: 206, bytes: 1000 });
  });

  it('streams a multi-megabyte object and parallel ranges byte-exactly', async () => {
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    await fx.putObject(BUCKET, 'big/blob.bin', big);
    const url = mountS3(s3Ref('big/blob.bin'));
    const whole = await request(url);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(big)).toBe(true);
    const ranges: [number, number][] = [
      [0, 65_535],
      [1_000_001, 4_999_999],
      [big.length - 100_000, big.length - 1],
    ];
    const replies = await Promise.all(ranges.map(([a, b]) => request(url, { headers: { Range: `bytes=${a}-${b}` } })));
    replies.forEach((res, i) => {
      const [a, b] = ranges[i]!;
      expect(res.status).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${a}-${b}/${big.length}`);
      expect(res.body.equals(big.subarray(a, b + 1))).toBe(true);
    });
  });

  it('gives different keys and profiles different URLs, and never puts the secret in a URL', () => {
    const a = mountS3(s3Ref('nested/dir/sample.bin'));
    const b = mountS3(s3Ref('nested/dir/sample.bin', { keys: { ...keys, secretAccessKey: `${keys.secretAccessKey}2` } }));
    const c = mountS3(s3Ref('nested/dir/sample.bin', { keys: undefined, profile: 'one' }));
    const d = mountS3(s3Ref('nested/dir/sample.bin', { keys: undefined, profile: 'two' }));
    expect(new Set([a, b, c, d]).size).toBe(4);
    for (const u of [a, b, c, d]) expect(u).not.toContain(keys.secretAccessKey);
  });
});

describe('read failures', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('a wrong secret gives HTTP 403 and head() throws accessDenied naming the object, without the secret', async () => {
    const wrongSecret = `${keys.secretAccessKey}-WRONG`;
    const url = mountS3(s3Ref('nested/dir/sample.bin', { keys: { ...keys, secretAccessKey: wrongSecret } }));
    const expected = `Access denied to s3://${BUCKET}/nested/dir/sample.bin at ${fx.endpoint}: the access key or secret was refused (403, SignatureDoesNotMatch).`;

    const get = await request(url, { headers: { Range: 'bytes=0-99' } });
    expect(get.status).toBe(403);
    expect(get.body.toString('utf8')).toBe(`${expected}\n`);
    const head = await request(url, { method: 'HEAD' });
    expect(head.status).toBe(403);

    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('accessDenied');
    expect(err.message).toBe(expected);
    expect(err.message).not.toContain(wrongSecret);
    expect(JSON.stringify(err.toJSON())).not.toContain(wrongSecret);
    expect(gw.lastError(url)?.message).toBe(expected);
  });

  it('an unknown access key gives accessDenied with InvalidAccessKeyId', async () => {
    const url = mountS3(s3Ref('nested/dir/sample.bin', { keys: { accessKeyId: 'AKIANOTKNOWN', secretAccessKey: 'whatever-secret' } }));
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('accessDenied');
    expect(err.message).toBe(
      `Access denied to s3://${BUCKET}/nested/dir/sample.bin at ${fx.endpoint}: the access key or secret was refused (403, InvalidAccessKeyId).`,
    );
    expect((await request(url)).status).toBe(403);
  });

  it('an unknown bucket gives noSuchBucket and HTTP 404', async () => {
    const url = mountS3(s3Ref('x/y.parquet', { bucket: 'no-such-bucket' }));
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('noSuchBucket');
    expect(err.message).toBe(`Bucket "no-such-bucket" does not exist at ${fx.endpoint} (reading s3://no-such-bucket/x/y.parquet).`);
    const get = await request(url, { headers: { Range: 'bytes=0-3' } });
    expect(get.status).toBe(404);
    expect(get.body.toString('utf8')).toBe(`${err.message}\n`);
    expect((await request(url, { method: 'HEAD' })).status).toBe(404);
  });

  it('a missing key gives notFound and HTTP 404', async () => {
    const url = mountS3(s3Ref('missing/key.parquet'));
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('notFound');
    expect(err.message).toBe(`Object s3://${BUCKET}/missing/key.parquet does not exist at ${fx.endpoint}.`);
    const get = await request(url, { headers: { Range: 'bytes=0-3' } });
    expect(get.status).toBe(404);
    expect(get.body.toString('utf8')).toBe(`${err.message}\n`);
    expect((await request(url, { method: 'HEAD' })).status).toBe(404);
  });

  it('an unreachable endpoint gives network and HTTP 502', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const url = mountS3(s3Ref('a/b.parquet', { endpoint }));
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('network');
    expect(err.message).toBe(`Cannot reach ${endpoint} to read s3://${BUCKET}/a/b.parquet: ECONNREFUSED.`);
    expect((await request(url, { headers: { Range: 'bytes=0-3' } })).status).toBe(502);
  });

  it('a profile with no credentials gives credentials and HTTP 401', async () => {
    const none = path.join(tmp, 'no-such-aws-file');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', none);
    vi.stubEnv('AWS_CONFIG_FILE', none);
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      vi.stubEnv(name, undefined);
    }
    const url = mountS3(s3Ref('nested/dir/sample.bin', { keys: undefined, profile: 'northstar-missing' }));
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('credentials');
    expect(err.message.startsWith(`No AWS credentials could be resolved for profile "northstar-missing" to read s3://${BUCKET}/nested/dir/sample.bin: `)).toBe(true);
    const get = await request(url, { headers: { Range: 'bytes=0-3' } });
    expect(get.status).toBe(401);
    expect(get.body.toString('utf8')).toContain('profile "northstar-missing"');
  });

  it('a missing local file gives notFound and a 404 naming the path; lastError clears once it reads', async () => {
    const file = path.join(tmp, 'later.csv');
    const url = gw.addLocalFile(file);
    const get = await request(url);
    expect(get.status).toBe(404);
    expect(get.body.toString('utf8')).toBe(`File not found: ${file}\n`);
    expect(gw.lastError(url)?.code).toBe('notFound');
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('notFound');
    expect(err.message).toBe(`File not found: ${file}`);

    await writeFile(file, 'a,b\n1,2\n');
    const ok = await request(url);
    expect(ok.status).toBe(200);
    expect(ok.body.toString('utf8')).toBe('a,b\n1,2\n');
    expect(gw.lastError(url)).toBeNull();
  });

  it('a directory is not served', async () => {
    const url = gw.addLocalFile(tmp);
    expect((await request(url)).status).toBe(404);
    expect((await hostErrorOf(gw.head(url))).code).toBe('notFound');
  });

  it('refuses relative paths, unknown URLs and bad origins at registration', async () => {
    expect(() => gw.addLocalFile('data/x.parquet')).toThrow(HostError);
    expect((await hostErrorOf(gw.head(`${gw.origin}/${gw.token}/o/nope/x.parquet`))).code).toBe('badRequest');
    expect(gw.lastError(`${gw.origin}/${gw.token}/o/nope/x.parquet`)).toBeNull();
    expect(() => gw.allowOrigin('*')).toThrow(HostError);
    expect(() => gw.allowOrigin('http://a.example/path')).toThrow(HostError);
  });
});

describe('request security', () => {
  let url: string;
  let pathname: string;
  beforeAll(() => {
    url = gw.addLocalFile(path.join(tmp, 'sample.bin'));
    pathname = new URL(url).pathname;
  });

  it('serves the registered path under both loopback Host names', async () => {
    expect((await request(pathname, { headers: { Range: 'bytes=0-0' } })).status).toBe(206);
    expect((await request(pathname, { headers: { Host: `localhost:${new URL(gw.origin).port}`, Range: 'bytes=0-0' } })).status).toBe(206);
  });

  it('refuses a missing token and a wrong token with 403', async () => {
    const rest = pathname.slice(gw.token.length + 1);
    expect((await request(rest)).status).toBe(403);
    const sameLength = gw.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await request(`/${sameLength}${rest}`)).status).toBe(403);
    expect((await request(`/${gw.token}x${rest}`)).status).toBe(403);
    const res = await request(`/short${rest}`, { method: 'HEAD' });
    expect(res.status).toBe(403);
    expect(res.headers['content-length']).not.toBe(String(SAMPLE.length));
  });

  it('refuses a wrong Host header with 403 (DNS rebinding)', async () => {
    const port = new URL(gw.origin).port;
    for (const host of [`evil.example:${port}`, '127.0.0.1', `127.0.0.1:${Number(port) + 1}`, `localhost.evil.example:${port}`]) {
      const res = await request(pathname, { headers: { Host: host } });
      expect(res.status, host).toBe(403);
      expect(res.body.toString('utf8')).toBe('Forbidden: wrong Host header.\n');
    }
  });

  it('refuses other methods with 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await request(pathname, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers['allow']).toBe('GET, HEAD, OPTIONS');
    }
  });

  it('refuses traversal, encoded traversal and absolute-form request targets with 400', async () => {
    const id = pathname.split('/')[3];
    for (const p of [
      `/${gw.token}/o/../o/${id}/sample.bin`,
      `/${gw.token}/o/${id}/../${id}/sample.bin`,
      `/${gw.token}/o/%2e%2e/o/${id}/sample.bin`,
      `/${gw.token}/o/${id}%2Fsample.bin`,
      `/${gw.token}/o/${id}/..%5csample.bin`,
      `/${gw.token}/./o/${id}/sample.bin`,
    ]) {
      expect((await request(p)).status, p).toBe(400);
    }
    expect((await request(`http://evil.example${pathname}`)).status).toBe(400);
  });

  it('refuses unregistered mounts and wrong names with 404', async () => {
    const id = pathname.split('/')[3];
    expect((await request(`/${gw.token}/o/AAAAAAAAAAAAAAAA/sample.bin`)).status).toBe(404);
    expect((await request(`/${gw.token}/o/${id}/other.bin`)).status).toBe(404);
    expect((await request(`/${gw.token}/`)).status).toBe(404);
  });

  it('refuses oversized headers', async () => {
    const res = await request(pathname, { headers: { 'X-Big': 'x'.repeat(20 * 1024) } });
    expect(res.status).toBe(431);
  });

  it('uses a 43-character base64url token by default and refuses a malformed given one', async () => {
    expect(gw.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(DataGateway.start({ token: 'has/slash-and-too-short' })).rejects.toBeInstanceOf(HostError);
    const other = await DataGateway.start({ token: 'fixed-token-for-tests-0123456789' });
    try {
      expect(other.token).toBe('fixed-token-for-tests-0123456789');
      other.allowFolder(tmp);
      expect(other.addLocalFile(path.join(tmp, 'sample.bin'))).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fixed-token-for-tests-0123456789\/o\//);
    } finally {
      await other.close();
    }
  });
});

describe('allowlist: only approved sources, only opened folders', () => {
  let outside: string;
  beforeAll(async () => {
    outside = await mkdtemp(path.join(os.tmpdir(), 'northstar-gw-outside-'));
    await writeFile(path.join(outside, 'secret.csv'), 'user,password\nroot,hunter2\n');
  });
  afterAll(async () => {
    if (outside) await rm(outside, { recursive: true, force: true });
  });

  it('refuses an S3 bucket nobody approved, before any request reaches it', async () => {
    const before = fx.requests.length;
    for (const ref of [s3Ref('nested/dir/sample.bin', { bucket: 'someone-elses-bucket' }), s3Ref('nested/dir/sample.bin', { endpoint: 'http://127.0.0.1:1' })]) {
      let thrown: unknown;
      try {
        gw.addS3Object(ref);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HostError);
      expect((thrown as HostError).code).toBe('accessDenied');
      expect((thrown as HostError).message).toContain(`s3://${ref.bucket}/nested/dir/sample.bin at ${ref.endpoint} is not approved on this machine`);
    }
    expect(() => gw.checkApproved({ kind: 's3', bucket: 'someone-elses-bucket', endpoint: fx.endpoint })).toThrow(/not approved/);
    expect(fx.requests.length).toBe(before);
  });

  it('refuses a URL nobody approved; approving one URL approves no other on that host', () => {
    expect(() => gw.addRemoteUrl(`${web.origin}/files/unapproved.bin`)).toThrow(/is not approved on this machine/);
    gw.approveUrl(`${web.origin}/files/sample.bin`);
    expect(() => gw.addRemoteUrl(`${web.origin}/files/alltypes_plain.parquet?x=1`)).toThrow(/not approved/);
  });

  it('never reads a host named in the query string: only the declared URL is requested', async () => {
    const url = mountUrl(`${web.origin}/files/sample.bin`);
    const before = web.seen.length;
    for (const query of [`?url=${encodeURIComponent('http://169.254.169.254/')}`, `?target=${encodeURIComponent(`${web.origin}/status/500`)}`, '?host=evil.example']) {
      const res = await request(`${url}${query}`, { headers: { Range: 'bytes=0-3' } });
      expect(res.status, query).toBe(206);
      expect(res.body.equals(SAMPLE.subarray(0, 4)), query).toBe(true);
    }
    expect(web.seen.slice(before).every((r) => r.url === '/files/sample.bin')).toBe(true);
  });

  it('refuses a local file outside the opened folders, naming the way to open it', () => {
    const file = path.join(outside, 'secret.csv');
    expect(() => gw.addLocalFile(file)).toThrow(`Not reading ${file}: it is outside the folders opened in this session`);
  });

  it('refuses a symlink that leads out of the folder, at registration and when it is swapped in later', async () => {
    const link = path.join(tmp, 'innocent.csv');
    await symlink(path.join(outside, 'secret.csv'), link);
    try {
      expect(() => gw.addLocalFile(link)).toThrow(`(it leads to ${await realpath(path.join(outside, 'secret.csv'))})`);
    } finally {
      await unlink(link);
    }
    // Registered while it was a plain file, then replaced by a link out of the folder.
    const swapped = path.join(tmp, 'swapped.csv');
    await writeFile(swapped, 'a\n1\n');
    const url = gw.addLocalFile(swapped);
    expect((await request(url)).status).toBe(200);
    await unlink(swapped);
    await symlink(path.join(outside, 'secret.csv'), swapped);
    try {
      const res = await request(url);
      expect(res.status).toBe(403);
      expect(res.body.toString('utf8')).toContain('outside the folders opened in this session');
      expect(res.body.toString('utf8')).not.toContain('hunter2');
      expect((await hostErrorOf(gw.head(url))).code).toBe('accessDenied');
    } finally {
      await unlink(swapped);
    }
  });

  it('refuses hidden files and folders and credential files inside an opened folder', async () => {
    await mkdir(path.join(tmp, '.aws'), { recursive: true });
    await writeFile(path.join(tmp, '.aws', 'credentials'), '[default]\naws_secret_access_key=x\n');
    await writeFile(path.join(tmp, '.env'), 'TOKEN=x\n');
    for (const name of ['credentials', 'id_rsa', 'server.pem']) await writeFile(path.join(tmp, name), 'x');
    expect(() => gw.addLocalFile(path.join(tmp, '.aws', 'credentials'))).toThrow('it is a hidden file or folder (".aws"); Northstar never reads those as data.');
    expect(() => gw.addLocalFile(path.join(tmp, '.env'))).toThrow('hidden file or folder (".env")');
    for (const name of ['credentials', 'id_rsa', 'server.pem']) {
      expect(() => gw.addLocalFile(path.join(tmp, name)), name).toThrow(`it is a credential or key file ("${name}")`);
    }
    // A link with an innocent name to a credential file is judged by where it leads.
    const link = path.join(tmp, 'data.csv');
    await symlink(path.join(tmp, '.aws', 'credentials'), link);
    try {
      expect(() => gw.addLocalFile(link)).toThrow('hidden file or folder (".aws")');
    } finally {
      await unlink(link);
    }
  });

  it('refuses ../ and encoded ..%2f request paths with 400', async () => {
    const url = gw.addLocalFile(path.join(tmp, 'sample.bin'));
    const pathname = new URL(url).pathname;
    const id = pathname.split('/')[3];
    for (const p of [`/${gw.token}/o/${id}/../../../etc/passwd`, `/${gw.token}/o/${id}/..%2f..%2fetc%2fpasswd`, `/${gw.token}/o/${id}/%2e%2e%2Fsample.bin`]) {
      expect((await request(p)).status, p).toBe(400);
    }
  });

  it('answers a 64 KB header with 431', async () => {
    const url = gw.addLocalFile(path.join(tmp, 'sample.bin'));
    const res = await request(url, { headers: { 'X-Big': 'x'.repeat(64 * 1024) } });
    expect(res.status).toBe(431);
  });
});

describe('CORS', () => {
  let url: string;
  beforeAll(() => {
    url = gw.addLocalFile(path.join(tmp, 'sample.bin'));
  });

  it('gives an allowed origin the CORS headers on reads', async () => {
    const res = await request(url, { headers: { Origin: APP_ORIGIN, Range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(res.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(res.headers['access-control-expose-headers']).toBe(EXPOSED);
    expect(res.headers['vary']).toBe('Origin');
    expect(res.body.equals(SAMPLE.subarray(0, 10))).toBe(true);
  });

  it('answers an allowed preflight with no data', async () => {
    gw.allowOrigin('app://northstar');
    const res = await request(url, {
      method: 'OPTIONS',
      headers: { Origin: 'app://northstar', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('app://northstar');
    expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD');
    expect(res.headers['access-control-allow-headers']).toBe('Range');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.body.length).toBe(0);
    expect(res.headers['content-range']).toBeUndefined();
  });

  it('gives other origins no CORS headers and refuses their preflight', async () => {
    const read = await request(url, { headers: { Origin: 'http://evil.example', Range: 'bytes=0-9' } });
    expect(read.status).toBe(206);
    expect(accessHeaders(read)).toEqual([]);
    const pre = await request(url, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' } });
    expect(pre.status).toBe(403);
    expect(accessHeaders(pre)).toEqual([]);
  });

  it('refuses a preflight for a write method even from the allowed origin', async () => {
    const res = await request(url, { method: 'OPTIONS', headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'PUT' } });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });
});

// --- plain URL sources --------------------------------------------------------------------------

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

interface TestWebServer {
  origin: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A small web server for URL sources: `/files/*` serves single byte ranges like a real server,
 * `/no-ranges/*` always sends everything, `/no-head/*` refuses HEAD, and a few paths answer errors,
 * redirects or gzip. It records every request it gets.
 */
async function startWebServer(files: Record<string, Buffer>): Promise<TestWebServer> {
  const seen: SeenRequest[] = [];
  const lastModified = new Date('2025-03-01T12:00:00Z').toUTCString();
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const [, area = '', ...rest] = pathname.split('/');
    const name = rest.join('/');
    if (area === 'status') {
      res.statusCode = Number(name);
      res.end('nope');
      return;
    }
    if (area === 'to-metadata') {
      res.statusCode = 302;
      res.setHeader('Location', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/');
      res.end();
      return;
    }
    if (area === 'redirect') {
      const hops = Number(name);
      res.statusCode = 302;
      res.setHeader('Location', hops > 0 ? `/redirect/${hops - 1}` : '/files/sample.bin');
      res.end();
      return;
    }
    const data = files[`/files/${name}`];
    if (!data) {
      res.statusCode = 404;
      res.end('not here');
      return;
    }
    if (area === 'no-head' && req.method === 'HEAD') {
      res.statusCode = 405;
      res.end();
      return;
    }
    res.setHeader('ETag', `"${createHash('md5').update(data).digest('hex')}"`);
    res.setHeader('Last-Modified', lastModified);
    if (area === 'gzip') res.setHeader('Content-Encoding', 'gzip');
    const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (area !== 'no-ranges' && m && (m[1] || m[2])) {
      const size = data.length;
      let start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
      let end = m[1] ? (m[2] ? Math.min(Number(m[2]), size - 1) : size - 1) : size - 1;
      if (!m[1] && Number(m[2]) === 0) start = size;
      if (start >= size || end < start) {
        res.statusCode = 416;
        res.setHeader('Content-Range', `bytes */${size}`);
        res.end();
        return;
      }
      end = Math.min(end, size - 1);
      res.statusCode = 206;
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      res.setHeader('Content-Length', String(end - start + 1));
      res.end(req.method === 'HEAD' ? undefined : data.subarray(start, end + 1));
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Length', String(data.length));
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('URL sources', () => {
  it('requests exactly the declared URL, sending only Range: no cookies, credentials or caller headers', async () => {
    const url = mountUrl(`${web.origin}/files/sample.bin?v=1#part`);
    const before = web.seen.length;
    const res = await request(`${url}?url=http://evil.example/x`, {
      headers: { Range: 'bytes=0-9', Cookie: 'session=abc', Authorization: 'Bearer t0ken', 'X-Extra': 'yes', Origin: APP_ORIGIN },
    });
    expect(res.status).toBe(206);
    expect(res.body.equals(SAMPLE.subarray(0, 10))).toBe(true);
    const upstream = web.seen.slice(before);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]?.url).toBe('/files/sample.bin?v=1');
    const headers = upstream[0]?.headers ?? {};
    expect(headers.range).toBe('bytes=0-9');
    expect(headers['accept-encoding']).toBe('identity');
    for (const name of ['cookie', 'authorization', 'x-extra', 'origin', 'referer']) expect(headers[name], name).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('a path other than the mount\'s own is 404, never fetched', async () => {
    const url = mountUrl(`${web.origin}/files/sample.bin`);
    const before = web.seen.length;
    expect((await request(`${url}x`)).status).toBe(404);
    expect((await request(`${url.slice(0, url.lastIndexOf('/'))}/other.bin`)).status).toBe(404);
    expect(web.seen.length).toBe(before);
  });

  it('follows redirects, up to five', async () => {
    const url = mountUrl(`${web.origin}/redirect/2`);
    const res = await request(url, { headers: { Range: 'bytes=10-19' } });
    expect(res.status).toBe(206);
    expect(res.body.equals(SAMPLE.subarray(10, 20))).toBe(true);
    const loop = mountUrl(`${web.origin}/redirect/9`);
    const err = await hostErrorOf(gw.head(loop));
    expect(err.code).toBe('network');
    expect(err.message).toContain('more than 5 redirects');
  });

  it('learns the size from a one-byte GET when the server refuses HEAD', async () => {
    const url = mountUrl(`${web.origin}/no-head/sample.bin`);
    expect((await gw.head(url)).sizeBytes).toBe(SAMPLE.length);
    const res = await request(url, { method: 'HEAD', headers: { Range: 'bytes=0-' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-${SAMPLE.length - 1}/${SAMPLE.length}`);
  });

  it.each([
    { status: 404, code: 'notFound', http: 404, text: /Nothing at http:\/\/127\.0\.0\.1:\d+\/status\/404\?… \(404\)/ },
    { status: 410, code: 'notFound', http: 404, text: /\(410\)/ },
    { status: 403, code: 'accessDenied', http: 403, text: /refused to serve .* \(403\)\. Northstar sends no credentials/ },
    { status: 401, code: 'accessDenied', http: 403, text: /\(401\)/ },
    { status: 503, code: 'network', http: 502, text: /failed to serve .* \(503\)/ },
  ])('maps an upstream $status to $code (HTTP $http)', async ({ status, code, http: httpStatus, text }) => {
    const url = mountUrl(`${web.origin}/status/${status}?token=s3cr3t`);
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(text);
    // The query may hold a token: messages leave it out.
    expect(err.message).not.toContain('s3cr3t');
    const res = await request(url, { headers: { Range: 'bytes=0-9' } });
    expect(res.status).toBe(httpStatus);
    expect(gw.lastError(url)?.code).toBe(code);
  });

  it('an unreachable server gives network and HTTP 502', async () => {
    const url = mountUrl(`http://127.0.0.1:${await closedPort()}/x.parquet`);
    expect((await request(url)).status).toBe(502);
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('refuses a compressed body: byte ranges would not be file bytes', async () => {
    const url = mountUrl(`${web.origin}/gzip/sample.bin`);
    expect((await request(url, { headers: { Range: 'bytes=0-9' } })).status).toBe(502);
    expect((await hostErrorOf(gw.head(url))).message).toContain('compressed');
  });

  it('never contacts a link-local address (cloud instance metadata), named or redirected to', async () => {
    for (const bad of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/x.csv', 'http://[::ffff:169.254.169.254]/x.csv']) {
      expect(() => gw.addRemoteUrl(bad), bad).toThrow(/link-local/);
    }
    const url = mountUrl(`${web.origin}/to-metadata/x`);
    const err = await hostErrorOf(gw.head(url));
    expect(err.code).toBe('accessDenied');
    expect(err.message).toContain('link-local');
    expect((await request(url)).status).toBe(403);
  });

  it('refuses other schemes, credentials in the URL and the gateway itself at registration', () => {
    for (const bad of ['ftp://example.com/x.parquet', 'file:///etc/passwd', 'https://user:pw@example.com/x.parquet', `${gw.origin}/${gw.token}/o/x/y`, 'not a url']) {
      expect(() => gw.addRemoteUrl(bad), bad).toThrow(HostError);
    }
    expect(() => gw.addRemoteUrl('https://user:pw@example.com/x.parquet')).toThrow(/no credentials/);
  });
});
