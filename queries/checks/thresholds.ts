// dbt-style thresholds on a failure count: `warn_if: ">10"`, `error_if: ">100"`, both "!=0" by default.
// As in dbt, a check with severity "error" fails when error_if holds and warns when only warn_if
// does; a check with severity "warn" never fails, it warns when warn_if (or error_if) holds.
import { z } from 'zod';
import type { CheckStatus, RuleOutcome } from './types';

const PATTERN = /^\s*(>=|<=|!=|==|=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

export const ThresholdText = z
  .string()
  .max(32)
  .regex(PATTERN, 'must compare the count with a number, e.g. ">10", ">=1" or "!=0"')
  .describe('A condition on the failure count, dbt style: ">10", ">=1", "!=0", "=0".');

/** The warn_if / error_if params, spread into the params of every rule that counts failures. */
export const ThresholdParams = {
  warn_if: ThresholdText.optional().describe('When the check warns (default "!=0").'),
  error_if: ThresholdText.optional().describe('When a check of severity "error" fails (default "!=0").'),
};

export interface Thresholds {
  warn_if?: string | undefined;
  error_if?: string | undefined;
}

const DEFAULT = '!=0';

/** Whether the count meets a threshold like ">10". */
export function meets(threshold: string, count: number): boolean {
  const match = PATTERN.exec(threshold);
  if (!match) throw new Error(`invalid threshold ${JSON.stringify(threshold)}`);
  const limit = Number(match[2]);
  switch (match[1]) {
    case '>':
      return count > limit;
    case '>=':
      return count >= limit;
    case '<':
      return count < limit;
    case '<=':
      return count <= limit;
    case '!=':
      return count !== limit;
    default:
      return count === limit;
  }
}

/** The status of a check from its rule's outcome, its severity and its thresholds. */
export function judge(outcome: RuleOutcome, severity: 'warn' | 'error', thresholds: Thresholds): Exclude<CheckStatus, 'error'> {
  const failedStatus = severity === 'error' ? 'fail' : 'warn';
  if (outcome.count === null) return outcome.failed ? failedStatus : 'pass';
  if (severity === 'error' && meets(thresholds.error_if ?? DEFAULT, outcome.count)) return 'fail';
  const warnIf = thresholds.warn_if ?? DEFAULT;
  // A severity "warn" check with only error_if set still speaks up when the count reaches it.
  if (meets(warnIf, outcome.count) || (severity === 'warn' && thresholds.error_if !== undefined && meets(thresholds.error_if, outcome.count))) return 'warn';
  return 'pass';
}

/** "fails when the count is >10 (warns when >0)" style text for `expected`, when thresholds are set. */
export function describeThresholds(thresholds: Thresholds): string {
  const parts: string[] = [];
  if (thresholds.error_if !== undefined) parts.push(`error if ${thresholds.error_if.trim()}`);
  if (thresholds.warn_if !== undefined) parts.push(`warn if ${thresholds.warn_if.trim()}`);
  return parts.join(', ');
}
