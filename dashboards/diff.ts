// Semantic diff of two dashboard files: what a reviewer cares about (a panel's title, a filter gone),
// not how the JSON happens to be laid out. Key order, array order of the id-matched lists and the
// revision block never show up as changes.
import type { Check, Correction, DashboardFile, Dataset, Filter, LayoutItem, Panel, Source } from './schema';

/** One field that differs inside a changed item; `undefined` on a side means the field is absent there. */
export type FieldChange = { path: string; before: unknown; after: unknown };

/** Envelope fields compared as a whole; `revision`, `$schema`, `type` and `schemaVersion` are not. */
export type EnvelopeField = 'title' | 'description' | 'owner' | 'timeRange';

/** The lists of named items besides panels, each matched between the two files by its key. */
export type ItemCollection = 'sources' | 'datasets' | 'filters' | 'checks' | 'corrections';

type CollectionItem = { sources: Source; datasets: Dataset; filters: Filter; checks: Check; corrections: Correction };

type ItemChangeOf<C extends ItemCollection> =
  | { kind: 'itemAdded'; collection: C; key: string; item: CollectionItem[C] }
  | { kind: 'itemRemoved'; collection: C; key: string; item: CollectionItem[C] }
  | { kind: 'itemChanged'; collection: C; key: string; fields: FieldChange[] };

/** A change to one source, dataset, filter, check or correction. */
export type ItemChange = { [C in ItemCollection]: ItemChangeOf<C> }[ItemCollection];

/** One semantic change between two dashboard files. */
export type Change =
  | { kind: 'panelAdded'; id: string; title: string; panel: Panel; layout: LayoutItem | null }
  | { kind: 'panelRemoved'; id: string; title: string; panel: Panel; layout: LayoutItem | null }
  | { kind: 'panelChanged'; id: string; title: string; fields: FieldChange[] }
  | {
      kind: 'panelMoved';
      id: string;
      title: string;
      /** The position changed (or the panel gained or lost its place on the grid). */
      moved: boolean;
      /** The width or height changed. */
      resized: boolean;
      before: LayoutItem | null;
      after: LayoutItem | null;
    }
  | ItemChange
  | { kind: 'envelopeChanged'; field: EnvelopeField; before: unknown; after: unknown; fields: FieldChange[] };

export type DashboardDiff = { changes: Change[] };

const ITEM_COLLECTIONS: readonly ItemCollection[] = ['sources', 'datasets', 'filters', 'checks', 'corrections'];
const ENVELOPE_FIELDS: readonly EnvelopeField[] = ['title', 'description', 'owner', 'timeRange'];
const KEY_FIELD: { [C in ItemCollection]: 'name' | 'id' } = {
  sources: 'name',
  datasets: 'name',
  filters: 'id',
  checks: 'id',
  corrections: 'id',
};
const NOUN: { [C in ItemCollection | 'panels']: [singular: string, plural: string] } = {
  panels: ['panel', 'panels'],
  sources: ['source', 'sources'],
  datasets: ['dataset', 'datasets'],
  filters: ['filter', 'filters'],
  checks: ['check', 'checks'],
  corrections: ['correction', 'corrections'],
};
const ENVELOPE_LABEL: { [F in EnvelopeField]: string } = {
  title: 'title',
  description: 'description',
  owner: 'owner',
  timeRange: 'time range',
};

/** Compare two loaded dashboards; the changes come in a fixed order that does not depend on key or list order. */
export function diffDashboards(before: DashboardFile, after: DashboardFile): DashboardDiff {
  const changes: Change[] = [...diffPanels(before, after)];
  for (const collection of ITEM_COLLECTIONS) changes.push(...diffCollection(collection, before, after));
  for (const field of ENVELOPE_FIELDS) {
    const fields = diffFields(before[field], after[field], field);
    if (fields.length > 0) changes.push({ kind: 'envelopeChanged', field, before: before[field], after: after[field], fields });
  }
  return { changes };
}

function diffPanels(before: DashboardFile, after: DashboardFile): Change[] {
  const pairs = matchByKey(before.panels, after.panels, (p) => p.id);
  const layoutBefore = layoutByPanel(before.layout);
  const layoutAfter = layoutByPanel(after.layout);
  const added: Change[] = [];
  const removed: Change[] = [];
  const changed: Change[] = [];
  const moved: Change[] = [];
  for (const { key, before: b, after: a } of pairs) {
    if (!b && a) {
      added.push({ kind: 'panelAdded', id: key, title: a.title, panel: a, layout: layoutAfter.get(key) ?? null });
    } else if (b && !a) {
      removed.push({ kind: 'panelRemoved', id: key, title: b.title, panel: b, layout: layoutBefore.get(key) ?? null });
    } else if (b && a) {
      const fields = diffFields(withoutKey(b, 'id'), withoutKey(a, 'id'), '');
      if (fields.length > 0) changed.push({ kind: 'panelChanged', id: key, title: a.title, fields });
      const lb = layoutBefore.get(key) ?? null;
      const la = layoutAfter.get(key) ?? null;
      const isMoved = lb === null || la === null ? lb !== la : lb.x !== la.x || lb.y !== la.y;
      const isResized = lb !== null && la !== null && (lb.w !== la.w || lb.h !== la.h);
      if (isMoved || isResized) {
        moved.push({ kind: 'panelMoved', id: key, title: a.title, moved: isMoved, resized: isResized, before: lb, after: la });
      }
    }
  }
  return [...added, ...removed, ...changed, ...moved];
}

