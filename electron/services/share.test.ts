// Sharing, with real files, a real (loopback) S3 behind the SigV4-verifying front and a loopback
// web server: what lands in the share folder, how its sources read, and what is refused.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Fixture, type S3Fixture } from '../../e2e/fixtures/s3-fixture';
import { HostError, type AccessKeys, type HostApi } from '../api/host-api';
import { loadDashboard } from '../../dashboards/document';
import type { DashboardFile, Source } from '../../dashboards/schema';
import { DataGateway } from './data-gateway';
import { createHostServices, DEMO_DASHBOARD_PATH } from './host-services';
import { historyFolder } from './history-store';
import { destroyS3Clients } from './s3-access';
import { safeRelativePath, shareDashboard } from './share';
import { expandSource } from './source-listing';

const DEMO_PARQUET = path.join(path.dirname(DEMO_DASHBOARD_PATH), 'data', 'orders.parquet');
const DASHBOARD_NAME = 'team-kpis.dashboard.json';
// Tiny stand-ins for partition files: only the magic bytes matter to a share.
const part = (n: number) => Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100 * n, n), Buffer.from('PAR1')]);

let tmp: string;
let gateway: DataGateway;
let s3: S3Fixture;
let web: http.Server;
let webOrigin: string;
let demoBytes: Buffer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-share-'));
  gateway = await DataGateway.start();
  demoBytes = await readFile(DEMO_PARQUET);
  s3 = await startS3Fixture({ accessKeyId: 'NORTHSTARSHAREKEY', secretAccessKey: 'share-fixture-secret-0123456789abcdef', region: 'eu-west-1' });
  await s3.createBucket('exports');
  await s3.putFile('exports', 'kpis/orders.parquet', DEMO_PARQUET);
  await s3.putObject('exports', 'lake/orders/year=2024/part-0.parquet', part(1));
  await s3.putObject('exports', 'lake/orders/year=2025/part-0.parquet', part(2));
  await s3.putObject('exports', 'lake/orders/year=2025/part-1.parquet', part(3));
  await s3.putObject('exports', 'lake/orders/year=2025/_SUCCESS', '');
  web = http.createServer((req, res) => {
    if (req.url === '/moved/orders.parquet') {
      res.writeHead(302, { location: '/files/orders.parquet' }).end();
      return;
    }
    if (req.url !== '/files/orders.parquet') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': String(demoBytes.length) });
    res.end(demoBytes);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webOrigin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});

afterAll(async () => {
  destroyS3Clients();
  await s3?.stop();
  await new Promise<void>((resolve) => web?.close(() => resolve()));
  await gateway?.close();
  await rm(tmp, { recursive: true, force: true });
});

const keys = (): AccessKeys => ({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
const s3Source = (name: string, uri: string): Source => ({ name, kind: 's3', uri, endpoint: s3.endpoint, region: s3.region, pathStyle: true, format: 'parquet' });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Team {
  api: HostApi;
  dir: string;
  file: string;
  dashboard: DashboardFile;
}

/**
 * A team folder with the demo dashboard reading `orders` from S3 (or the given sources) and a local
 * copy as `local_orders`, saved twice through the host services (so it has two revisions of history).
 */
async function team(sources?: Source[]): Promise<Team> {
  const root = await mkdtemp(path.join(tmp, 'team-'));
  const dir = path.join(root, 'dashboards');
  await mkdir(path.join(dir, 'data'), { recursive: true });
  await copyFile(DEMO_PARQUET, path.join(dir, 'data', 'local_orders.parquet'));
  const demo = JSON.parse(await readFile(DEMO_DASHBOARD_PATH, 'utf8')) as Record<string, unknown>;
  const doc = {
    ...demo,
    sources: sources ?? [s3Source('orders', 's3://exports/kpis/orders.parquet'), { name: 'local_orders', kind: 'file', path: 'data/local_orders.parquet', format: 'parquet' }],
  };
  const file = path.join(dir, DASHBOARD_NAME);
  const api = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: path.join(root, 'home') });
  const first = await api.saveDashboard({ path: file, text: JSON.stringify(doc, null, 2), baseDiskHash: null, savedBy: 'me', message: 'first' });
  const second = await api.saveDashboard({ path: file, text: JSON.stringify({ ...doc, title: 'Team KPIs' }, null, 2), baseDiskHash: first.diskHash, savedBy: 'me' });
  await api.openDashboard({ path: file });
  const loaded = loadDashboard(second.text);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return { api, dir, file, dashboard: loaded.dashboard };
}

