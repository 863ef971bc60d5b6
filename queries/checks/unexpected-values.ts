// unexpected_values: values outside an allowed set, or (with referenceDays) values of the recent
// period that the reference window before it never had. NULL is not a value here (as in dbt's
// accepted_values): null_rate watches NULLs.
import { z } from 'zod';
import { Sql, column, ident, int, memberIn } from '../sql';
import { ColumnParam, ExamplesParam, TimeColumnParam, asNumber, asText, asTimestamp, dayText, plural, timeColumnOf } from './stats';
import { ThresholdParams } from './thresholds';
import { CheckCannotRun, type CheckRule, type Example } from './types';

const Params = z
  .object({
    column: ColumnParam,
    allowed: z.array(z.string().max(1000)).max(10_000).optional().describe('The values allowed (compared as text).'),
    referenceDays: z.number().int().min(1).max(3660).optional().describe('Instead of a list: values must have been seen in this many days before the recent period.'),
    recentDays: z.number().int().min(1).max(366).default(1).describe('With referenceDays: the recent period, ending on the newest day in the data.'),
    timeColumn: TimeColumnParam,
    examples: ExamplesParam.default(10),
    ...ThresholdParams,
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.allowed === undefined) === (p.referenceDays === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['allowed'], message: 'give either "allowed" (a list of values) or "referenceDays" (values seen before), not both' });
    }
  });
type Params = z.infer<typeof Params>;

export const unexpectedValues: CheckRule<Params> = {
  name: 'unexpected_values',
  summary: 'Values outside an allowed list, or values of the recent days never seen in the reference window before.',
  params: Params,
  build(ctx, params) {
    const where = `${ctx.where} param "column"`;
    const col = column(params.column, ctx.columns, where);
    const table = ident(ctx.table);
    const text = Sql.concat('CAST(', col, ' AS VARCHAR)');
    const limit = int(params.examples, 0, 100);
    if (params.allowed !== undefined) {
      return Sql.concat(
        'WITH "bad" AS MATERIALIZED (SELECT ', text, ' AS "value", count(*) AS "n" FROM ', table, ' WHERE ', col, ' IS NOT NULL AND NOT ', memberIn(col, params.allowed), ' GROUP BY 1) ',
        'SELECT "s"."values", "s"."rows", "e"."value", "e"."rows" AS "value_rows", CAST(NULL AS VARCHAR) AS "first_day", ',
        'CAST(NULL AS DOUBLE) AS "reference_rows" ',
        'FROM (SELECT CAST(count(*) AS DOUBLE) AS "values", CAST(coalesce(sum("n"), 0) AS DOUBLE) AS "rows" FROM "bad") AS "s" ',
        'LEFT JOIN (SELECT "value", CAST("n" AS DOUBLE) AS "rows" FROM "bad" ORDER BY "n" DESC, "value" LIMIT ', limit, ') AS "e" ON TRUE',
      );
    }
    const time = asTimestamp(timeColumnOf(ctx, params.timeColumn));
    const recent = int(params.recentDays, 1, 366);
    const span = int(params.recentDays + (params.referenceDays ?? 0), 1, 4100);
    // Windows end on the newest day in the data, so an old extract is judged on its own last days.
    // One pass over both windows, grouped by value: new values are those with no reference rows.
    return Sql.concat(
      'WITH "b" AS (SELECT CAST(CAST(max(', time, ') AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY AS "e" FROM ', table, '), ',
      '"w" AS (SELECT ', text, ' AS "value", ', time, ' AS "t", ', time, ' >= "b"."e" - INTERVAL ', recent, ' DAY AS "is_recent" FROM ', table, ', "b" ',
      'WHERE ', col, ' IS NOT NULL AND ', time, ' >= "b"."e" - INTERVAL ', span, ' DAY AND ', time, ' < "b"."e"), ',
      '"per" AS MATERIALIZED (SELECT "value", count(*) FILTER (WHERE "is_recent") AS "n", count(*) FILTER (WHERE NOT "is_recent") AS "ref_n", ',
      'min("t") FILTER (WHERE "is_recent") AS "first_seen" FROM "w" GROUP BY "value"), ',
      '"bad" AS (SELECT "value", "n", ', dayText(Sql.raw`"first_seen"`), ' AS "first_day" FROM "per" WHERE "n" > 0 AND "ref_n" = 0) ',
      'SELECT "s"."values", "s"."rows", "e"."value", "e"."rows" AS "value_rows", "e"."first_day", ',
      '(SELECT CAST(coalesce(sum("ref_n"), 0) AS DOUBLE) FROM "per") AS "reference_rows" ',
      'FROM (SELECT CAST(count(*) AS DOUBLE) AS "values", CAST(coalesce(sum("n"), 0) AS DOUBLE) AS "rows" FROM "bad") AS "s" ',
      'LEFT JOIN (SELECT "value", CAST("n" AS DOUBLE) AS "rows", "first_day" FROM "bad" ORDER BY "n" DESC, "value" LIMIT ', limit, ') AS "e" ON TRUE',
    );
  },
  evaluate(rows, params) {
    const first = rows[0];
    const values = asNumber(first?.values) ?? 0;
    const badRows = asNumber(first?.rows) ?? 0;
    const examples: Example[] = rows
      .filter((r) => r.value !== null && r.value !== undefined)
      .map((r) => {
        const example: Example = { value: asText(r.value), rows: asNumber(r.value_rows) ?? 0 };
        const day = asText(r.first_day);
        if (day !== null) example.first_day = day;
        return example;
      })
      .sort((a, b) => Number(b.rows) - Number(a.rows) || String(a.value).localeCompare(String(b.value)));
    const byList = params.allowed !== undefined;
    if (!byList && (asNumber(first?.reference_rows) ?? 0) === 0) {
      throw new CheckCannotRun(`no rows in the ${params.referenceDays} reference days before the last ${plural(params.recentDays, 'day')}: nothing to compare with`);
    }
    const expected = byList
      ? `only ${plural(params.allowed?.length ?? 0, 'allowed value')} in ${params.column}`
      : `only ${params.column} values seen in the ${plural(params.referenceDays ?? 0, 'day')} before the last ${plural(params.recentDays, 'day')}`;
    const shown = examples.slice(0, 5).map((e) => `\`${String(e.value)}\` (${plural(Number(e.rows), 'row')})`);
    const message =
      values === 0
        ? `no unexpected ${params.column} values`
        : `${plural(values, `unexpected ${params.column} value`)} on ${plural(badRows, 'row')}${byList ? '' : ' (new in the recent period)'}: ${shown.join(', ')}${values > shown.length ? ', …' : ''}`;
    return { count: values, observed: values, expected, examples, message };
  },
};
