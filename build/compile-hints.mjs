// V8's explicit compile hint (Chromium 136 and later, so Electron 45 and Debian's Chromium): a file
// that begins with this comment has all its functions compiled as it loads, on a background thread,
// instead of each one on the page's thread the first time it is called.
//
// Given to ECharts' chunks only (renderer/vite.config.ts). Measured in cold opens at 5M rows, five
// interleaved pairs: the warm-up's steps (renderer/src/charts/warm-up.ts), ECharts' code run for the
// first time, took at most 22–41 ms each with the hint and 35–60 ms without; tasks over 50 ms while
// the panels drew: none in five opens, against three in five. A script runs only once it is
// compiled whole: a re-open, which needs ECharts as soon as its stored results arrive, preloads these
// chunks at its boot (renderer/src/main.tsx `preloadCharts`). Given to every chunk of the open
// (React, the app, the schemas), the eager compiles (~0.6 s of a background thread) held the
// modules' evaluation back: a re-open was no faster, and its first tasks were longer.

export const COMPILE_HINT = '//# allFunctionsCalledOnLoad\n';

/** Modules whose functions the open calls for the most part: ECharts and its renderer. */
const EAGER_MODULE = /[\\/]node_modules[\\/](?:echarts|zrender)[\\/]/;

/** Whether a chunk is mostly (by its rendered code) ECharts' modules. */
export function eagerChunk(modules) {
  let eager = 0;
  let all = 0;
  for (const [id, m] of Object.entries(modules)) {
    all += m.renderedLength;
    if (EAGER_MODULE.test(id)) eager += m.renderedLength;
  }
  return all > 0 && eager * 2 >= all;
}

/** A Vite plugin: the compile hint at the top of ECharts' chunks, after minification (which drops comments). */
export function compileHints() {
  return {
    name: 'northstar-compile-hints',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) {
        if (output.type === 'chunk' && eagerChunk(output.modules) && !output.code.startsWith(COMPILE_HINT)) output.code = COMPILE_HINT + output.code;
      }
    },
  };
}
