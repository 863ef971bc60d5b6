import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Fixture, type S3Fixture } from '../../e2e/fixtures/s3-fixture';
import { HostError, type AccessKeys, type HostApi } from '../api/host-api';
import type { Source } from '../../dashboards/schema';
import { loadDashboard } from '../../dashboards/document';
import { DataGateway } from './data-gateway';
import { GatewayCache } from './gateway-cache';
import { CredentialStore } from './credentials';
import { createHostServices, defaultHomeDir, DEMO_DASHBOARD_PATH } from './host-services';
import { historyFolder } from './history-store';
import { destroyS3Clients } from './s3-access';
import { TRUST_FILE_NAME } from './trust-store';
import { SAMPLE_ID, sampleDashboard, sampleText } from './testdata/sample-dashboards';

let tmp: string;
let gateway: DataGateway;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-host-'));
  gateway = await DataGateway.start();
});

afterAll(async () => {
  await gateway.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Host services with their own home (trust store), as one user on one machine. */
async function services(name = 'me'): Promise<{ api: HostApi; home: string }> {
  const home = await mkdtemp(path.join(tmp, `home-${name}-`));
  return { api: createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: home }), home };
}

async function workDir(): Promise<string> {
  return mkdtemp(path.join(tmp, 'work-'));
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
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

/** The text with one top-level field changed, as an editor would produce it. */
function edit(text: string, change: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(text) as Record<string, unknown>), ...change }, null, 2);
}

function revisionOf(text: string) {
  const loaded = loadDashboard(text);
  if (!loaded.ok) throw new Error(loaded.error.message);
  if (!loaded.dashboard.revision) throw new Error('no revision block');
  return loaded.dashboard.revision;
}

async function historyNames(file: string): Promise<string[]> {
  return (await readdir(historyFolder(file, SAMPLE_ID) as string)).sort();
}

describe('saveDashboard: revisions', () => {
  it('stamps revision 1, then revision 2 on top of it; history lists both; readRevision returns revision 1', async () => {
    const { api } = await services();
    const file = path.join(await workDir(), 'customer-kpis.dashboard.json');

    const first = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null, savedBy: 'me', message: 'Initial version' });
    const r1 = revisionOf(first.text);
    expect(first.revisionNumber).toBe(1);
    expect(r1).toMatchObject({ number: 1, savedBy: 'me', message: 'Initial version', parentHash: null, contentHash: first.contentHash });
    expect(Date.now() - Date.parse(r1.savedAt)).toBeLessThan(60_000);
    expect(await readFile(file, 'utf8')).toBe(first.text);
    expect(first.diskHash).toBe(sha256(await readFile(file)));

    const second = await api.saveDashboard({ path: file, text: edit(first.text, { title: 'Customer KPIs (EU)' }), baseDiskHash: first.diskHash, savedBy: 'me' });
    const r2 = revisionOf(second.text);
    expect(second.revisionNumber).toBe(2);
    expect(r2.parentHash).toBe(first.contentHash);
    expect(r2.contentHash).toBe(second.contentHash);
    expect(r2.message).toBeUndefined();
    expect(second.contentHash).not.toBe(first.contentHash);

    const list = await api.listRevisions({ path: file });
    expect(list.map((r) => ({ number: r.number, summary: r.summary, parentHash: r.parentHash, message: r.message }))).toEqual([
      { number: 2, summary: 'title changed', parentHash: first.contentHash, message: null },
      { number: 1, summary: 'first revision', parentHash: null, message: 'Initial version' },
    ]);
    expect((await api.readRevision({ path: file, contentHash: first.contentHash })).text).toBe(first.text);
    const missing = await hostErrorOf(api.readRevision({ path: file, contentHash: 'f'.repeat(64) }));
    expect(missing.code).toBe('notFound');
  });

  it('saves an unchanged dashboard byte-identically, without a new revision', async () => {
    const { api } = await services();
    const file = path.join(await workDir(), 'same.dashboard.json');
    const saved = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null });
    const before = await readFile(file);
    const mtime = (await stat(file)).mtimeMs;
    const opened = await api.openDashboard({ path: file });
    const again = await api.saveDashboard({ path: file, text: opened.text, baseDiskHash: opened.diskHash, message: 'nothing changed' });
    expect(again).toEqual(saved);
    expect((await readFile(file)).equals(before)).toBe(true);
    expect((await stat(file)).mtimeMs).toBe(mtime);
    expect(await historyNames(file)).toHaveLength(1);
    expect(await api.listRevisions({ path: file })).toHaveLength(1);
  });

  it('takes the OS user name when no savedBy is given', async () => {
    const { api } = await services();
    const file = path.join(await workDir(), 'who.dashboard.json');
    const saved = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null });
    let expected = 'unknown';
    try {
      expected = os.userInfo().username || 'unknown';
    } catch {
      // no passwd entry
    }
    expect(revisionOf(saved.text).savedBy).toBe(expected);
  });

  it('migrates an older file on save and writes it in the current schema as revision 1', async () => {
    const { api } = await services();
    const file = path.join(await workDir(), 'demo.dashboard.json');
    await copyFile(DEMO_DASHBOARD_PATH, file);
    const opened = await api.openDashboard({ path: file });
    expect(opened.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(opened.trusted).toBe(false);
    const saved = await api.saveDashboard({ path: file, text: opened.text, baseDiskHash: opened.diskHash });
    expect(saved.revisionNumber).toBe(1);
    expect(saved.contentHash).toBe(opened.contentHash);
    expect((JSON.parse(saved.text) as { schemaVersion: number }).schemaVersion).toBeGreaterThan(1);
  });
});

