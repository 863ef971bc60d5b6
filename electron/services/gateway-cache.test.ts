import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startS3Fixture, type S3Fixture } from '../../e2e/fixtures/s3-fixture';
import { DataGateway } from './data-gateway';
import { GatewayCache, type CachedObjectVersion, type RangeFetcher } from './gateway-cache';
import { destroyS3Clients } from './s3-access';

const BLOCK = 4096;
// Deterministic bytes that do not repeat with the block size, so a misplaced block shows.
const bytesOf = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 71 + (i >> 9)) % 251));

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'northstar-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fetcher over a buffer that records every range it was asked for. */
function source(data: Buffer, opts: { failAfter?: number; gate?: Promise<void> } = {}) {
  const calls: [number, number][] = [];
  const fetch: RangeFetcher = async (start, end) => {
    calls.push([start, end]);
    await opts.gate;
    const slice = data.subarray(start, end + 1);
    if (opts.failAfter === undefined) return Readable.from([slice.subarray(0, 1000), slice.subarray(1000)]);
    // Sends some bytes, then breaks, as a dropped connection does.
    return Readable.from(
      (async function* () {
        yield slice.subarray(0, opts.failAfter);
        throw new Error('connection reset');
      })(),
    );
  };
  return { fetch, calls };
}

/** Read a range, then wait until its blocks are on disk, so each step sees the last one's effect. */
async function readAll(cache: GatewayCache, version: CachedObjectVersion, start: number, end: number, fetch: RangeFetcher): Promise<Buffer> {
  const parts: Buffer[] = [];
  try {
    for await (const part of cache.read(version, start, end, fetch)) parts.push(part);
  } finally {
    await cache.flush();
  }
  return Buffer.concat(parts);
}

/** Byte equality that reports where bytes differ (toEqual on large Buffers is very slow). */
function expectBytes(actual: Buffer, expected: Buffer): void {
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at++;
  expect(at === actual.length && at === expected.length ? 'equal' : `differ at byte ${at} (lengths ${actual.length}, ${expected.length})`).toBe('equal');
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await filesUnder(path.join(root, e.name))).map((f) => `${e.name}/${f}`));
    else out.push(e.name);
  }
  return out;
}

