// volume (rows per day) and total_jump (the daily sum of a column): a day outside a robust band.
// Each day is compared with the SAME WEEKDAY of the trailing weeks (windowDays), so a busy Saturday
// is judged against Saturdays and weekly seasonality never alarms. The band is the median of those
// days ± max(k·MAD, minChange × median): the relative floor absorbs growth (the median of the
// trailing weeks lags a growing series by a few percent) and small, stable series. A day with no
// rows at all counts as 0, so a missing load is a drop, not a gap.
import { z } from 'zod';
import type { Row } from '../engine/engine';
import { Sql, column, ident } from '../sql';
import { ColumnParam, MAD_SCALE, TimeColumnParam, asNumber, asText, dayNumber, dayText, formatCount, isoDay, mad, median, plural, timeColumnOf } from './stats';
import { ThresholdParams } from './thresholds';
import { CheckCannotRun, type CheckRule, type CheckContext, type Example, type RuleOutcome } from './types';

const BandParams = {
  k: z.number().min(0).max(100).default(3).describe('How many (scaled) MADs from the median a day may be.'),
  windowDays: z.number().int().min(14).max(3660).default(56).describe('The trailing window whose same weekdays make the band (56 = 8 weeks).'),
  minChange: z.number().min(0).max(100).default(0.25).describe('The band is at least this share of the median wide (0.25 = ±25%).'),
  minHistory: z.number().int().min(2).max(500).default(3).describe('Days with fewer earlier same weekdays in the window are not judged.'),
  recentDays: z.number().int().min(1).max(100_000).optional().describe('Judge only the last N days of the data (default: every day).'),
  timeColumn: TimeColumnParam,
  ...ThresholdParams,
};

const VolumeParams = z.object(BandParams).strict();
const TotalParams = z.object({ column: ColumnParam.describe('The column summed per day.'), ...BandParams }).strict();
type BandParams = z.infer<typeof VolumeParams>;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function dailySql(ctx: CheckContext, params: BandParams, value: Sql): Sql {
  const time = timeColumnOf(ctx, params.timeColumn);
  return Sql.concat('SELECT ', dayText(time), ' AS "day", CAST(', value, ' AS DOUBLE) AS "value" FROM ', ident(ctx.table), ' WHERE ', time, ' IS NOT NULL GROUP BY 1 ORDER BY 1');
}

interface Outlier {
  day: string;
  value: number;
  usual: number;
  low: number;
  high: number;
}

/** The days of a daily series outside their weekday band. */
export function outlierDays(rows: Row[], params: BandParams): { judged: number; outliers: Outlier[] } {
  const byDay = new Map<number, number>();
  for (const r of rows) {
    const day = asText(r.day);
    if (day === null) continue;
    const n = dayNumber(day);
    if (Number.isNaN(n)) throw new CheckCannotRun(`the day "${day}" is outside the dates a check can judge (years -271821 to 275760)`);
    byDay.set(n, asNumber(r.value) ?? 0);
  }
  if (byDay.size === 0) return { judged: 0, outliers: [] };
  const days = [...byDay.keys()].sort((a, b) => a - b);
  const first = days[0] as number;
  const last = days[days.length - 1] as number;
  const valueOn = (d: number) => byDay.get(d) ?? 0;
  const weeks = Math.floor(params.windowDays / 7);
  const from = params.recentDays === undefined ? first : Math.max(first, last - params.recentDays + 1);
  // A day is judged once it has minHistory earlier same weekdays on or after the first day; counted,
  // not walked: a column spanning centuries (0001-01-01 … 9999-12-31, a corrupt outlier) has
  // millions of such days.
  const judgedFrom = Math.max(from, first + 7 * params.minHistory);
  const judged = weeks < params.minHistory ? 0 : Math.max(0, last - judgedFrom + 1);
  const outliers: Outlier[] = [];
  if (judged === 0) return { judged, outliers };
  // Only a day with rows, or one within the window after one, can leave its band: any other day is
  // 0 among a history of 0s. So walk those stretches only: the work is bounded by the days with
  // data times the window, not by the span of the column.
  let d = judgedFrom;
  for (const dataDay of days) {
    const end = Math.min(last, dataDay + 7 * weeks);
    for (d = Math.max(d, dataDay, judgedFrom); d <= end; d += 1) {
      const history: number[] = [];
      for (let w = 1; w <= weeks && d - 7 * w >= first; w += 1) history.push(valueOn(d - 7 * w));
      const usual = median(history);
      const width = Math.max(params.k * MAD_SCALE * mad(history), params.minChange * Math.abs(usual));
      const value = valueOn(d);
      if (Math.abs(value - usual) > width) outliers.push({ day: isoDay(d), value, usual, low: usual - width, high: usual + width });
    }
  }
  return { judged, outliers };
}

