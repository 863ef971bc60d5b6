// The data gateway: a loopback HTTP server that DuckDB-WASM (synchronous XHR in a Web Worker:
// a HEAD, then Range GETs) reads every data file through. The renderer only ever sees
// http://127.0.0.1:PORT/TOKEN/o/<id>/<name>; paths on disk, S3 endpoints and, above all, keys stay
// in the host. S3 reads are signed here with the AWS SDK (never presigned: DuckDB's HEAD would
// break a GET-presigned URL, and a presigned URL would put a capability in the renderer).
//
// Range handling: one range per request (`bytes=a-b`, `bytes=a-`, `bytes=-n`). A multi-range or
// malformed `bytes=` header is answered 416, not with the whole object: DuckDB never sends them, and
// answering 200 could stream gigabytes nobody asked for. Ranges in other units are ignored (200).
// HEAD ignores Range.
//
// Plain URL sources (`kind: 'url'`) are proxied to exactly the URL the dashboard declares, fixed at
// registration: nothing in a request can choose or change the upstream URL. Only GET/HEAD and the
// Range header go upstream; no cookies, no credentials, no headers of the caller. Redirects are
// followed (at most 5, never from https down to http), because public data is often served so.
// Link-local addresses (169.254.0.0/16, fe80::/10: cloud instance metadata lives there) are never
// contacted, whether named directly, through DNS or by a redirect; a dashboard file from elsewhere
// must not be able to read the machine's cloud credentials into a table.
// An upstream that ignores Range is answered 206 anyway, by cutting the bytes out of its 200.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import net, { type AddressInfo, type LookupFunction } from 'node:net';
import path from 'node:path';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { HostError, type AccessKeys, type HostErrorCode } from '../api/host-api';
import { createS3Client, describeEndpoint, fingerprintKeys } from './s3-access';
import { resumableBody, withRetries } from './s3-retry';
import type { CachedObjectVersion, ClearedCache, GatewayCache, RangeFetcher } from './gateway-cache';

export interface S3ObjectRef {
  bucket: string;
  key: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  pathStyle?: boolean;
  keys?: AccessKeys;
}

export interface GatewayObjectInfo {
  sizeBytes: number | null;
  etag: string | null;
  /** ISO 8601. */
  lastModified: string | null;
}

interface FileMount {
  kind: 'file';
  id: string;
  url: string;
  absPath: string;
}

interface S3Mount {
  kind: 's3';
  id: string;
  url: string;
  ref: S3ObjectRef;
}

interface UrlMount {
  kind: 'url';
  id: string;
  url: string;
  /** The declared http(s) URL, without fragment; the only place this mount ever reads from. */
  target: URL;
}

type Mount = FileMount | S3Mount | UrlMount;

/** A failed read: the HTTP status for DuckDB and the typed error for the app. */
interface ReadFailure {
  status: number;
  error: HostError;
  /** Extra response headers, e.g. Content-Range on 416. */
  headers?: Record<string, string>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const PREFLIGHT_MAX_AGE_SECONDS = 600;
const EXPOSED_HEADERS = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified';
const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;
const ORIGIN_RE = /^[a-z][a-z0-9+.-]*:\/\/[^/\s?#]+$/i;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);
const CREDENTIAL_ERROR_NAMES = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);
const MAX_REDIRECTS = 5;
const UPSTREAM_CONNECT_TIMEOUT_MS = 5_000;
// Socket idle time, not total time: a long streamed GET keeps the socket busy.
const UPSTREAM_IDLE_TIMEOUT_MS = 30_000;
const UPSTREAM_USER_AGENT = 'Northstar-data-gateway';

const STATUS_BY_CODE: Record<HostErrorCode, number> = {
  badRequest: 400,
  // Without a WWW-Authenticate challenge, strictly; the text body says what is missing.
  credentials: 401,
  accessDenied: 403,
  notFound: 404,
  noSuchBucket: 404,
  tooLarge: 413,
  conflict: 409,
  internal: 500,
  network: 502,
};

export class DataGateway {
  readonly origin: string;
  readonly token: string;

  private readonly server: http.Server;
  private readonly port: number;
  private readonly allowedOrigins = new Set<string>();
  private readonly mountsByPath = new Map<string, Mount>();
  private readonly mountsByUrl = new Map<string, Mount>();
  private readonly lastErrors = new Map<string, HostError>();
  // The allowlist: nothing is mounted, and nothing is read, outside it. Real paths (symlinks
  // resolved) of folders the user opened; `bucket@endpoint` of approved S3 buckets; exact approved URLs.
  private readonly allowedFolders = new Set<string>();
  private readonly approvedBuckets = new Set<string>();
  private readonly approvedUrls = new Set<string>();
  // Keys the mount ids: ids are stable within this gateway and reveal nothing about the keys.
  private readonly idKey = randomBytes(32);
  private readonly tokenBytes: Buffer;
  // Keep-alive: DuckDB reads a file as many small sequential ranges.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  // The disk cache of S3 objects and URLs (see gateway-cache.ts), and per mount the object version
  // it last saw in a HEAD: reads of that mount are served from the cache for that version.
  private cache: GatewayCache | null = null;
  private readonly versions = new Map<string, KnownVersion>();
  // URL mounts whose server ignores Range: never served through the cache.
  private readonly uncacheable = new Set<string>();

  private constructor(server: http.Server, token: string) {
    this.server = server;
    this.token = token;
    this.tokenBytes = Buffer.from(token, 'utf8');
    this.port = (server.address() as AddressInfo).port;
    this.origin = `http://127.0.0.1:${this.port}`;
  }

  /** Start a gateway on 127.0.0.1 on a free port. */
  static async start(opts: { allowedOrigins?: string[]; token?: string } = {}): Promise<DataGateway> {
    const token = opts.token ?? randomBytes(32).toString('base64url');
    if (!TOKEN_RE.test(token)) {
      throw new HostError('badRequest', 'The gateway token must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -.');
    }
    const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const gateway = new DataGateway(server, token);
    for (const origin of opts.allowedOrigins ?? []) gateway.allowOrigin(origin);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => gateway.onRequest(req, res));
    return gateway;
  }

  /** Serve S3 and URL reads through this disk cache (null: read upstream every time). */
  useCache(cache: GatewayCache | null): void {
    this.cache = cache;
    this.versions.clear();
  }

  /** Empty the disk cache, if there is one, and say what that freed (reads in progress stay correct). */
  async clearCache(): Promise<ClearedCache & { enabled: boolean }> {
    if (!this.cache) return { enabled: false, freedBytes: 0, blocks: 0 };
    return { enabled: true, ...(await this.cache.clear()) };
  }

  /** How much the disk cache holds now, and its bound; `enabled: false` when reads go upstream every time. */
  async cacheInfo(): Promise<{ enabled: boolean; bytes: number; blocks: number; maxBytes: number }> {
    if (!this.cache) return { enabled: false, bytes: 0, blocks: 0, maxBytes: 0 };
    await this.cache.whenReady();
    const { bytes, blocks } = this.cache.stats();
    return { enabled: true, bytes, blocks, maxBytes: this.cache.maxBytes };
  }

  /** Let pages of this origin (e.g. http://127.0.0.1:5555 or app://northstar) read responses. */
  allowOrigin(origin: string): void {
    if (!ORIGIN_RE.test(origin)) {
      throw new HostError('badRequest', `Not an origin: ${JSON.stringify(origin.slice(0, 200))} (expected scheme://host[:port]).`);
    }
    this.allowedOrigins.add(origin);
  }

  /**
   * Let mounts read regular files below this folder: the open dashboard's folder, or one the user
   * chose in Data sources. Kept as a real path, so a symlinked folder is judged by where it leads.
   */
  allowFolder(dir: string): void {
    if (!path.isAbsolute(dir)) throw new HostError('badRequest', `Not an absolute path: ${dir}`);
    this.allowedFolders.add(realpathOrResolve(dir));
  }

