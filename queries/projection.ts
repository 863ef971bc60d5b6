// Column projection: which columns of a table dataset's source the dashboard can ever read, so a
// load copies only those into memory (and DuckDB reads only their Parquet column chunks, which is
// most of the bytes and the time of opening a large file over S3).
//
// Deliberately generous where being exact would be fragile:
//  - every column of the dataset's semantic layer (all measures, dimensions, the time column) is
//    kept, used by a panel or not, so "+ Filter", views, drilling to any level and "show rows"
//    (the time column, dimensions and measured columns) need no reload;
//  - checks and corrections keep any parameter value (a string, or strings in an array) that
//    names a real column, whatever the parameter is called;
//  - anything that may read arbitrary columns (a SQL dataset, a schema or custom SQL check, a
//    parameter holding SQL) turns projection off for that dataset: all columns load.
// "Show rows" tables therefore show the loaded columns, not every column of the file.
//
// The runner (queries/dashboard-runner.ts) applies it where it fetches a Parquet dataset's bytes
// itself (engine/prefetch.ts): only the footer and these columns' chunks are fetched and loaded.
// Where the engine reads the source itself (a CSV or JSON file, Parquet too large to fetch or from a
// server without ranges), the table (or scan mode's view) selects these columns from the source's
// view, and a Parquet file's estimate counts only their chunks.
// The dataset still lists every source column (pickers offer them all); a run that needs a column
// not in memory (a new panel, check or correction) loads the dataset again with it.
import type { DashboardFile, Dataset } from '../dashboards/schema';

/**
 * The source columns a dataset needs, in the source's own order; null when every column must be
 * loaded (a SQL dataset, SQL in a check or correction, or a projection that would keep them all).
 */
export function projectedColumns(dashboard: DashboardFile, dataset: Dataset, sourceColumns: readonly string[]): string[] | null {
  const wanted = wantedNames(dashboard, dataset);
  if (wanted === null) return null;
  const kept = sourceColumns.filter((c) => wanted.has(c));
  if (kept.length === 0 || kept.length === sourceColumns.length) return null;
  return kept;
}

const WHOLE_TABLE_RULES = new Set(['schema', 'custom_sql']);

/** Every name that may be a column the dashboard reads from this dataset; null for "all columns". */
function wantedNames(dashboard: DashboardFile, dataset: Dataset): Set<string> | null {
  if (dataset.kind !== 'table') return null;
  const wanted = semanticColumns(dataset);
  for (const panel of dashboard.panels) {
    if (panel.kind !== 'table' || panel.dataset !== dataset.name) continue;
    for (const c of panel.columns) wanted.add(c);
    if (panel.orderBy) wanted.add(panel.orderBy.column);
    for (const rule of panel.rules) wanted.add(rule.column);
  }
  const checks = dashboard.checks.filter((c) => c.dataset === dataset.name);
  // A schema check judges the set of columns itself; a custom SQL check may read any of them.
  if (checks.some((c) => WHOLE_TABLE_RULES.has(c.rule))) return null;
  const rules = [...checks, ...dashboard.corrections.filter((c) => c.dataset === dataset.name)];
  for (const rule of rules) {
    if (mentionsSql(rule.params)) return null;
    for (const value of paramStrings(rule.params)) wanted.add(value);
  }
  return wanted;
}

function semanticColumns(dataset: Dataset): Set<string> {
  const names = new Set<string>();
  for (const m of dataset.measures) if (m.column !== undefined) names.add(m.column);
  for (const d of dataset.dimensions) names.add(d.column);
  if (dataset.timeColumn !== undefined) names.add(dataset.timeColumn);
  return names;
}

/** A check or correction whose parameters carry SQL may read any column. */
function mentionsSql(params: Record<string, unknown>): boolean {
  return Object.keys(params).some((key) => /sql|expr|where|condition|query/i.test(key));
}

function paramStrings(params: Record<string, unknown>): string[] {
  const out: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value) && depth < 3) value.forEach((v) => visit(v, depth + 1));
    else if (value && typeof value === 'object' && depth < 3) Object.values(value).forEach((v) => visit(v, depth + 1));
  };
  visit(params, 0);
  return out;
}
