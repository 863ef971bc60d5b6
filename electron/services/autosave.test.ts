import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutosaveStore } from './autosave';

let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'northstar-autosave-'));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('AutosaveStore', () => {
  it('debounces a burst of edits into one write of the latest text, atomically, under <home>/autosave', async () => {
    // A long delay: nothing may be written before the flush.
    const store = new AutosaveStore(home, { delayMs: 60_000, now: () => new Date('2026-11-26T14:03:00Z') });
    const file = path.join(home, 'a', 'sales.dashboard.json');
    for (let i = 1; i <= 20; i++) store.schedule(file, `{"edit":${i}}`, 'f'.repeat(64));
    await expect(readdir(path.join(home, 'autosave'))).rejects.toThrow();
    // Read sees the pending copy even before it is on disk.
    expect((await store.read(file))?.text).toBe('{"edit":20}');
    await store.flush();
    expect(await readdir(path.join(home, 'autosave'))).toEqual([path.basename(store.fileFor(file))]);
    const onDisk = JSON.parse(await readFile(store.fileFor(file), 'utf8')) as Record<string, unknown>;
    expect(onDisk).toEqual({ path: path.resolve(file), text: '{"edit":20}', savedAt: '2026-11-26T14:03:00.000Z', baseDiskHash: 'f'.repeat(64) });
    // A fresh store (the next start of the app) finds it.
    expect(await new AutosaveStore(home).read(file)).toEqual(onDisk);
  });

  it('writes by itself after the quiet delay', async () => {
    const store = new AutosaveStore(home, { delayMs: 10 });
    const file = path.join(home, 'b', 'quiet.dashboard.json');
    store.schedule(file, 'text', null);
    await expect.poll(async () => (await new AutosaveStore(home).read(file))?.text ?? null).toBe('text');
  });

  it('keeps copies in two folders apart, and discard removes one and cancels its pending write', async () => {
    const store = new AutosaveStore(home, { delayMs: 60_000 });
    const one = path.join(home, 'x', 'same.dashboard.json');
    const two = path.join(home, 'y', 'same.dashboard.json');
    store.schedule(one, 'one', null);
    store.schedule(two, 'two', null);
    await store.flush();
    store.schedule(one, 'one later', null);
    await store.discard(one);
    await store.flush();
    expect(await new AutosaveStore(home).read(one)).toBeNull();
    expect((await new AutosaveStore(home).read(two))?.text).toBe('two');
  });

  it('ignores an unreadable autosave or one written for another path', async () => {
    const store = new AutosaveStore(home);
    const file = path.join(home, 'z', 'broken.dashboard.json');
    await store.discard(file);
    store.schedule(file, 'ok', null);
    await store.flush();
    await writeFile(store.fileFor(file), '{"path": "/elsewhere", "text": "x", "savedAt": "2026-01-01T00:00:00Z"}');
    expect(await store.read(file)).toBeNull();
    await writeFile(store.fileFor(file), '{not json');
    expect(await store.read(file)).toBeNull();
  });

  it('refuses a working copy over 20 MB with a clear message', () => {
    const store = new AutosaveStore(home);
    expect(() => store.schedule(path.join(home, 'big.dashboard.json'), 'x'.repeat(20 * 1024 * 1024 + 1), null)).toThrow('the working copy is larger than 20 MB and cannot be autosaved');
  });
});