  /** Let mounts read objects of this bucket at this endpoint (the user approved it, or a trusted dashboard declares it). */
  approveBucket(bucket: string, endpoint?: string): void {
    this.approvedBuckets.add(bucketIdentity(bucket, endpoint));
  }

  /** Let a mount read exactly this URL (the fragment aside). */
  approveUrl(url: string): void {
    this.approvedUrls.add(urlIdentity(url));
  }

  /**
   * Throw accessDenied unless this bucket or URL was approved: called before a source is even
   * listed, so an unapproved endpoint is never contacted (nor sent signed requests).
   */
  checkApproved(target: { kind: 's3'; bucket: string; key?: string; endpoint?: string } | { kind: 'url'; url: string }): void {
    if (target.kind === 's3') {
      if (this.approvedBuckets.has(bucketIdentity(target.bucket, target.endpoint))) return;
      const what = `s3://${target.bucket}/${target.key ?? ''}${target.endpoint ? ` at ${target.endpoint}` : ''}`;
      throw new HostError('accessDenied', notApprovedMessage(what));
    }
    const identity = urlIdentity(target.url);
    if (this.approvedUrls.has(identity)) return;
    let shown = target.url.slice(0, 200);
    try {
      shown = displayUrl(new URL(target.url));
    } catch {
      // Not a URL: shown as given; registration refuses it with its own message.
    }
    throw new HostError('accessDenied', notApprovedMessage(shown));
  }

  /** Serve a file on this machine; returns its gateway URL. `name`: the URL's tail, as for addS3Object. */
  addLocalFile(absPath: string, name?: string): string {
    if (!path.isAbsolute(absPath)) {
      throw new HostError('badRequest', `Not an absolute path: ${absPath}`);
    }
    const resolved = path.resolve(absPath);
    // Checked here, so the user hears why at once, and again on every read (a symlink can change).
    const refusal = this.fileRefusal(resolved, realpathOrResolve(resolved));
    if (refusal) throw refusal;
    const id = this.mountId(['file', resolved]);
    return this.register({ kind: 'file', id, url: '', absPath: resolved }, name ?? path.basename(resolved));
  }

  /**
   * Serve an S3 object, signed with the ref's keys or profile; returns its gateway URL. `name` is
   * the tail of the URL (default: the key's last segment); objects listed from a pattern pass
   * their key below the pattern's prefix, so `year=2025/part-0.parquet` stays readable (and usable
   * by DuckDB's hive partitioning).
   */
  addS3Object(ref: S3ObjectRef, name?: string): string {
    if (!ref.bucket || !ref.key) {
      throw new HostError('badRequest', 'An S3 object needs a bucket and a key.');
    }
    this.checkApproved({ kind: 's3', bucket: ref.bucket, key: ref.key, ...(ref.endpoint ? { endpoint: ref.endpoint } : {}) });
    const id = this.mountId([
      's3',
      ref.bucket,
      ref.key,
      ref.endpoint ?? null,
      ref.region ?? null,
      ref.keys ? null : (ref.profile ?? null),
      ref.pathStyle ?? null,
      fingerprintKeys(ref.keys),
    ]);
    const basename = ref.key.split('/').filter(Boolean).pop() ?? '';
    return this.register({ kind: 's3', id, url: '', ref: { ...ref } }, name ?? basename);
  }

  /**
   * Stop serving the objects of this bucket (at this endpoint) that are signed with keys the user
   * typed: after "Forget keys" their gateway URLs answer 404, so a URL handed out earlier does not
   * keep the forgotten keys in use. Objects read with the machine's own credentials stay. Returns
   * how many were dropped; the next connect mounts again with whatever keys are left.
   */
  dropTypedKeyMounts(bucket: string, endpoint: string | undefined): number {
    let dropped = 0;
    for (const [pathname, mount] of this.mountsByPath) {
      if (mount.kind !== 's3' || !mount.ref.keys || mount.ref.bucket !== bucket || (mount.ref.endpoint ?? '') !== (endpoint ?? '')) continue;
      this.mountsByPath.delete(pathname);
      this.mountsByUrl.delete(mount.url);
      dropped += 1;
    }
    return dropped;
  }

