// Authoring datasets: pure edits of one dataset draft (measures, ratios, dimensions, drill
// hierarchies), the checks that run before a draft becomes part of the dashboard, and the engine
// calls of the Datasets drawer (source columns for autocomplete, the SQL preview).
import { readableSource } from '../../../queries/text-sources';
import { loadDashboard } from '../../../dashboards/document';
import { engineNameClashes } from '../../../dashboards/engine-names';
import { Dataset as DatasetSchema, type DashboardFile, type Dataset, type Dimension, type Measure } from '../../../dashboards/schema';
import type { Engine, Row } from '../../../queries/engine/engine';
import {
  PREVIEW_ROWS,
  describedColumns,
  isNumericType,
  isTemporalType,
  locateSqlError,
  sqlDescribeQuery,
  sqlErrorSummary,
  sqlPreviewQuery,
  type ColumnInfo,
  type SqlErrorLocation,
} from '../../../queries/dataset-queries';
import { selectAll } from '../../../queries/sql';
import { describeQueryOutOfMemory, outOfMemoryReason } from '../../../queries/engine/read-errors';
import { editFilters, freeEngineMemory, type ActionDeps } from './dashboard-actions';

export type { ColumnInfo, SqlErrorLocation };

/** An edit that was refused, with the reason in the user's words. */
export type Edited<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Aggregations that need a numeric column. min and max too: panel queries cast every measure to
 * DOUBLE (queries/panel-queries.ts `measureExpr`), which DuckDB refuses for text and timestamps.
 */
export const NUMERIC_AGGS: readonly Measure['agg'][] = ['sum', 'avg', 'min', 'max'];

// ---------------------------------------------------------------------------------------------
// Names

/**
 * A machine name not in `taken` and that `free` accepts, from a readable stem ("Order date" →
 * "order_date"); a suffix ("_2", "_3", ...) is added until both hold.
 */
export function freshName(taken: Iterable<string>, stem: string, free: (name: string) => boolean = () => true): string {
  const used = new Set(taken);
  const base =
    stem
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .replace(/^([0-9])/, '_$1')
      .slice(0, 56) || 'item';
  const ok = (name: string) => !used.has(name) && free(name);
  if (ok(base)) return base;
  for (let i = 2; ; i += 1) if (ok(`${base}_${i}`)) return `${base}_${i}`;
}

/**
 * A name for a new dataset of `d`: not taken, and whose relations in the query engine clash with no
 * source or dataset ("raw_orders" next to dataset "orders" would share "ds_raw_orders"), which the
 * file would otherwise be refused for only when it is saved or opened again.
 */
export function freshDatasetName(d: Pick<DashboardFile, 'sources' | 'datasets'>, stem: string): string {
  const added = d.datasets.length;
  const isAdded = (item: { list: string; index: number }) => item.list === 'datasets' && item.index === added;
  const free = (name: string) => !engineNameClashes(d.sources, [...d.datasets, { name }]).some((c) => isAdded(c.item) || isAdded(c.other));
  return freshName(d.datasets.map((x) => x.name), stem, free);
}

/** "order_ts" → "Order ts". */
function humanize(column: string): string {
  const words = column.replace(/[_\s]+/g, ' ').trim();
  return (words.charAt(0).toUpperCase() + words.slice(1)).slice(0, 200) || column.slice(0, 200);
}

// ---------------------------------------------------------------------------------------------
// New datasets

/** A table dataset over a source: a row count, and the first date/time column as its time column. */
export function newTableDataset(d: DashboardFile, source: string, columns: readonly ColumnInfo[] = []): Dataset {
  const time = columns.find((c) => isTemporalType(c.type));
  return {
    name: freshDatasetName(d, source),
    kind: 'table',
    source,
    ...(time ? { timeColumn: time.name } : {}),
    measures: [{ name: 'row_count', label: 'Rows', agg: 'count', format: 'integer' }],
    dimensions: [],
    hierarchies: [],
  };
}

