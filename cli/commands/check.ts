// `northstar check`: a dashboard's data-quality checks, headless, for scripts and CI. The datasets
// load through the app's own runner on the app's own pinned DuckDB-WASM (Node build), so a check
// sees exactly the rows the dashboard shows.
import path from 'node:path';
import type { DashboardFile } from '../../dashboards/schema';
import { datasetTable, DEFAULT_MEMORY_BUDGET_BYTES, runDashboardQueries, type DatasetRunState } from '../../queries/dashboard-runner';
import { runChecks, type CheckResult } from '../../queries/checks/index';
import { HEADLESS_OPTIONS_HELP, headlessArgs, openForRun, parseOptions, withNodeEngine, type HeadlessArgs } from '../headless';
import { counted, printable, UsageError, type Command } from './command';
import { correctionWarnings } from './run';

type Format = 'text' | 'json' | 'junit';

interface CheckArgs extends HeadlessArgs {
  format: Format;
}

export const checkCommand: Command = {
  name: 'check',
  synopsis: 'check DASHBOARD [options] [--trust]',
  summary: "Run a dashboard's data-quality checks; exit 1 when a check of severity error fails.",
  details: [
    "Loads the datasets the checks read (the way the app does, on the same DuckDB-WASM build) and runs",
    'every check in file order.',
    '',
    ...HEADLESS_OPTIONS_HELP,
    "  --raw                check the data as loaded, without the file's corrections. Without it, checks",
    '                       read each dataset through its corrections (as the app does), so a check whose',
    '                       problem a correction fixes passes; a correction that cannot be applied is left',
    '                       out with a warning on stderr.',
    '  --format FORMAT      text (default): one line per check, marked ✓ pass, ! warn, ✗ fail or could not',
    '                       run, then a summary line; json: { "dashboard", "title", "checks": [{ "id",',
    '                       "title", "rule", "severity", "status", "observed", "expected", "owner",',
    '                       "examples", "message" }] } with status pass|warn|fail|error; junit: JUnit XML,',
    '                       one testcase per check (<failure> for fail, <error> when it could not run).',
    '',
    'Exit 0 when no check of severity error fails, 1 when one does, 2 when checks could not run (the file',
    'cannot be loaded or is not trusted to run its SQL, a source cannot be read, a check is invalid, the',
    'engine fails) or on usage errors.',
  ].join('\n'),
  async run(args, io) {
    const opts = parseCheckArgs(args);
    const dashboard = await openForRun(opts, io);
    if (!dashboard) return 2;
    let results: CheckResult[];
    try {
      results = await runHeadlessChecks(dashboard, path.dirname(path.resolve(opts.dashboard)), opts, (line) => io.stderr(`northstar: warning: ${printable(line)}\n`));
    } catch (err) {
      io.stderr(`northstar: ${printable(err instanceof Error ? err.message : String(err))}\n`);
      return 2;
    }
    if (opts.format === 'json') io.stdout(`${JSON.stringify({ dashboard: opts.dashboard, title: dashboard.title, checks: results }, null, 2)}\n`);
    else if (opts.format === 'junit') io.stdout(formatJunit(dashboard, results));
    else io.stdout(formatText(results));
    for (const r of results.filter((x) => x.status === 'error')) io.stderr(`northstar: check ${printable(JSON.stringify(r.id))} could not run: ${printable(r.message)}\n`);
    if (dashboard.checks.length === 0) io.stderr(`northstar: ${printable(opts.dashboard)}: the dashboard has no checks\n`);
    return exitCode(results);
  },
};

