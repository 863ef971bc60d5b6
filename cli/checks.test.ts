// `northstar check` and `northstar scan` through the real bin, the way scripts and CI run them: exit
// codes 0/1/2 and the JSON / JUnit / text shapes. Each run starts DuckDB-WASM in a worker thread;
// runs that load the demo data take a few seconds each, so at most two run at a time.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrdersParquet, PLANTED } from './demo-data';
import { binRunner, DEMO, DEMO_PARQUET, expectNoStack } from './test-harness';
const AS_OF = '2026-01-01T12:00:00Z';
const RUN_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 3 * RUN_TIMEOUT_MS;

const northstar = binRunner({ timeoutMs: RUN_TIMEOUT_MS });

type CheckOut = { id: string; title: string; rule: string; severity: string; status: string; observed: unknown; expected: string; owner: string | null; examples: Record<string, unknown>[]; message: string };
type CheckJson = { dashboard: string; title: string; checks: CheckOut[] };
type Finding = { rule: string; column: string | null; severity: string; detail: string; examples: Record<string, unknown>[] };
type ScanJson = { data: string; rows: number; findings: Finding[]; inferred: { time: string | null; key: string | null }; notes: string[] };

const CHECKS = [
  { id: 'dup_orders', title: 'Each order once', dataset: 'orders', rule: 'duplicate_key', params: { key: 'order_id' }, severity: 'error', owner: 'orders-team@example.com', guards: ['kpi_orders'] },
  { id: 'campaign_spelling', title: 'Campaign names are consistent', dataset: 'orders', rule: 'near_duplicate_values', params: { column: 'campaign' }, severity: 'warn', guards: [] },
  { id: 'no_negative_amounts', title: 'Amounts are not negative', dataset: 'orders', rule: 'range', params: { column: 'amount', min: 0 }, severity: 'warn', guards: ['kpi_revenue'] },
  { id: 'fresh', title: 'Loaded today', dataset: 'orders', rule: 'freshness', params: { maxAgeHours: 24 }, severity: 'error', guards: [] },
];

let tmp = '';
let dashboard = '';
let clean = '';
let small = '';
let cleanReady: Promise<unknown>;
let smallReady: Promise<unknown>;

