// The data-quality rules by name, and the runner that turns a dashboard's `checks` into results on
// any QueryEngine (the app's DuckDB-WASM, the CLI's Node build of it, native DuckDB in tests).
import type { Check, DashboardFile } from '../../dashboards/schema';
import type { QueryEngine } from '../dashboard-runner';
import type { QueryResult, Row } from '../engine/engine';
import type { DatasetContext } from '../panel-queries';
import { groupingSize, type GroupingSize } from '../group-slices';
import type { Sql } from '../sql';
import { columnSchema } from './column-schema';
import { customSql } from './custom-sql';
import { duplicateKey } from './duplicate-key';
import { freshness } from './freshness';
import { nearDuplicateValues } from './near-duplicate-values';
import { nullRate } from './null-rate';
import { range } from './range';
import { describeThresholds, judge, type Thresholds } from './thresholds';
import { CheckCannotRun, type CheckContext, type CheckEnv, type CheckPlan, type CheckResult, type CheckRule, type RuleOutcome } from './types';
import { unexpectedValues } from './unexpected-values';
import { totalJump, volume } from './volume';

export type { AffectedSpan, AffectedTime, CheckContext, CheckPlan, CheckEnv, CheckResult, CheckStatus, Example, RuleOutcome } from './types';

/** A rule with its params type erased: parse, then build and evaluate with what was parsed. */
export interface RegisteredRule {
  name: string;
  summary: string;
  /** Validate raw params; throws a CheckParamError naming the check and the param. */
  prepare(ctx: CheckContext, raw: unknown): PreparedCheck;
}

/** A check ready to run: its query, and how to judge the rows the query returns. */
export interface PreparedCheck {
  sql: Sql;
  thresholds: Thresholds;
  /** The column the rule places rows in time by (its timeColumn param, else the dataset's), if any. */
  timeColumn: string | null;
  evaluate(rows: Row[], env: CheckEnv): RuleOutcome;
  /** The rule's `split` for this table, when it has one: its statements for a table of that size. */
  split?: (size: GroupingSize) => CheckPlan | null;
}

/** The params of a check are invalid: the message names the check and the param. */
export class CheckParamError extends Error {
  override readonly name = 'CheckParamError';
}

function register<P>(rule: CheckRule<P>): RegisteredRule {
  return {
    name: rule.name,
    summary: rule.summary,
    prepare(ctx, raw) {
      const parsed = rule.params.safeParse(raw ?? {});
      if (!parsed.success) throw new CheckParamError(`${ctx.where} (${rule.name}): ${describeIssues(parsed.error.issues)}`);
      const params = parsed.data;
      const own = (params as { timeColumn?: unknown } | null)?.timeColumn;
      return {
        sql: rule.build(ctx, params),
        thresholds: thresholdsOf(params),
        timeColumn: typeof own === 'string' ? own : ctx.timeColumn,
        evaluate: (rows, env) => rule.evaluate(rows, params, env),
        ...(rule.split ? { split: (size: GroupingSize) => rule.split?.(ctx, params, size) ?? null } : {}),
      };
    },
  };
}

/** Every rule, by the name a check's `rule` field uses. */
export const RULES: ReadonlyMap<string, RegisteredRule> = new Map(
  [duplicateKey, unexpectedValues, nearDuplicateValues, nullRate, volume, totalJump, range, freshness, columnSchema, customSql].map(
    (rule) => [rule.name, register(rule as CheckRule<unknown>)] as const,
  ),
);

type Issue = { code: string; path: PropertyKey[]; message: string; keys?: string[] };

function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      if (issue.code === 'unrecognized_keys' && issue.keys) {
        const where = issue.path.length > 0 ? ` in param "${issue.path.map(String).join('.')}"` : '';
        return `unknown param${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${where}`;
      }
      const name = issue.path.length > 0 ? `param "${issue.path.map(String).join('.')}"` : 'params';
      const message = /received undefined$/.test(issue.message) ? 'is required' : issue.message;
      return `${name}: ${message}`;
    })
    .join('; ');
}

function thresholdsOf(params: unknown): Thresholds {
  if (typeof params !== 'object' || params === null) return {};
  const { warn_if, error_if } = params as Record<string, unknown>;
  return { warn_if: typeof warn_if === 'string' ? warn_if : undefined, error_if: typeof error_if === 'string' ? error_if : undefined };
}

/** A dataset as the checks see it: loaded, or why it is not. */
export type DatasetLookup = (dataset: string) => DatasetContext | { error: string } | undefined | Promise<DatasetContext | { error: string } | undefined>;