describe('GatewayCache', () => {
  const data = bytesOf(10 * BLOCK + 123);
  const v1: CachedObjectVersion = { id: 's3://b/k', etag: '"v1"', size: data.length };

  it('serves ranges byte-exactly, fetches only missing blocks (contiguous ones at once), then none', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    const s = source(data);
    expectBytes(await readAll(cache, v1, 5000, 9000, s.fetch), data.subarray(5000, 9001));
    expect(s.calls).toEqual([[BLOCK, 3 * BLOCK - 1]]);
    // Overlapping read: blocks 1 and 2 are cached, 0 and 3..4 are not.
    expectBytes(await readAll(cache, v1, 10, 4 * BLOCK + 7, s.fetch), data.subarray(10, 4 * BLOCK + 8));
    expect(s.calls.slice(1)).toEqual([
      [0, BLOCK - 1],
      [3 * BLOCK, 5 * BLOCK - 1],
    ]);
    // The last, short block and everything again: one fetch for what is left, then nothing.
    expectBytes(await readAll(cache, v1, 0, data.length - 1, s.fetch), data);
    const before = s.calls.length;
    expectBytes(await readAll(cache, v1, 0, data.length - 1, s.fetch), data);
    expectBytes(await readAll(cache, v1, data.length - 8, data.length - 1, s.fetch), data.subarray(data.length - 8));
    expect(s.calls.length).toBe(before);
    expect(cache.stats().bytes).toBe(data.length);
  });

  it('two readers of a block being fetched share one download', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    let open!: () => void;
    const s = source(data, { gate: new Promise<void>((r) => (open = r)) });
    const a = readAll(cache, v1, 0, 2 * BLOCK - 1, s.fetch);
    const b = readAll(cache, v1, 100, BLOCK + 50, s.fetch);
    // Let both readers reach the fetch before any byte arrives.
    await new Promise((r) => setTimeout(r, 20));
    open();
    expectBytes(await a, data.subarray(0, 2 * BLOCK));
    expectBytes(await b, data.subarray(100, BLOCK + 51));
    expect(s.calls).toEqual([[0, 2 * BLOCK - 1]]);
  });

  it('survives a restart: a new cache on the same folder serves without fetching', async () => {
    const first = source(data);
    await readAll(new GatewayCache({ dir, blockBytes: BLOCK }), v1, 0, data.length - 1, first.fetch);
    const again = source(data);
    expectBytes(await readAll(new GatewayCache({ dir, blockBytes: BLOCK }), v1, 3, data.length - 3, again.fetch), data.subarray(3, data.length - 2));
    expect(again.calls).toEqual([]);
  });

  it('never serves bytes of another ETag; dropping other versions deletes their blocks', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    await readAll(cache, v1, 0, data.length - 1, source(data).fetch);
    const changed = bytesOf(data.length, 2);
    const v2 = { ...v1, etag: '"v2"' };
    const s = source(changed);
    expectBytes(await readAll(cache, v2, 0, data.length - 1, s.fetch), changed);
    expect(s.calls.length).toBeGreaterThan(0);
    await cache.dropOtherVersions(v2);
    expect(cache.stats().bytes).toBe(changed.length);
    expect((await readdir(dir)).length).toBe(1);
  });

  it('keeps the total under its bound by evicting the least recently used blocks', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK, maxBytes: 4 * BLOCK });
    const s = source(data);
    // Blocks are written while the download goes on: flush() waits until they are on disk (and in the LRU order).
    await readAll(cache, v1, 0, BLOCK - 1, s.fetch); // block 0
    await cache.flush();
    await readAll(cache, v1, BLOCK, 4 * BLOCK - 1, s.fetch); // blocks 1..3
    await cache.flush();
    await readAll(cache, v1, 0, 10, s.fetch); // block 0 used again: now the newest
    await readAll(cache, v1, 5 * BLOCK, 5 * BLOCK + 1, s.fetch); // block 5: evicts block 1, the oldest
    await cache.flush();
    expect(cache.stats().bytes).toBeLessThanOrEqual(4 * BLOCK);
    const n = s.calls.length;
    await readAll(cache, v1, 0, 10, s.fetch);
    expect(s.calls.length).toBe(n);
    await readAll(cache, v1, BLOCK, BLOCK + 10, s.fetch);
    expect(s.calls.slice(n)).toEqual([[BLOCK, 2 * BLOCK - 1]]);
    expect((await filesUnder(dir)).length).toBeLessThanOrEqual(4);
  });

  it('a fetch that breaks midway fails its readers and stores only the blocks it completed', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    const broken = source(data, { failAfter: BLOCK + 100 });
    await expect(readAll(cache, v1, 0, 3 * BLOCK - 1, broken.fetch)).rejects.toThrow('connection reset');
    // Block 0 arrived whole and is kept; block 1 was partial and is not there under any name.
    expect(cache.stats().blocks).toBe(1);
    expect((await filesUnder(dir)).map((f) => f.split('/')[1])).toEqual(['0']);
    const s = source(data);
    expectBytes(await readAll(cache, v1, 0, 3 * BLOCK - 1, s.fetch), data.subarray(0, 3 * BLOCK));
    expect(s.calls).toEqual([[BLOCK, 3 * BLOCK - 1]]);
  });

  it('ignores and removes temp files a crash left behind, and clear() empties it', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    await readAll(cache, v1, 0, BLOCK - 1, source(data).fetch);
    const folder = (await readdir(dir))[0] as string;
    await writeFile(path.join(dir, folder, '.tmp-1-abc'), data.subarray(BLOCK, BLOCK + 10));
    const reopened = new GatewayCache({ dir, blockBytes: BLOCK });
    const s = source(data);
    expectBytes(await readAll(reopened, v1, 0, 2 * BLOCK - 1, s.fetch), data.subarray(0, 2 * BLOCK));
    expect(s.calls).toEqual([[BLOCK, 2 * BLOCK - 1]]);
    expect((await filesUnder(dir)).sort()).toEqual([`${folder}/0`, `${folder}/1`]);
    await reopened.clear();
    expect(await readdir(dir)).toEqual([]);
    expect(reopened.stats().bytes).toBe(0);
  });

  it('stores blocks again after its object folder went (removed by hand, or by clear())', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    await readAll(cache, v1, 0, BLOCK - 1, source(data).fetch);
    const folder = (await readdir(dir))[0] as string;
    // Removed behind the cache's back: a store may fail once (the cache thought the folder was
    // there), then the folder is made again.
    await rm(path.join(dir, folder), { recursive: true });
    await readAll(cache, v1, BLOCK, 2 * BLOCK - 1, source(data).fetch);
    await readAll(cache, v1, 2 * BLOCK, 3 * BLOCK - 1, source(data).fetch);
    expect(await filesUnder(dir)).toContain(`${folder}/2`);
    await cache.clear();
    await readAll(cache, v1, 3 * BLOCK, 4 * BLOCK - 1, source(data).fetch);
    expect(await filesUnder(dir)).toEqual([`${folder}/3`]);
    // And what was stored is served without a fetch.
    const s = source(data);
    expectBytes(await readAll(cache, v1, 3 * BLOCK, 4 * BLOCK - 1, s.fetch), data.subarray(3 * BLOCK, 4 * BLOCK));
    expect(s.calls).toEqual([]);
  });

  it('clear() reports what it freed; a download in flight still reaches its readers but is not stored', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    await readAll(cache, v1, 0, 3 * BLOCK - 1, source(data).fetch);
    let open!: () => void;
    const slow = source(data, { gate: new Promise<void>((r) => (open = r)) });
    // A reader whose blocks (5..6) are being downloaded, and a reader of cached blocks, during the clear.
    const inFlight = readAll(cache, v1, 5 * BLOCK, 7 * BLOCK - 1, slow.fetch);
    await new Promise((r) => setTimeout(r, 20));
    expect(slow.calls).toEqual([[5 * BLOCK, 7 * BLOCK - 1]]);
    expect(await cache.clear()).toEqual({ freedBytes: 3 * BLOCK, blocks: 3 });
    const again = source(data);
    const cachedReader = readAll(cache, v1, 100, 2 * BLOCK + 5, again.fetch);
    open();
    expectBytes(await inFlight, data.subarray(5 * BLOCK, 7 * BLOCK));
    expect(slow.calls.length).toBe(1);
    // The cleared blocks were fetched anew, with the right bytes.
    expectBytes(await cachedReader, data.subarray(100, 2 * BLOCK + 6));
    expect(again.calls).toEqual([[0, 3 * BLOCK - 1]]);
    // Blocks 5..6 arrived after the clear: not on disk, not counted; 0..2 are, fetched after it.
    expect((await filesUnder(dir)).map((f) => f.split('/')[1]).sort()).toEqual(['0', '1', '2']);
    expect(cache.stats().bytes).toBe(3 * BLOCK);
    // A new reader of 5..6 downloads them again and stores them.
    const later = source(data);
    expectBytes(await readAll(cache, v1, 5 * BLOCK, 6 * BLOCK, later.fetch), data.subarray(5 * BLOCK, 6 * BLOCK + 1));
    expect(later.calls).toEqual([[5 * BLOCK, 7 * BLOCK - 1]]);
    expect(cache.stats().bytes).toBe(5 * BLOCK);
    expect(await cache.clear()).toEqual({ freedBytes: 5 * BLOCK, blocks: 5 });
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('still reads when its folder cannot be used', async () => {
    const blocked = path.join(dir, 'not-a-folder');
    await writeFile(blocked, 'x');
    const s = source(data);
    expectBytes(await readAll(new GatewayCache({ dir: blocked, blockBytes: BLOCK }), v1, 0, 99, s.fetch), data.subarray(0, 100));
  });

  it('refuses a range outside the object and a silly block size', async () => {
    const cache = new GatewayCache({ dir, blockBytes: BLOCK });
    await expect(readAll(cache, v1, 0, data.length, source(data).fetch)).rejects.toThrow(/outside an object/);
    expect(() => new GatewayCache({ dir, blockBytes: 10 })).toThrow(/at least 4096/);
  });
});

