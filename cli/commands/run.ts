// `northstar run`: a dashboard's panels computed headless, by the app's own runner on the app's own
// pinned DuckDB-WASM (Node build), so scripts and CI see exactly the numbers the app shows.
import { savedFilterMembers } from '../../queries/filters';
import path from 'node:path';
import type { DashboardFile, DataPanel, Panel } from '../../dashboards/schema';
import {
  DEFAULT_MEMORY_BUDGET_BYTES,
  isDataPanel,
  runDashboardQueries,
  type DatasetRunState,
  type PanelRunState,
} from '../../queries/dashboard-runner';
import type { QueryResult, Row, Scalar } from '../../queries/engine/engine';
import type { PanelRefinement } from '../../queries/panel-queries';
import { HEADLESS_OPTIONS_HELP, headlessArgs, openForRun, parseOptions, withNodeEngine, type HeadlessArgs } from '../headless';
import { counted, printable, UsageError, type Command, type CommandIo } from './command';

interface RunArgs extends HeadlessArgs {
  /** Dimension name → the values kept (either of them). */
  filters: Map<string, string[]>;
  json: boolean;
}

/** One panel in the output: exactly the rows the panel shows, in the order the engine returns them. */
export interface PanelOutput {
  id: string;
  kind: Panel['kind'];
  title: string;
  rows: Row[];
}

const TEXT_ROW_CAP = 20;

export const runCommand: Command = {
  name: 'run',
  synopsis: 'run DASHBOARD [options] [--trust] [--json]',
  summary: "Compute a dashboard's panels headless and print their rows.",
  details: [
    'Runs every dataset and panel query of the dashboard the way the app does, on the same DuckDB-WASM',
    'build, and prints each panel (in layout order) with the rows it shows: a short table per panel, or',
    'with --json exactly { "panels": [{ "id", "kind", "title", "rows": [...] }] } (text and anomaly panels',
    'have no rows; timestamps are epoch milliseconds).',
    '',
    'Reads local files only, for now: S3 and URL sources must be rebound to a local copy.',
    ...HEADLESS_OPTIONS_HELP,
    '  --filter FIELD=VALUE keep rows whose dimension FIELD is VALUE, in every panel that follows the',
    '                       dashboard filters; repeat a FIELD to keep either value.',
    '  --json               print JSON instead of the text summary (which shows at most 20 rows a panel).',
    "  --raw                run on the data as loaded, without the file's corrections (to compare with the",
    '                       corrected numbers). Without it, each dataset is read through its corrections, in',
    '                       file order; a correction that cannot be applied is left out with a warning.',
    '',
    'Exit 0 when every panel has its rows, 1 when the file cannot be loaded, is not trusted to run its SQL,',
    'or any dataset or panel fails (each failure is printed to stderr as `PANEL_ID: message`, and nothing to',
    'stdout), 2 on usage errors.',
  ].join('\n'),
  async run(args, io) {
    const opts = parseRunArgs(args);
    const dashboard = await openForRun(opts, io);
    if (!dashboard) return 1;
    checkFiltersAgainst(dashboard, opts, io);

    const outcome = await runHeadless(dashboard, path.dirname(path.resolve(opts.dashboard)), opts);
    for (const line of correctionWarnings(outcome.datasets.values())) io.stderr(`northstar: warning: ${printable(line)}\n`);
    const failures = describeFailures(dashboard, outcome);
    if (failures.length > 0) {
      for (const line of failures) io.stderr(`${printable(line)}\n`);
      const failed = dashboard.panels.filter(isDataPanel).filter((p) => outcome.panels.get(p.id)?.status !== 'ready').length;
      io.stderr(`northstar: ${printable(opts.dashboard)}: ${failed} of ${dashboard.panels.filter(isDataPanel).length} data panels failed\n`);
      return 1;
    }
    const panels = panelOutputs(dashboard, outcome.panels);
    io.stdout(opts.json ? `${JSON.stringify({ panels }, null, 2)}\n` : formatText(dashboard, panels, outcome));
    return 0;
  },
};

/** Corrections a run left out (each message names the correction), to warn about: the numbers are not what the file means. */
export function correctionWarnings(states: Iterable<DatasetRunState>): string[] {
  const lines: string[] = [];
  for (const state of states) if (state.status === 'ready') for (const p of state.corrections?.problems ?? []) lines.push(`${p.message} (left out)`);
  return lines;
}

function parseRunArgs(args: readonly string[]): RunArgs {
  const parsed = parseOptions(args, ['--source', '--filter', '--as-of'], ['--json', '--raw', '--trust']);
  const filters = new Map<string, string[]>();
  const common = headlessArgs('run', parsed, (_flag, value) => {
    // Only --filter is left: FIELD=VALUE, repeated to keep either value.
    const split = value.indexOf('=');
    if (split <= 0) throw new UsageError(`--filter needs FIELD=VALUE, not ${printable(JSON.stringify(value))}`);
    const name = value.slice(0, split);
    const values = filters.get(name) ?? [];
    if (!values.includes(value.slice(split + 1))) values.push(value.slice(split + 1));
    filters.set(name, values);
  });
  return { ...common, filters, json: parsed.switches.has('--json') };
}

