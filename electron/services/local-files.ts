// Local data files for the "first five minutes": listing a folder for the in-app file browser
// (the browser host has no native dialog), copying a file dropped on the page into the
// dashboard's data/ folder, and proposing where a new dashboard made from a file would live.
// Plain Node, no electron.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostError } from '../api/host-api';

/** The data file formats a source can read, by file extension (TSV reads as CSV). */
const FORMAT_BY_EXTENSION: Record<string, 'parquet' | 'csv' | 'json'> = {
  '.parquet': 'parquet',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.ndjson': 'json',
  '.jsonl': 'json',
};

/** Dropped files larger than this are refused: they travel to the host inside one JSON request. */
export const MAX_IMPORT_BYTES = 12 * 1024 * 1024;
/** A folder listing shows at most this many entries. */
const MAX_ENTRIES = 2000;

/** The format of a data file from its name, or null when Northstar cannot read it. */
export function dataFormatOf(name: string): 'parquet' | 'csv' | 'json' | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.dashboard.json')) return null;
  return FORMAT_BY_EXTENSION[path.extname(lower)] ?? null;
}

export interface FolderEntry {
  name: string;
  kind: 'folder' | 'file';
  /** Absolute path. */
  path: string;
  sizeBytes: number | null;
  format: 'parquet' | 'csv' | 'json' | null;
}

export interface FolderListing {
  path: string;
  /** The folder above, null at the root. */
  parent: string | null;
  /** Folders first, then data files, each by name; hidden entries and other files are not listed. */
  entries: FolderEntry[];
  truncated: boolean;
  /** Places to start from: the dashboard's folder and the home folder. */
  places: { label: string; path: string }[];
}

/** List the folders and data files of a folder (never hidden ones, never other files). */
export async function listDataFolder(folder: string, places: { label: string; path: string }[]): Promise<FolderListing> {
  const dir = path.resolve(folder);
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch {
    throw new HostError('notFound', `There is no folder ${dir}.`);
  }
  if (!stat.isDirectory()) throw new HostError('badRequest', `${dir} is a file, not a folder.`);
  let dirents;
  try {
    dirents = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new HostError('accessDenied', `Cannot list the folder ${dir}: ${(err as Error).message}`);
  }
  const entries: FolderEntry[] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    const abs = path.join(dir, d.name);
    // Follow symbolic links to see what they point at; a dangling link is left out.
    const target = d.isSymbolicLink() ? await fs.stat(abs).catch(() => null) : null;
    const isDir = d.isSymbolicLink() ? target?.isDirectory() === true : d.isDirectory();
    const isFile = d.isSymbolicLink() ? target?.isFile() === true : d.isFile();
    if (isDir) entries.push({ name: d.name, kind: 'folder', path: abs, sizeBytes: null, format: null });
    else if (isFile && dataFormatOf(d.name)) {
      const size = target?.size ?? (await fs.stat(abs).then((s) => s.size).catch(() => null));
      entries.push({ name: d.name, kind: 'file', path: abs, sizeBytes: size, format: dataFormatOf(d.name) });
    }
  }
  entries.sort((a, b) => (a.kind !== b.kind ? (a.kind === 'folder' ? -1 : 1) : a.name.localeCompare(b.name)));
  const parent = path.dirname(dir);
  return { path: dir, parent: parent === dir ? null : parent, entries: entries.slice(0, MAX_ENTRIES), truncated: entries.length > MAX_ENTRIES, places };
}

/** The usual places to start browsing from: the dashboard's folder (when there is one) and home. */
export function startPlaces(dashboardPath: string | undefined): { label: string; path: string }[] {
  const places: { label: string; path: string }[] = [];
  if (dashboardPath) places.push({ label: 'Dashboard folder', path: path.dirname(path.resolve(dashboardPath)) });
  places.push({ label: 'Home', path: os.homedir() });
  return places;
}

/** Check a dropped file's name: one plain file name, a readable data format, not hidden. */
export function checkImportName(name: string): 'parquet' | 'csv' | 'json' {
  if (name === '' || name !== path.basename(name) || /[\\/\u0000]/.test(name) || name === '.' || name === '..') {
    throw new HostError('badRequest', `"${name.slice(0, 200)}" is not a plain file name.`);
  }
  if (name.startsWith('.')) throw new HostError('badRequest', `"${name}" is a hidden file; rename it first.`);
  const format = dataFormatOf(name);
  if (!format) throw new HostError('badRequest', `"${name}" is not a data file Northstar reads: drop a .parquet, .csv, .tsv or .json file.`);
  return format;
}

export interface ImportedFile {
  /** Where the copy is, absolute. */
  path: string;
  /** The same, relative to the dashboard's folder with "/" separators (what the source's path says). */
  relativePath: string;
  format: 'parquet' | 'csv' | 'json';
  /** The copy got another name because a file of that name was there already. */
  renamed: boolean;
}

/**
 * Copy a dropped file's bytes into `<dashboard folder>/data/`, never replacing a file: a name in
 * use becomes "name (2).ext", "name (3).ext", ...
 */
export async function importDataFile(dashboardFile: string, name: string, bytes: Uint8Array): Promise<ImportedFile> {
  const format = checkImportName(name);
  if (bytes.byteLength > MAX_IMPORT_BYTES) throw tooLargeToImport(name, bytes.byteLength);
  if (bytes.byteLength === 0) throw new HostError('badRequest', `"${name}" is empty.`);
  const folder = path.join(path.dirname(path.resolve(dashboardFile)), 'data');
  await fs.mkdir(folder, { recursive: true });
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; n <= 1000; n += 1) {
    const candidate = path.join(folder, n === 1 ? name : `${stem} (${n})${ext}`);
    try {
      // "wx": fails when the file exists, so two drops at once can never overwrite each other.
      await fs.writeFile(candidate, bytes, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new HostError('accessDenied', `Cannot write ${candidate}: ${(err as Error).message}`);
    }
    return { path: candidate, relativePath: `data/${path.basename(candidate)}`, format, renamed: n > 1 };
  }
  throw new HostError('conflict', `The folder ${folder} already holds 1,000 files named like "${name}".`);
}

/** The error for a file too large to drop, with what to do instead. */
export function tooLargeToImport(name: string, bytes: number): HostError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new HostError(
    'tooLarge',
    `"${name}" is ${mb(bytes)}; dropped files may be at most ${mb(MAX_IMPORT_BYTES)}. Copy it next to the dashboard and add it with Data sources › Browse… instead.`,
  );
}

/** A path for a new dashboard in `folder` that no file uses yet: `<stem>.dashboard.json`, then `<stem> (2).dashboard.json`, ... */
export async function freeDashboardPath(folder: string, stem: string): Promise<string> {
  const clean = stem.replace(/[\\/\u0000]/g, '_').replace(/^\.+/, '').slice(0, 120) || 'untitled';
  for (let n = 1; n <= 1000; n += 1) {
    const candidate = path.join(path.resolve(folder), `${clean}${n === 1 ? '' : ` (${n})`}.dashboard.json`);
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
  throw new HostError('conflict', `No free name for a new dashboard in ${folder}.`);
}