/** A SQL dataset, starting from all rows of the first source. */
export function newSqlDataset(d: DashboardFile): Dataset {
  const first = d.sources[0];
  return {
    name: freshDatasetName(d, 'sql_dataset'),
    kind: 'sql',
    sql: first ? selectAll(first.name).text : 'SELECT 1 AS one',
    measures: [{ name: 'row_count', label: 'Rows', agg: 'count', format: 'integer' }],
    dimensions: [],
    hierarchies: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Who uses what

/** Panels (by title) and dashboard filters that read a dataset. */
function datasetReaders(d: DashboardFile, dataset: string) {
  return {
    panels: d.panels.filter((p) => 'dataset' in p && p.dataset === dataset),
    filters: d.filters.filter((f) => f.dataset === dataset),
  };
}

function quoteList(names: readonly string[]): string {
  const q = names.map((n) => `"${n}"`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

function usedBy(parts: [string, string[]][]): string {
  return parts
    .filter(([, names]) => names.length > 0)
    .map(([what, names]) => `${what}${names.length === 1 ? '' : 's'} ${quoteList([...new Set(names)])}`)
    .join(' and ');
}

/** What uses a measure of the dataset `original` (as the dashboard has it), and of the draft. */
export function measureUsers(d: DashboardFile, original: string | null, draft: Dataset, name: string): string {
  const { panels } = original ? datasetReaders(d, original) : { panels: [] };
  const byPanels = panels.filter((p) => (p.kind === 'kpi' ? p.measure === name : p.kind === 'chart' ? p.measures.includes(name) : false)).map((p) => p.title);
  const byRatios = draft.measures.filter((m) => m.name !== name && (m.numerator === name || m.denominator === name)).map((m) => m.label ?? m.name);
  return usedBy([
    ['panel', byPanels],
    ['ratio measure', byRatios],
  ]);
}

/** What uses a dimension: panels (axis, series), dashboard filters and the draft's drill hierarchies. */
export function dimensionUsers(d: DashboardFile, original: string | null, draft: Dataset, name: string): string {
  const { panels, filters } = original ? datasetReaders(d, original) : { panels: [], filters: [] };
  const byPanels = panels.filter((p) => p.kind === 'chart' && ((p.x.type === 'dimension' && p.x.dimension === name) || p.series === name)).map((p) => p.title);
  const byFilters = filters.filter((f) => f.dimension === name).map((f) => f.id);
  const byHierarchies = draft.hierarchies.filter((h) => h.levels.includes(name)).map((h) => h.name);
  return usedBy([
    ['panel', byPanels],
    ['filter', byFilters],
    ['drill hierarchy', byHierarchies],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Measures

/** A new count(*) measure (the user then picks its aggregation and column). */
export function addMeasure(draft: Dataset): Dataset {
  const name = freshName(draft.measures.map((m) => m.name), 'measure');
  return { ...draft, measures: [...draft.measures, { name, agg: 'count', format: 'integer' }] };
}

/** A ratio of two measures of the draft, e.g. AOV = revenue / orders. */
export function addRatioMeasure(draft: Dataset, numerator: string, denominator: string, label?: string): Edited<Dataset> {
  const names = new Set(draft.measures.map((m) => m.name));
  if (!names.has(numerator) || !names.has(denominator)) return { ok: false, message: 'Pick two measures of this dataset for the ratio.' };
  const name = freshName(names, label ?? `${numerator}_per_${denominator}`);
  const ratio: Measure = { name, agg: 'ratio', numerator, denominator, format: 'number', ...(label ? { label } : {}) };
  return { ok: true, value: { ...draft, measures: [...draft.measures, ratio] } };
}

/**
 * Change one measure. A new name is carried into the ratios of the draft; changing the aggregation
 * keeps only the fields it uses (a ratio has no column; other aggregations have no ratio parts).
 */
export function updateMeasure(draft: Dataset, index: number, change: Partial<Measure>): Dataset {
  const old = draft.measures[index];
  if (!old) return draft;
  const next: Measure = { ...old, ...change };
  if (change.agg !== undefined && change.agg !== old.agg) {
    if (next.agg === 'ratio') delete next.column;
    else {
      delete next.numerator;
      delete next.denominator;
    }
  }
  if (next.label === '') delete next.label;
  const renamed = change.name !== undefined && change.name !== old.name;
  const measures = draft.measures.map((m, i) => {
    if (i === index) return next;
    if (!renamed) return m;
    const refs: Partial<Measure> = {};
    if (m.numerator === old.name) refs.numerator = next.name;
    if (m.denominator === old.name) refs.denominator = next.name;
    return Object.keys(refs).length > 0 ? { ...m, ...refs } : m;
  });
  return { ...draft, measures };
}

/** Remove a measure, unless a panel or a ratio uses it: then say which. */
export function removeMeasure(d: DashboardFile, original: string | null, draft: Dataset, name: string): Edited<Dataset> {
  const users = measureUsers(d, original, draft, name);
  if (users) return { ok: false, message: `Measure "${name}" is used by ${users}: change or remove those first.` };
  return { ok: true, value: { ...draft, measures: draft.measures.filter((m) => m.name !== name) } };
}

// ---------------------------------------------------------------------------------------------
// Dimensions and hierarchies

/** A dimension over a column, named after it. */
export function addDimension(draft: Dataset, column: string): Dataset {
  const dim: Dimension = { name: freshName(draft.dimensions.map((x) => x.name), column), label: humanize(column), column };
  return { ...draft, dimensions: [...draft.dimensions, dim] };
}

/** Change one dimension; a new name is carried into the draft's hierarchies. */
export function updateDimension(draft: Dataset, index: number, change: Partial<Dimension>): Dataset {
  const old = draft.dimensions[index];
  if (!old) return draft;
  const next: Dimension = { ...old, ...change };
  if (next.label === '') delete next.label;
  const dimensions = draft.dimensions.map((x, i) => (i === index ? next : x));
  const renamed = change.name !== undefined && change.name !== old.name;
  const hierarchies = renamed ? draft.hierarchies.map((h) => ({ ...h, levels: h.levels.map((l) => (l === old.name ? next.name : l)) })) : draft.hierarchies;
  return { ...draft, dimensions, hierarchies };
}

/** Remove a dimension, unless a panel, a filter or a drill hierarchy uses it: then say which. */
export function removeDimension(d: DashboardFile, original: string | null, draft: Dataset, name: string): Edited<Dataset> {
  const users = dimensionUsers(d, original, draft, name);
  if (users) return { ok: false, message: `Dimension "${name}" is used by ${users}: change or remove those first.` };
  return { ok: true, value: { ...draft, dimensions: draft.dimensions.filter((x) => x.name !== name) } };
}

/** A new drill hierarchy starting at the first dimension. */
export function addHierarchy(draft: Dataset): Edited<Dataset> {
  const first = draft.dimensions[0];
  if (!first) return { ok: false, message: 'Add a dimension first: a drill hierarchy is a path through dimensions.' };
  const name = freshName(draft.hierarchies.map((h) => h.name), 'drill');
  return { ok: true, value: { ...draft, hierarchies: [...draft.hierarchies, { name, levels: [first.name] }] } };
}

export function renameHierarchy(draft: Dataset, index: number, name: string): Dataset {
  return { ...draft, hierarchies: draft.hierarchies.map((h, i) => (i === index ? { ...h, name } : h)) };
}

export function removeHierarchy(draft: Dataset, index: number): Dataset {
  return { ...draft, hierarchies: draft.hierarchies.filter((_, i) => i !== index) };
}

/** Add a dimension as the finest level of a hierarchy (each dimension at most once). */
export function addLevel(draft: Dataset, index: number, dimension: string): Dataset {
  return {
    ...draft,
    hierarchies: draft.hierarchies.map((h, i) => (i === index && !h.levels.includes(dimension) ? { ...h, levels: [...h.levels, dimension] } : h)),
  };
}

/** Remove a level; the last level cannot go (remove the hierarchy instead). */
export function removeLevel(draft: Dataset, index: number, level: number): Dataset {
  return {
    ...draft,
    hierarchies: draft.hierarchies.map((h, i) => (i === index && h.levels.length > 1 ? { ...h, levels: h.levels.filter((_, j) => j !== level) } : h)),
  };
}

/** Move a level one place coarser (-1) or finer (+1); the same draft when it cannot move. */
export function moveLevel(draft: Dataset, index: number, level: number, delta: -1 | 1): Dataset {
  const h = draft.hierarchies[index];
  const to = level + delta;
  if (!h || level < 0 || level >= h.levels.length || to < 0 || to >= h.levels.length) return draft;
  const levels = [...h.levels];
  [levels[level], levels[to]] = [levels[to] as string, levels[level] as string];
  return { ...draft, hierarchies: draft.hierarchies.map((x, i) => (i === index ? { ...x, levels } : x)) };
}

// ---------------------------------------------------------------------------------------------
// Applying a draft

/** Something wrong with a draft: `field` is a path in the dataset ("measures.2.column"), or null for the whole. */
export interface DatasetProblem {
  field: string | null;
  message: string;
}

export type Applied = { ok: true; dashboard: DashboardFile } | { ok: false; problems: DatasetProblem[] };

/**
 * The dashboard with `draft` in place of the dataset `original` (or added, when null), if it is
 * valid: the dataset schema, the real columns (when known), nothing that reads the dataset left
 * pointing at a measure or dimension that is gone, and the whole file still loading cleanly.
 */
export function applyDataset(d: DashboardFile, original: string | null, draft: Dataset, columns?: readonly ColumnInfo[]): Applied {
  const parsed = DatasetSchema.safeParse(draft);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => ({ field: i.path.length > 0 ? i.path.join('.') : null, message: i.message })) };
  }
  const dataset = parsed.data;
  const problems: DatasetProblem[] = [...columnProblems(dataset, columns), ...referenceProblems(d, original, dataset)];
  if (d.datasets.some((x) => x.name === dataset.name && x.name !== original)) {
    problems.push({ field: 'name', message: `another dataset is already called "${dataset.name}"` });
  }
  if (problems.length > 0) return { ok: false, problems };

  const index = original === null ? -1 : d.datasets.findIndex((x) => x.name === original);
  const datasets = index === -1 ? [...d.datasets, dataset] : d.datasets.map((x, i) => (i === index ? dataset : x));
  const next: DashboardFile = { ...d, datasets };
  const at = index === -1 ? datasets.length - 1 : index;
  const loaded = loadDashboard(JSON.stringify(next));
  if (!loaded.ok) {
    const found = loaded.error.kind === 'invalid' ? loaded.error.problems : [{ path: '$', message: loaded.error.message }];
    return { ok: false, problems: found.map((p) => ({ field: fieldOf(p.path, at), message: p.message })) };
  }
  // The loader drops what no longer holds (a panel on a missing measure) with a warning: never silently.
  const before = new Set(loadedWarnings(d));
  const added = loaded.warnings.filter((w) => !before.has(w.message));
  if (added.length > 0) return { ok: false, problems: added.map((w) => ({ field: null, message: `This change would break ${w.message.replace(/ was dropped:/, ':')}` })) };
  return { ok: true, dashboard: next };
}

function loadedWarnings(d: DashboardFile): string[] {
  const r = loadDashboard(JSON.stringify(d));
  return r.ok ? r.warnings.map((w) => w.message) : [];
}

/** `$.datasets[3].measures[2].column` → "measures.2.column" when it is about dataset 3. */
function fieldOf(path: string, index: number): string | null {
  const prefix = `$.datasets[${index}]`;
  if (!path.startsWith(prefix)) return null;
  const rest = path.slice(prefix.length).replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
  return rest === '' ? null : rest;
}

function columnProblems(ds: Dataset, columns: readonly ColumnInfo[] | undefined): DatasetProblem[] {
  if (!columns || columns.length === 0) return [];
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const problems: DatasetProblem[] = [];
  const missing = (c: string) => `the data has no column "${c}"`;
  ds.measures.forEach((m, i) => {
    if (m.agg === 'ratio' || m.column === undefined) return;
    const type = types.get(m.column);
    if (type === undefined) problems.push({ field: `measures.${i}.column`, message: missing(m.column) });
    else if (NUMERIC_AGGS.includes(m.agg) && !isNumericType(type)) {
      problems.push({ field: `measures.${i}.column`, message: `${m.agg} needs a numeric column; "${m.column}" is ${type}` });
    }
  });
  ds.dimensions.forEach((x, i) => {
    if (!types.has(x.column)) problems.push({ field: `dimensions.${i}.column`, message: missing(x.column) });
  });
  if (ds.timeColumn !== undefined) {
    const type = types.get(ds.timeColumn);
    if (type === undefined) problems.push({ field: 'timeColumn', message: missing(ds.timeColumn) });
    else if (!isTemporalType(type)) problems.push({ field: 'timeColumn', message: `"${ds.timeColumn}" is ${type}, not a date or timestamp` });
  }
  return problems;
}

/** Panels and filters of the dashboard that would lose what they read. */
function referenceProblems(d: DashboardFile, original: string | null, ds: Dataset): DatasetProblem[] {
  if (original === null) return [];
  const { panels, filters } = datasetReaders(d, original);
  const problems: DatasetProblem[] = [];
  if (ds.name !== original) {
    const users = usedBy([
      ['panel', panels.map((p) => p.title)],
      ['filter', filters.map((f) => f.id)],
      ['check', d.checks.filter((c) => c.dataset === original).map((c) => c.id)],
      ['correction', d.corrections.filter((c) => c.dataset === original).map((c) => c.id)],
    ]);
    if (users) problems.push({ field: 'name', message: `dataset "${original}" is used by ${users}: keep its name` });
    return problems;
  }
  const measures = new Set(ds.measures.map((m) => m.name));
  const dims = new Set(ds.dimensions.map((x) => x.name));
  const lostMeasures = new Map<string, string[]>();
  const lostDims = new Map<string, string[]>();
  const lose = (map: Map<string, string[]>, name: string, user: string) => map.set(name, [...(map.get(name) ?? []), user]);
  const noTime: string[] = [];
  for (const p of panels) {
    if (p.kind === 'kpi' && !measures.has(p.measure)) lose(lostMeasures, p.measure, p.title);
    if (p.kind !== 'chart') continue;
    for (const m of p.measures) if (!measures.has(m)) lose(lostMeasures, m, p.title);
    if (p.x.type === 'dimension' && !dims.has(p.x.dimension)) lose(lostDims, p.x.dimension, p.title);
    if (p.series !== undefined && !dims.has(p.series)) lose(lostDims, p.series, p.title);
    if (p.x.type === 'time' && !ds.timeColumn) noTime.push(p.title);
  }
  for (const [m, users] of lostMeasures) problems.push({ field: null, message: `Measure "${m}" is used by ${usedBy([['panel', users]])}: keep it, or change those panels first.` });
  for (const [x, users] of lostDims) problems.push({ field: null, message: `Dimension "${x}" is used by ${usedBy([['panel', users]])}: keep it, or change those panels first.` });
  for (const f of filters) if (!dims.has(f.dimension)) problems.push({ field: null, message: `Dimension "${f.dimension}" is used by filter "${f.id}": keep it, or remove the filter first.` });
  if (noTime.length > 0) problems.push({ field: 'timeColumn', message: `${usedBy([['panel', noTime]])} ${noTime.length === 1 ? 'draws' : 'draw'} over time: keep a time column` });
  return problems;
}

/**
 * Apply a draft as one undoable edit; the dashboard runs again in the background (panels show their
 * progress). Returns the problems instead when the draft is not valid.
 */
export function saveDataset(deps: ActionDeps, original: string | null, draft: Dataset, columns?: readonly ColumnInfo[]): Applied {
  const current = deps.store.getState().dashboard;
  if (!current) return { ok: false, problems: [{ field: null, message: 'No dashboard is open.' }] };
  const checked = applyDataset(current, original, draft, columns);
  if (checked.ok) {
    void editFilters(deps, (d) => {
      const again = d === current ? checked : applyDataset(d, original, draft, columns);
      return again.ok ? again.dashboard : d;
    });
  }
  return checked;
}

/** Remove a dataset nothing reads. */
export function removeDataset(d: DashboardFile, name: string): Edited<DashboardFile> {
  const { panels, filters } = datasetReaders(d, name);
  const users = usedBy([
    ['panel', panels.map((p) => p.title)],
    ['filter', filters.map((f) => f.id)],
    ['check', d.checks.filter((c) => c.dataset === name).map((c) => c.id)],
    ['correction', d.corrections.filter((c) => c.dataset === name).map((c) => c.id)],
  ]);
  if (users) return { ok: false, message: `Dataset "${name}" is used by ${users}: change or remove those first.` };
  return { ok: true, value: { ...d, datasets: d.datasets.filter((x) => x.name !== name) } };
}

/** Delete a dataset as one undoable edit (refused with a message while something reads it). */
export function deleteDataset(deps: ActionDeps, name: string): Edited<DashboardFile> {
  const current = deps.store.getState().dashboard;
  if (!current) return { ok: false, message: 'No dashboard is open.' };
  const r = removeDataset(current, name);
  if (r.ok) {
    void editFilters(deps, (d) => {
      const again = d === current ? r : removeDataset(d, name);
      return again.ok ? again.value : d;
    });
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The engine

/**
 * The columns of the dashboard's source views (each source is a view named after it once the
 * dashboard ran), for autocomplete and the column pickers. Sources that are not readable are left out.
 */
export async function describeSources(deps: Pick<ActionDeps, 'engine' | 'host' | 'store'>, sources: readonly string[]): Promise<Record<string, ColumnInfo[]>> {
  const engine = await deps.engine();
  const out: Record<string, ColumnInfo[]> = {};
  for (const name of sources) {
    try {
      out[name] = await engine.describe(name);
    } catch {
      // No dataset has read this source yet, so it has no view: link it now, so a new dataset
      // can pick its columns. Unreadable: the dashboard shows why; autocomplete just lacks it.
      try {
        const { dashboard, path } = deps.store.getState();
        const source = dashboard?.sources.find((x) => x.name === name);
        if (!source || !path) continue;
        const connected = await deps.host.connectSource({ dashboardPath: path, source });
        // The runner's readable form: JSON parsed into a table, a CSV that is not UTF-8 converted.
        const ready = await readableSource(engine, source, { urls: connected.urls, location: connected.location, sizeBytes: connected.sizeBytes });
        await engine.exec(ready.view);
        out[name] = await engine.describe(name);
      } catch {
        // Left out of autocomplete; the Data sources dialog says why.
      }
    }
  }
  return out;
}

export type SqlPreview =
  | { kind: 'ok'; columns: ColumnInfo[]; rows: Row[]; truncated: boolean }
  | { kind: 'error'; message: string; location: SqlErrorLocation | null }
  | { kind: 'needsTrust' };

/**
 * Run the author's SQL for the editor: its first rows and its columns. A dashboard not trusted on
 * this machine runs no SQL from the drawer either, exactly as its SQL datasets wait for review.
 */
export async function previewSql(deps: ActionDeps, sql: string): Promise<SqlPreview> {
  if (!deps.store.getState().trusted) return { kind: 'needsTrust' };
  const fail = (err: unknown, engine?: Engine): SqlPreview => {
    // An engine that survived running out of memory holds on to it: start it afresh (the dashboard
    // loads its data again). One the failure stopped has been started again already.
    const restarted = outOfMemoryReason(err) !== null && engine?.alive === true && freeEngineMemory(deps);
    const tooLarge = describeQueryOutOfMemory(err, { restarted });
    if (tooLarge) return { kind: 'error', message: tooLarge, location: null };
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'error', message: sqlErrorSummary(message), location: locateSqlError(message, sql) };
  };
  let preview, describe;
  try {
    preview = sqlPreviewQuery(sql);
    describe = sqlDescribeQuery(sql);
  } catch (err) {
    return fail(err);
  }
  let engine: Engine | undefined;
  try {
    engine = await deps.engine();
    const result = await engine.query(preview);
    // DuckDB's own type names (the ones the column pickers know), not Arrow's.
    const columns = describedColumns((await engine.query(describe)).rows);
    return { kind: 'ok', columns, rows: result.rows, truncated: result.rows.length >= PREVIEW_ROWS };
  } catch (err) {
    return fail(err, engine);
  }
}