describe('saveDashboard: conflicts', () => {
  /** One file, saved twice by "me" (revisions 1 and 2), with the text and disk hash I have open. */
  async function sharedFile() {
    const me = await services('me');
    const alice = await services('alice');
    const file = path.join(await workDir(), 'customer-kpis.dashboard.json');
    const r1 = await me.api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null, savedBy: 'me' });
    const r2 = await me.api.saveDashboard({ path: file, text: edit(r1.text, { title: 'v2' }), baseDiskHash: r1.diskHash, savedBy: 'me' });
    return { me: me.api, alice: alice.api, file, r1, r2 };
  }

  it('refuses a save when the file changed on disk, says who changed it, and leaves the disk alone', async () => {
    const { me, alice, file, r2 } = await sharedFile();
    const aliceOpened = await alice.openDashboard({ path: file });
    const aliceSaved = await alice.saveDashboard({ path: file, text: edit(aliceOpened.text, { owner: 'alice' }), baseDiskHash: aliceOpened.diskHash, savedBy: 'alice' });
    expect(aliceSaved.revisionNumber).toBe(3);

    // I still have revision 2 open and change the description.
    const err = await hostErrorOf(me.saveDashboard({ path: file, text: edit(r2.text, { description: 'mine' }), baseDiskHash: r2.diskHash, savedBy: 'me' }));
    expect(err.code).toBe('conflict');
    const aliceRevision = revisionOf(aliceSaved.text);
    expect(err.conflict).toEqual({
      disk: { number: 3, savedAt: aliceRevision.savedAt, savedBy: 'alice', contentHash: aliceSaved.contentHash, parentHash: r2.contentHash },
      diverged: true,
    });
    expect(err.message).toMatch(
      /^"customer-kpis\.dashboard\.json" changed on disk since you opened it \(revision 3 by alice at \d{4}-\d\d-\d\d \d\d:\d\d\)\. Reload, overwrite, or save as a copy\. Both copies were made from revision 2: they diverged\.$/,
    );
    expect(await readFile(file, 'utf8')).toBe(aliceSaved.text);
    // The error crosses the boundary with its conflict.
    expect(HostError.from(JSON.parse(JSON.stringify(err)) as unknown).conflict).toEqual(err.conflict);
  });

  it('does not call it diverged when the disk simply moved ahead of an unchanged copy', async () => {
    const { me, alice, file, r2 } = await sharedFile();
    const aliceOpened = await alice.openDashboard({ path: file });
    await alice.saveDashboard({ path: file, text: edit(aliceOpened.text, { owner: 'alice' }), baseDiskHash: aliceOpened.diskHash, savedBy: 'alice' });
    const err = await hostErrorOf(me.saveDashboard({ path: file, text: r2.text, baseDiskHash: r2.diskHash }));
    expect(err.code).toBe('conflict');
    expect(err.conflict?.diverged).toBe(false);
    expect(err.message).not.toMatch(/diverged/);
    // Overwriting with unchanged content puts revision 2 back as it was: same content, same revision.
    const reverted = await me.saveDashboard({ path: file, text: r2.text, baseDiskHash: r2.diskHash, force: true });
    expect(reverted).toEqual(r2);
    expect(await readFile(file, 'utf8')).toBe(r2.text);
  });

  it('saves an unchanged copy byte-identically, carrying the same revision', async () => {
    const { me, file, r2 } = await sharedFile();
    const copy = path.join(await workDir(), 'copy.dashboard.json');
    const saved = await me.saveDashboard({ path: copy, text: r2.text, baseDiskHash: null });
    expect(saved).toEqual({ ...r2, path: copy });
    expect((await readFile(copy)).equals(await readFile(file))).toBe(true);
  });

  it('sees divergence through history: both copies descend from revision 1 along different lines', async () => {
    const { me, alice, file, r1, r2 } = await sharedFile();
    // Alice restores revision 1 (from history) and builds on it; I keep building on revision 2.
    const aliceBase = await alice.openDashboard({ path: file });
    const alice3 = await alice.saveDashboard({ path: file, text: edit(r1.text, { owner: 'alice' }), baseDiskHash: aliceBase.diskHash, savedBy: 'alice' });
    expect(revisionOf(alice3.text).parentHash).toBe(r1.contentHash);
    const err = await hostErrorOf(me.saveDashboard({ path: file, text: edit(r2.text, { description: 'mine' }), baseDiskHash: r2.diskHash }));
    expect(err.conflict?.diverged).toBe(true);
    expect(err.message).toMatch(/Both copies were made from revision 1: they diverged\.$/);
  });

  it('describes a file changed outside Northstar without a revision', async () => {
    const { me, file, r2 } = await sharedFile();
    await writeFile(file, '{ "hand": "edited" }\n');
    const err = await hostErrorOf(me.saveDashboard({ path: file, text: edit(r2.text, { title: 'x' }), baseDiskHash: r2.diskHash }));
    expect(err.conflict).toEqual({ disk: null, diverged: false });
    expect(err.message).toMatch(/^"customer-kpis\.dashboard\.json" changed on disk since you opened it \(modified \d{4}-\d\d-\d\d \d\d:\d\d\)\./);
  });

  it('reports a file deleted since it was opened as a conflict', async () => {
    const { me, file, r2 } = await sharedFile();
    await rm(file);
    const err = await hostErrorOf(me.saveDashboard({ path: file, text: r2.text, baseDiskHash: r2.diskHash }));
    expect(err.code).toBe('conflict');
    expect(err.conflict).toEqual({ disk: null, diverged: false });
    expect(err.message).toMatch(/no longer on disk/);
  });

  it('overwrites with force, numbering after the larger of the two revisions', async () => {
    const { me, alice, file, r2 } = await sharedFile();
    const aliceOpened = await alice.openDashboard({ path: file });
    const alice3 = await alice.saveDashboard({ path: file, text: edit(aliceOpened.text, { owner: 'alice' }), baseDiskHash: aliceOpened.diskHash, savedBy: 'alice' });
    const forced = await me.saveDashboard({ path: file, text: edit(r2.text, { description: 'mine wins' }), baseDiskHash: r2.diskHash, force: true, savedBy: 'me' });
    const r = revisionOf(forced.text);
    expect(r).toMatchObject({ number: 4, parentHash: r2.contentHash, savedBy: 'me' });
    expect(await readFile(file, 'utf8')).toBe(forced.text);
    // Both lines are in the history.
    const list = await me.listRevisions({ path: file });
    expect(list.map((x) => x.number)).toEqual([4, 3, 2, 1]);
    expect(list.map((x) => x.contentHash)).toContain(alice3.contentHash);
    expect(list[0]?.summary).toBe('description changed');
  });

  it('saves a copy to a new path with baseDiskHash null, and refuses one onto an existing file', async () => {
    const { me, file, r2 } = await sharedFile();
    const copy = path.join(path.dirname(file), 'copy.dashboard.json');
    const saved = await me.saveDashboard({ path: copy, text: edit(r2.text, { title: 'Copy' }), baseDiskHash: null });
    // A copy next to the original starts its own history (see 'saveDashboard: copies').
    expect(saved.revisionNumber).toBe(1);
    expect(await readFile(copy, 'utf8')).toBe(saved.text);

    const other = path.join(path.dirname(file), 'other.dashboard.json');
    await writeFile(other, sampleText({ title: 'Someone else' }));
    const err = await hostErrorOf(me.saveDashboard({ path: other, text: r2.text, baseDiskHash: null }));
    expect(err.code).toBe('conflict');
    expect(err.conflict).toEqual({ disk: null, diverged: true });
    expect(await readFile(other, 'utf8')).toBe(sampleText({ title: 'Someone else' }));
    const onto = await hostErrorOf(me.saveDashboard({ path: file, text: r2.text, baseDiskHash: null }));
    expect(onto.code).toBe('conflict');
    expect(onto.conflict?.disk?.number).toBe(2);
  });
});

