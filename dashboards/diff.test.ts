import { describe, expect, it } from 'vitest';
import { diffDashboards, formatDiff, summarizeDiff, type Change } from './diff';
import { DashboardFile } from './schema';

// A small but complete v2 dashboard; each test edits a structuredClone of it.
function base(): DashboardFile {
  return DashboardFile.parse({
    type: 'northstar.dashboard',
    schemaVersion: 2,
    id: '6f1c2a4e-8b7d-4c1e-9a3f-2d5b6e7f8a90',
    title: 'Customer KPIs',
    description: 'Revenue and orders.',
    owner: 'ana',
    timeRange: { lastDays: 30, anchor: 'data' },
    sources: [{ name: 'orders', kind: 'file', path: 'data/orders.parquet', format: 'parquet' }],
    datasets: [
      {
        name: 'orders',
        kind: 'table',
        source: 'orders',
        timeColumn: 'order_ts',
        measures: [
          { name: 'revenue', agg: 'sum', column: 'amount', format: 'currency', label: 'Revenue' },
          { name: 'orders', agg: 'count_distinct', column: 'order_id', format: 'integer' },
        ],
        dimensions: [
          { name: 'region', column: 'region' },
          { name: 'campaign', column: 'campaign' },
        ],
      },
    ],
    filters: [{ id: 'region', kind: 'dimension', dataset: 'orders', dimension: 'region', values: ['EU'] }],
    panels: [
      { id: 'kpi_revenue', kind: 'kpi', title: 'Revenue', dataset: 'orders', measure: 'revenue' },
      { id: 'kpi_orders', kind: 'kpi', title: 'Orders', dataset: 'orders', measure: 'orders' },
      {
        id: 'by_campaign',
        kind: 'chart',
        title: 'Revenue by campaign',
        dataset: 'orders',
        chart: 'bar',
        x: { type: 'dimension', dimension: 'campaign' },
        measures: ['revenue'],
      },
    ],
    layout: [
      { panel: 'kpi_revenue', x: 0, y: 0, w: 3, h: 2 },
      { panel: 'kpi_orders', x: 3, y: 0, w: 3, h: 2 },
      { panel: 'by_campaign', x: 0, y: 2, w: 6, h: 6 },
    ],
    checks: [{ id: 'dup_orders', title: 'Duplicate orders', dataset: 'orders', rule: 'duplicate_key', params: { key: ['order_id'] } }],
    corrections: [{ id: 'fix_uk', kind: 'map_value', dataset: 'orders', params: { from: 'UK', to: 'GB' }, reason: 'ISO codes', author: 'ana' }],
  });
}

function edit(mutate: (d: DashboardFile) => void): DashboardFile {
  const d = structuredClone(base());
  mutate(d);
  return d;
}

function panel(d: DashboardFile, id: string) {
  const p = d.panels.find((x) => x.id === id);
  if (!p) throw new Error(`no panel ${id}`);
  return p;
}

const diffOf = (mutate: (d: DashboardFile) => void) => diffDashboards(base(), edit(mutate));

