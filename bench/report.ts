// The bench's output: the JSON shape the issue asks for (plus a few extra fields), and a table.
import os from 'node:os';
import type { InteractionResult } from './browser';

export interface Step {
  name: string;
  wasm_ms: number | null;
  native_ms: number | null;
  ratio: number | null;
}

interface Tasks {
  count: number;
  total_ms: number;
  max_ms: number;
}

export interface BenchReport {
  rows: number;
  file_bytes: number;
  latency_ms: number;
  engine: string;
  dashboard_open: { wasm_ms: number; native_ms: number; ratio: number | null };
  checks_done_ms: number | null;
  /** When the in-memory table built after first paint was in (navigation → end of its statement); clicks before it wait or read the bytes. */
  table_in_memory_ms: number | null;
  /**
   * `wasm_ms`: navigation → every panel drawn (from stored results of the last session when the data
   * is unchanged, marked "Updating…"); `live_ms`: → every panel answered by the engine on the loaded
   * data (no stored result left on screen); `stored_results_read`: results the stored entry held (0: none for this data).
   */
  warm_open: { wasm_ms: number; ratio_to_cold: number | null; live_ms: number | null; live_ratio_to_cold: number | null; stored_results_read: number; s3_requests: number; s3_bytes: number };
  /**
   * A cold open of the data in a profile that has run the app before (host caches cleared, the
   * profile's code caches kept); `dashboard_open` is the app's first launch (a fresh profile).
   */
  cold_data_open: { wasm_ms: number; ratio_to_native: number | null; s3_requests: number; s3_bytes: number };
  /** `next_clicks`: whether the app computed next clicks ahead; `from_cache`: clicks that asked the engine nothing. */
  interactions: { count: number; p50_ms: number; p95_ms: number; max_ms: number; next_clicks: 'on' | 'off'; from_cache: number };
  steps: Step[];
  s3: { requests: number; bytes: number; needed_bytes: number; over_read: number | null };
  memory: { renderer_rss_mb: number; duckdb_mb: number | null };
  /**
   * `load`, `warm_load` and `cold_data_load` up to all drawn; `load_after_drawn`, `warm_after_drawn`
   * and `cold_data_after_drawn` from then until the checks show their results (the in-memory table's
   * build and the checks run then; a warm re-open's engine starts then and its data loads again).
   */
  long_tasks: {
    load: Tasks;
    load_after_drawn: Tasks;
    queries: Tasks;
    warm_load: Tasks;
    warm_after_drawn: Tasks;
    cold_data_load: Tasks;
    cold_data_after_drawn: Tasks;
    described?: { load: string[]; queries: string[]; warm_load: string[]; cold_data_load: string[] };
  };
  used_columns: string[];
  wall_s: number;
  load_avg_1m: number;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`;
const num = (v: number | null) => (v === null ? '—' : v.toFixed(1));

export function formatReport(r: BenchReport, interactions: InteractionResult[]): string {
  const width = Math.max(...r.steps.map((s) => s.name.length), 30);
  const lines: string[] = [];
  const row = (name: string, a: string, b: string, c: string) => lines.push(`${name.padEnd(width)}  ${a.padStart(10)}  ${b.padStart(10)}  ${c.padStart(7)}`);
  lines.push(`Northstar bench: ${r.rows} orders, ${mb(r.file_bytes)} Parquet, S3 on loopback${r.latency_ms ? ` +${r.latency_ms} ms per request` : ''}`);
  lines.push(`engine: ${r.engine}`);
  lines.push('');
  row('step', 'wasm ms', 'native ms', 'ratio');
  row('-'.repeat(width), '-'.repeat(10), '-'.repeat(10), '-'.repeat(7));
  for (const s of r.steps) row(s.name, num(s.wasm_ms), num(s.native_ms), s.ratio === null ? '—' : `${s.ratio}×`);
  row('dashboard open (navigation → all drawn)', num(r.dashboard_open.wasm_ms), num(r.dashboard_open.native_ms), `${r.dashboard_open.ratio ?? '—'}×`);
  lines.push('');
  if (r.table_in_memory_ms !== null) lines.push(`in-memory table built: ${r.table_in_memory_ms} ms after navigation (panels drew from the fetched bytes before it)`);
  if (r.checks_done_ms !== null) lines.push(`data-quality checks shown: ${r.checks_done_ms} ms after navigation (interactions start after them)`);
  lines.push(
    `warm re-open: all drawn ${r.warm_open.wasm_ms} ms (${r.warm_open.ratio_to_cold ?? '—'}× cold; ${r.warm_open.stored_results_read} stored results read), ` +
      `live on the loaded data ${r.warm_open.live_ms ?? '—'} ms (${r.warm_open.live_ratio_to_cold ?? '—'}× cold), S3 ${r.warm_open.s3_requests} requests, ${mb(r.warm_open.s3_bytes)}`,
  );
  lines.push(
    `cold data re-open (host caches cleared, same profile: code caches kept): all drawn ${r.cold_data_open.wasm_ms} ms (${r.cold_data_open.ratio_to_native ?? '—'}× native), ` +
      `S3 ${r.cold_data_open.s3_requests} requests, ${mb(r.cold_data_open.s3_bytes)}`,
  );
  lines.push(
    `interactions (${r.interactions.count}, next clicks computed ahead: ${r.interactions.next_clicks}): p50 ${r.interactions.p50_ms} ms, p95 ${r.interactions.p95_ms} ms, max ${r.interactions.max_ms} ms; ` +
      `${r.interactions.from_cache} of ${r.interactions.count} answered from the result cache`,
  );
  const byLabel = new Map<string, number[]>();
  for (const i of interactions) byLabel.set(i.label, [...(byLabel.get(i.label) ?? []), i.ms]);
  for (const [label, ms] of byLabel) lines.push(`  ${label}: ${ms.map((m) => m.toFixed(0)).join(', ')} ms`);
  lines.push(`S3 (cold open): ${r.s3.requests} requests, ${mb(r.s3.bytes)}; needed ${mb(r.s3.needed_bytes)} (${r.s3.over_read ?? '—'}×)`);
  lines.push(`columns the dashboard uses (needed bytes are theirs): ${r.used_columns.join(', ')}`);
  lines.push(`memory: renderer RSS ${r.memory.renderer_rss_mb} MB; DuckDB tables ${r.memory.duckdb_mb ?? '—'} MB (native accounting of the same load)`);
  const t = r.long_tasks;
  lines.push(`long tasks > 50 ms: load ${t.load.count} (${t.load.total_ms} ms, max ${t.load.max_ms}); queries ${t.queries.count} (${t.queries.total_ms} ms, max ${t.queries.max_ms}); warm load ${t.warm_load.count} (${t.warm_load.total_ms} ms); cold data load ${t.cold_data_load.count} (${t.cold_data_load.total_ms} ms, max ${t.cold_data_load.max_ms})`);
  lines.push(`  after all drawn, until the checks' marks (0.5 s after their results): load ${t.load_after_drawn.count} (max ${t.load_after_drawn.max_ms} ms); warm load ${t.warm_after_drawn.count} (max ${t.warm_after_drawn.max_ms} ms); cold data load ${t.cold_data_after_drawn.count} (max ${t.cold_data_after_drawn.max_ms} ms)`);
  const described = Object.entries(t.described ?? {}).flatMap(([phase, tasks]) => tasks.map((x) => `  ${phase.replace(/_/g, ' ')}: ${x}`));
  if (described.length) lines.push('each long task (from navigation; the last mark of the renderer before it; the scripts that ran in it):', ...described);
  lines.push(`wall time ${r.wall_s} s; 1-minute load average at the end ${r.load_avg_1m} (on ${os.cpus().length} cores)`);
  return `${lines.join('\n')}\n`;
}
