// Reading and writing dashboard files. Loading is a pipeline (tldraw style) that returns a Result:
// size → nesting depth and value count → JSON → envelope → too new? → secrets? → migrate →
// validate → tolerant restore → references. Each stage either passes the document on or stops with one typed error.
import type { z } from 'zod';
import { engineNameClashes } from './engine-names';
import { migrate, MigrationError } from './migrations';
import { CURRENT_SCHEMA_VERSION, DASHBOARD_FILE_TYPE, DashboardFile, Panel } from './schema';

/** Something the loader repaired so the file could open (e.g. a dropped panel). Shown to the reader. */
export interface LoadWarning {
  path: string;
  message: string;
}

/** One reason a file is invalid, at a JSON path such as `$.datasets[0].measures[1].column`. */
export interface LoadProblem {
  path: string;
  message: string;
}

/** Every kind of LoadError, for exhaustive handling and tests. */
export const LOAD_ERROR_KINDS = ['tooLarge', 'notJson', 'notADashboard', 'tooDeep', 'tooNew', 'secret', 'migrationFailed', 'invalid'] as const;

/** Why a dashboard file could not be opened. The UI handles every kind in an exhaustive switch. */
export type LoadError =
  | { kind: 'tooLarge'; message: string; maxBytes: number }
  | { kind: 'notJson'; message: string }
  | { kind: 'notADashboard'; message: string }
  | { kind: 'tooDeep'; message: string; maxDepth: number }
  | { kind: 'tooNew'; message: string; fileVersion: number }
  | { kind: 'secret'; message: string; path: string }
  | { kind: 'migrationFailed'; message: string; fromVersion: number; step: number }
  | { kind: 'invalid'; message: string; problems: LoadProblem[] };

export type LoadErrorKind = LoadError['kind'];

// Compile-time proof that LOAD_ERROR_KINDS lists exactly the kinds of LoadError.
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _allKindsListed: SameSet<LoadErrorKind, (typeof LOAD_ERROR_KINDS)[number]> = true;

export type LoadResult =
  | { ok: true; dashboard: DashboardFile; warnings: LoadWarning[]; migratedFrom: number | null }
  | { ok: false; error: LoadError };

/** Largest dashboard file we read (UTF-8 bytes); a bigger one is refused before parsing. */
export const MAX_DASHBOARD_BYTES = 20 * 1024 * 1024;

/**
 * Most JSON values we read, counted on the text before parsing (commas plus brackets, so roughly).
 * A full dashboard (10,000 panels and layout items) holds well under half of this; without the cap,
 * 20 MB of `{},{},…` takes JSON.parse alone several seconds.
 */
export const MAX_DASHBOARD_VALUES = 1_000_000;

/** Deepest nesting of objects and arrays we read; a real dashboard needs fewer than ten levels. */
export const MAX_DASHBOARD_DEPTH = 64;

// Keys JSON.parse keeps as plain own properties but that later spreads or merges could turn into
// prototype pollution; no dashboard field uses them.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// Compared lower-case with "_" and "-" removed, so secretAccessKey, secret_access_key and
// SECRET-ACCESS-KEY all match.
const CREDENTIAL_KEYS = new Set(
  [
    'accessKeyId',
    'secretAccessKey',
    'aws_access_key_id',
    'aws_secret_access_key',
    'sessionToken',
    'aws_session_token',
    'password',
    'passwd',
    'secret',
    'apiKey',
    'token',
    'privateKey',
    'credentials',
  ].map(normalizeKey),
);
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/;
const PEM_PRIVATE_KEY = /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----/;

// The longest list the schema allows anywhere (panels, layout, corrections).
const MAX_LIST_ITEMS = 10_000;

// Caps so that a broken 20 MB file does not produce a 20 MB error.
const MAX_PROBLEMS = 100;
const MAX_WARNINGS = 500;

const PANEL_KINDS: readonly string[] = Panel.options.map((o) => o.shape.kind.value);

/** Parse, check, migrate, validate and repair the text of a dashboard file. Never throws. */
export function loadDashboard(text: string): LoadResult {
  try {
    return runPipeline(text);
  } catch (err) {
    // A bug in a stage must not take the app down; the fuzz test makes sure this never happens.
    const message = `Northstar could not read this file (internal error: ${err instanceof Error ? err.message : String(err)}).`;
    return fail({ kind: 'invalid', message, problems: [{ path: '$', message }] });
  }
}

