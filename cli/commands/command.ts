// What every `northstar` subcommand shares: its shape, argument parsing, and loading a file from disk.
import { readFile } from 'node:fs/promises';
import { loadDashboard } from '../../dashboards/document';
import type { DashboardFile } from '../../dashboards/schema';

/** Where a command writes: raw text, so a command controls its own newlines. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** One subcommand. Adding a command is one file exporting one of these, listed in ../northstar.ts. */
export interface Command {
  name: string;
  /** e.g. `diff OLD NEW [--json]`, shown in the usage text. */
  synopsis: string;
  summary: string;
  /** Longer help for `northstar help NAME`, without the synopsis line. */
  details: string;
  /** Returns the exit code: 0 success, 1 a file is invalid or cannot be loaded; throws UsageError for 2. */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** Bad command-line arguments: reported with the usage text and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Split arguments into positionals and known `--flags`; anything else that starts with `-` is a usage error. */
export function parseArgs(args: readonly string[], knownFlags: readonly string[]): { positionals: string[]; flags: Set<string> } {
  const positionals: string[] = [];
  const flags = new Set<string>();
  let onlyPositionals = false;
  for (const arg of args) {
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) positionals.push(arg);
    else if (arg === '--') onlyPositionals = true;
    else if (knownFlags.includes(arg)) flags.add(arg);
    else throw new UsageError(`unknown option ${printable(arg)}`);
  }
  return { positionals, flags };
}

export type Problem = { path: string; message: string };

/** A file read and loaded, flattened from the loader's result so every command reports it the same way. */
export type LoadedFile =
  | { ok: true; dashboard: DashboardFile; warnings: Problem[]; migratedFrom: number | null }
  | { ok: false; problems: Problem[] };

/** Read a dashboard file and run it through the load pipeline. Never throws. */
export async function loadDashboardFile(file: string): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [{ path: '$', message: describeReadError(err) }] };
  }
  const result = loadDashboard(text);
  if (result.ok) {
    return { ok: true, dashboard: result.dashboard, warnings: result.warnings ?? [], migratedFrom: result.migratedFrom ?? null };
  }
  const error = result.error;
  const problems = error.kind === 'invalid' ? (error.problems ?? []) : [];
  if (problems.length > 0) return { ok: false, problems };
  return { ok: false, problems: [{ path: 'path' in error ? error.path : '$', message: error.message }] };
}

function describeReadError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read the file: no such file';
    case 'EISDIR':
      return 'cannot read the file: it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read the file: permission denied';
    default:
      return `cannot read the file: ${typeof code === 'string' ? code : err instanceof Error ? err.message : String(err)}`;
  }
}

/** `FILE: <path>: <message>` (or `FILE: <path>: warning: <message>`), one line whatever the message holds. */
export function problemLine(file: string, problem: Problem, warning = false): string {
  return `${printable(file)}: ${printable(problem.path)}: ${warning ? 'warning: ' : ''}${printable(problem.message)}\n`;
}

/**
 * Text from a file made safe for a terminal and for line-based scripts: newlines become spaces, other
 * control characters (escape sequences included) are shown as \uXXXX.
 */
export function printable(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** "1 row", "2 rows", "1,234 rows": a count with its noun in the number it needs. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}
