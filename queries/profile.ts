// Profiling a data set for an instant dashboard: one query over the loaded table tells, per column,
// its type, how many values and distinct values it has and (for time columns) its span. From that,
// `proposePicks` guesses which column places rows in time, which numbers are worth summing and
// which text columns are worth breaking down by; the user can change every pick before anything
// is built. SQL comes only from queries/sql.ts fragments.
import type { Source } from '../dashboards/schema';
import { DEFAULT_MEMORY_BUDGET_BYTES, type LinkedSource, type QueryEngine } from './dashboard-runner';
import { Sql, createSourceView, createTableAs, dropRelation, ident, parquetFileFacts, readFile, selectAll, selectColumns } from './sql';
import { loadCsvStreamed } from './csv-stream';
import { fetchCsvCopy, jsonSourceTable, readableSource } from './text-sources';
import { scanDataset, type ScanResult } from './checks/scan';
import { countColumns, isBooleanType, isNestedType, isNumericType, isTemporalType, isTextType, namedLikeId, namedLikeTime, type ColumnCounts } from './column-kinds';

export { namedLikeId };

/** What a column can be used as in a starter dashboard. */
export type ColumnRole = 'time' | 'measure' | 'dimension' | 'id' | 'other';

export interface ColumnProfile {
  name: string;
  type: string;
  /** Non-NULL values. */
  nonNull: number;
  /** Distinct non-NULL values. */
  distinct: number;
  /** For DATE/TIMESTAMP columns: oldest and newest value in epoch ms. */
  minMs: number | null;
  maxMs: number | null;
  /** What the column looks like it is, and why (shown next to the pick). */
  role: ColumnRole;
  why: string;
}

export interface DatasetProfile {
  rows: number;
  columns: ColumnProfile[];
}

/** The user's (or the proposed) choice of what the starter dashboard shows. */
export interface StarterPicks {
  time: string | null;
  /** Columns summed, in order; "count of rows" is always there. */
  measures: string[];
  /** Columns broken down by, in order (the first ones get bar charts). */
  dimensions: string[];
}

/** Integer columns named like parts of a date are calendar fields, not amounts. */
const CALENDAR_PART = /^(year|month|day|week|quarter|hour|minute|second|weekday|dow|doy)s?$/i;
/** Names of amounts that read best as money; only a hint for the number format. */
const MONEY_NAME = /(amount|revenue|price|cost|sales|spend|income|profit|fee|usd|eur|gbp)/i;
/** Names of amounts worth showing first. */
const AMOUNT_NAME = /(amount|revenue|price|cost|sales|spend|total|value|qty|quantity|units|profit|count|sum)/i;

/** At most this many distinct values for a text column to be a breakdown dimension. */
export const MAX_DIMENSION_DISTINCT = 50;
/** How many measures and dimensions are picked by default. */
const DEFAULT_MEASURES = 3;
const DEFAULT_DIMENSIONS = 3;

/** Turn a table's column counts into column profiles with a proposed role each. */
function profileOf(counted: { rows: number; columns: ColumnCounts[] }): DatasetProfile {
  const columns = counted.columns.map(({ name, type, nonNull, distinct, minMs, maxMs }): ColumnProfile => {
    const base = { name, type, nonNull, distinct, minMs, maxMs };
    return { ...base, ...classify(base, counted.rows) };
  });
  return { rows: counted.rows, columns };
}

/** Profile a loaded table (`countColumns`: a pass, then the exact distinct counts in bounded statements). */
export async function profileTable(engine: QueryEngine, table: string): Promise<DatasetProfile> {
  const described = await engine.describe(table);
  return profileOf(await countColumns(engine, table, described, { span: true }));
}

const PLAUSIBLE_FROM_MS = Date.UTC(1000, 0, 1);
const PLAUSIBLE_TO_MS = Date.UTC(9000, 0, 1);

