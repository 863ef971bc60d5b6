// The hostile dashboard corpus (dashboards/testdata/hostile/, plus the huge ones generated here):
// each file gets a clear refusal or a safe open, never a crash, a hang or a polluted prototype.
// What happens when the app opens them is in e2e/hostile.spec.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { manyPanels as manyPanelsOf } from './testdata/hostile/many-panels';
import { loadDashboard, MAX_DASHBOARD_BYTES, MAX_DASHBOARD_DEPTH, serializeDashboard, type LoadResult } from './document';
import { MAX_PANELS } from './schema';

const here = path.dirname(fileURLToPath(import.meta.url));
const hostile = (name: string) => readFileSync(path.join(here, 'testdata', 'hostile', name), 'utf8');

function timedLoad(text: string): { result: LoadResult; ms: number } {
  const start = performance.now();
  const result = loadDashboard(text);
  return { result, ms: performance.now() - start };
}

const manyPanels = (count: number) => manyPanelsOf(readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8'), count);

afterEach(() => {
  // Nothing a file says may reach Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
});

describe('hostile dashboard files', () => {
  it('oversized (generated, just over 20 MB): refused as tooLarge before parsing', () => {
    const padding = 'x'.repeat(MAX_DASHBOARD_BYTES);
    const { result, ms } = timedLoad(`{"type":"northstar.dashboard","schemaVersion":2,"title":"${padding}"}`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe('tooLarge');
    expect(result.error.message).toBe('The file is larger than 20 MB, the most Northstar opens.');
    expect(ms).toBeLessThan(2000);
  });

  it('deeply nested (5,000 levels): refused as tooDeep, no stack overflow', () => {
    const { result } = timedLoad(hostile('deeply-nested.dashboard.json'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ kind: 'tooDeep', maxDepth: MAX_DASHBOARD_DEPTH });
  });

  it('__proto__ and constructor keys: Object.prototype untouched, the keys dropped with a warning each', () => {
    const { result } = timedLoad(hostile('proto-keys.dashboard.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(serializeDashboard(result.dashboard)).not.toContain('polluted');
    expect(Object.getPrototypeOf(result.dashboard)).toBe(Object.prototype);
    expect(result.warnings.map((w) => w.path)).toEqual(['$.__proto__', '$.constructor', '$.panels[0].__proto__']);
    expect(result.warnings[0]?.message).toBe('the key "__proto__" was ignored: no dashboard field has that name');
  });

  it('a future schemaVersion: refused as tooNew, naming the version', () => {
    const { result } = timedLoad(hostile('future-version.dashboard.json'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ kind: 'tooNew', fileVersion: 999 });
    expect(result.error.message).toContain('999');
  });

  it('HTML and javascript: in titles, owner, description and Markdown: loads, kept verbatim as text (the renderer shows text)', () => {
    const { result } = timedLoad(hostile('html-and-javascript.dashboard.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.dashboard.title).toBe('<img src=x onerror="window.__owned=1">Revenue<script>window.__owned=2</script>');
    const notes = result.dashboard.panels.find((p) => p.id === 'notes');
    expect(notes && notes.kind === 'text' ? notes.markdown : '').toContain('[Click me](javascript:window.__owned=8)');
  });

  it('SQL reading /etc/passwd: loads (the SQL is data), and waits for review since nothing trusts it', () => {
    const { result } = timedLoad(hostile('sql-reads-etc-passwd.dashboard.json'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.dashboard.datasets.find((d) => d.name === 'passwd')).toMatchObject({ kind: 'sql', sql: "SELECT * FROM read_csv_auto('/etc/passwd')" });
  });

  it('sources at an unapproved bucket, a hidden credential file and /etc/passwd: load as declarations (the host refuses to read them)', () => {
    for (const [file, kind] of [
      ['unapproved-bucket.dashboard.json', 's3'],
      ['credential-file-source.dashboard.json', 'file'],
      ['outside-folder-source.dashboard.json', 'file'],
    ] as const) {
      const { result } = timedLoad(hostile(file));
      expect(result.ok, file).toBe(true);
      if (result.ok) expect(result.dashboard.sources[0]?.kind, file).toBe(kind);
    }
  });

  it('10,000 panels (generated): refused at once, naming the panel limit', () => {
    const text = manyPanels(10_000);
    const { result, ms } = timedLoad(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe('invalid');
    expect(result.error.message).toContain(`at most ${MAX_PANELS} panels fit on one dashboard`);
    console.log(`10,000-panel file: ${(text.length / 1024 / 1024).toFixed(1)} MB, refused in ${Math.round(ms)} ms`);
  });

  it(`${MAX_PANELS} panels open; one more is refused`, () => {
    const { result } = timedLoad(manyPanels(MAX_PANELS));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.dashboard.panels).toHaveLength(MAX_PANELS);
    const over = timedLoad(manyPanels(MAX_PANELS + 1)).result;
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.error.message).toContain('split it into several dashboards');
  });
});
