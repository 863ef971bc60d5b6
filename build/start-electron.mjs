// `npm start` (after `npm run build`): launch Northstar in Electron, or, when the Electron binary
// is not installed and cannot be downloaded (offline), the same app through the browser host.
//
// The electron npm package downloads its binary on first `require('electron')`, synchronously and
// with no timeout (node_modules/electron/index.js -> install.js). We never call that blindly:
// we look for the binary ourselves, probe the download host with a short timeout, and only then
// run install.js.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const PROBE_TIMEOUT_MS = 3000;
const DOWNLOAD_TIMEOUT_MS = 10 * 60 * 1000;

const args = process.argv.slice(2);
// npm runs scripts from the package folder; run the app where the user was, so a relative
// dashboard path on the command line means what they typed.
const userCwd = process.env.INIT_CWD ?? process.cwd();

const electronPath = await findOrInstallElectron();
if (electronPath) {
  const env = { ...process.env };
  // Set by some tools, it would make the binary behave as plain Node and ignore our app.
  delete env.ELECTRON_RUN_AS_NODE;
  run(electronPath, [root, ...args], env);
} else {
  console.log('Northstar: the Electron binary is not installed and could not be downloaded (offline?). Starting the same app in your browser instead: npm run serve');
  const serve = path.join(root, 'electron', 'browser-host', 'serve.ts');
  // `npx tsx` without npx: the local tsx CLI under this Node, which needs no shell on Windows.
  const tsxPackage = require.resolve('tsx/package.json');
  const tsxCli = path.join(path.dirname(tsxPackage), JSON.parse(fs.readFileSync(tsxPackage, 'utf8')).bin);
  run(process.execPath, [tsxCli, '--tsconfig', path.join(root, 'tsconfig.json'), serve, ...args], process.env);
}

/** The Electron executable, downloading it first when the network allows; null when unavailable. */
async function findOrInstallElectron() {
  const electronDir = path.dirname(require.resolve('electron/package.json'));
  const found = installedElectron(electronDir);
  if (found) return found;
  if (!(await downloadHostReachable())) return null;
  console.log('Northstar: downloading the Electron binary (first launch only)...');
  const ok = await runToCompletion(process.execPath, [path.join(electronDir, 'install.js')], DOWNLOAD_TIMEOUT_MS);
  return ok ? installedElectron(electronDir) : null;
}

/** Mirrors node_modules/electron/index.js, without its download side effect. */
function installedElectron(electronDir) {
  const pathFile = path.join(electronDir, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override
    ? path.join(override, relative ?? (os.platform() === 'win32' ? 'electron.exe' : 'electron'))
    : relative && path.join(electronDir, 'dist', relative);
  return candidate && fs.existsSync(candidate) ? candidate : null;
}

/**
 * Whether a TCP connection to the download host (or the HTTPS proxy) opens within a few seconds.
 * Offline, install.js can otherwise hang for minutes on a network timeout.
 */
async function downloadHostReachable() {
  const proxy = process.env.HTTPS_PROXY ?? process.env.https_proxy ?? process.env.npm_config_https_proxy;
  const mirror = process.env.ELECTRON_MIRROR ?? process.env.electron_config_mirror ?? process.env.npm_config_electron_mirror;
  let target;
  try {
    const url = new URL(proxy || mirror || 'https://github.com/');
    target = { host: url.hostname, port: Number(url.port) || (url.protocol === 'http:' ? 80 : 443) };
  } catch {
    return false;
  }
  return new Promise((resolve) => {
    const socket = net.connect(target);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Run a command to completion with its output shown; false on failure or timeout. */
function runToCompletion(command, commandArgs, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** Run the app in the foreground: forward termination signals, exit with its code. */
function run(command, commandArgs, env) {
  const child = spawn(command, commandArgs, { cwd: userCwd, env, stdio: 'inherit', windowsHide: false });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  child.once('error', (err) => {
    console.error(`Northstar: could not start ${command}: ${err.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) {
      // Die of the same signal, so a parent (npm, a shell) sees how the app ended.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
