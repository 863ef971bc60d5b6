// Seeded fuzzing of loadDashboard: whatever the bytes, it returns a dashboard or one typed error,
// quickly, without throwing and without touching Object.prototype. A failure prints the seed and
// case number; rerun with FUZZ_SEED=<seed> to reproduce.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOAD_ERROR_KINDS, loadDashboard, serializeDashboard, type LoadResult } from './document';

const here = path.dirname(fileURLToPath(import.meta.url));
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2024);
const CASES = 4000;
const CASE_TIME_LIMIT_MS = 2000;

/** mulberry32: tiny, fast, and good enough to spread mutations. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

function corpus(): string[] {
  const texts = [readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8')];
  const goldenRoot = path.join(here, 'testdata', 'migrations');
  for (const version of readdirSync(goldenRoot)) {
    for (const file of readdirSync(path.join(goldenRoot, version))) texts.push(readFileSync(path.join(goldenRoot, version, file), 'utf8'));
  }
  // A v2 dashboard using every newer feature, so mutations reach checks, filters and corrections.
  const rich = JSON.parse(texts[0]!) as Record<string, unknown>;
  rich.filters = [{ id: 'by_region', kind: 'dimension', dataset: 'orders', dimension: 'region', values: ['EMEA'] }];
  rich.checks = [{ id: 'dupes', title: 'Duplicate orders', dataset: 'orders', rule: 'duplicate_key', params: { key: ['order_id'] }, guards: ['kpi_orders'] }];
  rich.corrections = [{ id: 'fix_de', kind: 'map_value', dataset: 'orders', params: { column: 'country', from: 'Deutschland', to: 'Germany' }, reason: 'r', author: 'a' }];
  (rich.panels as unknown[]).push({ id: 'notes', title: 'Notes', kind: 'text', markdown: '# Hi' }, { id: 'alerts', title: 'Alerts', kind: 'anomaly', checks: ['dupes'] });
  (rich.datasets as unknown[]).push({ name: 'top', kind: 'sql', sql: 'SELECT * FROM orders LIMIT 10', measures: [{ name: 'n', agg: 'count' }] });
  rich.revision = { number: 3, savedAt: '2025-01-02T03:04:05Z', savedBy: 'ana', parentHash: 'a'.repeat(64), contentHash: 'b'.repeat(64) };
  texts.push(`${JSON.stringify(rich, null, 2)}\n`);
  return texts;
}

const NASTY_CHARS = ['{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e', '.', ' ', '\n', 'a', '\u0000', '\ud800', '\u2028', 'é', 'x'];

function byteMutation(rng: Rng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(5)) {
    case 0:
      return text.slice(0, at); // truncation
    case 1:
      return text.slice(0, at) + rng.pick(NASTY_CHARS) + text.slice(at + 1); // flip
    case 2:
      return text.slice(0, at) + rng.pick(NASTY_CHARS) + text.slice(at); // insert
    case 3:
      return text.slice(0, at) + text.slice(at + 1 + rng.int(20)); // delete a run
    default: {
      let out = text; // a burst of flips
      for (let i = 0, n = 1 + rng.int(8); i < n; i++) {
        const p = rng.int(out.length);
        out = out.slice(0, p) + rng.pick(NASTY_CHARS) + out.slice(p + 1);
      }
      return out;
    }
  }
}

type Container = Record<string, unknown> | unknown[];

/** Every container in the document with its key, so a mutation can hit any level. */
function slots(root: unknown): { parent: Container; key: string | number }[] {
  const out: { parent: Container; key: string | number }[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach((v, i) => (out.push({ parent: value, key: i }), visit(v)));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        out.push({ parent: value as Record<string, unknown>, key: k });
        visit(v);
      }
    }
  };
  visit(root);
  return out;
}

function nest(depth: number, leaf: unknown, asArray: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { n: v };
  return v;
}

function weirdValue(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1e308,
    () => -0,
    () => 2.5,
    () => 'NaN',
    () => 'Infinity',
    () => '-Infinity',
    () => '',
    () => '1e999',
    () => '__proto__',
    () => 'x'.repeat(1 + rng.int(5000)),
    () => [],
    () => ({}),
    () => [1, 'a', null],
    () => ({ kind: 'hologram' }),
    () => 'AKIAIOSFODNN7EXAMPLE',
    () => nest(5 + rng.int(120), 1, rng.next() < 0.5),
  ])();
}

const BOMB = '__fuzz_nesting_bomb__';

