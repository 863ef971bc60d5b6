// The SQL a dashboard file brings of its own: SQL datasets and custom_sql checks. It runs with the
// reader's credentials, so it runs only once the reader trusts the file (the app's review, the
// CLI's --trust), and trust given to one document covers another only if their SQL is the same.
import type { DashboardFile } from './schema';

/** One piece of authored SQL: what it belongs to ("dataset orders") and its text. */
export interface AuthoredSql {
  what: string;
  sql: string;
}

/** Every piece of SQL the file brings of its own, in file order (datasets, then checks). */
export function authoredSql(dashboard: DashboardFile): AuthoredSql[] {
  const out: AuthoredSql[] = [];
  for (const d of dashboard.datasets) if (d.kind === 'sql') out.push({ what: `dataset ${JSON.stringify(d.name)}`, sql: d.sql });
  for (const c of dashboard.checks) {
    if (c.rule !== 'custom_sql') continue;
    const sql = c.params.sql;
    out.push({ what: `check ${JSON.stringify(c.id)}`, sql: typeof sql === 'string' ? sql : JSON.stringify(sql ?? null) });
  }
  return out;
}

/** True when both documents bring exactly the same SQL, attached to the same datasets and checks. */
export function sameAuthoredSql(a: DashboardFile, b: DashboardFile): boolean {
  return JSON.stringify(authoredSql(a)) === JSON.stringify(authoredSql(b));
}
