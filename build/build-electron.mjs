// Bundles the Electron main process and the preload with esbuild:
//   electron/main.ts    -> out/electron/main.cjs     (Node; npm packages stay external)
//   electron/preload.ts -> out/electron/preload.cjs  (one self-contained file; only `electron` external)
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'out', 'electron');

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  target: 'es2022',
  outdir,
  outExtension: { '.js': '.cjs' },
  external: ['electron'],
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  // An empty import.meta in CJS output is a runtime bug (APP_ROOT would break): fail instead.
  logOverride: { 'empty-import-meta': 'error' },
};

const mainOptions = {
  ...common,
  entryPoints: { main: 'electron/main.ts' },
  platform: 'node',
  // npm packages load from node_modules at runtime; only our own sources are bundled.
  packages: 'external',
  // Sources are ESM and find APP_ROOT from `import.meta.url` (host-services.ts). CJS has no
  // import.meta, so point it at the bundle itself: out/electron/main.cjs sits two folders below
  // the root, like electron/services/host-services.ts, so APP_ROOT resolves to the same folder.
  banner: { js: 'const __northstarImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: {
    'import.meta.url': '__northstarImportMetaUrl',
    'import.meta.filename': '__filename',
    'import.meta.dirname': '__dirname',
  },
};

const preloadOptions = {
  ...common,
  entryPoints: { preload: 'electron/preload.ts' },
  // A sandboxed preload has no Node: building for the browser makes a Node import fail here
  // rather than in the window at runtime.
  platform: 'browser',
  // zod is most of this file and it is parsed on every window load.
  minify: true,
};

try {
  const [main, preload] = await Promise.all([build(mainOptions), build(preloadOptions)]);
  checkPreloadImports(preload.metafile);
  checkMainImports(main.metafile);
  console.log(`build-electron: wrote ${path.relative(root, outdir)}/main.cjs and preload.cjs`);
} catch (err) {
  // esbuild has already printed its own errors with file and line; print only ours.
  if (!Array.isArray(err?.errors)) console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

/** The preload may require only `electron`: anything else fails in the sandbox. */
function checkPreloadImports(metafile) {
  const extra = [...externalImports(metafile)].filter((spec) => spec !== 'electron');
  if (extra.length > 0) {
    throw new Error(`build-electron: the preload must be self-contained, but it requires ${extra.join(', ')}`);
  }
}

/** Every package the main bundle leaves external must be loadable with `require` from out/electron. */
function checkMainImports(metafile) {
  const requireFromOut = createRequire(path.join(outdir, 'main.cjs'));
  const missing = [];
  for (const spec of externalImports(metafile)) {
    if (spec === 'electron' || isBuiltin(spec)) continue;
    try {
      requireFromOut.resolve(spec);
    } catch (err) {
      missing.push(`${spec} (${err.code ?? err.message})`);
    }
  }
  if (missing.length > 0) {
    throw new Error(`build-electron: the main process requires packages that cannot be required from out/electron: ${missing.join(', ')}`);
  }
}

function externalImports(metafile) {
  const specs = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) if (imp.external) specs.add(imp.path);
  }
  return specs;
}
