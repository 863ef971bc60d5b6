// "Why did this move?": the change of a measure between two periods, split by the members of a
// dimension. The SQL only aggregates the measure's additive parts per member and period; the
// decomposition is computed here in TypeScript from those parts, so every method is exact about
// what it adds up to (see ExplainMethod) and testable on known tables.
import type { Dataset, Measure } from '../dashboards/schema';
import type { QueryEngine } from './dashboard-runner';
import type { Row } from './engine/engine';
import { panelRowFilter, type DatasetContext, type PanelRefinement, type TimeWindow } from './panel-queries';
import { Sql, SqlBuildError, column, ident, memberIn, str, timestamp } from './sql';

/**
 * How member contributions are computed:
 * - "difference" (sums and counts): measure(member, current) − measure(member, previous); they add up to the total change.
 * - "mix_rate" (averages, and ratios of two sums/counts such as revenue / rows): the change of the ratio split into each
 *   member's rate effect (its own ratio moved) and mix effect (its weight moved, counted against the average ratio); they add up.
 * - "leave_one_out" (distinct counts and ratios over them): the total change minus the change the measure would have without
 *   the member. Members can overlap (one customer in two channels), so these need not add up.
 */
export type ExplainMethod = 'difference' | 'mix_rate' | 'leave_one_out';

/** One aggregate the measure is built from. */
interface Leaf {
  agg: 'sum' | 'count' | 'count_distinct';
  column: string | undefined;
}

type Formula = { kind: 'leaf'; index: number } | { kind: 'ratio'; num: Formula; den: Formula };

/** A measure taken apart into aggregates that can be computed per member and per period. */
export interface MeasurePlan {
  measure: Measure;
  leaves: Leaf[];
  formula: Formula;
  method: ExplainMethod;
}

/** Take a measure apart for explanation; min and max cannot be split by member and are refused. */
export function measurePlan(dataset: Dataset, name: string): MeasurePlan {
  const leaves: Leaf[] = [];
  const leafOf = (leaf: Leaf): Formula => {
    const found = leaves.findIndex((l) => l.agg === leaf.agg && l.column === leaf.column);
    if (found >= 0) return { kind: 'leaf', index: found };
    leaves.push(leaf);
    return { kind: 'leaf', index: leaves.length - 1 };
  };
  const build = (measureName: string, depth: number): Formula => {
    if (depth > 8) throw new SqlBuildError(`measure "${name}" refers to itself`);
    const m = dataset.measures.find((x) => x.name === measureName);
    if (!m) throw new SqlBuildError(`dataset "${dataset.name}" has no measure "${measureName}"`);
    const needColumn = () => {
      if (!m.column) throw new SqlBuildError(`measure "${m.name}" needs a column`);
      return m.column;
    };
    switch (m.agg) {
      case 'sum':
        return leafOf({ agg: 'sum', column: needColumn() });
      case 'count':
        return leafOf({ agg: 'count', column: m.column });
      case 'count_distinct':
        return leafOf({ agg: 'count_distinct', column: needColumn() });
      case 'avg': {
        // avg(x) = sum(x) / count(x): both NULL-skipping, so the ratio is exactly the average.
        const col = needColumn();
        return { kind: 'ratio', num: leafOf({ agg: 'sum', column: col }), den: leafOf({ agg: 'count', column: col }) };
      }
      case 'ratio':
        if (!m.numerator || !m.denominator) throw new SqlBuildError(`measure "${m.name}" needs a numerator and a denominator`);
        return { kind: 'ratio', num: build(m.numerator, depth + 1), den: build(m.denominator, depth + 1) };
      case 'min':
      case 'max':
        throw new SqlBuildError(
          `"${m.label ?? m.name}" is a ${m.agg}: its change comes from one row, not from members, so it cannot be split by dimension`,
        );
    }
  };
  const measure = dataset.measures.find((x) => x.name === name);
  if (!measure) throw new SqlBuildError(`dataset "${dataset.name}" has no measure "${name}"`);
  const formula = build(name, 0);
  const additive = (f: Formula) => f.kind === 'leaf' && leaves[f.index]?.agg !== 'count_distinct';
  const method: ExplainMethod = additive(formula)
    ? 'difference'
    : formula.kind === 'ratio' && additive(formula.num) && additive(formula.den)
      ? 'mix_rate'
      : 'leave_one_out';
  return { measure, leaves, formula, method };
}

