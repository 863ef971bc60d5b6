// Corrections ("fix it once"): a dataset loads raw into `ds_raw_<name>`, and `ds_<name>`, which every
// panel and check reads, is a view that applies the dataset's corrections in file order. A view, not
// a second table: the data stays in memory once, and adding or removing a correction re-creates only
// the view. Each correction is validated against the dataset's real columns and types; a broken one
// is left out and reported by its id, so it never blanks the dashboard.
import { z } from 'zod';
import type { Check, Correction } from '../dashboards/schema';
import type { CheckResult } from './checks/types';
import { hashSlice } from './group-slices';
import { Sql, SqlBuildError, ident, literal, memberIn, selectParquetInFileOrder } from './sql';

/** A column as the engine describes it. */
export interface ColumnInfo {
  name: string;
  type: string;
}

/** A correction that cannot be applied; the message names the correction. */
export class CorrectionError extends Error {
  override readonly name = 'CorrectionError';
  constructor(
    readonly correctionId: string,
    message: string,
  ) {
    super(`Correction \`${correctionId}\`: ${message}`);
  }
}

type Value = string | number | boolean | null;
const ValueParam = z.union([z.string().max(10_000), z.number().finite(), z.boolean(), z.null()]);
const ColumnParam = z.string().min(1).max(256);
const KeyParam = z.union([ColumnParam, z.array(ColumnParam).min(1).max(16)]);
const Mapping = z.object({ from: ValueParam, to: ValueParam }).strict();

const MapValueParams = z.union([
  z.object({ column: ColumnParam, from: ValueParam, to: ValueParam }).strict(),
  z.object({ column: ColumnParam, mappings: z.array(Mapping).min(1).max(1000) }).strict(),
]);
const ExcludeRowsParams = z.union([
  z.object({ key: ColumnParam, values: z.array(ValueParam).min(1).max(10_000) }).strict(),
  z.object({ key: KeyParam, duplicates: z.literal('keep_one') }).strict(),
]);
const OverrideParams = z.object({ key: ColumnParam, keyValue: ValueParam, column: ColumnParam, value: ValueParam }).strict();

/** What each kind's params look like, for messages and docs. */
export const CORRECTION_PARAMS: Record<Correction['kind'], string> = {
  map_value: '{ "column", "from", "to" } or { "column", "mappings": [{ "from", "to" }, ...] }',
  exclude_rows: '{ "key", "values": [...] } (drop rows whose key is one of the values) or { "key", "duplicates": "keep_one" } (one row per key)',
  override: '{ "key", "keyValue", "column", "value" } (set column to value on the rows whose key is keyValue)',
};

type ValueKind = 'text' | 'number' | 'integer' | 'boolean' | 'other';

function kindOf(type: string): ValueKind {
  const t = type.toUpperCase();
  if (/^(VARCHAR|TEXT|STRING|CHAR|BPCHAR)/.test(t)) return 'text';
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) return 'integer';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL|NUMERIC)/.test(t)) return 'number';
  if (t === 'BOOLEAN') return 'boolean';
  return 'other';
}

/** One step of the corrected view, built from a valid correction. */
type Step = { kind: 'replace'; column: string; expr: Sql } | { kind: 'where'; condition: Sql } | { kind: 'keepOne'; keys: string[] };

class Validator {
  private readonly types: Map<string, string>;
  constructor(
    private readonly correction: Correction,
    columns: readonly ColumnInfo[],
  ) {
    this.types = new Map(columns.map((c) => [c.name, c.type]));
  }

  fail(message: string): never {
    throw new CorrectionError(this.correction.id, message);
  }

  column(name: string): { col: Sql; kind: ValueKind; type: string } {
    const type = this.types.get(name);
    if (type === undefined) this.fail(`column "${name}" does not exist in dataset ${this.correction.dataset}`);
    return { col: ident(name), kind: kindOf(type), type };
  }

