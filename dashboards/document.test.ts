import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_DASHBOARD_BYTES, MAX_DASHBOARD_VALUES, loadDashboard, serializeDashboard, type LoadError, type LoadResult } from './document';
import { CURRENT_SCHEMA_VERSION } from './schema';

const here = path.dirname(fileURLToPath(import.meta.url));
const exampleText = readFileSync(path.join(here, 'examples', 'customer-kpis.dashboard.json'), 'utf8');
const exampleV1Text = readFileSync(path.join(here, 'testdata', 'migrations', 'v2', 'customer-kpis.input.json'), 'utf8');

type Json = Record<string, unknown>;

function example(): Json {
  return JSON.parse(exampleText) as Json;
}

/** The demo without its checks, for tests of dropped panels (whose guards would add warnings). */
function exampleWithoutChecks(): Json {
  return { ...example(), checks: [] };
}

function items(doc: Json, key: string): Json[] {
  return doc[key] as Json[];
}

function loaded(r: LoadResult): Extract<LoadResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.kind}: ${r.error.message}`);
  return r;
}

function failure<K extends LoadError['kind']>(r: LoadResult, kind: K): Extract<LoadError, { kind: K }> {
  if (r.ok) throw new Error(`expected ${kind}, but the file loaded`);
  if (r.error.kind !== kind) throw new Error(`expected ${kind}, got ${r.error.kind}: ${r.error.message}`);
  return r.error as Extract<LoadError, { kind: K }>;
}

describe('loadDashboard', () => {
  it('loads the bundled demo dashboard, current and clean', () => {
    const r = loaded(loadDashboard(exampleText));
    expect(r.dashboard.title).toBe('Customer KPIs');
    expect(r.dashboard.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
    expect(r.dashboard.panels.map((p) => p.kind)).toEqual(['kpi', 'kpi', 'kpi', 'kpi', 'chart', 'chart', 'chart', 'table', 'anomaly']);
    // Every check of the demo runs, and the anomaly panel lists them all.
    expect(r.dashboard.checks.map((c) => c.rule).sort()).toEqual(['duplicate_key', 'freshness', 'near_duplicate_values', 'null_rate', 'range', 'total_jump']);
    expect(r.dashboard.corrections).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.migratedFrom).toBeNull();
  });

  it('upgrades a v1 file and says it did', () => {
    const r = loaded(loadDashboard(exampleV1Text));
    expect(r.migratedFrom).toBe(1);
    expect(r.warnings).toEqual([]);
    expect(r.dashboard.datasets.map((d) => d.kind)).toEqual(['table']);
    expect(r.dashboard.panels.every((p) => p.followFilters)).toBe(true);
    // The migrated file is exactly what loading the v2 golden output gives (defaults included).
    const golden = loaded(loadDashboard(readFileSync(path.join(here, 'testdata', 'migrations', 'v2', 'customer-kpis.output.json'), 'utf8')));
    expect(serializeDashboard(r.dashboard)).toBe(serializeDashboard(golden.dashboard));
  });

  it('says when the text is not JSON', () => {
    failure(loadDashboard('{"type": '), 'notJson');
    failure(loadDashboard(''), 'notJson');
  });

  it('says when the JSON is not a dashboard', () => {
    failure(loadDashboard('{"hello": 1}'), 'notADashboard');
    failure(loadDashboard('[1,2]'), 'notADashboard');
    failure(loadDashboard('null'), 'notADashboard');
    for (const v of ['"2"', '0', '-1', '1.5', 'null', '[2]']) {
      failure(loadDashboard(`{"type": "northstar.dashboard", "schemaVersion": ${v}}`), 'notADashboard');
    }
  });

  it('refuses a file over 20 MB before parsing it', () => {
    const big = `{"type": "northstar.dashboard", "pad": "${'x'.repeat(MAX_DASHBOARD_BYTES)}"}`;
    const e = failure(loadDashboard(big), 'tooLarge');
    expect(e.message).toContain('20 MB');
  });

  it('counts UTF-8 bytes, not characters, against the size limit', () => {
    const chars = Math.floor(MAX_DASHBOARD_BYTES / 2);
    failure(loadDashboard(`"${'é'.repeat(chars)}"`), 'tooLarge'); // 2 bytes each
    failure(loadDashboard(`"${'e'.repeat(chars)}"`), 'notADashboard');
  });

  it('refuses a file of millions of tiny values before parsing it', () => {
    const e = failure(loadDashboard(`[${'0,'.repeat(MAX_DASHBOARD_VALUES)}0]`), 'tooLarge');
    expect(e.message).toContain('1,000,000 values');
  });

  it('refuses a list longer than the schema allows anywhere, before validating its items', () => {
    const doc = example();
    items(doc, 'datasets')[0]!.measures = Array.from({ length: 10_001 }, () => ({}));
    expect(failure(loadDashboard(JSON.stringify(doc)), 'invalid').problems).toEqual([
      { path: '$.datasets[0].measures', message: 'too many items: 10001, at most 10000' },
    ]);
  });

  it('refuses a file nested 100 levels deep', () => {
    const doc = example();
    let bomb: unknown = 1;
    for (let i = 0; i < 100; i++) bomb = { a: bomb };
    doc.description = bomb;
    const e = failure(loadDashboard(JSON.stringify(doc)), 'tooDeep');
    expect(e.maxDepth).toBe(64);
    failure(loadDashboard('['.repeat(1_000_000)), 'tooDeep');
  });

  it('does not count brackets inside strings as nesting', () => {
    const doc = example();
    doc.description = '[{'.repeat(500);
    expect(loaded(loadDashboard(JSON.stringify(doc))).dashboard.description).toBe('[{'.repeat(500));
  });

  it('refuses a file from a newer Northstar with an upgrade message', () => {
    const e = failure(loadDashboard(JSON.stringify({ ...example(), schemaVersion: 99 })), 'tooNew');
    expect(e.fileVersion).toBe(99);
    expect(e.message).toBe(`Made with a newer Northstar (schema version 99; this app reads up to ${CURRENT_SCHEMA_VERSION}): upgrade to open it.`);
  });

  it('refuses credentials in the file and says where they are', () => {
    const doc = example();
    items(doc, 'sources')[0]!.secretAccessKey = 'abc';
    const e = failure(loadDashboard(JSON.stringify(doc)), 'secret');
    expect(e.path).toBe('$.sources[0].secretAccessKey');
    expect(e.message).toBe(
      '$.sources[0].secretAccessKey looks like a credential. Dashboard files never hold credentials: remove it (credentials come from the AWS profile or keys entered on each machine).',
    );
  });

  it('recognises credential keys in any case or spelling, and key-like values anywhere', () => {
    for (const key of ['AWS_SECRET_ACCESS_KEY', 'Password', 'api_key', 'sessionToken', 'PRIVATE_KEY', 'credentials']) {
      const doc = example();
      items(doc, 'sources')[0]![key] = 'x';
      expect(failure(loadDashboard(JSON.stringify(doc)), 'secret').path).toBe(`$.sources[0].${key}`);
    }
    const doc = example();
    items(doc, 'panels')[0]!.title = 'key AKIAIOSFODNN7EXAMPLE here';
    expect(failure(loadDashboard(JSON.stringify(doc)), 'secret').path).toBe('$.panels[0].title');
    const pem = example();
    pem.description = '-----BEGIN RSA PRIVATE KEY-----\nMIIB...';
    const e = failure(loadDashboard(JSON.stringify(pem)), 'secret');
    expect(e.path).toBe('$.description');
    expect(e.message).not.toContain('MIIB');
  });

  it('checks v1 files for secrets before migrating them, with the path in the file', () => {
    const doc = JSON.parse(exampleV1Text) as Json;
    items(doc, 'sources')[0]!.password = 'hunter2';
    expect(failure(loadDashboard(JSON.stringify(doc)), 'secret').path).toBe('$.sources[0].password');
  });

  it('points at the JSON path of a bad envelope field', () => {
    const doc = example();
    const measures = items(doc, 'datasets')[0]!.measures as Json[];
    delete measures[1]!.column;
    const e = failure(loadDashboard(JSON.stringify(doc)), 'invalid');
    expect(e.problems).toEqual([{ path: '$.datasets[0].measures[1].column', message: 'count_distinct needs a column' }]);
    expect(e.message).toBe('$.datasets[0].measures[1].column: count_distinct needs a column');
  });

  it('refuses a file whose envelope is broken even when panels are fine', () => {
    const e = failure(loadDashboard(JSON.stringify({ ...example(), id: 'nope', title: undefined })), 'invalid');
    expect(e.problems.map((p) => p.path)).toEqual(['$.id', '$.title']);
  });

  it('refuses duplicate names and ids', () => {
    const doc = example();
    items(doc, 'panels')[1]!.id = 'kpi_revenue';
    const e = failure(loadDashboard(JSON.stringify(doc)), 'invalid');
    expect(e.problems).toEqual([{ path: '$.panels[1].id', message: 'duplicate id "kpi_revenue": $.panels[0] has it too' }]);
    const ds = example();
    (items(ds, 'datasets')[0]!.measures as Json[])[1]!.name = 'revenue';
    expect(failure(loadDashboard(JSON.stringify(ds)), 'invalid').problems[0]?.path).toBe('$.datasets[0].measures[1].name');
  });

  it('refuses broken references inside datasets, including ratios that refer to themselves', () => {
    const doc = example();
    items(doc, 'datasets')[0]!.source = 'nowhere';
    const measures = items(doc, 'datasets')[0]!.measures as Json[];
    measures[2]!.numerator = 'aov';
    const e = failure(loadDashboard(JSON.stringify(doc)), 'invalid');
    expect(e.problems).toEqual([
      { path: '$.datasets[0].source', message: 'no source named "nowhere"' },
      { path: '$.datasets[0].measures[2]', message: 'ratio "aov" refers to itself' },
    ]);
  });

  it('drops a panel of an unknown kind, and its layout item, with a warning', () => {
    const doc = exampleWithoutChecks();
    items(doc, 'panels')[3]!.kind = 'hologram';
    const count = items(doc, 'panels').length;
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    expect(r.warnings).toEqual([{ path: '$.panels[3]', message: 'panel "kpi_active_customers" was dropped: unknown kind "hologram"' }]);
    expect(r.dashboard.panels.map((p) => p.id)).not.toContain('kpi_active_customers');
    expect(r.dashboard.panels).toHaveLength(count - 1);
    expect(r.dashboard.layout.map((l) => l.panel)).not.toContain('kpi_active_customers');
    expect(r.dashboard.layout).toHaveLength(count - 1);
  });

  it('drops a panel with a broken field, pointing at the field', () => {
    const doc = exampleWithoutChecks();
    items(doc, 'panels')[6]!.limit = -3;
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.path).toBe('$.panels[6]');
    expect(r.warnings[0]!.message).toMatch(/^panel "revenue_by_campaign" was dropped: .* \(at \$\.panels\[6\]\.limit\)$/);
  });

  it('drops a heatmap without y, or with a y dimension the dataset does not have, and keeps a good one', () => {
    const doc = exampleWithoutChecks();
    const panels = items(doc, 'panels');
    Object.assign(panels[6]!, { chart: 'heatmap' });
    Object.assign(panels[5]!, { chart: 'heatmap', y: { type: 'dimension', dimension: 'planet' } });
    Object.assign(panels[4]!, { chart: 'heatmap', y: { type: 'time', grain: 'quarter' } });
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    // Shape first (the schema's refinement), references after.
    expect(r.warnings.map((w) => w.path)).toEqual(['$.panels[6]', '$.panels[5]']);
    expect(r.warnings[1]!.message).toBe('panel "revenue_by_region" was dropped: dataset "orders" has no dimension "planet"');
    expect(r.warnings[0]!.message).toMatch(/^panel "revenue_by_campaign" was dropped: a heatmap needs y: .* \(at \$\.panels\[6\]\.y\)$/);
    expect(r.dashboard.panels.find((p) => p.id === 'daily_revenue')).toMatchObject({ chart: 'heatmap', y: { type: 'time', grain: 'quarter' } });
  });

  it('drops panels whose references break, and layout items of missing panels, with warnings', () => {
    const doc = exampleWithoutChecks();
    items(doc, 'panels')[0]!.measure = 'profit';
    items(doc, 'panels')[6]!.x = { type: 'dimension', dimension: 'planet' };
    items(doc, 'layout')[1]!.panel = 'ghost';
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    expect(r.warnings).toEqual([
      { path: '$.panels[0]', message: 'panel "kpi_revenue" was dropped: dataset "orders" has no measure "profit"' },
      { path: '$.panels[6]', message: 'panel "revenue_by_campaign" was dropped: dataset "orders" has no dimension "planet"' },
      { path: '$.layout[1]', message: 'the layout item of panel "ghost" was dropped: no panel has that id' },
    ]);
    const rest = ['kpi_aov', 'kpi_active_customers', 'daily_revenue', 'revenue_by_region', 'recent_orders', 'data_quality'];
    expect(r.dashboard.panels.map((p) => p.id)).toEqual(['kpi_orders', ...rest]);
    expect(r.dashboard.layout.map((l) => l.panel)).toEqual(rest);
  });

  it('drops broken checks and corrections, and panels and guards that pointed at them', () => {
    const doc = example();
    doc.checks = [
      { id: 'dupes', title: 'Duplicate orders', dataset: 'orders', rule: 'duplicate_key', guards: ['kpi_orders', 'gone'] },
      { id: 'future', title: 'From a newer app', dataset: 'orders', rule: 'x', severity: 'catastrophic' },
      { id: 'elsewhere', title: 'Other data', dataset: 'payments', rule: 'null_rate' },
    ];
    doc.corrections = [{ id: 'fix', kind: 'teleport', dataset: 'orders', reason: 'r', author: 'a' }];
    const alerts = items(doc, 'panels').push({ id: 'alerts', title: 'Alerts', kind: 'anomaly', checks: ['future'] }) - 1;
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    expect(r.warnings.map((w) => w.path)).toEqual(['$.checks[1]', '$.corrections[0]', '$.checks[2]', `$.panels[${alerts}]`, '$.checks[0].guards[1]']);
    expect(r.warnings[3]!.message).toBe('panel "alerts" was dropped: no check named "future"');
    expect(r.warnings[4]!.message).toBe('check "dupes" no longer guards panel "gone": there is no such panel');
    expect(r.dashboard.checks).toEqual([expect.objectContaining({ id: 'dupes', guards: ['kpi_orders'] })]);
    expect(r.dashboard.corrections).toEqual([]);
  });

  it('drops a filter on a dimension that is gone, with a warning', () => {
    const doc = example();
    doc.filters = [
      { id: 'by_region', kind: 'dimension', dataset: 'orders', dimension: 'region', values: ['EMEA'] },
      { id: 'by_planet', kind: 'dimension', dataset: 'orders', dimension: 'planet' },
    ];
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    expect(r.warnings).toEqual([{ path: '$.filters[1]', message: 'filter "by_planet" was dropped: dataset "orders" has no dimension "planet"' }]);
    expect(r.dashboard.filters.map((f) => f.id)).toEqual(['by_region']);
  });

  it('narrows a layout item that runs past the 12th column and drops a second one for the same panel', () => {
    const doc = example();
    items(doc, 'layout')[0]!.w = 12;
    items(doc, 'layout')[1]!.panel = 'kpi_revenue';
    const r = loaded(loadDashboard(JSON.stringify(doc)));
    expect(r.warnings).toEqual([
      { path: '$.layout[1]', message: 'the layout item of panel "kpi_revenue" was dropped: the panel is already placed by $.layout[0]' },
    ]);
    const doc2 = example();
    items(doc2, 'layout')[1]!.w = 12;
    const r2 = loaded(loadDashboard(JSON.stringify(doc2)));
    expect(r2.warnings).toEqual([{ path: '$.layout[1].w', message: 'the layout item of panel "kpi_orders" was narrowed from 12 to 9 columns to fit the 12-column grid' }]);
    expect(r2.dashboard.layout[1]!.w).toBe(9);
  });

  it('drops __proto__ and constructor keys instead of polluting prototypes', () => {
    const text = exampleText.replace(
      '"title": "Customer KPIs"',
      '"title": "Customer KPIs", "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}',
    );
    const r = loaded(loadDashboard(text));
    expect(({} as Json).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.dashboard)).toBe(Object.prototype);
    expect(r.warnings.map((w) => w.path)).toEqual(['$.__proto__', '$.constructor']);
  });
});

describe('serializeDashboard', () => {
  it('is deterministic: sorted keys, 2-space indent, trailing newline, stable on re-save', () => {
    const r = loaded(loadDashboard(exampleText));
    const once = serializeDashboard(r.dashboard);
    expect(once).toBe(exampleText);
    expect(once.endsWith('}\n')).toBe(true);
    const again = loaded(loadDashboard(once));
    expect(serializeDashboard(again.dashboard)).toBe(once);
    expect(once.indexOf('"$schema"')).toBeLessThan(once.indexOf('"datasets"'));
  });

  it('turns a title change into a one-line diff', () => {
    const r = loaded(loadDashboard(exampleText));
    const a = serializeDashboard(r.dashboard).split('\n');
    const b = serializeDashboard({ ...r.dashboard, title: 'Customer KPIs (EMEA)' }).split('\n');
    expect(a.length).toBe(b.length);
    expect(a.filter((line, i) => line !== b[i])).toHaveLength(1);
  });
});