describe('saveDashboard: copies', () => {
  /** The original saved twice (revisions 1 and 2), as "me" has it open. */
  async function original() {
    const { api } = await services('me');
    const file = path.join(await workDir(), 'customer-kpis.dashboard.json');
    const r1 = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null, savedBy: 'me' });
    const r2 = await api.saveDashboard({ path: file, text: edit(r1.text, { title: 'v2' }), baseDiskHash: r1.diskHash, savedBy: 'me' });
    return { api, file, r2, copy: path.join(path.dirname(file), 'customer-kpis (copy).dashboard.json') };
  }
  const idOf = (text: string) => (JSON.parse(text) as { id: string }).id;

  it('a copy saved next to the original starts its own history and never appends to the original\'s', async () => {
    const { api, file, r2, copy } = await original();
    const before = await historyNames(file);
    const saved = await api.saveDashboard({ path: copy, text: r2.text, baseDiskHash: null, savedBy: 'me' });
    const copyId = idOf(saved.text);
    expect(copyId).not.toBe(SAMPLE_ID);
    expect(copyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(revisionOf(saved.text)).toMatchObject({ number: 1, parentHash: null, message: `Saved as a copy of revision 2 of dashboard ${SAMPLE_ID}` });
    expect(saved.revisionNumber).toBe(1);

    // The copy's next save is its revision 2, in its own folder; the original's history is as it was.
    const again = await api.saveDashboard({ path: copy, text: edit(saved.text, { title: 'copy v2' }), baseDiskHash: saved.diskHash, savedBy: 'me' });
    expect(again.revisionNumber).toBe(2);
    expect(await historyNames(file)).toEqual(before);
    expect((await readdir(historyFolder(copy, copyId) as string)).length).toBe(2);
    expect((await api.listRevisions({ path: copy })).map((r) => [r.number, r.summary])).toEqual([
      [2, 'title changed'],
      [1, 'first revision'],
    ]);
    expect((await api.listRevisions({ path: file })).map((r) => r.number)).toEqual([2, 1]);
    // And the original goes on where it was.
    const r3 = await api.saveDashboard({ path: file, text: edit(r2.text, { title: 'v3' }), baseDiskHash: r2.diskHash });
    expect(r3.revisionNumber).toBe(3);
    expect(idOf(r3.text)).toBe(SAMPLE_ID);
  });

  it('a copy of a dashboard with no history yet gets its own id too', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'fresh.dashboard.json');
    await writeFile(file, sampleText()); // never saved by Northstar: no revision, no history
    const { api } = await services('me');
    const opened = await api.openDashboard({ path: file });
    const saved = await api.saveDashboard({ path: path.join(dir, 'fresh (copy).dashboard.json'), text: opened.text, baseDiskHash: null });
    expect(idOf(saved.text)).not.toBe(SAMPLE_ID);
    expect(revisionOf(saved.text)).toMatchObject({ number: 1, parentHash: null, message: `Saved as a copy of dashboard ${SAMPLE_ID}` });
  });

  it('keeps the id of a file written back where it was (deleted since it was opened), and of a copy in another folder', async () => {
    const { api, file, r2 } = await original();
    await rm(file);
    const back = await api.saveDashboard({ path: file, text: edit(r2.text, { title: 'back' }), baseDiskHash: null, force: true });
    expect(idOf(back.text)).toBe(SAMPLE_ID);
    expect(back.revisionNumber).toBe(3);
    const elsewhere = await api.saveDashboard({ path: path.join(await workDir(), 'moved.dashboard.json'), text: back.text, baseDiskHash: null });
    expect(idOf(elsewhere.text)).toBe(SAMPLE_ID);
  });

  it('a copy of trusted SQL stays trusted although its id, and so its content hash, changed', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'sql.dashboard.json');
    const { api } = await services('me');
    const sql = sampleText({ datasets: [...(sampleDashboard().datasets as unknown[]), { name: 'custom', kind: 'sql', sql: 'SELECT 1 AS x', measures: [], dimensions: [], hierarchies: [] }] });
    await writeFile(file, sql);
    const opened = await api.openDashboard({ path: file });
    await api.trustDashboard({ contentHash: opened.contentHash as string });
    const saved = await api.saveDashboard({ path: file, text: opened.text, baseDiskHash: opened.diskHash });
    const copy = await api.saveDashboard({ path: path.join(dir, 'sql (copy).dashboard.json'), text: saved.text, baseDiskHash: null });
    expect(idOf(copy.text)).not.toBe(SAMPLE_ID);
    expect(copy.trusted).toBe(true);
  });
});