/** A copy of the demo dashboard with these checks (and corrections), next to a copy of its data. */
function writeDashboard(name: string, checks: unknown[], corrections: unknown[] = []): string {
  const file = path.join(tmp, name);
  const demo = JSON.parse(readFileSync(DEMO, 'utf8')) as Record<string, unknown>;
  delete demo.$schema;
  writeFileSync(file, `${JSON.stringify({ ...demo, checks, corrections }, null, 2)}\n`);
  return file;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-check-'));
  mkdirSync(path.join(tmp, 'data'));
  copyFileSync(DEMO_PARQUET, path.join(tmp, 'data/orders.parquet'));
  dashboard = writeDashboard('orders.dashboard.json', CHECKS);
  clean = path.join(tmp, 'clean.parquet');
  cleanReady = generateOrdersParquet({ rows: 60_000, clean: true, out: clean });
  // The same planted problems in fewer rows, for the runs that only look at the output's shape.
  small = path.join(tmp, 'small.parquet');
  smallReady = generateOrdersParquet({ rows: 60_000, out: small });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent('northstar check', { timeout: TEST_TIMEOUT_MS }, () => {
  it("checks the data through the file's corrections, or as loaded with --raw; a broken correction is a warning", async () => {
    const corrections = [
      { id: 'fix_campaign', kind: 'map_value', dataset: 'orders', params: { column: 'campaign', mappings: PLANTED.misspellings.map((m) => ({ from: m.value, to: PLANTED.misspelledCampaign })) }, reason: 'typos', author: 'ci' },
      { id: 'dedupe', kind: 'exclude_rows', dataset: 'orders', params: { key: 'order_id', duplicates: 'keep_one' }, reason: 'loaded twice', author: 'ci' },
      { id: 'broken', kind: 'map_value', dataset: 'orders', params: { column: 'campain', from: 'a', to: 'b' }, reason: 'typo in the column', author: 'ci' },
    ];
    const file = writeDashboard('corrected.dashboard.json', CHECKS.slice(0, 2), corrections);
    const [fixed, raw] = await Promise.all([northstar(['check', file, '--format', 'json']), northstar(['check', file, '--raw', '--format', 'json'])]);
    expectNoStack(fixed);
    expect(fixed.stderr).toBe('northstar: warning: Correction `broken`: column "campain" does not exist in dataset orders (left out)\n');
    expect(fixed.status).toBe(0);
    expect((JSON.parse(fixed.stdout) as CheckJson).checks.map((c) => [c.id, c.status])).toEqual([
      ['dup_orders', 'pass'],
      ['campaign_spelling', 'pass'],
    ]);
    expect(raw.stderr).toBe('');
    expect(raw.status).toBe(1);
    expect((JSON.parse(raw.stdout) as CheckJson).checks.map((c) => [c.id, c.status])).toEqual([
      ['dup_orders', 'fail'],
      ['campaign_spelling', 'warn'],
    ]);
  });

  it('--format json: every check in file order, exit 1 when an error-severity check fails', async () => {
    const r = await northstar(['check', dashboard, '--as-of', AS_OF, '--format', 'json']);
    expectNoStack(r);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as CheckJson;
    expect(Object.keys(out)).toEqual(['dashboard', 'title', 'checks']);
    expect(out).toMatchObject({ dashboard, title: 'Customer KPIs' });
    for (const c of out.checks) expect(Object.keys(c)).toEqual(['id', 'title', 'rule', 'severity', 'status', 'observed', 'expected', 'owner', 'examples', 'message']);
    expect(out.checks.map((c) => [c.id, c.status])).toEqual([
      ['dup_orders', 'fail'],
      ['campaign_spelling', 'warn'],
      ['no_negative_amounts', 'warn'],
      ['fresh', 'pass'],
    ]);
    const [dup, spelling, negative, fresh] = out.checks as [CheckOut, CheckOut, CheckOut, CheckOut];
    expect(dup).toMatchObject({ rule: 'duplicate_key', severity: 'error', owner: 'orders-team@example.com', expected: 'no repeated order_id' });
    expect(dup.message).toMatch(new RegExp(`all on ${PLANTED.duplicatedDay}$`));
    expect(dup.examples[0]).toMatchObject({ rows: 2, days: [PLANTED.duplicatedDay] });
    expect(typeof (dup.examples[0]?.key as Record<string, unknown>).order_id).toBe('number');
    expect(spelling.observed).toBe(PLANTED.misspellings.length);
    expect(spelling.examples.map((e) => e.value)).toEqual(PLANTED.misspellings.map((m) => m.value));
    expect(negative).toMatchObject({ observed: PLANTED.negativeAmountCount, owner: null });
    expect(fresh).toMatchObject({ expected: 'newest row at most 24 h old' });
    expect(fresh.observed as number).toBeCloseTo(12, 0);
    console.info(`northstar check (demo, 4 checks, json): ${r.ms.toFixed(0)} ms for the whole process`);
  });

  it('--format junit: one testcase per check, a failure for the failed one', async () => {
    await smallReady;
    const r = await northstar(['check', dashboard, '--source', `orders=${small}`, '--as-of', AS_OF, '--format=junit']);
    expect(r.status).toBe(1);
    const xml = r.stdout;
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="northstar check" tests="4" failures="1" errors="0" skipped="0">')).toBe(true);
    expect(xml).toContain('<testsuite name="Customer KPIs" tests="4" failures="1" errors="0" skipped="0">');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<\/testcase>/g)).toHaveLength(4);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toMatch(/<testcase classname="northstar\.orders" name="dup_orders: Each order once">\s*<properties>.*<\/properties>\s*<failure type="duplicate_key" message="[^"]*all on 2025-12-10">/);
    expect(xml).toMatch(/<system-out>warning: \d+ campaign values? on \d+ rows? looks? like misspellings: `[^`]+` \(\d+ rows?\) looks like `Black Friday` \([\d,]+ rows\)/);
    expect(xml).not.toMatch(/<error /);
  });

  it('text: one line per check with its mark, then a summary', async () => {
    await smallReady;
    const r = await northstar(['check', dashboard, '--source', `orders=${small}`, '--as-of', AS_OF]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['✗ dup_orders', '! campaign_spelling', '! no_negative_amounts', '✓ fresh', '4 checks:']);
    expect(lines[0]).toMatch(/^✗ dup_orders \[duplicate_key, error\] Each order once: \d+ repeated order_id values/);
    expect(lines[4]).toBe('4 checks: 1 passed, 2 warned, 1 failed, 0 could not run');
  });

  it('exit 0 on clean data (a source rebound with --source); freshness follows --as-of', async () => {
    await cleanReady;
    const [fine, stale] = await Promise.all([
      northstar(['check', dashboard, '--source', `orders=${clean}`, '--as-of', AS_OF, '--format', 'json']),
      northstar(['check', dashboard, '--source', `orders=${clean}`, '--as-of', '2026-01-03T12:00:00Z', '--format', 'json']),
    ]);
    expect(fine.stderr).toBe('');
    expect(fine.status).toBe(0);
    expect((JSON.parse(fine.stdout) as CheckJson).checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
    // Two and a half days later the same data is stale: freshness has severity error.
    expect(stale.status).toBe(1);
    const out = JSON.parse(stale.stdout) as CheckJson;
    expect(out.checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(out.checks[3]?.message).toContain('more than 24 h');
  });

  it('exit 2 when a source cannot be read: every check says why', async () => {
    const r = await northstar(['check', dashboard, '--source', `orders=${path.join(tmp, 'nope.parquet')}`, '--format', 'json']);
    expectNoStack(r);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout) as CheckJson;
    expect(out.checks.map((c) => c.status)).toEqual(['error', 'error', 'error', 'error']);
    expect(out.checks[0]?.message).toContain('nope.parquet (from --source): no such file');
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(4);
    expect(r.stderr).toMatch(/^northstar: check "dup_orders" could not run: dataset "orders" could not be loaded: /);
  });

  it('exit 2 when a check is invalid, even though the others ran', async () => {
    await cleanReady;
    const file = writeDashboard('bad-check.dashboard.json', [CHECKS[0], { ...CHECKS[2], id: 'typo', params: { column: 'amount', minimum: 0 } }]);
    const r = await northstar(['check', file, '--source', `orders=${clean}`, '--format', 'junit']);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('tests="2" failures="0" errors="1"');
    expect(r.stdout).toContain('<error type="range" message="check &quot;typo&quot; (range): unknown param &quot;minimum&quot;');
    expect(r.stderr).toBe('northstar: check "typo" could not run: check "typo" (range): unknown param "minimum"; param "min": give "min", "max" or both\n');
  });

  it('exit 2 when the dashboard cannot be loaded, and on usage errors', async () => {
    const broken = path.join(tmp, 'broken.dashboard.json');
    writeFileSync(broken, '{ "type": "northstar.dashboard", ');
    const runs = await Promise.all([
      northstar(['check', broken], true),
      northstar(['check', path.join(tmp, 'missing.json')], true),
      northstar(['check', dashboard, '--format', 'xml'], true),
      northstar(['check', dashboard, '--source', 'sales=x.parquet'], true),
      northstar(['check', dashboard, '--as-of', 'yesterday'], true),
    ]);
    for (const r of runs) {
      expectNoStack(r);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(runs[0]?.stderr).toMatch(/^.*broken\.dashboard\.json: \$: /);
    expect(runs[1]?.stderr).toContain('cannot read the file: no such file');
    expect(runs[2]?.stderr).toMatch(/^northstar: --format is text, json or junit, not "xml"\n/);
    expect(runs[3]?.stderr).toMatch(/^northstar: --source: the dashboard has no source "sales"; its sources: orders\n/);
    expect(runs[4]?.stderr).toMatch(/^northstar: --as-of needs an ISO date or time/);
  });
});

describe.concurrent('northstar scan', { timeout: TEST_TIMEOUT_MS }, () => {
  it('--json on the demo data: every planted problem, exit 1 for the error findings', async () => {
    const r = await northstar(['scan', DEMO_PARQUET, '--json', '--as-of', AS_OF]);
    expectNoStack(r);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as ScanJson;
    expect(Object.keys(out)).toEqual(['data', 'rows', 'findings', 'inferred', 'notes']);
    expect(out.inferred).toEqual({ time: 'order_ts', key: 'order_id' });
    for (const f of out.findings) expect(Object.keys(f)).toEqual(['rule', 'column', 'severity', 'detail', 'examples']);
    const find = (rule: string, column: string) => out.findings.find((f) => f.rule === rule && f.column === column);
    expect(find('duplicate_key', 'order_id')).toMatchObject({ severity: 'error' });
    expect(find('duplicate_key', 'order_id')?.detail).toContain(`all on ${PLANTED.duplicatedDay}`);
    expect(find('near_duplicate_values', 'campaign')?.examples.map((e) => [e.value, e.looks_like])).toEqual(PLANTED.misspellings.map((m) => [m.value, 'Black Friday']));
    expect(find('null_rate', 'amount')).toMatchObject({ severity: 'error', examples: [{ day: PLANTED.nullSpikeDay }] });
    expect(find('range', 'amount')?.detail).toMatch(/^7 rows with amount not ≥ 0/);
    console.info(`northstar scan (demo, --json): ${r.ms.toFixed(0)} ms for the whole process`);
  });

  it('text on clean data: exit 0, no error findings, the inferred columns named', async () => {
    await cleanReady;
    const r = await northstar(['scan', clean]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/clean\.parquet: 60,000 rows; \d+ findings \(0 errors, \d+ warnings\)$/);
    expect(lines).toContain('  note: time column: order_ts (inferred: the only TIMESTAMP column)');
    expect(lines.filter((l) => l.startsWith('✗'))).toEqual([]);
  });

  it('reads CSV, with --key and --time', async () => {
    const csv = path.join(tmp, 'tickets.csv');
    // DuckDB 0.9.1 drops doubled quotes from CSV headers: the hostile name here is a space and a '#'.
    const rows = ['Ticket #,opened,cost'];
    // One negative cost in 1,500 rows: a measure that is otherwise never negative (99.9%+).
    for (let i = 0; i < 1500; i += 1) rows.push(`${i % 1490},2025-02-${String(1 + (i % 28)).padStart(2, '0')} 10:00:00,${i === 3 ? -4 : 5}`);
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const r = await northstar(['scan', csv, '--key', 'Ticket #', '--time', 'opened', '--json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as ScanJson;
    expect(out.inferred).toEqual({ time: 'opened', key: 'Ticket #' });
    expect(out.findings.map((f) => [f.rule, f.column, f.severity])).toEqual([
      ['duplicate_key', 'Ticket #', 'error'],
      ['range', 'cost', 'warn'],
    ]);
  });

  it('exit 2 when the file cannot be scanned or a column is missing', async () => {
    const [missing, noColumn] = await Promise.all([
      northstar(['scan', path.join(tmp, 'nope.parquet')], true),
      northstar(['scan', DEMO_PARQUET, '--time', 'created_at']),
    ]);
    for (const r of [missing, noColumn]) {
      expectNoStack(r);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(missing.stderr).toMatch(/^northstar: .*nope\.parquet: no such file\n$/);
    expect(noColumn.stderr).toMatch(/^northstar: .*orders\.parquet: --time: the data has no column "created_at"\n$/);
    // A workbook saved as .csv: what it is, naming it once.
    const book = path.join(tmp, 'book.csv');
    writeFileSync(book, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(64)]));
    const workbook = await northstar(['scan', book]);
    expectNoStack(workbook);
    expect(workbook.status).toBe(2);
    expect(workbook.stderr).toBe(`northstar: ${book} is a ZIP archive (an Excel .xlsx workbook is one), not CSV text: export the sheet as CSV, or unzip the file.\n`);
  });
});