function setOwn(obj: Record<string, unknown>, key: string, value: unknown) {
  // A plain assignment to "__proto__" would set the prototype instead of adding a key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function structuralMutation(rng: Rng, text: string): string {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const all = slots(doc);
  const target = all.length > 0 ? rng.pick(all) : null;
  switch (rng.int(11)) {
    case 0: // delete a key or an array item
      if (target) {
        if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 1);
        else delete target.parent[target.key as string];
      }
      break;
    case 1: // swap a value for one of another type
    case 2:
      if (target) (target.parent as Record<string, unknown>)[target.key] = weirdValue(rng);
      break;
    case 3: {
      // nesting bomb, deep enough to cross the limit or not; spliced in as text because
      // JSON.stringify itself recurses
      if (!target) break;
      (target.parent as Record<string, unknown>)[target.key] = BOMB;
      const depth = rng.pick([30, 63, 65, 200, 100_000]);
      const [open, close] = rng.next() < 0.5 ? ['[', ']'] : ['{"n":', '}'];
      return JSON.stringify(doc).replace(`"${BOMB}"`, `${open.repeat(depth)}"x"${close.repeat(depth)}`);
    }
    case 4: {
      // huge array: just under or over the schema's caps, or far over them with small items
      const n = rng.pick([100, 1001, 10_001, 100_000]);
      const list = rng.pick(['panels', 'layout', 'checks', 'datasets', 'filters']);
      const original = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
      const item = n <= 10_001 && rng.next() < 0.7 && original.length > 0 ? original[0] : rng.int(10);
      doc[list] = Array.from({ length: n }, () => item);
      break;
    }
    case 5: {
      // prototype pollution attempts, anywhere
      const host = target && !Array.isArray(target.parent) ? target.parent : doc;
      setOwn(host, rng.pick(['__proto__', 'constructor', 'prototype']), { polluted: true, prototype: { polluted: true } });
      break;
    }
    case 6: // envelope version of the wrong type or range
      doc.schemaVersion = rng.pick<unknown>(['2', '1', 2.5, -1, 0, 1e21, null, [2], { v: 2 }, 'NaN', 3, 99, Number.MAX_SAFE_INTEGER + 2, true]);
      break;
    case 7: // envelope type
      doc.type = rng.pick<unknown>(['northstar.Dashboard', '', null, 7, ['northstar.dashboard']]);
      break;
    case 8: {
      // a credential somewhere
      const host = target && !Array.isArray(target.parent) ? target.parent : doc;
      host[rng.pick(['password', 'API_KEY', 'secretAccessKey', 'token', 'note'])] = rng.pick(['x', 'AKIAIOSFODNN7EXAMPLE', '-----BEGIN PRIVATE KEY-----']);
      break;
    }
    case 9: {
      // break a reference or duplicate an item
      const list = rng.pick(['panels', 'layout', 'datasets', 'checks', 'sources']);
      const items = doc[list];
      if (Array.isArray(items) && items.length > 0) {
        const i = rng.int(items.length);
        if (rng.next() < 0.5) items.push(structuredClone(items[i]));
        else if (items[i] && typeof items[i] === 'object') {
          const item = items[i] as Record<string, unknown>;
          for (const key of ['dataset', 'panel', 'measure', 'source', 'kind']) if (key in item) item[key] = `ghost_${rng.int(3)}`;
        }
      }
      break;
    }
    default: // replace the whole document
      return JSON.stringify(weirdValue(rng));
  }
  return JSON.stringify(doc, null, rng.next() < 0.5 ? 2 : 0);
}

function check(result: LoadResult, label: string) {
  if (result.ok) {
    for (const w of result.warnings) {
      expect(typeof w.path, label).toBe('string');
      expect(w.message.length, label).toBeGreaterThan(0);
    }
    // What loads must save and reload to the same bytes, with nothing left to repair.
    const saved = serializeDashboard(result.dashboard);
    const again = loadDashboard(saved);
    expect(again.ok && again.warnings.length === 0 && serializeDashboard(again.dashboard) === saved, `${label}: reload of a loaded file`).toBe(true);
  } else {
    expect(LOAD_ERROR_KINDS, label).toContain(result.error.kind);
    expect(typeof result.error.message, label).toBe('string');
    expect(result.error.message.length, label).toBeGreaterThan(0);
    expect(result.error.message, label).not.toContain('internal error');
  }
}

describe('loadDashboard under fuzzing', () => {
  it(`returns a dashboard or a typed error for ${CASES} mutated files (seed ${SEED})`, () => {
    const rng = prng(SEED);
    const texts = corpus();
    const kinds = new Map<string, number>();
    let slowest = 0;
    let loading = 0;
    const started = performance.now();
    for (let n = 0; n < CASES; n++) {
      const label = `seed ${SEED} case ${n}`;
      const base = rng.pick(texts);
      const text = rng.next() < 0.5 ? byteMutation(rng, base) : structuralMutation(rng, base);
      const start = performance.now();
      let result: LoadResult;
      try {
        result = loadDashboard(text);
      } catch (err) {
        throw new Error(`${label}: loadDashboard threw ${String(err)}`);
      }
      const took = performance.now() - start;
      slowest = Math.max(slowest, took);
      loading += took;
      expect(took, `${label} took ${took} ms`).toBeLessThan(CASE_TIME_LIMIT_MS);
      check(result, label);
      const kind = result.ok ? (result.warnings.length > 0 ? 'ok with warnings' : 'ok') : result.error.kind;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      expect(Object.keys(Object.prototype), label).toEqual([]);
      expect(({} as Record<string, unknown>).polluted, label).toBeUndefined();
      expect(([] as unknown as Record<string, unknown>).polluted, label).toBeUndefined();
    }
    // The mutations must actually reach the interesting outcomes, not just "notJson".
    for (const kind of ['ok', 'ok with warnings', 'notJson', 'notADashboard', 'tooDeep', 'tooNew', 'secret', 'invalid']) {
      expect(kinds.get(kind) ?? 0, `no case ended as ${kind}: ${JSON.stringify([...kinds])}`).toBeGreaterThan(0);
    }
    const total = performance.now() - started;
    console.log(`fuzz: ${CASES} cases in ${total.toFixed(0)} ms (${loading.toFixed(0)} ms loading; slowest ${slowest.toFixed(0)} ms)`, Object.fromEntries(kinds));
  });
});
