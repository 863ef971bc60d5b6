// What panel menus need to know about chart exports before the user picks one, without loading
// ECharts' SVG renderer (chart-image.ts), which loads only when an export runs.
import type * as echarts from 'echarts/core';

export interface ImageSize {
  width: number;
  height: number;
}

/** The size of a chart on screen, or null when there is none to measure. */
export function chartSize(chart: echarts.ECharts | null | undefined): ImageSize | null {
  if (!chart || chart.isDisposed()) return null;
  const width = chart.getWidth();
  const height = chart.getHeight();
  return width > 0 && height > 0 ? { width, height } : null;
}

/** A `data:` URL (as getDataURL returns) as a Blob, without fetch (the CSP limits connect-src). */
export function dataUrlToBlob(dataUrl: string): Blob {
  const match = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(dataUrl);
  if (!match) throw new Error('not a data URL');
  const [, mime = 'application/octet-stream', base64, payload = ''] = match;
  if (!base64) return new Blob([decodeURIComponent(payload)], { type: mime });
  const binary = atob(payload);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: mime });
}
