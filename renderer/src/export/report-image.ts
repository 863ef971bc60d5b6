// "Save as PNG…": the whole dashboard as one image, drawn in the page from its own DOM (SVG
// foreignObject via html-to-image), so it works the same in Electron and in the browser host and
// needs no host method. It leaves out what print.css leaves out of the printed report: controls,
// menus, dialogs and drawers. Chart canvases are copied as bitmaps.
import { toCanvas } from 'html-to-image';

/** Elements that are controls, not report content (mirrors print.css). */
const OMIT_SELECTOR = [
  '.topbar .brand',
  '.topbar .actions',
  '.topbar button',
  '.filter-bar > :not(.chip)',
  '.filter-bar:not(:has(.chip))',
  '.filter-bar .chip button',
  "[data-testid='notice']",
  '.banner button',
  '.drawer',
  '.dialog-backdrop',
  '.popover',
  '.chart-menu',
  '.edit-toolbar',
  "[role='menu']",
  "[role='dialog']",
  '.panel-head button',
  '.panel-title button',
  '.table-pager',
  '.kpi-why',
  '.print-only',
  '[data-report="omit"]',
].join(', ');

/** Browsers refuse canvases taller or wider than this (Chromium: 32,767 px; keep a margin). */
const MAX_CANVAS_SIDE = 16_000;

/** Whether a node of the page belongs in the report image. */
export function inReport(node: Node): boolean {
  if (!(node instanceof Element)) return true;
  return !node.matches(OMIT_SELECTOR);
}

/** Pixel ratio for a sharp image that stays within the browser's canvas limit. */
export function reportPixelRatio(width: number, height: number, deviceRatio: number): number {
  const wanted = Math.min(2, Math.max(1, deviceRatio));
  const fits = MAX_CANVAS_SIDE / Math.max(width, height, 1);
  return Math.max(0.25, Math.min(wanted, fits));
}

/** Draw `root` (the whole app, scrolled or not) into a PNG, with "Exported … UTC" at the top right. */
export async function dashboardReportPng(root: HTMLElement, stamp: string): Promise<Blob> {
  const width = root.scrollWidth;
  const height = root.scrollHeight;
  const background = getComputedStyle(document.documentElement).getPropertyValue('--bg').trim() || '#ffffff';
  const canvas = await toCanvas(root, {
    width,
    height,
    backgroundColor: background,
    pixelRatio: reportPixelRatio(width, height, window.devicePixelRatio || 1),
    filter: inReport,
    // Every style and font the page uses is already same-origin: nothing to fetch.
    skipFonts: true,
  });
  const ctx = canvas.getContext('2d');
  if (ctx) {
    const scale = canvas.width / width;
    ctx.save();
    ctx.scale(scale, scale);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#6b7385';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(stamp, width - 20, 14);
    ctx.restore();
  }
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error(`The report image (${canvas.width}×${canvas.height} px) could not be encoded as PNG.`);
  return blob;
}
