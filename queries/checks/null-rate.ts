// null_rate: the share of NULLs in a column, per day (or week, month), spikes above its baseline.
// The baseline of a bucket is the median share of the buckets before it (a trailing window), and it
// spikes when it is above median + k·MAD and also above median + minIncrease: the absolute floor
// keeps a column that is never NULL (MAD 0) from alarming on a single NULL.
import { z } from 'zod';
import { Sql, column, grain, ident } from '../sql';
import { ColumnParam, DAY_MS, MAD_SCALE, TimeColumnParam, asNumber, asText, asTimestamp, dayNumber, formatShare, isoDay, mad, median, plural, timeColumnOf } from './stats';
import { ThresholdParams } from './thresholds';
import type { Row } from '../engine/engine';
import { CheckCannotRun, type CheckContext, type CheckRule, type Example, type RuleOutcome } from './types';

const Params = z
  .object({
    column: ColumnParam,
    grain: z.enum(['day', 'week', 'month']).default('day'),
    k: z.number().min(0).max(100).default(3).describe('How many (scaled) MADs above the median share a bucket may be.'),
    minIncrease: z.number().min(0).max(1).default(0.05).describe('The absolute floor: a spike is at least this much above the median share (0.05 = 5 points).'),
    minNulls: z.number().int().min(1).default(5).describe('A bucket with fewer NULLs than this never spikes.'),
    window: z.number().int().min(3).max(1000).default(28).describe('How many earlier buckets make the baseline.'),
    recent: z.number().int().min(1).max(100_000).optional().describe('Judge only the last N buckets (default: all).'),
    timeColumn: TimeColumnParam,
    ...ThresholdParams,
  })
  .strict();
type Params = z.infer<typeof Params>;

/** Fewer earlier buckets than this and the baseline is every other bucket instead. */
const MIN_HISTORY = 3;

interface Bucket {
  bucket: string;
  rows: number;
  nulls: number;
  share: number;
}

export const nullRate: CheckRule<Params> = {
  name: 'null_rate',
  summary: 'The share of NULLs of a column per day spikes above its baseline (median + k·MAD of the days before, with an absolute floor).',
  params: Params,
  build(ctx, params) {
    const col = column(params.column, ctx.columns, `${ctx.where} param "column"`);
    const time = asTimestamp(timeColumnOf(ctx, params.timeColumn));
    return Sql.concat(
      'SELECT strftime(date_trunc(', grain(params.grain), ', ', time, "), '%Y-%m-%d') AS \"bucket\", CAST(count(*) AS DOUBLE) AS \"rows\", ",
      'CAST(count(*) FILTER (WHERE ', col, ' IS NULL) AS DOUBLE) AS "nulls" FROM ', ident(ctx.table), ' WHERE ', time, ' IS NOT NULL GROUP BY 1 ORDER BY 1',
    );
  },
  evaluate(rows, params) {
    return judgeBuckets(rows, params);
  },
};

/**
 * The rows and NULLs per bucket of several columns in one pass (the scan judges every column):
 * columns "bucket", "rows" and "nulls_0", "nulls_1"... in the order of `columns`.
 */
export function nullCountsQuery(ctx: CheckContext, columns: readonly string[], grainName: 'day' | 'week' | 'month' = 'day'): Sql {
  const time = asTimestamp(timeColumnOf(ctx, undefined));
  const counts = columns.map((name, i) =>
    Sql.concat('CAST(count(*) FILTER (WHERE ', column(name, ctx.columns, ctx.where), ' IS NULL) AS DOUBLE) AS ', ident(`nulls_${i}`)),
  );
  return Sql.concat(
    'SELECT strftime(date_trunc(', grain(grainName), ', ', time, "), '%Y-%m-%d') AS \"bucket\", CAST(count(*) AS DOUBLE) AS \"rows\", ",
    Sql.join(counts), ' FROM ', ident(ctx.table), ' WHERE ', time, ' IS NOT NULL GROUP BY 1 ORDER BY 1',
  );
}

