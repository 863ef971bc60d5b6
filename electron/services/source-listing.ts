// Sources that name many files, expanded by the host into the objects the data gateway mounts
// (DuckDB then reads them as one table): an S3 prefix (`s3://bucket/orders/`) or glob
// (`s3://bucket/orders/*/*.parquet`), or a local glob or folder (`data/*.parquet`, `data/`).
//
// Glob syntax, matched by our own code (no library, no regular expressions): `*` matches within one
// path segment, `?` one character of a segment, `**` as a whole segment any number of segments
// (also none), `[abc]`, `[a-z]` and `[!a-z]` one character from a set. Case-sensitive, like S3
// keys. A prefix or folder (ending in "/") means every file below it with the format's extension.
//
// Local patterns read only regular files (symlinks are not followed, so a link cannot lead a glob
// out of its folder), and only inside the dashboard's folder unless the caller allows the pattern
// (the user typed it in this session): a dashboard file from elsewhere cannot enumerate the disk.
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { HostError, type AccessKeys } from '../api/host-api';
import type { Source } from '../../dashboards/schema';
import { displayUrl, explainS3Error, type S3ObjectRef } from './data-gateway';
import { createS3Client, describeEndpoint, type S3ConnectionRef } from './s3-access';

/** At most this many files are read as one source. */
export const MAX_SOURCE_OBJECTS = 10_000;
/** Keys or directory entries looked at while matching one pattern, so a broad one cannot list a whole bucket or disk. */
export const MAX_SCANNED_ENTRIES = 200_000;
/** Keys per ListObjectsV2 page (S3's own maximum). */
export const DEFAULT_PAGE_SIZE = 1000;

export type SourceFormat = Source['format'];

/** File name endings a prefix or folder keeps, per format (compared case-insensitively). */
export const FORMAT_EXTENSIONS: Record<SourceFormat, readonly string[]> = {
  parquet: ['.parquet'],
  csv: ['.csv', '.tsv'],
  json: ['.json', '.jsonl', '.ndjson'],
};

// --- globs --------------------------------------------------------------------------------------
// Matched without regular expressions: a pattern is a list of segments, each `**` or a list of
// tokens; segments match by dynamic programming and tokens by the classic two-pointer wildcard
// scan, so a hostile pattern costs at most (pattern length × key length), never exponential time.

type CharToken = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'set'; negate: boolean; items: (string | [string, string])[] };
type SegmentToken = CharToken | { kind: 'star' };
type Segment = { kind: 'globstar' } | { kind: 'tokens'; tokens: SegmentToken[]; literal: boolean };

function parseSegment(text: string): Segment {
  if (text === '**') return { kind: 'globstar' };
  const chars = Array.from(text);
  const tokens: SegmentToken[] = [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === '*') {
      // `**` inside a segment (as in `**.parquet`) is just `*`: only a whole `**` crosses folders.
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
      i += 1;
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
      i += 1;
    } else if (c === '[') {
      let j = i + 1;
      const negate = chars[j] === '!' || chars[j] === '^';
      if (negate) j += 1;
      // A "]" right after "[" or "[!" belongs to the set.
      const close = chars.indexOf(']', j + 1);
      if (close === -1) {
        tokens.push({ kind: 'char', c });
        i += 1;
        continue;
      }
      const body = chars.slice(j, close);
      const items: (string | [string, string])[] = [];
      for (let k = 0; k < body.length; k += 1) {
        const from = body[k] as string;
        if (body[k + 1] === '-' && k + 2 < body.length) {
          items.push([from, body[k + 2] as string]);
          k += 2;
        } else {
          items.push(from);
        }
      }
      tokens.push({ kind: 'set', negate, items });
      i = close + 1;
    } else {
      tokens.push({ kind: 'char', c });
      i += 1;
    }
  }
  return { kind: 'tokens', tokens, literal: tokens.every((t) => t.kind === 'char') };
}

function parseGlob(pattern: string): Segment[] {
  // Sets never hold "/", so splitting first is safe.
  return pattern.split('/').map(parseSegment);
}

function charMatches(token: CharToken, c: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.c === c;
    case 'one':
      return true;
    case 'set': {
      const inSet = token.items.some((item) => (typeof item === 'string' ? item === c : item[0] <= c && c <= item[1]));
      return inSet !== token.negate;
    }
  }
}