/** What to explain: a measure, two periods and the filters both periods share. */
export interface ExplainSpec {
  current: TimeWindow;
  previous: TimeWindow;
  /** Dashboard filters, click filter, drill path and the members drilled into so far. */
  members: NonNullable<PanelRefinement['members']>;
}

function dimensionColumn(ctx: Pick<DatasetContext, 'dataset' | 'columns'>, name: string): Sql {
  const dim = ctx.dataset.dimensions.find((d) => d.name === name);
  if (!dim) throw new SqlBuildError(`dataset "${ctx.dataset.name}" has no dimension "${name}"`);
  return column(dim.column, ctx.columns, `dimension "${dim.name}"`);
}

function leafSql(ctx: Pick<DatasetContext, 'columns'>, leaf: Leaf): Sql {
  const col = () => column(leaf.column ?? '', ctx.columns, 'explained measure');
  switch (leaf.agg) {
    case 'sum':
      return Sql.concat('CAST(sum(', col(), ') AS DOUBLE)');
    case 'count':
      return leaf.column ? Sql.concat('CAST(count(', col(), ') AS DOUBLE)') : Sql.raw`CAST(count(*) AS DOUBLE)`;
    case 'count_distinct':
      return Sql.concat('CAST(count(DISTINCT ', col(), ') AS DOUBLE)');
  }
}

/** The period labels of explanation rows. */
const PERIODS = ['current', 'previous'] as const;
type PeriodName = (typeof PERIODS)[number];

/**
 * SQL of the parts of a measure per member of `dimension` and period: columns "period", "k" (the
 * member encoded as text: "n" for NULL, "m" + value, "o" for the Other bucket; NULL on the two
 * total rows), "n" (rows), "a0".."aN" (each aggregate of the plan) and, for each distinct count,
 * "e<i>": how many of its values occur in no other member (what the count loses without it).
 * With `top`, members outside it are one bucket "o".
 */
export function explainQuery(ctx: DatasetContext, plan: MeasurePlan, spec: ExplainSpec, dimension: string, top?: readonly (string | null)[]): Sql {
  const col = dimensionColumn(ctx, dimension);
  const timeName = ctx.dataset.timeColumn;
  if (!timeName) throw new SqlBuildError(`dataset "${ctx.dataset.name}" has no time column, so there are no two periods to compare`);
  const time = column(timeName, ctx.columns, `dataset "${ctx.dataset.name}" timeColumn`);
  for (const taken of WINDOW_COLUMNS) {
    if (ctx.columns.has(taken)) throw new SqlBuildError(`dataset "${ctx.dataset.name}" has a column named "${taken}", a name "why did this move" needs for itself`);
  }
  const memberKey = Sql.concat('CASE WHEN ', col, ' IS NULL THEN ', str('n'), ' ELSE ', str('m'), ' || CAST(', col, ' AS VARCHAR) END');
  const key = top ? Sql.concat('CASE WHEN ', memberIn(col, top), ' THEN ', memberKey, ' ELSE ', str('o'), ' END') : memberKey;
  // One pass over the data for both periods: every row joins the period windows it falls in (the
  // windows may overlap, e.g. a previous year of a period longer than a year).
  const windows = Sql.concat(
    '"ns_w" AS (SELECT * FROM (VALUES ',
    Sql.join(PERIODS.map((p) => Sql.concat('(', str(p), ', ', timestamp(spec[p].start), ', ', timestamp(spec[p].end), ')'))),
    ') AS "v"("ns_period", "ns_start", "ns_end"))',
  );
  // The shared filters only: the periods come from the windows (a context without a period adds no time condition).
  const filters = panelRowFilter({ ...ctx, period: null }, { members: spec.members }, 'why did this move');
  // The span of both windows as literals too, so the engine can skip the rest of the table unread.
  const from = Math.min(spec.current.start, spec.previous.start);
  const to = Math.max(spec.current.end, spec.previous.end);
  const rows = Sql.concat(
    ' FROM ', ident(ctx.table), ', "ns_w" WHERE ', time, ' >= ', timestamp(from), ' AND ', time, ' < ', timestamp(to),
    ' AND ', time, ' >= "ns_w"."ns_start" AND ', time, ' < "ns_w"."ns_end" AND ', filters,
  );
  const leaves = plan.leaves.map((l, i) => Sql.concat(leafSql(ctx, l), ' AS ', ident(`a${i}`)));
  // The member rows and, with a NULL key, each period's total (member keys are never NULL).
  const parts = Sql.concat(
    '"ns_p" AS (SELECT "ns_w"."ns_period" AS "period", ', key, ' AS "k", CAST(count(*) AS DOUBLE) AS "n", ', Sql.join(leaves), rows,
    ' GROUP BY GROUPING SETS (("ns_w"."ns_period", ', key, '), ("ns_w"."ns_period")))',
  );
  const ctes = [windows, parts];
  const extra: Sql[] = [];
  const joins: Sql[] = [];
  plan.leaves.forEach((leaf, i) => {
    if (leaf.agg !== 'count_distinct') return;
    const value = column(leaf.column ?? '', ctx.columns, 'explained measure');
    const name = `ns_e${i}`;
    // A value belongs to one member when its smallest and largest member keys are the same.
    ctes.push(
      Sql.concat(
        ident(name), ' AS (SELECT "period", "k", CAST(count(*) AS DOUBLE) AS "e" FROM (SELECT "ns_w"."ns_period" AS "period", min(', key, ') AS "k"', rows,
        ' AND ', value, ' IS NOT NULL GROUP BY "ns_w"."ns_period", ', value, ' HAVING min(', key, ') = max(', key, ')) GROUP BY 1, 2)',
      ),
    );
    extra.push(Sql.concat('coalesce(', ident(name), '."e", 0) AS ', ident(`e${i}`)));
    joins.push(Sql.concat(' LEFT JOIN ', ident(name), ' ON ', ident(name), '."period" = "p"."period" AND ', ident(name), '."k" = "p"."k"'));
  });
  return Sql.concat('WITH ', Sql.join(ctes), ' SELECT "p".*', extra.length ? Sql.concat(', ', Sql.join(extra)) : '', ' FROM "ns_p" AS "p"', ...joins);
}

