// SQL for exports. A table panel shows its first `limit` rows; its export is the same query with
// no row limit. All quoting goes through ./sql, like every other query.
import type { TablePanel } from '../dashboards/schema';
import type { DatasetContext, PanelRefinement, Period } from './panel-queries';
import { Sql, SqlBuildError, column, ident, memberIn, timestamp } from './sql';

/**
 * Every row of a table panel: the columns, filters, drill window and order of `tableQuery`, without
 * its LIMIT. A unit test keeps the two in step (this text plus the LIMIT is `tableQuery`'s text).
 */
export function tableExportQuery(panel: TablePanel, ctx: DatasetContext, refine?: PanelRefinement): Sql {
  const where = `panel "${panel.id}"`;
  const cols = panel.columns.map((c) => column(c, ctx.columns, where));
  const order = panel.orderBy
    ? Sql.concat(' ORDER BY ', column(panel.orderBy.column, ctx.columns, where), panel.orderBy.direction === 'asc' ? ' ASC' : ' DESC', ' NULLS LAST')
    : Sql.raw``;
  return Sql.concat('SELECT ', Sql.join(cols), ' FROM ', ident(ctx.table), ' WHERE ', currentRows(ctx, refine, where), order);
}

// Mirrors the private `rowFilter(ctx, refine, 'current', …)` of panel-queries.ts. Once that module
// exports it (or `tableQuery` takes a limit override), this copy should go.
function currentRows(ctx: DatasetContext, refine: PanelRefinement | undefined, where: string): Sql {
  const parts: Sql[] = [];
  const period = shownPeriod(ctx, refine);
  const t = ctx.dataset.timeColumn;
  if (period && t) {
    const col = column(t, ctx.columns, `dataset "${ctx.dataset.name}" timeColumn`);
    parts.push(Sql.concat(col, ' >= ', timestamp(period.start), ' AND ', col, ' < ', timestamp(period.end)));
  }
  for (const m of refine?.members ?? []) {
    const dim = ctx.dataset.dimensions.find((d) => d.name === m.dimension);
    if (!dim) throw new SqlBuildError(`${where}: dataset "${ctx.dataset.name}" has no dimension "${m.dimension}"`);
    parts.push(memberIn(column(dim.column, ctx.columns, `dimension "${dim.name}"`), m.values));
  }
  return parts.length ? Sql.join(parts, ' AND ') : Sql.raw`TRUE`;
}

function shownPeriod(ctx: DatasetContext, refine: PanelRefinement | undefined): Pick<Period, 'start' | 'end'> | null {
  const w = refine?.window;
  if (!w) return ctx.period;
  if (!(w.end - w.start > 0)) throw new SqlBuildError('an empty time window');
  return { start: w.start, end: w.end };
}
