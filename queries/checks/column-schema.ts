// schema: an expected column is missing, or its type changed (from DESCRIBE). Types compare after
// resolving DuckDB's aliases (INT = INTEGER = INT4, TEXT = STRING = VARCHAR...).
import { z } from 'zod';
import { Sql, ident } from '../sql';
import { ColumnParam, asText, plural } from './stats';
import { ThresholdParams } from './thresholds';
import type { CheckRule, Example } from './types';

const Params = z
  .object({
    columns: z
      .array(z.object({ name: ColumnParam, type: z.string().min(1).max(200).optional().describe('The DuckDB type, e.g. BIGINT, VARCHAR, TIMESTAMP.') }).strict())
      .min(1)
      .max(10_000),
    ...ThresholdParams,
  })
  .strict();
type Params = z.infer<typeof Params>;

const ALIASES: Record<string, string> = {
  INT: 'INTEGER',
  INT4: 'INTEGER',
  SIGNED: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  FLOAT8: 'DOUBLE',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  CHAR: 'VARCHAR',
  BPCHAR: 'VARCHAR',
  BOOL: 'BOOLEAN',
  LOGICAL: 'BOOLEAN',
  DATETIME: 'TIMESTAMP',
  'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  NUMERIC: 'DECIMAL',
  BYTEA: 'BLOB',
  BINARY: 'BLOB',
  VARBINARY: 'BLOB',
};

/** A type name in its canonical spelling: upper case, single spaces, aliases resolved, VARCHAR(n) → VARCHAR. */
export function canonicalType(type: string): string {
  const t = type.trim().toUpperCase().replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1');
  const base = t.replace(/\(.*\)$/, '');
  const resolved = ALIASES[base] ?? base;
  if (resolved === 'VARCHAR') return 'VARCHAR';
  return t === base ? resolved : `${resolved}${t.slice(base.length)}`;
}

export const columnSchema: CheckRule<Params> = {
  name: 'schema',
  summary: 'An expected column is missing or its type changed.',
  params: Params,
  build: (ctx) => Sql.concat('DESCRIBE ', ident(ctx.table)),
  evaluate(rows, params) {
    const actual = new Map<string, string>();
    for (const r of rows) {
      const name = asText(r.column_name);
      if (name !== null) actual.set(name, asText(r.column_type) ?? '');
    }
    const examples: Example[] = [];
    for (const expected of params.columns) {
      const type = actual.get(expected.name);
      if (type === undefined) examples.push({ column: expected.name, problem: 'missing', expected_type: expected.type ?? null, actual_type: null });
      else if (expected.type !== undefined && canonicalType(expected.type) !== canonicalType(type)) {
        examples.push({ column: expected.name, problem: 'type changed', expected_type: canonicalType(expected.type), actual_type: type });
      }
    }
    const describe = (e: Example) => (e.problem === 'missing' ? `${String(e.column)} is missing` : `${String(e.column)} is ${String(e.actual_type)}, not ${String(e.expected_type)}`);
    return {
      count: examples.length,
      observed: examples.length,
      expected: `${plural(params.columns.length, 'expected column')} with their types`,
      examples,
      message: examples.length === 0 ? `all ${plural(params.columns.length, 'expected column')} present with the expected types` : `${examples.map(describe).join('; ')}`,
    };
  },
};