async function target(name = 'share'): Promise<string> {
  return path.join(await mkdtemp(path.join(tmp, 'out-')), name);
}

/** Every file under a folder, relative, "/"-separated, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string, rel: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(at, entry.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

async function hostErrorOf(p: Promise<unknown>): Promise<HostError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HostError);
    return err as HostError;
  }
  throw new Error('expected a HostError, but the call succeeded');
}

async function expectNoSecrets(dir: string): Promise<void> {
  for (const rel of await listFiles(dir)) {
    const bytes = await readFile(path.join(dir, rel));
    expect(bytes.includes(s3.secretAccessKey), `${rel} holds the secret key`).toBe(false);
    expect(bytes.includes(s3.accessKeyId), `${rel} holds the access key id`).toBe(false);
  }
}

function loadShared(text: string): DashboardFile {
  const loaded = loadDashboard(text);
  if (!loaded.ok) throw new Error(loaded.error.message);
  expect(loaded.warnings).toEqual([]);
  return loaded.dashboard;
}

describe('shareDashboard with data', () => {
  it('copies the S3 object and the local file byte for byte, rewrites the S3 source to data/, and the copy opens and reads', async () => {
    const t = await team();
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: keys() } });

    expect(result.folder).toBe(folder);
    expect(result.rewrittenSources).toEqual(['orders']);
    expect(result.files).toEqual([
      { path: DASHBOARD_NAME, bytes: expect.any(Number), kind: 'dashboard' },
      { path: 'data/orders.parquet', bytes: demoBytes.length, kind: 'data' },
      { path: 'data/local_orders.parquet', bytes: demoBytes.length, kind: 'data' },
    ]);
    expect(await listFiles(folder)).toEqual(['data/local_orders.parquet', 'data/orders.parquet', DASHBOARD_NAME]);
    for (const rel of ['data/orders.parquet', 'data/local_orders.parquet']) expect(sha256(await readFile(path.join(folder, rel)))).toBe(sha256(demoBytes));

    const shared = loadShared(await readFile(path.join(folder, DASHBOARD_NAME), 'utf8'));
    expect(shared.sources).toEqual([
      { name: 'orders', kind: 'file', path: 'data/orders.parquet', format: 'parquet' },
      { name: 'local_orders', kind: 'file', path: 'data/local_orders.parquet', format: 'parquet' },
    ]);
    // Only the sources changed; the revision block still names where the copy came from.
    expect({ ...shared, sources: [] }).toEqual({ ...t.dashboard, sources: [] });
    await expectNoSecrets(folder);

    // A colleague's Northstar (no keys, another home) opens the copy and reads every source.
    const colleague = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: path.join(folder, '..', 'colleague-home') });
    const opened = await colleague.openDashboard({ path: path.join(folder, DASHBOARD_NAME) });
    for (const source of shared.sources) {
      const connected = await colleague.connectSource({ dashboardPath: opened.path, source });
      expect(connected.sizeBytes).toBe(demoBytes.length);
    }
  });

  it('expands an S3 glob into data/<source>/ with the partition folders kept, and rewrites it to a glob that reads exactly those files', async () => {
    const t = await team([s3Source('orders', 's3://exports/lake/orders/*/*.parquet')]);
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: keys() } });
    expect(result.rewrittenSources).toEqual(['orders']);
    expect(result.files.filter((f) => f.kind === 'data')).toEqual([
      { path: 'data/orders/year=2024/part-0.parquet', bytes: part(1).length, kind: 'data' },
      { path: 'data/orders/year=2025/part-0.parquet', bytes: part(2).length, kind: 'data' },
      { path: 'data/orders/year=2025/part-1.parquet', bytes: part(3).length, kind: 'data' },
    ]);
    expect(await readFile(path.join(folder, 'data/orders/year=2025/part-1.parquet'))).toEqual(part(3));
    const shared = loadShared(await readFile(path.join(folder, DASHBOARD_NAME), 'utf8'));
    const source = shared.sources[0] as Source;
    expect(source).toEqual({ name: 'orders', kind: 'file', path: 'data/orders/*/*.parquet', format: 'parquet' });
    const expanded = await expandSource(source, { dashboardFile: path.join(folder, DASHBOARD_NAME), allowLocalPattern: () => false });
    expect(expanded.objects.map((o) => (o as { name: string }).name)).toEqual(['year=2024/part-0.parquet', 'year=2025/part-0.parquet', 'year=2025/part-1.parquet']);
  });

  it('an S3 prefix becomes a local folder source', async () => {
    const t = await team([s3Source('orders', 's3://exports/lake/orders/')]);
    const folder = await target();
    await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: keys() } });
    const shared = loadShared(await readFile(path.join(folder, DASHBOARD_NAME), 'utf8'));
    expect(shared.sources).toEqual([{ name: 'orders', kind: 'file', path: 'data/orders/', format: 'parquet' }]);
    expect(await listFiles(path.join(folder, 'data'))).toEqual(['orders/year=2024/part-0.parquet', 'orders/year=2025/part-0.parquet', 'orders/year=2025/part-1.parquet']);
  });

  it('downloads a URL source (following a redirect) and rewrites it; refuses one over the size cap and leaves nothing behind', async () => {
    const t = await team([{ name: 'orders', kind: 'url', url: `${webOrigin}/moved/orders.parquet`, format: 'parquet' }]);
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false });
    expect(result.rewrittenSources).toEqual(['orders']);
    expect(sha256(await readFile(path.join(folder, 'data/orders.parquet')))).toBe(sha256(demoBytes));

    const capped = await target();
    const error = await hostErrorOf(shareDashboard({ dashboardPath: t.file, targetDir: capped, withData: true, withHistory: false }, { maxUrlBytes: 1000 }));
    expect(error.code).toBe('tooLarge');
    expect(error.message).toMatch(/Data source "orders": .*orders\.parquet is 5\.1 MB: a share copies at most 1000 B from one URL/);
    await expect(stat(capped)).rejects.toThrow();
  });

  it('names the source and refuses when its data cannot be read (a wrong secret: S3 refuses the request)', async () => {
    const t = await team([s3Source('orders', 's3://exports/kpis/orders.parquet')]);
    const folder = await target();
    const wrong = { accessKeyId: s3.accessKeyId, secretAccessKey: 'not-the-secret-0123456789' };
    const error = await hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: wrong } }));
    expect(error.code).toBe('accessDenied');
    expect(error.message).toMatch(/^Data source "orders": Access denied/);
    expect(error.message).not.toContain('not-the-secret');
    await expect(stat(folder)).rejects.toThrow();
  });

  it('uses the keys typed for a source in this session (connectSource remembers them)', async () => {
    const t = await team([s3Source('orders', 's3://exports/kpis/orders.parquet')]);
    await t.api.connectSource({ dashboardPath: t.file, source: t.dashboard.sources[0] as Source, keys: keys() });
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false });
    expect(result.files.map((f) => f.path)).toEqual([DASHBOARD_NAME, 'data/orders.parquet']);
    await expectNoSecrets(folder);
  });

  it('refuses a "parquet" file that is not Parquet', async () => {
    const t = await team([{ name: 'orders', kind: 'file', path: 'data/fake.parquet', format: 'parquet' }]);
    await writeFile(path.join(t.dir, 'data', 'fake.parquet'), 'id,amount\n1,2\n');
    const folder = await target();
    const error = await hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false }));
    expect(error.code).toBe('badRequest');
    expect(error.message).toMatch(/fake\.parquet is not a Parquet file/);
    await expect(stat(folder)).rejects.toThrow();
  });

  it('never copies a local "data" file from a hidden folder outside the dashboard\'s folder (credentials live there)', async () => {
    const t = await team([{ name: 'orders', kind: 'file', path: '../.aws/credentials.csv', format: 'csv' }]);
    await mkdir(path.join(t.dir, '..', '.aws'));
    await writeFile(path.join(t.dir, '..', '.aws', 'credentials.csv'), `aws_access_key_id,aws_secret_access_key\n${s3.accessKeyId},${s3.secretAccessKey}\n`);
    const folder = await target();
    const error = await hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false }));
    expect(error.code).toBe('accessDenied');
    expect(error.message).toMatch(/^Data source "orders": .*credentials\.csv is in a hidden place \("\.aws"\)\. Shares never copy such files/);
    await expect(stat(folder)).rejects.toThrow();
  });

  it('never copies hidden or key files from inside the dashboard\'s folder either', async () => {
    for (const [rel, why] of [
      ['data/.secrets/keys.csv', /in a hidden place \("\.secrets"\)/],
      ['data/server.pem', /a credential or key file \("server\.pem"\)/],
    ] as const) {
      const t = await team([{ name: 'orders', kind: 'file', path: rel, format: 'csv' }]);
      await mkdir(path.dirname(path.join(t.dir, rel)), { recursive: true });
      await writeFile(path.join(t.dir, rel), `key,value\nsecret,${s3.secretAccessKey}\n`);
      const folder = await target();
      const error = await hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false }));
      expect(error.code, rel).toBe('accessDenied');
      expect(error.message, rel).toMatch(why);
      await expect(stat(folder), rel).rejects.toThrow();
    }
  });
});

