import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpisNative, queryNative } from '../e2e/oracle';
import {
  CAMPAIGNS,
  DEFAULT_OUT,
  DEFAULT_ROWS,
  END_DAY,
  PLANTED,
  START_DAY,
  generateOrders,
  generateOrdersParquet,
} from './demo-data';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = path.join(ROOT, 'cli/demo-data.ts');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const COMMITTED = DEFAULT_OUT;
const DAY_MS = 86_400_000;

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-demo-data-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const q = (sql: string, file = COMMITTED): Promise<Record<string, unknown>[]> => queryNative(file, sql);
const one = async (sql: string, file = COMMITTED): Promise<Record<string, unknown>> => {
  const rows = await q(sql, file);
  expect(rows).toHaveLength(1);
  return rows[0] as Record<string, unknown>;
};
const sqlList = (xs: readonly string[]): string => xs.map((x) => `'${x.replaceAll("'", "''")}'`).join(', ');

describe('generator determinism', () => {
  it('two runs with the same options write byte-identical files', async () => {
    const a = path.join(tmp, 'a.parquet');
    const b = path.join(tmp, 'b.parquet');
    await generateOrdersParquet({ rows: 5000, out: a });
    await generateOrdersParquet({ rows: 5000, out: b });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('the CLI (another process) writes the same bytes as the API', async () => {
    const api = path.join(tmp, 'api.parquet');
    const cli = path.join(tmp, 'cli.parquet');
    await generateOrdersParquet({ rows: 3000, out: api });
    const stdout = execFileSync(process.execPath, [TSX, SCRIPT, '--rows', '3000', '--out', cli], { cwd: os.tmpdir(), encoding: 'utf8' });
    expect(stdout).toContain(cli);
    expect(stdout).toMatch(/\d+ rows/);
    expect(readFileSync(api).equals(readFileSync(cli))).toBe(true);
  });

  it('generateOrders is pure: same rows on every call', () => {
    expect(generateOrders({ rows: 2000 })).toEqual(generateOrders({ rows: 2000 }));
  });

  it('the committed file is exactly what the default run produces', async () => {
    const fresh = path.join(tmp, 'default.parquet');
    await generateOrdersParquet({ out: fresh });
    expect(readFileSync(fresh).equals(readFileSync(COMMITTED))).toBe(true);
  });
});

describe('committed orders.parquet', () => {
  it('exists, 2-8 MB', () => {
    expect(existsSync(COMMITTED)).toBe(true);
    const bytes = statSync(COMMITTED).size;
    expect(bytes).toBeGreaterThan(2_000_000);
    expect(bytes).toBeLessThan(8_000_000);
  });

  it('has exactly the documented columns and types', async () => {
    const rows = await q('DESCRIBE orders');
    expect(rows.map((r) => [r.column_name, r.column_type])).toEqual([
      ['order_id', 'BIGINT'],
      ['order_ts', 'TIMESTAMP'],
      ['customer_id', 'BIGINT'],
      ['region', 'VARCHAR'],
      ['country', 'VARCHAR'],
      ['city', 'VARCHAR'],
      ['channel', 'VARCHAR'],
      ['campaign', 'VARCHAR'],
      ['category', 'VARCHAR'],
      ['amount', 'DOUBLE'],
      ['quantity', 'INTEGER'],
    ]);
  });

  it('row count, distinct orders and date range', async () => {
    const r = await one(`SELECT count(*) AS n, count(DISTINCT order_id) AS orders,
      strftime(min(order_ts), '%Y-%m-%d') AS first_day, strftime(max(order_ts), '%Y-%m-%d') AS last_day,
      count(DISTINCT order_ts::DATE) AS days FROM orders`);
    expect(r.orders).toBe(DEFAULT_ROWS);
    expect(r.n).toBeGreaterThan(300_000);
    expect(r.n).toBeLessThan(500_000);
    expect(r.first_day).toBe(START_DAY);
    expect(r.last_day).toBe(END_DAY);
    expect(r.days).toBe(731);
  });

  it('is sorted by order_ts, and order_id follows order_ts', async () => {
    const r = await one(`SELECT count(*) FILTER (WHERE order_ts < prev_ts OR order_id < prev_id) AS bad FROM (
      SELECT order_ts, order_id, lag(order_ts) OVER w AS prev_ts, lag(order_id) OVER w AS prev_id
      FROM read_parquet('${COMMITTED.replaceAll("'", "''")}', file_row_number = true) WINDOW w AS (ORDER BY file_row_number))`);
    expect(r.bad).toBe(0);
  });

  it('has no NULLs outside amount', async () => {
    const r = await one(`SELECT count(*) FILTER (WHERE order_id IS NULL OR order_ts IS NULL OR customer_id IS NULL OR region IS NULL
      OR country IS NULL OR city IS NULL OR channel IS NULL OR campaign IS NULL OR category IS NULL OR quantity IS NULL) AS n,
      min(quantity) AS qmin FROM orders`);
    expect(r.n).toBe(0);
    expect(r.qmin).toBeGreaterThanOrEqual(1);
  });

  it('region > country > city is a strict hierarchy of 4 regions, 12 countries, 32 cities', async () => {
    const r = await one(`SELECT count(DISTINCT region) AS regions, count(DISTINCT country) AS countries, count(DISTINCT city) AS cities,
      (SELECT count(*) FROM (SELECT city FROM orders GROUP BY city HAVING count(DISTINCT country) > 1)) AS bad_cities,
      (SELECT count(*) FROM (SELECT country FROM orders GROUP BY country HAVING count(DISTINCT region) > 1)) AS bad_countries
      FROM orders`);
    expect(r).toEqual({ regions: 4, countries: 12, cities: 32, bad_cities: 0, bad_countries: 0 });
  });

  it('has weekly and yearly patterns: weekends busier, ~20-40% yearly growth', async () => {
    const r = await one(`SELECT
      count(DISTINCT order_id) FILTER (WHERE dayofweek(order_ts) IN (0, 6)) / 2.0 AS weekend_per_day_type,
      count(DISTINCT order_id) FILTER (WHERE dayofweek(order_ts) BETWEEN 1 AND 5) / 5.0 AS weekday_per_day_type,
      count(DISTINCT order_id) FILTER (WHERE year(order_ts) = 2024) AS y2024,
      count(DISTINCT order_id) FILTER (WHERE year(order_ts) = 2025) AS y2025
      FROM orders`);
    expect(Number(r.weekend_per_day_type)).toBeGreaterThan(Number(r.weekday_per_day_type) * 1.1);
    const growth = Number(r.y2025) / Number(r.y2024);
    expect(growth).toBeGreaterThan(1.2);
    expect(growth).toBeLessThan(1.4);
  });

  it('Black Friday runs only in late November', async () => {
    const rows = await q(`SELECT DISTINCT strftime(order_ts, '%m') AS m FROM orders WHERE campaign = 'Black Friday'`);
    expect(rows).toEqual([{ m: '11' }]);
    const r = await one(`SELECT min(day(order_ts)) AS d FROM orders WHERE campaign = 'Black Friday'`);
    expect(r.d).toBeGreaterThanOrEqual(20);
  });

  describe('planted problems', () => {
    it('1. the duplicated day: its orders, and only they, appear twice as identical rows', async () => {
      const day = PLANTED.duplicatedDay;
      const r = await one(`SELECT
        (SELECT count(*) FROM (SELECT order_id FROM orders GROUP BY order_id HAVING count(*) > 1)) AS dup_ids,
        (SELECT count(*) FROM (SELECT order_id FROM orders GROUP BY order_id HAVING count(*) > 2)) AS more_than_two,
        (SELECT count(DISTINCT order_id) FROM orders WHERE order_ts::DATE = DATE '${day}') AS day_orders,
        (SELECT count(*) FROM orders WHERE order_ts::DATE = DATE '${day}') AS day_rows,
        (SELECT count(DISTINCT order_ts::DATE) FROM orders WHERE order_id IN
          (SELECT order_id FROM orders GROUP BY order_id HAVING count(*) > 1)) AS dup_days,
        (SELECT count(*) FROM (SELECT DISTINCT * FROM orders)) AS distinct_rows,
        (SELECT count(DISTINCT order_id) FROM orders) AS orders`);
      expect(r.dup_ids).toBe(r.day_orders);
      expect(Number(r.day_orders)).toBeGreaterThan(100);
      expect(r.day_rows).toBe(2 * Number(r.day_orders));
      expect(r.more_than_two).toBe(0);
      expect(r.dup_days).toBe(1);
      // The copies are identical rows: removing exact duplicates leaves one row per order.
      expect(r.distinct_rows).toBe(r.orders);
      // Inside the last 30 days of the data.
      expect(Date.parse(`${END_DAY}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)).toBeLessThan(30 * DAY_MS);
    });

    it('2. the misspelled campaign names, with the documented counts', async () => {
      const rows = await q(`SELECT campaign, count(*) AS n, min(order_ts::DATE)::VARCHAR AS first, max(order_ts::DATE)::VARCHAR AS last
        FROM orders WHERE campaign NOT IN (${sqlList(CAMPAIGNS)}) GROUP BY campaign ORDER BY n DESC, campaign`);
      expect(rows.map((r) => ({ value: r.campaign, count: r.n }))).toEqual(PLANTED.misspellings.map((m) => ({ ...m })));
      for (const r of rows) {
        expect(String(r.first) >= PLANTED.misspellingWindow.from).toBe(true);
        expect(String(r.last) <= PLANTED.misspellingWindow.to).toBe(true);
      }
    });

    it('3. the null spike: ~40% NULL amount on one day, none anywhere else', async () => {
      const rows = await q(`SELECT order_ts::DATE::VARCHAR AS day, count(*) AS n, count(*) FILTER (WHERE amount IS NULL) AS nulls
        FROM orders GROUP BY 1 HAVING count(*) FILTER (WHERE amount IS NULL) > 0`);
      expect(rows).toHaveLength(1);
      const r = rows[0] as Record<string, unknown>;
      expect(r.day).toBe(PLANTED.nullSpikeDay);
      expect(r.nulls).toBe(Math.round(PLANTED.nullSpikeFraction * Number(r.n)));
      expect(Number(r.nulls) / Number(r.n)).toBeGreaterThan(0.3);
    });

    it('4. the negative amounts, none on the other planted days', async () => {
      const r = await one(`SELECT count(*) AS n, count(DISTINCT order_ts::DATE) AS days,
        count(*) FILTER (WHERE order_ts::DATE IN (DATE '${PLANTED.duplicatedDay}', DATE '${PLANTED.nullSpikeDay}')) AS on_planted_days
        FROM orders WHERE amount < 0`);
      expect(r.n).toBe(PLANTED.negativeAmountCount);
      expect(r.days).toBe(PLANTED.negativeAmountCount);
      expect(r.on_planted_days).toBe(0);
      const zero = await one('SELECT count(*) AS n FROM orders WHERE amount = 0');
      expect(zero.n).toBe(0);
    });
  });
});

describe('--clean', () => {
  let clean = '';
  beforeAll(async () => {
    clean = path.join(tmp, 'clean.parquet');
    const res = await generateOrdersParquet({ clean: true, out: clean });
    expect(res.planted).toEqual({
      duplicatedDay: null,
      duplicatedRows: 0,
      nullSpikeDay: null,
      nullAmountRows: 0,
      misspellings: [],
      negativeAmountRows: 0,
    });
  });

  it('has none of the planted problems', async () => {
    const r = await one(
      `SELECT count(*) AS n, count(DISTINCT order_id) AS orders,
        count(*) FILTER (WHERE amount IS NULL) AS null_amounts,
        count(*) FILTER (WHERE amount <= 0) AS non_positive,
        count(*) FILTER (WHERE campaign NOT IN (${sqlList(CAMPAIGNS)})) AS misspelled
        FROM orders`,
      clean,
    );
    expect(r).toEqual({ n: DEFAULT_ROWS, orders: DEFAULT_ROWS, null_amounts: 0, non_positive: 0, misspelled: 0 });
  });

  it('is the same data otherwise: only the planted changes differ from the committed file', async () => {
    const r = await one(`WITH d AS (SELECT DISTINCT * FROM orders), c AS (SELECT * FROM read_parquet('${clean.replaceAll("'", "''")}'))
      SELECT
        (SELECT count(*) FROM c) AS clean_rows,
        count(*) AS joined,
        count(*) FILTER (WHERE d.order_ts <> c.order_ts OR d.customer_id <> c.customer_id OR d.city <> c.city
          OR d.region <> c.region OR d.country <> c.country OR d.channel <> c.channel OR d.category <> c.category
          OR d.quantity <> c.quantity) AS other_diffs,
        count(*) FILTER (WHERE d.campaign <> c.campaign) AS campaign_diffs,
        count(*) FILTER (WHERE d.amount IS NULL) AS nulled,
        count(*) FILTER (WHERE d.amount < 0 AND -d.amount = c.amount) AS negated,
        count(*) FILTER (WHERE d.amount IS NOT NULL AND d.amount >= 0 AND d.amount <> c.amount) AS amount_diffs
      FROM d JOIN c USING (order_id)`);
    expect(r.clean_rows).toBe(DEFAULT_ROWS);
    expect(r.joined).toBe(DEFAULT_ROWS);
    expect(r.other_diffs).toBe(0);
    expect(r.campaign_diffs).toBe(PLANTED.misspellings.reduce((s, m) => s + m.count, 0));
    expect(Number(r.nulled)).toBeGreaterThan(0);
    expect(r.negated).toBe(PLANTED.negativeAmountCount);
    expect(r.amount_diffs).toBe(0);
  });
});

describe('oracle (e2e/oracle.ts)', () => {
  it('computes sane KPIs on the committed file', async () => {
    for (const lastDays of [30, 90]) {
      const { current, previous } = await computeKpisNative(COMMITTED, lastDays);
      for (const k of [current, previous]) {
        expect(k.revenue).toBeGreaterThan(0);
        expect(k.orders).toBeGreaterThan(0);
        expect(k.aov).toBeCloseTo(k.revenue / k.orders, 9);
        expect(k.activeCustomers).toBeGreaterThan(0);
        expect(k.activeCustomers).toBeLessThanOrEqual(k.orders);
      }
    }
  });

  it('agrees with a computation in plain TypeScript over the generated rows', async () => {
    const { rows } = generateOrders();
    const end = Date.parse(`${END_DAY}T00:00:00Z`) + DAY_MS;
    const kpis = (from: number, to: number): { revenue: number; orders: number; activeCustomers: number } => {
      const inRange = rows.filter((r) => r.order_ts >= from && r.order_ts < to);
      return {
        revenue: inRange.reduce((s, r) => s + (r.amount ?? 0), 0),
        orders: new Set(inRange.map((r) => r.order_id)).size,
        activeCustomers: new Set(inRange.map((r) => r.customer_id)).size,
      };
    };
    const { current, previous } = await computeKpisNative(COMMITTED, 30);
    const expCur = kpis(end - 30 * DAY_MS, end);
    const expPrev = kpis(end - 60 * DAY_MS, end - 30 * DAY_MS);
    expect(current.orders).toBe(expCur.orders);
    expect(current.activeCustomers).toBe(expCur.activeCustomers);
    expect(current.revenue).toBeCloseTo(expCur.revenue, 4);
    expect(previous.orders).toBe(expPrev.orders);
    expect(previous.activeCustomers).toBe(expPrev.activeCustomers);
    expect(previous.revenue).toBeCloseTo(expPrev.revenue, 4);
  });

  it('queryNative exposes the file as the view orders, BIGINTs as numbers', async () => {
    const rows = await queryNative(COMMITTED, 'SELECT order_id, order_ts, amount FROM orders ORDER BY order_id LIMIT 1');
    expect(rows).toHaveLength(1);
    const r = rows[0] as Record<string, unknown>;
    expect(typeof r.order_id).toBe('number');
    expect(r.order_ts).toBeInstanceOf(Date);
    expect(typeof r.amount).toBe('number');
  });

  it('rejects a non-integer period', async () => {
    await expect(computeKpisNative(COMMITTED, 0)).rejects.toThrow();
    await expect(computeKpisNative(COMMITTED, 1.5)).rejects.toThrow();
  });
});
