// What every data-quality rule shares: the table it reads, the shape of its answer, and how a
// rule is declared (typed params, one query, a pure evaluation of the rows that query returns).
import type { z } from 'zod';
import type { Row, Scalar } from '../engine/engine';
import type { GroupingSize } from '../group-slices';
import type { Sql } from '../sql';

/** The rows a rule reads: a loaded dataset table, or the table a scan was given. */
export interface CheckContext {
  /** The in-memory table (or view). */
  table: string;
  /** Its real column names: every identifier is checked against them. */
  columns: ReadonlySet<string>;
  /** The column that places a row in time (the dataset's timeColumn), when there is one. */
  timeColumn: string | null;
  /** Who is asking, for messages: `check "dup_orders"`. */
  where: string;
  /**
   * The most rows one statement may group by a key (default `MAX_GROUP_ROWS` of group-slices.ts;
   * less when the engine's free memory says so): a rule that groups every row by a key of its own
   * (duplicate_key) splits the work into statements above it.
   */
  maxGroupRows?: number;
}

/**
 * A rule's work as statements run in order on one connection: `setup`, then `query`, whose rows
 * are judged, then `teardown`, which runs even when a statement before it failed.
 */
export interface CheckPlan {
  setup: Sql[];
  query: Sql;
  teardown: Sql[];
}

/** What an evaluation may know beyond the rows: "now", for freshness. */
export interface CheckEnv {
  now: number;
}

/** A JSON value inside an example (a key, a day, a count...). */
export type ExampleValue = Scalar | Scalar[] | { [key: string]: Scalar };
/** One example of what failed: a repeated key, a misspelt value, a day outside its band. */
export type Example = Record<string, ExampleValue>;

/** A rule's verdict on the rows, before the check's severity and thresholds turn it into a status. */
export interface RuleOutcome {
  /**
   * How many things failed (keys, rows, values, days...): judged by warn_if / error_if (dbt style,
   * default "!=0"). null for rules that observe something else (freshness: an age).
   */
  count: number | null;
  /** For rules without a count: whether the check failed. */
  failed?: boolean;
  observed: number | string | null;
  expected: string;
  examples: Example[];
  /** One line, for people: "`Blak Friday` (20 rows) looks like `Black Friday` (9,409 rows)". */
  message: string;
  /** The days or buckets the failure sits in, for charts to mark (rules that place it in time). */
  affected?: AffectedSpan[];
}

/**
 * A stretch of time a failure sits in: one day (`from` = `to`) or a week or month bucket, as
 * inclusive YYYY-MM-DD days, with a short note for people ("904 repeated order_id values").
 */
export interface AffectedSpan {
  from: string;
  to: string;
  note: string;
}

/** Where in time a check failed: the time column it judged by, and the spans. */
export interface AffectedTime {
  timeColumn: string;
  spans: AffectedSpan[];
}

/** The check could not judge the data (nothing to compare with...): its status is "error". */
export class CheckCannotRun extends Error {
  override readonly name = 'CheckCannotRun';
}

/** A rule: typed params, one query, a pure evaluation of that query's rows. */
export interface CheckRule<P> {
  name: string;
  summary: string;
  /** The params, validated (strict: an unknown param is an error, so a typo never goes unnoticed). */
  params: z.ZodType<P>;
  /** The query whose rows `evaluate` judges: failure rows or a summary, never the whole table. */
  build(ctx: CheckContext, params: P): Sql;
  /**
   * Optional: the same answer as `build`'s query, in several statements that each hold less memory,
   * for a table of `size.rows` rows; null when one statement is fine at that size.
   */
  split?(ctx: CheckContext, params: P, size: GroupingSize): CheckPlan | null;
  /** Judge the rows; throws CheckCannotRun when they cannot say (no data to compare with). */
  evaluate(rows: Row[], params: P, env: CheckEnv): RuleOutcome;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error';

/** The result of one check of a dashboard, as `northstar check` and the app show it. */
export interface CheckResult {
  id: string;
  title: string;
  rule: string;
  severity: 'warn' | 'error';
  /** warn / fail: the check failed with severity warn / error; error: it could not run. */
  status: CheckStatus;
  observed: number | string | null;
  expected: string;
  owner: string | null;
  examples: Example[];
  message: string;
  /** Only when asked for (the app marks charts with it; the CLI's JSON keeps its contract). */
  affected?: AffectedTime;
}