function runPipeline(text: string): LoadResult {
  // The type says string, but the text crosses a process boundary on its way here.
  if (typeof text !== 'string') return fail({ kind: 'notJson', message: 'The file is not text.' });
  const bytes = utf8ByteLength(text, MAX_DASHBOARD_BYTES);
  if (bytes > MAX_DASHBOARD_BYTES) {
    return fail({
      kind: 'tooLarge',
      maxBytes: MAX_DASHBOARD_BYTES,
      message: `The file is larger than ${MAX_DASHBOARD_BYTES / 1024 / 1024} MB, the most Northstar opens.`,
    });
  }

  // Measured on the text, before parsing: some engines' JSON.parse (and every recursive walk)
  // would overflow the stack on a nesting bomb, and parsing millions of tiny values takes seconds.
  const shape = scanStructure(text, MAX_DASHBOARD_DEPTH, MAX_DASHBOARD_VALUES);
  if (shape === 'tooDeep') {
    return fail({
      kind: 'tooDeep',
      maxDepth: MAX_DASHBOARD_DEPTH,
      message: `The file nests objects and arrays more than ${MAX_DASHBOARD_DEPTH} levels deep; no dashboard needs that.`,
    });
  }
  if (shape === 'tooManyValues') {
    return fail({
      kind: 'tooLarge',
      maxBytes: MAX_DASHBOARD_BYTES,
      message: `The file holds more than ${MAX_DASHBOARD_VALUES.toLocaleString('en-US')} values, the most Northstar opens.`,
    });
  }

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail({ kind: 'notJson', message: `Not valid JSON: ${(err as Error).message}` });
  }
  const warnings = new Warnings();
  dropForbiddenKeys(raw, warnings);

  if (!isObject(raw) || raw.type !== DASHBOARD_FILE_TYPE) {
    return fail({ kind: 'notADashboard', message: `Not a Northstar dashboard: "type" must be "${DASHBOARD_FILE_TYPE}".` });
  }
  const version = raw.schemaVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    return fail({ kind: 'notADashboard', message: 'Not a Northstar dashboard: "schemaVersion" must be a positive whole number.' });
  }
  if (version > CURRENT_SCHEMA_VERSION) {
    return fail({
      kind: 'tooNew',
      fileVersion: version,
      message: `Made with a newer Northstar (schema version ${version}; this app reads up to ${CURRENT_SCHEMA_VERSION}): upgrade to open it.`,
    });
  }

  const secret = findSecret(raw);
  if (secret) {
    return fail({
      kind: 'secret',
      path: secret.path,
      message: `${secret.path} ${secret.what}. Dashboard files never hold credentials: remove it (credentials come from the AWS profile or keys entered on each machine).`,
    });
  }

  let current: unknown = raw;
  if (version < CURRENT_SCHEMA_VERSION) {
    try {
      current = migrate(raw, version, CURRENT_SCHEMA_VERSION);
    } catch (err) {
      // MigrationError messages name the step; anything else is a bug in migrate itself.
      const step = err instanceof MigrationError ? err.step : version + 1;
      const reason = err instanceof Error ? err.message : String(err);
      return fail({ kind: 'migrationFailed', fromVersion: version, step, message: `This file (schema version ${version}) could not be upgraded: ${reason}.` });
    }
  }
  if (!isObject(current)) {
    return fail({ kind: 'migrationFailed', fromVersion: version, step: CURRENT_SCHEMA_VERSION, message: 'The upgraded file is not a JSON object.' });
  }

  const restored = validateAndRestore(current, warnings);
  if (!restored.ok) return fail({ kind: 'invalid', message: describeProblems(restored.problems), problems: restored.problems.slice(0, MAX_PROBLEMS) });

  const datasetProblems = checkDatasets(restored.dashboard);
  if (datasetProblems.length > 0) {
    return fail({ kind: 'invalid', message: describeProblems(datasetProblems), problems: datasetProblems.slice(0, MAX_PROBLEMS) });
  }

  const dashboard = reconcileReferences(restored.dashboard, restored.origin, restored.droppedPanels, warnings);
  return { ok: true, dashboard, warnings: warnings.list(), migratedFrom: version < CURRENT_SCHEMA_VERSION ? version : null };
}

