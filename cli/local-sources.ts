// Sources as local paths for the headless commands (run, check): the CLI reads local files only.
//
// A dashboard file may come from someone else, so the paths it declares are confined the way the
// app's data gateway confines them: inside the dashboard's folder, never a hidden file or folder
// (.aws, .ssh, .env) and never a key or credential file. A path the user gives with --source is
// the user's own choice and is read wherever it is. Globs are expanded here, and the engine's
// thread is told the exact files (cli/engine-thread.cjs opens nothing else).
import { randomUUID } from 'node:crypto';
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Source } from '../dashboards/schema';
import { SourceUnavailable, type LinkedSource } from '../queries/dashboard-runner';
import { jsonTooLarge, MAX_JSON_BYTES } from '../queries/json-source';
import { binaryFormat, detectTextEncoding, gunzip, MAX_TRANSCODE_BYTES, notTextMessage, tooLargeToConvert, tooLargeToDecompress, toUtf8 } from '../queries/text-encoding';
import { MAX_CSV_COPY_BYTES } from '../queries/text-sources';

/** How a headless command links its sources. */
export interface LocalLinkOptions {
  /** The folder of the dashboard file: declared relative paths are read from, and confined to, it. */
  dashboardDir: string;
  /** Source name → path given with --source (relative to the current directory). */
  rebound: ReadonlyMap<string, string>;
  /** Let the engine read these exact files (NodeEngineBootstrap.allowReading). */
  allowReading(files: readonly string[]): void;
  /** Give the engine bytes under a name (Engine.registerFile): CSV converted to UTF-8 is read from there. */
  registerFile(name: string, bytes: Uint8Array): Promise<void>;
}

/** A source as local paths DuckDB can open, or a SourceUnavailable that names the source, the path and what to do. */
export async function linkLocalSource(source: Source, opts: LocalLinkOptions): Promise<LinkedSource> {
  const name = JSON.stringify(source.name);
  const rebound = opts.rebound.get(source.name);
  let linked: LinkedSource;
  if (rebound !== undefined) linked = await localFiles(name, path.resolve(rebound), ' (from --source)', null);
  else {
    switch (source.kind) {
      case 'file':
        linked = await localFiles(name, path.resolve(opts.dashboardDir, source.path), '', { folder: opts.dashboardDir, declared: source.path, sourceName: source.name });
        break;
      case 's3':
        throw new SourceUnavailable(
          `Data source ${name} is in S3 (${source.uri}), and the headless runner reads local files only: rebind it to a local copy with --source ${source.name}=PATH.`,
          'not a local file',
        );
      case 'url':
        throw new SourceUnavailable(
          `Data source ${name} is a URL (${source.url}), and the headless runner reads local files only: rebind it to a local copy with --source ${source.name}=PATH.`,
          'not a local file',
        );
    }
  }
  if (source.format === 'csv') return asUtf8(linked, opts);
  if (source.format === 'json') return withContents(linked);
  opts.allowReading(linked.urls);
  return linked;
}

/**
 * JSON files read here, whole (at most MAX_JSON_BYTES in all): the engine has no JSON reader
 * offline, so the runner parses the bytes into a table (queries/text-sources.ts).
 */
async function withContents(linked: LinkedSource): Promise<LinkedSource> {
  let total = 0;
  for (const file of linked.urls) total += (await stat(file)).size;
  if (total > MAX_JSON_BYTES) throw new SourceUnavailable(jsonTooLarge(linked.location, total), 'too large');
  const contents = await Promise.all(linked.urls.map(async (file) => new Uint8Array(await readFile(file))));
  return { ...linked, contents };
}

/** How much of a CSV file is read to judge its encoding; a UTF-8 start is taken for a UTF-8 file. */
const ENCODING_SNIFF_BYTES = 1024 * 1024;