describe('saveDashboard: validation', () => {
  it('refuses an invalid document, naming the problem, and leaves the file on disk untouched', async () => {
    const { api } = await services();
    const dir = await workDir();
    const file = path.join(dir, 'kpis.dashboard.json');
    const saved = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null });
    const before = await readFile(file);
    const broken = [
      edit(saved.text, { title: '' }),
      edit(saved.text, { layout: [{ panel: 'nope', x: 0, y: 0, w: 3, h: 2 }] }),
      '{ not json',
      '{"type":"something else"}',
    ];
    for (const text of broken) {
      const err = await hostErrorOf(api.saveDashboard({ path: file, text, baseDiskHash: saved.diskHash }));
      expect(err.code).toBe('badRequest');
      expect(err.message).toMatch(/^Not saved: the dashboard is not valid\. /);
    }
    const titleErr = await hostErrorOf(api.saveDashboard({ path: file, text: broken[0] as string, baseDiskHash: saved.diskHash }));
    expect(titleErr.message).toMatch(/\$\.title/);
    expect((await readFile(file)).equals(before)).toBe(true);
    expect((await readdir(dir)).filter((n) => n !== '.northstar')).toEqual(['kpis.dashboard.json']);
    expect(await historyNames(file)).toHaveLength(1);
  });

  it('refuses a text the loader would have to repair, instead of silently dropping part of it', async () => {
    const { api } = await services();
    const file = path.join(await workDir(), 'kpis.dashboard.json');
    // The loader drops a "constructor" key with a warning (it could pollute prototypes later on).
    const text = edit(sampleText(), { constructor: 'x' });
    const repaired = loadDashboard(text);
    expect(repaired.ok && repaired.warnings.length > 0).toBe(true);
    const err = await hostErrorOf(api.saveDashboard({ path: file, text, baseDiskHash: null }));
    expect(err.code).toBe('badRequest');
    expect(err.message).toMatch(/constructor/);
    await expect(stat(file)).rejects.toThrow();
  });

  it('only saves .json files', async () => {
    const { api } = await services();
    const err = await hostErrorOf(api.saveDashboard({ path: path.join(await workDir(), 'x.txt'), text: sampleText(), baseDiskHash: null }));
    expect(err.code).toBe('badRequest');
  });

  it('runs two saves of one file one after the other: the second sees the first and conflicts', async () => {
    const { api } = await services();
    const file = path.join(await workDir(), 'race.dashboard.json');
    const results = await Promise.allSettled([
      api.saveDashboard({ path: file, text: sampleText({ title: 'A' }), baseDiskHash: null }),
      api.saveDashboard({ path: file, text: sampleText({ title: 'B' }), baseDiskHash: null }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
  });
});

describe('openDashboard', () => {
  it('returns the text, the hash of its bytes, the content hash, and whether it is trusted', async () => {
    const { api } = await services();
    const dir = await workDir();
    const file = path.join(dir, 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    const opened = await api.openDashboard({ path: file });
    expect(opened).toMatchObject({ path: file, text: sampleText(), diskHash: sha256(sampleText()), trusted: false });
    expect(opened.contentHash).toMatch(/^[0-9a-f]{64}$/);

    const notADashboard = path.join(dir, 'notes.json');
    await writeFile(notADashboard, '{"hello": 1}');
    expect(await api.openDashboard({ path: notADashboard })).toMatchObject({ contentHash: null, trusted: false, diskHash: sha256('{"hello": 1}') });
    expect((await hostErrorOf(api.openDashboard({ path: path.join(dir, 'missing.json') }))).code).toBe('notFound');
  });

  it('imports a revision received from elsewhere into history, so history always holds the current revision', async () => {
    const { api } = await services('sender');
    const saved = await api.saveDashboard({ path: path.join(await workDir(), 'kpis.dashboard.json'), text: sampleText(), baseDiskHash: null });
    // "Received by email": the file alone, in a folder with no history.
    const received = path.join(await workDir(), 'kpis.dashboard.json');
    await writeFile(received, saved.text);
    const { api: receiver } = await services('receiver');
    const opened = await receiver.openDashboard({ path: received });
    expect(opened.trusted).toBe(false);
    expect(opened.contentHash).toBe(saved.contentHash);
    expect(await historyNames(received)).toEqual([`000001-${saved.contentHash.slice(0, 12)}.json`]);
    expect((await receiver.readRevision({ path: received, contentHash: saved.contentHash })).text).toBe(saved.text);
  });

  it('does not trust or import a file edited by hand after its last save (its revision block is stale)', async () => {
    const me = await services();
    const file = path.join(await workDir(), 'kpis.dashboard.json');
    const saved = await me.api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null });
    const handEdited = saved.text.replace('"title": "Customer KPIs"', '"title": "Tampered"');
    expect(handEdited).not.toBe(saved.text);
    const elsewhere = path.join(await workDir(), 'kpis.dashboard.json');
    await writeFile(elsewhere, handEdited);
    const opened = await me.api.openDashboard({ path: elsewhere });
    expect(opened.contentHash).not.toBe(saved.contentHash);
    expect(opened.trusted).toBe(false);
    await expect(readdir(historyFolder(elsewhere, SAMPLE_ID) as string)).rejects.toThrow();
    // Saving it makes a new revision on top of the one it claims to come from.
    const resaved = await me.api.saveDashboard({ path: elsewhere, text: opened.text, baseDiskHash: opened.diskHash });
    expect(revisionOf(resaved.text)).toMatchObject({ number: 2, parentHash: saved.contentHash, contentHash: opened.contentHash });
  });

  it('removes stale temp files of interrupted saves from the folder, and only those', async () => {
    const { api } = await services();
    const dir = await workDir();
    const file = path.join(dir, 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    const stale = path.join(dir, '.kpis.dashboard.json.0123456789ab.northstar-tmp');
    const fresh = path.join(dir, '.kpis.dashboard.json.ba9876543210.northstar-tmp');
    await writeFile(stale, '{ "partial');
    await writeFile(fresh, '{ "partial');
    const old = new Date(Date.now() - 24 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    await api.openDashboard({ path: file });
    expect((await readdir(dir)).sort()).toEqual(['.kpis.dashboard.json.ba9876543210.northstar-tmp', 'kpis.dashboard.json']);
  });

  it('opens the bundled demo (an older schema version, no revision yet)', async () => {
    const { api } = await services();
    const opened = await api.openDashboard({});
    expect(opened.path).toBe(DEMO_DASHBOARD_PATH);
    expect(opened.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(opened.trusted).toBe(false);
  });
});

describe('trust', () => {
  it('trusts what this machine saved, and what the user trusted, across restarts', async () => {
    const { api, home } = await services();
    const dir = await workDir();
    const file = path.join(dir, 'kpis.dashboard.json');
    const saved = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null });
    expect((await api.openDashboard({ path: file })).trusted).toBe(true);

    const received = path.join(dir, 'received.dashboard.json');
    await writeFile(received, sampleText({ title: 'From someone' }));
    const opened = await api.openDashboard({ path: received });
    expect(opened.trusted).toBe(false);
    await api.trustDashboard({ contentHash: opened.contentHash as string });

    const restarted = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: home });
    expect((await restarted.openDashboard({ path: received })).trusted).toBe(true);
    expect((await restarted.openDashboard({ path: file })).trusted).toBe(true);
    expect(saved.contentHash).toBe((await restarted.openDashboard({ path: file })).contentHash);
  });

  it('treats a corrupt trust store as empty and keeps working', async () => {
    const { api, home } = await services();
    await writeFile(path.join(home, TRUST_FILE_NAME), '{"type": "northstar.trusted-dash');
    const file = path.join(await workDir(), 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    const opened = await api.openDashboard({ path: file });
    expect(opened.trusted).toBe(false);
    await api.trustDashboard({ contentHash: opened.contentHash as string });
    expect((await api.openDashboard({ path: file })).trusted).toBe(true);
  });

  it('defaults its home to $NORTHSTAR_HOME, else ~/.northstar', () => {
    const saved = process.env.NORTHSTAR_HOME;
    try {
      process.env.NORTHSTAR_HOME = '/some/where';
      expect(defaultHomeDir()).toBe('/some/where');
      delete process.env.NORTHSTAR_HOME;
      expect(defaultHomeDir()).toBe(path.join(os.homedir(), '.northstar'));
    } finally {
      if (saved === undefined) delete process.env.NORTHSTAR_HOME;
      else process.env.NORTHSTAR_HOME = saved;
    }
  });
});

