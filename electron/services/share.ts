// Share a dashboard as a folder a colleague can open as it is: the dashboard file as saved on disk
// and, on request, a snapshot of its data under data/ (local files, S3 objects and URLs; the shared
// copy's sources are rewritten to read those files) and its version history.
//
// Safety, in the order it is checked:
//  - Everything is planned before anything is written: every source is listed (and single S3
//    objects HEADed), every target name checked, so a refusal leaves no trace.
//  - Names come from us (`data/<source name>...`) or from listings, segment by segment sanitised;
//    `..`, empty and dot segments are refused. Every destination is checked to lie inside the real
//    target folder, existing folders on the way must be real folders (not links), and files are
//    placed with a link that fails if the name exists, so nothing is ever written elsewhere or over
//    an existing file. An existing identical file is kept; a different one is a `conflict`.
//  - Data is streamed to a temp file next to its destination (never buffered whole) and only
//    then given its name; on any failure, everything this call created is removed again.
//  - Credentials are never written: keys only sign reads; a dashboard or history file that holds
//    something credential-like is refused or left out (dashboards/document.ts finds them); and a
//    local data file outside the dashboard's folder is not copied from a hidden folder (~/.aws,
//    ~/.ssh, .env...) or /proc, /sys, /dev, where a hostile dashboard could point a "data" source.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type Stats } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { HostError, type AccessKeys, type hostApiArgs, type SharedDashboard, type SharedFile } from '../api/host-api';
import type { z } from 'zod';
import type { Source } from '../../dashboards/schema';
import { loadDashboard, MAX_DASHBOARD_BYTES, serializeDashboard } from '../../dashboards/document';
import { displayUrl, explainS3Error, isCredentialFileName, type S3ObjectRef } from './data-gateway';
import { readHistory } from './history-store';
import { createS3Client } from './s3-access';
import { expandSource, FORMAT_EXTENSIONS, literalPrefix, resolveLocalPath, type ExpandContext, type SourceObject } from './source-listing';

export type ShareRequest = z.infer<(typeof hostApiArgs)['shareDashboard']>[0];

/** A URL source larger than this is not downloaded into a share. */
export const MAX_URL_DOWNLOAD_BYTES = 2 * 1024 * 1024 * 1024;

export interface ShareOptions {
  /** Whether the renderer opened this dashboard in this session; only those may be shared. */
  isOpenDashboard?: (absPath: string) => boolean;
  /** How a source is listed and signed (host services pass theirs, with keys typed this session). */
  expandContext?: (dashboardFile: string, source: Source, keys: AccessKeys | undefined) => ExpandContext;
  /** Cap of one URL download (tests lower it). */
  maxUrlBytes?: number;
}

// Same shape as the history store's names: the history folder and its files are copied only if
// they look like what Northstar writes there.
const DASHBOARD_ID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const HISTORY_FILE = /^\d{6,}-[0-9a-f]{12}\.json$/;
// Recognised by cleanStaleTempFiles (atomic-write.ts) should a crash leave one behind.
const TEMP_SUFFIX = '.northstar-tmp';
const PARQUET_MAGIC = Buffer.from('PAR1', 'ascii');
const COMPRESSION_SUFFIXES = ['.gz', '.zst'];
const MAX_SEGMENT_BYTES = 255;

const MAX_REDIRECTS = 5;
const URL_CONNECT_TIMEOUT_MS = 5_000;
const URL_IDLE_TIMEOUT_MS = 30_000;
const URL_USER_AGENT = 'Northstar-share';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/** One file of the share, planned before anything is written. */
interface PlannedFile {
  /** Path inside the share folder, "/"-separated. */
  rel: string;
  kind: SharedFile['kind'];
  /** Where it comes from, for messages: a path, s3:// URI or URL. */
  origin: string;
  /** The size, when known before copying. */
  size: number | null;
  /** The bytes, for the small files we already hold (the dashboard, history revisions). */
  bytes?: Buffer;
  /** Opens the data stream; called once, when the file is written. */
  open?: () => Promise<OpenedStream>;
  /** Must start with PAR1. */
  parquet: boolean;
  /** Refuse past this many bytes. */
  maxBytes?: number;
  /** The data source it belongs to, named in errors. */
  source?: string;
}

