// Charts load ECharts when the first one is drawn, not with the UI: opening a dashboard parses about
// a third less code before its first query, and ECharts arrives while the data loads.
// (`preloadECharts` starts that load earlier, when a dashboard with charts opens.)
import type { ComponentProps } from 'react';
import type { EChart as LoadedEChart } from './echart';
import { lazyModule, useLazyModule } from '../lazy-module';

export type { ChartPoint } from './echart';

const echartModule = lazyModule(() => import('./echart'));

/** Load ECharts (once); charts rendered after it arrived draw at once. */
export const preloadECharts = () => echartModule.preload();

/** The chart component of `echart.tsx`, loaded on first use (an empty chart box until then). */
export function EChart(props: ComponentProps<typeof LoadedEChart>) {
  const { module, failed } = useLazyModule(echartModule);
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