function segmentMatches(tokens: SegmentToken[], text: string): boolean {
  const chars = Array.from(text);
  let t = 0;
  let s = 0;
  let starAt = -1;
  let starText = 0;
  while (s < chars.length) {
    const token = tokens[t];
    if (token && token.kind !== 'star' && charMatches(token, chars[s] as string)) {
      t += 1;
      s += 1;
    } else if (token?.kind === 'star') {
      starAt = t;
      starText = s;
      t += 1;
    } else if (starAt !== -1) {
      // Let the last star take one more character and try again from there.
      t = starAt + 1;
      starText += 1;
      s = starText;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t += 1;
  return t === tokens.length;
}

/** Compile a glob into a test for whole "/"-separated keys or paths. */
export function compileGlob(pattern: string): (candidate: string) => boolean {
  const segments = parseGlob(pattern);
  return (candidate) => {
    const parts = candidate.split('/');
    // memo[p * (parts.length + 1) + k]: 0 unknown, 1 match, 2 no match.
    const memo = new Uint8Array((segments.length + 1) * (parts.length + 1));
    const match = (p: number, k: number): boolean => {
      const slot = p * (parts.length + 1) + k;
      if (memo[slot]) return memo[slot] === 1;
      let result: boolean;
      const segment = segments[p];
      if (!segment) result = k === parts.length;
      else if (segment.kind === 'globstar') result = match(p + 1, k) || (k < parts.length && match(p, k + 1));
      else result = k < parts.length && segmentMatches(segment.tokens, parts[k] as string) && match(p + 1, k + 1);
      memo[slot] = result ? 1 : 2;
      return result;
    };
    return match(0, 0);
  };
}

/** Whether a key or "/"-separated path matches the glob. */
export function matchesGlob(pattern: string, candidate: string): boolean {
  return compileGlob(pattern)(candidate);
}

/** Whether the text holds a glob (`*`, `?`, `**` or a `[...]` set). */
export function hasGlob(pattern: string): boolean {
  return parseGlob(pattern).some((segment) => segment.kind === 'globstar' || !segment.literal);
}

/** Whether a path, key or URI names many files: a glob, or a folder or prefix ending in "/". */
export function isMultiFilePattern(spec: string): boolean {
  return spec.endsWith('/') || hasGlob(spec);
}

/** The text before the first glob character: what every match starts with. */
export function literalPrefix(pattern: string): string {
  let prefix = '';
  for (const [i, segment] of parseGlob(pattern).entries()) {
    const sep = i > 0 ? '/' : '';
    if (segment.kind === 'globstar') return prefix + sep;
    if (segment.literal) {
      prefix += sep + segment.tokens.map((t) => (t as { c: string }).c).join('');
      continue;
    }
    const lead = segment.tokens.findIndex((t) => t.kind !== 'char');
    return prefix + sep + segment.tokens.slice(0, lead).map((t) => (t as { c: string }).c).join('');
  }
  return prefix;
}

function hasExtension(name: string, format: SourceFormat): boolean {
  const lower = name.toLowerCase();
  return FORMAT_EXTENSIONS[format].some((ext) => lower.endsWith(ext));
}

/** What a pattern lists (a prefix) and keeps (a test); a folder or prefix keeps files of the format. */
function matcher(spec: string, format: SourceFormat): { prefix: string; keep: (key: string) => boolean; folder: boolean } {
  const folder = spec.endsWith('/');
  const pattern = folder ? `${spec}**` : spec;
  const test = compileGlob(pattern);
  return {
    prefix: literalPrefix(pattern),
    folder,
    keep: (key) => !key.endsWith('/') && test(key) && (!folder || hasExtension(key, format)),
  };
}

// --- S3 -------------------------------------------------------------------------------------------

export interface ListedS3Object {
  key: string;
  sizeBytes: number | null;
}

export interface ListOptions {
  /** Keys per ListObjectsV2 page (tests use small pages to exercise pagination). */
  pageSize?: number;
  maxObjects?: number;
  maxScanned?: number;
}

/** Split `s3://bucket/key` into bucket and key, or throw badRequest. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new HostError('badRequest', `${uri} is not an s3://bucket/key URI.`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/**
 * The objects of a bucket whose keys match a glob, or that lie under a prefix (`spec` ends in "/")
 * and end in the format's extension; sorted by key. Throws notFound when none match, tooLarge
 * above `maxObjects`, and the gateway's typed S3 errors when the listing fails.
 */
export async function listS3Objects(conn: S3ConnectionRef & { bucket: string }, spec: string, format: SourceFormat, opts: ListOptions = {}): Promise<ListedS3Object[]> {
  const maxObjects = opts.maxObjects ?? MAX_SOURCE_OBJECTS;
  const maxScanned = opts.maxScanned ?? MAX_SCANNED_ENTRIES;
  const { prefix, keep, folder } = matcher(spec, format);
  const shown = `s3://${conn.bucket}/${spec}`;
  const client = createS3Client(conn);
  const found: ListedS3Object[] = [];
  let scanned = 0;
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: conn.bucket,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(token ? { ContinuationToken: token } : {}),
          MaxKeys: opts.pageSize ?? DEFAULT_PAGE_SIZE,
        }),
      );
    } catch (err) {
      const ref: S3ObjectRef = { ...conn, key: spec };
      throw await explainS3Error(ref, err, 'list');
    }
    for (const object of page.Contents ?? []) {
      scanned += 1;
      if (!object.Key || !keep(object.Key)) continue;
      found.push({ key: object.Key, sizeBytes: object.Size ?? null });
      if (found.length > maxObjects) throw tooManyFiles(shown, maxObjects);
    }
    if (scanned >= maxScanned && page.IsTruncated) throw tooManyScanned(shown, maxScanned);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (found.length === 0) {
    const where = describeEndpoint(conn);
    throw new HostError(
      'notFound',
      folder
        ? `No ${FORMAT_EXTENSIONS[format].join(' or ')} object under ${shown} at ${where}.`
        : `No object matches ${shown} at ${where}.`,
    );
  }
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// --- local files ----------------------------------------------------------------------------------

