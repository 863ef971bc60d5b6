import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard, serializeDashboard } from '../../dashboards/document';
import { canonicalContent, withRevision } from '../../dashboards/revision';
import type { DashboardFile, Revision } from '../../dashboards/schema';
import { historyFileName, historyFolder, listRevisionInfos, readDashboardId, readHistory, recordRevision } from './history-store';
import { SAMPLE_ID, sampleText } from './testdata/sample-dashboards';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-history-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function load(text: string): DashboardFile {
  const result = loadDashboard(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.dashboard;
}

/** A stamped revision of `doc`, as the host would save it. */
function stamp(doc: DashboardFile, number: number, parentHash: string | null, savedAt: string): { text: string; revision: Revision } {
  const contentHash = createHash('sha256').update(canonicalContent(doc)).digest('hex');
  const revision: Revision = { number, savedAt, savedBy: 'alice', parentHash, contentHash };
  return { text: serializeDashboard(withRevision(doc, revision)), revision };
}

describe('history store', () => {
  it('stores revisions under <dir>/.northstar/history/<id>/<number>-<hash12>.json and lists them newest first with summaries', async () => {
    const dir = await mkdtemp(path.join(tmp, 'list-'));
    const file = path.join(dir, 'kpis.dashboard.json');
    const r1 = stamp(load(sampleText()), 1, null, '2026-11-26T09:00:00.000Z');
    const r2 = stamp(load(sampleText({ title: 'Customer KPIs (EU)' })), 2, r1.revision.contentHash, '2026-11-26T10:00:00.000Z');
    expect(await recordRevision(file, SAMPLE_ID, r1.revision, r1.text)).toBe(true);
    expect(await recordRevision(file, SAMPLE_ID, r2.revision, r2.text)).toBe(true);
    expect(await recordRevision(file, SAMPLE_ID, r2.revision, r2.text)).toBe(false);

    const folder = historyFolder(file, SAMPLE_ID) as string;
    expect(folder).toBe(path.join(dir, '.northstar', 'history', SAMPLE_ID));
    expect((await readdir(folder)).sort()).toEqual([historyFileName(r1.revision), historyFileName(r2.revision)]);
    expect(historyFileName(r1.revision)).toBe(`000001-${r1.revision.contentHash.slice(0, 12)}.json`);

    const list = await listRevisionInfos(file, SAMPLE_ID);
    expect(list.map((r) => [r.number, r.summary])).toEqual([
      [2, 'title changed'],
      [1, 'first revision'],
    ]);
    expect(list[0]).toMatchObject({ savedBy: 'alice', message: null, parentHash: r1.revision.contentHash, contentHash: r2.revision.contentHash });
    expect((await readHistory(file, SAMPLE_ID, { contentHash: r1.revision.contentHash }))[0]?.text).toBe(r1.text);
  });

  it('skips files that do not match the naming, do not parse, or lie about their revision', async () => {
    const dir = await mkdtemp(path.join(tmp, 'robust-'));
    const file = path.join(dir, 'kpis.dashboard.json');
    const r1 = stamp(load(sampleText()), 1, null, '2026-11-26T09:00:00.000Z');
    await recordRevision(file, SAMPLE_ID, r1.revision, r1.text);
    const folder = historyFolder(file, SAMPLE_ID) as string;
    await writeFile(path.join(folder, 'notes.txt'), 'hello');
    await writeFile(path.join(folder, '000002-0123456789ab.json'), '{ truncated');
    await writeFile(path.join(folder, `000003-${r1.revision.contentHash.slice(0, 12)}.json`), r1.text); // number disagrees
    await writeFile(path.join(folder, '000004-aaaaaaaaaaaa.json'), sampleText()); // no revision block
    await mkdir(path.join(folder, '000005-bbbbbbbbbbbb.json'));
    await writeFile(path.join(folder, '.000006-cccccccccccc.json.0123456789ab.northstar-tmp'), '{');
    const list = await listRevisionInfos(file, SAMPLE_ID);
    expect(list.map((r) => r.number)).toEqual([1]);
  });

  it('summarises against the revision before it when the parent is missing from history', async () => {
    const dir = await mkdtemp(path.join(tmp, 'gap-'));
    const file = path.join(dir, 'kpis.dashboard.json');
    const r1 = stamp(load(sampleText()), 1, null, '2026-11-26T09:00:00.000Z');
    const r2 = stamp(load(sampleText({ title: 'Two' })), 2, r1.revision.contentHash, '2026-11-26T10:00:00.000Z');
    const r3 = stamp(load(sampleText({ title: 'Two', owner: 'bob' })), 3, r2.revision.contentHash, '2026-11-26T11:00:00.000Z');
    await recordRevision(file, SAMPLE_ID, r1.revision, r1.text);
    await recordRevision(file, SAMPLE_ID, r3.revision, r3.text);
    expect((await listRevisionInfos(file, SAMPLE_ID)).map((r) => r.summary)).toEqual(['title changed, owner changed', 'first revision']);
    // Only the newest, its parent unknown: nothing to compare with.
    const lone = path.join(await mkdtemp(path.join(tmp, 'lone-')), 'kpis.dashboard.json');
    await recordRevision(lone, SAMPLE_ID, r3.revision, r3.text);
    expect((await listRevisionInfos(lone, SAMPLE_ID)).map((r) => r.summary)).toEqual(['earlier history not available']);
  });

  it('never turns an id that is not a UUID into a path', async () => {
    expect(historyFolder('/x/a.json', '../../etc')).toBeNull();
    expect(readDashboardId('{"id":"../../etc"}')).toBeNull();
    expect(readDashboardId('not json')).toBeNull();
    expect(readDashboardId(sampleText())).toBe(SAMPLE_ID);
    expect(await listRevisionInfos('/x/a.json', '../../etc')).toEqual([]);
  });
});
