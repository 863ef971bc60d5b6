// Which dashboard contents this machine trusts to run their SQL: a set of content hashes in
// `<homeDir>/trusted-dashboards.json`. Trust is keyed by what a file contains, never by its path
// or by the hash a file claims for itself, so an edit made outside Northstar is untrusted again.
//
// The hash is of the content as loaded (host-services `contentHashOf`: migrated to the current
// schema, defaults filled, broken items dropped, revision block left out), which is exactly what the
// app then runs. So (checked in host-services.test.ts, "trust is keyed by the content as loaded"):
// - A file in an older schema trusted in this version stays trusted on reopen and after it is saved
//   in the current schema: migration is deterministic and saving writes the migrated content.
//   Trust given by an older Northstar (a hash of the older schema's content) is asked for again
//   after an upgrade whose migration changes the content: a fail-safe, never a silent grant.
// - Two different files that load to the same content share trust, and that is right: whatever a
//   crafted file adds that the loader drops (a broken panel, a false revision block, key order) never
//   runs, and anything that would run (SQL, sources, id) is part of the hash. Reaching trusted
//   content from other content would take a SHA-256 collision.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';

export const TRUST_FILE_NAME = 'trusted-dashboards.json';
const TRUST_FILE_TYPE = 'northstar.trusted-dashboards';
const SHA256 = /^[0-9a-f]{64}$/;

interface TrustFile {
  type: typeof TRUST_FILE_TYPE;
  version: 1;
  contentHashes: string[];
}

export class TrustStore {
  readonly file: string;
  // Adds in this process run one after another, so two saves at once cannot drop each other's hash.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly homeDir: string) {
    this.file = path.join(homeDir, TRUST_FILE_NAME);
  }

  /** Whether this content hash is trusted here. A missing or corrupt store trusts nothing. */
  async has(contentHash: string): Promise<boolean> {
    const { hashes } = await this.read();
    return hashes.has(contentHash);
  }

  /** Trust a content hash from now on. */
  async add(contentHash: string): Promise<void> {
    if (!SHA256.test(contentHash)) throw new Error(`Not a SHA-256 content hash: ${contentHash.slice(0, 80)}`);
    const run = this.queue.then(async () => {
      // Re-read inside the queue: another Northstar process may have added hashes meanwhile.
      const { hashes, corrupt } = await this.read();
      if (hashes.has(contentHash) && !corrupt) return;
      hashes.add(contentHash);
      await fs.mkdir(this.homeDir, { recursive: true, mode: 0o700 });
      if (corrupt) {
        // Keep the unreadable file for a human to look at instead of silently replacing it.
        await fs.rename(this.file, `${this.file}.corrupt-${Date.now()}`).catch(() => undefined);
      }
      const body: TrustFile = { type: TRUST_FILE_TYPE, version: 1, contentHashes: [...hashes].sort() };
      await writeFileAtomic(this.file, `${JSON.stringify(body, null, 2)}\n`);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(): Promise<{ hashes: Set<string>; corrupt: boolean }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      // Missing is the normal first run; an unreadable file trusts nothing either.
      return { hashes: new Set(), corrupt: false };
    }
    try {
      const raw = JSON.parse(text) as Partial<TrustFile> | null;
      if (!raw || raw.type !== TRUST_FILE_TYPE || !Array.isArray(raw.contentHashes)) return { hashes: new Set(), corrupt: true };
      const hashes = new Set(raw.contentHashes.filter((h): h is string => typeof h === 'string' && SHA256.test(h)));
      return { hashes, corrupt: false };
    } catch {
      return { hashes: new Set(), corrupt: true };
    }
  }
}
