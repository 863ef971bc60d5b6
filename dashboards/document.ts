import { CURRENT_SCHEMA_VERSION, DASHBOARD_FILE_TYPE, DashboardFile } from './schema';

/** Why a dashboard file could not be opened. The UI handles every kind in an exhaustive switch. */
export type LoadError =
  | { kind: 'notJson'; message: string }
  | { kind: 'notADashboard'; message: string }
  | { kind: 'tooNew'; message: string; fileVersion: number }
  | { kind: 'invalid'; message: string; problems: { path: string; message: string }[] };

export type LoadResult = { ok: true; dashboard: DashboardFile } | { ok: false; error: LoadError };

/** Largest dashboard file we read; a bigger one is refused before parsing. */
export const MAX_DASHBOARD_BYTES = 20 * 1024 * 1024;

/** Parse and validate the text of a dashboard file. Never throws. */
export function loadDashboard(text: string): LoadResult {
  if (text.length > MAX_DASHBOARD_BYTES) {
    return { ok: false, error: { kind: 'notADashboard', message: `The file is larger than ${MAX_DASHBOARD_BYTES / 1024 / 1024} MB.` } };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text, (key, value: unknown) => (key === '__proto__' || key === 'constructor' ? undefined : value));
  } catch (err) {
    return { ok: false, error: { kind: 'notJson', message: `Not valid JSON: ${(err as Error).message}` } };
  }
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== DASHBOARD_FILE_TYPE) {
    return { ok: false, error: { kind: 'notADashboard', message: `Not a Northstar dashboard: "type" must be "${DASHBOARD_FILE_TYPE}".` } };
  }
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, error: { kind: 'notADashboard', message: '"schemaVersion" must be a positive whole number.' } };
  }
  if (version > CURRENT_SCHEMA_VERSION) {
    return {
      ok: false,
      error: {
        kind: 'tooNew',
        fileVersion: version,
        message: `Made with a newer Northstar (schema version ${version}; this app reads up to ${CURRENT_SCHEMA_VERSION}): upgrade to open it.`,
      },
    };
  }
  const parsed = DashboardFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
    return { ok: false, error: { kind: 'invalid', message: describeProblems(problems), problems } };
  }
  const refProblems = checkReferences(parsed.data);
  if (refProblems.length > 0) {
    return { ok: false, error: { kind: 'invalid', message: describeProblems(refProblems), problems: refProblems } };
  }
  return { ok: true, dashboard: parsed.data };
}

function describeProblems(problems: { path: string; message: string }[]): string {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return first ? `${first.path}: ${first.message}${more}` : 'invalid dashboard';
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), '$');
}

/** Names that must resolve inside the file: datasets → sources, panels → datasets/measures, layout → panels. */
function checkReferences(d: DashboardFile): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const unique = (names: string[], where: string) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) problems.push({ path: `$.${where}[${i}].${where === 'panels' ? 'id' : 'name'}`, message: `duplicate name "${n}"` });
      seen.add(n);
    });
  };
  unique(d.sources.map((s) => s.name), 'sources');
  unique(d.datasets.map((s) => s.name), 'datasets');
  unique(d.panels.map((p) => p.id), 'panels');
  const sources = new Set(d.sources.map((s) => s.name));
  const datasets = new Map(d.datasets.map((ds) => [ds.name, ds]));
  d.datasets.forEach((ds, i) => {
    if (!sources.has(ds.source)) problems.push({ path: `$.datasets[${i}].source`, message: `no source named "${ds.source}"` });
    const measures = new Set(ds.measures.map((m) => m.name));
    ds.measures.forEach((m, j) => {
      for (const ref of [m.numerator, m.denominator]) {
        if (ref !== undefined && !measures.has(ref)) {
          problems.push({ path: `$.datasets[${i}].measures[${j}]`, message: `no measure named "${ref}"` });
        }
      }
    });
    const dims = new Set(ds.dimensions.map((x) => x.name));
    ds.hierarchies.forEach((h, j) =>
      h.levels.forEach((level, k) => {
        if (!dims.has(level)) problems.push({ path: `$.datasets[${i}].hierarchies[${j}].levels[${k}]`, message: `no dimension named "${level}"` });
      }),
    );
  });
  d.panels.forEach((p, i) => {
    const ds = datasets.get(p.dataset);
    if (!ds) {
      problems.push({ path: `$.panels[${i}].dataset`, message: `no dataset named "${p.dataset}"` });
      return;
    }
    const measures = new Set(ds.measures.map((m) => m.name));
    const dims = new Set(ds.dimensions.map((x) => x.name));
    if (p.kind === 'kpi' && !measures.has(p.measure)) {
      problems.push({ path: `$.panels[${i}].measure`, message: `dataset "${ds.name}" has no measure "${p.measure}"` });
    }
    if (p.kind === 'chart') {
      p.measures.forEach((m, j) => {
        if (!measures.has(m)) problems.push({ path: `$.panels[${i}].measures[${j}]`, message: `dataset "${ds.name}" has no measure "${m}"` });
      });
      if (p.x.type === 'dimension' && !dims.has(p.x.dimension)) {
        problems.push({ path: `$.panels[${i}].x.dimension`, message: `dataset "${ds.name}" has no dimension "${p.x.dimension}"` });
      }
      if (p.x.type === 'time' && !ds.timeColumn) {
        problems.push({ path: `$.panels[${i}].x`, message: `dataset "${ds.name}" has no timeColumn` });
      }
    }
  });
  const panelIds = new Set(d.panels.map((p) => p.id));
  d.layout.forEach((item, i) => {
    if (!panelIds.has(item.panel)) problems.push({ path: `$.layout[${i}].panel`, message: `no panel with id "${item.panel}"` });
    if (item.x + item.w > 12) problems.push({ path: `$.layout[${i}].w`, message: 'the panel runs past the 12th column' });
  });
  return problems;
}

/**
 * Serialize deterministically: object keys sorted, 2-space indent, trailing newline, so that
 * saving an unchanged dashboard is byte-identical and a one-field change is a one-line diff.
 */
export function serializeDashboard(dashboard: DashboardFile): string {
  return `${JSON.stringify(sortKeys(dashboard), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
