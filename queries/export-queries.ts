// SQL for exports. A table panel shows its first `limit` rows; its export is the same query with
// no row limit. All quoting goes through ./sql, like every other query.
import type { TablePanel } from '../dashboards/schema';
import { panelRowFilter, type DatasetContext, type PanelRefinement } from './panel-queries';
import { Sql, column, ident } from './sql';

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
  return Sql.concat('SELECT ', Sql.join(cols), ' FROM ', ident(ctx.table), ' WHERE ', panelRowFilter(ctx, refine, where), order);
}