  /** A value as a literal of the column's kind: a typo in a type must not silently match nothing. */
  value(v: Value, name: string, kind: ValueKind, type: string, what: string): Sql {
    if (v === null) return literal(null);
    const ok =
      kind === 'text' ? typeof v === 'string' : kind === 'integer' ? typeof v === 'number' && Number.isInteger(v) : kind === 'number' ? typeof v === 'number' : kind === 'boolean' ? typeof v === 'boolean' : false;
    if (!ok) {
      if (kind === 'other') this.fail(`column "${name}" is ${type}: only text, number and true/false columns can be corrected by value`);
      const wanted = kind === 'text' ? 'a text' : kind === 'integer' ? 'a whole number' : kind === 'number' ? 'a number' : 'true or false';
      this.fail(`${what} ${JSON.stringify(v)} is not ${wanted}, and column "${name}" is ${type}`);
    }
    try {
      return literal(v);
    } catch (err) {
      return this.fail(`${what}: ${(err as SqlBuildError).message}`);
    }
  }

  params<T>(schema: z.ZodType<T>): T {
    const parsed = schema.safeParse(this.correction.params);
    if (!parsed.success) this.fail(`invalid params for ${this.correction.kind}: expected ${CORRECTION_PARAMS[this.correction.kind]}`);
    return parsed.data;
  }
}

/** Validate one correction against a dataset's columns and turn it into a step of the view; throws CorrectionError. */
function stepOf(correction: Correction, columns: readonly ColumnInfo[]): Step {
  const v = new Validator(correction, columns);
  switch (correction.kind) {
    case 'map_value': {
      const p = v.params(MapValueParams);
      const mappings = 'mappings' in p ? p.mappings : [{ from: p.from, to: p.to }];
      const { col, kind, type } = v.column(p.column);
      const whens = mappings.map((m) => {
        const from = v.value(m.from, p.column, kind, type, 'from');
        const to = v.value(m.to, p.column, kind, type, 'to');
        return Sql.concat('WHEN ', col, m.from === null ? ' IS NULL' : Sql.concat(' = ', from), ' THEN ', to);
      });
      return { kind: 'replace', column: p.column, expr: Sql.concat('CASE ', Sql.join(whens, ' '), ' ELSE ', col, ' END') };
    }
    case 'exclude_rows': {
      const p = v.params(ExcludeRowsParams);
      if ('duplicates' in p) {
        const keys = typeof p.key === 'string' ? [p.key] : p.key;
        keys.forEach((k) => v.column(k));
        return { kind: 'keepOne', keys };
      }
      const { col, kind, type } = v.column(p.key);
      if (kind === 'other') {
        // Dates and timestamps compare as text, as the member filters do.
        const texts = p.values.map((x) => (x === null ? null : typeof x === 'string' ? x : v.fail(`value ${JSON.stringify(x)} must be text: column "${p.key}" is ${type}`)));
        return { kind: 'where', condition: Sql.concat('NOT coalesce(', memberIn(col, texts), ', FALSE)') };
      }
      const present = p.values.filter((x) => x !== null).map((x) => v.value(x, p.key, kind, type, 'value'));
      const parts: Sql[] = [];
      if (present.length > 0) parts.push(Sql.concat(col, ' IN (', Sql.join(present), ')'));
      if (present.length !== p.values.length) parts.push(Sql.concat(col, ' IS NULL'));
      // coalesce: a NULL key is not "in" the list, and NOT NULL would drop its row.
      return { kind: 'where', condition: Sql.concat('NOT coalesce(', Sql.join(parts, ' OR '), ', FALSE)') };
    }
    case 'override': {
      const p = v.params(OverrideParams);
      const key = v.column(p.key);
      const target = v.column(p.column);
      const match = p.keyValue === null ? Sql.concat(key.col, ' IS NULL') : Sql.concat(key.col, ' = ', v.value(p.keyValue, p.key, key.kind, key.type, 'keyValue'));
      const to = v.value(p.value, p.column, target.kind, target.type, 'value');
      return { kind: 'replace', column: p.column, expr: Sql.concat('CASE WHEN ', match, ' THEN ', to, ' ELSE ', target.col, ' END') };
    }
  }
}

