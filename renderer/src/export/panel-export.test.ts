import { describe, expect, it } from 'vitest';
import type * as echarts from 'echarts/core';
// Fixtures go through the schema, so defaults of fields added later fill in.
import { ChartPanel, Dataset, KpiPanel, TablePanel } from '../../../dashboards/schema';
import type { Sql } from '../../../queries/sql';
import type { QueryResult } from '../../../queries/engine/engine';
import type { DatasetRunState } from '../../../queries/dashboard-runner';
import { buildChartOption } from '../charts/chart-options';
import { dataUrlToBlob, renderChartSvg } from './chart-image';
import { buildExport, exportActions, unavailableReason, type PanelExportSource } from './panel-export';

const DAY = 86_400_000;
const dataset = Dataset.parse({
  name: 'orders',
  kind: 'table',
  source: 'orders',
  timeColumn: 'order_ts',
  measures: [{ name: 'revenue', agg: 'sum', column: 'amount', format: 'currency', label: 'Revenue' }],
  dimensions: [{ name: 'campaign', column: 'campaign' }],
});
const chart = ChartPanel.parse({
  id: 'daily_revenue',
  title: 'Daily revenue',
  kind: 'chart',
  dataset: 'orders',
  followFilters: true,
  chart: 'line',
  x: { type: 'time', grain: 'day' },
  measures: ['revenue'],
  sort: 'label',
  limit: 1000,
});
const table = TablePanel.parse({
  id: 'recent_orders',
  title: 'Recent orders',
  kind: 'table',
  dataset: 'orders',
  followFilters: true,
  columns: ['order_ts', 'campaign', 'amount'],
  orderBy: { column: 'order_ts', direction: 'desc' },
  limit: 2,
});
const kpi = KpiPanel.parse({ id: 'kpi_revenue', title: 'Revenue', kind: 'kpi', dataset: 'orders', measure: 'revenue' });

const chartResult: QueryResult = {
  columns: [{ name: 'x', type: 'Float64' }, { name: 'revenue', type: 'Float64' }],
  rows: [0, 1, 2].map((i) => ({ x: Date.UTC(2025, 0, 3) + i * DAY, revenue: 1000 * (i + 1) })),
};
const datasetReady: DatasetRunState = {
  status: 'ready',
  location: 'data/orders.parquet',
  rowCount: 5,
  columns: [{ name: 'order_ts', type: 'TIMESTAMP' }, { name: 'campaign', type: 'VARCHAR' }, { name: 'amount', type: 'DOUBLE' }],
  period: { start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 0, 31), previousStart: Date.UTC(2024, 11, 2), days: 30 },
};

function source(panel: PanelExportSource['panel'], result: QueryResult, extra: Partial<PanelExportSource> = {}): PanelExportSource {
  return { panel, dataset, state: { status: 'ready', result, sql: 'SELECT …', period: null }, datasetState: datasetReady, chart: null, ...extra };
}

// Blob.text() drops a BOM; read the bytes as they are.
const fileText = async (blob: Blob) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(await blob.arrayBuffer());

const noEngine = () => Promise.reject(new Error('no engine in this test'));

describe('exportActions', () => {
  it('offers images for charts and CSV for every data panel', () => {
    expect(exportActions(chart).map((a) => a.label)).toEqual(['Download PNG', 'Download SVG', 'Download CSV']);
    expect(exportActions(table).map((a) => a.label)).toEqual(['Download CSV (all rows)']);
    expect(exportActions(kpi).map((a) => a.label)).toEqual(['Download CSV']);
  });
});

