// What the headless commands that run a dashboard (run, check) share: their common options, opening
// the file, the trust decision, and an engine that reads only the dashboard's declared sources.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { authoredSql } from '../dashboards/authored-sql';
import { canonicalContent } from '../dashboards/revision';
import type { DashboardFile } from '../dashboards/schema';
import type { RunCallbacks } from '../queries/dashboard-runner';
import { Engine } from '../queries/engine/engine';
import { TrustStore } from '../electron/services/trust-store';
import { nodeBootstrap } from './engine-node';
import { linkLocalSource } from './local-sources';
import { loadDashboardFile, printable, problemLine, UsageError, type CommandIo } from './commands/command';

/** The options every dashboard-running command takes. */
export interface HeadlessArgs {
  dashboard: string;
  /** Source name → local path (as typed: relative to the current directory). */
  sources: Map<string, string>;
  asOf: number | null;
  /** Run on raw data: the file's corrections are not applied. */
  raw: boolean;
  /** Run the file's SQL even though this machine does not trust the file. */
  trust: boolean;
}

/** Help text for the shared options, for a command's `details`. */
export const HEADLESS_OPTIONS_HELP = [
  '  --source NAME=PATH   read source NAME from PATH (relative to the current directory) instead of the',
  '                       path in the file. Paths in the file are read relative to, and only inside, the',
  "                       dashboard's folder (never hidden or key files); a path you give is read anywhere.",
  '  --as-of ISO          "now" for periods anchored on the current time (default: the clock).',
  "  --trust              run the file's SQL (SQL datasets, custom_sql checks) although this machine does",
  '                       not trust the file. Without it such a file runs only when trusted here: saved or',
  '                       trusted in the Northstar app. Read the SQL first. Trusted or not, the engine',
  "                       reads only the dashboard's sources: no other file on this machine.",
];

/** `--flag VALUE` or `--flag=VALUE` options, `--switch` flags and positionals. */
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

/** The shared options out of parsed arguments; `rest` gets every other valued option. */
export function headlessArgs(command: string, parsed: ReturnType<typeof parseOptions>, rest: (flag: string, value: string) => void): HeadlessArgs {
  const sources = new Map<string, string>();
  let asOf: number | null = null;
  for (const [flag, value] of parsed.values) {
    if (flag === '--as-of') asOf = parseAsOf(value);
    else if (flag === '--source') {
      const split = value.indexOf('=');
      if (split <= 0) throw new UsageError(`--source needs NAME=PATH, not ${printable(JSON.stringify(value))}`);
      const name = value.slice(0, split);
      const file = value.slice(split + 1);
      if (file === '') throw new UsageError(`--source ${printable(name)}= needs a path`);
      if (sources.has(name)) throw new UsageError(`source ${printable(JSON.stringify(name))} is rebound twice`);
      sources.set(name, localPathArg(`--source ${name}`, file));
    } else rest(flag, value);
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`${command} needs exactly one DASHBOARD file`);
  return { dashboard: parsed.positionals[0] as string, sources, asOf, raw: parsed.switches.has('--raw'), trust: parsed.switches.has('--trust') };
}

/** An --as-of value as epoch ms. */
export function parseAsOf(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--as-of needs an ISO date or time, e.g. 2026-01-31T12:00:00Z, not ${printable(JSON.stringify(value))}`);
  return ms;
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
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new UsageError(`${printable(what)}: ${printable(value)} is not a local file; the headless runner reads local files only: download a copy and pass its path`);
  return value;
}

/**
 * The dashboard, ready to run: loaded (problems and warnings printed), its --source names checked,
 * and trusted to run its SQL. Null when it cannot run; what is wrong and what to do is on stderr.
 */
export async function openForRun(opts: HeadlessArgs, io: CommandIo): Promise<DashboardFile | null> {
  const loaded = await loadDashboardFile(opts.dashboard);
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr(problemLine(opts.dashboard, problem));
    return null;
  }
  for (const warning of loaded.warnings) io.stderr(problemLine(opts.dashboard, warning, true));
  const dashboard = loaded.dashboard;
  const declared = dashboard.sources.map((s) => s.name);
  for (const name of opts.sources.keys()) {
    if (!declared.includes(name)) {
      throw new UsageError(`--source: the dashboard has no source ${printable(JSON.stringify(name))}; its sources: ${declared.map((n) => printable(n)).join(', ') || '(none)'}`);
    }
  }
  const code = ownSql(dashboard);
  if (code.length > 0 && !opts.trust && !(await trustedHere(dashboard))) {
    io.stderr(
      `northstar: ${printable(opts.dashboard)} runs its own SQL (${code.join(', ')}), and this machine does not trust the file, so nothing ran. ` +
        `Read that SQL first; then run again with --trust, or open the file in Northstar and choose "Trust" (remembered by content in ${trustStore().file}).\n`,
    );
    return null;
  }
  return dashboard;
}

/** The SQL a file brings of its own, named for the refusal: SQL datasets and custom_sql checks. */
export function ownSql(dashboard: DashboardFile): string[] {
  return authoredSql(dashboard).map((a) => printable(a.what));
}

/** The trust store the app keeps ($NORTHSTAR_HOME, else ~/.northstar), read the app's way: by content hash. */
function trustStore(): TrustStore {
  return new TrustStore(process.env.NORTHSTAR_HOME || path.join(os.homedir(), '.northstar'));
}

async function trustedHere(dashboard: DashboardFile): Promise<boolean> {
  // The same hash as the app's (host-services contentHashOf): SHA-256 of the canonical content.
  return trustStore().has(createHash('sha256').update(canonicalContent(dashboard), 'utf8').digest('hex'));
}

/** The part of the run callbacks that links sources: local files, confined, and allowed to the engine. */
export type HeadlessEngineUse<T> = (engine: Engine, linkSource: RunCallbacks['linkSource']) => Promise<T>;

/**
 * Start the app's engine (the Node build of the pinned DuckDB-WASM), use it, and always end its
 * thread. The engine reads only the files `linkSource` linked (or `readable`), nothing else.
 */
export async function withNodeEngine<T>(use: HeadlessEngineUse<T>, link: { dashboardDir: string; rebound: ReadonlyMap<string, string> } | null = null, readable: readonly string[] = []): Promise<T> {
  const bootstrap = nodeBootstrap();
  bootstrap.allowReading(readable);
  let engine: Engine;
  try {
    engine = await Promise.race([Engine.start(bootstrap), bootstrap.crashed]);
  } catch (err) {
    bootstrap.dispose();
    throw new Error(`the query engine could not start: ${(err as Error).message}`);
  }
  const linkSource: RunCallbacks['linkSource'] = (source) => {
    if (!link) return Promise.reject(new Error('this command reads no dashboard sources'));
    return linkLocalSource(source, { ...link, allowReading: (files) => bootstrap.allowReading(files), registerFile: (name, bytes) => engine.registerFile(name, bytes) });
  };
  try {
    return await Promise.race([use(engine, linkSource), bootstrap.crashed]);
  } finally {
    // A crashed thread never answers the close: do not wait for it.
    await Promise.race([engine.terminate(), bootstrap.crashed]).catch(() => {});
    bootstrap.dispose();
  }
}
