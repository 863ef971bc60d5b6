import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardFile, type Check, type Correction } from '../dashboards/schema';
import { runChecks } from './checks/index';
import { createTable, openNativeEngine, runRule, type NativeEngine } from './checks/testing-engine';
import { CorrectionError, correctedViewSql, freshCorrectionId, proposeCorrection, validateCorrection, type ColumnInfo } from './corrections';
import { datasetTable, runDashboardQueries, type DatasetRunState, type LoadedDataset, type PanelRunState } from './dashboard-runner';
import { Sql, ident, selectParquetInFileOrder, str } from './sql';

let engine: NativeEngine;

// Hostile names and values: quotes of both kinds, a comment marker, unicode.
const HOSTILE = `it's "x" -- é ☃`;
const COLUMNS: Record<string, string> = { id: 'BIGINT', [HOSTILE]: 'VARCHAR', amount: 'DOUBLE', flag: 'BOOLEAN', ts: 'TIMESTAMP' };
const INFO: ColumnInfo[] = Object.entries(COLUMNS).map(([name, type]) => ({ name, type }));

const corr = (id: string, kind: Correction['kind'], params: Record<string, unknown>): Correction => ({ id, kind, dataset: 'd', params, reason: 'test', author: 'tester' });

beforeAll(async () => {
  engine = await openNativeEngine();
  await createTable(engine, 'raw', COLUMNS, [
    [1, 'Black Friday', 10, true, '2025-11-20 10:00:00'],
    [2, "Blak Friday'; DROP TABLE raw; --", 20, false, '2025-11-21 10:00:00'],
    [3, 'Blak Friday', 30, true, '2025-11-21 11:00:00'],
    [3, 'Blak Friday', 31, true, '2025-11-21 11:00:00'],
    [4, 'Ünïcødé ☃ "quoted"', -5, null, '2025-11-22 10:00:00'],
    [null, null, 7, true, '2025-11-23 10:00:00'],
    [null, null, 8, true, '2025-11-23 11:00:00'],
  ]);
});

afterAll(() => engine.close());

/** Build the view with these corrections and read it back, ordered by amount. */
async function viewRows(corrections: Correction[], raw = false, slices = 1) {
  const view = correctedViewSql('view', 'raw', 'd', corrections, INFO, raw, { kind: 'rowid' }, slices);
  for (const statement of view.prepare) await engine.exec(statement);
  await engine.exec(view.sql);
  const rows = (await engine.query(Sql.concat('SELECT * FROM "view" ORDER BY "amount"'))).rows;
  return { view, rows };
}

