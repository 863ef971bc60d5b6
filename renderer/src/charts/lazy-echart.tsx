// Charts load ECharts when the first one is drawn, not with the UI: opening a dashboard parses about
// a third less code before its first query, and ECharts arrives while the data loads.
// (`preloadECharts` starts that load earlier, when a dashboard with charts opens.)
import { useEffect, type ComponentProps } from 'react';
import type { EChart as LoadedEChart } from './echart';
import { lazyModule, useLazyModule } from '../lazy-module';
import { engineStartSettled } from '../engine';

export type { ChartPoint } from './echart';

// Charts mounted and waiting for ECharts. None when it arrives (a cold open: no data yet): it warms
// up in the meantime (warm-up.ts), once the engine has started (engine.ts, `engineStartSettled`).
// Some (a re-open drawing its stored results): they draw at once, after the warm-up's first steps
// (echart.tsx).
let waiting = 0;
const echartModule = lazyModule(async () => {
  // In two stages, each evaluated in a task of its own (echarts-core-stage.ts).
  await import('./echarts-core-stage');
  const m = await import('./echart');
  // For the benchmark's timeline: when ECharts arrived, and how many charts waited for it.
  performance.mark('northstar:echarts-in', { detail: { waiting } });
  if (waiting === 0) void engineStartSettled().then(() => m.warmUpCharts());
  return m;
});

/** Load ECharts (once); charts rendered after it arrived draw at once. */
export const preloadECharts = () => echartModule.preload();

/** The chart component of `echart.tsx`, loaded on first use (an empty chart box until then). */
export function EChart(props: ComponentProps<typeof LoadedEChart>) {
  const { module, failed } = useLazyModule(echartModule);
  const pending = !module && !failed;
  useEffect(() => {
    if (!pending) return;
    waiting += 1;
    return () => {
      waiting -= 1;
    };
  }, [pending]);
  if (failed) {
    return (
      <div className="panel-error" role="alert">
        The chart library could not be loaded ({failed}). Reload the window to try again.
      </div>
    );
  }
  if (!module) return <div className="chart-pending" aria-busy="true" />;
  const Chart = module.EChart;
  return <Chart {...props} />;
}
