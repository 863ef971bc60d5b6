// ECharts options built from our own typed panel spec. Never from raw option JSON in a file, and
// no HTML formatters: labels are formatted as plain text here.
import type { EChartsCoreOption } from 'echarts/core';
import type { ChartPanel, Dataset } from '../../../dashboards/schema';
import type { QueryResult } from '../../../queries/engine/engine';
import { formatAxis, formatMeasure, formatTimestamp } from '../format';

const PALETTE = ['#3b6fd8', '#e07b39', '#3aa57a', '#b5487b', '#7a5cc8', '#c9a227', '#2f9bb3', '#8a8f99'];
const GRID_LINE = { lineStyle: { color: '#eceef2' } };

/** Build the option for a chart panel from its query result. */
export function buildChartOption(panel: ChartPanel, dataset: Dataset, result: QueryResult): EChartsCoreOption {
  const measures = panel.measures.map((name) => dataset.measures.find((m) => m.name === name)).filter((m) => m !== undefined);
  const format = measures[0]?.format ?? 'number';
  const axisValue = (v: number) => formatAxis(v, format);
  const isTime = panel.x.type === 'time';
  const labels = result.rows.map((r) => (typeof r.x === 'number' && isTime ? formatTimestamp(r.x, false) : r.x === null ? '(null)' : String(r.x)));
  const values = (name: string) => result.rows.map((r) => (typeof r[name] === 'number' ? (r[name] as number) : null));
  const tooltipValue = (v: unknown) => (typeof v === 'number' ? formatMeasure(v, format, false) : '–');
  const common = {
    animation: false,
    color: PALETTE,
    grid: { left: 12, right: 16, top: measures.length > 1 ? 28 : 12, bottom: 8, containLabel: true },
    legend: measures.length > 1 ? { top: 0, data: measures.map((m) => m.label ?? m.name) } : undefined,
  };

  if (panel.chart === 'pie') {
    const m = measures[0];
    return {
      ...common,
      tooltip: { trigger: 'item', valueFormatter: tooltipValue },
      series: [
        {
          name: m?.label ?? m?.name ?? '',
          type: 'pie',
          radius: ['40%', '72%'],
          data: labels.map((name, i) => ({ name, value: m ? values(m.name)[i] : null })),
          label: { overflow: 'truncate', width: 110 },
        },
      ],
    };
  }

  const horizontal = panel.chart === 'horizontal_bar';
  const seriesType = panel.chart === 'line' || panel.chart === 'area' ? 'line' : panel.chart === 'scatter' ? 'scatter' : 'bar';
  const series = measures.map((m) => ({
    name: m.label ?? m.name,
    type: seriesType,
    data: values(m.name),
    showSymbol: false,
    barMaxWidth: 28,
    ...(panel.chart === 'stacked_bar' ? { stack: 'total' } : {}),
    ...(panel.chart === 'area' ? { areaStyle: { opacity: 0.25 } } : panel.chart === 'line' ? { areaStyle: { opacity: 0.06 } } : {}),
  }));
  const tooltip = { trigger: 'axis', axisPointer: { type: isTime && !horizontal ? 'line' : 'shadow' }, valueFormatter: tooltipValue };
  const category = { type: 'category', data: labels, boundaryGap: seriesType !== 'line', axisLabel: { hideOverlap: true } };
  const value = { type: 'value', axisLabel: { formatter: axisValue, hideOverlap: true }, splitLine: GRID_LINE };
  if (horizontal) {
    // Long category names stay readable on the vertical axis, biggest first.
    return {
      ...common,
      tooltip,
      xAxis: value,
      yAxis: { ...category, inverse: true, axisLabel: { width: 130, overflow: 'truncate' } },
      series,
    };
  }
  return { ...common, tooltip, xAxis: category, yAxis: value, series };
}