/** Filter names must exist in the file: a typo should not silently run unfiltered. */
function checkFiltersAgainst(dashboard: DashboardFile, opts: RunArgs, io: CommandIo): void {
  const dimensions = [...new Set(dashboard.datasets.flatMap((d) => d.dimensions.map((x) => x.name)))];
  for (const field of opts.filters.keys()) {
    if (!dimensions.includes(field)) {
      throw new UsageError(`--filter: no dataset has a dimension ${printable(JSON.stringify(field))}; known dimensions: ${listOrNone(dimensions)}`);
    }
    const applies = dashboard.panels.filter(isDataPanel).some((p) => p.followFilters && datasetDimensions(dashboard, p).has(field));
    if (!applies) io.stderr(`northstar: warning: --filter ${printable(field)} applies to no panel (none that follows filters reads a dataset with that dimension)\n`);
  }
}

const listOrNone = (names: string[]) => (names.length ? names.map((n) => printable(n)).join(', ') : '(none)');

function datasetDimensions(dashboard: DashboardFile, panel: DataPanel): Set<string> {
  const dataset = dashboard.datasets.find((d) => d.name === panel.dataset);
  return new Set(dataset?.dimensions.map((d) => d.name) ?? []);
}

/** What narrows a panel headless: the file's saved filters with each --filter replacing the saved one on its dimension. */
function refinementFor(panel: DataPanel, dashboard: DashboardFile, cliFilters: Map<string, string[]>): PanelRefinement | undefined {
  const members = savedFilterMembers(panel, dashboard, cliFilters);
  return members.length > 0 ? { members } : undefined;
}

interface RunOutcome {
  datasets: Map<string, DatasetRunState>;
  panels: Map<string, PanelRunState>;
  /** Sources that could not be linked, by name (a SQL dataset's error may hide these). */
  sources: Map<string, string>;
}

async function runHeadless(dashboard: DashboardFile, dashboardDir: string, opts: RunArgs): Promise<RunOutcome> {
  const outcome: RunOutcome = { datasets: new Map(), panels: new Map(), sources: new Map() };
  await withNodeEngine(
    async (engine, linkSource) => {
      const refine = (panel: DataPanel) => refinementFor(panel, dashboard, opts.filters);
      await runDashboardQueries(
        engine,
        dashboard,
        {
          async linkSource(source) {
            try {
              return await linkSource(source);
            } catch (err) {
              outcome.sources.set(source.name, (err as Error).message);
              throw err;
            }
          },
          onDataset: (name, state) => outcome.datasets.set(name, state),
          onPanel: (id, state) => outcome.panels.set(id, state),
        },
        // Trusted: openForRun refused a file with SQL that neither --trust nor this machine trusts.
        { trusted: true, now: opts.asOf ?? Date.now(), refine, raw: opts.raw, memoryBudgetBytes: DEFAULT_MEMORY_BUDGET_BYTES },
      );
    },
    { dashboardDir, rebound: opts.sources },
  );
  return outcome;
}

/**
 * Every failure, most specific first: sources, then datasets, then `PANEL_ID: message` per panel.
 * Empty when every data panel has its rows (a SQL dataset may link a source it does not read).
 */
function describeFailures(dashboard: DashboardFile, outcome: RunOutcome): string[] {
  const datasetNames = new Set(dashboard.datasets.map((d) => d.name));
  const panelLines: string[] = [];
  for (const panel of inLayoutOrder(dashboard).filter(isDataPanel)) {
    const state = outcome.panels.get(panel.id);
    if (state?.status === 'ready') continue;
    let message: string;
    if (state?.status === 'error' || state?.status === 'waiting') message = state.message;
    else if (!datasetNames.has(panel.dataset)) message = `the dashboard has no dataset "${panel.dataset}".`;
    else message = 'the panel did not finish running.';
    panelLines.push(`${panel.id}: ${message}`);
  }
  const datasetErrors = [...outcome.datasets].filter(([, state]) => state.status === 'error');
  if (panelLines.length === 0 && datasetErrors.length === 0) return [];
  const lines: string[] = [];
  const said = new Set<string>();
  for (const [name, message] of outcome.sources) {
    lines.push(`source ${name}: ${message}`);
    said.add(message);
  }
  for (const [name, state] of datasetErrors) {
    if (state.status === 'error' && !said.has(state.message)) lines.push(`dataset ${name}: ${state.message}`);
  }
  return [...lines, ...panelLines];
}

