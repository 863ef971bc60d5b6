// range: values below a minimum or above a maximum (negative amounts, a percentage over 100).
// NULLs are not out of range (null_rate watches them).
import { z } from 'zod';
import { Sql, column, ident, int, num } from '../sql';
import { ColumnParam, ExamplesParam, TimeColumnParam, asNumber, asText, formatCount, plural, timeColumnOf } from './stats';
import { ThresholdParams } from './thresholds';
import type { CheckRule, Example } from './types';

const Params = z
  .object({
    column: ColumnParam,
    min: z.number().finite().optional().describe('Smallest value allowed (inclusive).'),
    max: z.number().finite().optional().describe('Largest value allowed (inclusive).'),
    timeColumn: TimeColumnParam,
    examples: ExamplesParam.default(5),
    ...ThresholdParams,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.min === undefined && p.max === undefined) ctx.addIssue({ code: 'custom', path: ['min'], message: 'give "min", "max" or both' });
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) ctx.addIssue({ code: 'custom', path: ['max'], message: '"max" is below "min"' });
  });
type Params = z.infer<typeof Params>;

export const range: CheckRule<Params> = {
  name: 'range',
  summary: 'Values below "min" or above "max" (both inclusive), e.g. negative amounts.',
  params: Params,
  build(ctx, params) {
    const col = column(params.column, ctx.columns, `${ctx.where} param "column"`);
    const time = params.timeColumn !== undefined || ctx.timeColumn !== null ? timeColumnOf(ctx, params.timeColumn) : null;
    const outside: Sql[] = [];
    if (params.min !== undefined) outside.push(Sql.concat(col, ' < ', num(params.min)));
    if (params.max !== undefined) outside.push(Sql.concat(col, ' > ', num(params.max)));
    // Most extreme first: how far past the bound the value is.
    const distance =
      params.min !== undefined && params.max !== undefined
        ? Sql.concat('greatest(', num(params.min), ' - "value", "value" - ', num(params.max), ')')
        : params.min !== undefined
          ? Sql.concat(num(params.min), ' - "value"')
          : Sql.concat('"value" - ', num(params.max as number));
    const when = time ? Sql.concat("strftime(CAST(", time, " AS TIMESTAMP), '%Y-%m-%d %H:%M:%S')") : Sql.raw`CAST(NULL AS VARCHAR)`;
    return Sql.concat(
      'WITH "bad" AS MATERIALIZED (SELECT CAST(', col, ' AS DOUBLE) AS "value", ', when, ' AS "time" FROM ', ident(ctx.table), ' WHERE ', Sql.join(outside, ' OR '), ') ',
      'SELECT "s"."rows", "s"."lowest", "s"."highest", "e"."value", "e"."time" FROM ',
      '(SELECT CAST(count(*) AS DOUBLE) AS "rows", min("value") AS "lowest", max("value") AS "highest" FROM "bad") AS "s" ',
      'LEFT JOIN (SELECT "value", "time" FROM "bad" ORDER BY ', distance, ' DESC, "time", "value" LIMIT ', int(params.examples, 0, 100), ') AS "e" ON TRUE',
    );
  },
  evaluate(rows, params) {
    const first = rows[0];
    const count = asNumber(first?.rows) ?? 0;
    const examples: Example[] = rows
      .filter((r) => asNumber(r.value) !== null)
      .map((r) => {
        const example: Example = { value: asNumber(r.value) };
        const time = asText(r.time);
        if (time !== null) example.time = time;
        return example;
      });
    const bounds =
      params.min !== undefined && params.max !== undefined
        ? `between ${params.min} and ${params.max}`
        : params.min !== undefined
          ? `≥ ${params.min}`
          : `≤ ${params.max}`;
    const lowest = asNumber(first?.lowest);
    const highest = asNumber(first?.highest);
    const span = lowest === null || highest === null ? '' : lowest === highest ? ` (${formatCount(lowest)})` : ` (from ${formatCount(lowest)} to ${formatCount(highest)})`;
    return {
      count,
      observed: count,
      expected: `${params.column} ${bounds}`,
      examples,
      message: count === 0 ? `every ${params.column} is ${bounds}` : `${plural(count, 'row')} with ${params.column} not ${bounds}${span}`,
    };
  },
};
