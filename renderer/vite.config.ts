import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The UI bundle (src/boot.tsx and what it imports) is loaded by a dynamic import once the engine's
 * worker runs (src/main.tsx). Listing it as a modulepreload in index.html fetches and parses it
 * meanwhile, so the import only evaluates it.
 */
function preloadBoot(): Plugin {
  return {
    name: 'northstar-preload-boot',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {});
        const boot = chunks.find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/boot.tsx'));
        if (!boot || boot.type !== 'chunk') return [];
        // The entry chunk and its imports are in the page already.
        const inPage = new Set(chunks.flatMap((c) => (c.type === 'chunk' && c.isEntry ? [c.fileName, ...c.imports] : [])));
        return [boot.fileName, ...boot.imports].filter((file) => !inPage.has(file)).map((file) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `./${file}` }, injectTo: 'head' as const }));
      },
    },
  };
}

// The renderer is served from app://northstar/ (Electron) or http://127.0.0.1:PORT/ (browser host):
// relative asset URLs work for both. The DuckDB wasm and worker are emitted as files (`?url`).
export default defineConfig({
  root,
  base: './',
  plugins: [react(), preloadBoot()],
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
