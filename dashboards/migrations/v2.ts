// v1 → v2: dashboards gain an owner, filters, data-quality checks and corrections; datasets gain a
// kind (v1 only had table datasets, read from a source); panels gain followFilters. v2 has more
// chart types: v1 drew a bar chart over a dimension as horizontal bars, which v2 calls
// "horizontal_bar" ("bar" now means vertical bars), so those panels keep their look.
//
// Before (v1):
//   {
//     "type": "northstar.dashboard", "schemaVersion": 1, "title": "Customer KPIs", ...,
//     "datasets": [{ "name": "orders", "source": "orders", "measures": [...] }],
//     "panels": [{ "id": "kpi_revenue", "kind": "kpi", "dataset": "orders", "measure": "revenue" },
//                { "id": "by_campaign", "kind": "chart", "chart": "bar", "x": { "type": "dimension", ... }, ... }]
//   }
//
// After (v2):
//   {
//     "type": "northstar.dashboard", "schemaVersion": 2, "title": "Customer KPIs", ...,
//     "owner": "", "filters": [], "checks": [], "corrections": [],
//     "datasets": [{ "name": "orders", "kind": "table", "source": "orders", "measures": [...] }],
//     "panels": [{ "id": "kpi_revenue", "kind": "kpi", "followFilters": true, "dataset": "orders", "measure": "revenue" },
//                { "id": "by_campaign", "kind": "chart", "chart": "horizontal_bar", "followFilters": true, ... }]
//   }
//
// A field that is already there is kept as it is, so that a hand-edited file is not silently
// rewritten: validation after the migration reports it if it is wrong. Anything that is not the
// expected shape is passed through untouched for the same reason.

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withDefault(obj: JsonObject, key: string, value: unknown): JsonObject {
  return Object.hasOwn(obj, key) ? obj : { ...obj, [key]: value };
}

function mapItems(list: unknown, fn: (item: JsonObject) => JsonObject): unknown {
  return Array.isArray(list) ? list.map((item: unknown) => (isObject(item) ? fn(item) : item)) : list;
}

/** Upgrade a v1 dashboard document to v2. Pure: builds new objects and never mutates `doc`. */
export function migrateToV2(doc: unknown): unknown {
  if (!isObject(doc)) throw new Error('expected the dashboard to be a JSON object');
  let out: JsonObject = { ...doc, schemaVersion: 2 };
  out = withDefault(out, 'owner', '');
  out = withDefault(out, 'filters', []);
  out = withDefault(out, 'checks', []);
  out = withDefault(out, 'corrections', []);
  if (Object.hasOwn(doc, 'datasets')) out.datasets = mapItems(doc.datasets, (ds) => withDefault(ds, 'kind', 'table'));
  if (Object.hasOwn(doc, 'panels')) out.panels = mapItems(doc.panels, (p) => withDefault(horizontalBars(p), 'followFilters', true));
  return out;
}

function horizontalBars(panel: JsonObject): JsonObject {
  const x = panel.x;
  const byDimension = isObject(x) && x.type === 'dimension';
  return panel.kind === 'chart' && panel.chart === 'bar' && byDimension ? { ...panel, chart: 'horizontal_bar' } : panel;
}