function classify(c: { name: string; type: string; nonNull: number; distinct: number; minMs: number | null; maxMs: number | null }, rows: number): { role: ColumnRole; why: string } {
  if (isNestedType(c.type)) return { role: 'other', why: `${c.type} values are nested` };
  if (c.nonNull === 0) return { role: 'other', why: 'always empty' };
  if (isTemporalType(c.type)) {
    // Years like 0001 or 9999 are placeholders (or broken files): periods around them cannot even be written as timestamps.
    const outside = (ms: number | null) => ms !== null && (ms < PLAUSIBLE_FROM_MS || ms >= PLAUSIBLE_TO_MS);
    if (outside(c.minMs) || outside(c.maxMs)) return { role: 'other', why: 'dates before the year 1000 or after 9000: placeholders or broken values' };
    return { role: 'time', why: c.type };
  }
  const unique = c.distinct >= 0.95 * c.nonNull && c.nonNull >= 20;
  if (namedLikeId(c.name)) return { role: 'id', why: 'named like an id' };
  if (isNumericType(c.type)) {
    if (CALENDAR_PART.test(c.name)) return { role: 'other', why: 'a calendar field, not an amount' };
    // A whole number that differs on every row counts things one by one: a row number, not an amount.
    if (unique && /INT/i.test(c.type) && c.nonNull === rows) return { role: 'id', why: 'a different whole number on every row' };
    return { role: 'measure', why: c.type };
  }
  if (isTextType(c.type) || isBooleanType(c.type)) {
    if (unique) return { role: 'id', why: 'a different value on (almost) every row' };
    if (c.distinct < 2) return { role: 'other', why: 'a single value' };
    if (c.distinct > MAX_DIMENSION_DISTINCT) return { role: 'other', why: `${c.distinct} distinct values: too many to break down by` };
    return { role: 'dimension', why: `${c.distinct} distinct values` };
  }
  return { role: 'other', why: `${c.type} is neither a number, a time nor text` };
}

