// A dashboard file from someone else, run with the CLI: its SQL runs only when trusted (--trust, or
// trusted on this machine by the app), and even then the engine reads only the dashboard's declared
// sources. Through the real bin, with real files: a planted secret outside the dashboard's folder
// must never show up in any output.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalContent } from '../dashboards/revision';
import { loadDashboard } from '../dashboards/document';
import { binRunner, dashboardEnvelope, expectNoStack, type Run } from './test-harness';

const RUN_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 3 * RUN_TIMEOUT_MS;
const SECRET = 'NORTHSTAR-PLANTED-SECRET-7f3a9c';

let tmp = '';
let home = '';
let folder = '';
let secretFile = '';
let northstar: (args: string[], light?: boolean) => Promise<Run>;

/** A one-panel dashboard over `sales.csv` (or the given sources) whose dataset is `sql`, in `folder`. */
function writeDashboard(name: string, opts: { sql?: string; sources?: unknown[]; checks?: unknown[] }): string {
  const doc = {
    ...dashboardEnvelope('00000000-0000-4000-8000-00000000b001', 'From a colleague'),
    checks: opts.checks ?? [],
    sources: opts.sources ?? [{ kind: 'file', name: 'sales', path: 'sales.csv', format: 'csv' }],
    datasets: [
      opts.sql === undefined
        ? { kind: 'table', name: 'rows', source: (opts.sources?.[0] as { name: string } | undefined)?.name ?? 'sales', label: 'Rows', dimensions: [], hierarchies: [], measures: [] }
        : { kind: 'sql', name: 'rows', sql: opts.sql, dimensions: [], hierarchies: [], measures: [] },
    ],
    panels: [{ id: 'rows_table', kind: 'table', title: 'Rows', dataset: 'rows', columns: ['line'] }],
    layout: [{ panel: 'rows_table', x: 0, y: 0, w: 12, h: 4 }],
  };
  const file = path.join(folder, name);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

function expectNoLeak(r: Run) {
  expectNoStack(r);
  expect(r.stdout).not.toContain(SECRET);
  expect(r.stderr).not.toContain(SECRET);
  expect(r.stdout).not.toMatch(/root:x?:0:0/);
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-cli-hardening-'));
  home = path.join(tmp, 'home');
  folder = path.join(tmp, 'shared');
  mkdirSync(path.join(folder, 'parts'), { recursive: true });
  mkdirSync(path.join(folder, '.aws'), { recursive: true });
  writeFileSync(path.join(folder, 'sales.csv'), 'line,n\nfirst,1\nsecond,2\n');
  writeFileSync(path.join(folder, 'parts/a.csv'), 'line,n\npart-a,3\n');
  writeFileSync(path.join(folder, 'parts/b.csv'), 'line,n\npart-b,4\n');
  writeFileSync(path.join(folder, 'parts/.hidden.csv'), `line,n\n${SECRET},5\n`);
  writeFileSync(path.join(folder, '.aws/credentials'), `line,n\n${SECRET},5\n`);
  secretFile = path.join(tmp, 'secret.csv');
  writeFileSync(secretFile, `line,n\n${SECRET},5\n`);
  // Every run gets a Northstar home of its own: the developer's trust store must not decide.
  northstar = binRunner({ timeoutMs: RUN_TIMEOUT_MS, env: { NORTHSTAR_HOME: home } });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const rowsOf = (r: Run): unknown[] => (JSON.parse(r.stdout) as { panels: { rows: unknown[] }[] }).panels[0]?.rows ?? [];

describe('SQL in a dashboard file runs only when trusted', () => {
  it('an untrusted file with SQL is refused before anything runs, naming the SQL and what to do', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = writeDashboard('sql.dashboard.json', { sql: "SELECT * FROM read_csv_auto('/etc/passwd')" });
    const run = await northstar(['run', file, '--json'], true);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('runs its own SQL (dataset "rows")');
    expect(run.stderr).toContain('this machine does not trust the file, so nothing ran');
    expect(run.stderr).toContain('run again with --trust, or open the file in Northstar and choose "Trust"');
    expect(run.stderr).toContain(path.join(home, 'trusted-dashboards.json'));
    expectNoLeak(run);
    // check refuses the same way, with its "could not run" code; a custom_sql check counts as SQL too.
    const checkFile = writeDashboard('check.dashboard.json', {
      checks: [{ id: 'mine', title: 'Mine', dataset: 'rows', rule: 'custom_sql', params: { sql: 'SELECT 1 AS bad WHERE false' }, severity: 'error', guards: [] }],
    });
    const check = await northstar(['check', checkFile], true);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('runs its own SQL (check "mine")');
    expectNoLeak(check);
  });

  it('a file trusted in the app (its content hash in the trust store) runs without --trust', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = writeDashboard('trusted.dashboard.json', { sql: 'SELECT line FROM sales ORDER BY line' });
    const loaded = loadDashboard(readFileSync(file, 'utf8'));
    if (!loaded.ok) throw new Error('the test dashboard does not load');
    const hash = createHash('sha256').update(canonicalContent(loaded.dashboard), 'utf8').digest('hex');
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, 'trusted-dashboards.json'), JSON.stringify({ type: 'northstar.trusted-dashboards', version: 1, contentHashes: [hash] }));
    try {
      const run = await northstar(['run', file, '--json']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(rowsOf(run)).toEqual([{ line: 'first' }, { line: 'second' }]);
    } finally {
      rmSync(path.join(home, 'trusted-dashboards.json'));
    }
  });
});