interface OpenedStream {
  stream: Readable;
  /** The length the source announced; a different count means the transfer broke. */
  length: number | null;
}

/** Write a share of a dashboard; see `hostApiArgs.shareDashboard`. */
export async function shareDashboard(req: ShareRequest, opts: ShareOptions = {}): Promise<SharedDashboard> {
  const dashboardFile = path.resolve(req.dashboardPath);
  if (opts.isOpenDashboard && !opts.isOpenDashboard(dashboardFile)) {
    throw new HostError('badRequest', 'Only a dashboard opened in this session can be shared.');
  }
  const originalBytes = await readDashboardFile(dashboardFile);
  const originalText = originalBytes.toString('utf8');
  const loaded = loadDashboard(originalText);
  if (!loaded.ok) throw new HostError('badRequest', `${path.basename(dashboardFile)} cannot be shared: ${loaded.error.message}`);
  const doc = loaded.dashboard;
  const folder = await checkTargetFolder(req.targetDir, dashboardFile);
  const realDashboardDir = await fs.realpath(path.dirname(dashboardFile));
  const notes: string[] = [];

  // --- plan -------------------------------------------------------------------------------------
  const planned: PlannedFile[] = [];
  const rewrittenSources: string[] = [];
  let sources = doc.sources;
  if (req.withData) {
    const makeContext = opts.expandContext ?? ((file: string, _s: Source, keys: AccessKeys | undefined) => ({ dashboardFile: file, ...(keys ? { keys } : {}), allowLocalPattern: () => false }));
    const roots = new Set<string>();
    sources = [];
    for (const source of doc.sources) {
      const planForSource = await namingSource(source.name, () =>
        planSource(source, makeContext(dashboardFile, source, req.keys?.[source.name]), dashboardRoot(source.name, roots), realDashboardDir, opts.maxUrlBytes ?? MAX_URL_DOWNLOAD_BYTES),
      );
      planned.push(...planForSource.files.map((f) => ({ ...f, source: source.name })));
      sources.push(planForSource.source);
      if (JSON.stringify(planForSource.source) !== JSON.stringify(source)) rewrittenSources.push(source.name);
    }
  }
  if (req.withHistory) planned.push(...(await planHistory(dashboardFile, doc.id, notes)));

  let dashboardBytes = originalBytes;
  if (rewrittenSources.length > 0) {
    // The loader's repairs (a dropped broken panel, say) would silently go out with the rewrite.
    const repair = loaded.warnings[0];
    if (repair) throw new HostError('badRequest', `${path.basename(dashboardFile)} needs repairs (${repair.path}: ${repair.message}); open and save it before sharing it with data.`);
    // The revision block stays: its contentHash no longer matches, which is how Northstar tells an
    // edited copy of revision N, and a colleague's next save continues that lineage.
    const text = serializeDashboard({ ...doc, sources });
    const check = loadDashboard(text);
    if (!check.ok) throw new HostError('internal', `The shared copy does not load (${check.error.message}).`);
    dashboardBytes = Buffer.from(text, 'utf8');
  }
  // Data first and the dashboard last: a half-written share never has a dashboard pointing at missing files.
  const dashboardRel = safeFileName(path.basename(dashboardFile));
  planned.push({ rel: dashboardRel, kind: 'dashboard', origin: dashboardFile, size: dashboardBytes.length, bytes: dashboardBytes, parquet: false });
  if (!req.withData && doc.sources.length > 0) {
    notes.push('Without data, the copy reads the same sources as yours: a colleague needs access to them (local files do not travel).');
  }

  checkUniqueNames(planned);
  const existing = await preflight(folder, planned);
  await checkFreeSpace(folder, planned, existing);

  // --- write ------------------------------------------------------------------------------------
  const journal = new Journal();
  const written: SharedFile[] = [];
  try {
    const realFolder = await makeFolder(folder, journal);
    for (const file of planned) {
      const bytes = await namingFile(file, () => writeFile(realFolder, file, journal));
      written.push({ path: file.rel, bytes, kind: file.kind });
    }
    await verifyRewrittenSources(path.join(realFolder, dashboardRel), sources, rewrittenSources, planned);
  } catch (err) {
    await journal.rollback();
    throw err;
  }
  const order: Record<SharedFile['kind'], number> = { dashboard: 0, data: 1, history: 2 };
  written.sort((a, b) => order[a.kind] - order[b.kind]);
  return { folder, files: written, rewrittenSources, notes };
}