function fail(error: LoadError): LoadResult {
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------
// Text-level checks

/** UTF-8 length of `text`, counting no further than just past `limit`. */
function utf8ByteLength(text: string, limit: number): number {
  // Each UTF-16 code unit is 1 to 3 UTF-8 bytes, so the length alone often decides.
  if (text.length > limit) return text.length;
  if (text.length * 3 <= limit) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * One linear pass over the brackets and commas outside strings: whether they nest deeper than
 * `maxDepth`, or separate more than `maxValues` values (counted as commas plus containers, which
 * is close enough for a cap).
 */
function scanStructure(text: string, maxDepth: number, maxValues: number): 'ok' | 'tooDeep' | 'tooManyValues' {
  let depth = 0;
  let values = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x2c) {
      if (++values > maxValues) return 'tooManyValues';
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return 'tooDeep';
      if (++values > maxValues) return 'tooManyValues';
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return 'ok';
}

// ---------------------------------------------------------------------------------------------
// Walks over the parsed JSON (depth is already bounded, so recursion is safe)

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deletes FORBIDDEN_KEYS in place, with a warning for each. */
function dropForbiddenKeys(value: unknown, warnings: Warnings, path: PropertyKey[] = []): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      path.push(i);
      dropForbiddenKeys(item, warnings, path);
      path.pop();
    }
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      path.push(key);
      if (FORBIDDEN_KEYS.has(key)) {
        delete value[key];
        warnings.add(jsonPath(path), `the key "${key}" was ignored: no dashboard field has that name`);
      } else {
        const child = value[key];
        if (child !== null && typeof child === 'object') dropForbiddenKeys(child, warnings, path);
      }
      path.pop();
    }
  }
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function secretInString(s: string): string | null {
  if (AWS_KEY_ID.test(s)) return 'looks like an AWS access key id';
  if (PEM_PRIVATE_KEY.test(s)) return 'holds what looks like a private key';
  return null;
}

/** The first credential-like key or value in the document, with its JSON path. */
function findSecret(value: unknown, path: PropertyKey[] = []): { path: string; what: string } | null {
  if (typeof value === 'string') {
    const what = secretInString(value);
    return what ? { path: jsonPath(path), what } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || (typeof item !== 'object' && typeof item !== 'string')) continue;
      path.push(i);
      const found = findSecret(item, path);
      path.pop();
      if (found) return found;
    }
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      path.push(key);
      const keyWhat = CREDENTIAL_KEYS.has(normalizeKey(key)) ? 'looks like a credential' : secretInString(key);
      const found = keyWhat ? { path: jsonPath(path), what: keyWhat } : findSecret(value[key], path);
      path.pop();
      if (found) return found;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Validation and tolerant restore

// Lists whose items are dropped with a warning when they are broken, rather than refusing the
// whole file: a panel of a kind this build does not know should not hide the rest of the dashboard.
const TOLERATED = {
  panels: 'panel',
  layout: 'layout item',
  filters: 'filter',
  checks: 'check',
  corrections: 'correction',
} as const;
type Tolerated = keyof typeof TOLERATED;
const TOLERATED_LISTS = Object.keys(TOLERATED) as Tolerated[];

/** For each tolerated list of the validated dashboard, the index each item had in the file. */
type Origin = Record<Tolerated, number[]>;

type Restored =
  | { ok: true; dashboard: DashboardFile; origin: Origin; droppedPanels: Set<string> }
  | { ok: false; problems: LoadProblem[] };

