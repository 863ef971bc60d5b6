import { z } from 'zod';
import { ColumnName, CURRENT_SCHEMA_VERSION, Dataset, DASHBOARD_FILE_TYPE, Name, Source } from './dataset-schema';

export { CURRENT_SCHEMA_VERSION, DASHBOARD_FILE_TYPE, Dataset, Dimension, LocalFileSource, Measure, S3Source, Source, SqlDataset, TableDataset, UrlSource } from './dataset-schema';

const Anchor = z
  .enum(['data', 'now'])
  .default('data')
  .describe('"data": the period ends on the newest day in the data; "now": it ends today.');

const IsoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');

export const TimeRange = z
  .union([
    z.object({ lastDays: z.number().int().min(1).max(3660).describe('Length of the current period in days.'), anchor: Anchor }).strict(),
    z.object({ toDate: z.enum(['month', 'quarter', 'year']).describe('Month, quarter or year to date.'), anchor: Anchor }).strict(),
    z.object({ from: IsoDay.describe('First day, inclusive.'), to: IsoDay.describe('Last day, inclusive.') }).strict(),
  ])
  .describe('The period every panel shows; KPIs compare it with the period of the same length just before it.');

const PanelBase = {
  id: Name,
  title: z.string().max(300).describe('Shown as plain text, never as HTML.'),
  followFilters: z.boolean().default(true).describe('Whether the dashboard filters apply to this panel.'),
};

export const KpiPanel = z
  .object({
    ...PanelBase,
    kind: z.literal('kpi'),
    dataset: Name,
    measure: Name,
    comparison: z
      .enum(['previous_period', 'previous_year', 'target', 'none'])
      .default('previous_period')
      .describe('What the value is compared with: the period of the same length before, the same period a year earlier, or a target.'),
    target: z.number().finite().optional().describe('The target, for comparison "target".'),
    goodDirection: z.enum(['up', 'down']).default('up'),
    sparkline: z.boolean().default(false).describe('Draw the daily trend of the current period under the value.'),
    format: z.enum(['auto', 'number', 'currency', 'percent', 'integer', 'compact']).default('auto').describe('"auto" uses the measure\'s format.'),
    decimals: z.number().int().min(0).max(6).optional(),
    thresholds: z
      .object({
        warnAt: z.number().finite().optional(),
        badAt: z.number().finite().optional(),
      })
      .strict()
      .optional()
      .describe('Colour the value amber or red once it crosses these, in the bad direction (see goodDirection).'),
  })
  .strict();

export const CHART_TYPES = ['line', 'area', 'bar', 'stacked_bar', 'horizontal_bar', 'pie', 'scatter', 'heatmap'] as const;

/** The time buckets a chart can group by, finest first. */
export const TIME_GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type TimeGrain = (typeof TIME_GRAINS)[number];

const ChartAxis = z.discriminatedUnion('type', [
  z.object({ type: z.literal('time'), grain: z.enum(TIME_GRAINS) }).strict(),
  z.object({ type: z.literal('dimension'), dimension: Name }).strict(),
]);

export const ChartPanel = z
  .object({
    ...PanelBase,
    kind: z.literal('chart'),
    dataset: Name,
    chart: z.enum(CHART_TYPES),
    x: ChartAxis.describe('What the horizontal axis (or the bars) show.'),
    y: ChartAxis.optional().describe('For a heatmap (required there): what its rows show.'),
    measures: z.array(Name).min(1).max(8),
    series: Name.optional().describe('A dimension that splits each measure into one series per member.'),
    sort: z.enum(['value_desc', 'value_asc', 'label']).default('value_desc'),
    limit: z.number().int().min(1).max(1000).default(20).describe('Top N members (or series) shown.'),
    otherBucket: z.boolean().default(false).describe('Add the members beyond the top N up as one "Other".'),
    axisFormat: z.enum(['auto', 'number', 'currency', 'percent', 'compact']).default('auto'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.chart === 'heatmap' && !p.y) ctx.addIssue({ code: 'custom', message: 'a heatmap needs y: what its rows show (a dimension or a time grain)', path: ['y'] });
  });

export const TablePanel = z
  .object({
    ...PanelBase,
    kind: z.literal('table'),
    dataset: Name,
    columns: z.array(ColumnName).min(1).max(64),
    orderBy: z.object({ column: ColumnName, direction: z.enum(['asc', 'desc']) }).strict().optional(),
    limit: z.number().int().min(1).max(10000).default(50),
    pageSize: z.number().int().min(5).max(1000).default(25).describe('Rows per page.'),
    rules: z
      .array(
        z
          .object({
            column: ColumnName,
            op: z.enum(['lt', 'lte', 'gt', 'gte', 'eq', 'neq']),
            value: z.union([z.number().finite(), z.string().max(1000)]),
            tone: z.enum(['good', 'warn', 'bad']),
          })
          .strict(),
      )
      .max(50)
      .default([])
      .describe('Conditional formatting: colour a cell when its value matches.'),
  })
  .strict();

export const TextPanel = z
  .object({
    ...PanelBase,
    kind: z.literal('text'),
    markdown: z.string().max(20_000).describe('Markdown, rendered as sanitized text: never raw HTML.'),
  })
  .strict();

export const AnomalyPanel = z
  .object({
    ...PanelBase,
    kind: z.literal('anomaly'),
    checks: z.array(Name).max(200).default([]).describe('The checks listed; empty means all checks of the dashboard.'),
  })
  .strict();

export const Panel = z.discriminatedUnion('kind', [KpiPanel, ChartPanel, TablePanel, TextPanel, AnomalyPanel]);