export interface ListedFile {
  path: string;
  sizeBytes: number;
}

/**
 * The regular files matching an absolute glob, or below a folder (`absPattern` ends in the path
 * separator) with the format's extension; sorted by path. With `within`, the folder the pattern
 * starts from must lie inside that folder (after resolving symlinks), else accessDenied.
 */
export async function listLocalFiles(absPattern: string, format: SourceFormat, opts: ListOptions & { within?: string } = {}): Promise<ListedFile[]> {
  const maxObjects = opts.maxObjects ?? MAX_SOURCE_OBJECTS;
  const maxScanned = opts.maxScanned ?? MAX_SCANNED_ENTRIES;
  // Matching works on "/"-separated paths on every platform.
  const posix = toPosix(absPattern);
  const { keep, folder } = matcher(posix, format);
  const baseDir = patternFolder(posix) || '/';
  const rest = posix.slice(baseDir.length) + (folder ? '**' : '');
  const maxDepth = rest.includes('**') ? Infinity : rest.split('/').length;

  let realBase: string;
  try {
    realBase = await fs.realpath(baseDir);
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) throw noLocalMatch(absPattern, folder, format);
    throw new HostError('accessDenied', `Cannot open the folder ${baseDir}: ${(err as Error).message}`);
  }
  if (opts.within !== undefined) {
    const realWithin = await fs.realpath(opts.within).catch(() => path.resolve(opts.within as string));
    if (!isInside(realBase, realWithin)) {
      throw new HostError(
        'accessDenied',
        `${absPattern} is outside the dashboard's folder (${opts.within}). A dashboard file may only list files in its own folder; enter the pattern in Data sources to read it in this session.`,
      );
    }
  }

  const found: ListedFile[] = [];
  let scanned = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      // An unreadable subfolder is skipped; an unreadable starting folder is an error.
      if (depth === 0) throw new HostError('accessDenied', `Cannot list the folder ${dir}: ${(err as Error).message}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      scanned += 1;
      if (scanned > maxScanned) throw tooManyScanned(absPattern, maxScanned);
      const full = `${dir}${entry.name}`;
      if (entry.isDirectory()) {
        if (depth + 1 < maxDepth) await walk(`${full}/`, depth + 1);
      } else if (entry.isFile() && keep(full)) {
        found.push({ path: path.sep === '/' ? full : full.split('/').join(path.sep), sizeBytes: 0 });
        if (found.length > maxObjects) throw tooManyFiles(absPattern, maxObjects);
      }
    }
  };
  await walk(baseDir, 0);
  if (found.length === 0) throw noLocalMatch(absPattern, folder, format);
  for (const file of found) {
    try {
      file.sizeBytes = (await fs.stat(file.path)).size;
    } catch {
      // Gone since the listing: the read will say so.
    }
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The folder part of a pattern's literal prefix: `orders/year=202*` → `orders/`. */
function patternFolder(pattern: string): string {
  const base = literalPrefix(pattern.endsWith('/') ? `${pattern}**` : pattern);
  return base.slice(0, base.lastIndexOf('/') + 1);
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code;
}

function noLocalMatch(pattern: string, folder: boolean, format: SourceFormat): HostError {
  return new HostError('notFound', folder ? `No ${FORMAT_EXTENSIONS[format].join(' or ')} file in ${pattern}.` : `No file matches ${pattern}.`);
}

function tooManyFiles(pattern: string, max: number): HostError {
  return new HostError('tooLarge', `${pattern} matches more than ${max.toLocaleString('en-US')} files; Northstar reads at most ${max.toLocaleString('en-US')} as one source. Narrow the pattern, e.g. to some partitions.`);
}

function tooManyScanned(pattern: string, max: number): HostError {
  return new HostError('tooLarge', `Matching ${pattern} looked at more than ${max.toLocaleString('en-US')} entries without finishing. Give more of the path before the first wildcard.`);
}

// --- sources ----------------------------------------------------------------------------------------

/** One file of a source, ready for the data gateway to mount. */
export type SourceObject =
  | { kind: 'file'; absPath: string; name: string; sizeBytes: number | null }
  | { kind: 's3'; ref: S3ObjectRef; name: string; sizeBytes: number | null }
  | { kind: 'url'; url: string; sizeBytes: null };

export interface ExpandedSource {
  /** Where the data is, for people: a path, pattern, s3:// URI (and endpoint) or URL. */
  location: string;
  /** True when the source is a prefix, folder or glob; the sizes then come from the listing. */
  multiFile: boolean;
  objects: SourceObject[];
}

export interface ExpandContext {
  dashboardFile: string;
  keys?: AccessKeys;
  /** Whether a local pattern outside the dashboard's folder may be listed (the user typed it). */
  allowLocalPattern(absPattern: string): boolean;
  list?: ListOptions;
}

/** The absolute form of a local source's path (a folder keeps its trailing separator). */
export function resolveLocalPath(dashboardFile: string, spec: string): string {
  const abs = path.resolve(path.dirname(dashboardFile), spec);
  return /[/\\]$/.test(spec) && !abs.endsWith(path.sep) ? `${abs}${path.sep}` : abs;
}

/**
 * The files a source reads: one named file, object or URL as is (not checked here), or the
 * matches of a prefix, folder or glob (listed now). Errors are HostErrors without the source name.
 */
export async function expandSource(source: Source, ctx: ExpandContext): Promise<ExpandedSource> {
  switch (source.kind) {
    case 'file': {
      const abs = resolveLocalPath(ctx.dashboardFile, source.path);
      if (!isMultiFilePattern(source.path)) return { location: abs, multiFile: false, objects: [{ kind: 'file', absPath: abs, name: path.basename(abs), sizeBytes: null }] };
      const within = ctx.allowLocalPattern(abs) ? undefined : path.dirname(ctx.dashboardFile);
      const files = await listLocalFiles(abs, source.format, { ...ctx.list, ...(within !== undefined ? { within } : {}) });
      // As for S3: the URL keeps the path below the pattern's folder (partition folders stay visible).
      const folder = patternFolder(toPosix(abs));
      return {
        location: abs,
        multiFile: true,
        objects: files.map((f) => ({ kind: 'file', absPath: f.path, name: toPosix(f.path).slice(folder.length), sizeBytes: f.sizeBytes })),
      };
    }
    case 's3': {
      const { bucket, key } = parseS3Uri(source.uri);
      const conn: S3ConnectionRef = {
        ...(source.endpoint ? { endpoint: source.endpoint } : {}),
        ...(source.region ? { region: source.region } : {}),
        ...(source.profile ? { profile: source.profile } : {}),
        ...(source.pathStyle !== undefined ? { pathStyle: source.pathStyle } : {}),
        ...(ctx.keys ? { keys: ctx.keys } : {}),
      };
      const location = source.endpoint ? `${source.uri} at ${source.endpoint}` : source.uri;
      if (!isMultiFilePattern(key)) {
        return { location, multiFile: false, objects: [{ kind: 's3', ref: { ...conn, bucket, key }, name: key.split('/').pop() ?? key, sizeBytes: null }] };
      }
      const listed = await listS3Objects({ ...conn, bucket }, key, source.format, ctx.list);
      // The URL keeps the key below the pattern's folder, so partition folders (year=2025/) stay
      // visible: DuckDB then finds hive partitions in the paths, as it would reading the glob itself.
      const folder = patternFolder(key);
      return {
        location,
        multiFile: true,
        objects: listed.map((o) => ({ kind: 's3', ref: { ...conn, bucket, key: o.key }, name: o.key.slice(folder.length), sizeBytes: o.sizeBytes })),
      };
    }
    case 'url': {
      let parsed: URL;
      try {
        parsed = new URL(source.url);
      } catch {
        throw new HostError('badRequest', `${source.url.slice(0, 200)} is not a URL.`);
      }
      return { location: displayUrl(parsed), multiFile: false, objects: [{ kind: 'url', url: source.url, sizeBytes: null }] };
    }
  }
}
