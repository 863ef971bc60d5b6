// The history of a dashboard: every saved revision's exact text, kept next to the dashboard file in
// `<dir>/.northstar/history/<dashboard id>/<number, 6 digits>-<contentHash, 12 hex>.json`.
// Plain files, so history survives restarts and travels with the folder when it is copied or shared.
// Reading is tolerant: a file that does not match the naming or does not parse is skipped.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RevisionInfo } from '../api/host-api';
import { loadDashboard } from '../../dashboards/document';
import { diffDashboards, summarizeDiff } from '../../dashboards/diff';
import { Revision, type DashboardFile } from '../../dashboards/schema';
import { writeFileAtomic } from './atomic-write';

const HISTORY_FILE = /^(\d{6,})-([0-9a-f]{12})\.json$/;
// Dashboard ids are UUIDs; anything else must never become part of a path (no `..`, no separators).
const DASHBOARD_ID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** One revision as stored in the history folder. */
export interface StoredRevision {
  file: string;
  /** The exact text that was saved. */
  text: string;
  revision: Revision;
}

/** The history folder of a dashboard, or null when the id cannot safely name a folder. */
export function historyFolder(dashboardFile: string, dashboardId: string): string | null {
  if (!DASHBOARD_ID.test(dashboardId)) return null;
  return path.join(path.dirname(dashboardFile), '.northstar', 'history', dashboardId);
}

/** The file name a revision is stored under. */
export function historyFileName(revision: Pick<Revision, 'number' | 'contentHash'>): string {
  return `${String(revision.number).padStart(6, '0')}-${revision.contentHash.slice(0, 12)}.json`;
}

/**
 * The `id` of a dashboard text without a full load, so that files from a newer Northstar or with
 * problems still find their history. Null when there is none that can name a folder.
 */
export function readDashboardId(text: string): string | null {
  const raw = parseJson(text);
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' && DASHBOARD_ID.test(id) ? id : null;
}

/** The revision block of a dashboard text, if it has a well-formed one. */
export function readRevisionBlock(text: string): Revision | null {
  const raw = parseJson(text);
  if (!raw || typeof raw !== 'object') return null;
  const parsed = Revision.safeParse((raw as { revision?: unknown }).revision);
  return parsed.success ? parsed.data : null;
}

/** Whether the history of this dashboard holds this revision. */
export async function hasRevision(dashboardFile: string, dashboardId: string, revision: Revision): Promise<boolean> {
  const folder = historyFolder(dashboardFile, dashboardId);
  if (!folder) return false;
  return fs.stat(path.join(folder, historyFileName(revision))).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Whether any revision of this dashboard is kept next to this file (its folder's history of that id). */
export async function hasHistory(dashboardFile: string, dashboardId: string): Promise<boolean> {
  const folder = historyFolder(dashboardFile, dashboardId);
  if (!folder) return false;
  return fs.readdir(folder).then(
    (names) => names.some((name) => HISTORY_FILE.test(name)),
    () => false,
  );
}

/**
 * Store the exact text of a saved revision. A revision already stored under that name is kept as
 * it is: the name carries the number and the content hash, so both copies hold the same content.
 * Returns whether a file was written.
 */
export async function recordRevision(dashboardFile: string, dashboardId: string, revision: Revision, text: string): Promise<boolean> {
  const folder = historyFolder(dashboardFile, dashboardId);
  if (!folder) return false;
  if (await hasRevision(dashboardFile, dashboardId, revision)) return false;
  await fs.mkdir(folder, { recursive: true });
  await writeFileAtomic(path.join(folder, historyFileName(revision)), text);
  return true;
}

/** Every readable revision in the history of a dashboard, newest first. Never throws. */
export async function readHistory(dashboardFile: string, dashboardId: string, opts: { contentHash?: string } = {}): Promise<StoredRevision[]> {
  const folder = historyFolder(dashboardFile, dashboardId);
  if (!folder) return [];
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const out: StoredRevision[] = [];
  for (const name of names) {
    const match = HISTORY_FILE.exec(name);
    if (!match) continue;
    const [, numberText, hashPrefix] = match as unknown as [string, string, string];
    if (opts.contentHash && !opts.contentHash.startsWith(hashPrefix)) continue;
    const file = path.join(folder, name);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    const revision = readRevisionBlock(text);
    // The name must agree with the block inside, or the file is not what it claims to be.
    if (!revision || revision.number !== Number(numberText) || !revision.contentHash.startsWith(hashPrefix)) continue;
    if (opts.contentHash && revision.contentHash !== opts.contentHash) continue;
    out.push({ file, text, revision });
  }
  return out.sort(newestFirst);
}

/** The history of a dashboard as the UI lists it: newest first, each with a one-line summary of what changed. */
export async function listRevisionInfos(dashboardFile: string, dashboardId: string): Promise<RevisionInfo[]> {
  const stored = await readHistory(dashboardFile, dashboardId);
  const byHash = new Map<string, StoredRevision>();
  // Oldest first, so that when two entries share content the newer one wins (they diff the same).
  for (const entry of [...stored].reverse()) byHash.set(entry.revision.contentHash, entry);
  const loaded = new Map<StoredRevision, DashboardFile | null>();
  const load = (entry: StoredRevision): DashboardFile | null => {
    if (!loaded.has(entry)) {
      const result = loadDashboard(entry.text);
      loaded.set(entry, result.ok ? result.dashboard : null);
    }
    return loaded.get(entry) ?? null;
  };
  return stored.map((entry, i) => {
    const r = entry.revision;
    let summary: string;
    if (r.parentHash === null) {
      summary = 'first revision';
    } else {
      // Diff against the parent it was made from; when that is not in this history, against the
      // revision listed before it.
      const previous = byHash.get(r.parentHash) ?? stored[i + 1];
      summary = previous ? summarize(load(previous), load(entry)) : 'earlier history not available';
    }
    return {
      number: r.number,
      savedAt: r.savedAt,
      savedBy: r.savedBy,
      message: r.message ?? null,
      contentHash: r.contentHash,
      parentHash: r.parentHash,
      summary,
    };
  });
}

function summarize(before: DashboardFile | null, after: DashboardFile | null): string {
  if (!before || !after) return 'changes cannot be shown (a revision does not load in this version)';
  try {
    return summarizeDiff(diffDashboards(before, after));
  } catch {
    // A listing must never fail because one diff did.
    return 'changes cannot be shown';
  }
}

function newestFirst(a: StoredRevision, b: StoredRevision): number {
  return (
    b.revision.number - a.revision.number ||
    Date.parse(b.revision.savedAt) - Date.parse(a.revision.savedAt) ||
    (a.revision.contentHash < b.revision.contentHash ? -1 : a.revision.contentHash > b.revision.contentHash ? 1 : 0)
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