/** Panel kinds that read a dataset. */
export type DataPanel = z.infer<typeof KpiPanel> | z.infer<typeof ChartPanel> | z.infer<typeof TablePanel>;

export const Filter = z
  .object({
    id: Name,
    kind: z.literal('dimension'),
    dataset: Name,
    dimension: Name,
    values: z.array(z.string().max(1000)).max(1000).default([]).describe('Members kept; empty keeps all.'),
  })
  .strict()
  .describe('A dashboard-wide filter on a dimension.');

export const DrillStep = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('member'), dimension: Name, value: z.string().max(1000).nullable() }).strict(),
  z
    .object({
      kind: z.literal('time'),
      start: z.number().int().describe('Epoch ms, inclusive.'),
      end: z.number().int().describe('Epoch ms, exclusive.'),
      label: z.string().max(100),
    })
    .strict(),
]);

export const View = z
  .object({
    id: Name,
    name: z.string().min(1).max(200),
    timeRange: TimeRange.optional().describe('The period of the view; absent keeps the dashboard\'s.'),
    filters: z.array(Filter).max(100).optional().describe('The dashboard filters of the view; absent keeps the dashboard\'s.'),
    grain: z.enum(TIME_GRAINS).nullable().default(null),
    crossFilter: z.boolean().default(true),
    clickFilter: z.object({ panelId: Name, dimension: Name, value: z.string().max(1000).nullable() }).strict().nullable().default(null),
    drills: z
      .record(Name, z.object({ steps: z.array(DrillStep).max(20), showRows: z.boolean() }).strict())
      .default({})
      .describe('Drill paths by panel id.'),
  })
  .strict()
  .describe('A named exploration: period, filters, click filter and drill paths.');

export const Check = z
  .object({
    id: Name,
    title: z.string().max(300),
    dataset: Name,
    rule: z.string().min(1).max(64).describe('The rule, e.g. duplicate_key, near_duplicate_values, null_rate, total_jump, range, freshness.'),
    params: z.record(z.string(), z.unknown()).default({}),
    severity: z.enum(['warn', 'error']).default('warn'),
    owner: z.string().max(200).optional().describe('Who to contact about this data.'),
    guards: z.array(Name).max(200).default([]).describe('Panels whose numbers this check protects.'),
  })
  .strict()
  .describe('A data-quality check that travels with the dashboard.');

export const Correction = z
  .object({
    id: Name,
    kind: z.enum(['map_value', 'exclude_rows', 'override']),
    dataset: Name,
    params: z.record(z.string(), z.unknown()).default({}),
    reason: z.string().max(2000),
    author: z.string().max(200),
  })
  .strict()
  .describe('A correction applied in the corrected view every panel reads.');

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest');

export const Revision = z
  .object({
    number: z.number().int().min(1),
    savedAt: z.string().datetime({ offset: true }).describe('When this revision was saved (ISO 8601).'),
    savedBy: z.string().max(200).describe('Who saved it (the OS user name unless edited).'),
    message: z.string().max(2000).optional(),
    parentHash: Sha256.nullable().describe('Content hash of the revision this one was made from; null for the first.'),
    contentHash: Sha256.describe('SHA-256 of this file\'s canonical content, without the revision block.'),
  })
  .strict()
  .describe('Where this file sits in its history. Written by Northstar on every save.');

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

/**
 * Panels one dashboard may hold. Every panel is a live query and a drawn component: far beyond
 * this the renderer's main thread is busy for minutes (10,000 KPI tiles measured), so a larger
 * file is refused with this limit named rather than opened frozen.
 */
export const MAX_PANELS = 200;

export const DashboardFile = z
  .object({
    $schema: z.string().max(500).optional(),
    type: z.literal(DASHBOARD_FILE_TYPE),
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    id: z.string().uuid(),
    title: z.string().min(1).max(300),
    description: z.string().max(5000).default(''),
    owner: z.string().max(200).default('').describe('Who answers questions about this dashboard.'),
    revision: Revision.optional(),
    timeRange: TimeRange,
    sources: z.array(Source).max(100),
    datasets: z.array(Dataset).max(100),
    filters: z.array(Filter).max(100).default([]),
    panels: z.array(Panel).max(MAX_PANELS, { message: `at most ${MAX_PANELS} panels fit on one dashboard: split it into several dashboards` }),
    layout: z.array(LayoutItem).max(MAX_PANELS, { message: `at most ${MAX_PANELS} layout items (one per panel)` }),
    views: z.array(View).max(100).default([]).describe('Saved explorations of this dashboard.'),
    checks: z.array(Check).max(1000).default([]),
    corrections: z.array(Correction).max(10_000).default([]),
  })
  .strict()
  .describe('A Northstar dashboard file.');

export type DashboardFile = z.infer<typeof DashboardFile>;
export type Panel = z.infer<typeof Panel>;
export type KpiPanel = z.infer<typeof KpiPanel>;
export type ChartPanel = z.infer<typeof ChartPanel>;
export type TablePanel = z.infer<typeof TablePanel>;
export type LayoutItem = z.infer<typeof LayoutItem>;
export type TimeRange = z.infer<typeof TimeRange>;
export type TextPanel = z.infer<typeof TextPanel>;
export type AnomalyPanel = z.infer<typeof AnomalyPanel>;
export type Filter = z.infer<typeof Filter>;
export type Check = z.infer<typeof Check>;
export type Correction = z.infer<typeof Correction>;
export type Revision = z.infer<typeof Revision>;
export type View = z.infer<typeof View>;
export type DrillStepSpec = z.infer<typeof DrillStep>;
