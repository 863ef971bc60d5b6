// Runs the real bin (node cli/northstar.mjs) the way scripts do, and pins the output contract.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDashboard, serializeDashboard } from '../dashboards/document';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'cli/northstar.mjs');
const EXAMPLE = 'dashboards/examples/customer-kpis.dashboard.json';
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

type Run = { status: number | null; stdout: string; stderr: string };

function northstar(args: string[], cwd = ROOT): Run {
  const env = { ...process.env };
  delete env.NORTHSTAR_DEBUG;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env, timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

/** Every run, whatever the input, must keep stack traces out of both streams. */
function expectNoStack(r: Run) {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).not.toMatch(/^\s+at /m);
}

type Json = Record<string, unknown> & {
  title: string;
  schemaVersion: number;
  panels: { id: string; kind: string; title: string; [k: string]: unknown }[];
  layout: { panel: string; [k: string]: unknown }[];
  sources: Record<string, unknown>[];
  timeRange: { lastDays: number };
};

const example = (): Json => JSON.parse(readFileSync(path.join(ROOT, EXAMPLE), 'utf8')) as Json;

let tmp = '';
const file = (name: string) => path.join(tmp, name);
function write(name: string, content: string | object): string {
  writeFileSync(file(name), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  return file(name);
}

/**
 * The example written as schema version 1 (no owner, filters, checks, corrections, dataset kinds or
 * followFilters), so this keeps working whatever version the committed example is at.
 */
function v1Example(): Json {
  const d = example();
  if (d.schemaVersion === 1) return d;
  const v1: Json = { ...d, schemaVersion: 1 };
  for (const key of ['owner', 'filters', 'checks', 'corrections']) delete v1[key];
  const datasets = (d.datasets as Record<string, unknown>[]).filter((ds) => ds.kind === 'table');
  v1.datasets = datasets.map(({ kind: _kind, ...ds }) => ds);
  v1.panels = d.panels.filter((p) => ['kpi', 'chart', 'table'].includes(p.kind)).map(({ followFilters: _f, ...p }) => p as Json['panels'][number]);
  v1.layout = d.layout.filter((l) => v1.panels.some((p) => p.id === l.panel));
  return v1;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-cli-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('northstar (top level)', () => {
  it('prints help on --help and help, exit 0', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = northstar(args);
      expect(r.status).toBe(0);
      expect(lines(r.stdout)[0]).toBe('Usage: northstar <command> [options]');
      for (const command of ['validate FILE...', 'diff OLD NEW [--json]', 'migrate FILE [--write [--force]]']) expect(r.stdout).toContain(command);
      expect(r.stderr).toBe('');
    }
    const diffHelp = northstar(['help', 'diff']);
    expect(diffHelp.status).toBe(0);
    expect(lines(diffHelp.stdout)[0]).toBe('Usage: northstar diff OLD NEW [--json]');
    expect(northstar(['migrate', '--help']).stdout).toMatch(/^Usage: northstar migrate FILE/);
  });

  it('prints the version from package.json', () => {
    for (const flag of ['--version', '-V']) {
      const r = northstar([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`northstar ${VERSION}\n`);
    }
  });

  it('exits 2 with the usage on stderr for no command, an unknown command or an unknown option', () => {
    const cases: [string[], string][] = [
      [[], 'northstar: no command given'],
      [['frobnicate', 'x.json'], 'northstar: unknown command "frobnicate"'],
      [['publish'], 'northstar: unknown command "publish"'],
      [['--verbose'], 'northstar: unknown option "--verbose"'],
      [['help', 'nope'], 'northstar: unknown command "nope"'],
    ];
    for (const [args, message] of cases) {
      const r = northstar(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)[0]).toBe(message);
      expect(r.stderr).toContain('Usage: northstar <command> [options]');
      expectNoStack(r);
    }
  });

  it('runs from any working directory', () => {
    const elsewhere = file('elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(elsewhere, 'tsconfig.json'), '{ this is not json');
    const r = northstar(['validate', path.join(ROOT, EXAMPLE)], elsewhere);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});

describe('northstar validate', () => {
  it('accepts the example silently', () => {
    expect(northstar(['validate', EXAMPLE])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('accepts a v1 file (it loads through migration)', () => {
    const v1 = write('valid-v1.json', v1Example());
    expect(northstar(['validate', v1])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('prints one line per problem with its JSON path, exit 1', () => {
    const d = example();
    d.title = '';
    d.timeRange.lastDays = 0;
    const broken = write('broken.json', d);
    const r = northstar(['validate', broken]);
    expect(r.status).toBe(1);
    expect(lines(r.stdout)).toEqual([
      `${broken}: $.title: Too small: expected string to have >=1 characters`,
      `${broken}: $.timeRange.lastDays: Too small: expected number to be >=1`,
    ]);
    expect(r.stderr).toBe('');
  });

  it('prints warnings but still exits 0', () => {
    const d = example();
    const kpi = d.panels.find((p) => p.kind === 'kpi');
    if (!kpi) throw new Error('the example has a KPI panel');
    kpi.measure = 'no_such_measure';
    // The demo's checks guard its KPIs: without them, the dropped panel is the one warning.
    d.checks = [];
    const index = d.panels.indexOf(kpi);
    const warned = write('warned.json', d);
    const r = northstar(['validate', warned]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)).toEqual([
      `${warned}: $.panels[${index}]: warning: panel "${kpi.id}" was dropped: dataset "orders" has no measure "no_such_measure"`,
    ]);
  });

  it('reports files that are not dashboards, too new, hold a secret, or cannot be read', () => {
    const tooNew = write('too-new.json', { ...example(), schemaVersion: 99 });
    const withSecret = example();
    withSecret.sources[0] = { ...withSecret.sources[0], secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    const secret = write('secret.json', withSecret);
    const notJson = write('not-json.json', '{ "type": "northstar.dashboard", ');
    const notDashboard = write('package.json', { name: 'x' });
    const missing = file('missing.json');
    const folder = file('a-folder.json');
    mkdirSync(folder, { recursive: true });

    const r = northstar(['validate', EXAMPLE, tooNew, secret, notJson, notDashboard, missing, folder]);
    expect(r.status).toBe(1);
    const out = lines(r.stdout);
    expect(out).toHaveLength(6);
    expect(out[0]).toBe(`${tooNew}: $: Made with a newer Northstar (schema version 99; this app reads up to 2): upgrade to open it.`);
    expect(out[1]).toMatch(new RegExp(`^${escape(secret)}: \\$\\.sources\\[0\\]\\.secretAccessKey: .*credential`));
    expect(out[1]).not.toContain('wJalrXUtnFEMI');
    expect(out[2]).toMatch(new RegExp(`^${escape(notJson)}: \\$: Not valid JSON: `));
    expect(out[3]).toBe(`${notDashboard}: $: Not a Northstar dashboard: "type" must be "northstar.dashboard".`);
    expect(out[4]).toBe(`${missing}: $: cannot read the file: no such file`);
    expect(out[5]).toBe(`${folder}: $: cannot read the file: it is a directory`);
    expect(r.stderr).toBe('');
    expectNoStack(r);
  });

  it('keeps each problem on one line and escapes control characters from the file', () => {
    const d = example();
    const kpi = d.panels.find((p) => p.kind === 'kpi');
    if (!kpi) throw new Error('the example has a KPI panel');
    kpi.measure = 'evil\u001b[2J\nline';
    const evil = write('evil.json', d);
    const r = northstar(['validate', evil]);
    expect(r.stdout).not.toContain('\u001b');
    expect(lines(r.stdout).every((l) => l.startsWith(`${evil}: $`))).toBe(true);
  });

  it('exits 2 on usage errors', () => {
    for (const args of [['validate'], ['validate', '--strict', EXAMPLE]]) {
      const r = northstar(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: northstar validate FILE...');
    }
    // After `--`, a name that starts with "-" is a file.
    const r = northstar(['validate', '--', '-odd.json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('-odd.json: $: cannot read the file: no such file\n');
  });
});

describe('northstar diff', () => {
  function editedExample(): { base: string; edited: string; removed: { id: string; title: string }; title: string } {
    // Without the demo's checks, whose guards would change with the removed panel: one panel, one title.
    const d = { ...example(), checks: [] };
    const base = write('base.json', d);
    const title = d.title;
    const removed = d.panels.find((p) => p.kind === 'chart');
    if (!removed) throw new Error('the example has a chart panel');
    d.title = `${title} (edited)`;
    d.panels = d.panels.filter((p) => p !== removed);
    d.layout = d.layout.filter((l) => l.panel !== removed.id);
    return { base, edited: write('edited.json', d), removed, title };
  }

  it('prints the summary, then one line per change', () => {
    const { base, edited, removed, title } = editedExample();
    const r = northstar(['diff', base, edited]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `panel '${removed.title}' removed, title changed`,
        `- panel '${removed.title}' (${removed.id}) removed`,
        `~ title: ${JSON.stringify(title)} -> ${JSON.stringify(`${title} (edited)`)}`,
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('');
  });

  it('prints { summary, changes } with --json', () => {
    const { base, edited, removed, title } = editedExample();
    const r = northstar(['diff', '--json', base, edited]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: string; changes: { kind: string; [k: string]: unknown }[] };
    expect(out.summary).toBe(`panel '${removed.title}' removed, title changed`);
    expect(out.changes).toHaveLength(2);
    expect(out.changes[0]).toMatchObject({ kind: 'panelRemoved', id: removed.id, title: removed.title, panel: { id: removed.id } });
    expect(out.changes[1]).toEqual({
      kind: 'envelopeChanged',
      field: 'title',
      before: title,
      after: `${title} (edited)`,
      fields: [{ path: 'title', before: title, after: `${title} (edited)` }],
    });
  });

  it('says "no changes" for the same dashboard at another schema version and key order', () => {
    const v1 = write('diff-v1.json', v1Example());
    const migrated = northstar(['migrate', v1]);
    const shuffled = write('diff-v2.json', `${JSON.stringify(reverseKeys(JSON.parse(migrated.stdout)), null, 2)}\n`);
    const r = northstar(['diff', v1, shuffled]);
    expect(r).toEqual({ status: 0, stdout: 'no changes\n', stderr: '' });
    expect(JSON.parse(northstar(['diff', v1, shuffled, '--json']).stdout)).toEqual({ summary: 'no changes', changes: [] });
  });

  it('exits 1 with a message per file that cannot be loaded', () => {
    const bad = write('diff-bad.json', 'not json');
    const missing = file('diff-missing.json');
    const r = northstar(['diff', bad, missing]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const err = lines(r.stderr);
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(new RegExp(`^${escape(bad)}: \\$: Not valid JSON: `));
    expect(err[1]).toBe(`${missing}: $: cannot read the file: no such file`);
    expectNoStack(r);
  });

  it('exits 2 on usage errors', () => {
    for (const args of [['diff'], ['diff', EXAMPLE], ['diff', EXAMPLE, EXAMPLE, EXAMPLE], ['diff', '--yaml', EXAMPLE, EXAMPLE]]) {
      const r = northstar(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: northstar diff OLD NEW [--json]');
    }
  });
});

describe('northstar migrate', () => {
  it('prints the migrated file and changes the file only with --write', () => {
    const original = `${JSON.stringify(v1Example(), null, 2)}\n`;
    const v1 = write('migrate-v1.json', original);
    const loaded = loadDashboard(original);
    if (!loaded.ok) throw new Error(loaded.error.message);
    const expected = serializeDashboard(loaded.dashboard);

    const printed = northstar(['migrate', v1]);
    expect(printed).toEqual({ status: 0, stdout: expected, stderr: '' });
    expect((JSON.parse(printed.stdout) as Json).schemaVersion).toBe(2);
    expect(readFileSync(v1, 'utf8')).toBe(original);

    const written = northstar(['migrate', v1, '--write']);
    expect(written).toEqual({ status: 0, stdout: `${v1}: migrated from v1 to v2\n`, stderr: '' });
    expect(readFileSync(v1, 'utf8')).toBe(expected);

    const again = northstar(['migrate', '--write', v1]);
    expect(again).toEqual({ status: 0, stdout: `${v1}: already at v2\n`, stderr: '' });
    expect(readFileSync(v1, 'utf8')).toBe(expected);
    expect(northstar(['migrate', v1]).stdout).toBe(expected);
  });

  it('leaves a file it could only open with repairs alone, unless --force', () => {
    const d = v1Example();
    const kpi = d.panels.find((p) => p.kind === 'kpi');
    if (!kpi) throw new Error('the example has a KPI panel');
    kpi.measure = 'no_such_measure';
    const original = `${JSON.stringify(d, null, 2)}\n`;
    const repaired = write('migrate-repaired.json', original);

    const refused = northstar(['migrate', '--write', repaired]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    const err = lines(refused.stderr);
    expect(err[0]).toMatch(new RegExp(`^${escape(repaired)}: \\$\\.panels\\[\\d+\\]: warning: panel "${kpi.id}" was dropped`));
    expect(err[1]).toBe(
      `northstar: ${repaired} was not written: loading it dropped or repaired content (warnings above); fix the file, or pass --force to write the repaired version`,
    );
    expect(readFileSync(repaired, 'utf8')).toBe(original);

    const forced = northstar(['migrate', '--write', '--force', repaired]);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toBe(`${repaired}: migrated from v1 to v2\n`);
    expect(readFileSync(repaired, 'utf8')).not.toContain(`"${kpi.id}"`);
  });

  it('exits 1 when the file cannot be loaded, without touching it', () => {
    const tooNewText = `${JSON.stringify({ ...example(), schemaVersion: 3 })}\n`;
    const tooNew = write('migrate-too-new.json', tooNewText);
    const r = northstar(['migrate', '--write', tooNew]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${tooNew}: $: Made with a newer Northstar (schema version 3; this app reads up to 2): upgrade to open it.\n`);
    expect(readFileSync(tooNew, 'utf8')).toBe(tooNewText);
    const missing = northstar(['migrate', file('nowhere.json')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`${file('nowhere.json')}: $: cannot read the file: no such file\n`);
  });

  it('exits 2 on usage errors', () => {
    for (const args of [['migrate'], ['migrate', EXAMPLE, EXAMPLE], ['migrate', '--dry-run', EXAMPLE], ['migrate', '--force', EXAMPLE]]) {
      const r = northstar(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: northstar migrate FILE');
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
