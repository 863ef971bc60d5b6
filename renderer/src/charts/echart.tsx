// One owner per chart (Evidence `echarts.action.ts` style): init once, resize with the box,
// replace options wholesale, check isDisposed() before deferred work, dispose on unmount.
import { useEffect, useLayoutEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, MarkPointComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { chartOptionFor, useReducedMotion, useTheme } from '../theme';
import { queueChartWork, type ChartJob } from './chart-work';
import { warmUpCharts as warmUp } from './warm-up';

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  ScatterChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  VisualMapComponent,
  MarkPointComponent,
  MarkAreaComponent,
  CanvasRenderer,
]);

/** Run ECharts' code once on charts nobody sees, before the first real one (warm-up.ts). */
export const warmUpCharts = () => warmUp(echarts);

// Each chart instance gets a number (`data-chart-instance`): tests tell a chart updated in place
// from one disposed and made again.
let instancesMade = 0;

/** A clicked data point: its row in the result, and where on the chart it was clicked. */
export interface ChartPoint {
  dataIndex: number;
  x: number;
  y: number;
}

export function EChart({
  option,
  onDrawn,
  onPointClick,
  onInstance,
  onMarkClick,
  marks,
  label,
}: {
  option: EChartsCoreOption;
  /** A click on an anomaly mark (markPoint / markArea), with the id of the check it shows. */
  onMarkClick?: (checkId: string) => void;
  /** The anomaly marks drawn, as data for tests (`data-anomaly-marks`); never shown. */
  marks?: string;
  onDrawn?: () => void;
  onPointClick?: (point: ChartPoint) => void;
  /** Receives the instance after init and null on dispose (for exports). */
  onInstance?: (chart: echarts.ECharts | null) => void;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Theme only: ECharts' own dark theme on a transparent background (the panel shows through),
  // and no animation when the OS asks for less motion.
  const theme = useTheme();
  const reducedMotion = useReducedMotion();
  const chart = useRef<echarts.ECharts | null>(null);
  // What the next draw draws: read when its queued job runs, so a job queued for an older option
  // draws the newest one, and one job per chart is enough. Set on commit (a render React drops,
  // such as an interrupted transition, must not reach the chart).
  const latest = useRef({ option, theme, reducedMotion });
  useLayoutEffect(() => {
    latest.current = { option, theme, reducedMotion };
  });
  const appliedTheme = useRef<typeof theme | null>(null);
  const drawJob = useRef<ChartJob | null>(null);
  const drawnCallback = useRef(onDrawn);
  drawnCallback.current = onDrawn;
  const clickCallback = useRef(onPointClick);
  clickCallback.current = onPointClick;
  const instanceCallback = useRef(onInstance);
  instanceCallback.current = onInstance;
  const markCallback = useRef(onMarkClick);
  markCallback.current = onMarkClick;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // The instance is made in a queued job (chart-work.ts), like every draw; the first draw's job
    // comes after it.
    let stop = () => {};
    // The page's first chart, and no warm-up ran (a re-open drawing its stored results: the engine
    // has not started): the warm-up's first steps go first, each in a task of its own. Without them
    // the first draw was one task of ~31 ms of work, 50 ms long in 2 of 14 re-opens at 5M rows.
    warmUp(echarts, { first: true });
    const initJob = queueChartWork(() => {
      stop = initChart(el);
    });
    return () => {
      initJob.cancelled = true;
      if (drawJob.current) drawJob.current.cancelled = true;
      drawJob.current = null;
      stop();
    };
  }, []);

  function initChart(el: HTMLDivElement): () => void {
    const initialTheme = latest.current.theme;
    const instance = echarts.init(el, initialTheme === 'dark' ? 'dark' : undefined, { renderer: 'canvas' });
    appliedTheme.current = initialTheme;
    chart.current = instance;
    instancesMade += 1;
    el.dataset.chartInstance = String(instancesMade);
    const onFinished = () => drawnCallback.current?.();
    instance.on('finished', onFinished);
    // Pies report the clicked slice; axis charts take the category under the pointer anywhere in
    // the plot, so thin lines and small bars are as easy to click as big ones.
    // Heatmaps too report the clicked cell: it is two categories, one of each axis.
    const isAxisChart = () => {
      const option = instance.getOption() as { xAxis?: unknown[]; series?: { type?: string }[] };
      return Array.isArray(option.xAxis) && option.series?.[0]?.type !== 'heatmap';
    };
    // A click on a mark opens its finding and must not also drill into the category under it.
    let markClicked = false;
    const onClick = (params: { componentType?: string; data?: unknown; dataIndex?: number; event?: { offsetX?: number; offsetY?: number } }) => {
      if (params.componentType === 'markPoint' || params.componentType === 'markArea') {
        const checkId = (params.data as { checkId?: unknown } | undefined)?.checkId;
        if (typeof checkId === 'string') {
          markClicked = true;
          markCallback.current?.(checkId);
        }
        return;
      }
      if (isAxisChart() || typeof params.dataIndex !== 'number') return;
      clickCallback.current?.({ dataIndex: params.dataIndex, x: params.event?.offsetX ?? 0, y: params.event?.offsetY ?? 0 });
    };
    instance.on('click', onClick);
    const onPlotClick = (e: { offsetX: number; offsetY: number }) => {
      // ECharts runs its own click handler (the one that reports a mark) last for the same pointer
      // event: decide after it, so a click on a mark opens its finding and does not also drill.
      markClicked = false;
      queueMicrotask(() => {
        if (!markClicked) onPlotPoint(e);
        markClicked = false;
      });
    };
    const onPlotPoint = (e: { offsetX: number; offsetY: number }) => {
      if (instance.isDisposed() || !isAxisChart() || !instance.containPixel('grid', [e.offsetX, e.offsetY])) return;
      const yAxes = (instance.getOption() as { yAxis?: { type?: string }[] }).yAxis;
      const horizontal = yAxes?.[0]?.type === 'category';
      const v: unknown = horizontal ? instance.convertFromPixel({ yAxisIndex: 0 }, e.offsetY) : instance.convertFromPixel({ xAxisIndex: 0 }, e.offsetX);
      const index = Math.round(Number(Array.isArray(v) ? v[0] : v));
      if (Number.isFinite(index) && index >= 0) clickCallback.current?.({ dataIndex: index, x: e.offsetX, y: e.offsetY });
    };
    instance.getZr().on('click', onPlotClick);
    instanceCallback.current?.(instance);
    // Resizes are queued too (a window resize reaches every chart at once). The observer's first
    // report, at the size the instance was made at, is not a resize.
    let resizeJob: ChartJob | null = null;
    const observer = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]?.contentRect;
      if (instance.isDisposed() || resizeJob || (box && Math.round(box.width) === instance.getWidth() && Math.round(box.height) === instance.getHeight())) return;
      resizeJob = queueChartWork(() => {
        resizeJob = null;
        // A draw queued before this job may have drawn at the new size already (it checks the box).
        if (!instance.isDisposed() && !sameSize(el, instance)) instance.resize();
      });
    });
    observer.observe(el);
    // Printing lays the page out again at the paper's width without a resize event (and a
    // ResizeObserver only runs after the print): redraw at the printed size now, and back after.
    const printing = window.matchMedia('print');
    const onPrintChange = () => {
      if (instance.isDisposed()) return;
      instance.resize();
      instance.getZr().flush();
    };
    printing.addEventListener('change', onPrintChange);
    return () => {
      if (resizeJob) resizeJob.cancelled = true;
      printing.removeEventListener('change', onPrintChange);
      observer.disconnect();
      instance.off('finished', onFinished);
      instance.off('click', onClick);
      instance.getZr().off('click', onPlotClick);
      instanceCallback.current?.(null);
      instance.dispose();
      chart.current = null;
    };
  }

  // A new option, theme or motion setting: one queued draw (after the instance's job on a new chart).
  useEffect(() => {
    if (drawJob.current && !drawJob.current.cancelled) return;
    drawJob.current = queueChartWork(() => {
      drawJob.current = null;
      const instance = chart.current;
      if (!instance || instance.isDisposed()) return;
      const { option: next, theme: nextTheme, reducedMotion: still } = latest.current;
      if (nextTheme !== appliedTheme.current) {
        appliedTheme.current = nextTheme;
        instance.setTheme(nextTheme === 'dark' ? 'dark' : 'default');
      }
      // The box changed with the option (a drill adds the breadcrumbs above the chart): one layout
      // at the new size. Drawn first and resized after (when the observer reports it), the chart
      // was laid out twice: 10 ms more per drill at 5M rows.
      const el = box.current;
      const resized = el !== null && !sameSize(el, instance);
      instance.setOption({ backgroundColor: 'transparent', ...chartOptionFor(next, nextTheme), ...(still ? { animation: false } : {}) }, { notMerge: true, lazyUpdate: resized });
      if (resized) instance.resize();
    });
  }, [option, reducedMotion, theme]);

  return <div className="chart" ref={box} role="img" aria-label={label} data-anomaly-marks={marks} />;
}

/** Whether the chart is drawn at its box's size (the box's layout is read, and made if it is stale). */
function sameSize(el: HTMLElement, instance: echarts.ECharts): boolean {
  return el.clientWidth === instance.getWidth() && el.clientHeight === instance.getHeight();
}
