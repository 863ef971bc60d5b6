// SQL for each panel kind, built from the typed panel spec. All quoting goes through ./sql.
import type { ChartPanel, DataPanel, Dataset, KpiPanel, Measure, TablePanel, TimeRange } from '../dashboards/schema';
import { Sql, SqlBuildError, column, grain, ident, int, memberIn, timestamp } from './sql';

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

/** The aggregate SQL of a named measure (ratios expand to their parts). */
export function measureExpr(ctx: Pick<DatasetContext, 'dataset' | 'columns'>, name: string, depth = 0): Sql {
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
    case 'count_distinct':
      return Sql.concat('CAST(count(DISTINCT ', col(), ') AS DOUBLE)');
    case 'ratio': {
      if (!m.numerator || !m.denominator) throw new SqlBuildError(`${where} needs a numerator and a denominator`);
      const top = measureExpr(ctx, m.numerator, depth + 1);
      const bottom = measureExpr(ctx, m.denominator, depth + 1);
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
  grain?: 'day' | 'week' | 'month';
  /** A narrower time window [start, end) in epoch ms, e.g. the month drilled into. */
  window?: { start: number; end: number };
}

/** The period a panel shows: the dashboard's, or a drilled-into window with the same-length window before it. */
function effectivePeriod(ctx: DatasetContext, refine: PanelRefinement | undefined): Period | null {
  const w = refine?.window;
  if (!w) return ctx.period;
  const length = w.end - w.start;
  if (!(length > 0)) throw new SqlBuildError('an empty time window');
  return { start: w.start, end: w.end, previousStart: w.start - length, days: Math.round(length / DAY_MS) };
}

function rowFilter(ctx: DatasetContext, refine: PanelRefinement | undefined, from: 'current' | 'withPrevious', where: string): Sql {
  const parts: Sql[] = [];
  const period = effectivePeriod(ctx, refine);
  if (period && ctx.dataset.timeColumn) {
    const t = timeColumn(ctx, where);
    const start = from === 'current' ? period.start : period.previousStart;
    parts.push(Sql.concat(t, ' >= ', timestamp(start), ' AND ', t, ' < ', timestamp(period.end)));
  }
  for (const m of refine?.members ?? []) {
    parts.push(memberIn(dimensionColumn(ctx, m.dimension, where), m.values));
  }
  return parts.length ? Sql.join(parts, ' AND ') : Sql.raw`TRUE`;
}

function dimensionColumn(ctx: Pick<DatasetContext, 'dataset' | 'columns'>, name: string, where: string): Sql {
  const dim = ctx.dataset.dimensions.find((d) => d.name === name);
  if (!dim) throw new SqlBuildError(`${where}: dataset "${ctx.dataset.name}" has no dimension "${name}"`);
  return column(dim.column, ctx.columns, `dimension "${dim.name}"`);
}

/**
 * KPI: one row per period ("current", "previous") with the measure's value. Both periods come
 * from one scan so they can never disagree on filters.
 */
export function kpiQuery(panel: KpiPanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  const value = measureExpr(ctx, panel.measure);
  const where = `panel "${panel.id}"`;
  const period = effectivePeriod(ctx, refine);
  if (!period || panel.comparison === 'none' || !ctx.dataset.timeColumn) {
    return Sql.concat(`SELECT 'current' AS "period", `, value, ' AS "value" FROM ', ident(ctx.table), ' WHERE ', rowFilter(ctx, refine, 'current', where));
  }
  const t = timeColumn(ctx, where);
  return Sql.concat(
    'SELECT CASE WHEN ', t, ' >= ', timestamp(period.start), ` THEN 'current' ELSE 'previous' END AS "period", `,
    value, ' AS "value" FROM ', ident(ctx.table),
    ' WHERE ', rowFilter(ctx, refine, 'withPrevious', where),
    ' GROUP BY 1',
  );
}

/** Chart: column "x" (a time bucket in epoch ms, or a dimension member) and one column per measure. */
export function chartQuery(panel: ChartPanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  const where = `panel "${panel.id}"`;
  const measures = panel.measures.map((m) => Sql.concat(measureExpr(ctx, m), ' AS ', ident(m)));
  const filter = rowFilter(ctx, refine, 'current', where);
  if (panel.x.type === 'time') {
    const bucket = Sql.concat('date_trunc(', grain(refine?.grain ?? panel.x.grain), ', ', timeColumn(ctx, where), ')');
    return Sql.concat(
      'SELECT CAST(epoch_ms(', bucket, ') AS DOUBLE) AS "x", ', Sql.join(measures),
      ' FROM ', ident(ctx.table), ' WHERE ', filter, ' GROUP BY 1 ORDER BY 1',
    );
  }
  const dimCol = dimensionColumn(ctx, refine?.xDimension ?? panel.x.dimension, where);
  const first = panel.measures[0];
  if (first === undefined) throw new SqlBuildError(`${where}: a chart needs a measure`);
  const order =
    panel.sort === 'label'
      ? Sql.raw`ORDER BY 1 ASC NULLS LAST`
      : Sql.concat('ORDER BY ', ident(first), panel.sort === 'value_asc' ? ' ASC' : ' DESC', ' NULLS LAST, 1 ASC');
  return Sql.concat(
    'SELECT CAST(', dimCol, ' AS VARCHAR) AS "x", ', Sql.join(measures),
    ' FROM ', ident(ctx.table), ' WHERE ', filter, ' GROUP BY 1 ', order, ' LIMIT ', int(panel.limit, 1, 1000),
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
    'SELECT ', Sql.join(cols), ' FROM ', ident(ctx.table), ' WHERE ', rowFilter(ctx, refine, 'current', where), order,
    ' LIMIT ', int(panel.limit, 1, 10000),
  );
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
    ' WHERE ', rowFilter(ctx, undefined, 'current', where), ' GROUP BY 1 ORDER BY 2 DESC, 1 ASC NULLS LAST LIMIT ', int(limit, 1, 10000),
  );
}
