// duplicate_key: a key that should be unique appears on more than one row. Reports how many keys
// repeat, the extra rows, a few example keys, and the days the repeated rows fall on (a day loaded
// twice shows up as one day holding every repeat).
import { z } from 'zod';
import type { Row, Scalar } from '../engine/engine';
import { hashSlice, sliceCount } from '../group-slices';
import { Sql, column, ident, int } from '../sql';
import { ColumnParam, ExamplesParam, TimeColumnParam, asNumber, asText, dayText, formatCount, plural, timeColumnOf } from './stats';
import { ThresholdParams } from './thresholds';
import type { CheckContext, CheckRule, Example } from './types';

const Params = z
  .object({
    key: z.union([ColumnParam, z.array(ColumnParam).min(1).max(16)]).describe('The column, or columns, that identify a row.'),
    timeColumn: TimeColumnParam,
    examples: ExamplesParam.default(5),
    ...ThresholdParams,
  })
  .strict();
type Params = z.infer<typeof Params>;

const keysOf = (p: Params): string[] => (typeof p.key === 'string' ? [p.key] : p.key);
/** Days listed at most, in the message and in the rows the query returns. */
const MAX_DAYS = 50;

export const duplicateKey: CheckRule<Params> = {
  name: 'duplicate_key',
  summary: 'A key that should be unique appears on more than one row; counts repeated keys and names their days.',
  params: Params,
  build(ctx, params) {
    const q = queryParts(ctx, params);
    return Sql.concat('WITH "dup" AS MATERIALIZED (', q.repeated(null), '), ', q.judged);
  },
  split(ctx, params, size) {
    const slices = sliceCount(size);
    if (slices <= 1) return null;
    const q = queryParts(ctx, params);
    // The repeated keys, slice by slice of the keys' hash (group-slices.ts). Few keys repeat, so
    // the table they land in is small.
    const table = ident(`__northstar_repeated_keys_${(scratchTables += 1)}`);
    const slice = (i: number) => hashSlice(q.keys, i, slices);
    const setup = [Sql.concat('CREATE TEMP TABLE ', table, ' AS ', q.repeated(slice(0)))];
    for (let i = 1; i < slices; i += 1) setup.push(Sql.concat('INSERT INTO ', table, ' ', q.repeated(slice(i))));
    return { setup, query: Sql.concat('WITH "dup" AS (SELECT * FROM ', table, '), ', q.judged), teardown: [Sql.concat('DROP TABLE IF EXISTS ', table)] };
  },
  evaluate(rows, params) {
    const names = keysOf(params);
    const total = rows.find((r) => r.part === 'total');
    const keys = asNumber(total?.keys) ?? 0;
    const extra = asNumber(total?.rows) ?? 0;
    const days = rows
      .filter((r) => r.part === 'day')
      .map((r) => ({ day: asText(r.day) ?? '', keys: asNumber(r.keys) ?? 0, rows: asNumber(r.rows) ?? 0 }))
      .sort((a, b) => b.keys - a.keys || a.day.localeCompare(b.day));
    const examples: Example[] = rows
      .filter((r) => r.part === 'key')
      .map((r) => keyExample(r, names))
      .sort((a, b) => Number(b.rows) - Number(a.rows));
    const label = names.length === 1 ? (names[0] as string) : `(${names.join(', ')})`;
    let message: string;
    if (keys === 0) message = `every ${label} is unique`;
    else {
      message = `${plural(keys, `repeated ${label} value`)} (${plural(extra, 'extra row')})`;
      if (days.length === 1) message += `, all on ${days[0]?.day}`;
      else if (days.length > 1) {
        const shown = days.slice(0, 5).map((d) => `${d.day} (${formatCount(d.keys)})`);
        message += ` on ${days.length >= MAX_DAYS ? `${MAX_DAYS}+` : days.length} days: ${shown.join(', ')}${days.length > 5 ? ', …' : ''}`;
      }
    }
    return {
      count: keys,
      observed: keys,
      expected: `no repeated ${label}`,
      examples,
      message,
      affected: days
        .map((d) => ({ from: d.day, to: d.day, note: `${plural(d.keys, `repeated ${label} value`)} (${plural(d.rows, 'row')})` }))
        .sort((a, b) => a.from.localeCompare(b.from)),
    };
  },
};

/** Temporary tables of repeated keys made so far: each split run names its own. */
let scratchTables = 0;