describe('connectSource (unchanged behaviour)', () => {
  it('mounts a local source relative to an opened dashboard and HEADs it; refuses for a dashboard not opened', async () => {
    const { api } = await services();
    const dir = await workDir();
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data', 'orders.parquet'), Buffer.alloc(1234, 7));
    const file = path.join(dir, 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    const source = { name: 'orders', kind: 'file' as const, path: 'data/orders.parquet', format: 'parquet' as const };

    const refused = await hostErrorOf(api.connectSource({ dashboardPath: file, source }));
    expect(refused.code).toBe('badRequest');

    await api.openDashboard({ path: file });
    const connected = await api.connectSource({ dashboardPath: file, source });
    expect(connected).toMatchObject({ name: 'orders', sizeBytes: 1234, location: path.join(dir, 'data', 'orders.parquet') });
    expect(connected.url.startsWith(gateway.origin)).toBe(true);
    expect(connected.urls).toEqual([connected.url]);
  });
});

describe('connectSource and listSourceObjects: many files, URLs', () => {
  let s3: S3Fixture;
  let web: http.Server;
  let webOrigin: string;
  const BODY = Buffer.alloc(321, 5);

  beforeAll(async () => {
    s3 = await startS3Fixture();
    await s3.createBucket('lake');
    await s3.putObject('lake', 'orders/year=2024/part-0.parquet', Buffer.alloc(100, 1));
    await s3.putObject('lake', 'orders/year=2025/part-0.parquet', Buffer.alloc(200, 2));
    await s3.putObject('lake', 'orders/year=2025/part-1.parquet', Buffer.alloc(300, 3));
    await s3.putObject('lake', 'orders/year=2025/_SUCCESS', '');
    web = http.createServer((req, res) => {
      if (req.url !== '/data/orders.parquet') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('Content-Length', String(BODY.length));
      res.end(req.method === 'HEAD' ? undefined : BODY);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webOrigin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    destroyS3Clients();
    await s3?.stop();
    await new Promise<void>((resolve) => web?.close(() => resolve()));
  });

  async function opened(): Promise<{ api: HostApi; dir: string; file: string }> {
    const { api } = await services();
    const dir = await workDir();
    const file = path.join(dir, 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    await api.openDashboard({ path: file });
    return { api, dir, file };
  }

  const s3Source = (uri: string) => ({ name: 'orders', kind: 's3' as const, uri, endpoint: s3.endpoint, region: s3.region, pathStyle: true, format: 'parquet' as const });
  const s3Keys = () => ({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  // The user enters the source in Data sources (what the renderer does before running it): that approves it.
  const typeIn = async (api: HostApi, file: string, source: Source, keys?: AccessKeys) => {
    await api.listSourceObjects({ dashboardPath: file, source, typedByUser: true, ...(keys ? { keys } : {}) }).catch(() => undefined);
  };

  it('mounts every object of an S3 glob: urls in key order, url = urls[0], size = the sum', async () => {
    const { api, file } = await opened();
    await typeIn(api, file, s3Source('s3://lake/orders/*/*.parquet'), s3Keys());
    const connected = await api.connectSource({ dashboardPath: file, source: s3Source('s3://lake/orders/*/*.parquet'), keys: s3Keys() });
    expect(connected.urls).toHaveLength(3);
    expect(connected.url).toBe(connected.urls[0]);
    expect(connected.sizeBytes).toBe(600);
    expect(connected.location).toBe(`s3://lake/orders/*/*.parquet at ${s3.endpoint}`);
    // Partition folders stay in the URL, so DuckDB's hive_partitioning could read them.
    expect(connected.urls.map((u) => u.split('/').slice(-2).join('/'))).toEqual(['year=2024/part-0.parquet', 'year=2025/part-0.parquet', 'year=2025/part-1.parquet']);
    const bytes = await Promise.all(connected.urls.map(async (u) => (await fetch(u)).arrayBuffer()));
    expect(bytes.map((b) => b.byteLength)).toEqual([100, 200, 300]);
  });

  it("probes a single Parquet object with one GET of its tail (the footer's read follows), a CSV one with a HEAD", async () => {
    const { api, file } = await opened();
    await s3.putObject('lake', 'single/orders.csv', 'a,b\n1,2\n');
    const parquet = s3Source('s3://lake/orders/year=2025/part-1.parquet');
    const csv = { ...s3Source('s3://lake/single/orders.csv'), format: 'csv' as const };
    for (const source of [parquet, csv]) await typeIn(api, file, source, s3Keys());
    s3.requests.length = 0;
    const connected = await api.connectSource({ dashboardPath: file, source: parquet, keys: s3Keys() });
    expect(connected.sizeBytes).toBe(300);
    expect(s3.requests.map((r) => [r.method, r.range])).toEqual([['GET', 'bytes=-524288']]);
    expect(new Uint8Array(await (await fetch(connected.url, { headers: { range: 'bytes=-8' } })).arrayBuffer())).toEqual(new Uint8Array(8).fill(3));
    expect(s3.requests).toHaveLength(1);

    s3.requests.length = 0;
    expect((await api.connectSource({ dashboardPath: file, source: csv, keys: s3Keys() })).sizeBytes).toBe(8);
    expect(s3.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('reads a prefix as every object of the format under it, and remembers typed keys for the listing', async () => {
    const { api, file } = await opened();
    const source = s3Source('s3://lake/orders/');
    await typeIn(api, file, s3Source('s3://lake/orders/*/*.parquet'));
    const connected = await api.connectSource({ dashboardPath: file, source, keys: s3Keys() });
    expect(connected.urls).toHaveLength(3);
    // No keys this time: the ones typed for this source are remembered for the session.
    const listing = await api.listSourceObjects({ dashboardPath: file, source });
    expect(listing).toEqual({
      objects: [
        { location: 's3://lake/orders/year=2024/part-0.parquet', sizeBytes: 100 },
        { location: 's3://lake/orders/year=2025/part-0.parquet', sizeBytes: 200 },
        { location: 's3://lake/orders/year=2025/part-1.parquet', sizeBytes: 300 },
      ],
      truncated: false,
      count: 3,
      totalBytes: 600,
      location: `s3://lake/orders/ at ${s3.endpoint}`,
    });
  });

  it('forgets the keys typed for a source: gone from the session and from the credentials file on disk', async () => {
    const home = await workDir();
    // A stand-in for safeStorage (XOR, reversible): what matters here is what stays on disk.
    const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
    const credentials = new CredentialStore(home, { availability: () => ({ ok: true }), encrypt: (plain) => xor(Buffer.from(plain, 'utf8')), decrypt: (c) => xor(c).toString('utf8') });
    const api = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: home, credentials });
    const dir = await workDir();
    const file = path.join(dir, 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    await api.openDashboard({ path: file });
    const source = s3Source('s3://lake/orders/*/*.parquet');
    await typeIn(api, file, source, s3Keys());
    const stored = JSON.parse(await readFile(credentials.file, 'utf8')) as { entries: Record<string, string> };
    expect(Object.keys(stored.entries)).toHaveLength(1);
    expect(await api.forgetSourceKeys({ source })).toEqual({ forgotten: true });
    const after = await readFile(credentials.file, 'utf8');
    expect(JSON.parse(after)).toMatchObject({ entries: {} });
    expect(after).not.toContain(Object.values(stored.entries)[0]);
    // A new session finds nothing to recall; forgetting again finds nothing; other kinds of source have no keys.
    expect(await new CredentialStore(home, null).forget(Object.keys(stored.entries)[0] as string)).toBe(false);
    expect(await api.forgetSourceKeys({ source })).toEqual({ forgotten: false });
    expect(await api.forgetSourceKeys({ source: { name: 'orders', kind: 'file', path: 'data/orders.parquet', format: 'parquet' } })).toEqual({ forgotten: false });
  });

  it('names the source and the pattern when nothing matches', async () => {
    const { api, file } = await opened();
    await typeIn(api, file, s3Source('s3://lake/orders/*/*.csv'), s3Keys());
    const err = await hostErrorOf(api.connectSource({ dashboardPath: file, source: s3Source('s3://lake/orders/*/*.csv'), keys: s3Keys() }));
    expect(err.code).toBe('notFound');
    expect(err.message).toBe(`Data source "orders": No object matches s3://lake/orders/*/*.csv at ${s3.endpoint}.`);
  });

  it('mounts a local glob inside the dashboard folder; outside it only once the user typed it', async () => {
    const { api, dir, file } = await opened();
    await mkdir(path.join(dir, 'data', 'y=1'), { recursive: true });
    await writeFile(path.join(dir, 'data', 'y=1', 'a.parquet'), Buffer.alloc(10));
    await writeFile(path.join(dir, 'data', 'y=1', 'b.parquet'), Buffer.alloc(20));
    const local = { name: 'orders', kind: 'file' as const, path: 'data/*/*.parquet', format: 'parquet' as const };
    const connected = await api.connectSource({ dashboardPath: file, source: local });
    expect(connected).toMatchObject({ sizeBytes: 30, location: path.join(dir, 'data', '*', '*.parquet') });
    expect(connected.urls.map((u) => u.split('/').slice(-2).join('/'))).toEqual(['y=1/a.parquet', 'y=1/b.parquet']);

    const elsewhere = await workDir();
    await writeFile(path.join(elsewhere, 'c.parquet'), Buffer.alloc(5));
    const away = { ...local, path: path.join(elsewhere, '*.parquet') };
    const refused = await hostErrorOf(api.connectSource({ dashboardPath: file, source: away }));
    expect(refused.code).toBe('accessDenied');
    expect(refused.message).toContain("outside the dashboard's folder");
    const listing = await api.listSourceObjects({ dashboardPath: file, source: away, typedByUser: true });
    expect(listing).toMatchObject({ count: 1, totalBytes: 5 });
    expect((await api.connectSource({ dashboardPath: file, source: away })).sizeBytes).toBe(5);
  });

  it('proxies a URL source and lists it as one object', async () => {
    const { api, file } = await opened();
    const source = { name: 'orders', kind: 'url' as const, url: `${webOrigin}/data/orders.parquet`, format: 'parquet' as const };
    await typeIn(api, file, source);
    await typeIn(api, file, { ...source, url: `${webOrigin}/nope.parquet` });
    const connected = await api.connectSource({ dashboardPath: file, source });
    expect(connected).toMatchObject({ sizeBytes: 321, location: `${webOrigin}/data/orders.parquet` });
    expect(connected.url.startsWith(`${gateway.origin}/`)).toBe(true);
    expect(Buffer.from(await (await fetch(connected.url)).arrayBuffer()).equals(BODY)).toBe(true);
    expect(await api.listSourceObjects({ dashboardPath: file, source })).toEqual({
      objects: [{ location: `${webOrigin}/data/orders.parquet`, sizeBytes: 321 }],
      truncated: false,
      count: 1,
      totalBytes: 321,
      location: `${webOrigin}/data/orders.parquet`,
    });
    const missing = await hostErrorOf(api.connectSource({ dashboardPath: file, source: { ...source, url: `${webOrigin}/nope.parquet` } }));
    expect(missing.code).toBe('notFound');
    expect(missing.message).toMatch(/^Data source "orders": Nothing at http/);
  });

  it('a file from elsewhere: its S3 and URL sources are refused until the user allows them, and the endpoint is never contacted', async () => {
    // A gateway of its own: approvals last a session, and the other tests approved this bucket.
    const fresh = await DataGateway.start();
    const api = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway: fresh, homeDir: await workDir() });
    const file = path.join(await workDir(), 'kpis.dashboard.json');
    await writeFile(file, sampleText());
    await api.openDashboard({ path: file });
    const before = s3.requests.length;
    const bucket = s3Source('s3://lake/orders/*/*.parquet');
    for (const source of [bucket, { name: 'orders', kind: 'url' as const, url: `${webOrigin}/data/orders.parquet`, format: 'parquet' as const }]) {
      const refused = await hostErrorOf(api.connectSource({ dashboardPath: file, source }));
      expect(refused.code).toBe('accessDenied');
      expect(refused.message).toMatch(/^Data source "orders": .* is not approved on this machine: the dashboard was not saved or trusted here\. Check the source in Data sources and choose "Allow" to read it\.$/);
      expect((await hostErrorOf(api.listSourceObjects({ dashboardPath: file, source }))).code).toBe('accessDenied');
    }
    expect(s3.requests.length).toBe(before);
    // Allowing (the dialog's "Allow" enters the source as typed) approves exactly that bucket.
    await typeIn(api, file, bucket, s3Keys());
    expect((await api.connectSource({ dashboardPath: file, source: bucket, keys: s3Keys() })).urls).toHaveLength(3);
    await fresh.close();
  });

  it('a dashboard saved here reads its declared S3 source after a restart with no extra click', async () => {
    const { api, home } = await services();
    const dir = await workDir();
    const file = path.join(dir, 'lake.dashboard.json');
    const source = s3Source('s3://lake/orders/*/*.parquet');
    const doc = { ...sampleDashboard(), sources: [source], datasets: [{ name: 'orders', kind: 'table', source: 'orders', measures: [], dimensions: [], hierarchies: [] }], panels: [], layout: [] };
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    const first = await api.openDashboard({ path: file });
    await typeIn(api, file, source, s3Keys());
    await api.saveDashboard({ path: file, text: first.text, baseDiskHash: first.diskHash });

    const freshGateway = await DataGateway.start();
    const restarted = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway: freshGateway, homeDir: home });
    const reopened = await restarted.openDashboard({ path: file });
    expect(reopened.trusted).toBe(true);
    expect((await restarted.connectSource({ dashboardPath: file, source, keys: s3Keys() })).urls).toHaveLength(3);
    // A source the file does not declare is not approved by the file's trust.
    const other = await hostErrorOf(restarted.connectSource({ dashboardPath: file, source: { ...source, uri: 's3://other-bucket/x.parquet' } }));
    expect(other.message).toContain('is not approved on this machine');
    await freshGateway.close();
  });

  describe('probes made ahead: at start (probeSourcesOf), and when a dashboard opens', () => {
    const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
    const cipher = { availability: () => ({ ok: true as const }), encrypt: (plain: string) => xor(Buffer.from(plain, 'utf8')), decrypt: (c: Buffer) => xor(c).toString('utf8') };
    const single = (key: string) => s3Source(`s3://lake/${key}`);

    /** A dashboard reading `source`, saved here in an earlier session with the keys typed for it (so trusted, keys stored). */
    async function savedEarlier(source: Source): Promise<{ home: string; file: string }> {
      const home = await workDir();
      const earlier = await DataGateway.start();
      const api = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway: earlier, homeDir: home, credentials: new CredentialStore(home, cipher) });
      const file = path.join(await workDir(), 'lake.dashboard.json');
      const doc = { ...sampleDashboard(), sources: [source], datasets: [{ name: 'orders', kind: 'table', source: 'orders', measures: [], dimensions: [], hierarchies: [] }], panels: [], layout: [] };
      await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
      const opened = await api.openDashboard({ path: file });
      await typeIn(api, file, source, s3Keys());
      await api.saveDashboard({ path: file, text: opened.text, baseDiskHash: opened.diskHash });
      await earlier.close();
      return { home, file };
    }

    /** A new session on `home`; with `probeAtStart`, its host names `file` as the first window's. */
    async function startedWith(home: string, file: string, probeAtStart = true): Promise<{ api: HostApi; close: () => Promise<void> }> {
      const fresh = await DataGateway.start();
      const api = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway: fresh, homeDir: home, credentials: new CredentialStore(home, cipher), ...(probeAtStart ? { probeSourcesOf: file } : {}) });
      return { api, close: () => fresh.close() };
    }

    async function requestsSettle(): Promise<void> {
      // The probe runs in the background; it is one request, answered in milliseconds on loopback.
      for (let seen = -1; seen !== s3.requests.length; ) {
        seen = s3.requests.length;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }

    it("a trusted dashboard's single Parquet source is probed (footer included) before the window asks; its connectSource takes that answer", async () => {
      const source = single('orders/year=2025/part-0.parquet');
      const { home, file } = await savedEarlier(source);
      s3.requests.length = 0;
      const { api, close } = await startedWith(home, file);
      await requestsSettle();
      expect(s3.requests.map((r) => [r.method, r.range])).toEqual([['GET', 'bytes=-524288']]);
      await api.openDashboard({ path: file });
      const connected = await api.connectSource({ dashboardPath: file, source });
      expect(connected.sizeBytes).toBe(200);
      expect(new Uint8Array(await (await fetch(connected.url, { headers: { range: 'bytes=-4' } })).arrayBuffer())).toEqual(new Uint8Array(4).fill(2));
      expect(s3.requests).toHaveLength(1);
      // Taken once: a later connect (a reload) probes again.
      await api.connectSource({ dashboardPath: file, source });
      expect(s3.requests.map((r) => r.method)).toEqual(['GET', 'HEAD']);
      await close();
    });

    it('opening a dashboard probes its trusted source while the reply travels; connectSource takes that answer', async () => {
      const source = single('orders/year=2025/part-1.parquet');
      const { home, file } = await savedEarlier(source);
      const { api, close } = await startedWith(home, file, false);
      await requestsSettle();
      s3.requests.length = 0;
      await api.openDashboard({ path: file });
      await requestsSettle();
      expect(s3.requests.map((r) => [r.method, r.range])).toEqual([['GET', 'bytes=-524288']]);
      expect((await api.connectSource({ dashboardPath: file, source })).sizeBytes).toBe(300);
      expect(s3.requests).toHaveLength(1);
      await close();
    });

    it('a failed probe at start is not reused: the window\'s connectSource asks again', async () => {
      const source = single('later/orders.parquet');
      const { home, file } = await savedEarlier(source);
      s3.requests.length = 0;
      const { api, close } = await startedWith(home, file);
      await requestsSettle();
      // The GET of its tail, then the HEAD whose answer explains the failure (the bucket's HEAD tells which is missing).
      expect(s3.requests.filter((r) => r.path.includes('later/orders.parquet')).map((r) => [r.method, r.status])).toEqual([
        ['GET', 404],
        ['HEAD', 404],
      ]);
      await s3.putObject('lake', 'later/orders.parquet', Buffer.alloc(50, 7));
      await api.openDashboard({ path: file });
      expect((await api.connectSource({ dashboardPath: file, source })).sizeBytes).toBe(50);
      await close();
    });

    it('a dashboard not trusted here is not probed, at start or when opened: S3 hears nothing until the user allows its source', async () => {
      const source = single('orders/year=2025/part-0.parquet');
      const { home, file } = await savedEarlier(source);
      // Someone else's edit: the content is no longer the one trusted here.
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace('"title": "', '"title": "Edited: '));
      s3.requests.length = 0;
      const { api, close } = await startedWith(home, file);
      await requestsSettle();
      expect(s3.requests).toEqual([]);
      await api.openDashboard({ path: file });
      expect((await hostErrorOf(api.connectSource({ dashboardPath: file, source }))).code).toBe('accessDenied');
      await requestsSettle();
      expect(s3.requests).toEqual([]);
      await close();
    });
  });

  it('refuses both for a dashboard not opened in this session', async () => {
    const { api } = await services();
    const source = s3Source('s3://lake/orders/');
    expect((await hostErrorOf(api.listSourceObjects({ dashboardPath: '/nowhere/x.dashboard.json', source }))).code).toBe('badRequest');
  });
});