describe('correctedViewSql', () => {
  it('maps values exactly (case and spaces matter), including hostile ones, in one step', async () => {
    const { rows, view } = await viewRows([
      corr('fix_campaign', 'map_value', {
        column: HOSTILE,
        mappings: [
          { from: 'Blak Friday', to: 'Black Friday' },
          { from: "Blak Friday'; DROP TABLE raw; --", to: `it's -- "fine"` },
          { from: 'Ünïcødé ☃ "quoted"', to: null },
          { from: null, to: '(none)' },
        ],
      }),
    ]);
    expect(view.applied).toEqual(['fix_campaign']);
    expect(view.problems).toEqual([]);
    expect(rows.map((r) => r[HOSTILE])).toEqual([null, '(none)', '(none)', 'Black Friday', `it's -- "fine"`, 'Black Friday', 'Black Friday']);
    // The raw table is untouched: the correction lives in the view only.
    const raw = await engine.query(Sql.concat('SELECT count(*) AS "n" FROM "raw" WHERE ', ident(HOSTILE), ' = ', str('Blak Friday')));
    expect(raw.rows[0]?.n).toBe(2);
  });

  it('keeps exactly one row per duplicated key (the first loaded) and every row without a key', async () => {
    const { rows } = await viewRows([corr('dedupe', 'exclude_rows', { key: 'id', duplicates: 'keep_one' })]);
    expect(rows.map((r) => [r.id, r.amount])).toEqual([
      [4, -5],
      [null, 7],
      [null, 8],
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    // The hidden load-order column does not leak into the view.
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(Object.keys(COLUMNS).sort());
  });

  it('over Parquet files (a dataset read from disk, no rowid): keeps the first row by file, then row, order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'northstar-keep-one-'));
    try {
      const a = path.join(dir, 'a.parquet');
      const b = path.join(dir, 'b.parquet');
      const cols = { id: 'BIGINT', amount: 'DOUBLE' };
      // In file a, id 7's first copy has the larger amount: the order kept is the file's, not the values'.
      await createTable(engine, 'part_a', cols, [[5, 1], [7, 10], [6, 2], [7, 9], [null, 4]]);
      await createTable(engine, 'part_b', cols, [[5, 3], [6, 0], [8, 5], [null, 4]]);
      await engine.run(`COPY part_a TO '${a}' (FORMAT PARQUET)`);
      await engine.run(`COPY part_b TO '${b}' (FORMAT PARQUET)`);
      const info: ColumnInfo[] = [{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }];
      const dedupe = corr('dedupe', 'exclude_rows', { key: 'id', duplicates: 'keep_one' });
      const readIn = async (slices: number, urls: string[]) => {
        // The raw relation is a view, as in scan mode: it has no rowid.
        await engine.exec(Sql.concat('CREATE OR REPLACE VIEW "raw_files" AS SELECT * FROM read_parquet([', Sql.join(urls.map(str)), '], union_by_name = true)'));
        const view = correctedViewSql('files_view', 'raw_files', 'd', [dedupe], info, false, { kind: 'parquetFiles', urls }, slices);
        expect(view.prepare).toHaveLength(slices);
        expect(view.applied).toEqual(['dedupe']);
        for (const statement of view.prepare) await engine.exec(statement);
        await engine.exec(view.sql);
        const rows = (await engine.query(Sql.concat('SELECT * FROM "files_view" ORDER BY "id" NULLS LAST, "amount"'))).rows;
        return rows.map((r) => [r.id, r.amount]);
      };
      // In one statement, and in slices of the ids' hash: the same rows.
      const read = async (urls: string[]) => {
        const whole = await readIn(1, urls);
        expect(await readIn(2, urls)).toEqual(whole);
        return whole;
      };
      expect(await read([a, b])).toEqual([[5, 1], [6, 2], [7, 10], [8, 5], [null, 4], [null, 4]]);
      // The other file first: its copies are the ones kept.
      expect(await read([b, a])).toEqual([[5, 3], [6, 0], [7, 10], [8, 5], [null, 4], [null, 4]]);
      // One file: its own row order.
      expect(await read([a])).toEqual([[5, 1], [6, 2], [7, 10], [null, 4]]);
      // With the rows of the files before each, the order is the rowid of a table loaded from the
      // files in that order (a dataset read from its fetched bytes, whose table comes later): here
      // two threads, three files of several row groups each.
      const parts = ['p1', 'p2', 'p3'].map((name) => path.join(dir, `${name}.parquet`));
      for (const [k, file] of parts.entries()) {
        await engine.run(`COPY (SELECT ${k} * 1000000 + range AS id, CAST(range % 97 AS DOUBLE) AS amount FROM range(${30_000 + k * 7_001})) TO '${file}' (FORMAT PARQUET, ROW_GROUP_SIZE 4096)`);
      }
      await engine.exec(Sql.concat('CREATE OR REPLACE TABLE "loaded_parts" AS SELECT * FROM read_parquet([', Sql.join(parts.map(str)), '], union_by_name = true)'));
      const numbered = selectParquetInFileOrder(parts, 'r', { rowsBefore: [0, 30_000, 67_001] });
      const mismatched = await engine.query(
        Sql.concat('SELECT count(*) AS "n", count(t.id) AS "matched" FROM (', numbered, ') f LEFT JOIN (SELECT rowid AS "r", * FROM "loaded_parts") t ON t.r = f.r AND t.id = f.id'),
      );
      expect(mismatched.rows[0]).toEqual({ n: 111_003, matched: 111_003 });
      // Without the files, a view cannot keep one: it has no rowid (what scan mode did before).
      const noOrder = correctedViewSql('files_view', 'raw_files', 'd', [dedupe], info);
      await expect((async () => {
        for (const statement of noOrder.prepare) await engine.exec(statement);
      })()).rejects.toThrow(/rowid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps one row per combination of several key columns', async () => {
    const { rows } = await viewRows([corr('dedupe', 'exclude_rows', { key: ['id', HOSTILE], duplicates: 'keep_one' })]);
    expect(rows).toHaveLength(6);
  });

  it('drops rows by key, NULL only when listed, and never drops a NULL key by accident', async () => {
    const drop = await viewRows([corr('drop', 'exclude_rows', { key: 'id', values: [3, 4] })]);
    expect(drop.rows.map((r) => r.id)).toEqual([null, null, 1, 2]);
    const dropNull = await viewRows([corr('drop', 'exclude_rows', { key: 'id', values: [null] })]);
    expect(dropNull.rows.map((r) => r.id)).toEqual([4, 1, 2, 3, 3]);
    const byText = await viewRows([corr('drop', 'exclude_rows', { key: HOSTILE, values: ["Blak Friday'; DROP TABLE raw; --"] })]);
    expect(byText.rows.map((r) => r.id)).toEqual([4, null, null, 1, 3, 3]);
    const byTime = await viewRows([corr('drop', 'exclude_rows', { key: 'ts', values: ['2025-11-22 10:00:00'] })]);
    expect(byTime.rows.map((r) => r.id)).toEqual([null, null, 1, 2, 3, 3]);
  });

  it('overrides one value on the rows of one key', async () => {
    const { rows } = await viewRows([corr('fix_amount', 'override', { key: 'id', keyValue: 4, column: 'amount', value: 5 })]);
    expect(rows.find((r) => r.id === 4)?.amount).toBe(5);
    expect(rows.filter((r) => r.amount === 5)).toHaveLength(1);
  });

  it('applies corrections in file order', async () => {
    // Map first: the two spellings become one, then the override of row 2 sees the mapped text.
    const { rows } = await viewRows([
      corr('a', 'map_value', { column: HOSTILE, from: 'Blak Friday', to: 'Black Friday' }),
      corr('b', 'exclude_rows', { key: HOSTILE, values: ['Black Friday'] }),
    ]);
    expect(rows.map((r) => r.id)).toEqual([4, null, null, 2]);
  });

  it('keeps one row per key as the earlier corrections left the key (map, then keep one)', async () => {
    const { rows } = await viewRows([
      corr('a', 'map_value', { column: HOSTILE, from: 'Blak Friday', to: 'Black Friday' }),
      corr('b', 'exclude_rows', { key: HOSTILE, duplicates: 'keep_one' }),
    ]);
    expect(rows.map((r) => r.id)).toEqual([4, null, null, 1, 2]);
  });

  it('finds the copies to drop a slice of the keys at a time, with the same rows kept', async () => {
    const cases: Correction[][] = [
      [corr('dedupe', 'exclude_rows', { key: 'id', duplicates: 'keep_one' })],
      [corr('dedupe', 'exclude_rows', { key: ['id', HOSTILE], duplicates: 'keep_one' })],
      [corr('a', 'map_value', { column: HOSTILE, from: 'Blak Friday', to: 'Black Friday' }), corr('b', 'exclude_rows', { key: HOSTILE, duplicates: 'keep_one' })],
    ];
    for (const corrections of cases) {
      const whole = await viewRows(corrections);
      const sliced = await viewRows(corrections, false, 3);
      expect(whole.view.prepare).toHaveLength(1);
      expect(sliced.view.prepare.map((sql) => /^(CREATE OR REPLACE TABLE|INSERT INTO) .* % 3::UBIGINT = (\d) QUALIFY/.exec(sql.text)?.slice(1))).toEqual([
        ['CREATE OR REPLACE TABLE', '0'],
        ['INSERT INTO', '1'],
        ['INSERT INTO', '2'],
      ]);
      expect(sliced.rows).toEqual(whole.rows);
    }
  });

  it('applies nothing for raw data', async () => {
    const { rows, view } = await viewRows([corr('drop', 'exclude_rows', { key: 'id', values: [1] })], true);
    expect(rows).toHaveLength(7);
    expect(view.applied).toEqual([]);
  });

  it('leaves a broken correction out, names it, and applies the others', async () => {
    const { rows, view } = await viewRows([
      corr('fix_campaign', 'map_value', { column: 'campain', from: 'a', to: 'b' }),
      corr('drop', 'exclude_rows', { key: 'id', values: [1] }),
    ]);
    expect(view.problems).toEqual([{ id: 'fix_campaign', message: 'Correction `fix_campaign`: column "campain" does not exist in dataset d' }]);
    expect(view.applied).toEqual(['drop']);
    expect(rows).toHaveLength(6);
  });

  it('ignores corrections of other datasets', () => {
    const other = { ...corr('x', 'exclude_rows', { key: 'nope', values: [1] }), dataset: 'other' };
    const view = correctedViewSql('view', 'raw', 'd', [other], INFO);
    expect(view.applied).toEqual([]);
    expect(view.problems).toEqual([]);
  });
});

describe('validateCorrection', () => {
  const error = (c: Correction) => {
    try {
      validateCorrection(c, INFO);
    } catch (err) {
      expect(err).toBeInstanceOf(CorrectionError);
      return (err as Error).message;
    }
    throw new Error('expected a CorrectionError');
  };

  it('names the correction and what is wrong', () => {
    expect(error(corr('fix_campaign', 'map_value', { column: 'campain', from: 'a', to: 'b' }))).toBe('Correction `fix_campaign`: column "campain" does not exist in dataset d');
    expect(error(corr('m', 'map_value', { column: 'amount', from: 'ten', to: 10 }))).toBe('Correction `m`: from "ten" is not a number, and column "amount" is DOUBLE');
    expect(error(corr('m', 'map_value', { column: 'id', from: 1.5, to: 2 }))).toBe('Correction `m`: from 1.5 is not a whole number, and column "id" is BIGINT');
    expect(error(corr('m', 'map_value', { column: 'ts', from: 'a', to: 'b' }))).toBe('Correction `m`: column "ts" is TIMESTAMP: only text, number and true/false columns can be corrected by value');
    expect(error(corr('m', 'map_value', { column: 'flag', from: 'yes', to: true }))).toBe('Correction `m`: from "yes" is not true or false, and column "flag" is BOOLEAN');
    expect(error(corr('m', 'map_value', { column: HOSTILE, from: 'a\u0000', to: 'b' }))).toBe('Correction `m`: from: a SQL string cannot contain a NUL character');
    expect(error(corr('m', 'map_value', { column: HOSTILE }))).toMatch(/^Correction `m`: invalid params for map_value: expected \{ "column", "from", "to" \}/);
    expect(error(corr('e', 'exclude_rows', { key: 'id' }))).toMatch(/^Correction `e`: invalid params for exclude_rows/);
    expect(error(corr('e', 'exclude_rows', { key: 'id', duplicates: 'keep_all' }))).toMatch(/^Correction `e`: invalid params for exclude_rows/);
    expect(error(corr('e', 'exclude_rows', { key: ['id', 'nope'], duplicates: 'keep_one' }))).toBe('Correction `e`: column "nope" does not exist in dataset d');
    expect(error(corr('o', 'override', { key: 'id', keyValue: '4', column: 'amount', value: 5 }))).toBe('Correction `o`: keyValue "4" is not a whole number, and column "id" is BIGINT');
    expect(error(corr('o', 'override', { key: 'id', keyValue: 4, column: 'amount', value: 5, extra: 1 }))).toMatch(/^Correction `o`: invalid params for override/);
  });
});

describe('proposeCorrection', () => {
  const check = (rule: string, params: Record<string, unknown>): Check => ({ id: 'c1', title: rule, dataset: 'd', rule, params, severity: 'error', guards: [] });

  it('turns misspellings into one map_value that makes the check pass', async () => {
    await createTable(engine, 'spell', { campaign: 'VARCHAR' }, [...Array(100).fill(['Black Friday']), ['Blak Friday'], ['Blak Friday'], ['Blak Friday'], ['black friday'], ['black friday'], ['Black Friday ']]);
    const c = check('near_duplicate_values', { column: 'campaign' });
    const before = await runRule(engine, 'spell', ['campaign'], c.rule, c.params);
    expect(before.status).toBe('fail');
    const proposal = proposeCorrection(c, before, []);
    expect(proposal?.label).toBe('Map 3 variants: `Blak Friday` → `Black Friday`, `black friday` → `Black Friday`, …');
    expect(proposal?.correction.kind).toBe('map_value');
    expect(proposal?.correction.id).toBe('fix_c1');
    const view = correctedViewSql('spell_fixed', 'spell', 'd', [{ ...(proposal?.correction as Correction), author: 'me' }], [{ name: 'campaign', type: 'VARCHAR' }]);
    await engine.exec(view.sql);
    expect((await runRule(engine, 'spell_fixed', ['campaign'], c.rule, c.params)).status).toBe('pass');
  });

  it('labels a single misspelling with both spellings', () => {
    const proposal = proposeCorrection(check('near_duplicate_values', { column: 'campaign' }), {
      id: 'c1', title: '', rule: 'near_duplicate_values', severity: 'warn', status: 'warn', observed: 1, expected: '', owner: null, message: '',
      examples: [{ value: 'Blak Friday', rows: 20, looks_like: 'Black Friday', looks_like_rows: 9000, how: '1 edit' }],
    }, [{ id: 'fix_c1' }]);
    expect(proposal?.label).toBe('Map `Blak Friday` → `Black Friday`');
    expect(proposal?.correction.id).toBe('fix_c1_2');
  });

  it('turns repeated keys into "keep one row per key" that makes the check pass', async () => {
    const c = check('duplicate_key', { key: 'id' });
    const before = await runRule(engine, 'raw', Object.keys(COLUMNS), c.rule, c.params, { timeColumn: 'ts' });
    expect(before.status).toBe('fail');
    const proposal = proposeCorrection(c, before, []);
    expect(proposal?.label).toBe('Drop duplicate rows of `id`, keep one');
    expect(proposal?.correction.params).toEqual({ key: 'id', duplicates: 'keep_one' });
    expect(proposal?.correction.reason).toContain('2025-11-21');
    const view = correctedViewSql('dedup', 'raw', 'd', [{ ...(proposal?.correction as Correction), author: 'me' }], INFO);
    for (const statement of view.prepare) await engine.exec(statement);
    await engine.exec(view.sql);
    expect((await runRule(engine, 'dedup', Object.keys(COLUMNS), c.rule, c.params)).status).toBe('pass');
  });

  it('offers nothing for a passing check or a rule without a fix', async () => {
    const passing = await runRule(engine, 'raw', Object.keys(COLUMNS), 'range', { column: 'amount', min: -100 });
    expect(proposeCorrection(check('range', { column: 'amount', min: -100 }), passing, [])).toBeNull();
    const failing = await runRule(engine, 'raw', Object.keys(COLUMNS), 'range', { column: 'amount', min: 0 });
    expect(proposeCorrection(check('range', { column: 'amount', min: 0 }), failing, [])).toBeNull();
  });

  it('makes ids that are valid names', () => {
    expect(freshCorrectionId('dup_orders', [])).toBe('fix_dup_orders');
    expect(freshCorrectionId('x', [{ id: 'fix_x' }, { id: 'fix_x_2' }])).toBe('fix_x_3');
  });
});

describe('the runner with corrections', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'northstar-corrections-'));
    await engine.run(
      `COPY (SELECT * FROM (VALUES (1, TIMESTAMP '2025-12-01 10:00:00', 10.0, 'Black Friday'), (2, TIMESTAMP '2025-12-02 10:00:00', 20.0, 'Blak Friday'), ` +
        `(2, TIMESTAMP '2025-12-02 10:00:00', 20.0, 'Blak Friday'), (3, TIMESTAMP '2025-12-03 10:00:00', 30.0, 'Black Friday')) AS t(order_id, order_ts, amount, campaign)) ` +
        `TO ${str(path.join(dir, 'orders.parquet')).text} (FORMAT parquet)`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const dashboard = (corrections: unknown[]) =>
    DashboardFile.parse({
      type: 'northstar.dashboard',
      schemaVersion: 2,
      id: 'a1b2c3d4-0000-4000-8000-000000000000',
      title: 't',
      sources: [{ name: 'orders', kind: 'file', path: 'orders.parquet', format: 'parquet' }],
      datasets: [{ name: 'orders', kind: 'table', source: 'orders', timeColumn: 'order_ts', measures: [{ name: 'revenue', agg: 'sum', column: 'amount' }] }],
      panels: [{ id: 'kpi', kind: 'kpi', title: 'Revenue', dataset: 'orders', measure: 'revenue', comparison: 'none' }],
      layout: [{ panel: 'kpi', x: 0, y: 0, w: 3, h: 2 }],
      timeRange: { from: '2025-12-01', to: '2025-12-31' },
      checks: [{ id: 'dup', title: 'dup', dataset: 'orders', rule: 'duplicate_key', params: { key: 'order_id' }, severity: 'error' }],
      corrections,
    });

  async function run(file: DashboardFile, cache: Map<string, LoadedDataset>, raw = false, maxGroupRows?: number, executed?: string[]) {
    const datasets = new Map<string, DatasetRunState>();
    const panels = new Map<string, PanelRunState>();
    await runDashboardQueries(
      executed ? { query: (sql) => engine.query(sql), describe: (t) => engine.describe(t), exec: (sql) => (executed.push(sql.text), engine.exec(sql)) } : engine,
      file,
      {
        linkSource: async () => ({ urls: [path.join(dir, 'orders.parquet')], location: 'orders.parquet' }),
        onDataset: (n, s) => datasets.set(n, s),
        onPanel: (id, s) => panels.set(id, s),
      },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache, raw, ...(maxGroupRows ? { maxGroupRows } : {}) },
    );
    const state = datasets.get('orders');
    if (state?.status !== 'ready') throw new Error(`dataset not ready: ${JSON.stringify(state)}`);
    const kpi = panels.get('kpi');
    if (kpi?.status !== 'ready') throw new Error(`panel not ready: ${JSON.stringify(kpi)}`);
    const [check] = await runChecks(engine, file, (name) => {
      const dataset = file.datasets.find((d) => d.name === name);
      return dataset && { dataset, table: datasetTable(dataset), columns: new Set(state.columns.map((c) => c.name)), period: state.period };
    });
    return { state, value: kpi.result.rows[0]?.value, check: check?.status };
  }

  it('panels and checks read the corrected view; raw and a broken correction fall back visibly', async () => {
    const cache = new Map<string, LoadedDataset>();
    const raw = await run(dashboard([]), cache);
    expect([raw.value, raw.check, raw.state.rowCount]).toEqual([80, 'fail', 4]);

    const dedupe = { id: 'dedupe', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'loaded twice', author: 'me' };
    // Same cache: the data is not read again, only the view is re-made.
    const fixed = await run(dashboard([dedupe]), cache);
    expect([fixed.value, fixed.check, fixed.state.rowCount]).toEqual([60, 'pass', 3]);
    expect(fixed.state.corrections).toEqual({ applied: ['dedupe'], problems: [], raw: false, rawRowCount: 4 });

    // A large table (here: at most 2 rows grouped a statement) finds its copies in slices: the same view.
    const executed: string[] = [];
    const sliced = await run(dashboard([dedupe]), new Map(), false, 2, executed);
    expect([sliced.value, sliced.check, sliced.state.rowCount]).toEqual([60, 'pass', 3]);
    expect(executed.filter((sql) => /__dropped_1" .*hash\("order_id"\) % 2::UBIGINT = [01] QUALIFY/.test(sql))).toHaveLength(2);

    const showRaw = await run(dashboard([dedupe]), cache, true);
    expect([showRaw.value, showRaw.check]).toEqual([80, 'fail']);
    expect(showRaw.state.corrections?.raw).toBe(true);

    const broken = { ...dedupe, id: 'broken', params: { key: 'order_idd', duplicates: 'keep_one' } };
    const withBroken = await run(dashboard([broken]), cache);
    expect(withBroken.value).toBe(80);
    expect(withBroken.state.corrections?.problems).toEqual([{ id: 'broken', message: 'Correction `broken`: column "order_idd" does not exist in dataset orders' }]);
  });

  it('never trusts an older cache entry of the same table: its view is gone', async () => {
    const cache = new Map<string, LoadedDataset>();
    const dedupe = { id: 'dedupe', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'r', author: 'me' };
    expect((await run(dashboard([]), cache)).value).toBe(80);
    // Another definition of the dataset loads the table again (another cache key), with a correction...
    const relabelled = dashboard([dedupe]);
    relabelled.datasets = relabelled.datasets.map((d) => ({ ...d, label: 'Orders (relabelled)' }));
    expect((await run(relabelled, cache)).value).toBe(60);
    expect(cache.size).toBe(1);
    // ...and going back (an undo) must not reuse the first entry's view of a table since replaced.
    expect((await run(dashboard([]), cache)).value).toBe(80);
  });
});