describe('shareDashboard without data', () => {
  it('writes the dashboard byte for byte as saved, sources unchanged, and nothing else', async () => {
    const t = await team();
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: false, withHistory: false });
    expect(result.rewrittenSources).toEqual([]);
    expect(result.notes).toEqual([expect.stringMatching(/^Without data, the copy reads the same sources/)]);
    expect(await listFiles(folder)).toEqual([DASHBOARD_NAME]);
    expect(await readFile(path.join(folder, DASHBOARD_NAME))).toEqual(await readFile(t.file));
    expect(loadShared(await readFile(path.join(folder, DASHBOARD_NAME), 'utf8')).sources).toEqual(t.dashboard.sources);
    await expectNoSecrets(folder);
  });
});

describe('shareDashboard and history', () => {
  it('with history: copies every revision file of this dashboard, byte for byte', async () => {
    const t = await team();
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: false, withHistory: true });
    const from = historyFolder(t.file, t.dashboard.id) as string;
    const names = (await readdir(from)).sort();
    expect(names).toHaveLength(2);
    expect(result.files.filter((f) => f.kind === 'history').map((f) => f.path).sort()).toEqual(names.map((n) => `.northstar/history/${t.dashboard.id}/${n}`));
    for (const name of names) expect(await readFile(path.join(folder, '.northstar', 'history', t.dashboard.id, name))).toEqual(await readFile(path.join(from, name)));
    // The colleague sees the same history.
    const colleague = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: path.join(folder, '..', 'home') });
    const revisions = await colleague.listRevisions({ path: path.join(folder, DASHBOARD_NAME) });
    expect(revisions.map((r) => r.number)).toEqual([2, 1]);
  });

  it('without history: no .northstar folder at all', async () => {
    const t = await team();
    const folder = await target();
    await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: keys() } });
    expect((await listFiles(folder)).some((f) => f.startsWith('.northstar'))).toBe(false);
  });
});

