// Small helpers the rules share: robust statistics, reading result cells, day arithmetic, and the
// SQL fragments for "the day of a row" (all through ../sql, never with outside text).
import { z } from 'zod';
import type { Scalar } from '../engine/engine';
import { Sql, SqlBuildError, column } from '../sql';
import type { CheckContext } from './types';

export const DAY_MS = 86_400_000;
/** MAD × this estimates the standard deviation of normal data. */
export const MAD_SCALE = 1.4826;

/** The median of the numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** A result cell as a number (engines return counts as numbers, bigints as strings): null when it is not one. */
export function asNumber(value: Scalar | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** A result cell as text (null stays null). */
export function asText(value: Scalar | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/**
 * `2025-12-10` → the UTC day number. Takes every year DuckDB's strftime writes: `10000-01-01`,
 * `0000-03-01` and `-1-01-01` (astronomical years, as JS counts them); NaN for text that is not a day
 * or a day outside the JS date range.
 */
export function dayNumber(iso: string): number {
  const m = /^(-?\d+)-(\d{2})-(\d{2})$/u.exec(iso);
  if (!m) return Number.NaN;
  // Date.UTC reads years 0-99 as 1900-1999: set the year on its own.
  const date = new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3])));
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const ms = date.getTime();
  return Number.isNaN(ms) ? Number.NaN : Math.round(ms / DAY_MS);
}

/** The UTC day number → `2025-12-10`, years as DuckDB writes them (`10000-01-01`, `-0001-01-01`). */
export function isoDay(day: number): string {
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  // toISOString writes "+010000" / "-000001" outside 0000-9999, a form neither DuckDB nor people read.
  return `${year < 0 ? '-' : ''}${String(Math.abs(year)).padStart(4, '0')}${date.toISOString().replace(/^[+-]?\d+/u, '').slice(0, 6)}`;
}

/** 12034 → "12,034"; fractions keep at most two decimals. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** 0.4012 → "40.1%". */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** `n thing(s)`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** The column (quoted, checked) that places rows in time: the param, else the dataset's, else an error. */
export function timeColumnOf(ctx: CheckContext, param: string | undefined): Sql {
  if (param !== undefined) return column(param, ctx.columns, `${ctx.where} param "timeColumn"`);
  if (ctx.timeColumn === null) {
    throw new SqlBuildError(`${ctx.where}: the rule needs a time column: the dataset has no timeColumn; set the param "timeColumn"`);
  }
  return column(ctx.timeColumn, ctx.columns, `${ctx.where} (the dataset's timeColumn)`);
}

/** The time of a row as a naive TIMESTAMP, whatever its type (DATE, TIMESTAMP, text). */
export function asTimestamp(time: Sql): Sql {
  return Sql.concat('CAST(', time, ' AS TIMESTAMP)');
}

/** The day of a row as `YYYY-MM-DD` text: the same in every engine, no time zone involved. */
export function dayText(time: Sql): Sql {
  return Sql.concat("strftime(CAST(CAST(", time, " AS TIMESTAMP) AS DATE), '%Y-%m-%d')");
}

/** A param naming a column of the data. */
export const ColumnParam = z.string().min(1).max(256);
/** The optional time column override every time-aware rule takes. */
export const TimeColumnParam = ColumnParam.optional().describe("The column that places a row in time; default: the dataset's timeColumn.");
/** How many examples a result carries. */
export const ExamplesParam = z.number().int().min(0).max(100);