function validateAndRestore(doc: JsonObject, warnings: Warnings): Restored {
  const oversized = oversizedLists(doc);
  if (oversized.length > 0) return { ok: false, problems: oversized };
  const first = parseDashboard(doc);
  if (first === TOO_MANY_ISSUES) return { ok: false, problems: [TOO_MANY_ISSUES_PROBLEM] };
  const blocking: LoadProblem[] = [];
  const broken = new Map<Tolerated, Map<number, z.core.$ZodIssue>>(TOLERATED_LISTS.map((list) => [list, new Map()]));
  if (!first.success) {
    for (const issue of first.error.issues) {
      const [head, index] = issue.path;
      const items = typeof head === 'string' && Object.hasOwn(TOLERATED, head) ? broken.get(head as Tolerated) : undefined;
      if (items && typeof index === 'number') {
        if (!items.has(index)) items.set(index, issue);
      } else {
        blocking.push({ path: jsonPath(issue.path), message: clip(issue.message) });
      }
    }
  }
  // Not push(...list): spreading tens of thousands of duplicates can overflow the argument stack.
  for (const problem of duplicateProblems(doc)) blocking.push(problem);
  for (const clash of engineNameClashes(Array.isArray(doc.sources) ? doc.sources : [], Array.isArray(doc.datasets) ? doc.datasets : [])) {
    blocking.push({ path: `$.${clash.item.list}[${clash.item.index}].name`, message: clash.message });
  }
  if (blocking.length > 0) return { ok: false, problems: blocking };

  const origin = {} as Origin;
  const droppedPanels = new Set<string>();
  const pruned: JsonObject = { ...doc };
  for (const list of TOLERATED_LISTS) {
    const items = doc[list];
    const bad = broken.get(list) ?? new Map<number, z.core.$ZodIssue>();
    origin[list] = [];
    if (!Array.isArray(items)) continue; // absent optional list: zod fills in the default
    pruned[list] = items.filter((item: unknown, i) => {
      const issue = bad.get(i);
      if (!issue) {
        origin[list].push(i);
        return true;
      }
      if (list === 'panels' && isObject(item) && typeof item.id === 'string') droppedPanels.add(item.id);
      warnings.add(`$.${list}[${i}]`, `${itemLabel(list, item, i)} was dropped: ${dropReason(list, item, issue)}`);
      return false;
    });
  }
  if (first.success) return { ok: true, dashboard: first.data, origin, droppedPanels };
  const second = parseDashboard(pruned);
  if (second === TOO_MANY_ISSUES) return { ok: false, problems: [TOO_MANY_ISSUES_PROBLEM] };
  if (!second.success) {
    // Not expected: every item-level issue was removed above. Report rather than guess.
    return { ok: false, problems: second.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: clip(issue.message) })) };
  }
  return { ok: true, dashboard: second.data, origin, droppedPanels };
}

const TOO_MANY_ISSUES = Symbol('too many issues');
const TOO_MANY_ISSUES_PROBLEM: LoadProblem = {
  path: '$',
  message: 'the file has hundreds of thousands of wrong values, too many to list: it is probably not a dashboard that Northstar wrote',
};

/**
 * DashboardFile.safeParse, except that zod's stack overflow on a subtree with ~100,000 issues
 * (it spreads them into an argument list) becomes a value instead of an internal error.
 */
function parseDashboard(doc: unknown): ReturnType<typeof DashboardFile.safeParse> | typeof TOO_MANY_ISSUES {
  try {
    return DashboardFile.safeParse(doc);
  } catch (err) {
    if (err instanceof RangeError) return TOO_MANY_ISSUES;
    throw err;
  }
}

/**
 * Lists longer than any the schema allows, found before zod sees them: zod gathers the issues of
 * every item and spreads them into its parent's list, which overflows the stack once one panel or
 * dataset carries a few hundred thousand of them. `params` are free-form and may hold long lists.
 */
function oversizedLists(value: unknown, path: PropertyKey[] = [], found: LoadProblem[] = []): LoadProblem[] {
  if (found.length >= MAX_PROBLEMS) return found;
  if (Array.isArray(value)) {
    if (value.length > MAX_LIST_ITEMS) {
      found.push({ path: jsonPath(path), message: `too many items: ${value.length}, at most ${MAX_LIST_ITEMS}` });
      return found;
    }
    value.forEach((item: unknown, i) => {
      if (item === null || typeof item !== 'object') return;
      path.push(i);
      oversizedLists(item, path, found);
      path.pop();
    });
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'params' || child === null || typeof child !== 'object') continue;
      path.push(key);
      oversizedLists(child, path, found);
      path.pop();
    }
  }
  return found;
}

function itemLabel(list: Tolerated, item: unknown, index: number): string {
  const key = list === 'layout' ? 'panel' : 'id';
  const name = isObject(item) && typeof item[key] === 'string' ? quote(item[key]) : null;
  if (list === 'layout') return name ? `the layout item of panel ${name}` : `layout item ${index}`;
  return name ? `${TOLERATED[list]} ${name}` : `${TOLERATED[list]} ${index}`;
}

function dropReason(list: Tolerated, item: unknown, issue: z.core.$ZodIssue): string {
  if (list === 'panels' && isObject(item) && typeof item.kind === 'string' && !PANEL_KINDS.includes(item.kind)) {
    return `unknown kind ${quote(item.kind)}`;
  }
  return `${clip(issue.message)} (at ${jsonPath(issue.path)})`;
}