/** Column names the explanation query gives its period windows; a dataset column of that name would be ambiguous. */
const WINDOW_COLUMNS = ['ns_period', 'ns_start', 'ns_end'];

/** The measure's parts in one period for one member (or the total). */
interface Parts {
  rows: number;
  values: number[];
  /** Per leaf: values only this member has (distinct counts; 0 elsewhere). */
  exclusive: number[];
}

function readParts(row: Row | undefined, plan: MeasurePlan): Parts {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    rows: num(row?.n),
    values: plan.leaves.map((_, i) => num(row?.[`a${i}`])),
    exclusive: plan.leaves.map((_, i) => num(row?.[`e${i}`])),
  };
}

function evaluate(f: Formula, values: readonly number[]): number | null {
  if (f.kind === 'leaf') return values[f.index] ?? 0;
  const num = evaluate(f.num, values);
  const den = evaluate(f.den, values);
  return num === null || den === null || den === 0 ? null : num / den;
}

/** The parts of the total without one member: additive parts subtract, distinct counts lose the values only it has. */
function without(plan: MeasurePlan, total: Parts, member: Parts): number[] {
  return plan.leaves.map((leaf, i) => (total.values[i] ?? 0) - (leaf.agg === 'count_distinct' ? (member.exclusive[i] ?? 0) : (member.values[i] ?? 0)));
}

/** A member (or the Other bucket) with its measure in both periods and its share of the change. */
export interface MemberContribution {
  /** The member as text; null for NULL (and for the Other bucket). */
  member: string | null;
  other: boolean;
  /** How many members the Other bucket holds (1 for a member). */
  members: number;
  current: number | null;
  previous: number | null;
  /** In the measure's unit; null when it cannot be computed (e.g. a ratio without a denominator). */
  contribution: number | null;
  /** mix_rate only: the parts of the contribution. */
  rate?: number;
  mix?: number;
  status: 'both' | 'new' | 'gone';
}

/** The change of the measure split by one dimension. */
export interface DimensionExplanation {
  dimension: string;
  /** The method used for this dimension (see methodFor: a distinct count may add up over one dimension and not another). */
  method: ExplainMethod;
  /** The measure counts distinct values, and none of them occurs in two members: it was split like a sum. */
  exclusiveDistinct: boolean;
  total: { current: number | null; previous: number | null; change: number | null };
  /** Top members by absolute contribution, then "Other" when members were left out. */
  members: MemberContribution[];
  /** How many members the dimension has in the two periods. */
  memberCount: number;
  /** The largest absolute contribution of a single member: how concentrated the explanation is. */
  concentration: number;
  /** Total change minus the sum of contributions (0 up to rounding for difference and mix_rate). */
  unexplained: number | null;
}

interface Bucket {
  key: string;
  parts: Record<PeriodName, Parts>;
}

