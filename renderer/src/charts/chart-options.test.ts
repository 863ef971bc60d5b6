import { describe, expect, it } from 'vitest';
// Fixtures go through the schema, so defaults of fields added later fill in.
import { ChartPanel, Check, Dataset } from '../../../dashboards/schema';
import type { CheckResult } from '../../../queries/checks/index';
import type { QueryResult, Row } from '../../../queries/engine/engine';
import { LARGE_SERIES, anomalyMarks, buildChartOption, chartCategories, chartFindings, escapeHtml, type ChartFinding } from './chart-options';

const dataset = Dataset.parse({
  name: 'orders',
  kind: 'table',
  source: 'orders',
  timeColumn: 'order_ts',
  measures: [
    { name: 'revenue', agg: 'sum', column: 'amount', format: 'currency', label: 'Revenue' },
    { name: 'orders', agg: 'count_distinct', column: 'order_id', format: 'integer', label: 'Orders' },
    { name: 'aov', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency', label: 'AOV' },
    { name: 'rows', agg: 'count', format: 'integer', label: 'Rows' },
  ],
  dimensions: [
    { name: 'region', column: 'region' },
    { name: 'channel', column: 'channel' },
  ],
});

const panel = (over: Record<string, unknown>): ChartPanel =>
  ChartPanel.parse({ id: 'c', title: 'C', kind: 'chart', dataset: 'orders', chart: 'bar', x: { type: 'dimension', dimension: 'region' }, measures: ['revenue'], ...over });

const result = (rows: Row[]): QueryResult => ({
  columns: Object.keys(rows[0] ?? { x: null }).map((name) => ({ name, type: typeof rows[0]?.[name] === 'number' ? 'Float64' : typeof rows[0]?.[name] === 'boolean' ? 'Bool' : 'Utf8' })),
  rows,
});

// The option is loosely typed (EChartsCoreOption): tests read it as plain data.
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const asAny = (o: unknown) => o as Any;
const HOSTILE = '<img src=x onerror=alert(1)> & "quotes"';

describe('categories and series', () => {
  const byRegion = result([
    { x: 'EMEA', revenue: 300, x_other: false },
    { x: HOSTILE, revenue: 100, x_other: false },
    { x: null, revenue: 50, x_other: false },
    { x: 'Other', revenue: 50, x_other: true },
  ]);

  it('labels NULL as "(null)", keeps hostile names as text, and greys the Other bar', () => {
    const option = asAny(buildChartOption(panel({ otherBucket: true }), dataset, byRegion));
    expect(option.xAxis.data).toEqual(['EMEA', HOSTILE, '(null)', 'Other']);
    expect(option.series).toHaveLength(1);
    expect(option.series[0].data[3]).toEqual({ value: 50, itemStyle: { color: expect.any(String) } });
    expect(option.series[0].data.slice(0, 3)).toEqual([300, 100, 50]);
    // Long names are truncated on the axis; the tooltip has them in full.
    expect(option.xAxis.axisLabel).toMatchObject({ overflow: 'truncate', width: expect.any(Number) });
  });

  it('tells the Other bucket from a member named "Other" and maps categories to rows for drill-down', () => {
    const rows = result([
      { x: 'Other', series: 'web', series_rank: 1, revenue: 1, x_other: false, series_other: false },
      { x: 'Other', series: 'shop', series_rank: 2, revenue: 2, x_other: false, series_other: false },
      { x: 'Other', series: 'web', series_rank: 1, revenue: 3, x_other: true, series_other: false },
    ]);
    const cats = chartCategories(panel({ series: 'channel', otherBucket: true }), rows);
    expect(cats.map((c) => [c.label, c.other, c.row])).toEqual([
      ['Other', false, 0],
      ['Other', true, 2],
    ]);
  });

  it('splits each measure into one series per member, ordered by rank, stacked per measure', () => {
    const rows = result([
      { x: 'EMEA', series: 'web', series_rank: 1, revenue: 10, rows: 1, x_other: false, series_other: false },
      { x: 'EMEA', series: 'Other', series_rank: 3, revenue: 5, rows: 1, x_other: false, series_other: true },
      { x: 'APAC', series: 'shop', series_rank: 2, revenue: 7, rows: 2, x_other: false, series_other: false },
    ]);
    const option = asAny(buildChartOption(panel({ chart: 'stacked_bar', series: 'channel', measures: ['revenue', 'rows'], otherBucket: true }), dataset, rows));
    expect(option.xAxis.data).toEqual(['EMEA', 'APAC']);
    expect(option.series.map((s: Any) => s.name)).toEqual(['Revenue: web', 'Revenue: shop', 'Revenue: Other', 'Rows: web', 'Rows: shop', 'Rows: Other']);
    expect(option.series.map((s: Any) => s.stack)).toEqual(['revenue', 'revenue', 'revenue', 'rows', 'rows', 'rows']);
    // Missing combinations of an additive measure are zero.
    expect(option.series[0].data).toEqual([10, 0]);
    expect(option.series[1].data).toEqual([0, 7]);
    expect(option.series[2].data).toEqual([5, 0]);
    expect(option.legend.data).toHaveLength(6);
  });

  it('leaves missing combinations of a ratio empty and connects the line over them', () => {
    const rows = result([
      { x: 1, series: 'a', series_rank: 1, aov: 10, series_other: false },
      { x: 2, series: 'b', series_rank: 2, aov: 7, series_other: false },
    ]);
    const option = asAny(buildChartOption(panel({ chart: 'line', x: { type: 'time', grain: 'day' }, series: 'channel', measures: ['aov'] }), dataset, rows));
    expect(option.series[0].data).toEqual([10, null]);
    expect(option.series[0].connectNulls).toBe(true);
  });
});

describe('tooltips: formatted values, shares, escaped names', () => {
  const rows = result([
    { x: HOSTILE, revenue: 1234, aov: 12.5 },
    { x: 'B', revenue: 3702, aov: 40 },
  ]);

  it('bar: the value as currency and its share of the total, with the member name escaped', () => {
    const option = asAny(buildChartOption(panel({ measures: ['revenue', 'aov'], limit: 20 }), dataset, rows));
    const text: string = option.tooltip.formatter([
      { dataIndex: 0, seriesIndex: 0, marker: '' },
      { dataIndex: 0, seriesIndex: 1, marker: '' },
    ]);
    expect(text).toBe(`${escapeHtml(HOSTILE)}<br/>Revenue: $1,234.00 (25% of total)<br/>AOV: $12.50`);
    expect(text).not.toContain('<img');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
  });

  it('says "of shown" when members beyond the limit were left out, and gives no share for lines', () => {
    const cut = asAny(buildChartOption(panel({ limit: 2 }), dataset, rows));
    expect(cut.tooltip.formatter([{ dataIndex: 1, seriesIndex: 0 }])).toContain('(75% of shown)');
    const line = asAny(buildChartOption(panel({ chart: 'line', x: { type: 'time', grain: 'day' } }), dataset, result([{ x: 0, revenue: 5 }])));
    expect(line.tooltip.formatter([{ dataIndex: 0, seriesIndex: 0 }])).toBe('1970-01-01<br/>Revenue: $5.00');
  });

  it('gives no share when values are negative', () => {
    const option = asAny(buildChartOption(panel({}), dataset, result([{ x: 'a', revenue: -5 }, { x: 'b', revenue: 10 }])));
    expect(option.tooltip.formatter([{ dataIndex: 1, seriesIndex: 0 }])).toBe('b<br/>Revenue: $10.00');
    expect(option.tooltip.formatter([{ dataIndex: 0, seriesIndex: 0 }])).toBe('a<br/>Revenue: -$5.00');
  });

  it('series split: the share of the member within its x', () => {
    const split = result([
      { x: 'EMEA', series: 'web', series_rank: 1, revenue: 30, x_other: false, series_other: false },
      { x: 'EMEA', series: 'shop', series_rank: 2, revenue: 10, x_other: false, series_other: false },
    ]);
    const option = asAny(buildChartOption(panel({ chart: 'stacked_bar', series: 'channel', otherBucket: true }), dataset, split));
    expect(option.tooltip.formatter([{ dataIndex: 0, seriesIndex: 0 }, { dataIndex: 0, seriesIndex: 1 }])).toBe('EMEA<br/>web: $30.00 (75% of total)<br/>shop: $10.00 (25% of total)');
  });

  it('pie: the percent in the tooltip and on the label, labels as plain text', () => {
    const option = asAny(buildChartOption(panel({ chart: 'pie' }), dataset, rows));
    const s = option.series[0];
    expect(s.type).toBe('pie');
    expect(s.data.map((d: Any) => d.name)).toEqual([HOSTILE, 'B']);
    expect(option.tooltip.formatter({ dataIndex: 0, percent: 25, marker: '' })).toBe(`${escapeHtml(HOSTILE)}<br/>Revenue: $1,234.00 (25%)`);
    // Labels are canvas text, not HTML: no escaping there.
    expect(s.label.formatter({ name: HOSTILE, percent: 25 })).toBe(`${HOSTILE} 25%`);
  });
});

describe('axis format and large series', () => {
  it('axisFormat overrides the tick format of the first measure', () => {
    const rows = result([{ x: 'a', revenue: 12000 }]);
    const tick = (axisFormat: string) => asAny(buildChartOption(panel({ axisFormat }), dataset, rows)).yAxis.axisLabel.formatter(12000);
    expect(tick('auto')).toBe('$12K');
    expect(tick('number')).toBe('12,000');
    expect(tick('compact')).toBe('12K');
    expect(tick('percent')).toBe('1,200,000%');
    const horizontal = asAny(buildChartOption(panel({ chart: 'horizontal_bar', axisFormat: 'number' }), dataset, rows));
    expect(horizontal.xAxis.axisLabel.formatter(-1500)).toBe('-1,500');
    expect(horizontal.yAxis.inverse).toBe(true);
  });

  it('lines of more than LARGE_SERIES points are sampled with LTTB; scatters draw in large mode', () => {
    const many = result(Array.from({ length: 100_000 }, (_, i) => ({ x: i * 86_400_000, revenue: Math.sin(i / 500) * 100 })));
    const line = asAny(buildChartOption(panel({ chart: 'line', x: { type: 'time', grain: 'day' } }), dataset, many));
    expect(line.series[0].sampling).toBe('lttb');
    expect(line.series[0].showSymbol).toBe(false);
    expect(line.series[0].data).toHaveLength(100_000);
    const scatter = asAny(buildChartOption(panel({ chart: 'scatter', x: { type: 'time', grain: 'day' } }), dataset, many));
    expect(scatter.series[0]).toMatchObject({ type: 'scatter', large: true, largeThreshold: LARGE_SERIES });
    const small = asAny(buildChartOption(panel({ chart: 'line', x: { type: 'time', grain: 'day' } }), dataset, result([{ x: 0, revenue: 1 }, { x: 1, revenue: 2 }])));
    expect(small.series[0].sampling).toBeUndefined();
  });

  it('a single point is drawn with its symbol', () => {
    const one = asAny(buildChartOption(panel({ chart: 'line', x: { type: 'time', grain: 'day' } }), dataset, result([{ x: 0, revenue: 1 }])));
    expect(one.series[0].showSymbol).toBe(true);
  });
});

describe('escapeHtml', () => {
  it('escapes the characters that matter in HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

describe('heatmap', () => {
  const heat = panel({ chart: 'heatmap', x: { type: 'time', grain: 'quarter' }, y: { type: 'dimension', dimension: 'region' } });
  const Q3 = Date.UTC(2025, 6, 1);
  const Q4 = Date.UTC(2025, 9, 1);
  const cells = result([
    { x: Q3, y: 'EMEA', revenue: 10, x_rank: 1, y_rank: 1 },
    { x: Q4, y: HOSTILE, revenue: 2500.5, x_rank: 2, y_rank: 2 },
    { x: Q4, y: 'EMEA', revenue: 40, x_rank: 2, y_rank: 1 },
  ]);

  it('draws one cell per row on two category axes, coloured by a visual map of the measure', () => {
    const option = asAny(buildChartOption(heat, dataset, cells));
    expect(option.xAxis).toMatchObject({ type: 'category', data: ['2025-Q3', '2025-Q4'] });
    expect(option.yAxis).toMatchObject({ type: 'category', data: ['EMEA', HOSTILE], inverse: true });
    expect(option.series).toHaveLength(1);
    expect(option.series[0]).toMatchObject({ type: 'heatmap', name: 'Revenue', data: [[0, 0, 10], [1, 1, 2500.5], [1, 0, 40]] });
    expect(option.visualMap).toMatchObject({ min: 10, max: 2500.5 });
  });

  it('escapes member names in the tooltip and formats the value', () => {
    const option = asAny(buildChartOption(heat, dataset, cells));
    const html = option.tooltip.formatter({ dataIndex: 1, marker: '' }) as string;
    expect(html).not.toContain('<img');
    expect(html).toContain('2025-Q4 × &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
    expect(html).toMatch(/Revenue: \$2,500\.50/);
  });

  it('labels a drilled or regrained time axis by the grain drawn, and a flat map still has a range', () => {
    const option = asAny(buildChartOption(heat, dataset, result([{ x: Q4, y: 'EMEA', revenue: 5, x_rank: 1, y_rank: 1 }]), 'month'));
    expect(option.xAxis.data).toEqual(['2025-10']);
    expect(option.visualMap).toMatchObject({ min: 5, max: 6 });
  });
});

describe('time labels by grain', () => {
  it('reads 2025, 2025-Q4, 2025-12 and 2025-12-10', () => {
    const rows = result([{ x: Date.UTC(2025, 11, 1), revenue: 1 }]);
    const label = (grain: string, x = Date.UTC(2025, 11, 1)) => chartCategories(panel({ chart: 'line', x: { type: 'time', grain } }), { ...rows, rows: [{ x, revenue: 1 }] })[0]?.label;
    expect(label('year', Date.UTC(2025, 0, 1))).toBe('2025');
    expect(label('quarter', Date.UTC(2025, 9, 1))).toBe('2025-Q4');
    expect(label('month')).toBe('2025-12');
    expect(label('day', Date.UTC(2025, 11, 10))).toBe('2025-12-10');
    expect(chartCategories(panel({ chart: 'line', x: { type: 'time', grain: 'year' } }), rows, 'month')[0]?.label).toBe('2025-12');
  });
});

describe('anomaly marks', () => {
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
  const daily = result(['2025-12-08', '2025-12-09', '2025-12-10', '2025-12-11'].map((d, i) => ({ x: day(d), revenue: 100 + i, x_other: false })));
  const monthly = result(['2025-10-01', '2025-11-01', '2025-12-01'].map((d) => ({ x: day(d), revenue: 5000, x_other: false })));
  const line = panel({ id: 'daily', chart: 'line', x: { type: 'time', grain: 'day' } });
  const finding = (spans: { from: string; to: string; note: string }[], over: Partial<ChartFinding> = {}): ChartFinding => ({
    checkId: 'dup_orders',
    title: 'Each order once',
    status: 'fail',
    owner: 'orders-team@example.com',
    spans,
    ...over,
  });
  const doubled = finding([{ from: '2025-12-10', to: '2025-12-10', note: '904 repeated order_id values (1,808 rows)' }]);

  it('marks a day on a daily chart as a point on that day, naming the check and its owner', () => {
    const marks = anomalyMarks(line, daily, [doubled]);
    expect(marks).toEqual([
      {
        checkId: 'dup_orders',
        kind: 'point',
        from: 2,
        to: 2,
        fromLabel: '2025-12-10',
        toLabel: '2025-12-10',
        status: 'fail',
        text: 'Each order once — 904 repeated order_id values (1,808 rows) on 2025-12-10 (check dup_orders, owner orders-team@example.com)',
      },
    ]);
    const option = asAny(buildChartOption(line, dataset, daily, undefined, marks));
    expect(option.series[0].markPoint.data).toEqual([
      { coord: [2, 102], checkId: 'dup_orders', texts: [marks[0]?.text], itemStyle: { color: expect.any(String) } },
    ]);
    expect(option.series[0].markArea).toBeUndefined();
    // The tooltip text is data: escaped.
    const hostile = anomalyMarks(line, daily, [finding(doubled.spans, { title: HOSTILE })]);
    const tip = asAny(buildChartOption(line, dataset, daily, undefined, hostile)).series[0].markPoint.tooltip.formatter({ data: { texts: [hostile[0]?.text] } });
    expect(tip).not.toContain('<img');
    expect(tip).toContain('&lt;img');
  });

  it('marks the month of a day on a monthly chart, and the chart\'s grain when drilled to another', () => {
    const month = panel({ chart: 'bar', x: { type: 'time', grain: 'month' } });
    const marks = anomalyMarks(month, monthly, [finding([...doubled.spans, { from: '2025-12-20', to: '2025-12-20', note: 'the daily row count 10' }])]);
    expect(marks.map((m) => [m.kind, m.from, m.fromLabel])).toEqual([['point', 2, '2025-12']]);
    expect(marks[0]?.text).toBe(
      'Each order once — 904 repeated order_id values (1,808 rows) on 2025-12-10; the daily row count 10 on 2025-12-20 (check dup_orders, owner orders-team@example.com)',
    );
    // A monthly panel drilled to days draws days: the day is marked, not its month.
    expect(anomalyMarks(month, daily, [doubled], 'day').map((m) => m.fromLabel)).toEqual(['2025-12-10']);
  });

  it('marks a week bucket over several days as an area, and a warning in another colour', () => {
    const week = finding([{ from: '2025-12-08', to: '2025-12-14', note: 'amount NULL on 30.0% of rows, usually 1.0%' }], { status: 'warn', owner: null, checkId: 'nulls' });
    const marks = anomalyMarks(line, daily, [week, doubled]);
    expect(marks.map((m) => [m.checkId, m.kind, m.from, m.to])).toEqual([
      ['nulls', 'area', 0, 3],
      ['dup_orders', 'point', 2, 2],
    ]);
    expect(marks[0]?.text).toBe('Each order once — amount NULL on 30.0% of rows, usually 1.0% on 2025-12-08 – 2025-12-14 (check nulls)');
    const option = asAny(buildChartOption(line, dataset, daily, undefined, marks));
    expect(option.series[0].markArea.data).toEqual([[expect.objectContaining({ xAxis: 0, checkId: 'nulls' }), { xAxis: 3 }]]);
    expect(option.series[0].markArea.data[0][0].itemStyle.color).not.toBe(option.series[0].markPoint.data[0].itemStyle.color);
  });

  it('a week on a weekly chart is one point: buckets start on Monday, as date_trunc', () => {
    const weekly = result(['2025-12-01', '2025-12-08', '2025-12-15'].map((d) => ({ x: day(d), revenue: 1, x_other: false })));
    const weekPanel = panel({ chart: 'line', x: { type: 'time', grain: 'week' } });
    // 2025-12-14 is a Sunday: the week of Monday 2025-12-08.
    expect(anomalyMarks(weekPanel, weekly, [finding([{ from: '2025-12-14', to: '2025-12-14', note: 'n' }])]).map((m) => [m.kind, m.from])).toEqual([['point', 1]]);
    expect(anomalyMarks(weekPanel, weekly, [finding([{ from: '2025-12-08', to: '2025-12-14', note: 'n' }])]).map((m) => [m.kind, m.from])).toEqual([['point', 1]]);
  });

  it('two checks on one day share one pin, the failure first and in its colour, with both texts', () => {
    const jump = finding([{ from: '2025-12-10', to: '2025-12-10', note: 'the daily total of amount 200' }], { checkId: 'jump', title: 'Jumps', status: 'warn' });
    const marks = anomalyMarks(line, daily, [jump, doubled]);
    expect(marks.map((m) => m.checkId)).toEqual(['jump', 'dup_orders']);
    const option = asAny(buildChartOption(line, dataset, daily, undefined, marks));
    expect(option.series[0].markPoint.data).toHaveLength(1);
    const pin = option.series[0].markPoint.data[0];
    expect(pin.checkId).toBe('dup_orders');
    expect(pin.texts).toEqual([marks[1]?.text, marks[0]?.text]);
    expect(option.series[0].markPoint.tooltip.formatter({ data: pin })).toBe(`${escapeHtml(marks[1]?.text ?? '')}<br/>${escapeHtml(marks[0]?.text ?? '')}`);
  });

  it('leaves out days outside the chart, dimension charts and pies', () => {
    expect(anomalyMarks(line, daily, [finding([{ from: '2024-01-01', to: '2024-01-01', note: 'n' }])])).toEqual([]);
    expect(anomalyMarks(panel({}), result([{ x: 'EMEA', revenue: 1, x_other: false }]), [doubled])).toEqual([]);
    expect(anomalyMarks(panel({ chart: 'pie', x: { type: 'time', grain: 'day' } }), daily, [doubled])).toEqual([]);
    expect(asAny(buildChartOption(line, dataset, daily)).series[0].markPoint).toBeUndefined();
  });

  it('shows the failing checks of the chart\'s dataset that judge by its time column or guard it', () => {
    const check = (id: string, over: Record<string, unknown> = {}) => Check.parse({ id, title: id, dataset: 'orders', rule: 'duplicate_key', ...over });
    const res = (id: string, over: Partial<CheckResult> = {}): CheckResult => ({
      id, title: id, rule: 'duplicate_key', severity: 'error', status: 'fail', observed: 1, expected: '', owner: null, examples: [], message: '',
      affected: { timeColumn: 'order_ts', spans: doubled.spans }, ...over,
    });
    const checks = [check('same_time'), check('other_time'), check('guarding', { guards: ['daily'] }), check('passing'), check('elsewhere', { dataset: 'visits' }), check('no_days')];
    const results = [
      res('same_time'),
      res('other_time', { affected: { timeColumn: 'shipped_ts', spans: doubled.spans } }),
      res('guarding', { status: 'warn', affected: { timeColumn: 'shipped_ts', spans: doubled.spans } }),
      res('passing', { status: 'pass' }),
      res('elsewhere'),
      res('no_days', { affected: undefined }),
    ];
    expect(chartFindings(line, dataset, checks, results).map((f) => [f.checkId, f.status])).toEqual([
      ['same_time', 'fail'],
      ['guarding', 'warn'],
    ]);
    expect(chartFindings(panel({}), dataset, checks, results)).toEqual([]);
  });
});