/**
 * CSV files given to the engine as bytes under a name of their own: the Node build of the engine
 * reads a file from disk in small reads (`check` on a 470 MB CSV of 5M orders: 67 s that way, 15 s
 * from memory).
 * Gzip-compressed ones are decompressed, those that are not UTF-8 (DuckDB 0.9.1 reads nothing else)
 * converted, and the location says so; a file that is no text at all (a workbook, an archive, a
 * Parquet file) is refused, saying what it is. UTF-8 files beyond MAX_CSV_COPY_BYTES in all are
 * read where they are.
 */
async function asUtf8(linked: LinkedSource, opts: LocalLinkOptions): Promise<LinkedSource> {
  const urls: string[] = [];
  const found = new Set<string>();
  let decompressed = false;
  let copied = 0;
  for (const file of linked.urls) {
    const start = await readStart(file, ENCODING_SNIFF_BYTES);
    // A spreadsheet, an archive or a Parquet file named as CSV is said to be one; gzip is read decompressed.
    const binary = binaryFormat(start.bytes);
    if (binary && binary.kind !== 'gzip') throw new SourceUnavailable(notTextMessage(file, binary, 'CSV'), 'not CSV');
    const size = (await stat(file)).size;
    let text: Uint8Array | null = null;
    if (binary) {
      if (size > MAX_CSV_COPY_BYTES) throw new SourceUnavailable(tooLargeToDecompress(file, size, MAX_CSV_COPY_BYTES), 'too large');
      text = await gunzip(new Uint8Array(await readFile(file)), file, MAX_CSV_COPY_BYTES).catch((err: Error) => {
        throw new SourceUnavailable(err.message, 'damaged');
      });
      decompressed = true;
    }
    const sniffed = detectTextEncoding(text ?? start.bytes, text === null && !start.whole);
    const utf8 = sniffed.encoding === 'utf-8';
    // A UTF-8 file stays readable by its path too: the dashboard's own SQL may name it.
    if (utf8 && text === null) opts.allowReading([file]);
    if (utf8 && text === null && copied + size > MAX_CSV_COPY_BYTES) {
      urls.push(file);
      continue;
    }
    if (!utf8 && (text?.length ?? size) > MAX_TRANSCODE_BYTES) throw new SourceUnavailable(tooLargeToConvert(file, sniffed, text?.length ?? size), 'not UTF-8');
    const bytes = text ?? new Uint8Array(await readFile(file));
    const converted = utf8 ? null : toUtf8(bytes, file);
    // An absolute name in a folder that does not exist: nothing on disk can stand in for the bytes.
    const name = `/northstar-csv-${randomUUID()}/${path.basename(file).replace(/\.gz$/i, '')}`;
    // DuckDB globs even a registered name through Node's file system first (and finds nothing there).
    opts.allowReading([name]);
    await opts.registerFile(name, converted ? converted.bytes : bytes);
    urls.push(name);
    if (converted) found.add(converted.detected.label);
    else if (!binary) copied += size;
  }
  const notes = [...(decompressed ? ['gzip, decompressed'] : []), ...(found.size > 0 ? [`${[...found].join(', ')}, read as UTF-8`] : [])];
  return { ...linked, urls, location: `${linked.location}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}` };
}

async function readStart(file: string, max: number): Promise<{ bytes: Uint8Array; whole: boolean }> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, max, 0);
    return { bytes: buffer.subarray(0, bytesRead), whole: bytesRead < max };
  } finally {
    await handle.close();
  }
}

/** Where a declared path must stay: the dashboard's folder. */
interface Confinement {
  folder: string;
  declared: string;
  sourceName: string;
}