/** Panels in reading order of the grid (top to bottom, left to right); panels without a place come last. */
function inLayoutOrder(dashboard: DashboardFile): Panel[] {
  const place = new Map(dashboard.layout.map((item, index) => [item.panel, { y: item.y, x: item.x, index }]));
  const rank = (p: Panel) => place.get(p.id) ?? { y: Infinity, x: Infinity, index: Infinity };
  return dashboard.panels
    .map((panel, index) => ({ panel, index }))
    .sort((a, b) => {
      const ra = rank(a.panel);
      const rb = rank(b.panel);
      return ra.y - rb.y || ra.x - rb.x || ra.index - rb.index || a.index - b.index;
    })
    .map((p) => p.panel);
}

function panelOutputs(dashboard: DashboardFile, states: Map<string, PanelRunState>): PanelOutput[] {
  return inLayoutOrder(dashboard).map((panel) => {
    const state = states.get(panel.id);
    const rows = isDataPanel(panel) && state?.status === 'ready' ? shownRows(panel, state.result) : [];
    return { id: panel.id, kind: panel.kind, title: panel.title, rows };
  });
}

/**
 * The result rows with keys in column order. A KPI's two rows come from a GROUP BY without ORDER BY:
 * put "current" first so the output does not change from run to run.
 */
function shownRows(panel: DataPanel, result: QueryResult): Row[] {
  const rows = result.rows.map((row) => Object.fromEntries(result.columns.map((c) => [c.name, row[c.name] ?? null])) as Row);
  if (panel.kind !== 'kpi') return rows;
  const order = (row: Row) => (row.period === 'current' ? 0 : row.period === 'previous' ? 1 : 2);
  return rows.map((row, index) => ({ row, index })).sort((a, b) => order(a.row) - order(b.row) || a.index - b.index).map((r) => r.row);
}

// ---- Text output ------------------------------------------------------------------------------

function formatText(dashboard: DashboardFile, panels: PanelOutput[], outcome: RunOutcome): string {
  const out: string[] = [printable(dashboard.title)];
  for (const [name, state] of outcome.datasets) {
    if (state.status !== 'ready') continue;
    const period = state.period
      ? `, period ${day(state.period.start)} to ${day(state.period.end - 1)} (${counted(state.period.days, 'day')}; previous from ${day(state.period.previousStart)})`
      : '';
    out.push(`  dataset ${printable(name)}: ${counted(state.rowCount, 'row')} from ${printable(state.location)}${period}`);
  }
  const byId = new Map(dashboard.panels.map((p) => [p.id, p]));
  for (const panel of panels) {
    out.push('', `${printable(panel.title)}  [${panel.id}, ${panel.kind}]`);
    const spec = byId.get(panel.id);
    const state = outcome.panels.get(panel.id);
    if (!spec || !isDataPanel(spec)) {
      out.push(`  (no rows: ${panel.kind} panels do not read a dataset)`);
      continue;
    }
    if (state?.status !== 'ready' || panel.rows.length === 0) {
      out.push('  (no rows)');
      continue;
    }
    // A time chart's x is a bucket start in epoch ms (a DOUBLE); timestamp columns come typed.
    const timeX = spec.kind === 'chart' && spec.x.type === 'time';
    const columns = state.result.columns.map((c) => ({ name: c.name, time: (timeX && c.name === 'x') || /^(Timestamp|Date)/.test(c.type) }));
    out.push(...textTable(columns, panel.rows));
  }
  return `${out.join('\n')}\n`;
}

function textTable(columns: { name: string; time: boolean }[], rows: Row[]): string[] {
  const shown = rows.slice(0, TEXT_ROW_CAP);
  // Whole-number columns (ids, counts) print as they are; others with two decimals, so points line up.
  const decimals = columns.map((c) => (shown.every((row) => typeof row[c.name] !== 'number' || Number.isInteger(row[c.name])) ? 0 : 2));
  const cells = shown.map((row) => columns.map((c, i) => cell(row[c.name] ?? null, c.time, decimals[i] ?? 0)));
  const rightAligned = columns.map((c) => !c.time && shown.some((row) => typeof row[c.name] === 'number'));
  const widths = columns.map((c, i) => Math.max(printable(c.name).length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    `  ${values.map((v, i) => (rightAligned[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  const lines = [line(columns.map((c) => printable(c.name))), ...cells.map(line)];
  if (rows.length > shown.length) lines.push(`  … ${rows.length - shown.length} more rows (--json prints them all)`);
  return lines;
}

function cell(value: Scalar, time: boolean, decimals: number): string {
  if (value === null) return 'null';
  if (typeof value === 'number' && time) {
    const iso = new Date(value).toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
  }
  if (typeof value === 'number') return value.toFixed(decimals);
  const text = printable(String(value));
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
