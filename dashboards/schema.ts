import { z } from 'zod';

/** The file type tag every dashboard file carries in its envelope. */
export const DASHBOARD_FILE_TYPE = 'northstar.dashboard';

/** The newest schema version this build of Northstar reads and writes. */
export const CURRENT_SCHEMA_VERSION = 1;

// Names are referenced from SQL and from other parts of the file; keep them simple and stable.
const Name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and contain only letters, digits and _')
  .max(64)
  .describe('A short machine name, unique within its list.');

const ColumnName = z.string().min(1).max(256).describe('A column of the dataset, exactly as spelled in the data.');

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

export const Dataset = z
  .object({
    name: Name,
    label: z.string().max(200).optional(),
    source: Name.describe('The source the rows come from.'),
    timeColumn: ColumnName.optional().describe('The column that places a row in time.'),
    measures: z.array(Measure).default([]),
    dimensions: z.array(Dimension).default([]),
    hierarchies: z
      .array(z.object({ name: Name, levels: z.array(Name).min(1) }).strict())
      .default([])
      .describe('Drill paths, from coarse to fine, as dimension names.'),
  })
  .strict()
  .describe('A table of rows with declared measures and dimensions.');

export const TimeRange = z
  .object({
    lastDays: z.number().int().min(1).max(3660).describe('Length of the current period in days.'),
    anchor: z
      .enum(['data', 'now'])
      .default('data')
      .describe('"data": the period ends on the newest day in the data; "now": it ends today.'),
  })
  .strict()
  .describe('The period every panel shows; KPIs compare it with the period of the same length before it.');

const PanelBase = {
  id: Name,
  title: z.string().max(300).describe('Shown as plain text, never as HTML.'),
  dataset: Name,
};

export const KpiPanel = z
  .object({
    ...PanelBase,
    kind: z.literal('kpi'),
    measure: Name,
    comparison: z.enum(['previous_period', 'none']).default('previous_period'),
    goodDirection: z.enum(['up', 'down']).default('up'),
  })
  .strict();

export const ChartPanel = z
  .object({
    ...PanelBase,
    kind: z.literal('chart'),
    chart: z.enum(['line', 'bar']),
    x: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('time'), grain: z.enum(['day', 'week', 'month']) }).strict(),
        z.object({ type: z.literal('dimension'), dimension: Name }).strict(),
      ])
      .describe('What the horizontal axis (or the bars) show.'),
    measures: z.array(Name).min(1).max(8),
    sort: z.enum(['value_desc', 'value_asc', 'label']).default('value_desc'),
    limit: z.number().int().min(1).max(1000).default(20),
  })
  .strict();

export const TablePanel = z
  .object({
    ...PanelBase,
    kind: z.literal('table'),
    columns: z.array(ColumnName).min(1).max(64),
    orderBy: z.object({ column: ColumnName, direction: z.enum(['asc', 'desc']) }).strict().optional(),
    limit: z.number().int().min(1).max(10000).default(50),
  })
  .strict();

export const Panel = z.discriminatedUnion('kind', [KpiPanel, ChartPanel, TablePanel]);

export const LayoutItem = z
  .object({
    panel: Name,
    x: z.number().int().min(0).max(11),
    y: z.number().int().min(0).max(10000),
    w: z.number().int().min(1).max(12),
    h: z.number().int().min(1).max(40),
  })
  .strict()
  .describe('Where a panel sits on the 12-column grid; kept apart from the panel itself.');

export const DashboardFile = z
  .object({
    $schema: z.string().optional(),
    type: z.literal(DASHBOARD_FILE_TYPE),
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    id: z.string().uuid(),
    title: z.string().min(1).max(300),
    description: z.string().max(5000).default(''),
    timeRange: TimeRange,
    sources: z.array(Source).max(100),
    datasets: z.array(Dataset).max(100),
    panels: z.array(Panel).max(500),
    layout: z.array(LayoutItem).max(500),
  })
  .strict()
  .describe('A Northstar dashboard file.');

export type DashboardFile = z.infer<typeof DashboardFile>;
export type Source = z.infer<typeof Source>;
export type S3Source = z.infer<typeof S3Source>;
export type Dataset = z.infer<typeof Dataset>;
export type Measure = z.infer<typeof Measure>;
export type Dimension = z.infer<typeof Dimension>;
export type Panel = z.infer<typeof Panel>;
export type KpiPanel = z.infer<typeof KpiPanel>;
export type ChartPanel = z.infer<typeof ChartPanel>;
export type TablePanel = z.infer<typeof TablePanel>;
export type LayoutItem = z.infer<typeof LayoutItem>;
export type TimeRange = z.infer<typeof TimeRange>;
