// Text in a font style (family, size, weight) that the page has not laid out before makes Chromium on
// Linux ask the browser process for that strike's render style, synchronously, inside the layout
// (`WebSandboxSupportLinux::GetWebFontRenderStyleForStrike`). Traced in cold opens at 1M rows: ~18
// such calls per open, most 0.2–11 ms; but the one made when the checks' summary first showed its
// 600 14px text, 1.2 s after the dashboard was drawn, waited 101 ms in one open of three, and the
// frame that laid it out was that open's longest task (117 ms, 7 ms of it work).
//
// So once the dashboard is drawn, every size and weight of the app's style sheets is laid out in a
// hidden box, one style per task, so no task waits for more than one such call; a style the page
// has already used is answered from the page's font cache, without a call. Found by walking the
// demo's states: those first shown after the first render are the checks' summary (600 14px), a
// chart's tooltip (ECharts' own 14px sans-serif), the palette's input (15px) and shortcuts (12px
// monospace), and the "Why did this move?" dialog (700 16px, 600 15px).

/** A font style: `family` 'ui' is the page's own (UI_FAMILY), 'mono' the one code and shortcuts use. */
interface FontStyle {
  weight: number;
  sizePx: number;
  family: 'ui' | 'mono' | 'sans-serif';
}

/** Every `font-size` of the style sheets (font-warm-up.test.ts checks that none is missing). */
export const STYLE_SIZES_PX: readonly number[] = [11, 12, 13, 14, 15, 16, 18, 20, 28];
/** Every `font-weight` of the style sheets, and the normal one. */
export const STYLE_WEIGHTS: readonly number[] = [400, 600, 650, 700];

export const LATE_FONTS: readonly FontStyle[] = [
  ...STYLE_SIZES_PX.flatMap((sizePx) => STYLE_WEIGHTS.map((weight) => ({ weight, sizePx, family: 'ui' as const }))),
  // Shortcuts and code.
  { weight: 400, sizePx: 12, family: 'mono' },
  // ECharts' tooltips and labels, in its own default font.
  { weight: 400, sizePx: 12, family: 'sans-serif' },
  { weight: 400, sizePx: 14, family: 'sans-serif' },
];

/**
 * What each style lays out: letters, figures, and the symbols the page shows (the checks' ✓ ✗ ⚠
 * come only with their results). A symbol the page's font lacks is drawn in a fallback font, a
 * strike of its own: traced in loaded e2e runs, the checks' results asked for one when they came
 * in after this warm-up.
 */
export const SAMPLE = 'Ag 0.9% ✓✗⚠✕→↑↓…–−·×±∅•⋯✎▾›⇧⌘☑☾✦';

/** The page's font (styles.css's `:root`; the style sheet may not be loaded yet when this runs). */
export const UI_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const MONO = 'ui-monospace, SFMono-Regular, Menlo, monospace';

let started = false;

/**
 * Lay out each style of LATE_FONTS once, each in a task of its own (once per page); then the box
 * goes and the mark `northstar:fonts-warmed` says so (for the tests and the benchmark).
 */
export function warmFontStrikes(): void {
  if (started) return;
  started = true;
  const box = document.createElement('div');
  box.setAttribute('aria-hidden', 'true');
  // Off-screen and invisible; `contain` keeps its own layout from touching the page's.
  box.style.cssText = 'position:fixed;left:-10000px;top:0;width:400px;height:40px;overflow:hidden;visibility:hidden;contain:strict;pointer-events:none;';
  document.body.append(box);
  const step = (i: number) => {
    const face = LATE_FONTS[i];
    if (!face) {
      box.remove();
      performance.mark('northstar:fonts-warmed');
      return;
    }
    const span = document.createElement('span');
    span.textContent = SAMPLE;
    span.style.font = `${face.weight} ${face.sizePx}px ${face.family === 'ui' ? UI_FAMILY : face.family === 'mono' ? MONO : 'sans-serif'}`;
    box.append(span);
    // Reading its width lays it out now, in this task.
    void span.getBoundingClientRect().width;
    setTimeout(() => step(i + 1), 0);
  };
  setTimeout(() => step(0), 0);
}
