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

/** `2025-12-10` → the UTC day number. */
export function dayNumber(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

/** The UTC day number → `2025-12-10`. */
export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
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