describe('trusted SQL reads only the declared sources', () => {
  for (const [what, sql] of [
    ['/etc/passwd', "SELECT column0 AS line FROM read_csv_auto('/etc/passwd')"],
    ['a file outside the folder by absolute path', `SELECT line FROM read_csv_auto('${'SECRET_PATH'}')`],
    ['a hidden credential file inside the folder', "SELECT line FROM read_csv_auto('DOTAWS')"],
    ['a glob over a folder', "SELECT * FROM glob('/etc/*')"],
  ] as const) {
    it(`refuses ${what}, naming the file; nothing of it in any output`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const text = sql.replace('SECRET_PATH', secretFile.replaceAll("'", "''")).replace('DOTAWS', path.join(folder, '.aws/credentials').replaceAll("'", "''"));
      const file = writeDashboard(`reads-${what.replace(/\W+/g, '-')}.dashboard.json`, { sql: text });
      const run = await northstar(['run', file, '--trust', '--json']);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/is not a data source of this dashboard: the query engine reads only the files the dashboard declares|may not list folders/);
      expectNoLeak(run);
    });
  }

  it('cannot create a file either (the engine opens read-only, and only declared files)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const target = path.join(folder, 'created-by-sql.csv');
    const file = writeDashboard('creates.dashboard.json', { sql: `SELECT * FROM read_csv_auto('${target.replaceAll("'", "''")}')` });
    const run = await northstar(['run', file, '--trust', '--json']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('is not a data source of this dashboard');
    expect(existsSync(target)).toBe(false);
  });

  it('reads its declared source, also by its path, and a declared glob (hidden files left out)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const file = writeDashboard('declared.dashboard.json', {
      sources: [
        { kind: 'file', name: 'sales', path: 'sales.csv', format: 'csv' },
        { kind: 'file', name: 'parts', path: 'parts/*.csv', format: 'csv' },
      ],
      sql: `SELECT line FROM parts UNION ALL SELECT line FROM read_csv_auto('${path.join(folder, 'sales.csv').replaceAll("'", "''")}') ORDER BY line`,
    });
    const run = await northstar(['run', file, '--trust', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(rowsOf(run)).toEqual([{ line: 'first' }, { line: 'part-a' }, { line: 'part-b' }, { line: 'second' }]);
    expectNoLeak(run);
  });
});

describe("declared paths stay in the dashboard's folder", () => {
  it('refuses a source outside the folder, or a hidden/key file in it, naming it and the way to mean it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const outside = writeDashboard('outside.dashboard.json', { sources: [{ kind: 'file', name: 'sales', path: '../secret.csv', format: 'csv' }] });
    const run = await northstar(['run', outside, '--json']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("not reading ../secret.csv: the dashboard file may only read files in its own folder");
    expect(run.stderr).toContain('If you mean to read it, say so: --source sales=PATH.');
    expectNoLeak(run);

    const hidden = writeDashboard('hidden.dashboard.json', { sources: [{ kind: 'file', name: 'sales', path: '.aws/credentials', format: 'csv' }] });
    const hiddenRun = await northstar(['run', hidden, '--json']);
    expect(hiddenRun.status).toBe(1);
    expect(hiddenRun.stderr).toContain('not reading .aws/credentials: it is a hidden file or folder (".aws")');
    expectNoLeak(hiddenRun);
  });

  it('reads a file outside the folder when the user names it with --source', { timeout: TEST_TIMEOUT_MS }, async () => {
    const outside = writeDashboard('rebound.dashboard.json', { sources: [{ kind: 'file', name: 'sales', path: '../secret.csv', format: 'csv' }] });
    const run = await northstar(['run', outside, '--source', `sales=${secretFile}`, '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(rowsOf(run)).toEqual([{ line: SECRET }]);
  });
});