function decode(key: string): { member: string | null; other: boolean } {
  if (key === 'o') return { member: null, other: true };
  if (key === 'n') return { member: null, other: false };
  return { member: key.slice(1), other: false };
}

function groupRows(rows: readonly Row[], plan: MeasurePlan): { totals: Record<PeriodName, Parts>; buckets: Bucket[] } {
  const totalRow = (p: PeriodName) => rows.find((r) => r.period === p && r.k === null);
  const totals = { current: readParts(totalRow('current'), plan), previous: readParts(totalRow('previous'), plan) };
  const byKey = new Map<string, Bucket>();
  for (const row of rows) {
    if (typeof row.k !== 'string' || (row.period !== 'current' && row.period !== 'previous')) continue;
    let bucket = byKey.get(row.k);
    if (!bucket) {
      bucket = { key: row.k, parts: { current: readParts(undefined, plan), previous: readParts(undefined, plan) } };
      byKey.set(row.k, bucket);
    }
    bucket.parts[row.period] = readParts(row, plan);
  }
  return { totals, buckets: [...byKey.values()] };
}

/** Contributions of every bucket, from the parts the query returned. */
/**
 * The method for one dimension. A distinct count adds up over a dimension when no value occurs in
 * two of its members (an order has one region): then it is split like a sum, exactly; otherwise
 * the plan's leave-one-out stands.
 */
function methodFor(plan: MeasurePlan, totals: Record<PeriodName, Parts>, buckets: readonly Bucket[]): { method: ExplainMethod; exclusiveDistinct: boolean } {
  const distinct = plan.leaves.flatMap((l, i) => (l.agg === 'count_distinct' ? [i] : []));
  if (plan.method !== 'leave_one_out' || distinct.length === 0) return { method: plan.method, exclusiveDistinct: false };
  const exclusive = PERIODS.every((p) => distinct.every((i) => buckets.reduce((sum, b) => sum + (b.parts[p].values[i] ?? 0), 0) === totals[p].values[i]));
  if (!exclusive) return { method: 'leave_one_out', exclusiveDistinct: false };
  const f = plan.formula;
  if (f.kind === 'leaf') return { method: 'difference', exclusiveDistinct: true };
  if (f.num.kind === 'leaf' && f.den.kind === 'leaf') return { method: 'mix_rate', exclusiveDistinct: true };
  return { method: 'leave_one_out', exclusiveDistinct: false };
}

function contributionsOf(plan: MeasurePlan, method: ExplainMethod, totals: Record<PeriodName, Parts>, buckets: readonly Bucket[]): MemberContribution[] {
  const cur = evaluate(plan.formula, totals.current.values);
  const prev = evaluate(plan.formula, totals.previous.values);
  const change = cur !== null && prev !== null ? cur - prev : null;
  return buckets.map((b) => {
    const { member, other } = decode(b.key);
    const c = b.parts.current;
    const p = b.parts.previous;
    const status: MemberContribution['status'] = c.rows === 0 ? 'gone' : p.rows === 0 ? 'new' : 'both';
    const base = { member, other, members: 1, current: evaluate(plan.formula, c.values), previous: evaluate(plan.formula, p.values), status };
    const f = plan.formula;
    if (method === 'difference' && f.kind === 'leaf') {
      return { ...base, contribution: (c.values[f.index] ?? 0) - (p.values[f.index] ?? 0) };
    }
    if (method === 'mix_rate' && f.kind === 'ratio' && f.num.kind === 'leaf' && f.den.kind === 'leaf') {
      const [n, d] = [f.num.index, f.den.index];
      const totalDen = { current: totals.current.values[d] ?? 0, previous: totals.previous.values[d] ?? 0 };
      if (cur === null || prev === null || totalDen.current === 0 || totalDen.previous === 0) return { ...base, contribution: null };
      const weight = (x: Parts, all: number) => (x.values[d] ?? 0) / all;
      const rateOf = (x: Parts) => ((x.values[d] ?? 0) === 0 ? null : (x.values[n] ?? 0) / (x.values[d] ?? 0));
      const [w1, w0] = [weight(c, totalDen.current), weight(p, totalDen.previous)];
      const [r1, r0] = [rateOf(c), rateOf(p)];
      const average = (cur + prev) / 2;
      // Rate effect: the member's own ratio moved, at its average weight. Mix effect: its weight
      // moved, counted against the average ratio, so a member that grows at an average ratio
      // changes nothing. Both add up to the total change (the weights sum to 1 in each period).
      const rate = r1 !== null && r0 !== null ? ((w1 + w0) / 2) * (r1 - r0) : 0;
      const memberRate = r1 !== null && r0 !== null ? (r1 + r0) / 2 : (r1 ?? r0);
      const mix = memberRate === null ? 0 : (w1 - w0) * (memberRate - average);
      return { ...base, contribution: rate + mix, rate, mix };
    }
    // Leave one out: how much of the change goes away without this member.
    const curWithout = evaluate(f, without(plan, totals.current, c));
    const prevWithout = evaluate(f, without(plan, totals.previous, p));
    if (change === null) return { ...base, contribution: null };
    if (curWithout === null && prevWithout === null) return { ...base, contribution: change };
    if (curWithout === null || prevWithout === null) return { ...base, contribution: null };
    return { ...base, contribution: change - (curWithout - prevWithout) };
  });
}

