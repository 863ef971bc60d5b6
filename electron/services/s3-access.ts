// Credentials and S3 clients for the data gateway. Host-only (Node): secrets are resolved here and
// never leave the host process. Nothing in this module logs, and no cache key or message carries a
// raw secret.
import { createHash } from 'node:crypto';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AccessKeys } from '../api/host-api';

/** Where an S3 (or S3-compatible) store is and how to sign for it; the object itself is not part of it. */
export interface S3ConnectionRef {
  /** Custom endpoint with scheme, e.g. http://127.0.0.1:9000; absent for AWS S3. */
  endpoint?: string;
  region?: string;
  /** AWS profile name on this machine; used only when `keys` is absent. */
  profile?: string;
  pathStyle?: boolean;
  /** Keys the user typed; they take precedence over the standard credential chain. */
  keys?: AccessKeys;
}

/** The region used when neither the source, the environment nor the AWS config names one. */
export const DEFAULT_REGION = 'us-east-1';

// Retries make a wrong endpoint or a refused key take many seconds to surface; two attempts are
// enough to ride over one dropped connection.
const MAX_ATTEMPTS = 2;
const CONNECTION_TIMEOUT_MS = 5_000;
// Socket idle time, not total time: a long streamed GET keeps the socket busy.
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_CACHED_CLIENTS = 32;

const clients = new Map<string, S3Client>();

/** SHA-256 (hex) of the keys, so two key sets can be told apart without keeping the secret in a key. */
export function fingerprintKeys(keys: AccessKeys | undefined): string {
  if (!keys) return 'chain';
  return createHash('sha256')
    .update(JSON.stringify([keys.accessKeyId, keys.secretAccessKey, keys.sessionToken ?? null]))
    .digest('hex');
}

/** A cache key for a connection: endpoint, region, style, profile and a digest of the keys. */
export function connectionKey(ref: S3ConnectionRef): string {
  return JSON.stringify([
    ref.endpoint ?? null,
    ref.region ?? null,
    ref.pathStyle ?? null,
    ref.keys ? null : (ref.profile ?? null),
    fingerprintKeys(ref.keys),
  ]);
}

/** A short human description of where the store is, for messages: the endpoint or "AWS S3 (region)". */
export function describeEndpoint(ref: S3ConnectionRef): string {
  if (ref.endpoint) return ref.endpoint;
  return ref.region ? `AWS S3 (${ref.region})` : 'AWS S3';
}

/**
 * An S3 client for the connection, cached per endpoint/region/style/profile/keys.
 * Credentials: the explicit keys if given, else the standard Node chain for the profile
 * (environment, shared config and credentials files, SSO, process, container and instance metadata).
 */
export function createS3Client(ref: S3ConnectionRef): S3Client {
  const cacheKey = connectionKey(ref);
  const cached = clients.get(cacheKey);
  if (cached) {
    // Re-insert to keep the map in least-recently-used order.
    clients.delete(cacheKey);
    clients.set(cacheKey, cached);
    return cached;
  }

  const profile = ref.keys ? undefined : ref.profile;
  const config: S3ClientConfig = {
    region: ref.region ?? (() => resolveDefaultRegion(profile)),
    forcePathStyle: ref.pathStyle ?? Boolean(ref.endpoint),
    credentials: ref.keys
      ? {
          accessKeyId: ref.keys.accessKeyId,
          secretAccessKey: ref.keys.secretAccessKey,
          ...(ref.keys.sessionToken ? { sessionToken: ref.keys.sessionToken } : {}),
        }
      : fromNodeProviderChain(profile ? { profile } : {}),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    // AWS buckets answer a wrong region with a redirect; follow it instead of failing.
    followRegionRedirects: !ref.endpoint,
    // Only reads go through these clients; checksums of ranged reads are not validated by S3 anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (ref.endpoint) config.endpoint = ref.endpoint;
  if (profile) config.profile = profile;

  const client = new S3Client(config);
  clients.set(cacheKey, client);
  while (clients.size > MAX_CACHED_CLIENTS) {
    const oldest = clients.keys().next();
    if (oldest.done) break;
    clients.get(oldest.value)?.destroy();
    clients.delete(oldest.value);
  }
  return client;
}

/** Destroy every cached client (closes their sockets); used on shutdown and by tests. */
export function destroyS3Clients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}

const regionByProfile = new Map<string, Promise<string>>();

/**
 * The region the SDK itself would pick (AWS_REGION, then the profile's `region` in the shared
 * config), else us-east-1. The SDK throws "Region is missing" instead of defaulting, so ask a
 * throwaway client and fall back.
 */
function resolveDefaultRegion(profile: string | undefined): Promise<string> {
  const key = profile ?? '';
  let pending = regionByProfile.get(key);
  if (!pending) {
    pending = (async () => {
      const probe = new S3Client(profile ? { profile } : {});
      try {
        const region = await probe.config.region();
        return region || DEFAULT_REGION;
      } catch {
        return DEFAULT_REGION;
      } finally {
        probe.destroy();
      }
    })();
    regionByProfile.set(key, pending);
  }
  return pending;
}
