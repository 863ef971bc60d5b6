// SQL for each panel kind, built from the typed panel spec. All quoting goes through ./sql.
import type { ChartPanel, DataPanel, Dataset, KpiPanel, Measure, TablePanel, TimeGrain, TimeRange } from '../dashboards/schema';
import type { QueryResult } from './engine/engine';
import { Sql, SqlBuildError, castText, column, grain, ident, int, isTextExactType, memberIn, str, timestamp } from './sql';

const DAY_MS = 86_400_000;

/** The current period and the one of the same length before it, as [start, end) in epoch ms. */
export interface Period {
  start: number;
  end: number;
  previousStart: number;
  days: number;
}

/** What a query needs to know about a loaded dataset. */
export interface DatasetContext {
  dataset: Dataset;
  /** The in-memory table the dataset was loaded into. */
  table: string;
  /** The table's real column names, to check every identifier against. */
  columns: ReadonlySet<string>;
  period: Period | null;
  /**
   * The smallest and largest value of integer columns that count-distinct measures read, over the
   * whole table (see `datasetStatsQuery`). With them, ungrouped aggregates (`kpiBatchQuery`) count
   * distinct values exactly with a bitmap instead of a hash table: 3-5x faster in DuckDB-WASM.
   */
  distinctBounds?: ReadonlyMap<string, IntRange>;
}

/** The closed range [min, max] of an integer column's values. */
export interface IntRange {
  min: number;
  max: number;
}

/**
 * A distinct count by bitmap allocates one bit per value of the column's range, per aggregate
 * state: above this many (8 MB) the hash-table count(DISTINCT) is used instead.
 */
export const MAX_DISTINCT_BITMAP_BITS = 2 ** 26;

const INTEGER_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|INT\d*|UINT\d*)$/i;

/** What a run reads once per version of a dataset: its newest timestamp, and the bounds of `DatasetContext.distinctBounds`. */
export interface DatasetStats {
  newest: number | null;
  distinctBounds: ReadonlyMap<string, IntRange>;
  /** The rows, when asked for (`withCount`). */
  rows?: number;
}

/**
 * One scan for the newest timestamp (in epoch ms, to anchor the period on) and the min/max of every
 * integer column a count-distinct measure of the dataset reads, and with `withCount` its rows.
 * `columnTypes` are the table's columns with their engine types; pass none to skip the bounds. Null
 * when there is nothing to ask.
 */
export function datasetStatsQuery(ctx: Omit<DatasetContext, 'period' | 'distinctBounds'>, columnTypes: readonly { name: string; type: string }[], withCount = false): { sql: Sql; read(result: QueryResult): DatasetStats } | null {
  const distinct = distinctBoundColumns(ctx, columnTypes);
  const t = ctx.dataset.timeColumn;
  const parts: Sql[] = withCount ? [Sql.concat('count(*) AS "rows"')] : [];
  if (t) parts.push(Sql.concat('CAST(epoch_ms(max(', column(t, ctx.columns, `dataset "${ctx.dataset.name}" timeColumn`), ')) AS DOUBLE) AS "newest"'));
  distinct.forEach((name, i) => {
    const col = column(name, ctx.columns, `dataset "${ctx.dataset.name}"`);
    // As text: a BIGINT beyond 2^53 must not round to a neighbour and leave a value outside the range.
    parts.push(Sql.concat('CAST(min(', col, ') AS VARCHAR) AS ', ident(`min_${i}`), ', CAST(max(', col, ') AS VARCHAR) AS ', ident(`max_${i}`)));
  });
  if (parts.length === 0) return null;
  return {
    sql: Sql.concat('SELECT ', Sql.join(parts), ' FROM ', ident(ctx.table)),
    read(result) {
      const row = result.rows[0] ?? {};
      const newest = typeof row.newest === 'number' && Number.isFinite(row.newest) ? row.newest : null;
      const bounds = new Map<string, IntRange>();
      distinct.forEach((name, i) => {
        const range = bitmapRange(row[`min_${i}`], row[`max_${i}`]);
        if (range) bounds.set(name, range);
      });
      return { newest, distinctBounds: bounds, ...(withCount ? { rows: Number(row.rows ?? 0) } : {}) };
    },
  };
}

/** The integer columns (by `columnTypes`, the table's columns and engine types) that count-distinct measures of the dataset read. */
export function distinctBoundColumns(ctx: Pick<DatasetContext, 'dataset' | 'columns'>, columnTypes: readonly { name: string; type: string }[]): string[] {
  const integer = new Set(columnTypes.filter((c) => INTEGER_TYPE.test(c.type)).map((c) => c.name));
  return [...new Set(ctx.dataset.measures.filter((m) => m.agg === 'count_distinct' && m.column !== undefined && integer.has(m.column) && ctx.columns.has(m.column)).map((m) => m.column as string))];
}

