// Autosave of the working copy: unsaved edits written to `<home>/autosave/<key>.json`, apart from the
// dashboard file and its revisions (an autosave is never a revision and never touches the file).
// Writes are debounced here, in the host, so a burst of edits costs one write, and atomic, so a
// crash mid-write leaves the previous autosave. The key is a hash of the dashboard's absolute path:
// two copies of one dashboard (same id) in two folders keep separate autosaves, and nothing in the
// path can steer where the autosave is written.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';

/** What an autosave holds. */
export interface Autosave {
  /** The dashboard file it belongs to (absolute). */
  path: string;
  /** The working copy's text, as the editor would save it. */
  text: string;
  /** ISO time of the write. */
  savedAt: string;
  /** The disk version the edits started from (null for a draft never saved). */
  baseDiskHash: string | null;
}

const MAX_AUTOSAVE_BYTES = 20 * 1024 * 1024;

export class AutosaveStore {
  private readonly dir: string;
  private readonly pending = new Map<string, { autosave: Autosave; timer: ReturnType<typeof setTimeout> }>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    homeDir: string,
    private readonly opts: { delayMs?: number; now?: () => Date } = {},
  ) {
    this.dir = path.join(homeDir, 'autosave');
  }

  /** The file an autosave of `dashboardPath` lives in. */
  fileFor(dashboardPath: string): string {
    const key = createHash('sha256').update(path.resolve(dashboardPath)).digest('hex').slice(0, 32);
    return path.join(this.dir, `${key}.json`);
  }

  /** Remember the working copy; written after a quiet moment (the latest text wins). */
  schedule(dashboardPath: string, text: string, baseDiskHash: string | null): { savedAt: string } {
    if (Buffer.byteLength(text) > MAX_AUTOSAVE_BYTES) throw new Error('the working copy is larger than 20 MB and cannot be autosaved');
    const absolute = path.resolve(dashboardPath);
    const savedAt = (this.opts.now?.() ?? new Date()).toISOString();
    const autosave: Autosave = { path: absolute, text, savedAt, baseDiskHash };
    const previous = this.pending.get(absolute);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => void this.writeNow(absolute).catch(() => {}), this.opts.delayMs ?? 1000);
    // A pending autosave must not keep a host process alive that is otherwise done.
    timer.unref?.();
    this.pending.set(absolute, { autosave, timer });
    return { savedAt };
  }

  /** Write every pending autosave now (on quit, and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((p) => this.writeNow(p)));
    await Promise.all(this.writing.values());
  }

  /** The autosave of a dashboard, or null when there is none (or it is unreadable or another file's). */
  async read(dashboardPath: string): Promise<Autosave | null> {
    const absolute = path.resolve(dashboardPath);
    const pending = this.pending.get(absolute);
    if (pending) return pending.autosave;
    await this.writing.get(absolute);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.fileFor(absolute), 'utf8'));
    } catch {
      return null;
    }
    const a = parsed as Partial<Autosave> | null;
    if (!a || typeof a !== 'object' || a.path !== absolute || typeof a.text !== 'string' || typeof a.savedAt !== 'string') return null;
    return { path: a.path, text: a.text, savedAt: a.savedAt, baseDiskHash: typeof a.baseDiskHash === 'string' ? a.baseDiskHash : null };
  }

  /** Forget the autosave (saved or discarded): a pending write is cancelled and the file removed. */
  async discard(dashboardPath: string): Promise<void> {
    const absolute = path.resolve(dashboardPath);
    const pending = this.pending.get(absolute);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(absolute);
    await this.writing.get(absolute);
    await rm(this.fileFor(absolute), { force: true });
  }

  private async writeNow(absolute: string): Promise<void> {
    const pending = this.pending.get(absolute);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(absolute);
    const previous = this.writing.get(absolute) ?? Promise.resolve();
    const write = previous.then(async () => {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.fileFor(absolute), `${JSON.stringify(pending.autosave)}\n`);
    });
    this.writing.set(absolute, write);
    try {
      await write;
    } finally {
      if (this.writing.get(absolute) === write) this.writing.delete(absolute);
    }
  }
}
