// custom_sql: the author's own query; every row it returns is a failure (like a dbt singular test).
// It is the author's code: it runs only for a trusted file (the runner refuses it otherwise), and
// userSelect keeps it a single statement. It sees each source as a view named after the source and
// each loaded dataset as the table ds_<dataset name>.
import { z } from 'zod';
import type { Scalar } from '../engine/engine';
import { Sql, int, userSelect } from '../sql';
import { ExamplesParam, asNumber, plural } from './stats';
import { ThresholdParams } from './thresholds';
import type { CheckRule, Example } from './types';

const Params = z
  .object({
    sql: z.string().min(1).max(100_000).describe('A SELECT whose rows are the failures.'),
    examples: ExamplesParam.default(5),
    ...ThresholdParams,
  })
  .strict();
type Params = z.infer<typeof Params>;

/** Our count column, named so no author's column is likely to clash with it. */
const COUNT = '__northstar_failing_rows';

export const customSql: CheckRule<Params> = {
  name: 'custom_sql',
  summary: "The author's own SELECT: every row it returns is a failure.",
  params: Params,
  build(_ctx, params) {
    return Sql.concat('SELECT count(*) OVER () AS "', COUNT, '", * FROM (', userSelect(params.sql), ') LIMIT ', int(Math.max(1, params.examples), 1, 100));
  },
  evaluate(rows, params) {
    const count = asNumber(rows[0]?.[COUNT]) ?? 0;
    const examples: Example[] = rows.slice(0, params.examples).map((r) => {
      const example: Record<string, Scalar> = {};
      for (const [key, value] of Object.entries(r)) if (key !== COUNT) example[key] = value;
      return example;
    });
    return {
      count,
      observed: count,
      expected: 'no rows',
      examples,
      message: count === 0 ? 'the query returned no rows' : `the query returned ${plural(count, 'failing row')}`,
    };
  },
};
