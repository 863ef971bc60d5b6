// Charts load ECharts when the first one is drawn, not with the UI: opening a dashboard parses about
// a third less code before its first query, and ECharts arrives while the data loads.
import { lazy, Suspense, type ComponentProps } from 'react';
import type { EChart as LoadedEChart } from './echart';

export type { ChartPoint } from './echart';

const Loaded = lazy(() => import('./echart').then((m) => ({ default: m.EChart })));

/** The chart component of `echart.tsx`, loaded on first use (an empty chart box until then). */
export function EChart(props: ComponentProps<typeof LoadedEChart>) {
  return (
    <Suspense fallback={<div className="chart-pending" aria-busy="true" />}>
      <Loaded {...props} />
    </Suspense>
  );
}