describe('SVG', () => {
  it('draws the chart option off screen as an SVG document with its axis labels', () => {
    const svg = renderChartSvg(buildChartOption(chart, dataset, chartResult), { width: 640, height: 320 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="640"');
    expect(svg).toContain('height="320"');
    expect(svg).toContain('2025-01-03');
    expect(svg).toMatch(/>\$[\d.,]+K?<\/text>/); // the value axis, formatted as currency
    expect(svg).toMatch(/fill="#ffffff"|fill="#fff"|fill="rgb\(255,\s*255,\s*255\)"/);
  });

  it('is built from the panel result, sized like the chart on screen', async () => {
    const onScreen = { isDisposed: () => false, getWidth: () => 700, getHeight: () => 300 } as unknown as echarts.ECharts;
    const file = await buildExport('svg', source(chart, chartResult, { chart: onScreen }), noEngine);
    expect(file.fileName).toBe('daily-revenue.svg');
    expect(file.blob.type).toBe('image/svg+xml;charset=utf-8');
    const text = await file.blob.text();
    expect(text).toMatch(/^<svg[^>]* width="700" height="300"/);
  });

  it('escapes text from the data instead of letting it become markup', () => {
    const byName = ChartPanel.parse({ ...chart, chart: 'bar', x: { type: 'dimension', dimension: 'campaign' } });
    const result = { columns: chartResult.columns, rows: [{ x: '<script>alert(1)</script>', revenue: 5 }] };
    const svg = renderChartSvg(buildChartOption(byName, dataset, result));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });
});

describe('PNG', () => {
  it('is the on-screen chart at pixel ratio 2 on white', async () => {
    const calls: unknown[] = [];
    const onScreen = {
      isDisposed: () => false,
      getWidth: () => 700,
      getHeight: () => 300,
      getDataURL: (opts: unknown) => (calls.push(opts), 'data:image/png;base64,iVBORw0KGgo='),
    } as unknown as echarts.ECharts;
    const file = await buildExport('png', source(chart, chartResult, { chart: onScreen }), noEngine);
    expect(calls).toEqual([{ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }]);
    expect(file.fileName).toBe('daily-revenue.png');
    expect(Array.from(new Uint8Array(await file.blob.arrayBuffer()))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('is unavailable without a chart on screen', async () => {
    expect(unavailableReason('png', source(chart, chartResult))).toBe('The chart is not on screen.');
    await expect(buildExport('png', source(chart, chartResult), noEngine)).rejects.toThrow('not on screen');
  });

  it('decodes data URLs without fetch', async () => {
    expect(await dataUrlToBlob('data:text/plain,a%20b').text()).toBe('a b');
    expect(() => dataUrlToBlob('https://example.com/x.png')).toThrow('not a data URL');
  });
});

describe('CSV', () => {
  it('writes a chart or KPI from its result rows', async () => {
    const file = await buildExport('csv', source(chart, chartResult), noEngine);
    expect(file.fileName).toBe('daily-revenue.csv');
    expect(file.rows).toBe(3);
    expect((await fileText(file.blob)).split('\r\n').slice(0, 2)).toEqual(['\uFEFForder_ts,revenue', '2025-01-03 00:00:00,1000']);
    const kpiFile = await buildExport('csv', source(kpi, { columns: [{ name: 'period', type: 'Utf8' }, { name: 'value', type: 'Float64' }], rows: [{ period: 'current', value: 7 }] }), noEngine);
    expect(await fileText(kpiFile.blob)).toBe('\uFEFFperiod,revenue\r\ncurrent,7\r\n');
  });

  it('queries every row of a table, not the panel limit, with the filters it ran with', async () => {
    const seen: string[] = [];
    const all: QueryResult = {
      columns: [{ name: 'order_ts', type: 'Timestamp<MICROSECOND>' }, { name: 'campaign', type: 'Utf8' }, { name: 'amount', type: 'Float64' }],
      rows: [3, 2, 1].map((d) => ({ order_ts: Date.UTC(2025, 0, d, 12), campaign: d === 2 ? 'Spring, "big"' : 'Social', amount: d })),
    };
    const engine = async () => ({ query: async (sql: Sql) => (seen.push(sql.text), all) });
    const shown = { columns: all.columns, rows: all.rows.slice(0, 2) };
    const refine = { members: [{ dimension: 'campaign', values: ['Social', 'Spring, "big"'] }] };
    const file = await buildExport('csv', source(table, shown, { refine }), engine);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^SELECT "order_ts", "campaign", "amount" FROM "ds_orders" WHERE "order_ts" >= TIMESTAMP '2025-01-01 00:00:00.000'/);
    expect(seen[0]).toContain(`CAST("campaign" AS VARCHAR) IN ('Social', 'Spring, "big"')`);
    expect(seen[0]).not.toContain('LIMIT');
    expect(file.fileName).toBe('recent-orders.csv');
    expect(file.rows).toBe(3);
    expect(await fileText(file.blob)).toBe(
      '\uFEFForder_ts,campaign,amount\r\n2025-01-03 12:00:00,Social,3\r\n2025-01-02 12:00:00,"Spring, ""big""",2\r\n2025-01-01 12:00:00,Social,1\r\n',
    );
  });

  it('refuses while the panel or its data is not ready', async () => {
    expect(unavailableReason('csv', { ...source(kpi, chartResult), state: { status: 'loading' } })).toBe('The panel has no result yet.');
    expect(unavailableReason('csv', { ...source(table, chartResult), datasetState: { status: 'loading' } })).toBe('The data is not loaded.');
    await expect(buildExport('csv', { ...source(table, chartResult), datasetState: undefined }, noEngine)).rejects.toThrow('not loaded');
    expect(unavailableReason('svg', source(chart, { columns: chartResult.columns, rows: [] }))).toBe('The chart has no rows to draw.');
  });
});