/** Judge one column of a nullCountsQuery result with null_rate's params (defaults for the rest). */
export function judgeNullCounts(rows: Row[], index: number, params: { column: string } & Partial<Params>): RuleOutcome {
  const parsed = Params.parse(params);
  return judgeBuckets(
    rows.map((r) => ({ bucket: r.bucket ?? null, rows: r.rows ?? null, nulls: r[`nulls_${index}`] ?? null })),
    parsed,
  );
}

function judgeBuckets(rows: Row[], params: Params): RuleOutcome {
  const buckets: Bucket[] = rows
    .map((r) => ({ bucket: asText(r.bucket) ?? '', rows: asNumber(r.rows) ?? 0, nulls: asNumber(r.nulls) ?? 0 }))
    .filter((b) => b.rows > 0)
    .map((b) => ({ ...b, share: b.nulls / b.rows }))
    .sort((a, b) => a.bucket.localeCompare(b.bucket));
  if (buckets.length <= MIN_HISTORY) {
    throw new CheckCannotRun(`${plural(buckets.length, params.grain)} of data: too few to tell a spike of NULLs from the usual share`);
  }
  const spikes: (Bucket & { baseline: number })[] = [];
  const judgedFrom = params.recent === undefined ? 0 : Math.max(0, buckets.length - params.recent);
  buckets.forEach((b, i) => {
    if (i < judgedFrom) return;
    let history = buckets.slice(Math.max(0, i - params.window), i).map((x) => x.share);
    if (history.length < MIN_HISTORY) history = buckets.filter((_, j) => j !== i).map((x) => x.share);
    const baseline = median(history);
    const limit = baseline + Math.max(params.k * MAD_SCALE * mad(history), params.minIncrease);
    if (b.share > limit && b.nulls >= params.minNulls) spikes.push({ ...b, baseline });
  });
  const examples: Example[] = spikes
    .sort((a, b) => b.share - b.baseline - (a.share - a.baseline) || a.bucket.localeCompare(b.bucket))
    .map((s) => ({ [params.grain]: s.bucket, rows: s.rows, nulls: s.nulls, null_share: round(s.share), baseline: round(s.baseline) }));
  const shown = spikes.slice(0, 5).map((s) => `${s.bucket} (${formatShare(s.share)}, usually ${formatShare(s.baseline)})`);
  const message =
    spikes.length === 0
      ? `no spike of NULLs in ${params.column}`
      : `${params.column} is NULL far more often than usual on ${plural(spikes.length, params.grain)}: ${shown.join(', ')}${spikes.length > 5 ? ', …' : ''}`;
  return {
    count: spikes.length,
    observed: spikes.length,
    expected: `no ${params.grain} with a NULL share above median + ${params.k}·MAD and ${formatShare(params.minIncrease)} over the usual`,
    examples,
    message,
    affected: [...spikes]
      .sort((a, b) => a.bucket.localeCompare(b.bucket))
      .map((s) => ({ from: s.bucket, to: bucketEnd(s.bucket, params.grain), note: `${params.column} NULL on ${formatShare(s.share)} of rows, usually ${formatShare(s.baseline)}` })),
  };
}

/** The last day of a bucket that starts on `from` (date_trunc's week starts on a Monday). */
export function bucketEnd(from: string, grainName: 'day' | 'week' | 'month'): string {
  if (grainName === 'day') return from;
  if (grainName === 'week') return isoDay(dayNumber(from) + 6);
  // Through day numbers and setUTCFullYear: Date.parse and Date.UTC misread years past 9999 and before 100.
  const start = new Date(dayNumber(from) * DAY_MS);
  const next = new Date(0);
  next.setUTCFullYear(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
  return isoDay(Math.round(next.getTime() / DAY_MS) - 1);
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