  /**
   * Serve the bytes of a public http(s) URL; returns its gateway URL. The URL is fixed here and is
   * the only one this mount ever requests. URLs with a user name or password are refused: Northstar
   * sends no credentials to plain URLs.
   */
  addRemoteUrl(target: string): string {
    let parsed: URL;
    try {
      parsed = new URL(target);
    } catch {
      throw new HostError('badRequest', `Not a URL: ${JSON.stringify(target.slice(0, 200))}.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new HostError('badRequest', `Only http and https URLs can be read, not ${parsed.protocol.replace(/:$/, '')}.`);
    }
    if (parsed.username || parsed.password) {
      throw new HostError('badRequest', `${displayUrl(parsed)} carries a user name or password; Northstar sends no credentials to plain URLs. Use S3 or a local file for private data.`);
    }
    if (isLinkLocal(parsed.hostname)) {
      throw new HostError('badRequest', `${displayUrl(parsed)} is a link-local address (such as cloud instance metadata); Northstar does not read data from there.`);
    }
    if (isLoopbackHost(parsed.hostname) && (parsed.port || defaultPort(parsed)) === String(this.port)) {
      throw new HostError('badRequest', 'A data source cannot read from the data gateway itself.');
    }
    parsed.hash = '';
    this.checkApproved({ kind: 'url', url: parsed.href });
    const id = this.mountId(['url', parsed.href]);
    const basename = parsed.pathname.split('/').filter(Boolean).pop() ?? '';
    return this.register({ kind: 'url', id, url: '', target: parsed }, safeDecodeSegment(basename));
  }

  /**
   * Probe a registered URL without HTTP: size, ETag and date, or a HostError saying why not.
   *
   * `tailBytes`: the caller reads that many bytes at the object's end next (a Parquet footer). For
   * an S3 object of which the disk cache holds no version, the probe is then a GET of the object's
   * last blocks instead of a HEAD: the same answer, and those blocks cached, so the footer's read
   * needs no second round trip to S3. With a version cached it stays a HEAD, so re-opening an
   * unchanged object downloads no bytes.
   */
  async head(url: string, opts: { tailBytes?: number } = {}): Promise<GatewayObjectInfo> {
    const mount = this.mountsByUrl.get(url);
    if (!mount) {
      throw new HostError('badRequest', 'Not a URL of this data gateway.');
    }
    try {
      const probed = mount.kind === 's3' ? await this.s3Probe(mount, opts.tailBytes ?? 0) : null;
      const info = probed ? probed.info : mount.kind === 'file' ? await this.fileInfo(mount) : mount.kind === 's3' ? await this.s3Info(mount) : await this.urlInfo(mount);
      this.lastErrors.delete(mount.id);
      // The app's probe on opening a source revalidates a cached copy, as DuckDB's HEAD does: the
      // reads that follow (the prefetch's GETs) are then served for the version it saw, or refetched.
      if (mount.kind !== 'file') this.noteVersion(mount, info);
      if (probed?.tail && mount.kind === 's3') await this.cacheTail(mount, probed.tail);
      return info;
    } catch (err) {
      const failure = isReadFailure(err) ? err : await this.explainError(mount, err, 'head');
      this.lastErrors.set(mount.id, failure.error);
      throw failure.error;
    }
  }

  /** Why the most recent read of this URL failed, or null if it has not failed since it last worked. */
  lastError(url: string): HostError | null {
    const mount = this.mountsByUrl.get(url);
    return mount ? (this.lastErrors.get(mount.id) ?? null) : null;
  }

  /** Stop listening and drop open connections (in-flight S3 reads are aborted with them). */
  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // --- registration -------------------------------------------------------------------------

  private mountId(identity: unknown[]): string {
    return createHmac('sha256', this.idKey).update(JSON.stringify(identity)).digest('base64url').slice(0, 16);
  }

  private register(mount: Mount, name: string): string {
    // Each segment is reduced to characters that need no escaping; there is always at least one.
    const segments = name.split('/').filter((seg) => seg !== '').map(safeBasename);
    const tail = segments.length > 0 ? segments.slice(-8).join('/') : safeBasename('');
    const pathname = `/${this.token}/o/${mount.id}/${tail}`;
    mount.url = `${this.origin}${pathname}`;
    this.mountsByPath.set(pathname, mount);
    this.mountsByUrl.set(mount.url, mount);
    return mount.url;
  }

  // --- HTTP ---------------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      // Only reached for bugs: every expected failure is answered inside route().
      if (!res.headersSent) sendText(req, res, 500, `Data gateway error: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('Vary', 'Origin');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');

    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `127.0.0.1:${this.port}` && host !== `localhost:${this.port}`) {
      sendText(req, res, 403, 'Forbidden: wrong Host header.');
      return;
    }

    const rawUrl = req.url ?? '';
    const queryAt = rawUrl.indexOf('?');
    const pathname = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    if (!pathname.startsWith('/') || isTraversal(pathname)) {
      sendText(req, res, 400, 'Bad request path.');
      return;
    }

    const tokenSegment = pathname.split('/')[1] ?? '';
    if (!this.tokenMatches(tokenSegment)) {
      sendText(req, res, 403, 'Forbidden: missing or wrong gateway token.');
      return;
    }

    const origin = req.headers.origin;
    const originAllowed = origin !== undefined && this.allowedOrigins.has(origin);
    if (originAllowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }

    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      const wanted = String(req.headers['access-control-request-method'] ?? '').toUpperCase();
      if (!originAllowed || (wanted !== 'GET' && wanted !== 'HEAD')) {
        sendText(req, res, 403, 'Forbidden: preflight refused.');
        return;
      }
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
      res.setHeader('Access-Control-Allow-Headers', 'Range');
      res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
      if (req.headers['access-control-request-private-network'] === 'true') {
        res.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
      res.writeHead(204);
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD, OPTIONS');
      sendText(req, res, 405, `Method ${method.slice(0, 16)} not allowed: the data gateway is read-only.`);
      return;
    }

    const mount = this.mountsByPath.get(pathname);
    if (!mount) {
      sendText(req, res, 404, 'No such object on this data gateway.');
      return;
    }

    // HEAD honours Range too: DuckDB-WASM probes with `HEAD` + `Range: bytes=0-` and uses ranged
    // reads only when that answers 206 (as S3 itself does).
    const range = parseRange(req.headers.range);
    if (mount.kind === 'file') await this.serveFile(req, res, mount, range);
    else if (mount.kind === 's3') await this.serveS3(req, res, mount, range);
    else await this.serveUrl(req, res, mount, range);
  }

  private tokenMatches(candidate: string): boolean {
    const given = Buffer.from(candidate, 'utf8');
    if (given.length !== this.tokenBytes.length) {
      // Still spend the comparison so the length is the only thing timing can tell.
      timingSafeEqual(this.tokenBytes, this.tokenBytes);
      return false;
    }
    return timingSafeEqual(given, this.tokenBytes);
  }

  private fail(req: http.IncomingMessage, res: http.ServerResponse, mount: Mount, failure: ReadFailure): void {
    this.lastErrors.set(mount.id, failure.error);
    for (const [name, value] of Object.entries(failure.headers ?? {})) res.setHeader(name, value);
    sendText(req, res, failure.status, failure.error.message);
  }

  // --- local files --------------------------------------------------------------------------

  /** Why this file may not be served, or null: outside every opened folder, hidden, or a credential file. */
  private fileRefusal(requested: string, real: string): HostError | null {
    let folder: string | undefined;
    for (const candidate of this.allowedFolders) {
      if (isInside(real, candidate) && (folder === undefined || candidate.length > folder.length)) folder = candidate;
    }
    if (folder === undefined) {
      const via = real === requested ? '' : ` (it leads to ${real})`;
      return new HostError(
        'accessDenied',
        `Not reading ${requested}${via}: it is outside the folders opened in this session (the dashboard's folder and folders chosen in Data sources). Choose it in Data sources to read it.`,
      );
    }
    // Hidden files and folders (~/.aws, ~/.ssh, .git, .env) and key files are never data, even
    // inside an opened folder: a dashboard from elsewhere must not read them into a table.
    const below = path.relative(folder, real).split(path.sep);
    const hidden = below.find((segment) => segment.startsWith('.'));
    const base = path.basename(real);
    if (hidden !== undefined || CREDENTIAL_FILE_RE.test(base)) {
      const what = hidden !== undefined ? `a hidden file or folder ("${hidden}")` : `a credential or key file ("${base}")`;
      return new HostError('accessDenied', `Not reading ${requested}: it is ${what}; Northstar never reads those as data.`);
    }
    return null;
  }

  /** The file's real path and stat, after the allowlist check; throws a ReadFailure. */
  private async fileStat(mount: FileMount): Promise<{ stat: fs.Stats; real: string }> {
    let stat: fs.Stats;
    let real: string;
    try {
      real = await fs.promises.realpath(mount.absPath);
    } catch (err) {
      throw fileFailure(mount, err);
    }
    const refusal = this.fileRefusal(mount.absPath, real);
    if (refusal) throw { status: 403, error: refusal } satisfies ReadFailure;
    try {
      stat = await fs.promises.stat(real);
    } catch (err) {
      throw fileFailure(mount, err);
    }
    if (!stat.isFile()) {
      throw failure('notFound', `Not a regular file: ${mount.absPath}`);
    }
    return { stat, real };
  }

  private async fileInfo(mount: FileMount): Promise<GatewayObjectInfo> {
    const { stat } = await this.fileStat(mount);
    return { sizeBytes: stat.size, etag: fileEtag(stat), lastModified: stat.mtime.toISOString() };
  }

  private async serveFile(req: http.IncomingMessage, res: http.ServerResponse, mount: FileMount, range: RangeRequest): Promise<void> {
    let stat: fs.Stats;
    let real: string;
    try {
      ({ stat, real } = await this.fileStat(mount));
    } catch (err) {
      this.fail(req, res, mount, isReadFailure(err) ? err : fileFailure(mount, err));
      return;
    }
    const size = stat.size;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', fileEtag(stat));
    res.setHeader('Last-Modified', stat.mtime.toUTCString());
    res.setHeader('Content-Type', 'application/octet-stream');

    let start = 0;
    let end = size - 1;
    if (range.kind !== 'none') {
      const resolved = range.kind === 'range' ? resolveRange(range, size) : null;
      if (!resolved) {
        this.fail(req, res, mount, unsatisfiable(displayFile(mount), size, req.headers.range));
        return;
      }
      ({ start, end } = resolved);
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
      res.statusCode = 206;
    } else {
      res.statusCode = 200;
    }
    res.setHeader('Content-Length', String(size === 0 ? 0 : end - start + 1));

    if (req.method === 'HEAD' || size === 0) {
      this.lastErrors.delete(mount.id);
      res.end();
      return;
    }
    // The checked real path, not the mount's: a symlink swapped since the check is not followed.
    const stream = fs.createReadStream(real, { start, end });
    stream.once('open', () => this.lastErrors.delete(mount.id));
    pipeline(stream, res, (err) => {
      if (err && !res.headersSent) this.fail(req, res, mount, fileFailure(mount, err));
      else if (err && !isClientAbort(err)) this.lastErrors.set(mount.id, fileFailure(mount, err).error);
    });
  }

  // --- S3 -----------------------------------------------------------------------------------

  /**
   * head()'s probe of an S3 object that reads its tail: one GET of the whole blocks that hold the
   * last `tailBytes` (whatever the object's size, the cache's blocks are aligned from its start),
   * when there is a cache and it holds no version of the object; null to probe with a HEAD.
   */
  private async s3Probe(mount: S3Mount, tailBytes: number): Promise<{ info: GatewayObjectInfo; tail: { start: number; bytes: Uint8Array } } | null> {
    const cache = this.cache;
    if (!cache || !(tailBytes > 0) || (await cache.holdsObject(s3ObjectId(mount.ref)))) return null;
    const { ref } = mount;
    const suffix = (Math.ceil(tailBytes / cache.blockBytes) + 1) * cache.blockBytes;
    try {
      const out = await createS3Client(ref).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=-${suffix}` }));
      const bytes = out.Body ? await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray() : new Uint8Array(0);
      // A 206 names the bytes and the size; an object shorter than the suffix may come whole (200).
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(out.ContentRange ?? '');
      const size = range ? Number(range[3]) : (out.ContentLength ?? bytes.length);
      const start = range ? Number(range[1]) : 0;
      const info = { sizeBytes: size, etag: out.ETag ?? null, lastModified: out.LastModified ? out.LastModified.toISOString() : null };
      return { info, tail: { start, bytes } };
    } catch {
      // The GET is only a shortcut. When it fails (an empty object has no last bytes; a missing one,
      // a refused key, a fault), the HEAD probes as before, with its own answer and its own errors.
      return null;
    }
  }

  /** Store the probe's tail in the disk cache as whole blocks, under the version just noted; best effort. */
  private async cacheTail(mount: S3Mount, tail: { start: number; bytes: Uint8Array }): Promise<void> {
    const cache = this.cache;
    const version = this.versions.get(mount.id);
    if (!cache || !version || tail.start + tail.bytes.length !== version.size) return;
    const from = Math.ceil(tail.start / cache.blockBytes) * cache.blockBytes;
    if (from >= version.size) return;
    const held: RangeFetcher = async (start, end) => Readable.from([Buffer.from(tail.bytes.buffer, tail.bytes.byteOffset + start - tail.start, end - start + 1)]);
    try {
      for await (const chunk of cache.read(version, from, version.size - 1, held)) void chunk;
    } catch {
      // Not cached: the footer's read fetches it.
    }
  }

  private async s3Info(mount: S3Mount): Promise<GatewayObjectInfo> {
    const { ref } = mount;
    const out = await createS3Client(ref).send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return {
      sizeBytes: out.ContentLength ?? null,
      etag: out.ETag ?? null,
      lastModified: out.LastModified ? out.LastModified.toISOString() : null,
    };
  }

  private async serveS3(req: http.IncomingMessage, res: http.ServerResponse, mount: S3Mount, range: RangeRequest): Promise<void> {
    const { ref } = mount;
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });

    if (req.method === 'HEAD') {
      let info: GatewayObjectInfo;
      try {
        info = await withRetries(() => this.s3Info(mount), { signal: abort.signal });
      } catch (err) {
        if (abort.signal.aborted) return;
        this.fail(req, res, mount, await this.explainError(mount, err, 'head'));
        return;
      }
      // DuckDB's HEAD on opening a file is where a cached copy is revalidated: a new ETag is a new version.
      this.noteVersion(mount, info);
      this.answerHead(req, res, mount, info, range, displayS3(ref));
      return;
    }

    const s3Range = range.kind === 'range' ? toS3Range(range) : undefined;
    if (range.kind === 'invalid' || (range.kind === 'range' && s3Range === undefined)) {
      // 416 needs the size for its Content-Range.
      await this.answerUnsatisfiable(req, res, mount, undefined);
      return;
    }

    if (this.cache && (await this.serveCached(req, res, mount, range, abort.signal))) return;

    let out;
    try {
      // 5xx, throttling and resets before the answer starts: retried with backoff (s3-retry.ts).
      out = await withRetries(
        () => createS3Client(ref).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(s3Range ? { Range: s3Range } : {}) }), { abortSignal: abort.signal }),
        { signal: abort.signal },
      );
    } catch (err) {
      if (abort.signal.aborted) return;
      if (errorName(err) === 'InvalidRange' || statusOf(err) === 416) {
        await this.answerUnsatisfiable(req, res, mount, actualObjectSize(err));
        return;
      }
      this.fail(req, res, mount, await this.explainError(mount, err, 'get'));
      return;
    }

    const body = resumableS3Body(ref, out, abort.signal);
    res.statusCode = out.$metadata.httpStatusCode === 206 || out.ContentRange ? 206 : 200;
    setObjectHeaders(res, out.ETag, out.LastModified);
    if (out.ContentRange) res.setHeader('Content-Range', out.ContentRange);
    if (out.ContentLength !== undefined) res.setHeader('Content-Length', String(out.ContentLength));
    this.lastErrors.delete(mount.id);
    if (!body) {
      res.end();
      return;
    }
    pipeline(body, res, (err) => {
      if (err && !abort.signal.aborted && !isClientAbort(err)) {
        this.lastErrors.set(mount.id, s3Failure(mount, 'network', `The connection to ${describeEndpoint(ref)} broke while reading ${displayS3(ref)}: ${err.message}`).error);
      }
    });
  }

  /**
   * Answer a HEAD from a probe's answer. DuckDB opens a file with `HEAD` + `Range: bytes=0-` and
   * reads in ranges only when that answers 206 with the size, as S3 itself does.
   */
  private answerHead(req: http.IncomingMessage, res: http.ServerResponse, mount: Mount, info: GatewayObjectInfo, range: RangeRequest, what: string): void {
    this.lastErrors.delete(mount.id);
    setObjectHeaders(res, info.etag, info.lastModified ? new Date(info.lastModified) : undefined);
    const size = info.sizeBytes;
    if (range.kind !== 'none' && size !== null) {
      const resolved = range.kind === 'range' ? resolveRange(range, size) : null;
      if (!resolved) {
        this.fail(req, res, mount, unsatisfiable(what, size, req.headers.range));
        return;
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${resolved.start}-${resolved.end}/${size}`);
      res.setHeader('Content-Length', String(resolved.end - resolved.start + 1));
    } else {
      res.statusCode = 200;
      if (size !== null) res.setHeader('Content-Length', String(size));
    }
    res.end();
  }