function bandOutcome(rows: Row[], params: BandParams, what: string): RuleOutcome {
  const { judged, outliers } = outlierDays(rows, params);
  if (judged === 0) {
    throw new CheckCannotRun(`too little history: a day is judged against at least ${params.minHistory} earlier same weekdays within ${params.windowDays} days`);
  }
  const change = (o: Outlier) => (o.usual === 0 ? Infinity : (o.value - o.usual) / Math.abs(o.usual));
  outliers.sort((a, b) => Math.abs(change(b)) - Math.abs(change(a)) || a.day.localeCompare(b.day));
  const pct = (o: Outlier) => {
    const c = change(o);
    return Number.isFinite(c) ? `${c >= 0 ? '+' : ''}${Math.round(c * 100)}%` : 'from 0';
  };
  const examples: Example[] = outliers.map((o) => ({
    day: o.day,
    weekday: WEEKDAYS[new Date(`${o.day}T00:00:00Z`).getUTCDay()] ?? '',
    value: round(o.value),
    usual: round(o.usual),
    low: round(o.low),
    high: round(o.high),
    change: Number.isFinite(change(o)) ? round(change(o)) : null,
  }));
  const shown = outliers.slice(0, 5).map((o) => `${o.day} (${formatCount(round(o.value))}, usually ~${formatCount(round(o.usual))}, ${pct(o)})`);
  const message =
    outliers.length === 0
      ? `${what} stayed within the usual band for its weekday on all ${plural(judged, 'day')} judged`
      : `${what} was outside the usual band for its weekday on ${plural(outliers.length, 'day')}: ${shown.join(', ')}${outliers.length > 5 ? ', …' : ''}`;
  return {
    count: outliers.length,
    observed: outliers.length,
    expected: `${what} within median ± max(${params.k}·MAD, ${Math.round(params.minChange * 100)}%) of the same weekday over the previous ${params.windowDays} days`,
    examples,
    message,
    affected: [...outliers]
      .sort((a, b) => a.day.localeCompare(b.day))
      .map((o) => ({ from: o.day, to: o.day, note: `${what} ${formatCount(round(o.value))}, usually ~${formatCount(round(o.usual))} (${pct(o)})` })),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

export const volume: CheckRule<BandParams> = {
  name: 'volume',
  summary: 'Rows per day outside a robust band (median ± k·MAD of the same weekday in the trailing weeks).',
  params: VolumeParams,
  build: (ctx, params) => dailySql(ctx, params, Sql.raw`count(*)`),
  evaluate: (rows, params) => bandOutcome(rows, params, 'the daily row count'),
};

export const totalJump: CheckRule<z.infer<typeof TotalParams>> = {
  name: 'total_jump',
  summary: 'The daily sum of a column outside a robust band (median ± k·MAD of the same weekday in the trailing weeks).',
  params: TotalParams,
  build(ctx, params) {
    const col = column(params.column, ctx.columns, `${ctx.where} param "column"`);
    return dailySql(ctx, params, Sql.concat('coalesce(sum(', col, '), 0)'));
  },
  evaluate: (rows, params) => bandOutcome(rows, params, `the daily total of ${params.column}`),
};