describe('trust of SQL on save', () => {
  const withSql = () =>
    sampleText({
      datasets: [
        ...(sampleDashboard().datasets as unknown[]),
        { name: 'custom', kind: 'sql', sql: 'SELECT 1 AS x', measures: [], dimensions: [], hierarchies: [] },
      ],
    });

  it('saving a file with unreviewed SQL does not trust it; trusting it first does', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'shared.dashboard.json');
    await writeFile(file, withSql());
    const { api } = await services('reader');

    const opened = await api.openDashboard({ path: file });
    expect(opened.trusted).toBe(false);
    const saved = await api.saveDashboard({ path: file, text: edit(opened.text, { title: 'Renamed' }), baseDiskHash: opened.diskHash });
    expect(saved.trusted).toBe(false);
    expect((await api.openDashboard({ path: file })).trusted).toBe(false);

    const again = await api.openDashboard({ path: file });
    await api.trustDashboard({ contentHash: again.contentHash as string });
    const saved2 = await api.saveDashboard({ path: file, text: edit(again.text, { title: 'Renamed again' }), baseDiskHash: again.diskHash });
    expect(saved2.trusted).toBe(true);
    expect((await api.openDashboard({ path: file })).trusted).toBe(true);
  });

  it('a dashboard without SQL is trusted when saved', async () => {
    const file = path.join(await workDir(), 'plain.dashboard.json');
    const { api } = await services('author');
    const saved = await api.saveDashboard({ path: file, text: sampleText(), baseDiskHash: null });
    expect(saved.trusted).toBe(true);
  });
});