  /**
   * Remember the version a HEAD saw, so reads of this mount are served from the cache for it. An
   * S3 object is known by its ETag. A URL by its strong ETag, else by Last-Modified and size (a weak
   * ETag cannot vouch for bytes ranges; a date has one-second resolution, which is what HTTP offers
   * such servers' clients anyway); with neither, it is not cached: nothing would tell a change.
   */
  private noteVersion(mount: S3Mount | UrlMount, info: GatewayObjectInfo): void {
    if (!this.cache) return;
    const version = cacheableVersion(mount, info);
    if (!version) {
      this.versions.delete(mount.id);
      return;
    }
    const previous = this.versions.get(mount.id);
    this.versions.set(mount.id, version);
    if (previous && previous.etag !== version.etag) void this.cache.dropOtherVersions(version).catch(() => {});
  }

  /**
   * Serve a GET from the disk cache, fetching missing blocks on the condition that the object is
   * still the version its HEAD saw (If-Match; for URLs known by date, If-Unmodified-Since, and the
   * answer's own validators are checked too). Returns false, having sent nothing, when the cache
   * cannot answer: no cacheable version, an unsatisfiable range, or the object changed since its
   * HEAD (the direct path then answers with the new bytes).
   */
  private async serveCached(req: http.IncomingMessage, res: http.ServerResponse, mount: S3Mount | UrlMount, range: RangeRequest, signal: AbortSignal): Promise<boolean> {
    const cache = this.cache;
    if (!cache || this.uncacheable.has(mount.id)) return false;
    let version = this.versions.get(mount.id);
    if (!version) {
      try {
        this.noteVersion(mount, mount.kind === 's3' ? await withRetries(() => this.s3Info(mount), { signal }) : await this.urlInfo(mount));
      } catch {
        return false;
      }
      version = this.versions.get(mount.id);
      if (!version) return false;
    }
    if (range.kind === 'invalid' || version.size === 0) return false;
    const wanted = range.kind === 'range' ? resolveRange(range, version.size) : { start: 0, end: version.size - 1 };
    if (!wanted) return false;
    const fetchRange = mount.kind === 's3' ? s3RangeFetcher(mount.ref, version.etag, signal) : this.urlRangeFetcher(mount, version, signal);
    const chunks = cache.read(version, wanted.start, wanted.end, fetchRange);
    let first: IteratorResult<Buffer>;
    try {
      first = await chunks.next();
    } catch (err) {
      if (signal.aborted) return true;
      if (statusOf(err) === 412 || errorName(err) === 'PreconditionFailed' || err instanceof VersionChanged) {
        this.versions.delete(mount.id);
        return false;
      }
      this.fail(req, res, mount, await this.explainError(mount, err, 'get'));
      return true;
    }
    this.lastErrors.delete(mount.id);
    res.statusCode = range.kind === 'range' ? 206 : 200;
    setObjectHeaders(res, version.responseEtag, version.lastModified ? new Date(version.lastModified) : undefined);
    if (range.kind === 'range') res.setHeader('Content-Range', `bytes ${wanted.start}-${wanted.end}/${version.size}`);
    res.setHeader('Content-Length', String(wanted.end - wanted.start + 1));
    try {
      for (let next = first; !next.done; next = await chunks.next()) {
        if (signal.aborted) break;
        if (!res.write(next.value)) await drained(res);
      }
      res.end();
    } catch (err) {
      // Headers are out: all that can be done is to break the response, so DuckDB sees a short read.
      if (!signal.aborted) {
        const message = `Reading ${mount.kind === 's3' ? displayS3(mount.ref) : displayUrl(mount.target)} failed midway: ${errorMessage(err)}`;
        this.lastErrors.set(mount.id, (mount.kind === 's3' ? s3Failure(mount, 'network', message) : failure('network', message)).error);
      }
      res.destroy();
    } finally {
      await chunks.return(undefined);
    }
    return true;
  }