/** The proposed picks: the likeliest time column, the most amount-like measures, the most useful dimensions. */
export function proposePicks(profile: DatasetProfile): StarterPicks {
  const times = profile.columns
    .filter((c) => c.role === 'time')
    .sort((a, b) => Number(namedLikeTime(b.name)) - Number(namedLikeTime(a.name)) || b.nonNull - a.nonNull || spanOf(b) - spanOf(a));
  const measures = profile.columns
    .filter((c) => c.role === 'measure')
    .map((c, i) => ({ c, score: (AMOUNT_NAME.test(c.name) ? 4 : 0) + (/INT/i.test(c.type) ? 0 : 2) + (c.distinct > 2 ? 1 : 0), i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((x) => x.c.name);
  // Text before booleans; among them the ones with a handful of members read best as bars.
  const dimensions = profile.columns
    .filter((c) => c.role === 'dimension')
    .map((c, i) => ({ c, text: isTextType(c.type), i }))
    .sort((a, b) => Number(b.text) - Number(a.text) || distanceFromHandful(a.c.distinct) - distanceFromHandful(b.c.distinct) || a.i - b.i)
    .map((x) => x.c.name);
  return { time: times[0]?.name ?? null, measures: measures.slice(0, DEFAULT_MEASURES), dimensions: dimensions.slice(0, DEFAULT_DIMENSIONS) };
}

/** Whether a measure column reads as money (for its number format). */
export function looksLikeMoney(name: string): boolean {
  return MONEY_NAME.test(name);
}

function spanOf(c: ColumnProfile): number {
  return c.minMs !== null && c.maxMs !== null ? c.maxMs - c.minMs : 0;
}

function distanceFromHandful(distinct: number): number {
  return Math.abs(distinct - 8);
}

/**
 * Load a linked source's files into the in-memory table `table` to profile (replacing an earlier
 * one), through the readable form the runner uses: JSON parsed into an Arrow table, a CSV that is
 * not UTF-8 converted (text-sources.ts), the rest read as it is. The source is linked under a name
 * of the profile's own, so the open dashboard's view of a source with the same name is left alone.
 * A file that cannot be read throws the runner's message (a JSON syntax error names line and column).
 *
 * Parquet files whose footers say the table would need more than `budgetBytes` (default: a
 * dataset's budget, DEFAULT_MEMORY_BUDGET_BYTES) are not loaded: `table` is then a view that reads
 * them, as a dataset's scan mode does, and the profile and the scan read the files once per
 * statement. Loading them would run the engine out of memory (at 10M demo orders the table alone
 * held 1.4 GB). Returns which of the two `table` is.
 */
export async function loadProfileTable(engine: QueryEngine, table: string, source: Source, found: LinkedSource, opts: { budgetBytes?: number } = {}): Promise<{ relation: 'table' | 'view' }> {
  if (source.format === 'parquet' && found.urls.length > 0) {
    const facts = await engine.query(parquetFileFacts(found.urls));
    const bytes = facts.rows.reduce((n, r) => n + Number(r.bytes ?? 0), 0);
    if (bytes > (opts.budgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES)) {
      await engine.exec(dropRelation(table, 'table')).catch(() => undefined);
      await engine.exec(createSourceView(table, found.urls, source.format));
      return { relation: 'view' };
    }
  }
  const staged: Source = { ...source, name: `${table}_source` };
  const ready = await readableSource(engine, staged, found);
  // A UTF-8 CSV is read from its bytes as they download (csv-stream.ts), or else fetched whole, not
  // through its URL in small reads.
  const streamed = source.format === 'csv' ? await loadCsvStreamed(engine, ready.linked, table, null) : null;
  const copy = source.format === 'csv' && !streamed ? await fetchCsvCopy(engine, ready.linked) : null;
  try {
    // A streamed CSV's table is in place already.
    if (!streamed) {
      await engine.exec(dropRelation(table, 'view')).catch(() => undefined);
      if (copy) await engine.exec(createTableAs(table, selectColumns(readFile(copy.files, 'csv'), null)));
      else {
        await engine.exec(ready.view);
        await engine.exec(createTableAs(table, selectAll(staged.name)));
      }
    }
  } finally {
    await copy?.release();
    // The table holds the rows now: the staging view and a JSON source's own table would only hold memory.
    await engine.exec(dropRelation(staged.name, 'view')).catch(() => undefined);
    if (source.format === 'json') await engine.exec(dropRelation(jsonSourceTable(staged.name), 'table')).catch(() => undefined);
    // A converted CSV was registered as in-memory files (the links that are no URLs).
    for (const file of ready.linked.urls.filter((u) => !found.urls.includes(u))) await engine.dropFile?.(file).catch(() => undefined);
  }
  return { relation: 'table' };
}

/** A time column spanning more than this many days (a century) holds placeholder or broken dates. */
export const MAX_PLAUSIBLE_SPAN_DAYS = 36_600;

/**
 * The time column the dataset scan may judge by: the picked one, unless its values span more than
 * a century (dates like 0001-01-01 or 9999-12-31): judged against such placeholder days, every real
 * day reads as a jump from nothing, and the starter would propose checks of that noise.
 */
export function scanTimeColumn(profile: DatasetProfile, picks: StarterPicks): string | null {
  const c = profile.columns.find((x) => x.name === picks.time);
  if (!c || c.minMs === null || c.maxMs === null) return null;
  return (c.maxMs - c.minMs) / 86_400_000 > MAX_PLAUSIBLE_SPAN_DAYS ? null : c.name;
}

/**
 * Run the dataset scan for a starter dashboard: judged by the picked time column only. Other date
 * columns, and a picked one with an implausible span, are hidden from the scan (through a view), so
 * it cannot infer them and judge by them. Null when no column is left to scan.
 */
export async function scanForStarter(engine: QueryEngine, table: string, profile: DatasetProfile, picks: StarterPicks): Promise<ScanResult | null> {
  const time = scanTimeColumn(profile, picks);
  const hidden = profile.columns.filter((c) => isTemporalType(c.type) && c.name !== time).map((c) => c.name);
  if (hidden.length === 0) return scanDataset(engine, table, time ? { time } : {});
  if (hidden.length === profile.columns.length) return null;
  const view = `${table}_scan`;
  await engine.exec(Sql.concat('CREATE OR REPLACE VIEW ', ident(view), ' AS SELECT * EXCLUDE (', Sql.join(hidden.map(ident)), ') FROM ', ident(table)));
  return scanDataset(engine, view, time ? { time } : {});
}
