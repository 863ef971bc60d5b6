import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadDashboard } from '../dashboards/document';
import type { KpiPanel, TablePanel, ChartPanel, Dataset } from '../dashboards/schema';
import { nodeBootstrap } from '../cli/engine-node';
import { ENGINE_CONFIG } from '../queries/engine/engine-settings';
import { chartQuery, kpiBatchQuery, tableTopN, tableQuery, resolvePeriod, datasetStatsQuery, type DatasetContext } from '../queries/panel-queries';
import { ensureOrders } from '../bench/data';

const rows = Number(process.env.ROWS ?? 5000000);
async function main() {
  const file = await ensureOrders(rows, () => {});
  const bytes = readFileSync(file.path);
  const demo = loadDashboard(readFileSync('dashboards/examples/customer-kpis.dashboard.json', 'utf8'));
  if (!demo.ok) throw new Error('x');
  const d = demo.dashboard;
  const boot = nodeBootstrap();
  boot.allowReading([path.resolve('probe.parquet')]);
  const db = await boot.createDatabase({ log: () => {} }, () => {});
  await db.open(ENGINE_CONFIG);
  const conn = await db.connect();
  await db.registerFileBuffer('probe.parquet', new Uint8Array(bytes));
  const mode = process.env.MODE ?? 'table';
  let t0 = performance.now();
  await conn.query(`CREATE TABLE ds_orders AS SELECT order_id, order_ts, customer_id, region, country, city, channel, campaign, category, amount, quantity FROM read_parquet('probe.parquet')`);
  if (mode === 'view') { await conn.query(`DROP TABLE ds_orders`); await conn.query(`CREATE VIEW ds_orders AS SELECT order_id, order_ts, customer_id, region, country, city, channel, campaign, category, amount, quantity FROM read_parquet('probe.parquet')`); }
  console.log('load', (performance.now() - t0).toFixed(0));
  const q = async (sql: string) => { const t = performance.now(); const r = await conn.query(sql); return { ms: performance.now() - t, r }; };
  const ds = d.datasets[0] as Dataset;
  const cols = new Set(['order_id', 'order_ts', 'customer_id', 'region', 'country', 'city', 'channel', 'campaign', 'category', 'amount', 'quantity']);
  const base = { dataset: ds, table: 'ds_orders', columns: cols };
  const types = (await conn.query('DESCRIBE ds_orders')).toArray().map((r: any) => ({ name: r.column_name, type: r.column_type }));
  const st = datasetStatsQuery(base, types)!;
  const stats = st.read({ columns: [], rows: (await conn.query(st.sql.text)).toArray().map((r: any) => r.toJSON()) } as any);
  const period = resolvePeriod(d.timeRange, stats.newest, Date.now());
  const ctx: DatasetContext = { ...base, period, distinctBounds: stats.distinctBounds };
  const panels = d.panels;
  const kpis = panels.filter((p) => p.kind === 'kpi') as KpiPanel[];
  const charts = panels.filter((p) => p.kind === 'chart') as ChartPanel[];
  const table = panels.find((p) => p.kind === 'table') as TablePanel;
  const refines: Record<string, any> = {
    none: undefined,
    region: { members: [{ dimension: 'region', values: ['Europe'] }] },
    campaign: { members: [{ dimension: 'campaign', values: ['spring_sale'] }] },
  };
  const regions = (await conn.query(`SELECT region, count(*) FROM ds_orders GROUP BY 1`)).toArray().map((r: any) => r.toJSON());
  const camps = (await conn.query(`SELECT campaign, count(*) FROM ds_orders GROUP BY 1 ORDER BY 2 DESC`)).toArray().map((r: any) => r.toJSON());
  refines.region.members[0].values = [String(regions[0].region)];
  refines.campaign.members[0].values = [String(camps[1].campaign)];
  const variants: Record<string, (r: any) => string[]> = {
    kpi: (r) => [kpiBatchQuery(kpis, ctx, r).sql.text],
    kpiHash: (r) => [kpiBatchQuery(kpis, { ...ctx, distinctBounds: undefined }, r).sql.text],
    charts: (r) => charts.map((c) => chartQuery(c, ctx, r?.members?.[0]?.dimension === 'region' && c.id === 'revenue_by_region' ? { ...r, xDimension: 'country' } : r).text),
    topN: (r) => [tableTopN(table, ctx, r)!.cutoff.text],
    plainTable: (r) => [tableQuery(table, ctx, r).text],
  };
  for (let rep = 0; rep < 3; rep++) {
    for (const [rn, r] of Object.entries(refines)) {
      const line: string[] = [];
      for (const [vn, v] of Object.entries(variants)) {
        const ms: string[] = [];
        for (const s of v(r)) ms.push((await q(s)).ms.toFixed(0));
        line.push(`${vn} ${ms.join('+')}`);
      }
      console.log(rn.padEnd(9), line.join(' | '));
    }
  }
  if (process.env.SHOW) { for (const c of charts) console.log(chartQuery(c, ctx, c.id === "revenue_by_region" ? { ...refines.region, xDimension: "country" } : refines.region).text); console.log(kpiBatchQuery(kpis, ctx, refines.region).sql.text); console.log(tableTopN(table, ctx, refines.region)!.cutoff.text); }
  // experiments
  const exp = process.env.EXP;
  if (exp) for (const s of readFileSync(exp, 'utf8').split(';;')) { if (!s.trim()) continue; const a = await q(s); const b = /^\s*CREATE/.test(s) ? a : await q(s); if (process.env.PLAN && /EXPLAIN/.test(s)) console.log(String(a.r.toArray()[0].toJSON().explain_value)); console.log(a.ms.toFixed(0), b.ms.toFixed(0), a.r.numRows, s.replace(/\s+/g, ' ').slice(0, 150)); }
  await conn.close(); await db.terminate(); boot.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