  /**
   * Fetch bytes of a URL's cached version for the disk cache: a conditional ranged GET whose answer
   * must be a 206 of exactly those bytes of an object of that size and validators; anything else
   * (412, a server that ignores Range, a new ETag or date) throws, and the direct path answers.
   */
  private urlRangeFetcher(mount: UrlMount, version: KnownVersion, signal: AbortSignal): RangeFetcher {
    return async (start, end) => {
      const res = await this.requestUpstream(mount, 'GET', `bytes=${start}-${end}`, signal, version.conditions);
      const status = res.statusCode ?? 0;
      const expectRange = `bytes ${start}-${end}/${version.size}`;
      let changed: string | null = null;
      if (status === 412) changed = 'it no longer matches the cached version (412)';
      else if (status === 200) {
        // Not a changed object but a server without ranges: reading it through the cache would
        // download it whole per block run, so this mount reads directly from now on.
        this.uncacheable.add(mount.id);
        changed = 'the server ignored the byte range';
      }
      else if (status !== 206) {
        res.resume();
        throw urlFailure(mount.target, upstreamError(status));
      } else if (isEncoded(res)) changed = 'a compressed (Content-Encoding) body';
      else if (headerText(res, 'content-range') !== expectRange) changed = `Content-Range ${String(headerText(res, 'content-range'))}, expected ${expectRange}`;
      else if (version.responseEtag && headerText(res, 'etag') !== null && headerText(res, 'etag') !== version.responseEtag) changed = 'a new ETag';
      else if (version.lastModified && headerText(res, 'last-modified') !== null && httpDate(headerText(res, 'last-modified')) !== version.lastModified) changed = 'a new Last-Modified date';
      if (changed) {
        res.destroy();
        throw new VersionChanged(`${displayUrl(mount.target)} changed since its HEAD: ${changed}`);
      }
      return res;
    };
  }

  private async answerUnsatisfiable(req: http.IncomingMessage, res: http.ServerResponse, mount: S3Mount, knownSize: number | undefined): Promise<void> {
    let size = knownSize;
    if (size === undefined) {
      try {
        size = (await this.s3Info(mount)).sizeBytes ?? undefined;
      } catch (err) {
        this.fail(req, res, mount, await this.explainError(mount, err, 'head'));
        return;
      }
    }
    this.fail(req, res, mount, unsatisfiable(displayS3(mount.ref), size, req.headers.range));
  }

  /** Turn a failed read into the HTTP status for DuckDB and the typed error for the app. */
  private async explainError(mount: Mount, err: unknown, op: 'head' | 'get'): Promise<ReadFailure> {
    if (mount.kind === 'file') return fileFailure(mount, err);
    if (mount.kind === 'url') return urlFailure(mount.target, err);
    const error = await explainS3Error(mount.ref, err, op);
    return { status: STATUS_BY_CODE[error.code], error };
  }

  // --- plain URLs -----------------------------------------------------------------------------