/** 2 when any check could not run (its verdict is unknown), else 1 when an error-severity check failed. */
export function exitCode(results: readonly CheckResult[]): number {
  if (results.some((r) => r.status === 'error')) return 2;
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

// ---- Arguments ------------------------------------------------------------------------------------

function parseCheckArgs(args: readonly string[]): CheckArgs {
  let format: Format = 'text';
  const common = headlessArgs('check', parseOptions(args, ['--source', '--as-of', '--format'], ['--raw', '--trust']), (_flag, value) => {
    // Only --format is left.
    if (value !== 'text' && value !== 'json' && value !== 'junit') throw new UsageError(`--format is text, json or junit, not ${printable(JSON.stringify(value))}`);
    format = value;
  });
  return { ...common, format };
}

// ---- Running --------------------------------------------------------------------------------------

async function runHeadlessChecks(dashboard: DashboardFile, dashboardDir: string, opts: CheckArgs, warn: (line: string) => void): Promise<CheckResult[]> {
  if (dashboard.checks.length === 0) return [];
  const now = opts.asOf ?? Date.now();
  return withNodeEngine(async (engine, linkSource) => {
    // Only the datasets the checks read, and no panels: the runner then just loads them.
    const wanted = new Set(dashboard.checks.map((c) => c.dataset));
    const states = new Map<string, DatasetRunState>();
    await runDashboardQueries(
      engine,
      { ...dashboard, datasets: dashboard.datasets.filter((d) => wanted.has(d.name)), panels: [] },
      {
        linkSource,
        onDataset: (name, state) => states.set(name, state),
        onPanel: () => {},
      },
      { trusted: true, now, raw: opts.raw, memoryBudgetBytes: DEFAULT_MEMORY_BUDGET_BYTES },
    );
    for (const line of correctionWarnings(states.values())) warn(line);
    return runChecks(
      engine,
      dashboard,
      (name) => {
        const dataset = dashboard.datasets.find((d) => d.name === name);
        const state = states.get(name);
        if (!dataset || !state) return undefined;
        if (state.status === 'ready') return { dataset, table: datasetTable(dataset), columns: new Set(state.columns.map((c) => c.name)), period: state.period };
        if (state.status === 'error') return { error: `dataset "${name}" could not be loaded: ${state.message}` };
        return { error: `dataset "${name}" did not load` };
      },
      // Trusted: openForRun refused a file with SQL that neither --trust nor this machine trusts.
      { asOf: now, trusted: true },
    );
  }, { dashboardDir, rebound: opts.sources });
}

// ---- Output ---------------------------------------------------------------------------------------

const MARKS: Record<CheckResult['status'], string> = { pass: '✓', warn: '!', fail: '✗', error: '✗' };

function formatText(results: readonly CheckResult[]): string {
  const lines = results.map((r) => {
    const what = r.status === 'error' ? `could not run: ${r.message}` : r.message;
    return `${MARKS[r.status]} ${r.id} [${r.rule}, ${r.severity}] ${printable(r.title)}: ${printable(what)}`;
  });
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  lines.push(`${counted(results.length, 'check')}: ${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('error')} could not run`);
  return `${lines.join('\n')}\n`;
}

/** Text for XML: the five special characters escaped, characters XML 1.0 cannot hold dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function formatJunit(dashboard: DashboardFile, results: readonly CheckResult[]): string {
  const failures = results.filter((r) => r.status === 'fail').length;
  const errors = results.filter((r) => r.status === 'error').length;
  const counts = `tests="${results.length}" failures="${failures}" errors="${errors}" skipped="0"`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="northstar check" ${counts}>`, `  <testsuite name="${xml(dashboard.title)}" ${counts}>`];
  for (const r of results) {
    const datasetOf = dashboard.checks.find((c) => c.id === r.id)?.dataset ?? '';
    out.push(`    <testcase classname="${xml(`northstar.${datasetOf}`)}" name="${xml(`${r.id}: ${r.title}`)}">`);
    // Properties first (as pytest writes them), then the verdict.
    out.push(`      <properties><property name="rule" value="${xml(r.rule)}"/><property name="severity" value="${xml(r.severity)}"/><property name="status" value="${r.status}"/>${r.owner ? `<property name="owner" value="${xml(r.owner)}"/>` : ''}</properties>`);
    const body = xml(`${r.message}\nobserved: ${JSON.stringify(r.observed)}\nexpected: ${r.expected}\nexamples: ${JSON.stringify(r.examples)}`);
    if (r.status === 'fail') out.push(`      <failure type="${xml(r.rule)}" message="${xml(r.message)}">${body}</failure>`);
    else if (r.status === 'error') out.push(`      <error type="${xml(r.rule)}" message="${xml(r.message)}">${xml(r.message)}</error>`);
    else if (r.status === 'warn') out.push(`      <system-out>${xml(`warning: ${r.message}`)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
