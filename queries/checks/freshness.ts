// freshness: the newest timestamp is older than allowed, relative to now (or the --as-of time).
// Timestamps without a time zone are read as UTC, as everywhere in Northstar.
import { z } from 'zod';
import { Sql, ident } from '../sql';
import { TimeColumnParam, asNumber, asTimestamp, timeColumnOf } from './stats';
import type { CheckRule } from './types';

const Params = z
  .object({
    maxAgeHours: z.number().positive().max(24 * 3660).describe('The newest row may be at most this old.'),
    timeColumn: TimeColumnParam,
  })
  .strict();
type Params = z.infer<typeof Params>;

const HOUR_MS = 3_600_000;

export const freshness: CheckRule<Params> = {
  name: 'freshness',
  summary: 'The newest timestamp is older than maxAgeHours, relative to now or the as-of time.',
  params: Params,
  build(ctx, params) {
    const time = asTimestamp(timeColumnOf(ctx, params.timeColumn));
    return Sql.concat('SELECT CAST(epoch_ms(max(', time, ')) AS DOUBLE) AS "newest" FROM ', ident(ctx.table));
  },
  evaluate(rows, params, env) {
    const newest = asNumber(rows[0]?.newest);
    const expected = `newest row at most ${formatHours(params.maxAgeHours)} old`;
    if (newest === null) return { count: null, failed: true, observed: null, expected, examples: [], message: 'the data has no timestamps: nothing is fresh' };
    const ageHours = (env.now - newest) / HOUR_MS;
    const newestIso = new Date(newest).toISOString();
    const asOf = new Date(env.now).toISOString();
    const failed = ageHours > params.maxAgeHours;
    const message =
      ageHours < 0
        ? `the newest row (${newestIso}) is ${formatHours(-ageHours)} in the future of ${asOf}`
        : `the newest row (${newestIso}) is ${formatHours(ageHours)} old at ${asOf}${failed ? `: more than ${formatHours(params.maxAgeHours)}` : ''}`;
    return {
      count: null,
      failed,
      observed: Math.round(ageHours * 100) / 100,
      expected,
      examples: [{ newest: newestIso, as_of: asOf, age_hours: Math.round(ageHours * 100) / 100 }],
      message,
    };
  },
};

function formatHours(hours: number): string {
  if (hours >= 48) return `${Math.round((hours / 24) * 10) / 10} days`;
  return `${Math.round(hours * 10) / 10} h`;
}
