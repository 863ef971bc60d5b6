import { DuckDBInstance } from '@duckdb/node-api';
async function main() {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  for (const f of ['bench/.cache/orders-5000000.parquet', 'bench/.cache/orders-25000000.parquet']) {
    const r = await db.runAndReadAll(`SELECT sum(amount)::DOUBLE AS rev, count(DISTINCT order_id) AS orders, count(*) AS n FROM read_parquet('${f}') WHERE order_ts >= TIMESTAMP '2025-12-02' AND order_ts < TIMESTAMP '2026-01-01'`);
    console.log(f, JSON.stringify(r.getRowObjectsJS(), (_k, v) => typeof v === 'bigint' ? Number(v) : v));
  }
}
main();
