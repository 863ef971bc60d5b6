/**
 * Independent KPI oracle for tests: hand-written SQL on native DuckDB (@duckdb/node-api), sharing no code
 * with Northstar's query builder, so a test can check what the app shows against a second computation.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { JS } from '@duckdb/node-api';

export interface Kpis {
  /** sum(amount); NULL amounts are ignored, duplicated rows count twice (no cleaning). */
  revenue: number;
  /** count(DISTINCT order_id) */
  orders: number;
  /** revenue / orders (0 when there are no orders) */
  aov: number;
  /** count(DISTINCT customer_id) */
  activeCustomers: number;
}

const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Converts DuckDB JS values to plain JSON-ish values: BIGINT/HUGEINT become numbers. */
function plain(v: JS): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x as JS)]));
  }
  return v;
}

/**
 * Runs `sql` on a fresh in-memory DuckDB where the Parquet file is the view `orders`.
 * Returns row objects; BIGINTs come back as numbers, TIMESTAMPs as Date, DOUBLE as number, NULL as null.
 */
export async function queryNative(parquetPath: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    try {
      await conn.run(`CREATE VIEW orders AS SELECT * FROM read_parquet(${sqlString(parquetPath)})`);
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJS().map((row) => plain(row) as Record<string, unknown>);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * The KPIs of the `lastDays` whole days ending on the newest day in the data, and of the period of the same
 * length right before it:
 *   end   = date_trunc('day', max(order_ts)) + 1 day   (exclusive)
 *   start = end - lastDays days                         (inclusive)
 *   previous = [start - lastDays days, start)
 * `where` is a SQL condition on the orders (test code, never user input), e.g. `region = 'EMEA'`.
 */
export async function computeKpisNative(parquetPath: string, lastDays: number, where = 'TRUE'): Promise<{ current: Kpis; previous: Kpis }> {
  if (!Number.isInteger(lastDays) || lastDays < 1) throw new Error(`lastDays must be a positive integer, got ${lastDays}`);
  const sql = `
    WITH bounds AS (
      SELECT date_trunc('day', max(order_ts)) + INTERVAL 1 DAY AS end_ts FROM orders
    ),
    periods AS (
      SELECT 'current' AS period, end_ts - INTERVAL ${lastDays} DAY AS start_ts, end_ts FROM bounds
      UNION ALL
      SELECT 'previous' AS period, end_ts - INTERVAL ${2 * lastDays} DAY AS start_ts, end_ts - INTERVAL ${lastDays} DAY AS end_ts FROM bounds
    )
    SELECT
      p.period,
      coalesce(sum(o.amount), 0)::DOUBLE AS revenue,
      count(DISTINCT o.order_id) AS orders,
      count(DISTINCT o.customer_id) AS active_customers
    FROM periods p
    LEFT JOIN orders o ON o.order_ts >= p.start_ts AND o.order_ts < p.end_ts AND (${where})
    GROUP BY p.period`;
  const rows = await queryNative(parquetPath, sql);
  const pick = (period: string): Kpis => {
    const row = rows.find((r) => r.period === period);
    if (!row) throw new Error(`oracle: no row for period ${period}`);
    const revenue = Number(row.revenue);
    const orders = Number(row.orders);
    return { revenue, orders, aov: orders > 0 ? revenue / orders : 0, activeCustomers: Number(row.active_customers) };
  };
  return { current: pick('current'), previous: pick('previous') };
}