/** Deep-reverse key order, to prove it does not matter. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}

describe('diffDashboards', () => {
  it('finds nothing between a file and itself', () => {
    const diff = diffDashboards(base(), base());
    expect(diff.changes).toEqual([]);
    expect(summarizeDiff(diff)).toBe('no changes');
    expect(formatDiff(diff)).toBe('no changes\n');
  });

  it('ignores key order, the order of id-matched lists and the revision block', () => {
    const after = reverseKeys(base());
    after.panels.reverse();
    after.layout.reverse();
    after.revision = {
      number: 7,
      savedAt: '2024-05-01T10:00:00Z',
      savedBy: 'bo',
      parentHash: null,
      contentHash: 'a'.repeat(64),
    };
    after.$schema = '../schema/dashboard.schema.json';
    expect(diffDashboards(base(), after).changes).toEqual([]);
  });

  it('reports envelope fields, with nested paths for the time range', () => {
    const diff = diffOf((d) => {
      d.title = 'Sales KPIs';
      d.description = '';
      d.owner = 'bo';
      d.timeRange = { lastDays: 7, anchor: 'data' };
    });
    expect(diff.changes).toEqual<Change[]>([
      { kind: 'envelopeChanged', field: 'title', before: 'Customer KPIs', after: 'Sales KPIs', fields: [{ path: 'title', before: 'Customer KPIs', after: 'Sales KPIs' }] },
      { kind: 'envelopeChanged', field: 'description', before: 'Revenue and orders.', after: '', fields: [{ path: 'description', before: 'Revenue and orders.', after: '' }] },
      { kind: 'envelopeChanged', field: 'owner', before: 'ana', after: 'bo', fields: [{ path: 'owner', before: 'ana', after: 'bo' }] },
      {
        kind: 'envelopeChanged',
        field: 'timeRange',
        before: { lastDays: 30, anchor: 'data' },
        after: { lastDays: 7, anchor: 'data' },
        fields: [{ path: 'timeRange.lastDays', before: 30, after: 7 }],
      },
    ]);
    expect(summarizeDiff(diff)).toBe('title changed, description changed, owner changed, time range changed');
    expect(formatDiff(diff)).toBe(
      [
        'title changed, description changed, owner changed, time range changed',
        '~ title: "Customer KPIs" -> "Sales KPIs"',
        '~ description: "Revenue and orders." -> ""',
        '~ owner: "ana" -> "bo"',
        '~ timeRange changed',
        '    timeRange.lastDays: 30 -> 7',
        '',
      ].join('\n'),
    );
  });

  it('reports an added panel with its place, and a removed one', () => {
    const diff = diffOf((d) => {
      d.panels = d.panels.filter((p) => p.id !== 'kpi_orders');
      d.layout = d.layout.filter((l) => l.panel !== 'kpi_orders');
      d.panels.push({ id: 'notes', kind: 'text', title: 'Notes', markdown: 'hi', followFilters: true });
      d.layout.push({ panel: 'notes', x: 6, y: 0, w: 6, h: 2 });
    });
    expect(diff.changes.map((c) => c.kind)).toEqual(['panelAdded', 'panelRemoved']);
    expect(diff.changes[0]).toMatchObject({ kind: 'panelAdded', id: 'notes', title: 'Notes', layout: { x: 6, y: 0, w: 6, h: 2 } });
    expect(diff.changes[1]).toMatchObject({ kind: 'panelRemoved', id: 'kpi_orders', title: 'Orders', layout: { x: 3 } });
    expect(summarizeDiff(diff)).toBe("+1 panel, panel 'Orders' removed");
    expect(formatDiff(diff)).toBe(
      ["+1 panel, panel 'Orders' removed", "+ panel 'Notes' (notes) added at x=6 y=0 w=6 h=2", "- panel 'Orders' (kpi_orders) removed", ''].join('\n'),
    );
  });

  it('lists field-level panel changes, nested and in arrays of measures', () => {
    const diff = diffOf((d) => {
      const chart = panel(d, 'by_campaign');
      if (chart.kind !== 'chart') throw new Error('chart expected');
      chart.title = 'Campaigns';
      chart.measures = ['revenue', 'orders'];
      chart.x = { type: 'dimension', dimension: 'region' };
    });
    expect(diff.changes).toEqual<Change[]>([
      {
        kind: 'panelChanged',
        id: 'by_campaign',
        title: 'Campaigns',
        fields: [
          { path: 'measures[1]', before: undefined, after: 'orders' },
          { path: 'title', before: 'Revenue by campaign', after: 'Campaigns' },
          { path: 'x.dimension', before: 'campaign', after: 'region' },
        ],
      },
    ]);
    expect(formatDiff(diff)).toBe(
      [
        "panel 'Campaigns' changed",
        "~ panel 'Campaigns' (by_campaign) changed",
        '    measures[1]: (none) -> "orders"',
        '    title: "Revenue by campaign" -> "Campaigns"',
        '    x.dimension: "campaign" -> "region"',
        '',
      ].join('\n'),
    );
  });

  it('compares ordered arrays position by position', () => {
    const diff = diffOf((d) => {
      const chart = panel(d, 'by_campaign');
      if (chart.kind === 'chart') chart.measures = ['orders', 'revenue'];
    });
    expect(diff.changes[0]).toMatchObject({
      fields: [
        { path: 'measures[0]', before: 'revenue', after: 'orders' },
        { path: 'measures[1]', before: undefined, after: 'revenue' },
      ],
    });
  });

  it('reports a change of panel kind field by field', () => {
    const diff = diffOf((d) => {
      d.panels[0] = { id: 'kpi_revenue', kind: 'text', title: 'Revenue', markdown: 'soon', followFilters: true };
    });
    expect(diff.changes).toHaveLength(1);
    expect(diff.changes[0]).toMatchObject({ kind: 'panelChanged', id: 'kpi_revenue' });
    const paths = diff.changes[0]?.kind === 'panelChanged' ? diff.changes[0].fields.map((f) => f.path) : [];
    expect(paths).toEqual(['comparison', 'dataset', 'format', 'goodDirection', 'kind', 'markdown', 'measure', 'sparkline']);
  });

  it('reports moves and resizes separately from panel changes', () => {
    const diff = diffOf((d) => {
      d.layout = [
        { panel: 'kpi_revenue', x: 3, y: 0, w: 3, h: 2 },
        { panel: 'kpi_orders', x: 0, y: 0, w: 3, h: 2 },
        { panel: 'by_campaign', x: 0, y: 2, w: 12, h: 6 },
      ];
    });
    expect(diff.changes).toEqual<Change[]>([
      {
        kind: 'panelMoved',
        id: 'by_campaign',
        title: 'Revenue by campaign',
        moved: false,
        resized: true,
        before: { panel: 'by_campaign', x: 0, y: 2, w: 6, h: 6 },
        after: { panel: 'by_campaign', x: 0, y: 2, w: 12, h: 6 },
      },
      {
        kind: 'panelMoved',
        id: 'kpi_orders',
        title: 'Orders',
        moved: true,
        resized: false,
        before: { panel: 'kpi_orders', x: 3, y: 0, w: 3, h: 2 },
        after: { panel: 'kpi_orders', x: 0, y: 0, w: 3, h: 2 },
      },
      {
        kind: 'panelMoved',
        id: 'kpi_revenue',
        title: 'Revenue',
        moved: true,
        resized: false,
        before: { panel: 'kpi_revenue', x: 0, y: 0, w: 3, h: 2 },
        after: { panel: 'kpi_revenue', x: 3, y: 0, w: 3, h: 2 },
      },
    ]);
    expect(summarizeDiff(diff)).toBe('3 panels moved or resized');
    expect(formatDiff(diff).split('\n')[1]).toBe("~ panel 'Revenue by campaign' (by_campaign) resized: x=0 y=2 w=6 h=6 -> x=0 y=2 w=12 h=6");
  });

  it('names a single moved panel and a panel taken off the grid', () => {
    expect(summarizeDiff(diffOf((d) => void (d.layout[0] = { panel: 'kpi_revenue', x: 1, y: 1, w: 4, h: 2 })))).toBe(
      "panel 'Revenue' moved and resized",
    );
    const unplaced = diffOf((d) => void (d.layout = d.layout.filter((l) => l.panel !== 'kpi_orders')));
    expect(unplaced.changes).toMatchObject([{ kind: 'panelMoved', id: 'kpi_orders', moved: true, resized: false, after: null }]);
    expect(formatDiff(unplaced).split('\n')[1]).toBe("~ panel 'Orders' (kpi_orders) moved: x=3 y=0 w=3 h=2 -> (not placed)");
  });

  it('matches sources by name and reports their fields', () => {
    const diff = diffOf((d) => {
      d.sources[0] = { name: 'orders', kind: 'file', path: 'data/orders-2024.parquet', format: 'parquet' };
      d.sources.push({ name: 'targets', kind: 's3', uri: 's3://bucket/targets.parquet', region: 'eu-west-1', format: 'parquet' });
    });
    expect(diff.changes).toEqual<Change[]>([
      {
        kind: 'itemAdded',
        collection: 'sources',
        key: 'targets',
        item: { name: 'targets', kind: 's3', uri: 's3://bucket/targets.parquet', region: 'eu-west-1', format: 'parquet' },
      },
      { kind: 'itemChanged', collection: 'sources', key: 'orders', fields: [{ path: 'path', before: 'data/orders.parquet', after: 'data/orders-2024.parquet' }] },
    ]);
    expect(summarizeDiff(diff)).toBe("+1 source, source 'orders' changed");
  });

  it('matches a dataset\'s measures by name, so an insertion is one change', () => {
    const diff = diffOf((d) => {
      const ds = d.datasets[0];
      if (!ds) throw new Error('dataset expected');
      ds.measures.unshift({ name: 'units', agg: 'sum', column: 'quantity', format: 'integer' });
      const revenue = ds.measures.find((m) => m.name === 'revenue');
      if (revenue) revenue.label = 'Net revenue';
      ds.dimensions.pop();
    });
    expect(diff.changes).toEqual<Change[]>([
      {
        kind: 'itemChanged',
        collection: 'datasets',
        key: 'orders',
        fields: [
          { path: 'dimensions[name=campaign]', before: { name: 'campaign', column: 'campaign' }, after: undefined },
          { path: 'measures[name=revenue].label', before: 'Revenue', after: 'Net revenue' },
          { path: 'measures[name=units]', before: undefined, after: { name: 'units', agg: 'sum', column: 'quantity', format: 'integer' } },
        ],
      },
    ]);
    expect(summarizeDiff(diff)).toBe("dataset 'orders' changed");
  });

  it('reports filters, checks and corrections by id', () => {
    const diff = diffOf((d) => {
      d.filters = [];
      const check = d.checks[0];
      if (check) check.params = { key: ['order_id', 'line'] };
      d.corrections.push({ id: 'drop_test', kind: 'exclude_rows', dataset: 'orders', params: {}, reason: 'test rows', author: 'bo' });
      d.corrections.push({ id: 'drop_test2', kind: 'exclude_rows', dataset: 'orders', params: {}, reason: 'test rows', author: 'bo' });
    });
    expect(diff.changes.map((c) => (c.kind.startsWith('item') ? `${c.kind} ${(c as { collection: string }).collection}` : c.kind))).toEqual([
      'itemRemoved filters',
      'itemChanged checks',
      'itemAdded corrections',
      'itemAdded corrections',
    ]);
    expect(diff.changes[1]).toMatchObject({ fields: [{ path: 'params.key[1]', before: undefined, after: 'line' }] });
    expect(summarizeDiff(diff)).toBe("filter 'region' removed, check 'dup_orders' changed, +2 corrections");
  });

  it('counts groups and pluralises, in the documented order', () => {
    const diff = diffOf((d) => {
      d.title = 'Sales';
      d.filters = [];
      d.panels.push({ id: 'notes', kind: 'text', title: 'Notes', markdown: '', followFilters: true });
      for (const p of d.panels) if (p.kind === 'kpi') p.goodDirection = 'down';
    });
    expect(summarizeDiff(diff)).toBe("+1 panel, 2 panels changed, filter 'region' removed, title changed");
    const more = diffOf((d) => {
      d.panels = d.panels.filter((p) => p.kind !== 'kpi');
      d.panels.push({ id: 'a', kind: 'text', title: 'A', markdown: '', followFilters: true });
      d.panels.push({ id: 'b', kind: 'text', title: 'B', markdown: '', followFilters: true });
      d.checks = [];
      d.sources.push({ name: 'x', kind: 'url', url: 'https://example.com/x.parquet', format: 'parquet' });
    });
    expect(summarizeDiff(more)).toBe("+2 panels, 2 panels removed, +1 source, check 'dup_orders' removed");
  });

  it('truncates long values to about 80 characters', () => {
    const diff = diffOf((d) => void (d.description = 'x'.repeat(200)));
    const line = formatDiff(diff).split('\n')[1] ?? '';
    expect(line.startsWith('~ description: "Revenue and orders." -> "xxxx')).toBe(true);
    expect(line.endsWith('…')).toBe(true);
    expect(line.length).toBeLessThan('~ description: "Revenue and orders." -> '.length + 81);
  });

  it('uses the id when a panel has no title, and quotes odd keys in paths', () => {
    const diff = diffOf((d) => {
      const p = panel(d, 'kpi_orders');
      p.title = '';
      const check = d.checks[0];
      if (check) check.params = { key: ['order_id'], 'max rate': 0.1 };
    });
    expect(summarizeDiff(diff)).toBe("panel 'kpi_orders' changed, check 'dup_orders' changed");
    expect(formatDiff(diff)).toContain('    params["max rate"]: (none) -> 0.1');
    expect(formatDiff(diff)).toContain("~ panel 'kpi_orders' changed");
  });

  it('keeps a title with a newline or an escape sequence on one line', () => {
    const diff = diffOf((d) => void (panel(d, 'kpi_orders').title = 'Orders\n\u001b[31mred'));
    expect(summarizeDiff(diff)).toBe("panel 'Orders [31mred' changed");
    expect(formatDiff(diff).split('\n')).toEqual([
      "panel 'Orders [31mred' changed",
      "~ panel 'Orders [31mred' (kpi_orders) changed",
      '    title: "Orders" -> "Orders\\n\\u001b[31mred"',
      '',
    ]);
  });

  it('is deterministic whatever the order of the lists', () => {
    const before = base();
    const after = edit((d) => {
      d.panels.reverse();
      d.panels = d.panels.filter((p) => p.id !== 'kpi_revenue');
      d.panels.push({ id: 'z', kind: 'text', title: 'Z', markdown: '', followFilters: true });
      d.panels.push({ id: 'a', kind: 'text', title: 'A', markdown: '', followFilters: true });
    });
    const shuffled = structuredClone(after);
    shuffled.panels.reverse();
    expect(diffDashboards(before, shuffled)).toEqual(diffDashboards(before, after));
    expect(diffDashboards(before, after).changes.map((c) => ('id' in c ? c.id : ''))).toEqual(['a', 'z', 'kpi_revenue']);
  });
});
