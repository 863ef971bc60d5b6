// `npm run dist`: build the app, assemble it into out/app and package it with electron-builder for
// the current OS (Linux: AppImage + deb, macOS: universal dmg, Windows: nsis) into out/dist.
// electron-builder downloads Electron and its packaging tools on first use; offline that fails,
// and this script says so in one line instead of a stack trace.
//
//   node build/dist.mjs [--dir]     (--dir: an unpacked app folder only, no installer)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { assembleApp, ROOT } from './assemble-app.mjs';

const require = createRequire(import.meta.url);
const dirOnly = process.argv.includes('--dir');

// Error codes and messages that mean "could not reach the network", as Node, got and
// electron-builder's Go helper (app-builder) report them.
const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|dial tcp|no such host|i\/o timeout|network is unreachable|connection refused|TLS handshake timeout/i;

function step(label, command, args) {
  console.log(`dist: ${label}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`dist: ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

// The About dialog shows the notices (bundled into the renderer), so they are made first.
step('listing third-party licenses', process.execPath, [path.join(ROOT, 'build', 'notices.mjs')]);
step('building the renderer', process.execPath, [path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
step('building the main process and preload', process.execPath, [path.join(ROOT, 'build', 'build-electron.mjs')]);

let staged;
try {
  staged = await assembleApp();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
console.log(`dist: staged ${staged.files.length} files (${staged.packages.length} runtime packages) in ${path.relative(ROOT, staged.stagingDir)}`);

const { build, Platform } = require('electron-builder');
const config = require('./electron-builder.config.cjs');
const platform = Platform.current();
try {
  const artifacts = await build({
    projectDir: ROOT,
    config,
    targets: dirOnly ? platform.createTarget('dir') : platform.createTarget(),
    publish: 'never',
  });
  console.log(`dist: wrote\n${artifacts.map((a) => `  ${path.relative(ROOT, a)}`).join('\n')}`);
} catch (err) {
  const text = `${err?.message ?? ''} ${err?.code ?? ''} ${err?.stack ?? ''}`;
  if (NETWORK_ERROR.test(text)) {
    console.error(`dist: packaging needs network access to download Electron ${config.electronVersion} and electron-builder's tools, and the network is unreachable (${firstLine(err)}); the app was staged in out/app, see build/PACKAGING.md.`);
  } else {
    console.error(`dist: electron-builder failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(1);
}

function firstLine(err) {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n').find((l) => NETWORK_ERROR.test(l)) ?? message.split('\n')[0]).trim().slice(0, 200);
}
