import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { compileHints } from '../build/compile-hints.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The UI bundle (src/boot.tsx and what it imports) is loaded by a dynamic import once the engine's
 * worker runs (src/main.tsx). Listing it as a modulepreload in index.html fetches and parses it
 * meanwhile, so the import only evaluates it. With every chunk it imports, directly or not, and the
 * zod stage's (main.tsx's UI stages import them one by one): Chromium preloads only the modules
 * listed, and zod's chunk, imported by the schemas' chunk, was fetched when the first schema stage
 * asked for it (a round trip of 16–35 ms in the middle of the stages, traced at 5M rows).
 *
 * Also ECharts' chunks (those not in the page already), listed in a `northstar-charts` meta tag: a
 * re-open that draws from stored results preloads them at its boot (main.tsx `preloadCharts`), a
 * cold open loads them once its first rows are in.
 */
function preloadBoot(): Plugin {
  return {
    name: 'northstar-preload-boot',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {});
        const byFile = new Map(chunks.flatMap((c) => (c.type === 'chunk' ? [[c.fileName, c] as const] : [])));
        const facadesOf = (ends: string[]) => ends.flatMap((end) => [...byFile.values()].filter((c) => c.facadeModuleId?.endsWith(end)).map((c) => c.fileName));
        const facades = facadesOf(['/src/boot.tsx', '/src/zod-stage.ts']);
        if (facades.length !== 2) return [];
        const withImports = (files: string[]) => {
          const all = new Set<string>();
          const add = (file: string) => {
            if (all.has(file)) return;
            all.add(file);
            for (const imported of byFile.get(file)?.imports ?? []) add(imported);
          };
          files.forEach(add);
          return all;
        };
        // The entry chunk and its imports are in the page already.
        const inPage = withImports([...byFile.values()].filter((c) => c.isEntry).map((c) => c.fileName));
        const boot = withImports(facades);
        const charts = [...withImports(facadesOf(['/src/charts/echarts-core-stage.ts', '/src/charts/echart.tsx']))].filter((file) => !inPage.has(file) && !boot.has(file));
        return [
          ...[...boot].filter((file) => !inPage.has(file)).map((file) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `./${file}` }, injectTo: 'head' as const })),
          { tag: 'meta', attrs: { name: 'northstar-charts', content: charts.map((file) => `./${file}`).join(' ') }, injectTo: 'head' as const },
        ];
      },
    },
  };
}

// ECharts' chunks begin with V8's compile hint (build/compile-hints.mjs): their functions compile as
// they load, off the page's thread, instead of in the charts' first draws.
//
// The renderer is served from app://northstar/ (Electron) or http://127.0.0.1:PORT/ (browser host):
// relative asset URLs work for both. The DuckDB wasm and worker are emitted as files (`?url`).
export default defineConfig({
  root,
  base: './',
  plugins: [react(), preloadBoot(), compileHints()],
  build: {
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    assetsInlineLimit: 0,
  },
  worker: { format: 'es' },
});
