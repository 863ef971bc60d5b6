// The names the query engine gives a dashboard's sources and datasets. They all live in one DuckDB
// schema, where names ignore case, so two parts of a file can claim the same relation: dataset "x"
// loads into "ds_raw_x", which is also the view of a dataset named "raw_x". The later load would
// silently replace the earlier one's data, so a file (or a form) with such a pair is refused.
// Pure: queries/dashboard-runner.ts names its relations with these functions' rules (a test there
// keeps the two in step).

/** The view every panel and check reads for a dataset (corrections applied). */
export function datasetRelationName(dataset: string): string {
  return `ds_${dataset}`;
}

/** The table a dataset is loaded into, as read (before corrections). */
export function rawDatasetRelationName(dataset: string): string {
  return `ds_raw_${dataset}`;
}

/** The tables of a dataset's duplicate-row corrections: `ds_raw_<name>__dropped_<n>`. */
const DROPPED = /^ds_raw_(.+)__dropped_[0-9]+$/u;

/** One item of the sources or datasets list, by position. */
export interface NamedItem {
  list: 'sources' | 'datasets';
  index: number;
}

/** Two items whose relations in the engine would have the same name. */
export interface EngineNameClash {
  /** Where a file's problem is reported: the later of the two (sources before datasets), or the one named like the other's correction table. */
  item: NamedItem;
  other: NamedItem;
  message: string;
}

interface Claim {
  item: NamedItem;
  /** The item's own name. */
  name: string;
  relation: string;
  role: string;
}

/**
 * Sources and datasets whose relations in the query engine would share a name (case ignored), one
 * clash per pair. Items without a string name, and exact duplicates within a list, are left to the
 * schema and the duplicate check.
 */
export function engineNameClashes(sources: readonly unknown[], datasets: readonly unknown[]): EngineNameClash[] {
  const claims: Claim[] = [];
  const datasetByName = new Map<string, NamedItem & { name: string }>();
  sources.forEach((s, index) => {
    const name = nameOf(s);
    if (name !== null) claims.push({ item: { list: 'sources', index }, name, relation: name, role: `the view of data source "${name}"` });
  });
  datasets.forEach((d, index) => {
    const name = nameOf(d);
    if (name === null) return;
    const item: NamedItem = { list: 'datasets', index };
    if (!datasetByName.has(name.toLowerCase())) datasetByName.set(name.toLowerCase(), { ...item, name });
    claims.push({ item, name, relation: datasetRelationName(name), role: `the view of dataset "${name}"` });
    claims.push({ item, name, relation: rawDatasetRelationName(name), role: `the table dataset "${name}" is loaded into` });
  });

  const clashes: EngineNameClash[] = [];
  const reported = new Set<string>();
  const report = (later: Claim, earlier: { item: NamedItem; relation: string; role: string }) => {
    const pair = [earlier.item, later.item].map((i) => `${i.list}:${i.index}`).join('|');
    if (reported.has(pair)) return;
    reported.add(pair);
    const cased = earlier.relation === later.relation ? '' : ` ("${earlier.relation}" and "${later.relation}": the query engine ignores case)`;
    clashes.push({
      item: later.item,
      other: earlier.item,
      message: `"${later.relation}" would name both ${earlier.role} and ${later.role} in the query engine${cased}: rename one of them`,
    });
  };
  const owners = new Map<string, Claim>();
  for (const claim of claims) {
    const key = claim.relation.toLowerCase();
    const owner = owners.get(key);
    // Two items of one list with one name are duplicates, which the file's own checks report.
    const duplicate = owner !== undefined && owner.item.list === claim.item.list && owner.name === claim.name;
    if (owner && !same(owner.item, claim.item) && !duplicate) report(claim, owner);
    else if (!owner) owners.set(key, claim);
    // A name like "ds_raw_x__dropped_1" is one of dataset x's correction tables.
    const dropped = DROPPED.exec(key);
    const target = dropped ? datasetByName.get(dropped[1] as string) : undefined;
    if (target && !same(target, claim.item)) {
      const role = `a table of dataset "${target.name}"'s duplicate-row corrections`;
      report(claim, { item: { list: 'datasets', index: target.index }, relation: claim.relation, role });
    }
  }
  return clashes;
}

function nameOf(item: unknown): string | null {
  return item !== null && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' ? (item as { name: string }).name : null;
}

function same(a: NamedItem, b: NamedItem): boolean {
  return a.list === b.list && a.index === b.index;
}

/**
 * What is wrong with adding a source and a table dataset both named `name` (as "add a source"
 * does), judged by the engine's names: the message of its first clash, or null when it is free.
 */
export function newSourceNameClash(sources: readonly unknown[], datasets: readonly unknown[], name: string): string | null {
  const added = (item: NamedItem) => item.index === (item.list === 'sources' ? sources.length : datasets.length);
  const clash = engineNameClashes([...sources, { name }], [...datasets, { name }]).find((c) => added(c.item) || added(c.other));
  return clash?.message ?? null;
}