  /**
   * One request to the mount's declared URL, following redirects. Sends only the method, Range,
   * `Accept-Encoding: identity` (so byte ranges mean file bytes), a user agent and, for the disk
   * cache, the condition that the object is still the cached version (If-Match / If-Unmodified-Since).
   */
  private requestUpstream(mount: UrlMount, method: 'GET' | 'HEAD', range: string | undefined, signal?: AbortSignal, conditions?: http.OutgoingHttpHeaders): Promise<http.IncomingMessage> {
    const attempt = (target: URL, redirects: number): Promise<http.IncomingMessage> =>
      new Promise((resolve, reject) => {
        const secure = target.protocol === 'https:';
        const headers: http.OutgoingHttpHeaders = { ...conditions, 'accept-encoding': 'identity', 'user-agent': UPSTREAM_USER_AGENT, ...(range ? { range } : {}) };
        if (isLinkLocal(target.hostname)) {
          reject(Object.assign(new Error(`${target.host} is a link-local address`), { code: 'ELINKLOCAL' }));
          return;
        }
        const options = { method, headers, agent: secure ? this.httpsAgent : this.httpAgent, signal, lookup: refuseLinkLocal };
        const req = (secure ? https : http).request(target, options, (res) => {
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          if ([301, 302, 303, 307, 308].includes(status) && location) {
            res.resume();
            let next: URL;
            try {
              next = new URL(location, target);
            } catch {
              reject(upstreamError(status, `a redirect to an invalid URL`));
              return;
            }
            if (redirects >= MAX_REDIRECTS) reject(upstreamError(status, `more than ${MAX_REDIRECTS} redirects`));
            else if (next.protocol !== 'http:' && next.protocol !== 'https:') reject(upstreamError(status, `a redirect to a ${next.protocol} URL`));
            else if (secure && next.protocol === 'http:') reject(upstreamError(status, 'a redirect from https down to http'));
            else if (next.username || next.password) reject(upstreamError(status, 'a redirect to a URL with credentials'));
            else attempt(next, redirects + 1).then(resolve, reject);
            return;
          }
          resolve(res);
        });
        // Connecting gets a short timeout; once connected, the socket may idle for longer.
        req.setTimeout(UPSTREAM_CONNECT_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        req.once('socket', (socket) => {
          const connected = () => req.setTimeout(UPSTREAM_IDLE_TIMEOUT_MS);
          if (socket.connecting) socket.once('connect', connected);
          else connected();
        });
        req.once('error', reject);
        req.end();
      });
    return attempt(mount.target, 0);
  }

  private async urlInfo(mount: UrlMount): Promise<GatewayObjectInfo> {
    let res = await this.requestUpstream(mount, 'HEAD', undefined);
    res.resume();
    // Some servers refuse HEAD; a one-byte GET tells the size just as well.
    if (res.statusCode === 405 || res.statusCode === 501) {
      res = await this.requestUpstream(mount, 'GET', 'bytes=0-0');
      res.destroy();
      if (res.statusCode === 206) {
        const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
        return { sizeBytes: total ? Number(total[1]) : null, etag: headerText(res, 'etag'), lastModified: httpDate(headerText(res, 'last-modified')) };
      }
    }
    const status = res.statusCode ?? 0;
    if (status !== 200 && status !== 206) throw urlFailure(mount.target, upstreamError(status));
    if (isEncoded(res)) throw urlFailure(mount.target, upstreamError(status, 'a compressed (Content-Encoding) body'));
    const length = Number(res.headers['content-length']);
    return {
      sizeBytes: status === 200 && Number.isSafeInteger(length) && length >= 0 ? length : null,
      etag: headerText(res, 'etag'),
      lastModified: httpDate(headerText(res, 'last-modified')),
    };
  }

  private async serveUrl(req: http.IncomingMessage, res: http.ServerResponse, mount: UrlMount, range: RangeRequest): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });

    const wanted = range.kind === 'range' ? toS3Range(range) : undefined;
    // A range that can never be served is answered from a HEAD: 416 needs the size.
    const hopeless = range.kind === 'invalid' || (range.kind === 'range' && wanted === undefined);
    if (req.method === 'HEAD' || hopeless) {
      let info: GatewayObjectInfo;
      try {
        info = await this.urlInfo(mount);
      } catch (err) {
        if (!abort.signal.aborted) this.fail(req, res, mount, await this.explainError(mount, err, 'head'));
        return;
      }
      if (hopeless) {
        this.fail(req, res, mount, unsatisfiable(displayUrl(mount.target), info.sizeBytes ?? undefined, req.headers.range));
        return;
      }
      // As for S3: the HEAD that opens a file revalidates the cached copy.
      this.noteVersion(mount, info);
      this.answerHead(req, res, mount, info, range, displayUrl(mount.target));
      return;
    }

    if (this.cache && (await this.serveCached(req, res, mount, range, abort.signal))) return;

    let upstream: http.IncomingMessage;
    try {
      upstream = await this.requestUpstream(mount, 'GET', wanted, abort.signal);
    } catch (err) {
      if (!abort.signal.aborted) this.fail(req, res, mount, await this.explainError(mount, err, 'get'));
      return;
    }
    const status = upstream.statusCode ?? 0;
    const fromUpstream = (failure: ReadFailure) => {
      upstream.resume();
      this.fail(req, res, mount, failure);
    };
    if (status === 416) {
      const total = /\/(\d+)$/.exec(String(upstream.headers['content-range'] ?? ''));
      fromUpstream(unsatisfiable(displayUrl(mount.target), total ? Number(total[1]) : undefined, req.headers.range));
      return;
    }
    if (status !== 200 && status !== 206) {
      fromUpstream(urlFailure(mount.target, upstreamError(status)));
      return;
    }
    if (isEncoded(upstream)) {
      fromUpstream(urlFailure(mount.target, upstreamError(status, 'a compressed (Content-Encoding) body')));
      return;
    }

    setObjectHeaders(res, headerText(upstream, 'etag'), dateOrUndefined(headerText(upstream, 'last-modified')));
    const length = Number(upstream.headers['content-length']);
    const knownLength = Number.isSafeInteger(length) && length >= 0 ? length : null;
    let body: Readable = upstream;
    if (status === 206 || range.kind === 'none') {
      res.statusCode = status;
      const contentRange = headerText(upstream, 'content-range');
      if (status === 206 && contentRange) res.setHeader('Content-Range', contentRange);
      if (knownLength !== null) res.setHeader('Content-Length', String(knownLength));
    } else {
      // The server ignored Range and sent everything: cut the asked-for bytes out of it.
      const resolved = knownLength === null ? null : resolveRange(range, knownLength);
      if (knownLength === null) {
        fromUpstream(urlFailure(mount.target, upstreamError(status, 'no size and no support for byte ranges')));
        return;
      }
      if (!resolved) {
        fromUpstream(unsatisfiable(displayUrl(mount.target), knownLength, req.headers.range));
        return;
      }
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${resolved.start}-${resolved.end}/${knownLength}`);
      res.setHeader('Content-Length', String(resolved.end - resolved.start + 1));
      const slice = new ByteSlice(resolved.start, resolved.end);
      upstream.once('error', (err) => slice.destroy(err));
      body = upstream.pipe(slice);
    }
    this.lastErrors.delete(mount.id);
    pipeline(body, res, (err) => {
      // A sliced or aborted read stops the download; a finished one leaves the socket to keep-alive.
      if (!upstream.complete) upstream.destroy();
      if (err && !abort.signal.aborted && !isClientAbort(err) && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.lastErrors.set(mount.id, new HostError('network', `The connection to ${mount.target.host} broke while reading ${displayUrl(mount.target)}: ${err.message}`));
      }
    });
  }
}

/** An object version the cache serves, with what the gateway needs to answer and to refetch it. */
interface KnownVersion extends CachedObjectVersion {
  /** ISO 8601, as the HEAD said. */
  lastModified: string | null;
  /** The upstream's own ETag, sent back to DuckDB (null when the version is known by date). */
  responseEtag: string | null;
  /** Headers that make a URL fetch fail (412) unless the object is still this version. */
  conditions: http.OutgoingHttpHeaders;
}

/** The version the disk cache may key this object's bytes by, or null when nothing could tell a change. */
function cacheableVersion(mount: S3Mount | UrlMount, info: GatewayObjectInfo): KnownVersion | null {
  const size = info.sizeBytes;
  if (size === null) return null;
  if (mount.kind === 's3') {
    if (!info.etag) return null;
    const id = s3ObjectId(mount.ref);
    return { id, etag: info.etag, size, lastModified: info.lastModified, responseEtag: info.etag, conditions: {} };
  }
  const id = JSON.stringify(['url', mount.target.href]);
  const strong = info.etag && !info.etag.startsWith('W/') ? info.etag : null;
  if (strong) return { id, etag: strong, size, lastModified: info.lastModified, responseEtag: strong, conditions: { 'if-match': strong } };
  if (!info.lastModified) return null;
  const date = new Date(info.lastModified).toUTCString();
  return { id, etag: `last-modified ${info.lastModified}`, size, lastModified: info.lastModified, responseEtag: null, conditions: { 'if-unmodified-since': date } };
}

/** An S3 object's identity in the cache, not the credentials': another key reading the same object shares the bytes. */
function s3ObjectId(ref: S3ObjectRef): string {
  return JSON.stringify(['s3', ref.endpoint ?? null, ref.bucket, ref.key]);
}

/** Fetch bytes of an S3 object's cached version: If-Match on its ETag, retried and resumed (s3-retry.ts). */
function s3RangeFetcher(ref: S3ObjectRef, etag: string, signal: AbortSignal): RangeFetcher {
  return async (start, end) => {
    const send = async (from: number): Promise<Readable> => {
      const out = await createS3Client(ref).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=${from}-${end}`, IfMatch: etag }), { abortSignal: signal });
      if (!out.Body) throw new Error('S3 sent no body');
      return out.Body as Readable;
    };
    const body = await withRetries(() => send(start), { signal });
    return resumableBody(body, end - start + 1, (offset) => send(start + offset), { signal });
  };
}

