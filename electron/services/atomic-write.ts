import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

// Temp files are named `.<target name>.<12 hex>.northstar-tmp`: hidden, never ending in .json (so
// nothing that looks for dashboards picks one up), and recognisable so a later open can remove the
// ones a crash or a kill left behind.
const TEMP_SUFFIX = '.northstar-tmp';
const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.northstar-tmp$/;

/** Whether a file name is one of writeFileAtomic's temp files (possibly left by a crash). */
export function isAtomicTempFile(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Replace a file so that a reader (or a crash) sees either the old or the new content, never a
 * partial one: write a temp file in the same folder, fsync it, rename over the target, fsync the folder.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  // Keep the permissions of the file being replaced (a rename would otherwise reset them).
  const mode = await fs.stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o644,
  );
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  // The rename itself is durable only once the folder entry is on disk (not possible on Windows).
  if (process.platform !== 'win32') {
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

/**
 * Remove temp files that writeFileAtomic left in `dir` when its process died mid-write. Only files
 * older than `olderThanMs` go: a younger one may belong to a save still running in another process.
 * Never throws; returns the names removed.
 */
export async function cleanStaleTempFiles(dir: string, opts: { olderThanMs?: number } = {}): Promise<string[]> {
  const olderThanMs = opts.olderThanMs ?? 10 * 60 * 1000;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    if (!isAtomicTempFile(name)) continue;
    const full = path.join(dir, name);
    try {
      const stat = await fs.lstat(full);
      if (!stat.isFile() || now - stat.mtimeMs < olderThanMs) continue;
      await fs.rm(full, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
  return removed;
}
