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
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { HostError, type AccessKeys, type HostErrorCode } from '../api/host-api';
import { createS3Client, describeEndpoint, fingerprintKeys } from './s3-access';

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

type Mount = FileMount | S3Mount;

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
  // Keys the mount ids: ids are stable within this gateway and reveal nothing about the keys.
  private readonly idKey = randomBytes(32);
  private readonly tokenBytes: Buffer;

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

  /** Let pages of this origin (e.g. http://127.0.0.1:5555 or app://northstar) read responses. */
  allowOrigin(origin: string): void {
    if (!ORIGIN_RE.test(origin)) {
      throw new HostError('badRequest', `Not an origin: ${JSON.stringify(origin.slice(0, 200))} (expected scheme://host[:port]).`);
    }
    this.allowedOrigins.add(origin);
  }

  /** Serve a file on this machine; returns its gateway URL. */
  addLocalFile(absPath: string): string {
    if (!path.isAbsolute(absPath)) {
      throw new HostError('badRequest', `Not an absolute path: ${absPath}`);
    }
    const resolved = path.resolve(absPath);
    const id = this.mountId(['file', resolved]);
    return this.register({ kind: 'file', id, url: '', absPath: resolved }, path.basename(resolved));
  }

  /** Serve an S3 object, signed with the ref's keys or profile; returns its gateway URL. */
  addS3Object(ref: S3ObjectRef): string {
    if (!ref.bucket || !ref.key) {
      throw new HostError('badRequest', 'An S3 object needs a bucket and a key.');
    }
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
    return this.register({ kind: 's3', id, url: '', ref: { ...ref } }, basename);
  }

  /** Probe a registered URL without HTTP: size, ETag and date, or a HostError saying why not. */
  async head(url: string): Promise<GatewayObjectInfo> {
    const mount = this.mountsByUrl.get(url);
    if (!mount) {
      throw new HostError('badRequest', 'Not a URL of this data gateway.');
    }
    try {
      const info = mount.kind === 'file' ? await this.fileInfo(mount) : await this.s3Info(mount);
      this.lastErrors.delete(mount.id);
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

  private register(mount: Mount, basename: string): string {
    const pathname = `/${this.token}/o/${mount.id}/${safeBasename(basename)}`;
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
    else await this.serveS3(req, res, mount, range);
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

  private async fileStat(mount: FileMount): Promise<fs.Stats> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(mount.absPath);
    } catch (err) {
      throw fileFailure(mount, err);
    }
    if (!stat.isFile()) {
      throw failure('notFound', `Not a regular file: ${mount.absPath}`);
    }
    return stat;
  }

  private async fileInfo(mount: FileMount): Promise<GatewayObjectInfo> {
    const stat = await this.fileStat(mount);
    return { sizeBytes: stat.size, etag: fileEtag(stat), lastModified: stat.mtime.toISOString() };
  }

  private async serveFile(req: http.IncomingMessage, res: http.ServerResponse, mount: FileMount, range: RangeRequest): Promise<void> {
    let stat: fs.Stats;
    try {
      stat = await this.fileStat(mount);
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
    const stream = fs.createReadStream(mount.absPath, { start, end });
    stream.once('open', () => this.lastErrors.delete(mount.id));
    pipeline(stream, res, (err) => {
      if (err && !res.headersSent) this.fail(req, res, mount, fileFailure(mount, err));
      else if (err && !isClientAbort(err)) this.lastErrors.set(mount.id, fileFailure(mount, err).error);
    });
  }

  // --- S3 -----------------------------------------------------------------------------------

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
        info = await this.s3Info(mount);
      } catch (err) {
        if (abort.signal.aborted) return;
        this.fail(req, res, mount, await this.explainError(mount, err, 'head'));
        return;
      }
      this.lastErrors.delete(mount.id);
      setObjectHeaders(res, info.etag, info.lastModified ? new Date(info.lastModified) : undefined);
      const size = info.sizeBytes;
      if (range.kind !== 'none' && size !== null) {
        const resolved = range.kind === 'range' ? resolveRange(range, size) : null;
        if (!resolved) {
          this.fail(req, res, mount, unsatisfiable(displayS3(ref), size, req.headers.range));
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
      return;
    }

    const s3Range = range.kind === 'range' ? toS3Range(range) : undefined;
    if (range.kind === 'invalid' || (range.kind === 'range' && s3Range === undefined)) {
      // 416 needs the size for its Content-Range.
      await this.answerUnsatisfiable(req, res, mount, undefined);
      return;
    }

    let out;
    try {
      out = await createS3Client(ref).send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...(s3Range ? { Range: s3Range } : {}) }),
        { abortSignal: abort.signal },
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

    const body = out.Body as Readable | undefined;
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

  /**
   * Turn an SDK error into a typed failure. HEAD errors carry no body (only the status), so a 403
   * is re-asked with a one-byte GET to learn whether the key or the secret was refused, and a 404
   * with a HeadBucket to tell a missing bucket from a missing key. Both happen only on failure.
   */
  private async explainError(mount: Mount, err: unknown, op: 'head' | 'get'): Promise<ReadFailure> {
    if (mount.kind === 'file') return fileFailure(mount, err);
    const { ref } = mount;
    const where = describeEndpoint(ref);
    const what = displayS3(ref);

    if (CREDENTIAL_ERROR_NAMES.has(errorName(err)) || (statusOf(err) === undefined && /credential/i.test(errorMessage(err)))) {
      const profile = ref.profile ? `profile "${ref.profile}"` : 'the default profile';
      return s3Failure(mount, 'credentials', `No AWS credentials could be resolved for ${profile} to read ${what}: ${errorMessage(err)}`);
    }
    const code = errorCode(err);
    if ((code && NETWORK_CODES.has(code)) || ['TimeoutError', 'RequestTimeout'].includes(errorName(err))) {
      return s3Failure(mount, 'network', `Cannot reach ${where} to read ${what}: ${code ?? errorMessage(err)}.`);
    }

    const status = statusOf(err);
    let name = errorName(err);
    if (status === 403) {
      if (op === 'head' && !KNOWN_403.has(name)) name = (await this.getErrorName(ref)) ?? name;
      if (name === 'AccessDenied') {
        return s3Failure(mount, 'accessDenied', `Access denied to ${what} at ${where}: the credentials were accepted but may not read this object (403, AccessDenied).`);
      }
      const detail = name === 'SignatureDoesNotMatch' || name === 'InvalidAccessKeyId' ? `403, ${name}` : '403';
      return s3Failure(mount, 'accessDenied', `Access denied to ${what} at ${where}: the access key or secret was refused (${detail}).`);
    }
    if (status === 404 || name === 'NoSuchBucket' || name === 'NoSuchKey' || name === 'NotFound') {
      const bucketMissing = name === 'NoSuchBucket' || (name !== 'NoSuchKey' && (await this.bucketMissing(ref)));
      if (bucketMissing) {
        return s3Failure(mount, 'noSuchBucket', `Bucket "${ref.bucket}" does not exist at ${where} (reading ${what}).`);
      }
      return s3Failure(mount, 'notFound', `Object ${what} does not exist at ${where}.`);
    }
    if (status !== undefined && status >= 500) {
      return s3Failure(mount, 'network', `${where} failed to serve ${what}: ${name} (${status}).`);
    }
    return s3Failure(mount, 'internal', `Reading ${what} at ${where} failed: ${name}${status ? ` (${status})` : ''}: ${errorMessage(err)}`);
  }

  private async getErrorName(ref: S3ObjectRef): Promise<string | null> {
    try {
      await createS3Client(ref).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: 'bytes=0-0' }));
      return null;
    } catch (err) {
      return statusOf(err) === 403 ? errorName(err) : null;
    }
  }

  private async bucketMissing(ref: S3ObjectRef): Promise<boolean> {
    try {
      await createS3Client(ref).send(new HeadBucketCommand({ Bucket: ref.bucket }));
      return false;
    } catch (err) {
      return statusOf(err) === 404;
    }
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

/** The last path segment, reduced to characters that need no escaping, so DuckDB sees the extension. */
function safeBasename(name: string): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
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