/** Names and ids that must be unique, checked on the raw document so dropped items count too. */
function duplicateProblems(doc: JsonObject): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const unique = (list: unknown, where: string, key: string) => {
    if (!Array.isArray(list)) return;
    const seen = new Map<string, number>();
    list.forEach((item: unknown, i) => {
      if (!isObject(item) || typeof item[key] !== 'string') return;
      const name = item[key];
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        problems.push({ path: `${where}[${i}].${key}`, message: `duplicate ${key} ${quote(name)}: ${where}[${earlier}] has it too` });
      } else seen.set(name, i);
    });
  };
  unique(doc.sources, '$.sources', 'name');
  unique(doc.datasets, '$.datasets', 'name');
  if (Array.isArray(doc.datasets)) {
    doc.datasets.forEach((ds: unknown, i) => {
      if (!isObject(ds)) return;
      unique(ds.measures, `$.datasets[${i}].measures`, 'name');
      unique(ds.dimensions, `$.datasets[${i}].dimensions`, 'name');
      unique(ds.hierarchies, `$.datasets[${i}].hierarchies`, 'name');
    });
  }
  unique(doc.filters, '$.filters', 'id');
  unique(doc.panels, '$.panels', 'id');
  unique(doc.checks, '$.checks', 'id');
  unique(doc.corrections, '$.corrections', 'id');
  return problems;
}

/** References inside the datasets (sources, ratio parts, drill levels): a broken one makes the file invalid. */
function checkDatasets(d: DashboardFile): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const sources = new Set(d.sources.map((s) => s.name));
  d.datasets.forEach((ds, i) => {
    if (ds.kind === 'table' && !sources.has(ds.source)) problems.push({ path: `$.datasets[${i}].source`, message: `no source named ${quote(ds.source)}` });
    const measures = new Map(ds.measures.map((m) => [m.name, m]));
    ds.measures.forEach((m, j) => {
      for (const part of ['numerator', 'denominator'] as const) {
        const ref = m[part];
        if (ref !== undefined && !measures.has(ref)) {
          problems.push({ path: `$.datasets[${i}].measures[${j}].${part}`, message: `no measure named ${quote(ref)}` });
        }
      }
      if (m.agg === 'ratio' && refersToItself(m.name, measures)) {
        problems.push({ path: `$.datasets[${i}].measures[${j}]`, message: `ratio ${quote(m.name)} refers to itself` });
      }
    });
    const dims = new Set(ds.dimensions.map((x) => x.name));
    ds.hierarchies.forEach((h, j) =>
      h.levels.forEach((level, k) => {
        if (!dims.has(level)) problems.push({ path: `$.datasets[${i}].hierarchies[${j}].levels[${k}]`, message: `no dimension named ${quote(level)}` });
      }),
    );
  });
  return problems;
}

function refersToItself(name: string, measures: Map<string, { numerator?: string | undefined; denominator?: string | undefined }>): boolean {
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length > 0) {
    const m = measures.get(stack.pop() as string);
    for (const ref of [m?.numerator, m?.denominator]) {
      if (ref === undefined) continue;
      if (ref === name) return true;
      if (!seen.has(ref)) {
        seen.add(ref);
        stack.push(ref);
      }
    }
  }
  return false;
}

/**
 * References from the tolerated lists (Rill's validate-and-clean): a panel, filter, check or
 * correction whose dataset, measure, dimension or check is gone is dropped with a warning;
 * layout items follow their panels.
 */
