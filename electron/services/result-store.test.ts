import { existsSync, mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dataset, Source } from '../../dashboards/schema';
import { contentVersion, MAX_STORED_RESULTS_PER_ENTRY, MAX_STORED_ROWS, persistedResultsKey, type StoredPanelResults } from '../../queries/persisted-results';
import { StoredPanelResults as StoredPanelResultsSchema } from '../api/host-api';
import { ResultStore } from './result-store';

const dataset: Dataset = { kind: 'table', name: 'orders', source: 'orders', measures: [], dimensions: [] } as unknown as Dataset;
const source: Source = { kind: 's3', name: 'orders', uri: 's3://bucket/orders.parquet', format: 'parquet' } as unknown as Source;

/** The key of a dataset reading `s3://bucket/<name>.parquet` (keys differ by the dataset's definition). */
async function keyFor(name: string): Promise<string> {
  return persistedResultsKey({
    dataset,
    sources: [{ ...source, uri: `s3://bucket/${name}.parquet` } as Source],
    corrections: [],
    raw: false,
    memoryBudgetBytes: null,
  });
}

function entry(sql: string, n: number, pad = 0, etag = '"e"'): StoredPanelResults {
  return {
    versions: [[{ object: 's3://bucket/orders.parquet', version: contentVersion(etag, null, 1000) as string }]],
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
  it('keeps the results of one version of the files per key: an entry of a new ETag replaces the old one, it is not merged into', async () => {
    const s = store();
    const k = await keyFor('orders');
    await s.write(k, entry('SELECT 1', 1, 0, '"etag-1"'));
    expect(await s.read(k)).toEqual(entry('SELECT 1', 1, 0, '"etag-1"'));
    await s.write(k, entry('SELECT 2', 2, 0, '"etag-2"'));
    expect(await s.read(k)).toEqual(entry('SELECT 2', 2, 0, '"etag-2"'));
    // Another dataset's entry is another key.
    expect(await keyFor('other')).not.toBe(k);
    expect(await s.read(await keyFor('other'))).toBeNull();
  });

  it('merges results into an entry: the same SQL replaces, others stay', async () => {
    const s = store();
    const k = await keyFor('e');
    await s.write(k, entry('SELECT a', 1));
    await Promise.all([s.write(k, entry('SELECT b', 2)), s.write(k, entry('SELECT a', 3))]);
    const got = await s.read(k);
    expect(Object.fromEntries(got?.results.map((r) => [r.sql, r.result.rows[0]?.n]) ?? [])).toEqual({ 'SELECT a': 3, 'SELECT b': 2 });
  });

  it('evicts the least recently used entries past its byte bound, and counts and clears what it holds', async () => {
    const s = store(6_000);
    const [a, b, c] = [await keyFor('a'), await keyFor('b'), await keyFor('c')];
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
    const k = await keyFor('many');
    // Five results of about 0.9 MB: the entry's 4 MB hold the newest four.
    for (const sql of ['SELECT 1', 'SELECT 2', 'SELECT 3', 'SELECT 4', 'SELECT 5']) await s.write(k, entry(sql, 1, 900_000));
    expect((await s.read(k))?.results.map((r) => r.sql)).toEqual(['SELECT 2', 'SELECT 3', 'SELECT 4', 'SELECT 5']);
  });

  it('does not keep an entry larger than its whole bound', async () => {
    const s = store(1_000);
    const k = await keyFor('big');
    await s.write(k, entry('SELECT big', 1, 5_000));
    expect(await s.read(k)).toBeNull();
    expect((await s.info()).entries).toBe(0);
  });

  it('reads a damaged, foreign or mismatched file as absent, saying which, and overwrites it on the next write', async () => {
    const s = store();
    const k = await keyFor('x');
    await fs.mkdir(s.dir, { recursive: true });
    const file = path.join(s.dir, `${k}.json`);
    await fs.writeFile(file, '{"type": "northstar.panel-res');
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(new RegExp(`^Result store: ignoring .*${k}\\.json: not valid JSON`));
    await fs.writeFile(file, JSON.stringify({ type: 'something.else', rows: [] }));
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/not a Northstar panel results file\.$/);
    // A file copied under another key's name must not answer for it.
    const other = await keyFor('y');
    await s.write(other, entry('SELECT y', 9));
    await fs.copyFile(path.join(s.dir, `${other}.json`), file);
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/expected format 2 for its own key\.$/);
    // A file of the first format (no versions, which its key held) is not read.
    await fs.writeFile(file, JSON.stringify({ type: 'northstar.panel-results', formatVersion: 1, key: k, dataset: { columns: [], newest: null, rowCount: 0 }, results: [] }));
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/format 1 for key .*, expected format 2 for its own key\.$/);
    await fs.writeFile(file, JSON.stringify({ type: 'northstar.panel-results', formatVersion: 2, key: k, ...entry('SELECT x', 1), dataset: { columns: [], newest: null, rowCount: -1 } }));
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/dataset\.rowCount: /);
    await fs.writeFile(file, JSON.stringify({ type: 'northstar.panel-results', formatVersion: 2, key: k, ...entry('SELECT x', 1), versions: [] }));
    expect(await s.read(k)).toBeNull();
    expect(logged.at(-1)).toMatch(/versions: /);
    await s.write(k, entry('SELECT x', 5));
    expect((await s.read(k))?.results[0]?.result.rows[0]?.n).toBe(5);
  });

  it("takes through the host API exactly the results the runner stores: the contract's bounds are the runner's", () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));
    const results = (n: number, perResult = 1) => Array.from({ length: n }, (_, i) => ({ sql: `SELECT ${i}`, result: { columns: [{ name: 'n', type: 'BIGINT' }], rows: rows(perResult) } }));
    const base = entry('SELECT 1', 1);
    expect(StoredPanelResultsSchema.safeParse({ ...base, results: results(1, MAX_STORED_ROWS) }).success).toBe(true);
    expect(StoredPanelResultsSchema.safeParse({ ...base, results: results(1, MAX_STORED_ROWS + 1) }).success).toBe(false);
    expect(StoredPanelResultsSchema.safeParse({ ...base, results: results(MAX_STORED_RESULTS_PER_ENTRY) }).success).toBe(true);
    expect(StoredPanelResultsSchema.safeParse({ ...base, results: results(MAX_STORED_RESULTS_PER_ENTRY + 1) }).success).toBe(false);
  });

  it('warms up its reading with an entry the contract takes, writing nothing', () => {
    const s = store();
    expect(s.warmUp()).toBe(true);
    expect(existsSync(s.dir)).toBe(false);
  });

  it('refuses a key that is not a SHA-256 hex digest', async () => {
    await expect(store().read('../../etc/passwd')).rejects.toThrow(/64 lowercase hex digits/);
  });
});