/** Check one correction against a dataset's columns; throws a CorrectionError naming it. */
export function validateCorrection(correction: Correction, columns: readonly ColumnInfo[]): void {
  stepOf(correction, columns);
}

/** A correction left out of the view, and why. */
export interface CorrectionProblem {
  id: string;
  message: string;
}

/** The view of a dataset with its corrections, and the corrections that were left out. */
export interface CorrectedView {
  /** Statements to run first, in order: small helper tables (the row ids "keep one" drops). */
  prepare: Sql[];
  /** The CREATE VIEW statement. */
  sql: Sql;
  applied: string[];
  problems: CorrectionProblem[];
  /** Columns whose values an applied correction changes (the others only lose rows, if any). */
  changed: string[];
  /** Whether an applied correction drops rows (the others change values in place). */
  dropsRows: boolean;
  /** The tables of row ids "keep one row per key" drops, one per such correction, made by `prepare`. */
  copies: string[];
}

/**
 * Whether corrections keep every row where it is in time: only value corrections (map_value,
 * override), none of them on `timeColumn`. Then the corrected rows are as many as the rows read, as
 * new, and a query of the newest rows reads the same corrected rows from those rows alone.
 */
export function keepsRowsInTime(corrections: readonly Correction[], timeColumn: string | undefined): boolean {
  return corrections.every((c) => (c.kind === 'map_value' || c.kind === 'override') && (c.params as { column?: unknown }).column !== timeColumn);
}

/** The name of the hidden column that keeps the load order for "keep one row per key"; never clashes with a real one. */
function rowOrderColumn(columns: readonly ColumnInfo[]): string {
  const names = new Set(columns.map((c) => c.name));
  let name = '__northstar_row';
  while (names.has(name)) name = `_${name}`;
  return name;
}

/**
 * Where "keep one row per key" finds the order of rows: `rowid` of a table in memory, or, for a
 * dataset read from disk or still from its fetched bytes (a view, which has no rowid), the Parquet
 * files the view reads, in order (`selectParquetInFileOrder`: only `columns` of them when given; with
 * `rowsBefore` the order is the rowid the table loaded from them will have).
 */
export type RowOrder = { kind: 'rowid' } | { kind: 'parquetFiles'; urls: readonly string[]; columns?: readonly string[]; rowsBefore?: readonly number[] };

/**
 * Every row of the raw relation as the dataset declares it (and its rowid under `rowidAs`). Its text
 * columns are cast to VARCHAR: a table built from fetched bytes stores those with few values as ENUMs
 * (bytes-first.ts), and every reader, this view included, must see the same type before and after
 * (on VARCHAR the cast is nothing; DuckDB also refuses a view whose column types changed under it).
 */
export function readRaw(rawTable: string, columns: readonly ColumnInfo[], rowidAs?: string): Sql {
  const text = columns.filter((c) => c.type === 'VARCHAR').map((c) => Sql.concat('CAST(', ident(c.name), ' AS VARCHAR) AS ', ident(c.name)));
  return Sql.concat('SELECT *', text.length ? Sql.concat(' REPLACE (', Sql.join(text), ')') : '', rowidAs ? Sql.concat(', rowid AS ', ident(rowidAs)) : '', ' FROM ', ident(rawTable));
}

/**
 * `CREATE OR REPLACE VIEW view AS ...` over `rawTable` with `corrections` (those of this dataset) applied
 * in file order; invalid ones are left out and listed in `problems`. With `raw`, none are applied.
 * "Keep one row per key" finds its copies in `slices` statements (`sliceCount` of group-slices.ts).
 */