/**
 * The rule's query in two parts: `repeated(slice)` selects the keys on more than one row (those
 * whose hash falls in `slice`, when given) with their counts, as "k0", "k1"… and "n"; `judged`
 * reads them as "dup" and returns the totals, the days and the examples `evaluate` judges.
 */
function queryParts(ctx: CheckContext, params: Params): { keys: Sql[]; repeated: (slice: Sql | null) => Sql; judged: Sql } {
  const keys = keysOf(params).map((k) => column(k, ctx.columns, `${ctx.where} param "key"`));
  // Time is optional here: without one the rule still counts keys, it just cannot name days.
  const time = params.timeColumn !== undefined || ctx.timeColumn !== null ? timeColumnOf(ctx, params.timeColumn) : null;
  const table = ident(ctx.table);
  // Key columns travel under positional names ("k0", "k1"...), so hostile names never clash with ours.
  const aliases = keys.map((_, i) => ident(`k${i}`));
  const keyAs = Sql.join(keys.map((k, i) => Sql.concat(k, ' AS ', aliases[i] as Sql)));
  const dKeys = Sql.join(aliases.map((a) => Sql.concat('"d".', a)));
  const matches = Sql.join(
    keys.map((k, i) => Sql.concat('"src".', k, ' IS NOT DISTINCT FROM "d".', aliases[i] as Sql)),
    ' AND ',
  );
  // Untyped NULLs take the key columns' own types in the UNION, so example keys keep theirs.
  const nullKeys = Sql.join(aliases.map((a) => Sql.concat('NULL AS ', a)));
  // Rows without any key are not repeats of one key (as in dbt's unique test); null_rate sees them.
  const allNull = Sql.join(
    keys.map((k) => Sql.concat(k, ' IS NULL')),
    ' AND ',
  );
  const day = time ? dayText(Sql.concat('"src".', time)) : Sql.raw`CAST(NULL AS VARCHAR)`;
  const limit = int(params.examples, 0, 100);
  return {
    keys,
    repeated: (slice) =>
      Sql.concat('SELECT ', keyAs, ', count(*) AS "n" FROM ', table, ' WHERE NOT (', allNull, ')', slice ? Sql.concat(' AND ', slice) : '', ' GROUP BY ', Sql.join(keys), ' HAVING count(*) > 1'),
    judged: Sql.concat(
      '"hit" AS (SELECT ', dKeys, ', "d"."n", ', day, ' AS "day" FROM ', table, ' AS "src" JOIN "dup" AS "d" ON ', matches, '), ',
      '"per_key_day" AS MATERIALIZED (SELECT ', Sql.join(aliases), ', "day", count(*) AS "c" FROM "hit" GROUP BY ALL) ',
      "SELECT 'total' AS \"part\", CAST(NULL AS VARCHAR) AS \"day\", ", nullKeys,
      ', CAST(count(*) AS DOUBLE) AS "keys", CAST(coalesce(sum("n" - 1), 0) AS DOUBLE) AS "rows", CAST(NULL AS VARCHAR) AS "last_day" FROM "dup" ',
      "UNION ALL SELECT * FROM (SELECT 'day', \"day\", ", nullKeys,
      ', CAST(count(*) AS DOUBLE), CAST(sum("c") AS DOUBLE), NULL FROM "per_key_day" WHERE "day" IS NOT NULL GROUP BY "day" ORDER BY count(*) DESC, "day" LIMIT ', int(MAX_DAYS, 0, MAX_DAYS), ') ',
      "UNION ALL SELECT * FROM (SELECT 'key', min(\"day\"), ", Sql.join(aliases),
      ', CAST(NULL AS DOUBLE), CAST(sum("c") AS DOUBLE), max("day") FROM "per_key_day" GROUP BY ', Sql.join(aliases),
      ' ORDER BY sum("c") DESC, ', Sql.join(aliases), ' LIMIT ', limit, ')',
    ),
  };
}

function keyExample(row: Row, names: string[]): Example {
  const key: Record<string, Scalar> = {};
  names.forEach((name, i) => (key[name] = row[`k${i}`] ?? null));
  const first = asText(row.day);
  const last = asText(row.last_day);
  const days = first === null ? [] : last !== null && last !== first ? [first, last] : [first];
  return { key, rows: asNumber(row.rows) ?? 0, days };
}
