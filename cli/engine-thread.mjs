// The CLI engine's thread: DuckDB-WASM's Node worker script behind a file-system allowlist.
//
// DuckDB 0.9.1 cannot confine itself (enable_external_access = false stops every scan, and
// disabled_filesystems is refused on the wasm file system: queries/engine/engine-settings.ts), and
// the Node build of DuckDB-WASM opens any path it is given through Node's `fs` (read-write, with
// O_CREAT), so SQL from a dashboard could read /etc/passwd or ~/.aws/credentials. This thread runs
// that script with the `fs` functions it calls replaced: a file opens only when the main thread
// allowed that exact path (the dashboard's declared sources, resolved and expanded there), always
// read-only; listing folders, creating, truncating and removing anything is refused.
//
// The script (CommonJS) looks `fs.openSync` & co. up on the module object, the same object as this
// default import, at call time (and fast-glob copies them when it loads), so patching before loading
// the script covers every access.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

/** Exact resolved paths the engine may open: sent by the main thread before the queries that read them. */
const readable = new Set(workerData.readable);
/** The wasm module, read once when the database is instantiated. */
const moduleFiles = new Set(workerData.moduleFiles.map((file) => path.resolve(file)));

function resolved(file) {
  if (file instanceof URL) return fileURLToPath(file);
  return path.resolve(Buffer.isBuffer(file) ? file.toString('utf8') : String(file));
}

function refusal(file) {
  // EACCES, not ENOENT: fast-glob swallows ENOENT, and then DuckDB would only say "No files found".
  const err = new Error(
    `${file} is not a data source of this dashboard: the query engine reads only the files the dashboard declares (or --source gives)`,
  );
  err.code = 'EACCES';
  return err;
}

function refusedAlways(what) {
  const err = new Error(`the query engine may not ${what}`);
  err.code = 'EACCES';
  return err;
}

const original = {
  openSync: fs.openSync,
  existsSync: fs.existsSync,
  statSync: fs.statSync,
  lstatSync: fs.lstatSync,
  stat: fs.stat,
  lstat: fs.lstat,
  readFileSync: fs.readFileSync,
};

// Set while our own allowed reads run: Node's readFileSync opens its file through fs.openSync.
let trustedRead = false;

fs.openSync = (file, ...rest) => {
  if (trustedRead) return original.openSync(file, ...rest);
  const full = resolved(file);
  if (!readable.has(full)) throw refusal(full);
  // Read-only whatever DuckDB asks for (it asks O_CREAT | O_RDWR).
  return original.openSync(full, 'r');
};
fs.existsSync = (file) => readable.has(resolved(file)) && original.existsSync(resolved(file));
fs.statSync = (file, options) => {
  if (!readable.has(resolved(file))) throw refusal(resolved(file));
  return original.statSync(file, options);
};
fs.lstatSync = (file, options) => {
  if (!readable.has(resolved(file))) throw refusal(resolved(file));
  return original.lstatSync(file, options);
};
for (const name of ['stat', 'lstat']) {
  fs[name] = (file, ...rest) => {
    const callback = rest[rest.length - 1];
    if (!readable.has(resolved(file))) {
      process.nextTick(callback, refusal(resolved(file)));
      return;
    }
    original[name](file, ...rest);
  };
}
// True while `require` loads the worker script and its dependencies (synchronously: no query runs then).
let loadingScript = true;
fs.readFileSync = (file, options) => {
  if (loadingScript || typeof file === 'number' || moduleFiles.has(resolved(file))) {
    trustedRead = true;
    try {
      return original.readFileSync(file, options);
    } finally {
      trustedRead = false;
    }
  }
  throw refusal(resolved(file));
};
// Globs are expanded by the main thread (cli/local-sources.ts), so the engine never lists a folder.
for (const name of ['readdirSync', 'opendirSync']) {
  fs[name] = () => {
    throw refusedAlways('list folders');
  };
}
for (const name of ['readdir', 'opendir']) {
  fs[name] = (...args) => process.nextTick(args[args.length - 1], refusedAlways('list folders'));
}
for (const name of ['mkdirSync', 'rmdirSync', 'rmSync', 'unlinkSync', 'truncateSync', 'ftruncateSync', 'writeFileSync', 'appendFileSync', 'renameSync', 'copyFileSync', 'symlinkSync', 'linkSync', 'chmodSync']) {
  fs[name] = () => {
    throw refusedAlways('create, change or remove files');
  };
}

// A Web Worker's two globals, for the duckdb-wasm worker script; control messages from cli/engine-node.ts
// (widening the allowlist) are taken here and never reach DuckDB.
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.on('message', (data) => {
  if (data && typeof data === 'object' && Array.isArray(data.northstarReadable)) {
    for (const file of data.northstarReadable) readable.add(path.resolve(String(file)));
    return;
  }
  if (typeof globalThis.onmessage === 'function') globalThis.onmessage({ data });
});
createRequire(import.meta.url)(workerData.script);
loadingScript = false;