function diffCollection<C extends ItemCollection>(collection: C, before: DashboardFile, after: DashboardFile): Change[] {
  const keyField = KEY_FIELD[collection];
  const keyOf = (item: CollectionItem[C]): string => String((item as Record<string, unknown>)[keyField]);
  const list = (d: DashboardFile): CollectionItem[C][] => (d[collection] ?? []) as CollectionItem[C][];
  const added: ItemChangeOf<C>[] = [];
  const removed: ItemChangeOf<C>[] = [];
  const changed: ItemChangeOf<C>[] = [];
  for (const { key, before: b, after: a } of matchByKey(list(before), list(after), keyOf)) {
    if (!b && a) added.push({ kind: 'itemAdded', collection, key, item: a });
    else if (b && !a) removed.push({ kind: 'itemRemoved', collection, key, item: b });
    else if (b && a) {
      const fields = diffFields(withoutKey(b, keyField), withoutKey(a, keyField), '');
      if (fields.length > 0) changed.push({ kind: 'itemChanged', collection, key, fields });
    }
  }
  // Every member of ItemChangeOf<C> is a member of Change; TypeScript cannot see that through the generic.
  return [...added, ...removed, ...changed] as Change[];
}

/**
 * Pair the items of two lists by key, sorted by key. A key that occurs twice (only possible in a file
 * that loaded with warnings) pairs its n-th occurrences, so nothing is silently dropped.
 */
function matchByKey<T>(before: readonly T[], after: readonly T[], keyOf: (item: T) => string): { key: string; before?: T; after?: T }[] {
  const group = (items: readonly T[]) => {
    const map = new Map<string, T[]>();
    for (const item of items) {
      const key = keyOf(item);
      const list = map.get(key);
      if (list) list.push(item);
      else map.set(key, [item]);
    }
    return map;
  };
  const b = group(before);
  const a = group(after);
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort(compareStrings);
  const pairs: { key: string; before?: T; after?: T }[] = [];
  for (const key of keys) {
    const bs = b.get(key) ?? [];
    const as = a.get(key) ?? [];
    for (let i = 0; i < Math.max(bs.length, as.length); i++) pairs.push({ key, before: bs[i], after: as[i] });
  }
  return pairs;
}

function layoutByPanel(layout: readonly LayoutItem[] | undefined): Map<string, LayoutItem> {
  const map = new Map<string, LayoutItem>();
  for (const item of layout ?? []) if (!map.has(item.panel)) map.set(item.panel, item);
  return map;
}

function withoutKey(item: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  delete copy[key];
  return copy;
}

/** Field-level differences between two JSON values, as paths below `base` ('' for the item itself). */
function diffFields(before: unknown, after: unknown, base: string): FieldChange[] {
  const out: FieldChange[] = [];
  collectFieldChanges(before, after, base, out);
  return out;
}

function collectFieldChanges(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (jsonEqual(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareStrings);
    for (const key of keys) collectFieldChanges(before[key], after[key], joinKey(path, key), out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const keyField = sharedKeyField(before, after);
    if (keyField) {
      // Lists of named things (a dataset's measures, dimensions, hierarchies) are sets: matching by
      // name keeps one inserted measure from showing as every later measure changed.
      const keyOf = (item: unknown) => String((item as Record<string, unknown>)[keyField]);
      for (const pair of matchByKey(before, after, keyOf)) {
        const key = IDENTIFIER.test(pair.key) ? pair.key : JSON.stringify(pair.key);
        collectFieldChanges(pair.before, pair.after, `${path}[${keyField}=${key}]`, out);
      }
      return;
    }
    // Other lists are ordered (a chart's measures, a table's columns): compare position by position.
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      collectFieldChanges(before[i], after[i], `${path}[${i}]`, out);
    }
    return;
  }
  out.push({ path: path === '' ? '$' : path, before, after });
}

