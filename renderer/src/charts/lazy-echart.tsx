// Charts load ECharts when the first one is drawn, not with the UI: opening a dashboard parses about
// a third less code before its first query, and ECharts arrives while the data loads.
// (`preloadECharts` starts that load earlier, when a dashboard with charts opens.) Not React.lazy:
// a lazy component suspends on its first render even when its module is already loaded, and React
// holds a suspended chart's fallback for a while (hundreds of ms on a busy machine) before showing it.
import { useEffect, useState, type ComponentProps } from 'react';
import type { EChart as LoadedEChart } from './echart';

export type { ChartPoint } from './echart';

type EChartModule = typeof import('./echart');
let loaded: EChartModule | null = null;
let loading: Promise<EChartModule> | null = null;

/** Load ECharts (once); charts rendered after it arrived draw at once. */
export function preloadECharts(): Promise<EChartModule> {
  loading ??= import('./echart').then(
    (m) => (loaded = m),
    (err: unknown) => {
      // A failed chunk load (an update replaced the files) may succeed on the next try.
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The chart component of `echart.tsx`, loaded on first use (an empty chart box until then). */
export function EChart(props: ComponentProps<typeof LoadedEChart>) {
  const [module, setModule] = useState<EChartModule | null>(loaded);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    if (module) return;
    let live = true;
    preloadECharts().then(
      (m) => live && setModule(m),
      (err: unknown) => live && setFailed(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [module]);
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
