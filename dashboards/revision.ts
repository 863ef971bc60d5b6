// The revision block records where a file sits in its history; the content hash covers everything
// else. Hashing itself happens in the host (SHA-256 needs Node or WebCrypto, and dashboards/ is pure).
import { serializeDashboard } from './document';
import type { DashboardFile, Revision } from './schema';

/** The text the content hash is computed over: the serialized document without its revision block. */
export function canonicalContent(doc: DashboardFile): string {
  const { revision: _revision, ...content } = doc;
  return serializeDashboard(content);
}

/** A copy of `doc` carrying `revision` (replacing any it had). Does not change `doc`. */
export function withRevision(doc: DashboardFile, revision: Revision): DashboardFile {
  return { ...doc, revision };
}