/**
 * The bounds of a distinct-count bitmap from a column's smallest and largest value (as text, so a
 * BIGINT beyond 2^53 is not rounded into range): null for no values (all NULL), or a range a bitmap
 * cannot hold, where count(DISTINCT) is used as before.
 */
export function bitmapRange(minText: unknown, maxText: unknown): IntRange | null {
  if (minText === null || minText === undefined || maxText === null || maxText === undefined) return null;
  const min = Number(minText);
  const max = Number(maxText);
  return Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max && max - min < MAX_DISTINCT_BITMAP_BITS ? { min, max } : null;
}

/** Work out the dashboard period from its time range and the newest timestamp in the data. */
export function resolvePeriod(range: TimeRange, newestMs: number | null, nowMs: number): Period | null {
  if ('from' in range) {
    const start = Date.parse(`${range.from}T00:00:00Z`);
    const end = Date.parse(`${range.to}T00:00:00Z`) + DAY_MS;
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return null;
    return { start, end, previousStart: start - (end - start), days: Math.round((end - start) / DAY_MS) };
  }
  const anchor = range.anchor === 'now' ? nowMs : newestMs;
  if (anchor === null || !Number.isFinite(anchor)) return null;
  const end = Math.floor(anchor / DAY_MS) * DAY_MS + DAY_MS;
  let start: number;
  if ('lastDays' in range) {
    start = end - range.lastDays * DAY_MS;
  } else {
    const d = new Date(end - DAY_MS);
    const month = range.toDate === 'month' ? d.getUTCMonth() : range.toDate === 'quarter' ? d.getUTCMonth() - (d.getUTCMonth() % 3) : 0;
    start = Date.UTC(d.getUTCFullYear(), month, 1);
  }
  return { start, end, previousStart: start - (end - start), days: Math.round((end - start) / DAY_MS) };
}

/** SQL for the newest timestamp of a dataset, in epoch ms, to anchor the period on. */
export function newestTimestampQuery(ctx: Omit<DatasetContext, 'period'>): Sql | null {
  const t = ctx.dataset.timeColumn;
  if (!t) return null;
  const col = column(t, ctx.columns, `dataset "${ctx.dataset.name}" timeColumn`);
  return Sql.concat('SELECT CAST(epoch_ms(max(', col, ')) AS DOUBLE) AS "newest" FROM ', ident(ctx.table));
}

/**
 * The aggregate SQL of a named measure (ratios expand to their parts). With `bitmaps`, for an
 * ungrouped aggregate only, a count-distinct over a column with known bounds counts the bits of a
 * bitmap of its values (`bitstring_agg`): exact, like count(DISTINCT), but without a hash table.
 */
