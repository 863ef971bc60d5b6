// `northstar check`: a dashboard's data-quality checks, headless, for scripts and CI. The datasets
// load through the app's own runner on the app's own pinned DuckDB-WASM (Node build), so a check
// sees exactly the rows the dashboard shows.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DashboardFile } from '../../dashboards/schema';
import { datasetTable, DEFAULT_MEMORY_BUDGET_BYTES, runDashboardQueries, type DatasetRunState } from '../../queries/dashboard-runner';
import { Engine } from '../../queries/engine/engine';
import { runChecks, type CheckResult } from '../../queries/checks/index';
import { nodeBootstrap } from '../engine-node';
import { linkLocalSource } from '../local-sources';
import { loadDashboardFile, printable, problemLine, UsageError, type Command } from './command';
import { correctionWarnings } from './run';

type Format = 'text' | 'json' | 'junit';

interface CheckArgs {
  dashboard: string;
  sources: Map<string, string>;
  asOf: number | null;
  format: Format;
  /** Check the data as loaded, without the file's corrections. */
  raw: boolean;
}

export const checkCommand: Command = {
  name: 'check',
  synopsis: 'check DASHBOARD [options]',
  summary: "Run a dashboard's data-quality checks; exit 1 when a check of severity error fails.",
  details: [
    "Loads the datasets the checks read (the way the app does, on the same DuckDB-WASM build) and runs",
    'every check in file order. The file is run as trusted: its SQL datasets and custom_sql checks run.',
    '',
    '  --source NAME=PATH   read source NAME from PATH (relative to the current directory) instead of the',
    '                       path in the file (file sources are read relative to the dashboard file).',
    '  --as-of ISO          "now" for freshness checks (default: the clock).',
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
    'cannot be loaded, a source cannot be read, a check is invalid, the engine fails) or on usage errors.',
  ].join('\n'),
  async run(args, io) {
    const opts = parseCheckArgs(args);
    const loaded = await loadDashboardFile(opts.dashboard);
    if (!loaded.ok) {
      for (const problem of loaded.problems) io.stderr(problemLine(opts.dashboard, problem));
      return 2;
    }
    for (const warning of loaded.warnings) io.stderr(problemLine(opts.dashboard, warning, true));
    const dashboard = loaded.dashboard;
    const declared = dashboard.sources.map((s) => s.name);
    for (const name of opts.sources.keys()) {
      if (!declared.includes(name)) {
        throw new UsageError(`--source: the dashboard has no source ${printable(JSON.stringify(name))}; its sources: ${declared.join(', ') || '(none)'}`);
      }
    }
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

/** `--flag VALUE` or `--flag=VALUE` options, `--switch` flags and positionals, as check and scan take them. */
export function parseOptions(args: readonly string[], valued: readonly string[], switches: readonly string[]): { positionals: string[]; values: [string, string][]; switches: Set<string> } {
  const positionals: string[] = [];
  const values: [string, string][] = [];
  const on = new Set<string>();
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    if (switches.includes(arg)) {
      on.add(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (!valued.includes(flag)) throw new UsageError(`unknown option ${printable(arg)}`);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      value = next;
      i += 1;
    }
    values.push([flag, value]);
  }
  return { positionals, values, switches: on };
}

/** An --as-of value as epoch ms. */
export function parseAsOf(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--as-of needs an ISO date or time, e.g. 2026-01-31T12:00:00Z, not ${printable(JSON.stringify(value))}`);
  return ms;
}

function parseCheckArgs(args: readonly string[]): CheckArgs {
  const parsed = parseOptions(args, ['--source', '--as-of', '--format'], ['--raw']);
  const sources = new Map<string, string>();
  let asOf: number | null = null;
  let format: Format = 'text';
  for (const [flag, value] of parsed.values) {
    if (flag === '--as-of') asOf = parseAsOf(value);
    else if (flag === '--format') {
      if (value !== 'text' && value !== 'json' && value !== 'junit') throw new UsageError(`--format is text, json or junit, not ${printable(JSON.stringify(value))}`);
      format = value;
    } else {
      const split = value.indexOf('=');
      if (split <= 0) throw new UsageError(`--source needs NAME=PATH, not ${printable(JSON.stringify(value))}`);
      const name = value.slice(0, split);
      const rest = value.slice(split + 1);
      if (rest === '') throw new UsageError(`--source ${printable(name)}= needs a path`);
      if (sources.has(name)) throw new UsageError(`source ${printable(JSON.stringify(name))} is rebound twice`);
      sources.set(name, localPathArg(`--source ${name}`, rest));
    }
  }
  if (parsed.positionals.length !== 1) throw new UsageError('check needs exactly one DASHBOARD file');
  return { dashboard: parsed.positionals[0] as string, sources, asOf, format, raw: parsed.switches.has('--raw') };
}

/** A path argument as a local path; URLs are refused (the Node build of DuckDB-WASM reads local files only). */
export function localPathArg(what: string, value: string): string {
  if (/^file:\/\//i.test(value)) {
    try {
      return fileURLToPath(value);
    } catch {
      throw new UsageError(`${printable(what)}: ${printable(value)} is not a valid file URL`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new UsageError(`${printable(what)}: ${printable(value)} is not a local file; download a copy and pass its path`);
  return value;
}

// ---- Running --------------------------------------------------------------------------------------

/** Start the app's engine (the Node build of the pinned DuckDB-WASM), use it, and always end its thread. */
export async function withNodeEngine<T>(use: (engine: Engine) => Promise<T>): Promise<T> {
  const bootstrap = nodeBootstrap();
  let engine: Engine;
  try {
    engine = await Promise.race([Engine.start(bootstrap), bootstrap.crashed]);
  } catch (err) {
    bootstrap.dispose();
    throw new Error(`the query engine could not start: ${(err as Error).message}`);
  }
  try {
    return await Promise.race([use(engine), bootstrap.crashed]);
  } finally {
    // A crashed thread never answers the close: do not wait for it.
    await Promise.race([engine.terminate(), bootstrap.crashed]).catch(() => {});
    bootstrap.dispose();
  }
}

async function runHeadlessChecks(dashboard: DashboardFile, dashboardDir: string, opts: CheckArgs, warn: (line: string) => void): Promise<CheckResult[]> {
  if (dashboard.checks.length === 0) return [];
  const now = opts.asOf ?? Date.now();
  return withNodeEngine(async (engine) => {
    // Only the datasets the checks read, and no panels: the runner then just loads them.
    const wanted = new Set(dashboard.checks.map((c) => c.dataset));
    const states = new Map<string, DatasetRunState>();
    await runDashboardQueries(
      engine,
      { ...dashboard, datasets: dashboard.datasets.filter((d) => wanted.has(d.name)), panels: [] },
      {
        linkSource: (source) => linkLocalSource(source, dashboardDir, opts.sources.get(source.name)),
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
      { asOf: now, trusted: true },
    );
  });
}

// ---- Output ---------------------------------------------------------------------------------------

const MARKS: Record<CheckResult['status'], string> = { pass: '✓', warn: '!', fail: '✗', error: '✗' };

function formatText(results: readonly CheckResult[]): string {
  const lines = results.map((r) => {
    const what = r.status === 'error' ? `could not run: ${r.message}` : r.message;
    return `${MARKS[r.status]} ${r.id} [${r.rule}, ${r.severity}] ${printable(r.title)}: ${printable(what)}`;
  });
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
  lines.push(`${results.length} checks: ${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('error')} could not run`);
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
