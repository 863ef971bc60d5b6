// Assembles the packaged app into a staging folder holding exactly the files that go into the
// asar: the bundled main process and preload, the built renderer, the bundled demo dashboard, a
// production package.json and the node_modules the main bundle requires at runtime (and nothing
// else: the renderer's packages are already bundled by Vite, dev dependencies never ship).
// electron-builder packs this folder (`directories.app` in electron-builder.config.cjs); the
// packaging test packs it with @electron/asar and inspects it.
//
//   node build/assemble-app.mjs [--out DIR] [--renderer DIR]
import { promises as fs } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Default staging folder; electron-builder.config.cjs points `directories.app` here. */
export const DEFAULT_STAGING_DIR = path.join(ROOT, 'out', 'app');

// Inside node_modules, files that are never needed at runtime: sources, types, maps, docs, tests.
const DROPPED_FILE = /\.(ts|mts|cts|map|md|markdown)$|^(changelog|history|readme|contributing)(\..*)?$/i;
const DROPPED_DIR = /^(test|tests|__tests__|\.github|docs?|example|examples|benchmark|benchmarks|coverage)$/i;

/**
 * Build the staging folder. Returns its path, the runtime packages it holds and every file in it
 * (relative, "/" separators). Throws with a specific message when the build outputs are missing
 * or the lockfile cannot satisfy a runtime dependency.
 */
export async function assembleApp(opts = {}) {
  const root = opts.root ?? ROOT;
  const stagingDir = path.resolve(opts.stagingDir ?? DEFAULT_STAGING_DIR);
  const rendererDir = path.resolve(opts.rendererDir ?? path.join(root, 'out', 'renderer'));
  const electronDir = path.join(root, 'out', 'electron');

  for (const [file, how] of [
    [path.join(electronDir, 'main.cjs'), 'npm run build:electron'],
    [path.join(electronDir, 'preload.cjs'), 'npm run build:electron'],
    [path.join(rendererDir, 'index.html'), 'npm run build:renderer'],
  ]) {
    if (!(await exists(file))) throw new Error(`assemble-app: ${path.relative(root, file) || file} is missing; run \`${how}\` first.`);
  }
  // Refuse to wipe anything that is not clearly a staging folder of ours.
  if (stagingDir === root || !path.basename(stagingDir)) throw new Error(`assemble-app: refusing to use ${stagingDir} as the staging folder.`);

  await fs.rm(stagingDir, { recursive: true, force: true });
  await fs.mkdir(stagingDir, { recursive: true });

  // Source maps stay out: they would ship our sources, and nobody can attach a debugger to a
  // packaged app anyway (the fuses turn the inspector off).
  await copyTree(path.join(electronDir, 'main.cjs'), path.join(stagingDir, 'out', 'electron', 'main.cjs'));
  await copyTree(path.join(electronDir, 'preload.cjs'), path.join(stagingDir, 'out', 'electron', 'preload.cjs'));
  await copyTree(rendererDir, path.join(stagingDir, 'out', 'renderer'), (name) => !name.endsWith('.map'));
  // The demo dashboard `npm start` opens (DEMO_DASHBOARD_PATH), without any local history.
  await copyTree(path.join(root, 'dashboards', 'examples'), path.join(stagingDir, 'dashboards', 'examples'), (name, isDir) => !(isDir && name === '.northstar'));

  const rootPkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
  const lock = JSON.parse(await fs.readFile(path.join(root, 'package-lock.json'), 'utf8'));
  const mainSource = await fs.readFile(path.join(electronDir, 'main.cjs'), 'utf8');
  const runtime = runtimePackages(mainSource);
  const dependencies = {};
  for (const name of runtime) {
    const version = rootPkg.dependencies?.[name];
    if (!version) throw new Error(`assemble-app: the main process requires "${name}", which is not in package.json "dependencies".`);
    dependencies[name] = version;
  }
  const lockPaths = dependencyClosure(lock, runtime);
  for (const lockPath of lockPaths) {
    await copyTree(path.join(root, lockPath), path.join(stagingDir, lockPath), (name, isDir) =>
      isDir ? name !== 'node_modules' && !DROPPED_DIR.test(name) : !DROPPED_FILE.test(name),
    );
  }

  const appPkg = {
    name: rootPkg.name,
    productName: 'Northstar',
    version: rootPkg.version,
    description: rootPkg.description,
    license: rootPkg.license,
    author: { name: 'The Northstar authors', email: 'northstar@users.noreply.github.com' },
    homepage: 'https://github.com/northstar-analytics/northstar',
    main: 'out/electron/main.cjs',
    dependencies,
  };
  await fs.writeFile(path.join(stagingDir, 'package.json'), `${JSON.stringify(appPkg, null, 2)}\n`);

  const files = await listFiles(stagingDir);
  return { stagingDir, dependencies, packages: lockPaths.map((p) => p.replace(/^.*node_modules\//, '')), files };
}

/** Package names the main bundle `require`s that are neither Node built-ins nor electron. */
export function runtimePackages(mainSource) {
  const builtins = new Set(builtinModules);
  const names = new Set();
  for (const [, spec] of mainSource.matchAll(/\brequire\("([^"]+)"\)/g)) {
    if (spec === 'electron' || spec.startsWith('node:') || builtins.has(spec) || spec.startsWith('.')) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names].sort();
}

/**
 * The package-lock paths (`node_modules/a`, `node_modules/a/node_modules/b`, ...) of `names` and
 * everything they depend on, resolved the way Node resolves them. A dev-only package in the
 * closure, or a required one the lockfile lacks, is an error.
 */
export function dependencyClosure(lock, names) {
  const packages = lock.packages ?? {};
  const seen = new Set();
  const queue = names.map((name) => ({ from: '', name, optional: false, via: 'the main process' }));
  while (queue.length > 0) {
    const { from, name, optional, via } = queue.shift();
    const found = resolveInLock(packages, from, name);
    if (!found) {
      if (optional) continue;
      throw new Error(`assemble-app: ${via} needs "${name}", which package-lock.json does not install; run npm install.`);
    }
    if (seen.has(found)) continue;
    const entry = packages[found];
    if (entry.dev) throw new Error(`assemble-app: ${found} is a devDependency but ${via} needs it at runtime; move it to "dependencies".`);
    seen.add(found);
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ from: found, name: dep, optional: false, via: found });
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ from: found, name: dep, optional: true, via: found });
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      queue.push({ from: found, name: dep, optional: entry.peerDependenciesMeta?.[dep]?.optional ?? false, via: found });
    }
  }
  return [...seen].sort();
}

function resolveInLock(packages, from, name) {
  // Node looks in from/node_modules, then in each ancestor's node_modules, up to the root.
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate] && !packages[candidate].link) return candidate;
    if (!dir) return null;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

async function copyTree(from, to, keep = () => true) {
  const stat = await fs.stat(from);
  if (!stat.isDirectory()) {
    await fs.mkdir(path.dirname(to), { recursive: true });
    await fs.copyFile(from, to);
    return;
  }
  await fs.mkdir(to, { recursive: true });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    if (!keep(entry.name, entry.isDirectory())) continue;
    if (entry.isSymbolicLink()) continue; // npm links (bin shims) are never needed inside the asar
    await copyTree(path.join(from, entry.name), path.join(to, entry.name), keep);
  }
}

async function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

async function exists(file) {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  try {
    const result = await assembleApp({ stagingDir: flag('--out'), rendererDir: flag('--renderer') });
    console.log(`assemble-app: ${result.files.length} files, ${result.packages.length} runtime packages in ${path.relative(ROOT, result.stagingDir)}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
