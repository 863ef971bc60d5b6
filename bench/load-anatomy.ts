// npx tsx bench/load-anatomy.ts [--rows N]
//
// Where the time of loading a dataset goes in DuckDB-WASM (the pinned build, in Node: the same wasm
// as the app's worker, one thread), and how long the demo dashboard's first-paint queries take on
// the registered Parquet bytes themselves versus on the loaded table. A measurement, not a test:
// it prints milliseconds. The panel SQL is the runner's own (recorded from a native run of the
// bench dashboard), so the statements are the app's.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as duckdb from '@duckdb/duckdb-wasm';
import { loadDashboard } from '../dashboards/document';
import { projectedColumns } from '../queries/projection';
import { nodeBootstrap } from '../cli/engine-node';
import { ENGINE_CONFIG } from '../queries/engine/engine-settings';
import { BENCH_DIR, ensureOrders } from './data';
import { runNative } from './native';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '5000000' }, only: { type: 'string' } } });
const rows = Number(values.rows);
const only = values.only ? new Set(values.only.split(',')) : null;
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const file = await ensureOrders(rows, (l) => process.stderr.write(`${l}\n`));
  const bytes = readFileSync(file.path);
  const demo = loadDashboard(readFileSync(path.resolve(BENCH_DIR, '..', 'dashboards', 'examples', 'customer-kpis.dashboard.json'), 'utf8'));
  if (!demo.ok) throw new Error(demo.error.message);
  const native = await runNative(demo.dashboard, file.path);
  const later = native.statements.slice(native.loadStatementCount).map((s) => s.sql);
  const prep = native.statements.slice(0, native.loadStatementCount).map((s) => s.sql).filter((s) => !s.includes('"ds_raw_orders" AS') && !/^DROP/.test(s) && !s.includes(path.basename(file.path)));
  for (const s of native.statements.slice(0, native.loadStatementCount)) process.stderr.write(`load stmt: ${s.sql.slice(0, 120)}\n`);

  const boot = nodeBootstrap();
  // The Node build checks a registered name against the file system first: let it look (nothing is there).
  boot.allowReading([path.resolve('probe.parquet')]);
  const db = await boot.createDatabase({ log: () => {} }, () => {});
  await db.open(ENGINE_CONFIG);
  const conn = await db.connect();
  const timed = async (label: string, sql: string): Promise<number> => {
    const t = performance.now();
    await conn.query(sql);
    const ms = performance.now() - t;
    log(`${label.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms`);
    return ms;
  };
  const fresh = async (name: string) => {
    await db.registerFileBuffer(name, new Uint8Array(bytes));
  };
  log(`rows ${rows}, file ${(bytes.length / 1e6).toFixed(1)} MB, load avg ${os.loadavg()[0]?.toFixed(2)}`);
  await fresh('probe.parquet');
  const all = (await conn.query(`DESCRIBE SELECT * FROM read_parquet('probe.parquet')`)).toArray().map((r: { toJSON(): Record<string, unknown> }) => r.toJSON()) as { column_name: string; column_type: string }[];
  const cols = projectedColumns(demo.dashboard, demo.dashboard.datasets[0] as never, all.map((c) => c.column_name)) ?? all.map((c) => c.column_name);
  const list = cols.map((c) => `"${c}"`).join(', ');
  const src = `read_parquet('probe.parquet')`;
  const want = (k: string) => !only || only.has(k);

  if (want('load')) {
    await timed('load: CREATE TABLE (projected) AS SELECT', `CREATE OR REPLACE TABLE t AS SELECT ${list} FROM ${src}`);
    await timed('load again (warm wasm)', `CREATE OR REPLACE TABLE t AS SELECT ${list} FROM ${src}`);
    await conn.query('SET preserve_insertion_order = false');
    await timed('load, preserve_insertion_order=false', `CREATE OR REPLACE TABLE t AS SELECT ${list} FROM ${src}`);
    await conn.query('SET preserve_insertion_order = true');
    await timed('decode only: SELECT max() of every column', `SELECT ${cols.map((c) => `max("${c}")`).join(', ')} FROM ${src}`);
    await timed('copy only: CREATE TABLE AS SELECT from table t', `CREATE OR REPLACE TABLE t2 AS SELECT * FROM t`);
    await conn.query('DROP TABLE t2');
  }
  if (want('cols')) {
    for (const c of all) {
      await timed(`  load column ${c.column_name} (${c.column_type})`, `CREATE OR REPLACE TABLE c1 AS SELECT "${c.column_name}" FROM ${src}`);
      await timed(`  decode column ${c.column_name}`, `SELECT max("${c.column_name}") FROM ${src}`);
    }
    await conn.query('DROP TABLE IF EXISTS c1');
  }
  if (want('rg')) {
    // Per row group: the same rows in several statements (file_row_number ranges are not exposed in 0.9.1, so by a WHERE on order_id ranges).
    const parts = 4;
    const t0 = performance.now();
    await conn.query(`CREATE OR REPLACE TABLE p AS SELECT ${list} FROM ${src} LIMIT 0`);
    for (let i = 0; i < parts; i++) await conn.query(`INSERT INTO p SELECT ${list} FROM ${src} WHERE order_id % ${parts} = ${i}`);
    log(`${'load in 4 INSERT statements (filter order_id % 4)'.padEnd(58)} ${(performance.now() - t0).toFixed(0).padStart(6)} ms`);
    await conn.query('DROP TABLE p');
  }
  if (want('paint')) {
    // First paint over the table vs over the registered bytes: the same recorded statements.
    for (const mode of ['view', 'table', 'view'] as const) {
      const t0 = performance.now();
      await conn.query(`CREATE OR REPLACE ${mode === 'view' ? 'VIEW' : 'TABLE'} "ds_raw_orders" AS SELECT ${list} FROM ${src}`);
      const loadMs = performance.now() - t0;
      const per: string[] = [];
      for (const s of [...prep, ...later]) {
        const t = performance.now();
        await conn.query(s);
        per.push((performance.now() - t).toFixed(0));
      }
      log(`first paint on ${mode}: create ${loadMs.toFixed(0)} ms, then ${(performance.now() - t0 - loadMs).toFixed(0)} ms for ${prep.length}+${later.length} statements [${per.join(' ')}]`);
      await conn.query(`DROP ${mode === 'view' ? 'VIEW' : 'TABLE'} "ds_raw_orders" CASCADE`).catch(() => conn.query(`DROP ${mode === 'view' ? 'VIEW' : 'TABLE'} "ds_raw_orders"`));
    }
    for (const s of [...prep, ...later]) log(`  ${s.replace(/\s+/g, ' ').slice(0, 150)}`);
  }
  await conn.close();
  await db.terminate();
  boot.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
export type { duckdb };