export function correctedViewSql(
  view: string,
  rawTable: string,
  dataset: string,
  corrections: readonly Correction[],
  columns: readonly ColumnInfo[],
  raw = false,
  rowOrder: RowOrder = { kind: 'rowid' },
  slices = 1,
): CorrectedView {
  const problems: CorrectionProblem[] = [];
  const steps: { id: string; step: Step }[] = [];
  if (!raw) {
    for (const correction of corrections) {
      if (correction.dataset !== dataset) continue;
      try {
        steps.push({ id: correction.id, step: stepOf(correction, columns) });
      } catch (err) {
        const message = err instanceof CorrectionError ? err.message : `Correction \`${correction.id}\`: ${(err as Error).message}`;
        problems.push({ id: correction.id, message });
      }
    }
  }
  const head = Sql.concat('CREATE OR REPLACE VIEW ', ident(view), ' AS ');
  if (steps.length === 0) return { prepare: [], sql: Sql.concat(head, readRaw(rawTable, columns)), applied: [], problems, changed: [], dropsRows: false, copies: [] };
  const prepare: Sql[] = [];
  const copyTables: string[] = [];
  // "Keep one row per key" keeps the first row in load order, carried under a hidden name: the raw
  // table's rowid, or for a view over Parquet files the file and row number it reads each row from
  // (the same order: a load reads the files in that order). The view then reads the files itself.
  const orderName = steps.some((s) => s.step.kind === 'keepOne') ? rowOrderColumn(columns) : null;
  const order = orderName === null ? null : ident(orderName);
  let first: Sql;
  if (orderName === null) first = readRaw(rawTable, columns);
  else if (rowOrder.kind === 'parquetFiles') first = selectParquetInFileOrder(rowOrder.urls, orderName, rowOrder);
  else first = readRaw(rawTable, columns, orderName);
  const ctes: Sql[] = [Sql.concat('"c0" AS (', first, ')')];
  steps.forEach(({ step }, i) => {
    const from = ident(`c${i}`);
    let body: Sql;
    if (step.kind === 'replace') body = Sql.concat('SELECT * REPLACE (', step.expr, ' AS ', ident(step.column), ') FROM ', from);
    else if (step.kind === 'where') body = Sql.concat('SELECT * FROM ', from, ' WHERE ', step.condition);
    else {
      const keys = step.keys.map(ident);
      // Rows without any key are not copies of one another: keep them all (duplicate_key ignores them too).
      const allNull = Sql.join(
        keys.map((k) => Sql.concat(k, ' IS NULL')),
        ' AND ',
      );
      // The extra copies are found once, into a small table of their row ids: a window over every row
      // in the view itself would run again on every panel query (~50× slower on the demo data). On a
      // large table, a slice of the keys' hash a statement (group-slices.ts): the window's partitions
      // hold ~75 bytes a row (755 MB at 10M ids), each slice a share of it.
      const droppedName = `${rawTable}__dropped_${i + 1}`;
      copyTables.push(droppedName);
      const dropped = ident(droppedName);
      const copies = (slice: number | null) =>
        Sql.concat(
          'WITH ', Sql.join(ctes), ' SELECT ', order as Sql, ' AS "row" FROM ', from, slice === null ? '' : Sql.concat(' WHERE ', hashSlice(keys, slice, slices)),
          ' QUALIFY NOT (', allNull, ') AND row_number() OVER (PARTITION BY ', Sql.join(keys), ' ORDER BY ', order as Sql, ') > 1',
        );
      prepare.push(Sql.concat('CREATE OR REPLACE TABLE ', dropped, ' AS ', copies(slices > 1 ? 0 : null)));
      for (let slice = 1; slice < slices; slice += 1) prepare.push(Sql.concat('INSERT INTO ', dropped, ' ', copies(slice)));
      body = Sql.concat('SELECT * FROM ', from, ' WHERE ', order as Sql, ' NOT IN (SELECT "row" FROM ', dropped, ')');
    }
    ctes.push(Sql.concat(ident(`c${i + 1}`), ' AS (', body, ')'));
  });
  const last = ident(`c${steps.length}`);
  const select = order ? Sql.concat('SELECT * EXCLUDE (', order, ') FROM ', last) : Sql.concat('SELECT * FROM ', last);
  const changed = [...new Set(steps.flatMap(({ step }) => (step.kind === 'replace' ? [step.column] : [])))];
  const dropsRows = steps.some(({ step }) => step.kind !== 'replace');
  return { prepare, sql: Sql.concat(head, 'WITH ', Sql.join(ctes), ' ', select), applied: steps.map((s) => s.id), problems, changed, dropsRows, copies: copyTables };
}

