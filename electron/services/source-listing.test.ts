import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Fixture, type S3Fixture } from '../../e2e/fixtures/s3-fixture';
import { HostError } from '../api/host-api';
import type { Source } from '../../dashboards/schema';
import { destroyS3Clients } from './s3-access';
import { compileGlob, expandSource, hasGlob, isMultiFilePattern, listLocalFiles, listS3Objects, literalPrefix, matchesGlob, parseS3Uri } from './source-listing';

async function hostErrorOf(p: Promise<unknown>): Promise<HostError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HostError);
    return err as HostError;
  }
  throw new Error('expected a HostError');
}

describe('glob matching', () => {
  it.each([
    ['orders/*.parquet', 'orders/a.parquet', true],
    ['orders/*.parquet', 'orders/2025/a.parquet', false],
    ['orders/*/*.parquet', 'orders/year=2025/part-0.parquet', true],
    ['orders/*/*.parquet', 'orders/part-0.parquet', false],
    ['orders/**/*.parquet', 'orders/part-0.parquet', true],
    ['orders/**/*.parquet', 'orders/year=2025/month=03/part-0.parquet', true],
    ['orders/**', 'orders/a/b/c.csv', true],
    ['**/*.parquet', 'a.parquet', true],
    ['**/*.parquet', 'x/y/a.parquet', true],
    ['orders/**.parquet', 'orders/x/y.parquet', false],
    ['orders/**.parquet', 'orders/y.parquet', true],
    ['orders/**', 'orders', true],
    ['a/**/b/**/c', 'a/b/c', true],
    ['a/**/b/**/c', 'a/x/y/b/z/c', true],
    ['a/**/b/**/c', 'a/x/y/z/c', false],
    ['orders/year=202?/*.parquet', 'orders/year=2024/a.parquet', true],
    ['orders/year=202?/*.parquet', 'orders/year=20245/a.parquet', false],
    ['orders/?.csv', 'orders//.csv', false],
    ['orders/month=0[1-3]/*', 'orders/month=02/x', true],
    ['orders/month=0[1-3]/*', 'orders/month=04/x', false],
    ['orders/month=0[!1-3]/*', 'orders/month=04/x', true],
    ['orders/month=0[!1-3]/*', 'orders/month=01/x', false],
    ['orders/[!a]*', 'orders/x/y', false],
    ['a.b+c(1)/$x^.parquet', 'a.b+c(1)/$x^.parquet', true],
    ['a.b/*.parquet', 'aXb/c.parquet', false],
    ['orders/[oops', 'orders/[oops', true],
    ['Orders/*.parquet', 'orders/a.parquet', false],
  ])('%s vs %s → %s', (pattern, key, expected) => {
    expect(matchesGlob(pattern, key)).toBe(expected);
  });

  it('tells patterns from plain keys and finds the literal prefix', () => {
    expect(hasGlob('orders/a.parquet')).toBe(false);
    expect(hasGlob('orders/[oops')).toBe(false);
    expect(hasGlob('orders/[ab].parquet')).toBe(true);
    expect(hasGlob('orders/*.parquet')).toBe(true);
    expect(isMultiFilePattern('orders/')).toBe(true);
    expect(isMultiFilePattern('orders/a.parquet')).toBe(false);
    expect(literalPrefix('orders/year=202*/x')).toBe('orders/year=202');
    expect(literalPrefix('**/x')).toBe('');
    expect(literalPrefix('orders/**/x')).toBe('orders/');
    expect(literalPrefix('orders/y=1/*')).toBe('orders/y=1/');
    expect(literalPrefix('plain/key.parquet')).toBe('plain/key.parquet');
  });

  it('stays fast on hostile patterns (no exponential backtracking)', () => {
    const started = performance.now();
    expect(compileGlob('**/**/**/**/**/**/**/**/**/**/x')(`${'a/'.repeat(500)}y`)).toBe(false);
    expect(compileGlob('*a*a*a*a*a*a*a*a*a*a*b')('a'.repeat(1000))).toBe(false);
    expect(compileGlob(`${'*/'.repeat(30)}**/*z`)(`${'a/'.repeat(400)}y`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('parses s3 URIs', () => {
    expect(parseS3Uri('s3://b/orders/*/x.parquet')).toEqual({ bucket: 'b', key: 'orders/*/x.parquet' });
    expect(() => parseS3Uri('s3://b')).toThrow(HostError);
  });
});

/**
 * s3rver 3.7.1 makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 18 and
 * later) no longer offers without --openssl-legacy-provider, so every truncated listing fails
 * with 500. The token is opaque to clients: for these tests, 'des' becomes a pass-through, so the
 * fixture can paginate. Returns the undo. (Worth moving into e2e/fixtures/s3-fixture.ts.)
 */
function letS3rverPaginate(): () => void {
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const { createCipheriv, createDecipheriv } = crypto;
  const passThrough = () => ({
    update: (data: string | Buffer, encoding?: BufferEncoding) => (typeof data === 'string' ? Buffer.from(data, encoding ?? 'utf8') : Buffer.from(data)),
    final: () => Buffer.alloc(0),
  });
  const patched = crypto as unknown as Record<'createCipheriv' | 'createDecipheriv', (...args: unknown[]) => unknown>;
  patched.createCipheriv = (algorithm, ...rest) => (algorithm === 'des' ? passThrough() : (createCipheriv as (...a: unknown[]) => unknown)(algorithm, ...rest));
  patched.createDecipheriv = (algorithm, ...rest) => (algorithm === 'des' ? passThrough() : (createDecipheriv as (...a: unknown[]) => unknown)(algorithm, ...rest));
  return () => {
    crypto.createCipheriv = createCipheriv;
    crypto.createDecipheriv = createDecipheriv;
  };
}

describe('S3 listing (real S3 fixture)', () => {
  const BUCKET = 'lake';
  let fx: S3Fixture;
  let conn: { bucket: string; endpoint: string; region: string; keys: { accessKeyId: string; secretAccessKey: string } };
  const KEYS = [
    'orders/year=2024/part-0.parquet',
    'orders/year=2024/part-1.parquet',
    'orders/year=2025/month=01/part-0.parquet',
    'orders/year=2025/month=02/part-0.parquet',
    'orders/year=2025/_SUCCESS',
    'orders/year=2025/notes.csv',
    'orders/readme.txt',
    'orders-archive/old.parquet',
    'other/x.parquet',
  ];

  let undoPatch: () => void = () => {};

  beforeAll(async () => {
    undoPatch = letS3rverPaginate();
    fx = await startS3Fixture();
    await fx.createBucket(BUCKET);
    for (const [i, key] of KEYS.entries()) await fx.putObject(BUCKET, key, Buffer.alloc(100 + i, i));
    conn = { bucket: BUCKET, endpoint: fx.endpoint, region: fx.region, keys: { accessKeyId: fx.accessKeyId, secretAccessKey: fx.secretAccessKey } };
  });

  afterAll(async () => {
    destroyS3Clients();
    await fx?.stop();
    undoPatch();
  });

  it('lists the objects of a glob across partitions, sorted, with their sizes', async () => {
    const found = await listS3Objects(conn, 'orders/*/*.parquet', 'parquet');
    expect(found).toEqual([
      { key: 'orders/year=2024/part-0.parquet', sizeBytes: 100 },
      { key: 'orders/year=2024/part-1.parquet', sizeBytes: 101 },
    ]);
    const deep = await listS3Objects(conn, 'orders/**/*.parquet', 'parquet');
    expect(deep.map((o) => o.key)).toEqual(KEYS.slice(0, 4));
  });

  it('pages through ListObjectsV2 with a small page size and asks only under the literal prefix', async () => {
    const before = fx.requests.length;
    const found = await listS3Objects(conn, 'orders/year=202?/**/part-0.parquet', 'parquet', { pageSize: 2 });
    expect(found.map((o) => o.key)).toEqual(['orders/year=2024/part-0.parquet', 'orders/year=2025/month=01/part-0.parquet', 'orders/year=2025/month=02/part-0.parquet']);
    const lists = fx.requests.slice(before).filter((r) => r.method === 'GET' && r.path.includes('list-type=2'));
    // Six keys under "orders/year=202" at two per page.
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => r.path.includes('prefix=orders%2Fyear%3D202'))).toBe(true);
    expect(lists.slice(1).every((r) => r.path.includes('continuation-token='))).toBe(true);
  });

  it('takes every file of the format under a prefix, skipping other files', async () => {
    const found = await listS3Objects(conn, 'orders/', 'parquet', { pageSize: 3 });
    expect(found.map((o) => o.key)).toEqual(KEYS.slice(0, 4));
    expect((await listS3Objects(conn, 'orders/', 'csv')).map((o) => o.key)).toEqual(['orders/year=2025/notes.csv']);
  });

  it('says notFound, naming the pattern, when nothing matches', async () => {
    const err = await hostErrorOf(listS3Objects(conn, 'orders/*/*.csv.gz', 'csv'));
    expect(err.code).toBe('notFound');
    expect(err.message).toBe(`No object matches s3://lake/orders/*/*.csv.gz at ${fx.endpoint}.`);
    const empty = await hostErrorOf(listS3Objects(conn, 'nothing-here/', 'parquet'));
    expect(empty.code).toBe('notFound');
    expect(empty.message).toContain('No .parquet object under s3://lake/nothing-here/');
  });

  it('refuses more than the cap, and stops a listing that scans too much', async () => {
    const err = await hostErrorOf(listS3Objects(conn, 'orders/**', 'parquet', { maxObjects: 3 }));
    expect(err.code).toBe('tooLarge');
    expect(err.message).toContain('matches more than 3 files');
    const scan = await hostErrorOf(listS3Objects(conn, '**/nope.parquet', 'parquet', { pageSize: 2, maxScanned: 4 }));
    expect(scan.code).toBe('tooLarge');
    expect(scan.message).toContain('looked at more than 4 entries');
  });

  it('maps listing failures to typed errors without the secret', async () => {
    const wrong = await hostErrorOf(listS3Objects({ ...conn, keys: { ...conn.keys, secretAccessKey: 'wrong-secret-value' } }, 'orders/*', 'parquet'));
    expect(wrong.code).toBe('accessDenied');
    expect(wrong.message).toContain('s3://lake/orders/*');
    expect(wrong.message).not.toContain('wrong-secret-value');
    const bucket = await hostErrorOf(listS3Objects({ ...conn, bucket: 'no-such-bucket' }, 'x/*', 'parquet'));
    expect(bucket.code).toBe('noSuchBucket');
  });

  it('expands an s3 source into mountable objects named below the pattern folder', async () => {
    const source: Source = { name: 'orders', kind: 's3', uri: 's3://lake/orders/year=*/*.parquet', endpoint: fx.endpoint, region: fx.region, format: 'parquet' };
    const expanded = await expandSource(source, { dashboardFile: '/tmp/x.dashboard.json', keys: conn.keys, allowLocalPattern: () => false });
    expect(expanded.multiFile).toBe(true);
    expect(expanded.location).toBe(`s3://lake/orders/year=*/*.parquet at ${fx.endpoint}`);
    expect(expanded.objects.map((o) => (o.kind === 's3' ? [o.ref.key, o.name, o.sizeBytes] : null))).toEqual([
      ['orders/year=2024/part-0.parquet', 'year=2024/part-0.parquet', 100],
      ['orders/year=2024/part-1.parquet', 'year=2024/part-1.parquet', 101],
    ]);
    const single = await expandSource({ ...source, uri: 's3://lake/other/x.parquet' }, { dashboardFile: '/tmp/x.dashboard.json', allowLocalPattern: () => false });
    expect(single).toMatchObject({ multiFile: false, objects: [{ kind: 's3', ref: { bucket: 'lake', key: 'other/x.parquet' }, sizeBytes: null }] });
  });
});

describe('local listing', () => {
  let root: string;
  let dashDir: string;
  let outside: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'northstar-listing-'));
    dashDir = path.join(root, 'dash');
    outside = path.join(root, 'elsewhere');
    for (const dir of ['data/year=2024', 'data/year=2025/month=01', 'data/empty']) await mkdir(path.join(dashDir, dir), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(dashDir, 'data/year=2024/a.parquet'), 'x'.repeat(10));
    await writeFile(path.join(dashDir, 'data/year=2025/b.parquet'), 'x'.repeat(20));
    await writeFile(path.join(dashDir, 'data/year=2025/month=01/c.parquet'), 'x'.repeat(30));
    await writeFile(path.join(dashDir, 'data/year=2025/notes.csv'), 'a\n1\n');
    await writeFile(path.join(outside, 'secret.parquet'), 'x');
    // Links are never followed: neither into another folder nor to a file elsewhere.
    await symlink(outside, path.join(dashDir, 'data/linked-dir'));
    await symlink(path.join(outside, 'secret.parquet'), path.join(dashDir, 'data/year=2024/linked.parquet'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const p = (rel: string) => path.join(dashDir, rel);

  it('matches a glob one level deep, and ** at any depth, sorted with sizes', async () => {
    expect(await listLocalFiles(p('data/*/*.parquet'), 'parquet')).toEqual([
      { path: p('data/year=2024/a.parquet'), sizeBytes: 10 },
      { path: p('data/year=2025/b.parquet'), sizeBytes: 20 },
    ]);
    expect((await listLocalFiles(p('data/**/*.parquet'), 'parquet')).map((f) => f.path)).toEqual([
      p('data/year=2024/a.parquet'),
      p('data/year=2025/b.parquet'),
      p('data/year=2025/month=01/c.parquet'),
    ]);
  });

  it('takes a folder as every file of the format below it', async () => {
    expect((await listLocalFiles(`${p('data')}/`, 'parquet')).map((f) => path.basename(f.path))).toEqual(['a.parquet', 'b.parquet', 'c.parquet']);
    expect((await listLocalFiles(`${p('data')}/`, 'csv')).map((f) => path.basename(f.path))).toEqual(['notes.csv']);
  });

  it('says notFound naming the pattern, and caps the number of files', async () => {
    const none = await hostErrorOf(listLocalFiles(p('data/*/*.json'), 'json'));
    expect(none.code).toBe('notFound');
    expect(none.message).toBe(`No file matches ${p('data/*/*.json')}.`);
    expect((await hostErrorOf(listLocalFiles(p('missing/*.parquet'), 'parquet'))).code).toBe('notFound');
    expect((await hostErrorOf(listLocalFiles(p('data/**'), 'parquet', { maxObjects: 2 }))).code).toBe('tooLarge');
  });

  it('keeps a pattern inside the given folder', async () => {
    expect((await listLocalFiles(p('data/*/*.parquet'), 'parquet', { within: dashDir })).length).toBe(2);
    const err = await hostErrorOf(listLocalFiles(path.join(outside, '*.parquet'), 'parquet', { within: dashDir }));
    expect(err.code).toBe('accessDenied');
    expect(err.message).toContain("outside the dashboard's folder");
    // Through a symlinked folder is outside too.
    expect((await hostErrorOf(listLocalFiles(p('data/linked-dir/*.parquet'), 'parquet', { within: dashDir }))).code).toBe('accessDenied');
  });

  it('expands a file source relative to the dashboard; outside its folder only when the user typed it', async () => {
    const dashboardFile = p('kpis.dashboard.json');
    const source: Source = { name: 'orders', kind: 'file', path: 'data/**/*.parquet', format: 'parquet' };
    const expanded = await expandSource(source, { dashboardFile, allowLocalPattern: () => false });
    expect(expanded.location).toBe(p('data/**/*.parquet'));
    // Named below the pattern's folder, so partition folders stay in the gateway URL.
    expect(expanded.objects.map((o) => o.kind === 'file' && o.name)).toEqual(['year=2024/a.parquet', 'year=2025/b.parquet', 'year=2025/month=01/c.parquet']);

    const away: Source = { ...source, path: '../elsewhere/*.parquet' };
    expect((await hostErrorOf(expandSource(away, { dashboardFile, allowLocalPattern: () => false }))).code).toBe('accessDenied');
    const typed = await expandSource(away, { dashboardFile, allowLocalPattern: (abs) => abs === path.join(outside, '*.parquet') });
    expect(typed.objects).toEqual([{ kind: 'file', absPath: path.join(outside, 'secret.parquet'), name: 'secret.parquet', sizeBytes: 1 }]);

    // A single named file is not listed (unchanged behaviour): the read checks it.
    const single = await expandSource({ ...source, path: '../elsewhere/secret.parquet' }, { dashboardFile, allowLocalPattern: () => false });
    expect(single).toEqual({
      location: path.join(outside, 'secret.parquet'),
      multiFile: false,
      objects: [{ kind: 'file', absPath: path.join(outside, 'secret.parquet'), name: 'secret.parquet', sizeBytes: null }],
    });
  });
});
