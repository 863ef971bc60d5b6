// The registry of schema migrations (Grafana style): one file per version, each upgrading a
// document by exactly one step. Every migration has golden files under dashboards/testdata/migrations/vN/.
import { migrateToV2 } from './v2';

/** A migration: takes a document of version N - 1 and returns a new document of version N. */
export type Migration = (doc: unknown) => unknown;

/** Every migration, keyed by the schema version it produces. Never delete one: old files still need it. */
export const MIGRATIONS: Record<number, Migration> = Object.freeze({
  2: migrateToV2,
});

/** A migration step that is missing or failed; `step` is the version it was meant to produce. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
  }
}

/** Upgrade `doc` from `fromVersion` to `toVersion` one step at a time. Pure; throws MigrationError. */
export function migrate(doc: unknown, fromVersion: number, toVersion: number): unknown {
  if (!Number.isSafeInteger(fromVersion) || !Number.isSafeInteger(toVersion) || fromVersion < 1 || toVersion < fromVersion) {
    throw new MigrationError(toVersion, `cannot migrate from schema version ${fromVersion} to ${toVersion}`);
  }
  let current = doc;
  for (let step = fromVersion + 1; step <= toVersion; step++) {
    const migration = Object.hasOwn(MIGRATIONS, step) ? MIGRATIONS[step] : undefined;
    if (!migration) throw new MigrationError(step, `there is no migration to schema version ${step}`);
    try {
      current = migration(current);
    } catch (err) {
      throw new MigrationError(step, `the migration to schema version ${step} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return current;
}