describe('the data gateway with a disk cache, on a real S3', () => {
  let fx: S3Fixture;
  const object = bytesOf(3 * 256 * 1024 + 777, 3);

  beforeAll(async () => {
    fx = await startS3Fixture();
    await fx.createBucket('cached');
    await fx.putObject('cached', 'data/orders.parquet', object);
  });
  afterAll(async () => {
    destroyS3Clients();
    await fx?.stop();
  });

  async function gatewayWithCache(cacheDir: string): Promise<{ gw: DataGateway; url: string }> {
    const gw = await DataGateway.start();
    gw.useCache(new GatewayCache({ dir: cacheDir }));
    gw.approveBucket('cached', fx.endpoint);
    const url = gw.addS3Object({ bucket: 'cached', key: 'data/orders.parquet', endpoint: fx.endpoint, region: fx.region, keys: { accessKeyId: fx.accessKeyId, secretAccessKey: fx.secretAccessKey } });
    return { gw, url };
  }

  function get(url: string, method: string, range?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers: range ? { range } : {}, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('a second session reads no object bytes: HEAD revalidates, ranges come from disk; a changed object is read anew', async () => {
    const cacheDir = path.join(dir, 'gateway');
    await mkdir(cacheDir);
    const first = await gatewayWithCache(cacheDir);
    expect((await get(first.url, 'HEAD', 'bytes=0-')).status).toBe(206);
    const a = await get(first.url, 'GET', 'bytes=1000-300000');
    expect(a.status).toBe(206);
    expect(a.headers['content-range']).toBe(`bytes 1000-300000/${object.length}`);
    expectBytes(a.body, object.subarray(1000, 300001));
    const footer = await get(first.url, 'GET', 'bytes=-8');
    expectBytes(footer.body, object.subarray(object.length - 8));
    await first.gw.close();

    fx.requests.length = 0;
    const second = await gatewayWithCache(cacheDir);
    expect((await get(second.url, 'HEAD', 'bytes=0-')).status).toBe(206);
    const b = await get(second.url, 'GET', 'bytes=2000-200000');
    expectBytes(b.body, object.subarray(2000, 200001));
    expect(fx.requests.map((r) => r.method)).toEqual(['HEAD']);

    // The object changes: the next HEAD sees a new ETag, and the bytes served are the new ones.
    const changed = bytesOf(object.length, 9);
    await fx.putObject('cached', 'data/orders.parquet', changed);
    expect((await get(second.url, 'HEAD', 'bytes=0-')).status).toBe(206);
    const c = await get(second.url, 'GET', 'bytes=2000-200000');
    expectBytes(c.body, changed.subarray(2000, 200001));
    await second.gw.close();
  });

  it("the app's probe of a source (gateway.head) revalidates like DuckDB's HEAD: after a change, the reads serve the new bytes", async () => {
    const { gw, url } = await gatewayWithCache(path.join(dir, 'gateway-probe'));
    await fx.putObject('cached', 'data/orders.parquet', object);
    const before = await gw.head(url);
    expectBytes((await get(url, 'GET', 'bytes=0-99999')).body, object.subarray(0, 100000));
    const replaced = bytesOf(object.length, 13);
    await fx.putObject('cached', 'data/orders.parquet', replaced);
    // No HTTP HEAD: only the probe the app makes when it opens the source (connectSource).
    const after = await gw.head(url);
    expect(after.etag).not.toBe(before.etag);
    const r = await get(url, 'GET', 'bytes=0-99999');
    expect(r.headers.etag).toBe(after.etag);
    expectBytes(r.body, replaced.subarray(0, 100000));
    await gw.close();
  });

  it("a Parquet source's probe with nothing cached reads the last blocks in its one request; the footer's read is then served from disk", async () => {
    const cacheDir = path.join(dir, 'gateway-tail');
    await fx.putObject('cached', 'data/orders.parquet', object);
    const first = await gatewayWithCache(cacheDir);
    fx.requests.length = 0;
    const info = await first.gw.head(first.url, { tailBytes: 256 * 1024 });
    // One GET of the two last 256 KiB blocks' worth from the end: no HEAD before it.
    expect(fx.requests.map((r) => [r.method, r.range])).toEqual([['GET', 'bytes=-524288']]);
    const head = await get(first.url, 'HEAD', 'bytes=0-');
    expect(info).toEqual({ sizeBytes: object.length, etag: head.headers.etag, lastModified: new Date(String(head.headers['last-modified'])).toISOString() });
    fx.requests.length = 0;
    const footer = await get(first.url, 'GET', 'bytes=-262144');
    expect(footer.headers['content-range']).toBe(`bytes ${object.length - 262144}-${object.length - 1}/${object.length}`);
    expectBytes(footer.body, object.subarray(object.length - 262144));
    // The whole last two blocks (the first starts at 2 × 256 KiB) are on disk: no upstream read.
    expectBytes((await get(first.url, 'GET', `bytes=${2 * 256 * 1024}-`)).body, object.subarray(2 * 256 * 1024));
    expect(fx.requests).toEqual([]);
    // Only whole blocks are kept: the part of block 1 the GET also brought is fetched when read.
    expectBytes((await get(first.url, 'GET', 'bytes=0-')).body, object);
    expect(fx.requests.map((r) => [r.method, r.range])).toEqual([['GET', `bytes=0-${2 * 256 * 1024 - 1}`]]);
    await first.gw.close();

    // A later session has this object cached: its probe is a HEAD, and reads no bytes.
    fx.requests.length = 0;
    const second = await gatewayWithCache(cacheDir);
    expect(await second.gw.head(second.url, { tailBytes: 256 * 1024 })).toEqual(info);
    expectBytes((await get(second.url, 'GET', 'bytes=-262144')).body, object.subarray(object.length - 262144));
    expect(fx.requests.map((r) => [r.method, r.bytes])).toEqual([['HEAD', 0]]);
    await second.gw.close();
  });

  it('the tail probe of a small object caches it whole, of an empty one is a HEAD, of a missing one says so', async () => {
    const { gw } = await gatewayWithCache(path.join(dir, 'gateway-small'));
    const keys = { accessKeyId: fx.accessKeyId, secretAccessKey: fx.secretAccessKey };
    const mount = (key: string) => gw.addS3Object({ bucket: 'cached', key, endpoint: fx.endpoint, region: fx.region, keys });
    const small = bytesOf(1000, 5);
    await fx.putObject('cached', 'data/small.parquet', small);
    await fx.putObject('cached', 'data/empty.parquet', Buffer.alloc(0));
    const smallUrl = mount('data/small.parquet');
    fx.requests.length = 0;
    expect((await gw.head(smallUrl, { tailBytes: 256 * 1024 })).sizeBytes).toBe(1000);
    expectBytes((await get(smallUrl, 'GET', 'bytes=0-')).body, small);
    expect(fx.requests.map((r) => r.method)).toEqual(['GET']);

    fx.requests.length = 0;
    expect((await gw.head(mount('data/empty.parquet'), { tailBytes: 256 * 1024 })).sizeBytes).toBe(0);
    expect(fx.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 416],
      ['HEAD', 200],
    ]);

    await expect(gw.head(mount('data/missing.parquet'), { tailBytes: 256 * 1024 })).rejects.toMatchObject({ code: 'notFound' });
    await gw.close();
  });

  it('an object replaced between HEAD and GET is not served from the old version', async () => {
    const { gw, url } = await gatewayWithCache(path.join(dir, 'gateway'));
    await fx.putObject('cached', 'data/orders.parquet', object);
    expect((await get(url, 'HEAD', 'bytes=0-')).status).toBe(206);
    const replaced = bytesOf(object.length, 11);
    await fx.putObject('cached', 'data/orders.parquet', replaced);
    // If-Match fails (412): the gateway drops the stale version and reads directly.
    const r = await get(url, 'GET', 'bytes=0-99');
    expect(r.status).toBe(206);
    expectBytes(r.body, replaced.subarray(0, 100));
    await gw.close();
  });
});

