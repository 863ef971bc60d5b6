// The part of the dashboard file's schema that says where the data is and what it means: the
// envelope's constants, sources, and datasets with their measures and dimensions. schema.ts has the
// rest (panels, filters, views, checks, corrections, layout, the file) and re-exports this; import
// from there. A module of its own so that the renderer evaluates the schema in two tasks (see
// renderer/src/main.tsx): building zod schemas is most of the cost of loading them.
import { z } from 'zod';

/** The file type tag every dashboard file carries in its envelope. */
export const DASHBOARD_FILE_TYPE = 'northstar.dashboard';

/** The newest schema version this build of Northstar reads and writes. */
export const CURRENT_SCHEMA_VERSION = 2;

// Names are referenced from SQL and from other parts of the file; keep them simple and stable.
export const Name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and contain only letters, digits and _')
  .max(64)
  .describe('A short machine name, unique within its list.');

export const ColumnName = z.string().min(1).max(256).describe('A column of the dataset, exactly as spelled in the data.');

export const LocalFileSource = z
  .object({
    name: Name,
    kind: z.literal('file'),
    path: z
      .string()
      .min(1)
      .describe('Path of the file, relative to the dashboard file (or absolute on this machine).'),
    format: z.enum(['parquet', 'csv', 'json']).default('parquet'),
  })
  .strict()
  .describe('A data file on this machine.');

export const UrlSource = z
  .object({
    name: Name,
    kind: z.literal('url'),
    url: z.string().url().describe('An http(s) URL of the data file.'),
    format: z.enum(['parquet', 'csv', 'json']).default('parquet'),
  })
  .strict()
  .describe('A data file served over HTTP(S).');

export const S3Source = z
  .object({
    name: Name,
    kind: z.literal('s3'),
    uri: z
      .string()
      .regex(/^s3:\/\/[^/]+\/.+/, 'must look like s3://bucket/key')
      .describe('The object, as s3://bucket/key.'),
    endpoint: z
      .string()
      .url()
      .optional()
      .describe('Custom endpoint of an S3-compatible store, with scheme, e.g. http://127.0.0.1:9000.'),
    region: z.string().min(1).max(64).optional().describe('AWS region, e.g. us-east-1.'),
    profile: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('Name of the AWS profile on the reader\'s machine. Never credentials: those stay on each machine.'),
    pathStyle: z.boolean().optional().describe('Use path-style addressing (needed by most S3-compatible stores).'),
    format: z.enum(['parquet', 'csv', 'json']).default('parquet'),
  })
  .strict()
  .describe('An object in Amazon S3 or an S3-compatible store.');

export const Source = z.discriminatedUnion('kind', [LocalFileSource, UrlSource, S3Source]);

export const Measure = z
  .object({
    name: Name,
    label: z.string().max(200).optional(),
    agg: z.enum(['sum', 'count', 'count_distinct', 'avg', 'min', 'max', 'ratio']),
    column: ColumnName.optional().describe('The aggregated column; omitted for count(*) and ratios.'),
    numerator: Name.optional().describe('For ratio: the measure on top.'),
    denominator: Name.optional().describe('For ratio: the measure below.'),
    format: z.enum(['number', 'currency', 'percent', 'integer']).default('number'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.agg === 'ratio') {
      if (!m.numerator || !m.denominator) {
        ctx.addIssue({ code: 'custom', message: 'a ratio needs a numerator and a denominator', path: ['agg'] });
      }
    } else if (m.agg !== 'count' && !m.column) {
      ctx.addIssue({ code: 'custom', message: `${m.agg} needs a column`, path: ['column'] });
    }
  })
  .describe('A named aggregate of the dataset, e.g. revenue = sum(amount).');

export const Dimension = z
  .object({
    name: Name,
    label: z.string().max(200).optional(),
    column: ColumnName,
  })
  .strict()
  .describe('A column to group and filter by.');

const SemanticLayer = {
  label: z.string().max(200).optional(),
  timeColumn: ColumnName.optional().describe('The column that places a row in time.'),
  measures: z.array(Measure).default([]),
  dimensions: z.array(Dimension).default([]),
  hierarchies: z
    .array(z.object({ name: Name, levels: z.array(Name).min(1) }).strict())
    .default([])
    .describe('Drill paths, from coarse to fine, as dimension names.'),
};

export const TableDataset = z
  .object({
    name: Name,
    kind: z.literal('table'),
    source: Name.describe('The source the rows come from.'),
    ...SemanticLayer,
  })
  .strict()
  .describe('The rows of one source, with declared measures, dimensions and drill hierarchies.');

export const SqlDataset = z
  .object({
    name: Name,
    kind: z.literal('sql'),
    sql: z
      .string()
      .min(1)
      .max(100_000)
      .describe('A SELECT over the dashboard\'s sources, each visible as a view named after the source. Runs only once the reader trusts the file.'),
    ...SemanticLayer,
  })
  .strict()
  .describe('An "advanced" dataset written in SQL.');

export const Dataset = z.discriminatedUnion('kind', [TableDataset, SqlDataset]);

export type Source = z.infer<typeof Source>;
export type S3Source = z.infer<typeof S3Source>;
export type Dataset = z.infer<typeof Dataset>;
export type TableDataset = z.infer<typeof TableDataset>;
export type SqlDataset = z.infer<typeof SqlDataset>;
export type Measure = z.infer<typeof Measure>;
export type Dimension = z.infer<typeof Dimension>;
