// A first look at a data set: run every rule that applies, with sensible defaults, and report what
// looks wrong. It infers the time column and a unique key when not told, and says what it chose.
// Findings are proposals for checks: each names the rule and column a check would use.
import type { QueryEngine } from '../dashboard-runner';
import { column } from '../sql';
import { countColumns, isNumericType, isTemporalType, isTextType, namedLikeId, namedLikeTime, type ColumnCounts } from '../column-kinds';
import type { Row } from '../engine/engine';
import { RULES, queryCheck } from './index';
import { judgeNullCounts, nullCountsQuery } from './null-rate';
import { DAY_MS, asNumber, formatCount, formatShare, isoDay, plural } from './stats';
import type { CheckContext, CheckEnv, Example, RuleOutcome } from './types';

export interface ScanOptions {
  /** The column that places rows in time (default: inferred). */
  time?: string;
  /** The column that should be unique (default: inferred). */
  key?: string;
  /** "Now", for freshness; without it freshness is not judged (an old extract is not stale data). */
  asOf?: number;
  /** Told before each step ("duplicate_key on order_id"), for a progress line. */
  onStep?: (step: string, done: number) => void;
  /** Stops the scan between two queries: it then rejects with ScanCancelled. */
  signal?: AbortSignal;
}

/** The scan was stopped through its signal. */
export class ScanCancelled extends Error {
  override readonly name = 'ScanCancelled';
  constructor() {
    super('the scan was cancelled');
  }
}

/**
 * The params a check of a finding's rule runs with: the scan's own defaults, so a check pinned
 * from a finding judges exactly what the scan judged. null for a rule the scan does not run.
 */
export function scanCheckParams(rule: string, column: string | null): Record<string, unknown> | null {
  switch (rule) {
    case 'duplicate_key':
      return column === null ? null : { key: column };
    case 'near_duplicate_values':
    case 'null_rate':
    case 'total_jump':
      return column === null ? null : { column };
    case 'unexpected_values':
      return column === null ? null : { column, referenceDays: 90, recentDays: 7 };
    case 'range':
      return column === null ? null : { column, min: 0 };
    case 'volume':
      return {};
    case 'freshness':
      return { maxAgeHours: 48 };
    default:
      return null;
  }
}

export interface ScanFinding {
  rule: string;
  column: string | null;
  severity: 'warn' | 'error';
  detail: string;
  examples: Example[];
}

export interface ScanResult {
  rows: number;
  findings: ScanFinding[];
  inferred: { time: string | null; key: string | null };
  /** What was chosen and why, and what could not be judged. */
  notes: string[];
}

/** How a column looks: type and counts from one profiling query (the starter profile's query). */
type ColumnProfile = ColumnCounts;

const KEY_TYPES = /^(U?(SMALL|BIG|HUGE)?INT(EGER)?|VARCHAR|UUID)$/i;

/** Distinct values at most, for a text column to be checked for look-alike values. */
const MAX_DISTINCT_NEAR_DUPLICATES = 1000;
/** Distinct values at most, for a text column to be checked for values new in the last week. */
const MAX_DISTINCT_NEW_VALUES = 100;
/** A measure with at least this share of non-negative values "should not" be negative. */
const NON_NEGATIVE_SHARE = 0.999;
/** A spike of NULLs this far above the usual share (in points) is an error, not a warning. */
const NULL_SPIKE_ERROR = 0.2;

