// Keys the user types for S3 sources. In Electron they are kept across sessions, encrypted with
// the OS keychain through `safeStorage` (main process only: main.ts injects a `SecretCipher`), in
// `<home>/credentials.json` (mode 0600). Where no real encryption exists (Linux `basic_text`, no
// keychain) nothing is written: storing a secret under a hard-coded key would only look safe. The
// browser host has no cipher at all and keeps typed keys in memory for the session, and says so.
// Entries are keyed by the source's location (URI, endpoint, region, profile), never by dashboard:
// a dashboard file never carries or names keys.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AccessKeys, HostError } from '../api/host-api';
import { writeFileAtomic } from './atomic-write';

export const CREDENTIALS_FILE_NAME = 'credentials.json';
const FILE_TYPE = 'northstar.credentials';

/** Encryption by the OS keychain (Electron `safeStorage`), injected so this module runs under plain Node. */
export interface SecretCipher {
  /** Whether real encryption is available, and if not, why (shown to the user). */
  availability(): { ok: true } | { ok: false; reason: string };
  encrypt(plain: string): Buffer;
  decrypt(cipherText: Buffer): string;
}

/** The part of Electron's `safeStorage` a cipher needs (it is only ever passed in by main.ts). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  /** Linux only in Electron; undefined elsewhere. */
  getSelectedStorageBackend?: () => string;
  encryptString(plain: string): Buffer;
  decryptString(cipherText: Buffer): string;
}

/** A cipher over Electron's safeStorage that refuses the plain-text fallback. */
export function safeStorageCipher(safeStorage: SafeStorageLike, platform: NodeJS.Platform = process.platform): SecretCipher {
  return {
    availability() {
      if (!safeStorage.isEncryptionAvailable()) {
        return { ok: false, reason: 'the operating system offers no encryption for stored secrets (no keychain or secret service is available)' };
      }
      const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend?.() : undefined;
      if (backend === 'basic_text' || backend === 'unknown') {
        return { ok: false, reason: `no secret service is running (Electron's storage backend is "${backend}", which is not encrypted with a key of yours)` };
      }
      return { ok: true };
    },
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (cipherText) => safeStorage.decryptString(cipherText),
  };
}

interface CredentialsFile {
  type: typeof FILE_TYPE;
  version: 1;
  /** Location identity → base64 of the encrypted JSON of the keys. */
  entries: Record<string, string>;
}

export class CredentialStore {
  readonly file: string;
  private readonly memory = new Map<string, AccessKeys>();
  private queue: Promise<unknown> = Promise.resolve();

  /** `cipher` null: memory only (the browser host). */
  constructor(
    homeDir: string,
    private readonly cipher: SecretCipher | null,
  ) {
    this.file = path.join(homeDir, CREDENTIALS_FILE_NAME);
  }

  /** Where typed keys are kept, in the user's words. */
  describe(): string {
    if (!this.cipher) return 'Keys you type are kept in memory for this session only; the browser host never writes them to disk.';
    const available = this.cipher.availability();
    if (!available.ok) return `Keys you type are kept in memory for this session only: ${available.reason}.`;
    return 'Keys you type are stored encrypted by your operating system keychain.';
  }

  /** Remember keys for a source location: in memory always, and encrypted on disk where possible (see `persist`). */
  remember(location: string, keys: AccessKeys): void {
    this.memory.set(location, keys);
  }

  /**
   * Store keys encrypted on disk for later sessions. Refused (HostError `credentials`) when there
   * is no cipher or no real encryption, saying why; the keys then still work for this session.
   */
  async persist(location: string, keys: AccessKeys): Promise<void> {
    const parsed = AccessKeys.parse(keys);
    this.memory.set(location, parsed);
    if (!this.cipher) {
      throw new HostError('credentials', 'Not stored: the browser host keeps typed keys in memory for this session only.');
    }
    const available = this.cipher.availability();
    if (!available.ok) throw new HostError('credentials', `Not stored: ${available.reason}. The keys work for this session only.`);
    const sealed = this.cipher.encrypt(JSON.stringify(parsed)).toString('base64');
    await this.update((entries) => {
      entries[location] = sealed;
    });
  }

  /** The keys for a location: from this session, else decrypted from disk; null when none (or undecryptable). */
  async recall(location: string): Promise<AccessKeys | null> {
    const inMemory = this.memory.get(location);
    if (inMemory) return inMemory;
    if (!this.cipher || !this.cipher.availability().ok) return null;
    const sealed = (await this.read()).entries[location];
    if (!sealed) return null;
    try {
      const keys = AccessKeys.parse(JSON.parse(this.cipher.decrypt(Buffer.from(sealed, 'base64'))));
      this.memory.set(location, keys);
      return keys;
    } catch {
      // Encrypted by another user or keychain: unusable here, and not worth failing the read for.
      return null;
    }
  }

  /** Forget the keys of a location, in memory and on disk; whether any were kept. */
  async forget(location: string): Promise<boolean> {
    let found = this.memory.delete(location);
    // The file is read even without a cipher now: keys stored by an earlier session must go too.
    if (!Object.hasOwn((await this.read()).entries, location)) return found;
    found = true;
    await this.update((entries) => {
      delete entries[location];
    });
    return found;
  }

  private update(change: (entries: Record<string, string>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const current = await this.read();
      const entries: Record<string, string> = Object.create(null) as Record<string, string>;
      Object.assign(entries, current.entries);
      change(entries);
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const body: CredentialsFile = { type: FILE_TYPE, version: 1, entries: Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))) };
      await writeFileAtomic(this.file, `${JSON.stringify(body, null, 2)}\n`);
      await fs.chmod(this.file, 0o600);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(): Promise<CredentialsFile> {
    const empty: CredentialsFile = { type: FILE_TYPE, version: 1, entries: {} };
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return empty;
    }
    try {
      const raw = JSON.parse(text) as Partial<CredentialsFile> | null;
      if (!raw || raw.type !== FILE_TYPE || typeof raw.entries !== 'object' || raw.entries === null) return empty;
      const entries = Object.fromEntries(Object.entries(raw.entries).filter((e): e is [string, string] => typeof e[1] === 'string'));
      return { type: FILE_TYPE, version: 1, entries };
    } catch {
      return empty;
    }
  }
}
