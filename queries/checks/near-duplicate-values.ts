// near_duplicate_values: rare values that look like misspellings of a much more frequent value of
// the same column. A variant either normalizes to the same text (lower case, punctuation as spaces,
// runs of spaces collapsed, trimmed: `black friday`, `Black  Friday`, `Black Friday `) or is a few
// edits away (`Blak Friday`): levenshtein ≤ maxDistance (and at most a quarter of the length, so
// short codes like `US`/`UK` are not "typos"), or Jaro-Winkler ≥ minSimilarity on longer values.
import { z } from 'zod';
import { Sql, column, ident, int, num } from '../sql';
import { ColumnParam, ExamplesParam, asNumber, asText, formatCount, plural } from './stats';
import { ThresholdParams } from './thresholds';
import type { CheckRule } from './types';

const Params = z
  .object({
    column: ColumnParam,
    minRatio: z.number().min(1).max(1_000_000).default(20).describe('The look-alike must be at least this many times more frequent.'),
    maxDistance: z.number().int().min(0).max(5).default(2).describe('Largest edit (levenshtein) distance between normalized values.'),
    minSimilarity: z.number().min(0.5).max(1).default(0.93).describe('Smallest Jaro-Winkler similarity between normalized values (of 6 characters or more).'),
    candidates: z.number().int().min(1).max(1000).default(200).describe('How many of the most frequent values are looked-alike candidates.'),
    examples: ExamplesParam.default(20),
    ...ThresholdParams,
  })
  .strict();
type Params = z.infer<typeof Params>;

/** Lower case, punctuation as spaces (`Cyber-Monday` = `cyber monday`), whitespace runs as one space, trimmed. */
function normalized(value: Sql): Sql {
  return Sql.concat("trim(regexp_replace(regexp_replace(lower(", value, "), '[[:punct:]]', ' ', 'g'), '\\s+', ' ', 'g'))");
}

export const nearDuplicateValues: CheckRule<Params> = {
  name: 'near_duplicate_values',
  summary: 'Rare values that look like misspellings (case, spacing, punctuation, a typo or two) of a much more frequent value.',
  params: Params,
  build(ctx, params) {
    const col = column(params.column, ctx.columns, `${ctx.where} param "column"`);
    const table = ident(ctx.table);
    const maxDistance = int(params.maxDistance, 0, 5);
    return Sql.concat(
      'WITH "counts" AS (SELECT CAST(', col, ' AS VARCHAR) AS "v", count(*) AS "n" FROM ', table, ' WHERE ', col, ' IS NOT NULL GROUP BY 1), ',
      '"norm" AS MATERIALIZED (SELECT "v", "n", ', normalized(Sql.raw`"v"`), ' AS "k" FROM "counts"), ',
      '"top" AS (SELECT * FROM "norm" ORDER BY "n" DESC, "v" LIMIT ', int(params.candidates, 1, 1000), '), ',
      '"pairs" AS MATERIALIZED (SELECT "a"."v" AS "value", "a"."n" AS "rows", "b"."v" AS "looks_like", "b"."n" AS "looks_like_rows", ',
      '"a"."k" = "b"."k" AS "same_normalized", levenshtein("a"."k", "b"."k") AS "distance", ',
      'jaro_winkler_similarity("a"."k", "b"."k") AS "similarity" ',
      'FROM "norm" AS "a" JOIN "top" AS "b" ON "a"."v" <> "b"."v" AND "b"."n" >= ', num(params.minRatio), ' * "a"."n" ',
      'WHERE "a"."k" = "b"."k" OR (length("b"."k") >= 4 AND ((levenshtein("a"."k", "b"."k") <= ', maxDistance,
      ' AND levenshtein("a"."k", "b"."k") * 4 <= length("b"."k")) OR (length("b"."k") >= 6 AND jaro_winkler_similarity("a"."k", "b"."k") >= ',
      num(params.minSimilarity), '))) ',
      // A variant that matches several frequent values is shown once, with its best look-alike.
      'QUALIFY row_number() OVER (PARTITION BY "a"."v" ORDER BY "a"."k" = "b"."k" DESC, levenshtein("a"."k", "b"."k"), "b"."n" DESC, "b"."v") = 1) ',
      'SELECT "s"."values", "s"."rows", "e".* FROM (SELECT CAST(count(*) AS DOUBLE) AS "values", CAST(coalesce(sum("rows"), 0) AS DOUBLE) AS "rows" FROM "pairs") AS "s" ',
      'LEFT JOIN (SELECT "value", CAST("rows" AS DOUBLE) AS "value_rows", "looks_like", CAST("looks_like_rows" AS DOUBLE) AS "looks_like_rows", ',
      '"same_normalized", CAST("distance" AS DOUBLE) AS "distance" FROM "pairs" ORDER BY "looks_like_rows" DESC, "rows" DESC, "value" LIMIT ',
      int(params.examples, 0, 100), ') AS "e" ON TRUE',
    );
  },
  evaluate(rows, params) {
    const first = rows[0];
    const values = asNumber(first?.values) ?? 0;
    const affected = asNumber(first?.rows) ?? 0;
    const examples = rows
      .filter((r) => r.value !== null && r.value !== undefined)
      .map((r) => ({
        value: asText(r.value),
        rows: asNumber(r.value_rows) ?? 0,
        looks_like: asText(r.looks_like),
        looks_like_rows: asNumber(r.looks_like_rows) ?? 0,
        how: r.same_normalized === true ? 'case, spacing or punctuation' : `${plural(asNumber(r.distance) ?? 0, 'edit')}`,
      }))
      .sort((a, b) => b.looks_like_rows - a.looks_like_rows || b.rows - a.rows || String(a.value).localeCompare(String(b.value)));
    const describe = (e: (typeof examples)[number]) =>
      `\`${String(e.value)}\` (${plural(Number(e.rows), 'row')}) looks like \`${String(e.looks_like)}\` (${plural(Number(e.looks_like_rows), 'row')})`;
    const message =
      values === 0
        ? `no ${params.column} value looks like a misspelling of a more frequent one`
        : `${plural(values, `${params.column} value`)} on ${plural(affected, 'row')} ${values === 1 ? 'looks' : 'look'} like misspellings: ${examples.slice(0, 4).map(describe).join('; ')}${values > 4 ? '; …' : ''}`;
    return {
      count: values,
      observed: values,
      expected: `no ${params.column} value that is ${formatCount(params.minRatio)}× rarer than a look-alike`,
      examples,
      message,
    };
  },
};