/** The object is no longer the version the cache holds: the read goes upstream directly instead. */
class VersionChanged extends Error {
  override readonly name = 'VersionChanged';
}

/**
 * The body of a GET, resumed where it broke (a Range for the missing bytes, If-Match on the ETag)
 * when the connection drops mid-body; as is when its length or version is unknown.
 */
function resumableS3Body(ref: S3ObjectRef, out: { Body?: unknown; ContentLength?: number; ContentRange?: string; ETag?: string }, signal: AbortSignal): Readable | undefined {
  const body = out.Body as Readable | undefined;
  const length = out.ContentLength;
  if (!body || length === undefined || !out.ETag) return body;
  // The first byte of this body within the object: from Content-Range on a 206, else 0.
  const start = Number(/^bytes (\d+)-/.exec(out.ContentRange ?? '')?.[1] ?? 0);
  const etag = out.ETag;
  return resumableBody(
    body,
    length,
    async (offset) => {
      const rest = await createS3Client(ref).send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=${start + offset}-${start + length - 1}`, IfMatch: etag }),
        { abortSignal: signal },
      );
      if (!rest.Body) throw new Error('S3 answered the resumed read without a body');
      return rest.Body as Readable;
    },
    { signal },
  );
}

/**
 * Turn an S3 SDK error into a typed HostError. HEAD errors carry no body (only the status), so a
 * 403 is re-asked with a one-byte GET to learn whether the key or the secret was refused, and a
 * 404 with a HeadBucket to tell a missing bucket from a missing key. Both happen only on failure.
 * For `list`, `ref.key` is the prefix or pattern listed.
 */
// Temporary credentials past their expiry: S3 says 400 ExpiredToken (or 403 for presigned/STS flavours).
const EXPIRED_NAMES = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);

export async function explainS3Error(ref: S3ObjectRef, err: unknown, op: 'head' | 'get' | 'list'): Promise<HostError> {
  const fail = (code: HostErrorCode, message: string) => new HostError(code, redactSecret(message, ref.keys));
  const where = describeEndpoint(ref);
  const what = displayS3(ref);
  const verb = op === 'list' ? 'list' : 'read';

  if (CREDENTIAL_ERROR_NAMES.has(errorName(err)) || (statusOf(err) === undefined && /credential/i.test(errorMessage(err)))) {
    const profile = ref.profile ? `profile "${ref.profile}"` : 'the default profile';
    return fail('credentials', `No AWS credentials could be resolved for ${profile} to ${verb} ${what}: ${errorMessage(err)}`);
  }
  const code = errorCode(err);
  if ((code && NETWORK_CODES.has(code)) || ['TimeoutError', 'RequestTimeout'].includes(errorName(err))) {
    return fail('network', `Cannot reach ${where} to ${verb} ${what}: ${code ?? errorMessage(err)}.`);
  }

  const status = statusOf(err);
  let name = errorName(err);
  if (EXPIRED_NAMES.has(name)) {
    return fail('credentials', `The credentials for ${what} at ${where} have expired (${name}): refresh them (for SSO: aws sso login) or type new keys in Data sources.`);
  }
  if (status === 403) {
    if (op === 'head' && !KNOWN_403.has(name)) name = (await getErrorName(ref)) ?? name;
    if (name === 'AccessDenied') {
      const may = op === 'list' ? 'may not list this bucket (403, AccessDenied; listing needs s3:ListBucket)' : 'may not read this object (403, AccessDenied)';
      return fail('accessDenied', `Access denied to ${what} at ${where}: the credentials were accepted but ${may}.`);
    }
    const detail = name === 'SignatureDoesNotMatch' || name === 'InvalidAccessKeyId' ? `403, ${name}` : '403';
    return fail('accessDenied', `Access denied to ${what} at ${where}: the access key or secret was refused (${detail}).`);
  }
  if (status === 404 || name === 'NoSuchBucket' || name === 'NoSuchKey' || name === 'NotFound') {
    const missing = name === 'NoSuchBucket' || op === 'list' || (name !== 'NoSuchKey' && (await bucketMissing(ref)));
    if (missing) return fail('noSuchBucket', `Bucket "${ref.bucket}" does not exist at ${where} (${op === 'list' ? 'listing' : 'reading'} ${what}).`);
    return fail('notFound', `Object ${what} does not exist at ${where}.`);
  }
  if (status !== undefined && status >= 500) {
    return fail('network', `${where} failed to ${op === 'list' ? 'list' : 'serve'} ${what}: ${name} (${status}).`);
  }
  return fail('internal', `${op === 'list' ? 'Listing' : 'Reading'} ${what} at ${where} failed: ${name}${status ? ` (${status})` : ''}: ${errorMessage(err)}`);
}

async function getErrorName(ref: S3ObjectRef): Promise<string | null> {
  try {
    await createS3Client(ref).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: 'bytes=0-0' }));
    return null;
  } catch (err) {
    return statusOf(err) === 403 ? errorName(err) : null;
  }
}

async function bucketMissing(ref: S3ObjectRef): Promise<boolean> {
  try {
    await createS3Client(ref).send(new HeadBucketCommand({ Bucket: ref.bucket }));
    return false;
  } catch (err) {
    return statusOf(err) === 404;
  }
}

const KNOWN_403 = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId']);

// --- ranges -----------------------------------------------------------------------------------

type RangeRequest = { kind: 'none' } | { kind: 'invalid' } | { kind: 'range'; start?: number; end?: number; suffix?: number };

function parseRange(header: string | string[] | undefined): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  const unit = /^([A-Za-z]+)=/.exec(value);
  // RFC 9110: a range unit the server does not know is ignored.
  if (!unit || unit[1]?.toLowerCase() !== 'bytes') return { kind: 'none' };
  const spec = value.slice(unit[0].length).trim();
  let m = /^(\d+)-(\d*)$/.exec(spec);
  if (m) {
    const start = Number(m[1]);
    if (!m[2]) return { kind: 'range', start };
    const end = Number(m[2]);
    return end < start ? { kind: 'invalid' } : { kind: 'range', start, end };
  }
  m = /^-(\d+)$/.exec(spec);
  if (m) return { kind: 'range', suffix: Number(m[1]) };
  return { kind: 'invalid' };
}

function resolveRange(range: { start?: number; end?: number; suffix?: number }, size: number): { start: number; end: number } | null {
  if (size === 0) return null;
  if (range.suffix !== undefined) {
    return range.suffix === 0 ? null : { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const start = range.start ?? 0;
  if (start >= size) return null;
  return { start, end: Math.min(range.end ?? size - 1, size - 1) };
}

/** The Range header to send to S3, or undefined when the range can never be satisfied. */
function toS3Range(range: { start?: number; end?: number; suffix?: number }): string | undefined {
  if (range.suffix !== undefined) return range.suffix === 0 ? undefined : `bytes=-${range.suffix}`;
  return `bytes=${range.start ?? 0}-${range.end ?? ''}`;
}

function unsatisfiable(what: string, size: number | undefined, header: string | undefined): ReadFailure {
  const requested = (header ?? '').slice(0, 100);
  return {
    status: 416,
    error: new HostError('badRequest', `Range ${JSON.stringify(requested)} cannot be served from ${what}${size === undefined ? '' : ` (${size} bytes)`}.`),
    headers: { 'Content-Range': `bytes */${size ?? '*'}` },
  };
}

// --- helpers ----------------------------------------------------------------------------------

function isTraversal(pathname: string): boolean {
  if (pathname.includes('..') || pathname.includes('\\') || pathname.includes('\0')) return true;
  // Encoded dot, slash, backslash or NUL: never produced by our URLs, only by someone probing.
  if (/%(2e|2f|5c|00)/i.test(pathname)) return true;
  return pathname.split('/').some((segment) => segment === '.');
}

// Key and credential files by name (hidden ones such as ~/.aws/credentials are refused as hidden).
/** Whether a file name is a credential or key file, never read or copied as data. */
export function isCredentialFileName(name: string): boolean {
  return CREDENTIAL_FILE_RE.test(name);
}

const CREDENTIAL_FILE_RE = /^(credentials|credentials\.json|application_default_credentials\.json|id_(rsa|dsa|ecdsa|ed25519)(\.pub)?|authorized_keys|known_hosts|shadow|gshadow|passwd|.*\.(pem|key|p12|pfx|keystore|jks|kdbx|ppk|asc|gpg))$/i;

function realpathOrResolve(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    // Not there (yet): judge it by its real parent folder; the read checks again.
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realpathOrResolve(parent), path.basename(p));
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function bucketIdentity(bucket: string, endpoint: string | undefined): string {
  return JSON.stringify([bucket, (endpoint ?? '').replace(/\/+$/, '').toLowerCase()]);
}

function urlIdentity(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url;
  }
}

/** The refusal for a source nobody approved: what to do about it, in the user's words. */
function notApprovedMessage(what: string): string {
  return `${what} is not approved on this machine: the dashboard was not saved or trusted here. Check the source in Data sources and choose "Allow" to read it.`;
}

/** The last path segment, reduced to characters that need no escaping, so DuckDB sees the extension. */
function safeBasename(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._=-]/g, '_')
    .replace(/\.{2,}/g, '.')
    .slice(-120);
  return cleaned === '' || cleaned === '.' ? 'object' : cleaned;
}

function fileEtag(stat: fs.Stats): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}

function setObjectHeaders(res: http.ServerResponse, etag: string | null | undefined, lastModified: Date | undefined): void {
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  if (etag) res.setHeader('ETag', etag);
  if (lastModified) res.setHeader('Last-Modified', lastModified.toUTCString());
}

function sendText(req: http.IncomingMessage, res: http.ServerResponse, status: number, message: string): void {
  const body = Buffer.from(`${message}\n`, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', String(body.length));
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

function displayFile(mount: FileMount): string {
  return mount.absPath;
}

function displayS3(ref: S3ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/** A URL for messages: scheme, host and path. The query is left out, as it may hold a token. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}

/** Whether a host name or address is a link-local IP (169.254.0.0/16 or fe80::/10). */
function isLinkLocal(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '');
  if (net.isIPv4(address)) return address.startsWith('169.254.');
  if (net.isIPv6(address)) {
    const lower = address.toLowerCase();
    // IPv4-mapped, as written (::ffff:169.254.1.1) or as the URL parser normalises it (::ffff:a9fe:101).
    const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (dotted) return isLinkLocal(dotted[1] as string);
    const hex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(lower);
    if (hex) return parseInt(hex[1] as string, 16) === 0xa9fe;
    return /^fe[89ab]/.test(lower);
  }
  return false;
}

/** DNS lookup for upstream requests that fails when a name resolves to a link-local address. */
const refuseLinkLocal: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) {
      callback(err, '', undefined);
      return;
    }
    const usable = addresses.filter((a) => !isLinkLocal(a.address));
    if (usable.length === 0) {
      callback(Object.assign(new Error(`${hostname} resolves to a link-local address`), { code: 'ELINKLOCAL' }), '', undefined);
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, (usable[0] as dns.LookupAddress).address, (usable[0] as dns.LookupAddress).family);
  });
};

function isLoopbackHost(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

function defaultPort(url: URL): string {
  return url.protocol === 'https:' ? '443' : '80';
}

function safeDecodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** An upstream HTTP answer that is not the data, as an error `urlFailure` can explain. */
class UpstreamError extends Error {
  constructor(
    readonly status: number,
    readonly detail?: string,
  ) {
    super(detail ?? `HTTP ${status}`);
  }
}

function upstreamError(status: number, detail?: string): UpstreamError {
  return new UpstreamError(status, detail);
}

function urlFailure(target: URL, err: unknown): ReadFailure {
  if (isReadFailure(err)) return err;
  const what = displayUrl(target);
  if (err instanceof UpstreamError) {
    const { status, detail } = err;
    if (detail) return failure('network', `${target.host} answered ${what} with ${detail} (${status}).`);
    if (status === 404 || status === 410) return failure('notFound', `Nothing at ${what} (${status}).`);
    if (status === 401 || status === 403 || status === 407) {
      return failure('accessDenied', `${target.host} refused to serve ${what} (${status}). Northstar sends no credentials to plain URLs; use S3 or a local file for private data.`);
    }
    if (status >= 500) return failure('network', `${target.host} failed to serve ${what} (${status}).`);
    return failure('internal', `${target.host} answered ${what} with HTTP ${status}.`);
  }
  const code = errorCode(err);
  if (code === 'ELINKLOCAL') {
    return failure('accessDenied', `Not reading ${what}: ${errorMessage(err)} (such as cloud instance metadata); Northstar does not read data from there.`);
  }
  if (code && (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))) {
    return failure('network', `Cannot reach ${target.host} to read ${what}: ${code}.`);
  }
  return failure('internal', `Reading ${what} failed: ${errorMessage(err)}`);
}

function headerText(res: http.IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function dateOrUndefined(value: string | null): Date | undefined {
  const ms = value === null ? NaN : Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function httpDate(value: string | null): string | null {
  return dateOrUndefined(value)?.toISOString() ?? null;
}

function isEncoded(res: http.IncomingMessage): boolean {
  const encoding = headerText(res, 'content-encoding');
  return encoding !== null && encoding.toLowerCase() !== 'identity';
}

/** Resolves when the response can take more bytes, or is closed. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Passes on bytes start..end (inclusive) of what flows through it, then ends. */
class ByteSlice extends Transform {
  private position = 0;
  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const from = this.position;
    this.position += chunk.length;
    if (from > this.last) {
      done();
      return;
    }
    const lo = Math.max(0, this.first - from);
    const hi = Math.min(chunk.length, this.last - from + 1);
    if (hi > lo) this.push(chunk.subarray(lo, hi));
    if (this.position > this.last) this.push(null);
    done();
  }
}

function failure(code: HostErrorCode, message: string): ReadFailure {
  return { status: STATUS_BY_CODE[code], error: new HostError(code, message) };
}

function fileFailure(mount: FileMount, err: unknown): ReadFailure {
  if (isReadFailure(err)) return err;
  const code = errorCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') return failure('notFound', `File not found: ${mount.absPath}`);
  if (code === 'EACCES' || code === 'EPERM') return failure('accessDenied', `Permission denied reading ${mount.absPath}`);
  if (code === 'EISDIR') return failure('notFound', `Not a regular file: ${mount.absPath}`);
  return failure('internal', `Reading ${mount.absPath} failed: ${errorMessage(err)}`);
}

function s3Failure(mount: S3Mount, code: HostErrorCode, message: string): ReadFailure {
  return failure(code, redactSecret(message, mount.ref.keys));
}

/** Defence in depth: an SDK message must never carry the secret to the renderer. */
function redactSecret(message: string, keys: AccessKeys | undefined): string {
  let out = message;
  for (const secret of [keys?.secretAccessKey, keys?.sessionToken]) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function isReadFailure(value: unknown): value is ReadFailure {
  return typeof value === 'object' && value !== null && (value as ReadFailure).error instanceof HostError && typeof (value as ReadFailure).status === 'number';
}

function isClientAbort(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE';
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function actualObjectSize(err: unknown): number | undefined {
  const raw = (err as { ActualObjectSize?: unknown } | null)?.ActualObjectSize;
  const size = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}