describe('trust is keyed by the content as loaded (migrated, restored), not by the bytes', () => {
  const sqlDataset = (sql: string) => ({ name: 'custom', kind: 'sql', sql, measures: [], dimensions: [], hierarchies: [] });
  const withSql = (sql = 'SELECT 1 AS x', overrides: Record<string, unknown> = {}) =>
    sampleText({ datasets: [...(sampleDashboard().datasets as unknown[]), sqlDataset(sql)], ...overrides });
  const loadedOf = (text: string) => {
    const r = loadDashboard(text);
    if (!r.ok) throw new Error(r.error.message);
    return r.dashboard;
  };

  it('a file in an older schema, trusted once, stays trusted on reopen and after it is saved in the current schema', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'old.dashboard.json');
    // A v1 file (no owner, filters, checks, corrections; datasets without kind: table) with a hand-added SQL dataset.
    const v1 = JSON.parse(withSql()) as Record<string, unknown>;
    for (const key of ['owner', 'filters', 'checks', 'corrections']) delete v1[key];
    v1.schemaVersion = 1;
    v1.datasets = (v1.datasets as Record<string, unknown>[]).map(({ kind, ...d }) => (kind === 'table' ? d : { kind, ...d }));
    await writeFile(file, JSON.stringify(v1));
    const { api } = await services('reader');
    const opened = await api.openDashboard({ path: file });
    expect(opened.trusted).toBe(false);
    await api.trustDashboard({ contentHash: opened.contentHash as string });
    const reopened = await api.openDashboard({ path: file });
    expect(reopened).toMatchObject({ trusted: true, contentHash: opened.contentHash });
    const saved = await api.saveDashboard({ path: file, text: reopened.text, baseDiskHash: reopened.diskHash });
    expect(JSON.parse(saved.text)).toMatchObject({ schemaVersion: 2 });
    // The migration is part of the hash's input, not of the content: saving it changes no hash.
    expect(saved).toMatchObject({ trusted: true, contentHash: opened.contentHash });
    expect((await (await services('reader')).api.openDashboard({ path: file })).trusted).toBe(false); // another machine (home): not trusted
  });

  it('a crafted file trusted by that key runs exactly the trusted content; any change to what runs is untrusted', async () => {
    const dir = await workDir();
    const { api } = await services('reader');
    const trustedFile = path.join(dir, 'reviewed.dashboard.json');
    await writeFile(trustedFile, withSql());
    const reviewed = await api.openDashboard({ path: trustedFile });
    await api.trustDashboard({ contentHash: reviewed.contentHash as string });

    // Bytes that differ but load to the same content: other key order and spacing, a broken panel
    // the loader drops, a revision block claiming anything. What would run is what was reviewed.
    const crafted = JSON.parse(withSql()) as Record<string, unknown>;
    crafted.panels = [...(crafted.panels as unknown[]), { id: 'junk', kind: 'no-such-kind', sql: 'DROP TABLE x' }];
    crafted.revision = { number: 9, savedAt: '2020-01-01T00:00:00.000Z', savedBy: 'x', parentHash: null, contentHash: 'f'.repeat(64) };
    const craftedFile = path.join(dir, 'crafted.dashboard.json');
    await writeFile(craftedFile, JSON.stringify(crafted));
    const opened = await api.openDashboard({ path: craftedFile });
    expect(opened.contentHash).toBe(reviewed.contentHash);
    expect(opened.trusted).toBe(true);
    const { revision: _a, ...ran } = loadedOf(opened.text);
    const { revision: _b, ...was } = loadedOf(reviewed.text);
    expect(ran).toEqual(was);

    // Anything that changes what runs changes the key: the SQL (even by a space), a source, the id.
    for (const text of [withSql('SELECT 1 AS x '), withSql('SELECT 2 AS x'), withSql(undefined, { sources: [{ name: 'orders', kind: 'file', path: 'data/other.parquet', format: 'parquet' }] }), withSql(undefined, { id: '00000000-0000-4000-8000-000000000000' })]) {
      const other = path.join(dir, 'other.dashboard.json');
      await writeFile(other, text);
      const o = await api.openDashboard({ path: other });
      expect(o.contentHash).not.toBe(reviewed.contentHash);
      expect(o.trusted).toBe(false);
    }
  });
});