function reconcileReferences(d: DashboardFile, origin: Origin, droppedPanels: Set<string>, warnings: Warnings): DashboardFile {
  const datasets = new Map(d.datasets.map((ds) => [ds.name, ds]));
  // Keeps the items whose references hold, with the index each had in the file (for paths).
  const keep = <T>(list: Tolerated, items: T[], label: (item: T) => string, broken: (item: T) => string | null) => {
    const kept: { item: T; at: number }[] = [];
    items.forEach((item, k) => {
      const at = origin[list][k] ?? k;
      const reason = broken(item);
      if (reason) warnings.add(`$.${list}[${at}]`, `${label(item)} was dropped: ${reason}`);
      else kept.push({ item, at });
    });
    return kept;
  };
  const noDataset = (name: string) => (datasets.has(name) ? null : `no dataset named ${quote(name)}`);

  const filters = keep('filters', d.filters, (f) => `filter ${quote(f.id)}`, (f) => {
    const ds = datasets.get(f.dataset);
    if (!ds) return noDataset(f.dataset);
    return ds.dimensions.some((x) => x.name === f.dimension) ? null : `dataset ${quote(ds.name)} has no dimension ${quote(f.dimension)}`;
  });
  const corrections = keep('corrections', d.corrections, (c) => `correction ${quote(c.id)}`, (c) => noDataset(c.dataset));
  const checks = keep('checks', d.checks, (c) => `check ${quote(c.id)}`, (c) => noDataset(c.dataset));
  const checkIds = new Set(checks.map(({ item }) => item.id));

  const panels = keep('panels', d.panels, (p) => `panel ${quote(p.id)}`, (p) => brokenPanelReference(p, datasets, checkIds));
  const panelIds = new Set(panels.map(({ item }) => item.id));
  for (const p of d.panels) if (!panelIds.has(p.id)) droppedPanels.add(p.id);

  const guardedChecks = checks.map(({ item: c, at }) => {
    const guards = c.guards.filter((g, j) => {
      if (panelIds.has(g)) return true;
      warnings.add(`$.checks[${at}].guards[${j}]`, `check ${quote(c.id)} no longer guards panel ${quote(g)}: there is no such panel`);
      return false;
    });
    return guards.length === c.guards.length ? c : { ...c, guards };
  });

  const placed = new Map<string, number>();
  const layout: DashboardFile['layout'] = [];
  d.layout.forEach((item, k) => {
    const at = origin.layout[k] ?? k;
    const label = `the layout item of panel ${quote(item.panel)}`;
    if (!panelIds.has(item.panel)) {
      // A dropped panel's own warning says enough; an id that never existed gets its own.
      if (!droppedPanels.has(item.panel)) warnings.add(`$.layout[${at}]`, `${label} was dropped: no panel has that id`);
      return;
    }
    const earlier = placed.get(item.panel);
    if (earlier !== undefined) {
      warnings.add(`$.layout[${at}]`, `${label} was dropped: the panel is already placed by $.layout[${earlier}]`);
      return;
    }
    placed.set(item.panel, at);
    if (item.x + item.w > 12) {
      warnings.add(`$.layout[${at}].w`, `${label} was narrowed from ${item.w} to ${12 - item.x} columns to fit the 12-column grid`);
      layout.push({ ...item, w: 12 - item.x });
    } else layout.push(item);
  });

  return {
    ...d,
    filters: filters.map(({ item }) => item),
    corrections: corrections.map(({ item }) => item),
    checks: guardedChecks,
    panels: panels.map(({ item }) => item),
    layout,
  };
}

function brokenPanelReference(p: Panel, datasets: Map<string, DashboardFile['datasets'][number]>, checkIds: Set<string>): string | null {
  if (p.kind === 'text') return null;
  if (p.kind === 'anomaly') {
    const missing = p.checks.find((c) => !checkIds.has(c));
    return missing === undefined ? null : `no check named ${quote(missing)}`;
  }
  const ds = datasets.get(p.dataset);
  if (!ds) return `no dataset named ${quote(p.dataset)}`;
  const measures = new Set(ds.measures.map((m) => m.name));
  const missingMeasure = (p.kind === 'kpi' ? [p.measure] : p.kind === 'chart' ? p.measures : []).find((m) => !measures.has(m));
  if (missingMeasure !== undefined) return `dataset ${quote(ds.name)} has no measure ${quote(missingMeasure)}`;
  if (p.kind === 'chart') {
    for (const axis of p.y ? [p.x, p.y] : [p.x]) {
      if (axis.type === 'dimension' && !ds.dimensions.some((dim) => dim.name === axis.dimension)) {
        return `dataset ${quote(ds.name)} has no dimension ${quote(axis.dimension)}`;
      }
      if (axis.type === 'time' && !ds.timeColumn) return `dataset ${quote(ds.name)} has no timeColumn for a time axis`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Messages

class Warnings {
  private readonly items: LoadWarning[] = [];
  private extra = 0;

  add(path: string, message: string): void {
    if (this.items.length < MAX_WARNINGS) this.items.push({ path, message });
    else this.extra++;
  }

  list(): LoadWarning[] {
    return this.extra > 0 ? [...this.items, { path: '$', message: `and ${this.extra} more warnings` }] : [...this.items];
  }
}

function describeProblems(problems: LoadProblem[]): string {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return first ? `${first.path}: ${first.message}${more}` : 'invalid dashboard';
}

/** A message from zod, which may quote a huge key of a broken file, cut to a readable length. */
function clip(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** A name as it appears in a message: quoted, and shortened if a broken file made it huge. */
function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

/** `$.panels[0].kind`; keys that are not identifiers are bracketed: `$["a b"]`. */
function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const key = String(part);
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) && key.length <= 80 ? `${acc}.${key}` : `${acc}[${quote(key)}]`;
  }, '$');
}

// ---------------------------------------------------------------------------------------------
// Writing

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