/**
 * A web server whose one file can change, that answers like a real one: HEAD, single ranges,
 * If-Match (strong comparison) and If-Unmodified-Since with 412. `validators` chooses what it sends;
 * `honourConditions: false` imitates a server that ignores conditional headers.
 */
async function startChangingServer(initial: Buffer) {
  const state = {
    data: initial,
    version: 1,
    modified: new Date('2025-03-01T12:00:00Z'),
    validators: 'etag' as 'etag' | 'weak-etag+date' | 'date' | 'none',
    honourConditions: true,
  };
  const seen: { method: string; range?: string; ifMatch?: string; ifUnmodifiedSince?: string }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers['if-match'] ? { ifMatch: String(req.headers['if-match']) } : {}),
      ...(req.headers['if-unmodified-since'] ? { ifUnmodifiedSince: String(req.headers['if-unmodified-since']) } : {}),
    });
    const etag = `"v${state.version}"`;
    if (state.validators === 'etag') res.setHeader('ETag', etag);
    if (state.validators === 'weak-etag+date') res.setHeader('ETag', `W/${etag}`);
    if (state.validators === 'weak-etag+date' || state.validators === 'date') res.setHeader('Last-Modified', state.modified.toUTCString());
    if (state.honourConditions) {
      const ifMatch = req.headers['if-match'];
      const since = req.headers['if-unmodified-since'];
      if ((ifMatch && (state.validators !== 'etag' || ifMatch !== etag)) || (since && state.modified.getTime() > Date.parse(String(since)))) {
        res.statusCode = 412;
        res.end();
        return;
      }
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
    const size = state.data.length;
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(Number(m[2]), size - 1);
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      res.setHeader('Content-Length', String(end - start + 1));
      res.end(req.method === 'HEAD' ? undefined : state.data.subarray(start, end + 1));
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Length', String(size));
    res.end(req.method === 'HEAD' ? undefined : state.data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data/orders.parquet`,
    state,
    seen,
    /** Replace the file's bytes: a new ETag and a later Last-Modified. */
    change(data: Buffer) {
      state.data = data;
      state.version++;
      state.modified = new Date(state.modified.getTime() + 60_000);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('the data gateway with a disk cache, on a real HTTP server (URL sources)', () => {
  const object = bytesOf(3 * 256 * 1024 + 555, 5);
  let web: Awaited<ReturnType<typeof startChangingServer>>;
  const open: DataGateway[] = [];
  const caches: GatewayCache[] = [];

  beforeEach(async () => {
    web = await startChangingServer(object);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((g) => g.close()));
    await web.close();
  });

  async function session(cacheDir: string): Promise<{ gw: DataGateway; url: string }> {
    const gw = await DataGateway.start();
    open.push(gw);
    const cache = new GatewayCache({ dir: cacheDir });
    caches.push(cache);
    gw.useCache(cache);
    gw.approveUrl(web.url);
    return { gw, url: gw.addRemoteUrl(web.url) };
  }

  function get(url: string, method: string, range?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers: range ? { range } : {}, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** DuckDB's way of opening a file and reading from it: a HEAD, then a range. */
  async function openAndRead(url: string, start: number, end: number): Promise<Buffer> {
    const head = await get(url, 'HEAD', 'bytes=0-');
    expect(head.status).toBe(206);
    const r = await get(url, 'GET', `bytes=${start}-${end}`);
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${head.headers['content-range']?.split('/')[1]}`);
    // Blocks are stored after they are served: wait, so the next step sees them on disk.
    await Promise.all(caches.map((c) => c.flush()));
    return r.body;
  }

  const gets = () => web.seen.filter((r) => r.method === 'GET');

  it('keyed by a strong ETag: fetched with If-Match, a second session reads no bytes, a changed file is read anew', async () => {
    const cacheDir = path.join(dir, 'gateway');
    const first = await session(cacheDir);
    expectBytes(await openAndRead(first.url, 1000, 300000), object.subarray(1000, 300001));
    expect(gets().length).toBeGreaterThan(0);
    expect(gets().every((r) => r.ifMatch === '"v1"')).toBe(true);
    expect((await first.gw.cacheInfo()).bytes).toBeGreaterThan(0);

    web.seen.length = 0;
    const second = await session(cacheDir);
    expectBytes(await openAndRead(second.url, 2000, 200000), object.subarray(2000, 200001));
    expect(web.seen.map((r) => r.method)).toEqual(['HEAD']);

    const changed = bytesOf(object.length, 8);
    web.change(changed);
    expectBytes(await openAndRead(second.url, 2000, 200000), changed.subarray(2000, 200001));
    expect(gets().every((r) => r.ifMatch === '"v2"')).toBe(true);
  });

  it('a file replaced between HEAD and GET is answered with its new bytes (412, then directly)', async () => {
    const { url } = await session(path.join(dir, 'gateway'));
    expect((await get(url, 'HEAD', 'bytes=0-')).status).toBe(206);
    const replaced = bytesOf(object.length, 12);
    web.change(replaced);
    const r = await get(url, 'GET', 'bytes=0-99');
    expect(r.status).toBe(206);
    expectBytes(r.body, replaced.subarray(0, 100));
  });

  it('a server that ignores If-Match is caught by the validators of its answer', async () => {
    web.state.honourConditions = false;
    const { url } = await session(path.join(dir, 'gateway'));
    expect((await get(url, 'HEAD', 'bytes=0-')).status).toBe(206);
    const replaced = bytesOf(object.length, 13);
    web.change(replaced);
    expectBytes((await get(url, 'GET', 'bytes=5-50005')).body, replaced.subarray(5, 50006));
    // Nothing of the new version was stored under the old one.
    expectBytes(await openAndRead(url, 5, 50005), replaced.subarray(5, 50006));
  });

  it('without an ETag (or with a weak one), keyed by Last-Modified and size, fetched with If-Unmodified-Since', async () => {
    for (const validators of ['date', 'weak-etag+date'] as const) {
      web.state.validators = validators;
      web.seen.length = 0;
      const cacheDir = path.join(dir, `gateway-${validators}`);
      expectBytes(await openAndRead((await session(cacheDir)).url, 0, 99999), object.subarray(0, 100000));
      expect(gets().length).toBeGreaterThan(0);
      expect(gets().every((r) => r.ifUnmodifiedSince === web.state.modified.toUTCString() && r.ifMatch === undefined)).toBe(true);
      web.seen.length = 0;
      const again = await session(cacheDir);
      expectBytes(await openAndRead(again.url, 10, 90000), object.subarray(10, 90001));
      expect(web.seen.map((r) => r.method), validators).toEqual(['HEAD']);
      // A newer date is a new version: read anew.
      const changed = bytesOf(object.length, 20);
      web.change(changed);
      expectBytes(await openAndRead(again.url, 10, 90000), changed.subarray(10, 90001));
      web.state.data = object;
    }
  });

  it('without any validator, is not cached: every session reads the bytes again', async () => {
    web.state.validators = 'none';
    const cacheDir = path.join(dir, 'gateway');
    const first = await session(cacheDir);
    expectBytes(await openAndRead(first.url, 0, 9999), object.subarray(0, 10000));
    expect((await first.gw.cacheInfo()).bytes).toBe(0);
    web.seen.length = 0;
    expectBytes(await openAndRead((await session(cacheDir)).url, 0, 9999), object.subarray(0, 10000));
    expect(gets()).toHaveLength(1);
    expect(gets()[0]?.ifMatch).toBeUndefined();
  });

  it('clearCache() frees what was downloaded; the next read goes to the server again', async () => {
    const { gw, url } = await session(path.join(dir, 'gateway'));
    await openAndRead(url, 0, 600000);
    const info = await gw.cacheInfo();
    expect(info.enabled).toBe(true);
    // Whole 256 KiB blocks: the three that bytes 0..600000 touch.
    expect(info.bytes).toBe(3 * 256 * 1024);
    expect(await gw.clearCache()).toEqual({ enabled: true, freedBytes: 3 * 256 * 1024, blocks: 3 });
    expect((await gw.cacheInfo()).bytes).toBe(0);
    web.seen.length = 0;
    expectBytes(await openAndRead(url, 100, 200), object.subarray(100, 201));
    expect(gets()).toHaveLength(1);
  });
});
