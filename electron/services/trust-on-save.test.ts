// Trust follows the user's own save: a hand-written dashboard with SQL and no revision block,
// trusted on this machine, then edited and saved, opens trusted again (also after a restart); SQL
// the user did not see (someone changed the file on disk in between) is never trusted by a save.
// Real host services over a real temp folder and trust store.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostApi } from '../api/host-api';
import { DataGateway } from './data-gateway';
import { createHostServices } from './host-services';
import { sampleDashboard, sampleText } from './testdata/sample-dashboards';

let tmp: string;
let gateway: DataGateway;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-trust-save-'));
  gateway = await DataGateway.start();
});

afterAll(async () => {
  await gateway.close();
  await rm(tmp, { recursive: true, force: true });
});

/** One app session of one user: the same home (trust store) across restarts. */
const session = (home: string): HostApi => createHostServices({ host: 'browser', appVersion: '0.0.0-test', gateway, homeDir: home, gatewayCacheDir: null, resultStoreDir: null });

/** A dashboard written by hand: an SQL dataset, no revision block. */
const handWritten = (sql: string) =>
  sampleText({ datasets: [...(sampleDashboard().datasets as unknown[]), { name: 'custom', kind: 'sql', sql, measures: [], dimensions: [], hierarchies: [] }] });

/** The text with one top-level field changed, as the editor would send it. */
const edited = (text: string, change: Record<string, unknown>) => JSON.stringify({ ...(JSON.parse(text) as Record<string, unknown>), ...change }, null, 2);

describe('trust of a hand-written SQL dashboard across the user own saves', () => {
  it('trusted, edited and saved: opens trusted, in this session and after a restart', async () => {
    const dir = await mkdtemp(path.join(tmp, 'work-'));
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const file = path.join(dir, 'hand.dashboard.json');
    await writeFile(file, handWritten('SELECT 1 AS x'));
    const api = session(home);
    const opened = await api.openDashboard({ path: file });
    expect(opened.trusted).toBe(false);
    await api.trustDashboard({ contentHash: opened.contentHash as string });

    const saved = await api.saveDashboard({ path: file, text: edited(opened.text, { title: 'Edited by me' }), baseDiskHash: opened.diskHash });
    expect(saved.trusted).toBe(true);
    expect(await api.openDashboard({ path: file })).toMatchObject({ trusted: true, contentHash: saved.contentHash });
    expect((await session(home).openDashboard({ path: file })).trusted).toBe(true);
  });

  it('a file changed on disk since it was trusted is not trusted by saving over it, nor by saving on top of it', async () => {
    const dir = await mkdtemp(path.join(tmp, 'work-'));
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const file = path.join(dir, 'hand.dashboard.json');
    await writeFile(file, handWritten('SELECT 1 AS x'));
    const api = session(home);
    const opened = await api.openDashboard({ path: file });
    await api.trustDashboard({ contentHash: opened.contentHash as string });

    // Someone else rewrites the file with SQL the user never saw; the user then saves over it (Overwrite).
    await writeFile(file, handWritten('SELECT 2 AS x'));
    const theirs = handWritten('SELECT 3 AS x');
    await writeFile(file, theirs);
    const forced = await api.saveDashboard({ path: file, text: edited(theirs, { title: 'Not mine' }), baseDiskHash: opened.diskHash, force: true });
    expect(forced.trusted).toBe(false);
    expect((await session(home).openDashboard({ path: file })).trusted).toBe(false);

    // A save whose base is the file as it is on disk, which the user never trusted: no trust either.
    const reopened = await api.openDashboard({ path: file });
    expect(reopened.trusted).toBe(false);
    const saved = await api.saveDashboard({ path: file, text: edited(reopened.text, { title: 'Still not reviewed' }), baseDiskHash: reopened.diskHash });
    expect(saved.trusted).toBe(false);
  });
});