export function measureExpr(ctx: Pick<DatasetContext, 'dataset' | 'columns' | 'distinctBounds'>, name: string, depth = 0, bitmaps = false): Sql {
  if (depth > 8) throw new SqlBuildError(`measure "${name}" refers to itself`);
  const m: Measure | undefined = ctx.dataset.measures.find((x) => x.name === name);
  if (!m) throw new SqlBuildError(`dataset "${ctx.dataset.name}" has no measure "${name}"`);
  const where = `measure "${m.name}"`;
  const col = () => {
    if (!m.column) throw new SqlBuildError(`${where} needs a column`);
    return column(m.column, ctx.columns, where);
  };
  switch (m.agg) {
    case 'sum':
      return Sql.concat('CAST(sum(', col(), ') AS DOUBLE)');
    case 'avg':
      return Sql.concat('CAST(avg(', col(), ') AS DOUBLE)');
    case 'min':
      return Sql.concat('CAST(min(', col(), ') AS DOUBLE)');
    case 'max':
      return Sql.concat('CAST(max(', col(), ') AS DOUBLE)');
    case 'count':
      return m.column ? Sql.concat('CAST(count(', col(), ') AS DOUBLE)') : Sql.concat('CAST(count(*) AS DOUBLE)');
    case 'count_distinct': {
      const range = bitmaps && m.column ? ctx.distinctBounds?.get(m.column) : undefined;
      if (range) {
        // No rows: bitstring_agg is NULL where count(DISTINCT) is 0. NULL values set no bit, as count(DISTINCT) skips them.
        const bound = (v: number) => int(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
        return Sql.concat('CAST(coalesce(bit_count(bitstring_agg(', col(), ', ', bound(range.min), ', ', bound(range.max), ')), 0) AS DOUBLE)');
      }
      return Sql.concat('CAST(count(DISTINCT ', col(), ') AS DOUBLE)');
    }
    case 'ratio': {
      if (!m.numerator || !m.denominator) throw new SqlBuildError(`${where} needs a numerator and a denominator`);
      const top = measureExpr(ctx, m.numerator, depth + 1, bitmaps);
      const bottom = measureExpr(ctx, m.denominator, depth + 1, bitmaps);
      return Sql.concat('(', top, ') / NULLIF(', bottom, ', 0)');
    }
  }
}

function timeColumn(ctx: DatasetContext, where: string): Sql {
  const t = ctx.dataset.timeColumn;
  if (!t) throw new SqlBuildError(`${where}: dataset "${ctx.dataset.name}" has no time column`);
  return column(t, ctx.columns, `dataset "${ctx.dataset.name}" timeColumn`);
}

/**
 * How a panel is narrowed beyond the dashboard's period: global and cross filters, and where a
 * drill-down has taken it.
 */
export interface PanelRefinement {
  /** Keep rows whose dimension (by dimension name) is one of the values; null matches NULL. */
  members?: { dimension: string; values: (string | null)[] }[];
  /** For a dimension chart: draw this dimension instead of the panel's own (the next drill level). */
  xDimension?: string;
  /** For a time chart: this grain instead of the panel's own. */
  grain?: TimeGrain;
  /** A narrower time window [start, end) in epoch ms, e.g. the month drilled into. */
  window?: { start: number; end: number };
}

/** The period a panel shows: the dashboard's, or a drilled-into window with the same-length window before it. */
export function effectivePeriod(ctx: DatasetContext, refine: PanelRefinement | undefined): Period | null {
  const w = refine?.window;
  if (!w) return ctx.period;
  const length = w.end - w.start;
  if (!(length > 0)) throw new SqlBuildError('an empty time window');
  return { start: w.start, end: w.end, previousStart: w.start - length, days: Math.round(length / DAY_MS) };
}

/**
 * The earliest instant (epoch ms) of the rows a panel's query reads: its period's start (or the
 * drilled window's), or its comparison window's when a KPI compares with an earlier one. Null when
 * it may read rows of any time: a dataset without a time column, or no period. Every panel query
 * filters its rows with `rowFilter` over these windows, so its answer over only the rows from this
 * instant on is its answer over all of them (panel-queries.test.ts checks that on real SQL): a first
 * paint from the newest row groups (queries/engine/parquet-window.ts) relies on it.
 */
export function earliestRead(panel: DataPanel, ctx: Pick<DatasetContext, 'dataset' | 'period'>, refine?: PanelRefinement): number | null {
  if (!ctx.dataset.timeColumn) return null;
  const period = effectivePeriod(ctx as DatasetContext, refine);
  if (!period) return null;
  const compare = panel.kind === 'kpi' ? comparisonWindow(panel.comparison, period) : null;
  return compare ? Math.min(period.start, compare.start) : period.start;
}

/** A span of time [start, end) in epoch ms. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** Rows of the time window (when the dataset has time) that pass the panel's filters. */
function rowFilter(ctx: DatasetContext, refine: PanelRefinement | undefined, window: TimeWindow | null, where: string): Sql {
  const parts: Sql[] = [];
  if (window && ctx.dataset.timeColumn) {
    const t = timeColumn(ctx, where);
    parts.push(Sql.concat(t, ' >= ', timestamp(window.start), ' AND ', t, ' < ', timestamp(window.end)));
  }
  for (const m of refine?.members ?? []) {
    parts.push(memberIn(dimensionColumn(ctx, m.dimension, where), m.values));
  }
  return parts.length ? Sql.join(parts, ' AND ') : Sql.raw`TRUE`;
}

/** The WHERE condition of the rows a panel shows: its period (or drilled window) and its filters. */
export function panelRowFilter(ctx: DatasetContext, refine: PanelRefinement | undefined, where: string): Sql {
  const period = effectivePeriod(ctx, refine);
  return rowFilter(ctx, refine, period && { start: period.start, end: period.end }, where);
}

function dimensionColumn(ctx: Pick<DatasetContext, 'dataset' | 'columns'>, name: string, where: string): Sql {
  const dim = ctx.dataset.dimensions.find((d) => d.name === name);
  if (!dim) throw new SqlBuildError(`${where}: dataset "${ctx.dataset.name}" has no dimension "${name}"`);
  return column(dim.column, ctx.columns, `dimension "${dim.name}"`);
}

/** The same instant `years` calendar years away (UTC); Feb 29 becomes Feb 28 in a common year, as in SQL. */
export function shiftYears(epochMs: number, years: number): number {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear() + years;
  const month = d.getUTCMonth();
  // setUTCFullYear (unlike Date.UTC) keeps years below 100 as they are; day 0 is the month's last day.
  const monthEnd = new Date(0);
  monthEnd.setUTCFullYear(year, month + 1, 0);
  const shifted = new Date(0);
  shifted.setUTCFullYear(year, month, Math.min(d.getUTCDate(), monthEnd.getUTCDate()));
  shifted.setUTCHours(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  return shifted.getTime();
}

/**
 * The window a KPI compares with: the same length just before ("previous_period"), or the same
 * dates one calendar year earlier ("previous_year"). Null for a target or no comparison.
 */
export function comparisonWindow(comparison: KpiPanel['comparison'], period: Period): TimeWindow | null {
  switch (comparison) {
    case 'previous_period':
      return { start: period.previousStart, end: period.start };
    case 'previous_year':
      return { start: shiftYears(period.start, -1), end: shiftYears(period.end, -1) };
    case 'target':
    case 'none':
      return null;
  }
}

/**
 * KPI: rows with columns "period" and "value": "current", and "previous" when the panel compares
 * with an earlier window. With a sparkline, a column "x" too, and one "spark" row per day of the
 * current period (x = the day in epoch ms; x is NULL on the other rows).
 *
 * Each period is its own aggregate over the same filter, in one query, so they can never disagree
 * on filters, and windows may overlap (a previous year of a period longer than a year). A period
 * without rows still has its row: NULL, or 0 for counts.
 */
export function kpiQuery(panel: KpiPanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  const value = measureExpr(ctx, panel.measure);
  const where = `panel "${panel.id}"`;
  const period = effectivePeriod(ctx, refine);
  const timed = period !== null && ctx.dataset.timeColumn !== undefined;
  const current: TimeWindow | null = period && { start: period.start, end: period.end };
  const spark = panel.sparkline && timed;
  const from = Sql.concat(' FROM ', ident(ctx.table), ' WHERE ');
  const aggregate = (name: 'current' | 'previous', window: TimeWindow | null) =>
    Sql.concat('SELECT ', str(name), ' AS "period", ', spark ? 'CAST(NULL AS DOUBLE) AS "x", ' : '', value, ' AS "value"', from, rowFilter(ctx, refine, window, where));
  const parts = [aggregate('current', current)];
  const compare = timed && period ? comparisonWindow(panel.comparison, period) : null;
  if (compare) parts.push(aggregate('previous', compare));
  if (spark) {
    const day = Sql.concat('CAST(epoch_ms(date_trunc(', grain('day'), ', ', timeColumn(ctx, where), ')) AS DOUBLE)');
    parts.push(Sql.concat('SELECT ', str('spark'), ' AS "period", ', day, ' AS "x", ', value, ' AS "value"', from, rowFilter(ctx, refine, current, where), ' GROUP BY 2'));
  }
  const ordered = spark ? Sql.raw` ORDER BY "x" NULLS FIRST, "period"` : parts.length > 1 ? Sql.raw` ORDER BY "period"` : Sql.raw``;
  return Sql.concat(Sql.join(parts, ' UNION ALL '), ordered);
}

/** Several KPI panels answered by one query (see `kpiBatchQuery`). */
export interface KpiBatch {
  sql: Sql;
  /** Each panel's rows, exactly as its own `kpiQuery` returns them, in the order of `panels`. */
  split(result: QueryResult): QueryResult[];
}

/**
 * One query for KPI panels of one dataset under the same refinement: one branch per time window
 * (the current period, then each distinct comparison window), each computing every measure its
 * panels need. Two KPIs that share an aggregate (orders and AOV = revenue / orders both count
 * distinct orders) then compute it once, and the panels cost one round trip. `split` gives each
 * panel the rows of its own `kpiQuery` (same aggregate over the same rows, so the same numbers).
 * Sparkline KPIs have another shape: use `kpiQuery` for them.
 */
export function kpiBatchQuery(panels: readonly KpiPanel[], ctx: DatasetContext, refine?: PanelRefinement): KpiBatch {
  if (panels.length === 0) throw new SqlBuildError('a KPI batch needs a panel');
  const period = effectivePeriod(ctx, refine);
  const timed = period !== null && ctx.dataset.timeColumn !== undefined;
  const measures = [...new Set(panels.map((p) => p.measure))];
  // Window 0 is the current period (null: no period, every row); a panel's comparison adds its window.
  const windows: { key: string; label: 'current' | 'previous'; window: TimeWindow | null; measures: Set<string> }[] = [
    { key: 'current', label: 'current', window: period && { start: period.start, end: period.end }, measures: new Set(measures) },
  ];
  const compareOf = panels.map((p) => {
    if (p.sparkline && timed) throw new SqlBuildError(`panel "${p.id}": a sparkline KPI cannot be batched`);
    const compare = timed && period ? comparisonWindow(p.comparison, period) : null;
    if (!compare) return -1;
    const key = `${compare.start}/${compare.end}`;
    let at = windows.findIndex((w) => w.key === key);
    if (at === -1) at = windows.push({ key, label: 'previous', window: compare, measures: new Set() }) - 1;
    windows[at]?.measures.add(p.measure);
    return at;
  });
  const where = `panel "${panels[0]?.id}"`;
  // Every branch is one ungrouped aggregate (one bitmap per distinct count): bitmaps are safe here.
  const exprs = new Map(measures.map((m) => [m, measureExpr(ctx, m, 0, true)]));
  const branches = windows.map((w, i) =>
    Sql.concat(
      'SELECT ', int(i, 0, 1_000_000), ' AS "w", ', str(w.label), ' AS "period", ',
      Sql.join(measures.map((m, j) => Sql.concat(w.measures.has(m) ? (exprs.get(m) as Sql) : 'CAST(NULL AS DOUBLE)', ' AS ', ident(`m${j}`)))),
      ' FROM ', ident(ctx.table), ' WHERE ', rowFilter(ctx, refine, w.window, where),
    ),
  );
  const sql = Sql.join(branches, ' UNION ALL ');
  return {
    sql,
    split(result) {
      const byWindow = new Map(result.rows.map((r) => [Number(r.w), r]));
      const periodColumn = result.columns.find((c) => c.name === 'period');
      return panels.map((p, i) => {
        const m = `m${measures.indexOf(p.measure)}`;
        const valueColumn = result.columns.find((c) => c.name === m);
        const row = (w: number, label: string) => ({ period: label, value: byWindow.get(w)?.[m] ?? null });
        const compare = compareOf[i] ?? -1;
        return {
          columns: [
            { name: 'period', type: periodColumn?.type ?? 'VARCHAR' },
            { name: 'value', type: valueColumn?.type ?? 'DOUBLE' },
          ],
          // kpiQuery orders its two rows by "period": "current" sorts before "previous".
          rows: compare === -1 ? [row(0, 'current')] : [row(0, 'current'), row(compare, 'previous')],
        };
      });
    },
  };
}

/** The label of the bucket that holds the members beyond a chart's top N. */
export const OTHER_MEMBER = 'Other';
/** At most this many series per measure, whatever the limit: more lines or bar segments cannot be told apart. */
export const MAX_SERIES = 20;
/** Column names of chart results; a measure with one of these names would be ambiguous. */
const CHART_COLUMNS = ['x', 'series', 'series_rank', 'x_other', 'series_other'];

/**
 * Chart rows. Column "x" is a time bucket (epoch ms) or a dimension member (text, NULL for NULL),
 * then one column per measure. When the panel splits by a series dimension, each row is one x and
 * one series member: columns "x", "series", "series_rank" (1 = biggest; the "Other" bucket ranks
 * after the top N) and the measures. When members beyond the top N go to "Other", boolean columns
 * "x_other" (dimension x) and "series_other" (series) tell the bucket from a member named "Other".
 *
 * Members are ranked by the first measure. "Other" is the measure re-aggregated over the rows of
 * the remaining members, never a sum of their values, so ratios and distinct counts stay exact.
 * Time buckets are never cut; pies have no series. Heatmaps have their own shape (see heatmapQuery).
 */
export function chartQuery(panel: ChartPanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  if (panel.chart === 'heatmap') return heatmapQuery(panel, ctx, refine);
  const where = `panel "${panel.id}"`;
  for (const m of panel.measures) {
    if (CHART_COLUMNS.includes(m)) throw new SqlBuildError(`${where}: a chart cannot show a measure named "${m}" (the name is taken by the chart's own columns)`);
  }
  const first = panel.measures[0];
  if (first === undefined) throw new SqlBuildError(`${where}: a chart needs a measure`);
  const measures = panel.measures.map((m) => Sql.concat(measureExpr(ctx, m), ' AS ', ident(m)));
  const filter = panelRowFilter(ctx, refine, where);
  const table = ident(ctx.table);
  const limit = int(panel.limit, 1, 1000);
  const seriesName = panel.chart === 'pie' ? undefined : panel.series;
  const xDim = panel.x.type === 'dimension' ? dimensionColumn(ctx, refine?.xDimension ?? panel.x.dimension, where) : null;
  const xBucket = panel.x.type === 'time' ? Sql.concat('CAST(epoch_ms(date_trunc(', grain(refine?.grain ?? panel.x.grain), ', ', timeColumn(ctx, where), ')) AS DOUBLE)') : null;

  if (!seriesName && (xBucket || !panel.otherBucket)) {
    if (xBucket) {
      return Sql.concat('SELECT ', xBucket, ' AS "x", ', Sql.join(measures), ' FROM ', table, ' WHERE ', filter, ' GROUP BY 1 ORDER BY 1');
    }
    const order =
      panel.sort === 'label'
        ? Sql.raw`ORDER BY 1 ASC NULLS LAST`
        : Sql.concat('ORDER BY ', ident(first), panel.sort === 'value_asc' ? ' ASC' : ' DESC', ' NULLS LAST, 1 ASC');
    return Sql.concat('SELECT CAST(', xDim as Sql, ' AS VARCHAR) AS "x", ', Sql.join(measures), ' FROM ', table, ' WHERE ', filter, ' GROUP BY 1 ', order, ' LIMIT ', limit);
  }

  // The general case: rank the members of x and of the series once (CTEs "ns_x", "ns_s"), then
  // aggregate the rows again with every member beyond the top N mapped to "Other" (or dropped).
  const rankBy = measureExpr(ctx, first);
  const other = panel.otherBucket;
  const ctes: Sql[] = [];
  const keys: Sql[] = [];
  const keep: Sql[] = [];
  const outKeys: Sql[] = [];
  const outFlags: Sql[] = [];
  const joins: Sql[] = [];
  const order: Sql[] = [];
  const ranked = (name: string, member: Sql, rankOrder: Sql, n: Sql) => rankedMembers(name, member, rankOrder, n, rankBy, table, filter);
  const bucket = (member: Sql, cte: string, name: string, flag: string) => {
    if (other) {
      keys.push(Sql.concat('CASE WHEN ', inTop(member, cte), ' THEN CAST(', member, ' AS VARCHAR) ELSE ', str(OTHER_MEMBER), ' END AS ', ident(name)));
      keys.push(Sql.concat('NOT ', inTop(member, cte), ' AS ', ident(flag)));
    } else {
      keys.push(Sql.concat('CAST(', member, ' AS VARCHAR) AS ', ident(name)));
      keys.push(Sql.concat('FALSE AS ', ident(flag)));
      keep.push(inTop(member, cte));
    }
  };

  if (xDim) {
    const byValue = Sql.concat('"v" ', panel.sort === 'value_asc' ? 'ASC' : 'DESC', ' NULLS LAST, "k" ASC NULLS LAST');
    ctes.push(ranked('ns_x', xDim, panel.sort === 'label' ? Sql.raw`"k" ASC NULLS LAST` : byValue, limit));
    bucket(xDim, 'ns_x', 'x', 'x_other');
    outKeys.push(Sql.raw`"g"."x"`);
    outFlags.push(Sql.raw`"g"."x_other"`);
    joins.push(Sql.raw` LEFT JOIN "ns_x" AS "rx" ON NOT "g"."x_other" AND "rx"."k" IS NOT DISTINCT FROM "g"."x"`);
    order.push(Sql.raw`"g"."x_other"`, Sql.raw`"rx"."r"`);
  } else {
    keys.push(Sql.concat(xBucket as Sql, ' AS "x"'));
    outKeys.push(Sql.raw`"g"."x"`);
    order.push(Sql.raw`"g"."x"`);
  }
  if (seriesName) {
    const seriesCol = dimensionColumn(ctx, seriesName, where);
    const n = Math.min(panel.limit, MAX_SERIES);
    ctes.push(ranked('ns_s', seriesCol, Sql.raw`"v" DESC NULLS LAST, "k" ASC NULLS LAST`, int(n, 1, MAX_SERIES)));
    bucket(seriesCol, 'ns_s', 'series', 'series_other');
    outKeys.push(Sql.raw`"g"."series"`, Sql.concat('CAST(coalesce("rs"."r", ', int(n + 1, 2, MAX_SERIES + 1), ') AS INTEGER) AS "series_rank"'));
    outFlags.push(Sql.raw`"g"."series_other"`);
    joins.push(Sql.raw` LEFT JOIN "ns_s" AS "rs" ON NOT "g"."series_other" AND "rs"."k" IS NOT DISTINCT FROM "g"."series"`);
    order.push(Sql.raw`"g"."series_other"`, Sql.raw`"rs"."r"`);
  }
  const groupBy = keys.map((_, i) => String(i + 1)).join(', ');
  const rows = Sql.concat(
    '"ns_g" AS (SELECT ', Sql.join(keys), ', ', Sql.join(measures), ' FROM ', table, ' WHERE ', filter,
    keep.length ? Sql.concat(' AND ', Sql.join(keep, ' AND ')) : '', ' GROUP BY ', groupBy, ')',
  );
  const shown = panel.measures.map((m) => Sql.concat('"g".', ident(m)));
  return Sql.concat(
    'WITH ', Sql.join([...ctes, rows]), ' SELECT ', Sql.join([...outKeys, ...shown, ...outFlags]),
    ' FROM "ns_g" AS "g"', ...joins, ' ORDER BY ', Sql.join(order),
  );
}

/** A CTE `name` AS the top `n` members ("k", as text) of `member` by `rankBy`, with their rank "r" from 1. */
function rankedMembers(name: string, member: Sql, rankOrder: Sql, n: Sql, rankBy: Sql, table: Sql, filter: Sql): Sql {
  return Sql.concat(
    ident(name), ' AS (SELECT "k", "r" FROM (SELECT "k", row_number() OVER (ORDER BY ', rankOrder, ') AS "r" FROM (SELECT CAST(', member,
    ' AS VARCHAR) AS "k", ', rankBy, ' AS "v" FROM ', table, ' WHERE ', filter, ' GROUP BY 1)) WHERE "r" <= ', n, ')',
  );
}

/** TRUE when the row's member is one of the ranked top N of CTE `cte` (NULL is a member like any other). */
function inTop(member: Sql, cte: string): Sql {
  return Sql.concat(
    'coalesce(CAST(', member, ' AS VARCHAR) IN (SELECT "k" FROM ', ident(cte), ' WHERE "k" IS NOT NULL) OR (', member,
    ' IS NULL AND EXISTS (SELECT 1 FROM ', ident(cte), ' WHERE "k" IS NULL)), FALSE)',
  );
}

/** Column names of heatmap results; a measure with one of these names would be ambiguous. */
const HEATMAP_COLUMNS = ['x', 'y', 'x_rank', 'y_rank'];

/**
 * Heatmap cells: one row per x and y with columns "x", "y" (a time bucket in epoch ms, or a
 * dimension member as text, NULL for NULL), the first measure, and "x_rank" / "y_rank": each
 * axis's order from 1 (time ascending; members by the measure's total, as the panel sorts).
 * Members beyond the top N (limit) of each dimension axis are left out; time buckets are never
 * cut, as on every other chart. Empty cells have no row.
 */
export function heatmapQuery(panel: ChartPanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  const where = `panel "${panel.id}"`;
  const first = panel.measures[0];
  if (first === undefined) throw new SqlBuildError(`${where}: a heatmap needs a measure`);
  if (HEATMAP_COLUMNS.includes(first)) throw new SqlBuildError(`${where}: a heatmap cannot show a measure named "${first}" (the name is taken by the chart's own columns)`);
  if (!panel.y) throw new SqlBuildError(`${where}: a heatmap needs y (what its rows show)`);
  const filter = panelRowFilter(ctx, refine, where);
  const table = ident(ctx.table);
  const rankBy = measureExpr(ctx, first);
  const limit = int(panel.limit, 1, 1000);
  const byValue = Sql.concat('"v" ', panel.sort === 'value_asc' ? 'ASC' : 'DESC', ' NULLS LAST, "k" ASC NULLS LAST');
  const rankOrder = panel.sort === 'label' ? Sql.raw`"k" ASC NULLS LAST` : byValue;
  const ctes: Sql[] = [];
  const keep: Sql[] = [];
  const joins: Sql[] = [];
  const axis = (spec: NonNullable<ChartPanel['y']>, name: 'x' | 'y', timeGrain: TimeGrain | undefined, dimension: string | undefined) => {
    if (spec.type === 'time') {
      const bucket = Sql.concat('CAST(epoch_ms(date_trunc(', grain(timeGrain ?? spec.grain), ', ', timeColumn(ctx, where), ')) AS DOUBLE)');
      return { key: bucket, rank: Sql.concat('CAST(dense_rank() OVER (ORDER BY "g".', ident(name), ') AS INTEGER)') };
    }
    const member = dimensionColumn(ctx, dimension ?? spec.dimension, where);
    const cte = `ns_${name}`;
    const alias = `r${name}`;
    ctes.push(rankedMembers(cte, member, rankOrder, limit, rankBy, table, filter));
    keep.push(inTop(member, cte));
    joins.push(Sql.concat(' LEFT JOIN ', ident(cte), ' AS ', ident(alias), ' ON ', ident(alias), '."k" IS NOT DISTINCT FROM "g".', ident(name)));
    return { key: Sql.concat('CAST(', member, ' AS VARCHAR)'), rank: Sql.concat('CAST(', ident(alias), '."r" AS INTEGER)') };
  };
  const x = axis(panel.x, 'x', refine?.grain, refine?.xDimension);
  const y = axis(panel.y, 'y', undefined, undefined);
  const rows = Sql.concat(
    '"ns_g" AS (SELECT ', x.key, ' AS "x", ', y.key, ' AS "y", ', measureExpr(ctx, first), ' AS ', ident(first), ' FROM ', table, ' WHERE ', filter,
    keep.length ? Sql.concat(' AND ', Sql.join(keep, ' AND ')) : '', ' GROUP BY 1, 2)',
  );
  return Sql.concat(
    'WITH ', Sql.join([...ctes, rows]), ' SELECT "g"."x", "g"."y", "g".', ident(first), ', ', x.rank, ' AS "x_rank", ', y.rank, ' AS "y_rank"',
    ' FROM "ns_g" AS "g"', ...joins, ' ORDER BY "x_rank", "y_rank"',
  );
}

/** Table: the chosen columns of the rows in the period. */
export function tableQuery(panel: TablePanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  const where = `panel "${panel.id}"`;
  const cols = panel.columns.map((c) => column(c, ctx.columns, where));
  const order = panel.orderBy
    ? Sql.concat(' ORDER BY ', column(panel.orderBy.column, ctx.columns, where), panel.orderBy.direction === 'asc' ? ' ASC' : ' DESC', ' NULLS LAST')
    : Sql.raw``;
  return Sql.concat(
    'SELECT ', Sql.join(cols), ' FROM ', ident(ctx.table), ' WHERE ', panelRowFilter(ctx, refine, where), order,
    ' LIMIT ', int(panel.limit, 1, 10000),
  );
}

/** The rows of `tableQuery` in two steps (see `tableTopN`). */
export interface TableTopN {
  /**
   * Step 0, when the order is by the dataset's time column within a known period: step 1 over the
   * period's last (first, ascending) sixteenth only, which the engine reads only a few row groups of.
   * When it finds `limit` rows with a value (`enough`), its cut-off is step 1's: every row outside
   * that slice sorts after every row in it.
   */
  narrowed?: Sql;
  /** Whether a step 0 or step 1 result found `limit` rows with a value. */
  enough(cutoff: QueryResult): boolean;
  /** Step 1: the cut-off value of the order column, its type and how many of the first rows have a value. */
  cutoff: Sql;
  /** Step 2, given step 1's result: the rows at or beyond the cut-off, or `tableQuery` when step 1 cannot narrow. */
  rows(cutoff: QueryResult): Sql;
}

/** The slices of a period `TableTopN.narrowed` reads one of: a 30-day period's last ~2 days. */
const TOP_N_SLICES = 16;

/**
 * The rows of `tableQuery`, found in two steps; null without an order (then `tableQuery` is one
 * cheap step). DuckDB-WASM's top-N carries every column of every row it considers, which costs
 * most of the query on wide text rows (~300 ms for 100 of 5M demo rows from the Parquet bytes, one
 * thread). Step 1 is a top-N over the order column alone, which gives the cut-off: the last value
 * that makes the list. Step 2 reads the full rows at or beyond it, written as a literal, so the
 * engine skips every row group whose statistics lie before it and reads the other columns only for
 * rows that pass (~100 → ~35 ms on the demo table). When fewer than `limit` rows have a value, NULLs
 * (which sort last) make the list too, and step 2 is `tableQuery` itself. Same rows in the same
 * order, ties aside, which neither orders.
 */
export function tableTopN(panel: TablePanel, ctx: DatasetContext, refine?: PanelRefinement): TableTopN | null {
  if (!panel.orderBy) return null;
  const where = `panel "${panel.id}"`;
  const cols = panel.columns.map((c) => column(c, ctx.columns, where));
  const by = column(panel.orderBy.column, ctx.columns, where);
  const asc = panel.orderBy.direction === 'asc';
  const direction = asc ? ' ASC NULLS LAST' : ' DESC NULLS LAST';
  const filter = panelRowFilter(ctx, refine, where);
  const limit = int(panel.limit, 1, 10000);
  const table = ident(ctx.table);
  const edge = asc ? 'max("ns_v")' : 'min("ns_v")';
  const cutoffOver = (rows: Sql) =>
    Sql.concat('SELECT CAST(', edge, ' AS VARCHAR) AS "cutoff", typeof(', edge, ') AS "type", count("ns_v") AS "n" FROM (SELECT ', by, ' AS "ns_v" FROM ', table, ' WHERE ', rows, ' ORDER BY 1', direction, ' LIMIT ', limit, ')');
  const enough = (result: QueryResult) => Number(result.rows[0]?.n) >= panel.limit;
  // The slice of the period the first rows most likely lie in, as a narrower time window.
  const period = panel.orderBy.column === ctx.dataset.timeColumn ? effectivePeriod(ctx, refine) : null;
  const slice = period ? Math.floor((period.end - period.start) / TOP_N_SLICES) : 0;
  const narrowed = period && slice > 0 ? panelRowFilter(ctx, { ...refine, window: asc ? { start: period.start, end: period.start + slice } : { start: period.end - slice, end: period.end } }, where) : null;
  return {
    ...(narrowed ? { narrowed: cutoffOver(narrowed) } : {}),
    enough,
    cutoff: cutoffOver(filter),
    rows(result) {
      const row = result.rows[0];
      const type = String(row?.type ?? '');
      if (!row || typeof row.cutoff !== 'string' || !enough(result) || !isTextExactType(type)) return tableQuery(panel, ctx, refine);
      return Sql.concat(
        'SELECT ', Sql.join(cols), ' FROM ', table, ' WHERE (', filter, ') AND ', by, asc ? ' <= ' : ' >= ', castText(row.cutoff, type),
        ' ORDER BY ', by, direction, ' LIMIT ', limit,
      );
    },
  };
}

/** The SQL that feeds a panel, narrowed by filters and drill-down when given. */
export function panelQuery(panel: DataPanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  switch (panel.kind) {
    case 'kpi':
      return kpiQuery(panel, ctx, refine);
    case 'chart':
      return chartQuery(panel, ctx, refine);
    case 'table':
      return tableQuery(panel, ctx, refine);
  }
}

/** The members of a dimension with their row counts in the period, most frequent first (for filter pickers). */
export function memberCountsQuery(ctx: DatasetContext, dimension: string, limit = 500): Sql {
  const where = `filter on "${dimension}"`;
  return Sql.concat(
    'SELECT CAST(', dimensionColumn(ctx, dimension, where), ' AS VARCHAR) AS "member", CAST(count(*) AS DOUBLE) AS "rows" FROM ', ident(ctx.table),
    ' WHERE ', panelRowFilter(ctx, undefined, where), ' GROUP BY 1 ORDER BY 2 DESC, 1 ASC NULLS LAST LIMIT ', int(limit, 1, 10000),
  );
}