// ---- Proposals: a finding offers the correction that fixes it ---------------------------------------

/** A correction a check's finding suggests, with the button label and a prefilled reason. */
export interface CorrectionProposal {
  label: string;
  correction: Omit<Correction, 'author'>;
}

/** A correction id not yet used in the file: `fix_<check id>`, then `fix_<check id>_2`... */
export function freshCorrectionId(base: string, existing: readonly Pick<Correction, 'id'>[]): string {
  const ids = new Set(existing.map((c) => c.id));
  const stem = `fix_${base}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 58);
  if (!ids.has(stem)) return stem;
  for (let i = 2; ; i += 1) if (!ids.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

const isScalar = (v: unknown): v is Value => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * The correction a failing check's finding suggests, or null when it suggests none: misspellings →
 * map_value onto the frequent spelling; repeated keys → keep one row per key.
 */
export function proposeCorrection(check: Check, result: CheckResult, existing: readonly Pick<Correction, 'id'>[]): CorrectionProposal | null {
  if (result.status !== 'fail' && result.status !== 'warn') return null;
  const id = freshCorrectionId(check.id, existing);
  const base = { id, dataset: check.dataset };
  if (check.rule === 'near_duplicate_values') {
    const column = check.params.column;
    if (typeof column !== 'string') return null;
    const mappings = result.examples
      .filter((e) => typeof e.value === 'string' && typeof e.looks_like === 'string' && e.value !== e.looks_like)
      .map((e) => ({ from: e.value as string, to: e.looks_like as string }));
    if (mappings.length === 0) return null;
    const show = (m: { from: string; to: string }) => `\`${m.from}\` → \`${m.to}\``;
    const label = mappings.length === 1 ? `Map ${show(mappings[0] as { from: string; to: string })}` : `Map ${mappings.length} variants: ${mappings.slice(0, 2).map(show).join(', ')}${mappings.length > 2 ? ', …' : ''}`;
    return {
      label,
      correction: {
        ...base,
        kind: 'map_value',
        params: { column, mappings },
        reason: `Misspellings of ${[...new Set(mappings.map((m) => m.to))].map((t) => `"${t}"`).join(', ')} in ${column} (check ${check.id}).`,
      },
    };
  }
  if (check.rule === 'duplicate_key') {
    const key = check.params.key;
    const keys = typeof key === 'string' ? [key] : Array.isArray(key) && key.every((k) => typeof k === 'string') ? (key as string[]) : null;
    if (!keys || keys.length === 0) return null;
    const label = keys.length === 1 ? keys[0] : `(${keys.join(', ')})`;
    const days = [...new Set(result.examples.flatMap((e) => (Array.isArray(e.days) ? e.days.filter(isScalar).map(String) : [])))].sort();
    return {
      label: `Drop duplicate rows of \`${label}\`, keep one`,
      correction: {
        ...base,
        kind: 'exclude_rows',
        params: { key: keys.length === 1 ? keys[0] : keys, duplicates: 'keep_one' },
        reason: `Rows loaded more than once: one row per ${label}${days.length > 0 && days.length <= 3 ? ` (repeats on ${days.join(', ')})` : ''} (check ${check.id}).`,
      },
    };
  }
  return null;
}
