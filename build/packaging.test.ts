// Everything about packaging that can run without network: the electron-builder config is checked
// against electron-builder's own schema with its own validator, and the app is built, assembled
// and packed into a real asar with @electron/asar, whose contents are then inspected the way the
// packaged app would read them. (electron-builder itself needs to download Electron: not here.)
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPackageWithOptions, extractFile, listPackage } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleApp, dependencyClosure, ROOT, runtimePackages, type AssembledApp } from './assemble-app.mjs';
import { buildNotices, NOT_SHIPPED } from './notices.mjs';
import { COMPILE_HINT } from './compile-hints.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

interface BuilderConfig {
  directories: { app: string; buildResources: string };
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  fileAssociations?: unknown;
  linux: { target: string[]; icon: string; mimeTypes: string[]; fileAssociations: { ext: string; mimeType: string; icon: string }[] };
  mac: { target: { target: string; arch: string[] }[]; icon: string; entitlements: string; fileAssociations: { ext: string; rank: string; icon: string }[] };
  win: { target: { target: string }[]; icon: string; fileAssociations?: unknown };
}
const config = require('./electron-builder.config.cjs') as BuilderConfig;
const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  validateConfiguration(config: unknown, debug: { isEnabled: boolean; add(): void }): Promise<void>;
};
const noDebug = { isEnabled: false, add: () => undefined };

// Access key ids (AKIA: long-term, ASIA: temporary) and a secret key assignment.
const AWS_KEY_PATTERNS = [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, /aws_?secret_?access_?key["'\s:=]+[A-Za-z0-9/+]{40}\b/i];

describe('electron-builder config', () => {
  it("passes electron-builder's own schema validation", async () => {
    await expect(validateConfiguration(config, noDebug)).resolves.toBeUndefined();
  });

  it('would be refused by that validation when wrong (the check can fail)', async () => {
    await expect(validateConfiguration({ ...config, electronFuses: { ...config.electronFuses, runAsNod: false } }, noDebug)).rejects.toThrow(/electronFuses/);
    await expect(validateConfiguration({ ...config, fileAssociations: [{ extension: 'x' }] }, noDebug)).rejects.toThrow(/fileAssociations/);
  });

  it('turns off every way to run the app as something else, and checks the asar', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
    });
  });

  it('builds AppImage + deb, a universal dmg and an nsis installer', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['universal'] }]);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
  });

  it('associates dashboard files per OS: double extensions on Linux only, an Open With entry for .json on macOS, nothing on Windows', () => {
    // Top-level associations would reach every OS, where a dotted ext does not work (PACKAGING.md).
    expect(config.fileAssociations).toBeUndefined();
    expect(config.linux.fileAssociations.map((a) => a.ext)).toEqual(['northstar.json', 'dashboard.json']);
    for (const a of config.linux.fileAssociations) expect(a.mimeType).toBe('application/x-northstar-dashboard');
    expect(config.linux.mimeTypes).toContain('application/x-northstar-dashboard');
    // macOS: never the default handler of every JSON file.
    expect(config.mac.fileAssociations).toEqual([expect.objectContaining({ ext: 'json', rank: 'Alternate' })]);
    expect(config.win.fileAssociations).toBeUndefined();
  });

  it('has its icons and entitlements where it says', async () => {
    const resources = path.join(ROOT, config.directories.buildResources);
    for (const [file, size] of [
      ['icons/512x512.png', 512],
      ['icons/256x256.png', 256],
    ] as const) {
      const png = await readFile(path.join(resources, file));
      expect(png.subarray(1, 4).toString('latin1'), file).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)], file).toEqual([size, size]);
      // Colour type 6: RGBA, so the rounded corners are transparent.
      expect(png[25], file).toBe(6);
    }
    for (const icon of [config.mac.icon, config.win.icon, ...[...config.linux.fileAssociations, ...config.mac.fileAssociations].map((a) => a.icon)]) {
      await expect(readFile(path.join(resources, icon))).resolves.toBeInstanceOf(Buffer);
    }
    const entitlements = await readFile(path.join(ROOT, config.mac.entitlements), 'utf8');
    expect(entitlements).toContain('com.apple.security.cs.allow-jit');
  });
});