const GLOB_CHARS = /[*?[]/;

async function localFiles(name: string, file: string, how: string, confined: Confinement | null): Promise<LinkedSource> {
  if (GLOB_CHARS.test(file)) return globFiles(name, file, how, confined);
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    throw new SourceUnavailable(`Data source ${name}: cannot read ${file}${how}: ${why}.`, code === 'ENOENT' ? 'not found' : 'unreadable');
  }
  if (!info.isFile()) throw new SourceUnavailable(`Data source ${name}: ${file}${how} is not a file.`, 'not a file');
  if (confined) {
    const refusal = await confinementRefusal(file, confined);
    if (refusal) throw new SourceUnavailable(`Data source ${name}: ${refusal}`, 'not allowed');
  }
  return { urls: [file], location: file, sizeBytes: info.size };
}

/** A glob expanded to its files, sorted (DuckDB's own glob would list folders the engine may not list). */
async function globFiles(name: string, pattern: string, how: string, confined: Confinement | null): Promise<LinkedSource> {
  const segments = pattern.split(path.sep);
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const base = segments.slice(0, firstGlob).join(path.sep) || path.sep;
  if (confined) {
    const refusal = await confinementRefusal(base, confined);
    if (refusal) throw new SourceUnavailable(`Data source ${name}: ${refusal}`, 'not allowed');
  }
  const matcher = globRegExp(pattern);
  let entries: string[];
  try {
    entries = await readdir(base, { recursive: segments.slice(firstGlob).some((s) => s === '**') || firstGlob < segments.length - 1 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SourceUnavailable(`Data source ${name}: cannot list ${base}${how}: ${code === 'ENOENT' ? 'no such folder' : (err as Error).message}.`, 'not found');
  }
  const files: string[] = [];
  let bytes = 0;
  for (const entry of entries.sort()) {
    const file = path.join(base, entry);
    if (!matcher.test(file)) continue;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) continue;
    // Hidden and key files are never data: a glob over the dashboard's folder leaves them out.
    if (confined && (await confinementRefusal(file, confined))) continue;
    files.push(file);
    bytes += info.size;
  }
  if (files.length === 0) throw new SourceUnavailable(`Data source ${name}: ${pattern}${how} matches no file.`, 'not found');
  return { urls: files, location: pattern, sizeBytes: bytes };
}

/** Why a declared path may not be read (outside the dashboard's folder, hidden, a key file), or null. */
async function confinementRefusal(file: string, confined: Confinement): Promise<string | null> {
  const folder = await realpath(confined.folder).catch(() => path.resolve(confined.folder));
  const real = await realpath(file).catch(() => path.resolve(file));
  const rel = path.relative(folder, real);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    const via = real === path.resolve(file) ? '' : ` (it leads to ${real})`;
    return (
      `not reading ${confined.declared}${via}: the dashboard file may only read files in its own folder (${folder}). ` +
      `If you mean to read it, say so: --source ${confined.sourceName}=PATH.`
    );
  }
  const hidden = rel.split(path.sep).find((segment) => segment.startsWith('.'));
  if (hidden !== undefined) return `not reading ${confined.declared}: it is a hidden file or folder ("${hidden}"); Northstar never reads those as data.`;
  // Loaded only here: the gateway module brings the S3 client, which the other commands do not need.
  const { isCredentialFileName } = await import('../electron/services/data-gateway');
  const base = path.basename(real);
  if (isCredentialFileName(base)) return `not reading ${confined.declared}: it is a credential or key file ("${base}"); Northstar never reads those as data.`;
  return null;
}

/** A glob as DuckDB reads it (`*` and `?` within a folder, `**` across folders, `[...]` a set), for whole paths. */
export function globRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of folders, also none.
      const slash = pattern[i + 2] === path.sep;
      out += slash ? `(?:.*${escapeRe(path.sep)})?` : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += `[^${escapeRe(path.sep)}]*`;
    else if (c === '?') out += `[^${escapeRe(path.sep)}]`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        out += `[${body.startsWith('!') ? `^${body.slice(1).replace(/[\\\]]/g, '\\$&')}` : body.replace(/[\\\]]/g, '\\$&')}]`;
        i = end;
      }
    } else out += escapeRe(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