/** `name` or `id` when every element of both lists is an object with a unique string value there. */
function sharedKeyField(before: readonly unknown[], after: readonly unknown[]): 'name' | 'id' | null {
  if (before.length === 0 && after.length === 0) return null;
  for (const field of ['name', 'id'] as const) {
    const unique = (list: readonly unknown[]) => {
      const seen = new Set<string>();
      for (const item of list) {
        if (!isRecord(item) || typeof item[field] !== 'string' || seen.has(item[field])) return false;
        seen.add(item[field]);
      }
      return true;
    };
    if (unique(before) && unique(after)) return field;
  }
  return null;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function joinKey(path: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Structural equality of JSON values, blind to key order; an `undefined` property counts as absent. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!jsonEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

// Plain code-unit order, not localeCompare: the output must not depend on the machine's locale.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Text

/** One line for a commit message or a status bar, e.g. `+1 panel, 2 panels changed, title changed`. */
export function summarizeDiff(diff: DashboardDiff): string {
  const parts: string[] = [];
  const ofKind = <K extends Change['kind']>(kind: K) => diff.changes.filter((c): c is Extract<Change, { kind: K }> => c.kind === kind);

  // Additions are counted ("+1 panel"); removals and edits name a single item and count several.
  const panelAdded = ofKind('panelAdded');
  if (panelAdded.length > 0) parts.push(`+${countOf(panelAdded.length, 'panels')}`);
  parts.push(...nameOrCount(ofKind('panelRemoved').map((c) => displayTitle(c.title, c.id)), 'panels', 'removed'));
  parts.push(...nameOrCount(ofKind('panelChanged').map((c) => displayTitle(c.title, c.id)), 'panels', 'changed'));
  const movedPanels = ofKind('panelMoved');
  if (movedPanels.length > 0) {
    const verbs = new Set(movedPanels.map(layoutVerb));
    const verb = verbs.size === 1 ? layoutVerb(movedPanels[0] as (typeof movedPanels)[number]) : 'moved or resized';
    parts.push(...nameOrCount(movedPanels.map((c) => displayTitle(c.title, c.id)), 'panels', verb));
  }

  for (const collection of ITEM_COLLECTIONS) {
    const items = (kind: ItemChange['kind']) =>
      diff.changes.filter((c): c is ItemChange => c.kind === kind && c.collection === collection).map((c) => c.key);
    const added = items('itemAdded');
    if (added.length > 0) parts.push(`+${countOf(added.length, collection)}`);
    parts.push(...nameOrCount(items('itemRemoved'), collection, 'removed'));
    parts.push(...nameOrCount(items('itemChanged'), collection, 'changed'));
  }

  for (const c of ofKind('envelopeChanged')) parts.push(`${ENVELOPE_LABEL[c.field]} changed`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

/** Multi-line text: the summary, then one line per change with its field-level changes indented below. */
export function formatDiff(diff: DashboardDiff): string {
  const lines = [summarizeDiff(diff)];
  for (const change of diff.changes) {
    switch (change.kind) {
      case 'panelAdded':
        lines.push(`+ panel ${panelLabel(change)} added${change.layout ? ` at ${layoutText(change.layout)}` : ''}`);
        break;
      case 'panelRemoved':
        lines.push(`- panel ${panelLabel(change)} removed`);
        break;
      case 'panelChanged':
        lines.push(`~ panel ${panelLabel(change)} changed`, ...fieldLines(change.fields));
        break;
      case 'panelMoved':
        lines.push(`~ panel ${panelLabel(change)} ${layoutVerb(change)}: ${layoutText(change.before)} -> ${layoutText(change.after)}`);
        break;
      case 'itemAdded':
        lines.push(`+ ${NOUN[change.collection][0]} '${change.key}' added`);
        break;
      case 'itemRemoved':
        lines.push(`- ${NOUN[change.collection][0]} '${change.key}' removed`);
        break;
      case 'itemChanged':
        lines.push(`~ ${NOUN[change.collection][0]} '${change.key}' changed`, ...fieldLines(change.fields));
        break;
      case 'envelopeChanged': {
        const only = change.fields.length === 1 ? change.fields[0] : undefined;
        if (only && only.path === change.field) lines.push(`~ ${change.field}: ${renderValue(only.before)} -> ${renderValue(only.after)}`);
        else lines.push(`~ ${change.field} changed`, ...fieldLines(change.fields));
        break;
      }
      default: {
        const never: never = change;
        throw new Error(`unknown change ${JSON.stringify(never)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const MAX_VALUE_CHARS = 80;

function fieldLines(fields: readonly FieldChange[]): string[] {
  return fields.map((f) => `    ${f.path}: ${renderValue(f.before)} -> ${renderValue(f.after)}`);
}

/** JSON for a value, `(none)` for an absent one, cut to about 80 characters. */
function renderValue(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function layoutVerb(change: { moved: boolean; resized: boolean }): string {
  return change.moved && change.resized ? 'moved and resized' : change.resized ? 'resized' : 'moved';
}

function layoutText(item: LayoutItem | null): string {
  return item ? `x=${item.x} y=${item.y} w=${item.w} h=${item.h}` : '(not placed)';
}

function panelLabel(change: { id: string; title: string }): string {
  const title = displayTitle(change.title, change.id);
  return title !== change.id ? `'${title}' (${change.id})` : `'${change.id}'`;
}

function displayTitle(title: string, id: string): string {
  return title.trim() !== '' ? oneLine(title) : id;
}

// Titles are free text: a newline or an escape sequence in one must not break the one-line-per-change shape.
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

function countOf(count: number, noun: keyof typeof NOUN): string {
  return `${count} ${NOUN[noun][count === 1 ? 0 : 1]}`;
}

function nameOrCount(names: readonly string[], noun: keyof typeof NOUN, verb: string): string[] {
  if (names.length === 0) return [];
  if (names.length === 1) return [`${NOUN[noun][0]} '${names[0]}' ${verb}`];
  return [`${countOf(names.length, noun)} ${verb}`];
}
