// The first stage of ECharts' load (lazy-echart.tsx): ECharts' core and zrender, evaluated in a
// task of their own before the chart types and components (echart.tsx), which were one module graph
// of 10–12 ms of work with them. A touch of one function keeps the bundler from dropping the import.
import { use } from 'echarts/core';

export const echartsCoreLoaded = typeof use === 'function';
