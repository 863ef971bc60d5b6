import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dataset, Source } from '../../dashboards/schema';
import { contentVersion, persistedResultsKey, type StoredPanelResults } from '../../queries/persisted-results';
import { ResultStore } from './result-store';

const dataset: Dataset = { kind: 'table', name: 'orders', source: 'orders', measures: [], dimensions: [] } as unknown as Dataset;
const source: Source = { kind: 's3', name: 'orders', uri: 's3://bucket/orders.parquet', format: 'parquet' } as unknown as Source;

async function keyFor(etag: string): Promise<string> {
  const key = await persistedResultsKey({
    dataset,
    sources: [source],
    corrections: [],
    raw: false,
    memoryBudgetBytes: null,
    versions: [[{ object: 's3://bucket/orders.parquet', version: contentVersion(etag, null, 1000) }]],
  });
  if (!key) throw new Error('no key');
  return key;
}

function entry(sql: string, n: number, pad = 0): StoredPanelResults {
  return {
    dataset: { columns: ['order_ts', 'revenue'], newest: 1_700_000_000_000, rowCount: 5 },
    results: [{ sql, result: { columns: [{ name: 'n', type: 'BIGINT' }], rows: [{ n, pad: 'x'.repeat(pad) }] } }],
  };
}

let dir: string;
let logged: string[];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'northstar-results-'));
  logged = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const store = (maxBytes?: number) => new ResultStore({ dir: path.join(dir, 'results'), ...(maxBytes !== undefined ? { maxBytes } : {}), log: (l) => logged.push(l) });

describe('ResultStore', () => {
  it('serves a result only under the key of the same content version: a new ETag misses', async () => {
    const s = store();
    const v1 = await keyFor('"etag-1"');
    await s.write(v1, entry('SELECT 1', 1));
    expect((await s.read(v1))?.results).toEqual(entry('SELECT 1', 1).results);
    const v2 = await keyFor('"etag-2"');
    expect(v2).not.toBe(v1);
    expect(await s.read(v2)).toBeNull();
  });

  it('merges results into an entry: the same SQL replaces, others stay', async () => {
    const s = store();
    const k = await keyFor('"e"');
    await s.write(k, entry('SELECT a', 1));
    await Promise.all([s.write(k, entry('SELECT b', 2)), s.write(k, entry('SELECT a', 3))]);
    const got = await s.read(k);
    expect(Object.fromEntries(got?.results.map((r) => [r.sql, r.result.rows[0]?.n]) ?? [])).toEqual({ 'SELECT a': 3, 'SELECT b': 2 });
  });

  it('evicts the least recently used entries past its byte bound, and counts and clears what it holds', async () => {
    const s = store(6_000);
    const [a, b, c] = [await keyFor('"a"'), await keyFor('"b"'), await keyFor('"c"')];
    await s.write(a, entry('SELECT a', 1, 1_500));
    await s.write(b, entry('SELECT b', 2, 1_500));
    // Their last uses were an hour and half an hour ago; reading a now makes b the oldest.
    await fs.utimes(path.join(s.dir, `${a}.json`), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    await fs.utimes(path.join(s.dir, `${b}.json`), new Date(Date.now() - 1_800_000), new Date(Date.now() - 1_800_000));
    expect(await s.read(a)).not.toBeNull();
    await s.write(c, entry('SELECT c', 3, 1_500));
    expect((await s.info()).bytes).toBeGreaterThan(3_000);
    // Entries of ~1.7, ~1.7 and ~3.4 kB do not fit 6 kB: b goes, a (just read) and c (just written) stay.
    await s.write(c, entry('SELECT c2', 4, 1_500));
    expect(await s.read(b)).toBeNull();
    expect(await s.read(a)).not.toBeNull();
    expect((await s.read(c))?.results.map((r) => r.sql)).toEqual(['SELECT c', 'SELECT c2']);
    const info = await s.info();
    expect(info.entries).toBe(2);
    expect(info.bytes).toBeLessThanOrEqual(6_000);
    const cleared = await s.clear();
    expect(cleared.freedBytes).toBe(info.bytes);
    expect(await s.info()).toEqual({ bytes: 0, entries: 0 });
    expect(await s.read(a)).toBeNull();
  });

  it('keeps one entry under its own bound by dropping its oldest results', async () => {
    const s = store();
    const k = await keyFor('"many"');
    // Five results of about 0.9 MB: the entry's 4 MB hold the newest four.
    for (const sql of ['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4', 'SELECT 5']) await s.write(k, entry(sql, 1, 900_000));
    expect((await s.read(k))?.results.map((r) => r.sql)).toEqual(['SELECT 2', 'SELECT 3', 'SELECT 4', 'SELECT 5']);
  });

  it('does not keep an entry larger than its whole bound', async () => {
    const s = store(1_000);
    const k = await keyFor('"big"');
    await s.write(k, entry('SELECT big', 1, 5_000));
    expect(await s.read(k)).toBeNull();
    expect((await s.info()).entries).toBe(0);
  });

  it('reads a damaged, foreign or mismatched file as absent, saying which, and overwrites it on the next write', async () => {
    const s = store();
    const k = await keyFor('"x"');
    await fs.mkdir(s.dir, { recursive: true });
    const file = path.join(s.dir, `${k}.json`);
    await fs.writeFile(file, '{"type": "northstar.panel-res');
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(new RegExp(`^Result store: ignoring .*${k}\\.json: not valid JSON`));
    await fs.writeFile(file, JSON.stringify({ type: 'something.else', rows: [] }));
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/not a Northstar panel results file\.$/);
    // A file copied under another key's name must not answer for it.
    const other = await keyFor('"y"');
    await s.write(other, entry('SELECT y', 9));
    await fs.copyFile(path.join(s.dir, `${other}.json`), file);
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/expected format 1 for its own key\.$/);
    await fs.writeFile(file, JSON.stringify({ type: 'northstar.panel-results', formatVersion: 1, key: k, dataset: { columns: [], newest: null, rowCount: -1 }, results: [] }));
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/dataset\.rowCount: /);
    await s.write(k, entry('SELECT x', 5));
    expect((await s.read(k))?.results[0]?.result.rows[0]?.n).toBe(5);
  });

  it('refuses a key that is not a SHA-256 hex digest', async () => {
    await expect(store().read('../../etc/passwd')).rejects.toThrow(/64 lowercase hex digits/);
  });
});
