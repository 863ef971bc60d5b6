import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostError } from '../api/host-api';
import { CredentialStore, safeStorageCipher, type SafeStorageLike, type SecretCipher } from './credentials';

// A real cipher (AES-256-GCM under a per-test key) standing in for the OS keychain, which only
// exists inside Electron: the store's job is what it writes, and that it never writes plain keys.
function aesCipher(key = randomBytes(32)): SecretCipher {
  return {
    availability: () => ({ ok: true }),
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(data) {
      const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      d.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([d.update(data.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const KEYS = { accessKeyId: 'AKIACREDTEST0001', secretAccessKey: 'credentials-test-secret-0123456789' };
const WHERE = JSON.stringify(['s3://lake/orders/', 'http://127.0.0.1:9000', '', '']);
const ELSEWHERE = JSON.stringify(['s3://lake/customers/', 'http://127.0.0.1:9000', '', '']);
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'northstar-cred-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('CredentialStore', () => {
  it('stores keys encrypted (never the secret in the file, mode 0600) and recalls them in a later session', async () => {
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const cipher = aesCipher();
    await new CredentialStore(home, cipher).persist(WHERE, KEYS);
    const text = await readFile(path.join(home, 'credentials.json'), 'utf8');
    expect(text).not.toContain(KEYS.secretAccessKey);
    expect(text).not.toContain(KEYS.accessKeyId);
    expect((await stat(path.join(home, 'credentials.json'))).mode & 0o777).toBe(0o600);
    expect(await new CredentialStore(home, cipher).recall(WHERE)).toEqual(KEYS);
    // Another keychain cannot read them: no keys, no crash.
    expect(await new CredentialStore(home, aesCipher()).recall(WHERE)).toBeNull();
  });

  it('refuses to store without real encryption, saying why, and keeps the keys for this session only', async () => {
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const none: SecretCipher = { ...aesCipher(), availability: () => ({ ok: false, reason: 'no secret service is running' }) };
    const store = new CredentialStore(home, none);
    const err = await store.persist(WHERE, KEYS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).code).toBe('credentials');
    expect((err as HostError).message).toBe('Not stored: no secret service is running. The keys work for this session only.');
    expect(await store.recall(WHERE)).toEqual(KEYS);
    await expect(readFile(path.join(home, 'credentials.json'))).rejects.toThrow(/ENOENT/);
    expect(store.describe()).toBe('Keys you type are kept in memory for this session only: no secret service is running.');
  });

  it('the browser host (no cipher) keeps keys in memory only and says so', async () => {
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const store = new CredentialStore(home, null);
    expect(store.describe()).toBe('Keys you type are kept in memory for this session only; the browser host never writes them to disk.');
    await expect(store.persist(WHERE, KEYS)).rejects.toThrow('Not stored: the browser host keeps typed keys in memory for this session only.');
    expect(await store.recall(WHERE)).toEqual(KEYS);
    expect(await new CredentialStore(home, null).recall(WHERE)).toBeNull();
  });

  it('forgets keys in memory and on disk', async () => {
    const home = await mkdtemp(path.join(tmp, 'home-'));
    const cipher = aesCipher();
    const store = new CredentialStore(home, cipher);
    await store.persist(WHERE, KEYS);
    await store.persist(ELSEWHERE, KEYS);
    const sealed = JSON.parse(await readFile(store.file, 'utf8')) as { entries: Record<string, string> };
    expect(Object.keys(sealed.entries).sort()).toEqual([ELSEWHERE, WHERE].sort());
    expect(await store.forget(WHERE)).toBe(true);
    // Gone from the file (not just unreadable), the other location's keys kept; a second forget finds nothing.
    const after = await readFile(store.file, 'utf8');
    expect(after).not.toContain(sealed.entries[WHERE]);
    expect(Object.keys((JSON.parse(after) as { entries: Record<string, string> }).entries)).toEqual([ELSEWHERE]);
    expect(await new CredentialStore(home, cipher).recall(WHERE)).toBeNull();
    expect(await new CredentialStore(home, cipher).recall(ELSEWHERE)).toEqual(KEYS);
    expect(await store.forget(WHERE)).toBe(false);
    // A session without a cipher (the browser host, a lost keychain) still deletes what an earlier one stored.
    expect(await new CredentialStore(home, null).forget(ELSEWHERE)).toBe(true);
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toMatchObject({ entries: {} });
  });
});

describe('safeStorageCipher', () => {
  const storage = (available: boolean, backend?: string): SafeStorageLike => ({
    isEncryptionAvailable: () => available,
    ...(backend ? { getSelectedStorageBackend: () => backend } : {}),
    encryptString: (s) => Buffer.from(s),
    decryptString: (b) => b.toString(),
  });

  it('refuses basic_text on Linux and an unavailable keychain anywhere, with a reason', () => {
    expect(safeStorageCipher(storage(true, 'basic_text'), 'linux').availability()).toEqual({
      ok: false,
      reason: 'no secret service is running (Electron\'s storage backend is "basic_text", which is not encrypted with a key of yours)',
    });
    expect(safeStorageCipher(storage(false), 'darwin').availability()).toMatchObject({ ok: false });
    expect(safeStorageCipher(storage(true, 'gnome_libsecret'), 'linux').availability()).toEqual({ ok: true });
    expect(safeStorageCipher(storage(true), 'darwin').availability()).toEqual({ ok: true });
  });
});