describe('the packaged app (staged and packed into an asar)', () => {
  let tmp: string;
  let staged: AssembledApp;
  let asarPath: string;
  let entries: string[];
  const read = (file: string) => extractFile(asarPath, file);

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-packaging-'));
    const rendererDir = path.join(tmp, 'renderer');
    await run(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error', '--outDir', rendererDir, '--emptyOutDir'], { cwd: ROOT });
    await run(process.execPath, [path.join(ROOT, 'build', 'build-electron.mjs')], { cwd: ROOT });
    staged = await assembleApp({ stagingDir: path.join(tmp, 'app'), rendererDir });
    asarPath = path.join(tmp, 'app.asar');
    await createPackageWithOptions(staged.stagingDir, asarPath, config.asarUnpack.length ? { unpack: `{${config.asarUnpack.join(',')}}` } : {});
    entries = listPackage(asarPath, { isPack: false }).map((e) => e.replace(/\\/g, '/').replace(/^\//, ''));
  }, 180_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('holds exactly the staged files', () => {
    const files = new Set(entries);
    for (const f of staged.files) expect(files.has(f), f).toBe(true);
  });

  it('has the main process, preload and renderer entry points, and a package.json pointing at main', () => {
    const pkg = JSON.parse(read('package.json').toString('utf8')) as { main: string; name: string; version: string; dependencies: Record<string, string>; devDependencies?: unknown };
    expect(pkg.main).toBe('out/electron/main.cjs');
    expect(pkg.devDependencies).toBeUndefined();
    for (const f of [pkg.main, 'out/electron/preload.cjs', 'out/renderer/index.html']) expect(entries, f).toContain(f);
    // The demo dashboard npm start opens (DEMO_DASHBOARD_PATH) and its data.
    expect(entries).toContain('dashboards/examples/customer-kpis.dashboard.json');
    expect(entries).toContain('dashboards/examples/data/orders.parquet');
  });

  it('resolves every asset the built renderer references inside the asar, DuckDB wasm and workers included', () => {
    const html = read('out/renderer/index.html').toString('utf8');
    const htmlRefs = [...html.matchAll(/\b(?:src|href)="(\.\/[^"]+)"/g)].map((m) => path.posix.join('out/renderer', m[1]!));
    expect(htmlRefs.length).toBeGreaterThanOrEqual(2);
    for (const ref of htmlRefs) expect(entries, `index.html -> ${ref}`).toContain(ref);

    const urlRefs: string[] = [];
    for (const js of entries.filter((e) => e.startsWith('out/renderer/') && e.endsWith('.js'))) {
      const text = read(js).toString('utf8');
      // Vite emits `new URL("file", import.meta.url)` for `?url` imports: relative to the module.
      for (const m of text.matchAll(/new URL\([`"']([^`"']+)[`"'],\s*import\.meta\.url\)/g)) {
        urlRefs.push(path.posix.join(path.posix.dirname(js), m[1]!));
      }
    }
    for (const ref of urlRefs) expect(entries, ref).toContain(ref);
    expect(urlRefs.filter((r) => /duckdb-(mvp|eh)-[^/]+\.wasm$/.test(r))).toHaveLength(2);
    expect(urlRefs.filter((r) => /duckdb-browser-(mvp|eh)\.worker-[^/]+\.js$/.test(r))).toHaveLength(2);
    // Served from the asar by the app:// handler, so nothing has to be unpacked.
    expect(config.asarUnpack).toEqual([]);
  });

  it("marks ECharts' chunks, and no chunk the page starts with, for V8's eager compile (compile-hints.mjs)", () => {
    const chunks = entries.filter((e) => e.startsWith('out/renderer/assets/') && e.endsWith('.js')).map((file) => ({ file, text: read(file).toString('utf8') }));
    const hinted = chunks.filter((c) => c.text.startsWith(COMPILE_HINT));
    // ECharts' core (its inner-state key is a string no minifier renames) is one of them.
    expect(hinted.some((c) => c.text.includes('__ec_inner_'))).toBe(true);
    const html = read('out/renderer/index.html').toString('utf8');
    const pageScripts = [...html.matchAll(/<(?:script|link)[^>]*(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => `out/renderer/${m[1]!}`);
    expect(pageScripts.length).toBeGreaterThanOrEqual(2);
    for (const c of hinted) expect(pageScripts, c.file).not.toContain(c.file);
    // Only ECharts' code: the worker, React and the app's chunks stay lazily compiled.
    expect(hinted.length).toBeLessThanOrEqual(5);
    // A re-open preloads ECharts' chunks at its boot (main.tsx): index.html lists them, and they are there.
    const listed = html.match(/<meta name="northstar-charts" content="([^"]*)"/)?.[1]?.split(' ') ?? [];
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const href of listed) expect(entries, href).toContain(path.posix.join('out/renderer', href));
    expect(listed.map((href) => path.posix.join('out/renderer', href))).toEqual(expect.arrayContaining(hinted.filter((c) => c.text.includes('__ec_inner_')).map((c) => c.file)));
  });

  it('ships only the runtime packages the main process requires, none of them dev dependencies', async () => {
    const rootPkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const shippedPackages = new Set(entries.filter((e) => e.endsWith('/package.json') && e.startsWith('node_modules/')).map((e) => e.slice(0, -'/package.json'.length)));
    expect(shippedPackages.size).toBeGreaterThan(0);
    // A devDependency that some runtime package also needs (e.g. @smithy/signature-v4) is not dev-only.
    const devOnly = Object.keys(rootPkg.devDependencies).filter((d) => lock.packages[`node_modules/${d}`]?.dev === true);
    expect(devOnly).toEqual(expect.arrayContaining(['electron', 'electron-builder', 'vitest', 'typescript', 'vite']));
    for (const dev of devOnly) expect(shippedPackages.has(`node_modules/${dev}`), dev).toBe(false);
    for (const p of shippedPackages) {
      // Nested folders with their own package.json (e.g. dist-cjs/package.json) belong to a lock entry above them.
      const owner = Object.keys(lock.packages).filter((k) => k && (p === k || p.startsWith(`${k}/`))).sort((a, b) => b.length - a.length)[0];
      expect(owner, p).toBeDefined();
      expect(lock.packages[owner!]!.dev, p).not.toBe(true);
    }
    // Renderer packages are bundled by Vite and must not ship again.
    for (const name of ['react', 'echarts', '@duckdb/duckdb-wasm', 'apache-arrow']) expect(shippedPackages.has(`node_modules/${name}`), name).toBe(false);
  });

  it('lets the main bundle require every package it needs from inside the app folder', () => {
    const main = read('out/electron/main.cjs').toString('utf8');
    const needed = runtimePackages(main);
    expect(needed).toEqual(expect.arrayContaining(['@aws-sdk/client-s3', 'zod']));
    const requireFromApp = createRequire(path.join(staged.stagingDir, 'out', 'electron', 'main.cjs'));
    for (const name of needed) {
      const resolved = requireFromApp.resolve(name);
      expect(resolved.startsWith(staged.stagingDir + path.sep), `${name} -> ${resolved}`).toBe(true);
    }
  });

  it('carries the third-party notices, current, naming every package it ships, DuckDB and Electron/Chromium', async () => {
    expect(entries).toContain('THIRD_PARTY_NOTICES.md');
    const shipped = read('THIRD_PARTY_NOTICES.md').toString('utf8');
    // What build/notices.mjs makes from node_modules now: a dependency change without regenerating fails here.
    expect(shipped).toBe(await buildNotices());
    for (const name of staged.packages) expect(shipped, name).toContain(`| ${name} |`);
    for (const name of ['@duckdb/duckdb-wasm', 'react', 'echarts', 'apache-arrow', 'zod']) expect(shipped, name).toContain(`| ${name} |`);
    expect(shipped).toContain('Stichting DuckDB Foundation');
    expect(shipped).toContain('LICENSES.chromium.html');
    // Tools that only run the repository's scripts do not ship, so they are not listed.
    for (const name of NOT_SHIPPED) expect(shipped).not.toContain(`| ${name} |`);
  });

  it('contains no TypeScript sources, source maps, tests or test data', () => {
    const bad = entries.filter(
      (e) => /\.(ts|mts|cts|tsx|map)$/.test(e) || /(^|\/)(testdata|__tests__|e2e)\//.test(e) || /\.(test|spec)\.[cm]?[jt]s$/.test(e) || e.startsWith('.northstar/') || e.includes('/.northstar/'),
    );
    expect(bad).toEqual([]);
    for (const dir of ['electron/', 'renderer/', 'queries/', 'cli/', 'build/', 'bench/', 'docs/']) {
      expect(entries.filter((e) => e.startsWith(dir)), dir).toEqual([]);
    }
  });

  it('contains nothing that looks like an AWS credential', () => {
    const textual = entries.filter((e) => /\.(c?js|mjs|json|html|css|txt)$/.test(e));
    expect(textual.length).toBeGreaterThan(100);
    const hits: string[] = [];
    for (const e of textual) {
      const text = read(e).toString('utf8');
      for (const pattern of AWS_KEY_PATTERNS) if (pattern.test(text)) hits.push(`${e}: ${pattern}`);
    }
    expect(hits).toEqual([]);
  });
});

describe('dependency closure', () => {
  const lock = {
    packages: {
      '': {},
      'node_modules/a': { dependencies: { b: '1' }, optionalDependencies: { gone: '1' } },
      'node_modules/b': { dependencies: { c: '2' } },
      'node_modules/c': {},
      'node_modules/b/node_modules/c': {},
      'node_modules/tool': { dev: true },
      'node_modules/uses-tool': { dependencies: { tool: '1' } },
    },
  };

  it('follows dependencies the way Node resolves them, skipping missing optional ones', () => {
    expect(dependencyClosure(lock, ['a'])).toEqual(['node_modules/a', 'node_modules/b', 'node_modules/b/node_modules/c']);
  });

  it('refuses a dev-only package needed at runtime, and a package the lockfile lacks', () => {
    expect(() => dependencyClosure(lock, ['uses-tool'])).toThrow('node_modules/tool is a devDependency but node_modules/uses-tool needs it at runtime');
    expect(() => dependencyClosure(lock, ['nope'])).toThrow('the main process needs "nope", which package-lock.json does not install');
  });

  it('reads the packages a bundle requires, ignoring built-ins, electron and relative paths', () => {
    expect(runtimePackages('require("node:fs");require("fs");require("electron");require("./x");require("@scope/pkg/sub");require("zod")')).toEqual(['@scope/pkg', 'zod']);
  });
});
