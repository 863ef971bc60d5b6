// Every migration is pinned by golden files: dashboards/testdata/migrations/v<N>/<case>.input.json
// migrates to exactly <case>.output.json. Adding vN.ts without goldens fails here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMA_VERSION, DashboardFile } from '../schema';
import { MIGRATIONS, MigrationError, migrate } from './index';

const here = path.dirname(fileURLToPath(import.meta.url));
const goldenRoot = path.join(here, '..', 'testdata', 'migrations');

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

function goldenCases(version: number): string[] {
  const dir = path.join(goldenRoot, `v${version}`);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith('.input.json')).map((f) => f.slice(0, -'.input.json'.length));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const registered = Object.keys(MIGRATIONS).map(Number).sort((a, b) => a - b);

describe('the migration registry', () => {
  it('has exactly one migration for every version from 2 to CURRENT_SCHEMA_VERSION', () => {
    const expected = Array.from({ length: CURRENT_SCHEMA_VERSION - 1 }, (_, i) => i + 2);
    expect(registered).toEqual(expected);
    for (const v of expected) expect(typeof MIGRATIONS[v]).toBe('function');
  });

  it('registers every vN.ts file in dashboards/migrations', () => {
    const files = readdirSync(here).filter((f) => /^v\d+\.ts$/.test(f));
    const versions = files.map((f) => Number(f.slice(1, -3))).sort((a, b) => a - b);
    expect(versions).toEqual(registered);
  });

  it('has golden cases, with both halves, for every migration', () => {
    for (const v of registered) {
      const cases = goldenCases(v);
      expect(cases.length, `no golden cases in testdata/migrations/v${v}`).toBeGreaterThan(0);
      const files = readdirSync(path.join(goldenRoot, `v${v}`));
      for (const c of cases) expect(files, `v${v}/${c} has no output`).toContain(`${c}.output.json`);
      for (const f of files) expect(f, `v${v}/${f} is neither an input nor an output`).toMatch(/\.(input|output)\.json$/);
    }
  });
});

describe.each(registered)('migration to v%i', (version) => {
  const migration = MIGRATIONS[version]!;

  it.each(goldenCases(version))('turns %s.input.json into exactly %s.output.json', (name) => {
    const dir = path.join(goldenRoot, `v${version}`);
    const input = readJson(path.join(dir, `${name}.input.json`));
    const output = readJson(path.join(dir, `${name}.output.json`));
    expect(migration(input)).toEqual(output);
  });

  it.each(goldenCases(version))('leaves %s.input.json untouched, even when deep-frozen', (name) => {
    const file = path.join(goldenRoot, `v${version}`, `${name}.input.json`);
    const pristine = readJson(file);
    const frozen = deepFreeze(readJson(file));
    const cloned = structuredClone(pristine);
    expect(() => migration(frozen)).not.toThrow();
    migration(cloned);
    expect(cloned).toEqual(pristine);
    expect(frozen).toEqual(pristine);
  });

  it.each(goldenCases(version))('produces from %s.input.json the version it is registered for', (name) => {
    const out = migration(readJson(path.join(goldenRoot, `v${version}`, `${name}.input.json`))) as { schemaVersion?: unknown };
    expect(out.schemaVersion).toBe(version);
  });

  if (version === CURRENT_SCHEMA_VERSION) {
    it.each(goldenCases(version))('%s.output.json is a valid current dashboard', (name) => {
      const parsed = DashboardFile.safeParse(readJson(path.join(goldenRoot, `v${version}`, `${name}.output.json`)));
      expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
    });
  }
});

describe('migrate', () => {
  const v1 = readJson(path.join(goldenRoot, 'v2', 'minimal.input.json'));

  it('chains the steps from the file version to the target', () => {
    expect(migrate(v1, 1, 2)).toEqual(readJson(path.join(goldenRoot, 'v2', 'minimal.output.json')));
  });

  it('returns the document itself when there is nothing to do', () => {
    expect(migrate(v1, 1, 1)).toBe(v1);
  });

  it('names the step that failed', () => {
    let caught: unknown;
    try {
      migrate('not an object', 1, 2);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MigrationError);
    expect((caught as MigrationError).step).toBe(2);
    expect((caught as MigrationError).message).toContain('schema version 2');
  });

  it('refuses a missing step or a backwards range', () => {
    expect(() => migrate(v1, 1, CURRENT_SCHEMA_VERSION + 1)).toThrow(MigrationError);
    expect(() => migrate(v1, 2, 1)).toThrow(MigrationError);
    expect(() => migrate(v1, 0, 2)).toThrow(MigrationError);
  });
});