// --- the dashboard and the target folder ----------------------------------------------------------

async function readDashboardFile(file: string): Promise<Buffer> {
  let stat: Stats;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new HostError('notFound', `No dashboard file at ${file}: save it before sharing it.`);
  }
  if (!stat.isFile()) throw new HostError('badRequest', `${file} is not a file.`);
  if (stat.size > MAX_DASHBOARD_BYTES) throw new HostError('tooLarge', `${path.basename(file)} is larger than a dashboard may be.`);
  return fs.readFile(file);
}

/** The target folder, absolute, after refusing paths that are ambiguous or would mix with Northstar's own files. */
async function checkTargetFolder(raw: string, dashboardFile: string): Promise<string> {
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new HostError('badRequest', 'The folder path holds control characters.');
  if (!path.isAbsolute(raw)) throw new HostError('badRequest', `Give the full path of the folder to share into, not "${raw.slice(0, 200)}".`);
  if (raw.split(/[\\/]+/).includes('..')) throw new HostError('badRequest', 'A folder path with ".." is refused: give the folder itself.');
  const folder = path.resolve(raw);
  if (folder === path.parse(folder).root) throw new HostError('badRequest', `Share into a folder, not the root of the disk (${folder}).`);
  const stat = await fs.stat(folder).catch(() => null);
  if (stat && !stat.isDirectory()) throw new HostError('badRequest', `${folder} is a file, not a folder.`);
  const real = await realPathOfNearest(folder);
  if (real === (await fs.realpath(path.dirname(dashboardFile)))) {
    throw new HostError('badRequest', `${folder} is the dashboard's own folder: share into another folder, so the copy and the original do not mix.`);
  }
  if (real.split(path.sep).includes('.northstar')) {
    throw new HostError('badRequest', `${folder} is inside a .northstar folder, where Northstar keeps its own state: share into another folder.`);
  }
  return folder;
}