const byImpact = (a: MemberContribution, b: MemberContribution) =>
  Math.abs(b.contribution ?? -1) - Math.abs(a.contribution ?? -1) || (a.member ?? '\uffff').localeCompare(b.member ?? '\uffff');

/** The most members a dimension shows before the rest become "Other". */
export const MAX_TOP = 50;

/**
 * Explain the change of a measure by one dimension: run the parts query, compute each member's
 * contribution, keep the `topN` biggest (by absolute contribution) and put the rest in "Other".
 */
export async function explainDimension(
  engine: QueryEngine,
  ctx: DatasetContext,
  plan: MeasurePlan,
  spec: ExplainSpec,
  dimension: string,
  topN = 8,
): Promise<DimensionExplanation> {
  if (!Number.isInteger(topN) || topN < 1 || topN > MAX_TOP) throw new SqlBuildError(`top N must be a whole number from 1 to ${MAX_TOP}, not ${topN}`);
  const n = topN;
  const first = groupRows((await engine.query(explainQuery(ctx, plan, spec, dimension))).rows, plan);
  const { method, exclusiveDistinct } = methodFor(plan, first.totals, first.buckets);
  const all = contributionsOf(plan, method, first.totals, first.buckets).sort(byImpact);
  const cur = evaluate(plan.formula, first.totals.current.values);
  const prev = evaluate(plan.formula, first.totals.previous.values);
  const change = cur !== null && prev !== null ? cur - prev : null;
  let members: MemberContribution[];
  // One left-over member is shown as itself: an "Other" of one would only hide its name.
  if (all.length <= n + 1) {
    members = all;
  } else {
    const shown = all.slice(0, n);
    const rest = all.slice(n);
    let other: MemberContribution;
    if (method === 'leave_one_out') {
      // Overlapping members: the rest together is its own leave-out, not a sum of theirs.
      const grouped = groupRows((await engine.query(explainQuery(ctx, plan, spec, dimension, shown.map((m) => m.member)))).rows, plan);
      const bucket = grouped.buckets.find((b) => b.key === 'o');
      const found = bucket ? contributionsOf(plan, method, grouped.totals, [bucket])[0] : undefined;
      other = found ? { ...found, members: rest.length } : otherSum(rest);
    } else {
      other = otherSum(rest);
      // A sum or count of the rest together is the sum of theirs; a ratio of the rest is not shown.
      if (method === 'difference') {
        other.current = rest.reduce((s, m) => s + (m.current ?? 0), 0);
        other.previous = rest.reduce((s, m) => s + (m.previous ?? 0), 0);
      }
    }
    members = [...shown, other];
  }
  const concentration = Math.max(0, ...all.map((m) => Math.abs(m.contribution ?? 0)));
  const sum = members.reduce((s, m) => s + (m.contribution ?? 0), 0);
  return {
    dimension,
    method,
    exclusiveDistinct,
    total: { current: cur, previous: prev, change },
    members,
    memberCount: all.length,
    concentration,
    unexplained: change === null ? null : change - sum,
  };
}

function otherSum(rest: readonly MemberContribution[]): MemberContribution {
  const sum = (pick: (m: MemberContribution) => number | null | undefined) => rest.reduce((s, m) => s + (pick(m) ?? 0), 0);
  const hasParts = rest.some((m) => m.rate !== undefined);
  return {
    member: null,
    other: true,
    members: rest.length,
    current: null,
    previous: null,
    contribution: sum((m) => m.contribution),
    ...(hasParts ? { rate: sum((m) => m.rate), mix: sum((m) => m.mix) } : {}),
    status: 'both',
  };
}
