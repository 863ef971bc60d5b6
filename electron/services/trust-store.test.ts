import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUST_FILE_NAME, TrustStore } from './trust-store';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const H3 = 'c'.repeat(64);

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-trust-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('TrustStore', () => {
  it('trusts nothing before the first add, then remembers hashes across instances (restarts)', async () => {
    const home = path.join(tmp, 'round-trip', 'nested-home');
    const store = new TrustStore(home);
    expect(await store.has(H1)).toBe(false);
    await store.add(H1);
    await store.add(H1);
    await store.add(H2);
    const again = new TrustStore(home);
    expect(await again.has(H1)).toBe(true);
    expect(await again.has(H2)).toBe(true);
    expect(await again.has(H3)).toBe(false);
    const file = JSON.parse(await readFile(path.join(home, TRUST_FILE_NAME), 'utf8')) as { contentHashes: string[] };
    expect(file.contentHashes).toEqual([H1, H2]);
  });

  it('keeps every hash when adds run at the same time', async () => {
    const home = path.join(tmp, 'concurrent');
    const store = new TrustStore(home);
    const hashes = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
    await Promise.all(hashes.map((h) => store.add(h)));
    for (const h of hashes) expect(await new TrustStore(home).has(h)).toBe(true);
  });

  it('treats a corrupt file as empty, never throws, and keeps the corrupt file aside on the next add', async () => {
    for (const junk of ['{not json', '', 'null', '[1,2]', '{"type":"northstar.trusted-dashboards","contentHashes":"x"}', '\u0000\u0001']) {
      const home = await mkdtemp(path.join(tmp, 'corrupt-'));
      await writeFile(path.join(home, TRUST_FILE_NAME), junk);
      const store = new TrustStore(home);
      expect(await store.has(H1)).toBe(false);
      await store.add(H1);
      expect(await store.has(H1)).toBe(true);
      const names = await readdir(home);
      expect(names.some((n) => n.startsWith(`${TRUST_FILE_NAME}.corrupt-`))).toBe(true);
    }
  });

  it('ignores entries that are not content hashes', async () => {
    const home = await mkdtemp(path.join(tmp, 'entries-'));
    await writeFile(path.join(home, TRUST_FILE_NAME), JSON.stringify({ type: 'northstar.trusted-dashboards', version: 1, contentHashes: [H1, 'nope', 42] }));
    const store = new TrustStore(home);
    expect(await store.has(H1)).toBe(true);
    expect(await store.has('nope')).toBe(false);
    await expect(store.add('not-a-hash')).rejects.toThrow(/SHA-256/);
  });
});
