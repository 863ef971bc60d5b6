// Chart images. PNG comes from the chart on screen (what the user sees, at twice its pixel size);
// SVG is the same option drawn once more by ECharts' SVG renderer in server-side mode, off screen.
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import type { ImageSize } from './chart-size';

export { chartSize, dataUrlToBlob, type ImageSize } from './chart-size';

// Every series type buildChartOption can produce, so an export never meets an unregistered one.
echarts.use([LineChart, BarChart, PieChart, ScatterChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, VisualMapComponent, SVGRenderer]);

/** Exports have a white background, whatever the page behind the chart is. */
export const EXPORT_BACKGROUND = '#ffffff';
/** The size of an SVG when there is no chart on screen to measure. */
export const DEFAULT_SVG_SIZE = { width: 800, height: 450 };


/** The chart on screen as PNG data, at pixel ratio 2 on white. */
export function chartPngDataUrl(chart: echarts.ECharts): string {
  if (chart.isDisposed()) throw new Error('the chart is no longer on screen');
  return chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: EXPORT_BACKGROUND });
}

/** An option drawn as a standalone SVG document; the off-screen instance is always disposed. */
export function renderChartSvg(option: EChartsCoreOption, size: ImageSize = DEFAULT_SVG_SIZE): string {
  const width = Math.max(1, Math.round(size.width));
  const height = Math.max(1, Math.round(size.height));
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false, backgroundColor: EXPORT_BACKGROUND });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

