// ECharts options built from our own typed panel spec. Never from raw option JSON in a file, and
// no HTML formatters: labels are formatted as plain text here.
import type { EChartsCoreOption } from 'echarts/core';
import type { ChartPanel, Dataset } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import { formatMeasure, formatTimestamp } from '../format';

const PALETTE = ['#3b6fd8', '#e07b39', '#3aa57a', '#b5487b', '#7a5cc8', '#c9a227', '#2f9bb3', '#8a8f99'];

/** Build the option for a chart panel from its query result. */
export function buildChartOption(panel: ChartPanel, dataset: Dataset, result: QueryResult): EChartsCoreOption {
  const measures = panel.measures.map((name) => dataset.measures.find((m) => m.name === name)).filter((m) => m !== undefined);
  const format = measures[0]?.format ?? 'number';
  const axisValue = (v: number) => formatMeasure(v, format);
  const isTime = panel.x.type === 'time';
  const xs = result.rows.map((r) => r.x);
  const common = {
    animation: false,
    color: PALETTE,
    useUTC: true,
    grid: { left: 12, right: 16, top: measures.length > 1 ? 28 : 12, bottom: 8, containLabel: true },
    legend: measures.length > 1 ? { top: 0, data: measures.map((m) => m.label ?? m.name) } : undefined,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: isTime ? 'line' : 'shadow' },
      valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMeasure(v, format, false) : '–'),
    },
  };
  const series = measures.map((m) => ({
    name: m.label ?? m.name,
    type: panel.chart,
    data: result.rows.map((r) => {
      const v = r[m.name];
      return typeof v === 'number' ? v : null;
    }),
    showSymbol: false,
    smooth: false,
    barMaxWidth: 28,
  }));
  if (panel.chart === 'bar' && !isTime) {
    // Horizontal bars: long category names stay readable.
    const labels = xs.map((x) => (x === null ? '(null)' : String(x)));
    return {
      ...common,
      grid: { ...common.grid, left: 8 },
      xAxis: { type: 'value', axisLabel: { formatter: axisValue }, splitLine: { lineStyle: { color: '#eceef2' } } },
      yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { width: 130, overflow: 'truncate' } },
      series,
    };
  }
  const labels = xs.map((x) => (typeof x === 'number' ? formatTimestamp(x, false) : x === null ? '(null)' : String(x)));
  return {
    ...common,
    xAxis: { type: 'category', data: labels, boundaryGap: panel.chart === 'bar', axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', axisLabel: { formatter: axisValue }, splitLine: { lineStyle: { color: '#eceef2' } } },
    series: series.map((s) => ({ ...s, areaStyle: panel.chart === 'line' ? { opacity: 0.08 } : undefined })),
  };
}
