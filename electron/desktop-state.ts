// The desktop app's small persistent state in the Northstar home ($NORTHSTAR_HOME, else
// ~/.northstar): the recent dashboards (File > Open Recent) and the window's size and position.
// Plain Node, written atomically; a damaged file is treated as empty, never as a reason not to start.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './services/atomic-write';
import { parseWindowState, type WindowState } from './desktop';

/** How many dashboards File > Open Recent lists. */
export const MAX_RECENT_DASHBOARDS = 10;
const RECENT_FILE = 'recent-dashboards.json';
const WINDOW_FILE = 'window-state.json';

/** The most recently opened or saved dashboards, newest first, persisted in the Northstar home. */
export class RecentDashboards {
  private readonly file: string;
  // Writes run one after another, so two quick opens cannot lose one another's entry.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    homeDir: string,
    private readonly exists: (file: string) => Promise<boolean> = fileExists,
  ) {
    this.file = path.join(homeDir, RECENT_FILE);
  }

  /**
   * The list, with files that no longer exist dropped (and the drop persisted when the home can be
   * written: the menu still lists what is there when it cannot, and the next write tries again).
   */
  list(): Promise<string[]> {
    return this.serial(async () => {
      const stored = await this.read();
      const present: string[] = [];
      for (const file of stored) if (await this.exists(file)) present.push(file);
      if (present.length !== stored.length) await this.write(present).catch(() => undefined);
      return present;
    });
  }

  /** Put a file first (moving it up if listed), keep at most MAX_RECENT_DASHBOARDS. */
  add(file: string): Promise<string[]> {
    const abs = path.resolve(file);
    return this.serial(async () => {
      const next = [abs, ...(await this.read()).filter((f) => f !== abs)].slice(0, MAX_RECENT_DASHBOARDS);
      await this.write(next);
      return next;
    });
  }

  clear(): Promise<void> {
    return this.serial(() => this.write([]));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(): Promise<string[]> {
    const json = await readJson(this.file);
    const paths = (json as { paths?: unknown } | null)?.paths;
    if (!Array.isArray(paths)) return [];
    // Only absolute paths of dashboard-sized strings: the file is ours, but may be hand-edited.
    const clean = paths.filter((p): p is string => typeof p === 'string' && p.length > 0 && p.length <= 4096 && path.isAbsolute(p));
    return [...new Set(clean)].slice(0, MAX_RECENT_DASHBOARDS);
  }

  private async write(paths: string[]): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, paths }, null, 2)}\n`);
  }
}

/** The window's last size, position and maximized state. */
export class WindowStateFile {
  private readonly file: string;

  constructor(homeDir: string) {
    this.file = path.join(homeDir, WINDOW_FILE);
  }

  /** What was saved, unchecked: `restoreWindowState` validates and clamps it. */
  async load(): Promise<unknown> {
    return readJson(this.file);
  }

  async save(state: WindowState): Promise<void> {
    const clean = parseWindowState(state);
    if (!clean) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(clean, null, 2)}\n`);
  }
}

/**
 * A writable copy of the bundled demo dashboard and its data folder under `targetDir`, made once
 * (an existing copy, maybe edited, is kept). A packaged app's demo sits read-only inside the asar:
 * it could be opened but never saved, and gets no history. Returns the copy's dashboard path.
 * Only readFile/readdir/writeFile, which Electron's asar support covers.
 */
export async function ensureWritableDemo(demoFile: string, targetDir: string): Promise<string> {
  const target = path.join(targetDir, path.basename(demoFile));
  try {
    await fs.access(target);
    return target;
  } catch {
    // Not copied yet.
  }
  const demoDir = path.dirname(demoFile);
  await copyFolder(path.join(demoDir, 'data'), path.join(targetDir, 'data'));
  // The dashboard last, so a half-finished copy is completed on the next launch.
  await fs.mkdir(targetDir, { recursive: true });
  await writeFileAtomic(target, await fs.readFile(demoFile));
  return target;
}

async function copyFolder(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) await copyFolder(src, dst);
    else if (entry.isFile()) await fs.writeFile(dst, await fs.readFile(src));
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    // Missing or damaged: start from nothing.
    return null;
  }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