/** Scan a loaded table: every applicable rule with default params, findings worst first. */
export async function scanDataset(engine: QueryEngine, table: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const described = await engine.describe(table);
  const columns = new Set(described.map((c) => c.name));
  if (opts.time !== undefined) column(opts.time, columns, '--time');
  if (opts.key !== undefined) column(opts.key, columns, '--key');
  let done = 0;
  const step = (what: string) => {
    if (opts.signal?.aborted) throw new ScanCancelled();
    opts.onStep?.(what, done);
    done += 1;
  };
  step('profiling the columns');
  const { rows, profiles } = await profile(engine, table, described);
  const notes: string[] = [];
  const time = opts.time ?? inferTime(profiles, notes);
  const key = opts.key ?? inferKey(profiles, rows, notes);
  if (opts.time !== undefined) notes.push(`time column: ${opts.time} (given)`);
  if (opts.key !== undefined) notes.push(`key: ${opts.key} (given)`);
  const span = spanNote(profiles.find((p) => p.name === time));
  if (span !== null) notes.push(span);

  const ctx: CheckContext = { table, columns, timeColumn: time, where: 'scan' };
  const env: CheckEnv = { now: opts.asOf ?? Date.now() };
  const findings: ScanFinding[] = [];
  const run = async (rule: string, col: string | null, what: string): Promise<RuleOutcome | null> => {
    step(`${rule} on ${what}`);
    const params = scanCheckParams(rule, col) ?? {};
    try {
      const prepared = RULES.get(rule)?.prepare(ctx, params);
      if (!prepared) throw new Error(`no rule ${rule}`);
      const result = await queryCheck(engine, prepared, ctx);
      return prepared.evaluate(result.rows, env);
    } catch (err) {
      // Too little data for a rule (CheckCannotRun) is worth a note, not a finding.
      notes.push(`${rule} on ${what} not judged: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };
  const add = (rule: string, col: string | null, severity: 'warn' | 'error', outcome: RuleOutcome | null) => {
    if (!outcome) return;
    const failed = outcome.count === null ? outcome.failed === true : outcome.count > 0;
    if (failed) findings.push({ rule, column: col, severity, detail: outcome.message, examples: outcome.examples });
  };

  if (key !== null) add('duplicate_key', key, 'error', await run('duplicate_key', key, key));

  const textColumns = profiles.filter((p) => isTextType(p.type) && p.name !== key && p.distinct >= 2);
  for (const p of textColumns.filter((c) => c.distinct <= MAX_DISTINCT_NEAR_DUPLICATES)) {
    add('near_duplicate_values', p.name, 'warn', await run('near_duplicate_values', p.name, p.name));
  }

  if (time !== null) {
    for (const p of textColumns.filter((c) => c.distinct <= MAX_DISTINCT_NEW_VALUES)) {
      add('unexpected_values', p.name, 'warn', await run('unexpected_values', p.name, p.name));
    }
    // null_rate on every column, from one pass over the table.
    const nullable = profiles.filter((c) => c.name !== time);
    let counts: Row[] | null = null;
    step('null_rate on every column');
    try {
      counts = (await engine.query(nullCountsQuery(ctx, nullable.map((c) => c.name)))).rows;
    } catch (err) {
      notes.push(`null_rate not judged: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const [i, p] of (counts ? nullable : []).entries()) {
      let outcome: RuleOutcome | null = null;
      try {
        outcome = judgeNullCounts(counts as Row[], i, { column: p.name });
      } catch (err) {
        notes.push(`null_rate on ${p.name} not judged: ${err instanceof Error ? err.message : String(err)}`);
      }
      const jump = Math.max(0, ...(outcome?.examples ?? []).map((e) => (asNumber(e.null_share as number) ?? 0) - (asNumber(e.baseline as number) ?? 0)));
      add('null_rate', p.name, jump >= NULL_SPIKE_ERROR ? 'error' : 'warn', outcome);
    }
  } else notes.push('no time column: null_rate, volume, total_jump, unexpected_values and freshness were not run (give one with --time)');

  const measures = profiles.filter((p) => isNumericType(p.type) && p.name !== key && !namedLikeId(p.name));
  for (const p of measures) {
    // Only a column that is (almost) never negative "should" be: a few negatives there are suspicious.
    if (p.negative > 0 && p.nonNull > 0 && p.nonNegative / p.nonNull >= NON_NEGATIVE_SHARE) {
      add('range', p.name, 'warn', await run('range', p.name, p.name));
    }
  }

  if (time !== null) {
    add('volume', time, 'warn', await run('volume', time, 'rows per day'));
    for (const p of measures) add('total_jump', p.name, 'warn', await run('total_jump', p.name, p.name));
    if (opts.asOf !== undefined) add('freshness', time, 'warn', await run('freshness', time, time));
    else notes.push('freshness not judged: give --as-of to judge how old the newest row is');
  }

  // Worst first; within a severity, in the order the rules ran.
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return { rows, findings, inferred: { time, key }, notes };
}

async function profile(engine: QueryEngine, table: string, described: { name: string; type: string }[]): Promise<{ rows: number; profiles: ColumnProfile[] }> {
  const { rows, columns } = await countColumns(engine, table, described, { signs: true, span: true });
  return { rows, profiles: columns };
}

/** Days a time column may span before its extremes look like placeholders (a century). */
const PLAUSIBLE_SPAN_DAYS = 36_600;

/** A note when the time column spans more than a century: its oldest or newest values are likely placeholders. */
function spanNote(time: ColumnProfile | undefined): string | null {
  if (!time || time.minMs === null || time.maxMs === null || (time.maxMs - time.minMs) / DAY_MS <= PLAUSIBLE_SPAN_DAYS) return null;
  const day = (ms: number) => (Number.isNaN(new Date(ms).getTime()) ? (ms < 0 ? 'before the year -271821' : 'after the year 275760') : isoDay(Math.floor(ms / DAY_MS)));
  return `time column: ${time.name} spans ${day(time.minMs)} … ${day(time.maxMs)}, more than a century: placeholder or broken dates there make the days next to real data read as jumps from nothing`;
}

/** The likely time column: a DATE/TIMESTAMP column, preferring names like *_ts, *_at, date. */
function inferTime(profiles: ColumnProfile[], notes: string[]): string | null {
  const candidates = profiles.filter((p) => isTemporalType(p.type) && p.nonNull > 0);
  if (candidates.length === 0) {
    notes.push('time column: none found (no DATE or TIMESTAMP column)');
    return null;
  }
  const ranked = [...candidates].sort((a, b) => Number(namedLikeTime(b.name)) - Number(namedLikeTime(a.name)) || b.nonNull - a.nonNull);
  const chosen = ranked[0] as ColumnProfile;
  const why =
    candidates.length === 1
      ? `the only ${chosen.type} column`
      : `${chosen.type}${namedLikeTime(chosen.name) ? ', named like a time' : ''}; other candidates: ${ranked
          .slice(1)
          .map((p) => p.name)
          .join(', ')}`;
  notes.push(`time column: ${chosen.name} (inferred: ${why})`);
  return chosen.name;
}

/** The likely unique key: named like an id, with (almost) as many distinct values as rows. */
function inferKey(profiles: ColumnProfile[], rows: number, notes: string[]): string | null {
  const candidates = profiles.filter((p) => KEY_TYPES.test(p.type) && namedLikeId(p.name) && rows > 0 && p.nonNull >= 0.99 * rows && p.distinct >= 0.95 * p.nonNull);
  if (candidates.length === 0) {
    notes.push('key: none found (no column named like an id with a distinct value on (almost) every row); give one with --key');
    return null;
  }
  const chosen = [...candidates].sort((a, b) => b.distinct / b.nonNull - a.distinct / a.nonNull)[0] as ColumnProfile;
  const share = chosen.distinct / rows;
  notes.push(
    `key: ${chosen.name} (inferred: named like an id, ${formatCount(chosen.distinct)} distinct values in ${plural(rows, 'row')}${share < 1 ? `, ${formatShare(share)}` : ''})`,
  );
  return chosen.name;
}