export interface RunChecksOptions {
  /** "Now" for freshness (default: the clock). */
  asOf?: number;
  /** custom_sql checks run only for a trusted file: they are the author's code. */
  trusted?: boolean;
  /** Add the days or buckets each failure sits in (`affected`), for charts to mark. */
  affected?: boolean;
}

/** The checks context of a loaded dataset. */
export function checkContext(ctx: DatasetContext, check: Pick<Check, 'id'>): CheckContext {
  return { table: ctx.table, columns: ctx.columns, timeColumn: ctx.dataset.timeColumn ?? null, where: `check "${check.id}"` };
}

/** Run one prepared check and judge it: never throws, a check that cannot run has status "error". */
export async function runCheck(
  engine: QueryEngine,
  check: Check,
  ctx: CheckContext | { error: string },
  env: CheckEnv,
  trusted = false,
  withAffected = false,
): Promise<CheckResult> {
  // Keys in the order of the JSON contract of `northstar check`.
  const result = (status: CheckResult['status'], observed: CheckResult['observed'], expected: string, examples: CheckResult['examples'], message: string): CheckResult => ({
    id: check.id,
    title: check.title,
    rule: check.rule,
    severity: check.severity,
    status,
    observed,
    expected,
    owner: check.owner ?? null,
    examples,
    message,
  });
  const failed = (message: string): CheckResult => result('error', null, '', [], message);
  const rule = RULES.get(check.rule);
  if (!rule) return failed(`unknown rule "${check.rule}"; the rules are ${[...RULES.keys()].join(', ')}`);
  if ('error' in ctx) return failed(ctx.error);
  if (check.rule === customSql.name && !trusted) return failed("custom_sql runs the file's own SQL: it runs only once you trust the file");
  let prepared: PreparedCheck;
  try {
    prepared = rule.prepare(ctx, check.params);
  } catch (err) {
    return failed(messageOf(err));
  }
  let outcome: RuleOutcome;
  try {
    const result = await queryCheck(engine, prepared, ctx);
    outcome = prepared.evaluate(result.rows, env);
  } catch (err) {
    return failed(err instanceof CheckCannotRun ? `${ctx.where}: ${err.message}` : `${ctx.where}: ${messageOf(err)}`);
  }
  const thresholds = describeThresholds(prepared.thresholds);
  const expected = thresholds ? `${outcome.expected} (${thresholds})` : outcome.expected;
  const judged = result(judge(outcome, check.severity, prepared.thresholds), outcome.observed, expected, outcome.examples, outcome.message);
  // Only a failure is marked on charts; a passing check may still list spans below its threshold.
  if (withAffected && judged.status !== 'pass' && prepared.timeColumn !== null && outcome.affected && outcome.affected.length > 0) {
    judged.affected = { timeColumn: prepared.timeColumn, spans: outcome.affected };
  }
  return judged;
}

/**
 * The rows a prepared check judges: its one query, or, for a rule that splits its work on a large
 * table, its statements in order, with its teardown run whatever happened. Such a rule is told the
 * table's rows and how many one statement may group (`groupingSize`: `ctx.maxGroupRows`, else
 * MAX_GROUP_ROWS, or fewer when the engine's free memory says so).
 */
export async function queryCheck(engine: QueryEngine, prepared: PreparedCheck, ctx: CheckContext): Promise<QueryResult> {
  if (!prepared.split) return engine.query(prepared.sql);
  const size = await groupingSize(engine, ctx.table, ctx.maxGroupRows);
  const plan = Number.isSafeInteger(size.rows) ? prepared.split(size) : null;
  if (!plan) return engine.query(prepared.sql);
  try {
    for (const statement of plan.setup) await engine.exec(statement);
    return await engine.query(plan.query);
  } finally {
    // A teardown that fails (the engine was restarted meanwhile) leaves nothing to clean up.
    for (const statement of plan.teardown) await engine.exec(statement).catch(() => undefined);
  }
}

/** Run every check of a dashboard on its loaded datasets; results come in file order. */
export async function runChecks(engine: QueryEngine, dashboard: DashboardFile, lookup: DatasetLookup, opts: RunChecksOptions = {}): Promise<CheckResult[]> {
  const env: CheckEnv = { now: opts.asOf ?? Date.now() };
  const results: CheckResult[] = [];
  for (const check of dashboard.checks) {
    const found = await lookup(check.dataset);
    let ctx: CheckContext | { error: string };
    if (found === undefined) {
      const declared = dashboard.datasets.some((d) => d.name === check.dataset);
      ctx = { error: declared ? `dataset "${check.dataset}" is not loaded` : `the dashboard has no dataset "${check.dataset}"` };
    } else ctx = 'error' in found ? found : checkContext(found, check);
    results.push(await runCheck(engine, check, ctx, env, opts.trusted ?? false, opts.affected ?? false));
  }
  return results;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
