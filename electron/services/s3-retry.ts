// Bounded retries for the gateway's reads from S3. The SDK already retries a request that fails
// before its answer starts (5xx, throttling, a reset connection: `maxAttempts` in s3-access.ts),
// but not a body that breaks halfway, which is what a flaky network or a proxy with a short idle
// timeout does to a large Parquet read. Only GET and HEAD come through here (idempotent), each
// retry waits longer (exponential backoff with jitter), and a broken body is resumed with a Range
// for exactly the bytes still missing, pinned to the same object version by ETag (If-Match), so a
// file replaced mid-read fails instead of splicing two versions together.
import { PassThrough, type Readable } from 'node:stream';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The gateway's policy: at most 3 tries of a request, at most 3 resumptions of one body. */
export const S3_READ_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 150, maxDelayMs: 2_000 };

const RETRYABLE_NAMES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'ThrottlingException', 'BadGateway']);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/**
 * Whether a failed S3 read may succeed if asked again: server errors, throttling and broken
 * connections. Never a 4xx (denied, missing, expired credentials: asking again changes nothing).
 */
export function isTransientS3Error(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown }; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (status !== undefined) return status >= 500 || status === 429;
  if (typeof e.name === 'string' && RETRYABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && /socket hang up|aborted|premature close|ended early/i.test(e.message);
}

/** The wait before retry number `retry` (1-based): exponential, capped, with jitter so clients do not retry in step. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Run `op` until it succeeds, fails for good (not transient), or the attempts run out. */
export async function withRetries<T>(op: (attempt: number) => Promise<T>, opts: { policy?: RetryPolicy; signal?: AbortSignal; onRetry?: (err: unknown, attempt: number) => void } = {}): Promise<T> {
  const policy = opts.policy ?? S3_READ_RETRY;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await op(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || opts.signal?.aborted || !isTransientS3Error(err)) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(backoffMs(policy, attempt), opts.signal);
    }
  }
}

/**
 * A body that survives breaks: when `first` errors or ends before `length` bytes, the rest is
 * fetched with `fetchRest(offset)` (offset = bytes already passed on, relative to the start of the
 * body) after a backoff, at most `policy.attempts - 1` times. The output ends only after exactly
 * `length` bytes; if the body cannot be completed it fails with the last error.
 */
export function resumableBody(
  first: Readable,
  length: number,
  fetchRest: (offset: number) => Promise<Readable>,
  opts: { policy?: RetryPolicy; signal?: AbortSignal; onResume?: (err: unknown, offset: number) => void } = {},
): Readable {
  const policy = opts.policy ?? S3_READ_RETRY;
  const out = new PassThrough();
  let sent = 0;
  let resumes = 0;
  let current: Readable | null = null;

  const attach = (source: Readable) => {
    current = source;
    let settled = false;
    const broken = (err: unknown) => {
      if (settled) return;
      settled = true;
      source.destroy();
      void resume(err);
    };
    source.on('data', (chunk: Buffer) => {
      // Never pass on more than was promised (a server that ignores Range would send too much).
      const room = length - sent;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      sent += piece.length;
      if (piece.length > 0 && !out.write(piece)) {
        source.pause();
        out.once('drain', () => source.resume());
      }
      if (sent >= length && !settled) {
        settled = true;
        source.destroy();
        out.end();
      }
    });
    source.once('error', broken);
    source.once('end', () => {
      if (settled) return;
      if (sent >= length) {
        settled = true;
        out.end();
      } else broken(new Error(`the body ended early: ${sent} of ${length} bytes`));
    });
  };

  const resume = async (err: unknown) => {
    resumes += 1;
    if (opts.signal?.aborted || out.destroyed) return;
    if (resumes >= policy.attempts || !isTransientS3Error(err)) {
      // A fresh error without the socket's code: ECONNRESET would pass for the client hanging up.
      const why = err instanceof Error ? err.message : String(err);
      out.destroy(new Error(`gave up after ${resumes} broken ${resumes === 1 ? 'read' : 'reads'}, with ${sent} of ${length} bytes (${why})`));
      return;
    }
    opts.onResume?.(err, sent);
    try {
      await sleep(backoffMs(policy, resumes), opts.signal);
      attach(await withRetries(() => fetchRest(sent), { policy, ...(opts.signal ? { signal: opts.signal } : {}) }));
    } catch (again) {
      out.destroy(again instanceof Error ? again : new Error(String(again)));
    }
  };

  out.once('close', () => {
    if (sent < length) current?.destroy();
  });
  if (length === 0) {
    first.resume();
    out.end();
  } else attach(first);
  return out;
}