/** The real path of `p`: its deepest existing ancestor with links resolved, plus the rest as given. */
async function realPathOfNearest(p: string): Promise<string> {
  const rest: string[] = [];
  let at = p;
  for (;;) {
    try {
      return path.join(await fs.realpath(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return p;
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

// --- data -------------------------------------------------------------------------------------------

/** `data/<source name>`, made unique without regard to case (a case-insensitive disk would merge them). */
function dashboardRoot(name: string, used: Set<string>): string {
  let root = `data/${name}`;
  for (let i = 2; used.has(root.toLowerCase()); i += 1) root = `data/${name}_${i}`;
  used.add(root.toLowerCase());
  return root;
}

async function planSource(source: Source, ctx: ExpandContext, root: string, realDashboardDir: string, maxUrlBytes: number): Promise<{ files: PlannedFile[]; source: Source }> {
  const expanded = await expandSource(source, ctx);
  const parquet = source.format === 'parquet';
  const files: PlannedFile[] = [];
  if (!expanded.multiFile) {
    const object = expanded.objects[0] as SourceObject;
    const ext = dataExtension(objectFileName(object), source.format);
    const rel = `${root}${ext}`;
    files.push(await planObject(object, rel, parquet && !isCompressed(ext), realDashboardDir, maxUrlBytes, true));
    const shared: Source = { name: source.name, kind: 'file', path: rel, format: source.format };
    // A local source already at that place keeps its exact definition.
    return { files, source: sameLocalPlace(source, rel) ? source : shared };
  }
  for (const object of expanded.objects) {
    const name = (object as { name: string }).name;
    const rel = `${root}/${safeRelativePath(name)}`;
    files.push(await planObject(object, rel, parquet && !isCompressed(name.toLowerCase()), realDashboardDir, maxUrlBytes, false));
  }
  // The part of the pattern below its folder matches the copied files just as it matched the
  // originals (they keep their names below that folder); a prefix or folder stays a folder.
  const spec = source.kind === 's3' ? source.uri.replace(/^s3:\/\/[^/]+\//, '') : source.kind === 'file' ? toPosix(resolveLocalPath(ctx.dashboardFile, source.path)) : '';
  const rest = spec.endsWith('/') ? '' : spec.slice(patternFolder(spec).length);
  const rewritten: Source = { name: source.name, kind: 'file', path: `${root}/${rest}`, format: source.format };
  return { files, source: sameLocalPlace(source, rewritten.path) ? source : rewritten };
}

function sameLocalPlace(source: Source, rel: string): boolean {
  return source.kind === 'file' && toPosix(path.normalize(source.path)) === rel;
}

async function planObject(object: SourceObject, rel: string, parquet: boolean, realDashboardDir: string, maxUrlBytes: number, single: boolean): Promise<PlannedFile> {
  switch (object.kind) {
    case 'file': {
      const { real, size } = await checkLocalDataFile(object.absPath, realDashboardDir);
      return { rel, kind: 'data', origin: object.absPath, size, parquet, open: async () => ({ stream: createReadStream(real), length: null }) };
    }
    case 's3': {
      const ref = object.ref;
      let size = object.sizeBytes;
      if (single) {
        // One HEAD now: the size for the checks below, and a refused key fails before anything is written.
        try {
          size = (await createS3Client(ref).send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }))).ContentLength ?? null;
        } catch (err) {
          throw await explainS3Error(ref, err, 'head');
        }
      }
      return { rel, kind: 'data', origin: `s3://${ref.bucket}/${ref.key}`, size, parquet, open: () => openS3Object(ref) };
    }
    case 'url': {
      const target = checkUrl(object.url);
      return { rel, kind: 'data', origin: displayUrl(target), size: null, parquet, maxBytes: maxUrlBytes, open: () => openUrl(target, maxUrlBytes) };
    }
  }
}

/** Refuse local "data" that is more likely a credential than data; returns the file's real path and size. */
async function checkLocalDataFile(absPath: string, realDashboardDir: string): Promise<{ real: string; size: number }> {
  let real: string;
  let stat: Stats;
  try {
    real = await fs.realpath(absPath);
    stat = await fs.stat(real);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new HostError('accessDenied', `Permission denied reading ${absPath}.`);
    throw new HostError('notFound', `File not found: ${absPath}`);
  }
  if (!stat.isFile()) throw new HostError('notFound', `Not a regular file: ${absPath}`);
  // Hidden places (~/.aws, .ssh, .env, .git) and key files are never data: a share must not carry
  // them to a colleague, even from inside the dashboard's folder (the gateway refuses them too).
  const inside = isInside(real, realDashboardDir);
  const parts = inside ? path.relative(realDashboardDir, real).split(path.sep) : real.split(path.sep).filter(Boolean);
  const hidden = parts.find((p) => p.startsWith('.'));
  const system = !inside && process.platform !== 'win32' && ['proc', 'sys', 'dev'].includes(parts[0] ?? '');
  const keyFile = isCredentialFileName(path.basename(real));
  if (hidden || system || keyFile) {
    const what = system ? 'a system file' : hidden ? `in a hidden place ("${hidden}")` : `a credential or key file ("${path.basename(real)}")`;
    throw new HostError(
      'accessDenied',
      `${absPath} is ${what}. Shares never copy such files, since they often hold credentials; copy the data next to the dashboard under another name if it belongs in the share.`,
    );
  }
  return { real, size: stat.size };
}

async function openS3Object(ref: S3ObjectRef): Promise<OpenedStream> {
  let out;
  try {
    out = await createS3Client(ref).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  } catch (err) {
    throw await explainS3Error(ref, err, 'get');
  }
  const body = out.Body as Readable | undefined;
  return { stream: body ?? Readable.from([]), length: out.ContentLength ?? null };
}

function checkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HostError('badRequest', `Not a URL: ${JSON.stringify(raw.slice(0, 200))}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HostError('badRequest', `Only http and https URLs are downloaded, not ${url.protocol.replace(/:$/, '')}.`);
  if (url.username || url.password) throw new HostError('badRequest', `${displayUrl(url)} carries a user name or password; Northstar sends no credentials to plain URLs.`);
  url.hash = '';
  return url;
}

/** GET a URL as the data gateway does (no credentials, no cookies, redirects never from https down to http). */
async function openUrl(target: URL, maxBytes: number): Promise<OpenedStream> {
  let res: http.IncomingMessage;
  try {
    res = await requestUrl(target, 0);
  } catch (err) {
    throw urlError(target, err);
  }
  const status = res.statusCode ?? 0;
  const refuse = (error: HostError): never => {
    res.destroy();
    throw error;
  };
  if (status !== 200) refuse(urlStatusError(target, status));
  const encoding = res.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') refuse(new HostError('network', `${target.host} sent ${displayUrl(target)} compressed (${encoding}); the file itself cannot be copied.`));
  const length = Number(res.headers['content-length']);
  const known = res.headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : null;
  if (known !== null && known > maxBytes) refuse(tooLargeUrl(target, maxBytes, known));
  return { stream: res, length: known };
}

function requestUrl(target: URL, redirects: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = target.protocol === 'https:';
    const headers: http.OutgoingHttpHeaders = { 'accept-encoding': 'identity', 'user-agent': URL_USER_AGENT };
    const req = (secure ? https : http).request(target, { method: 'GET', headers }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(status) || !location) {
        resolve(res);
        return;
      }
      res.resume();
      let next: URL;
      try {
        next = new URL(location, target);
      } catch {
        reject(new HostError('network', `${target.host} redirected ${displayUrl(target)} to an invalid URL.`));
        return;
      }
      const why =
        redirects >= MAX_REDIRECTS
          ? `more than ${MAX_REDIRECTS} redirects`
          : next.protocol !== 'http:' && next.protocol !== 'https:'
            ? `a redirect to a ${next.protocol} URL`
            : secure && next.protocol === 'http:'
              ? 'a redirect from https down to http'
              : next.username || next.password
                ? 'a redirect to a URL with credentials'
                : null;
      if (why) reject(new HostError('network', `${target.host} answered ${displayUrl(target)} with ${why} (${status}).`));
      else requestUrl(next, redirects + 1).then(resolve, reject);
    });
    req.setTimeout(URL_CONNECT_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.once('socket', (socket) => {
      const connected = () => req.setTimeout(URL_IDLE_TIMEOUT_MS);
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.once('error', reject);
    req.end();
  });
}

function urlError(target: URL, err: unknown): HostError {
  if (err instanceof HostError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))) {
    return new HostError('network', `Cannot reach ${target.host} to download ${displayUrl(target)}: ${code}.`);
  }
  return new HostError('internal', `Downloading ${displayUrl(target)} failed: ${err instanceof Error ? err.message : String(err)}`);
}

function urlStatusError(target: URL, status: number): HostError {
  const what = displayUrl(target);
  if (status === 404 || status === 410) return new HostError('notFound', `Nothing at ${what} (${status}).`);
  if (status === 401 || status === 403 || status === 407) return new HostError('accessDenied', `${target.host} refused to serve ${what} (${status}).`);
  if (status >= 500) return new HostError('network', `${target.host} failed to serve ${what} (${status}).`);
  return new HostError('internal', `${target.host} answered ${what} with HTTP ${status}.`);
}

function tooLargeUrl(target: URL, max: number, size?: number): HostError {
  const shown = size !== undefined ? ` is ${formatSize(size)}:` : ' is larger than that:';
  return new HostError('tooLarge', `${displayUrl(target)}${shown} a share copies at most ${formatSize(max)} from one URL. Share without data, or put the file on S3 or next to the dashboard.`);
}

// --- names --------------------------------------------------------------------------------------------

function objectFileName(object: SourceObject): string {
  switch (object.kind) {
    case 'file':
      return path.basename(object.absPath);
    case 's3':
      return object.ref.key.split('/').filter(Boolean).pop() ?? '';
    case 'url':
      return new URL(object.url).pathname.split('/').filter(Boolean).pop() ?? '';
  }
}

/** The copied file's extension: the original's when it is one of the format's (with .gz or .zst kept), else the format's own. */
function dataExtension(fileName: string, format: Source['format']): string {
  const lower = fileName.toLowerCase();
  const compression = COMPRESSION_SUFFIXES.find((c) => lower.endsWith(c)) ?? '';
  const stem = lower.slice(0, lower.length - compression.length);
  const known = FORMAT_EXTENSIONS[format].find((e) => stem.endsWith(e)) ?? FORMAT_EXTENSIONS[format][0];
  return `${known}${compression}`;
}

function isCompressed(name: string): boolean {
  return COMPRESSION_SUFFIXES.some((c) => name.endsWith(c));
}

/** A listed name below a pattern's folder, as a safe relative path: each segment sanitised, `..` refused. */
export function safeRelativePath(name: string): string {
  return name.split('/').map(safeSegment).join('/');
}

function safeSegment(segment: string): string {
  if (segment === '' || segment === '.' || segment === '..') {
    throw new HostError('badRequest', `A file name with an empty, "." or ".." part cannot be copied safely: ${JSON.stringify(segment)}.`);
  }
  let out = segment.replace(/[\u0000-\u001f\u007f\\]/g, '_');
  if (process.platform === 'win32') out = out.replace(/[<>:"|?*]/g, '_').replace(/[. ]+$/, '_');
  if (Buffer.byteLength(out) > MAX_SEGMENT_BYTES) throw new HostError('badRequest', `A file name is too long to copy: ${out.slice(0, 80)}….`);
  return out;
}

function safeFileName(name: string): string {
  return safeSegment(name);
}

function checkUniqueNames(planned: PlannedFile[]): void {
  const seen = new Map<string, PlannedFile>();
  for (const file of planned) {
    const key = file.rel.toLowerCase();
    const before = seen.get(key);
    if (before) throw new HostError('badRequest', `${before.origin} and ${file.origin} would both be copied to ${file.rel}.`);
    seen.set(key, file);
  }
}

/** The folder part of a pattern's literal prefix, as source-listing names files below it. */
function patternFolder(pattern: string): string {
  const base = literalPrefix(pattern.endsWith('/') ? `${pattern}**` : pattern);
  return base.slice(0, base.lastIndexOf('/') + 1);
}

// --- history ------------------------------------------------------------------------------------------

async function planHistory(dashboardFile: string, id: string, notes: string[]): Promise<PlannedFile[]> {
  if (!DASHBOARD_ID.test(id)) return [];
  const files: PlannedFile[] = [];
  for (const entry of await readHistory(dashboardFile, id)) {
    const name = path.basename(entry.file);
    if (!HISTORY_FILE.test(name)) continue;
    const stat = await fs.lstat(entry.file).catch(() => null);
    if (!stat?.isFile()) continue;
    const loaded = loadDashboard(entry.text);
    if (!loaded.ok && loaded.error.kind === 'secret') {
      notes.push(`History revision ${entry.revision.number} was left out: ${loaded.error.message}`);
      continue;
    }
    const bytes = await fs.readFile(entry.file);
    files.push({ rel: `.northstar/history/${id}/${name}`, kind: 'history', origin: entry.file, size: bytes.length, bytes, parquet: false });
  }
  return files;
}

// --- checks before writing ------------------------------------------------------------------------------

/** Refuse before writing anything when a name is taken by something different; returns the names already there. */
async function preflight(folder: string, planned: PlannedFile[]): Promise<Set<string>> {
  const realFolder = await realPathOfNearest(folder);
  const existing = new Set<string>();
  const conflicts: string[] = [];
  const checkedDirs = new Map<string, string | null>();
  for (const file of planned) {
    const parts = file.rel.split('/');
    let blocked: string | null = null;
    for (let i = 1; i < parts.length && !blocked; i += 1) {
      const dirRel = parts.slice(0, i).join('/');
      if (!checkedDirs.has(dirRel)) {
        const stat = await fs.lstat(path.join(realFolder, ...parts.slice(0, i))).catch(() => null);
        checkedDirs.set(dirRel, stat && !stat.isDirectory() ? `${dirRel} exists and is not a folder${stat.isSymbolicLink() ? ' (a link)' : ''}` : null);
      }
      blocked = checkedDirs.get(dirRel) ?? null;
    }
    if (blocked) {
      conflicts.push(blocked);
      continue;
    }
    const dest = path.join(realFolder, ...parts);
    const stat = await fs.lstat(dest).catch(() => null);
    if (!stat) continue;
    if (!stat.isFile()) conflicts.push(`${file.rel} exists and is not a regular file`);
    else if (file.size !== null && stat.size !== file.size) conflicts.push(`${file.rel} exists and differs`);
    else if (file.bytes && !(await fs.readFile(dest)).equals(file.bytes)) conflicts.push(`${file.rel} exists and differs`);
    else existing.add(file.rel);
  }
  if (conflicts.length > 0) throw conflictError(folder, conflicts);
  return existing;
}

function conflictError(folder: string, conflicts: string[]): HostError {
  const shown = conflicts.slice(0, 5).join('; ') + (conflicts.length > 5 ? `; and ${conflicts.length - 5} more` : '');
  return new HostError('conflict', `Not shared: ${folder} already holds other files under the same names (${shown}). Choose an empty folder, or remove them first.`);
}

async function checkFreeSpace(folder: string, planned: PlannedFile[], existing: Set<string>): Promise<void> {
  const needed = planned.reduce((sum, f) => sum + (existing.has(f.rel) ? 0 : (f.size ?? 0)), 0);
  let at = folder;
  for (;;) {
    try {
      const s = await fs.statfs(at);
      const free = Number(s.bavail) * Number(s.bsize);
      if (needed > free) throw new HostError('tooLarge', `Not shared: it needs ${formatSize(needed)} and ${folder} has ${formatSize(free)} free.`);
      return;
    } catch (err) {
      if (err instanceof HostError) throw err;
      const parent = path.dirname(at);
      // No statfs here (or nothing exists yet): the writes will tell.
      if (parent === at) return;
      at = parent;
    }
  }
}

// --- writing --------------------------------------------------------------------------------------------

/** What this call created, removed again when it fails. */
class Journal {
  readonly dirs: string[] = [];
  readonly files: string[] = [];
  readonly temps = new Set<string>();

  async rollback(): Promise<void> {
    for (const file of [...this.temps, ...this.files.reverse()]) await fs.rm(file, { force: true }).catch(() => undefined);
    for (const dir of this.dirs.reverse()) await fs.rmdir(dir).catch(() => undefined);
  }
}

/** Create the target folder (and missing parents), noting each one made; returns its real path. */
async function makeFolder(folder: string, journal: Journal): Promise<string> {
  const missing: string[] = [];
  let at = folder;
  while (!(await fs.stat(at).catch(() => null))) {
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing.reverse()) {
    await fs.mkdir(dir);
    journal.dirs.push(dir);
  }
  return fs.realpath(folder);
}

/** Create the folders of `rel` below `realFolder` one by one, refusing anything that is not a real folder. */
async function makeParents(realFolder: string, rel: string, journal: Journal): Promise<string> {
  let at = realFolder;
  for (const part of rel.split('/').slice(0, -1)) {
    at = path.join(at, part);
    const stat = await fs.lstat(at).catch(() => null);
    if (!stat) {
      await fs.mkdir(at);
      journal.dirs.push(at);
    } else if (!stat.isDirectory()) {
      throw conflictError(realFolder, [`${path.relative(realFolder, at)} exists and is not a folder`]);
    }
  }
  return at;
}

/** Write one planned file under its name; returns its size. An identical file already there is kept. */
async function writeFile(realFolder: string, file: PlannedFile, journal: Journal): Promise<number> {
  const dir = await makeParents(realFolder, file.rel, journal);
  const dest = path.join(dir, path.basename(file.rel));
  if (!isInside(dest, realFolder)) throw new HostError('internal', `Refusing to write outside ${realFolder}: ${file.rel}`);
  const tmp = path.join(dir, `.${path.basename(dest)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  journal.temps.add(tmp);
  const meter = new CopyMeter(file);
  if (file.bytes) {
    await pipeline(Readable.from([file.bytes]), meter, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
  } else if (file.open) {
    const opened = await file.open();
    try {
      await pipeline(opened.stream, meter, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    } catch (err) {
      throw err instanceof HostError ? err : new HostError('network', `Copying ${file.origin} broke off: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (opened.length !== null && opened.length !== meter.bytes) {
      throw new HostError('network', `Copying ${file.origin} broke off after ${formatSize(meter.bytes)} of ${formatSize(opened.length)}.`);
    }
  }
  const digest = meter.digest();

  const there = await fs.lstat(dest).catch(() => null);
  if (there) {
    // Shared here before: keep the file if it is the same, never replace a different one.
    const same = there.isFile() && there.size === meter.bytes && (await hashFile(dest)) === digest;
    await fs.rm(tmp, { force: true });
    journal.temps.delete(tmp);
    if (!same) throw conflictError(realFolder, [`${file.rel} exists and differs`]);
    return meter.bytes;
  }
  await placeWithoutReplacing(tmp, dest);
  journal.temps.delete(tmp);
  journal.files.push(dest);
  return meter.bytes;
}

/** Give the temp file its name; fails rather than replace a file that appeared meanwhile. */
async function placeWithoutReplacing(tmp: string, dest: string): Promise<void> {
  try {
    await fs.link(tmp, dest);
    await fs.rm(tmp, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new HostError('conflict', `Not shared: ${dest} appeared while sharing.`);
    // Disks without hard links (FAT, some network shares): a rename, after one more look.
    if (await fs.lstat(dest).catch(() => null)) throw new HostError('conflict', `Not shared: ${dest} appeared while sharing.`);
    await fs.rename(tmp, dest);
  }
}

/** Counts and hashes what flows through, checks Parquet's magic bytes and the size cap. */
class CopyMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private head = Buffer.alloc(0);

  constructor(private readonly file: PlannedFile) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.file.maxBytes !== undefined && this.bytes > this.file.maxBytes) {
      done(new HostError('tooLarge', `${this.file.origin} is larger than ${formatSize(this.file.maxBytes)}, the most a share copies from one URL. Share without data, or put the file on S3 or next to the dashboard.`));
      return;
    }
    if (this.file.parquet && this.head.length < PARQUET_MAGIC.length) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, PARQUET_MAGIC.length - this.head.length)]);
      if (this.head.length === PARQUET_MAGIC.length && !this.head.equals(PARQUET_MAGIC)) {
        done(notParquet(this.file));
        return;
      }
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.file.parquet && this.head.length < PARQUET_MAGIC.length ? notParquet(this.file) : null);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

function notParquet(file: PlannedFile): HostError {
  return new HostError('badRequest', `${file.origin} is not a Parquet file (it does not start with PAR1), though its source says format "parquet".`);
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The shared copy's rewritten patterns must read exactly the files copied for them. */
async function verifyRewrittenSources(sharedDashboard: string, sources: Source[], rewritten: string[], planned: PlannedFile[]): Promise<void> {
  const folder = path.dirname(sharedDashboard);
  for (const source of sources) {
    if (!rewritten.includes(source.name) || source.kind !== 'file') continue;
    const expanded = await expandSource(source, { dashboardFile: sharedDashboard, allowLocalPattern: () => false });
    const found = expanded.objects.map((o) => toPosix(path.relative(folder, (o as { absPath: string }).absPath))).sort();
    const root = `${source.path.split('/').slice(0, 2).join('/')}`;
    const copied = planned.filter((f) => f.kind === 'data' && (f.rel === source.path || f.rel.startsWith(`${root}/`))).map((f) => f.rel).sort();
    if (JSON.stringify(found) !== JSON.stringify(copied)) {
      throw new HostError('internal', `Data source "${source.name}": the shared copy's ${source.path} reads ${found.length} files, not the ${copied.length} copied; nothing was shared.`);
    }
  }
}

// --- small helpers ----------------------------------------------------------------------------------------

/** Run a source operation; its errors name the source, so the UI can show them as they are (host-services.ts uses it too). */
export async function namingSource<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const e = HostError.from(err);
    throw new HostError(e.code, `Data source "${name}": ${e.message}`);
  }
}

async function namingFile<T>(file: PlannedFile, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HostError) throw file.source !== undefined && err.code !== 'conflict' ? new HostError(err.code, `Data source "${file.source}": ${err.message}`) : err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new HostError('tooLarge', `Not shared: the disk filled up while writing ${file.rel}.`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new HostError('accessDenied', `Not shared: cannot write ${file.rel} (${code}).`);
    throw new HostError('internal', `Not shared: writing ${file.rel} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(1)} GB`;
}