describe('shareDashboard refuses', () => {
  it('target folders that are relative, hold "..", control characters, are the disk root, a file, the dashboard\'s own folder or a .northstar folder', async () => {
    const t = await team();
    const share = (targetDir: string) => hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir, withData: false, withHistory: false }));
    const aFile = path.join(await mkdtemp(path.join(tmp, 'file-')), 'x.txt');
    await writeFile(aFile, 'x');
    const cases: [string, RegExp][] = [
      ['shared/kpis', /full path/],
      [`${tmp}/a/../b`, /"\.\."/],
      [`${tmp}/a/../../etc`, /"\.\."/],
      [`${tmp}/bad\u0000name`, /control characters/],
      [path.parse(tmp).root, /root of the disk/],
      [aFile, /is a file, not a folder/],
      [t.dir, /the dashboard's own folder/],
      [`${t.dir}/`, /the dashboard's own folder/],
      [path.join(t.dir, '.northstar', 'share'), /inside a \.northstar folder/],
    ];
    for (const [dir, message] of cases) {
      const error = await share(dir);
      expect(error.code, dir).toBe('badRequest');
      expect(error.message, dir).toMatch(message);
    }
    expect(await readdir(t.dir)).toEqual(expect.not.arrayContaining(['share']));
  });

  it('a dashboard not opened in this session', async () => {
    const t = await team();
    const other = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: path.join(t.dir, '..', 'other-home') });
    const error = await hostErrorOf(other.shareDashboard({ dashboardPath: t.file, targetDir: await target(), withData: false, withHistory: false }));
    expect(error.message).toMatch(/opened in this session/);
  });

  it('to replace a different existing file: a conflict before anything is written; an identical one (sharing again) is kept', async () => {
    const t = await team();
    const folder = await target();
    const first = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: true, keys: { orders: keys() } });
    const before = await listFiles(folder);
    // Sharing the same thing again changes nothing and succeeds.
    const again = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: true, keys: { orders: keys() } });
    expect(again.files).toEqual(first.files);
    expect(await listFiles(folder)).toEqual(before);

    await writeFile(path.join(folder, 'data', 'orders.parquet'), 'someone else\'s file');
    const other = await target();
    await mkdir(other);
    await writeFile(path.join(other, DASHBOARD_NAME), '{}');
    for (const dir of [folder, other]) {
      const error = await hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir: dir, withData: true, withHistory: true, keys: { orders: keys() } }));
      expect(error.code).toBe('conflict');
      expect(error.message).toMatch(/already holds other files under the same names/);
    }
    expect(await listFiles(other)).toEqual([DASHBOARD_NAME]);
    expect(await readFile(path.join(other, DASHBOARD_NAME), 'utf8')).toBe('{}');
  });

  it('to write through a link inside the target folder, and leaves nothing behind', async () => {
    const t = await team();
    const folder = await target();
    const elsewhere = await mkdtemp(path.join(tmp, 'elsewhere-'));
    await mkdir(folder);
    await symlink(elsewhere, path.join(folder, 'data'));
    const error = await hostErrorOf(t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: keys() } }));
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/data exists and is not a folder \(a link\)/);
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await readdir(folder)).toEqual(['data']);
  });

  it('file names from a listing: odd characters are replaced, "..", "." and empty parts refused', async () => {
    await s3.putObject('exports', 'odd/we\\ird\u0001name.parquet', part(1));
    const t = await team([s3Source('orders', 's3://exports/odd/')]);
    const folder = await target();
    const result = await t.api.shareDashboard({ dashboardPath: t.file, targetDir: folder, withData: true, withHistory: false, keys: { orders: keys() } });
    expect(result.files.filter((f) => f.kind === 'data').map((f) => f.path)).toEqual(['data/orders/we_ird_name.parquet']);
    // Keys like these are normalised away by the SDK before they reach a store, so the guard is tested directly.
    for (const name of ['../escape.parquet', 'a/../../b.parquet', './a.parquet', 'a//b.parquet', '']) {
      expect(() => safeRelativePath(name), name).toThrow(/empty, "\." or "\.\." part/);
    }
    expect(safeRelativePath('year=2025/part 0.parquet')).toBe('year=2025/part 0.parquet');
  });
});
