// One owner per chart (Evidence `echarts.action.ts` style): init once, resize with the box,
// replace options wholesale, check isDisposed() before deferred work, dispose on unmount.
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export function EChart({ option, onDrawn, label }: { option: EChartsCoreOption; onDrawn?: () => void; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const drawnCallback = useRef(onDrawn);
  drawnCallback.current = onDrawn;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const instance = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const onFinished = () => drawnCallback.current?.();
    instance.on('finished', onFinished);
    const observer = new ResizeObserver(() => {
      if (!instance.isDisposed()) instance.resize();
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      instance.off('finished', onFinished);
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = chart.current;
    if (instance && !instance.isDisposed()) instance.setOption(option, { notMerge: true });
  }, [option]);

  return <div className="chart" ref={box} role="img" aria-label={label} />;
}