describe('the data cache: getCacheInfo and clearCache', () => {
  it('report what the gateway disk cache holds and what clearing freed; a host without one says so', async () => {
    const home = await mkdtemp(path.join(tmp, 'home-cache-'));
    // A previous session left 10,000 bytes (3 blocks of 4 KiB) of an object in the cache folder.
    const previous = new GatewayCache({ dir: path.join(home, 'cache', 'gateway'), blockBytes: 4096 });
    const bytes = Buffer.alloc(10_000, 7);
    for await (const part of previous.read({ id: 'url:https://example.org/a.parquet', etag: '"1"', size: bytes.length }, 0, bytes.length - 1, async (s, e) => Readable.from([bytes.subarray(s, e + 1)]))) void part;
    await previous.flush();

    const api = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: home, gatewayCacheMaxBytes: 50 * 1024 ** 2 });
    // Stored panel results count in the size shown and go with the same clear.
    const key = 'a'.repeat(64);
    await api.storePanelResults({ key, entry: { versions: [[{ object: 's3://bucket/a.parquet', version: 'etag "1" size 10000' }]], dataset: { columns: ['n'], newest: null, rowCount: 1 }, results: [{ sql: 'SELECT 1 AS n', result: { columns: [{ name: 'n', type: 'INTEGER' }], rows: [{ n: 1 }] } }] } });
    const resultsBytes = (await stat(path.join(home, 'cache', 'results', `${key}.json`))).size;
    expect((await api.readPanelResults({ key }))?.results[0]?.result.rows).toEqual([{ n: 1 }]);
    expect(await api.getCacheInfo()).toEqual({ enabled: true, bytes: 10_000, resultsBytes, maxBytes: 50 * 1024 ** 2 });
    expect(await api.clearCache()).toEqual({ enabled: true, freedBytes: 10_000, freedResultsBytes: resultsBytes });
    expect(await api.readPanelResults({ key })).toBeNull();
    expect(await api.getCacheInfo()).toEqual({ enabled: true, bytes: 0, resultsBytes: 0, maxBytes: 50 * 1024 ** 2 });
    expect(await readdir(path.join(home, 'cache', 'gateway'))).toEqual([]);
    expect(await api.clearCache()).toEqual({ enabled: true, freedBytes: 0, freedResultsBytes: 0 });

    const uncached = createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: home, gatewayCacheDir: null });
    gateway.useCache(null);
    expect(await uncached.getCacheInfo()).toEqual({ enabled: false, bytes: 0, maxBytes: 0 });
    expect(await uncached.clearCache()).toEqual({ enabled: false, freedBytes: 0 });
  });
});
