import { nodeBootstrap } from '../cli/engine-node';
import { ENGINE_CONFIG } from '../queries/engine/engine-settings';
async function main() {
  const boot = nodeBootstrap();
  const db = await boot.createDatabase({ log: () => {} }, () => {});
  await db.open(ENGINE_CONFIG);
  const c = await db.connect();
  await c.query(`CREATE TYPE "t x" AS ENUM (SELECT 'a' UNION SELECT 'b' ORDER BY 1)`);
  await c.query(`CREATE TABLE tb AS SELECT CAST('a' AS "t x") AS v`);
  try { await c.query(`DROP TYPE IF EXISTS "t x"`); console.log('dropped!'); } catch (e) { console.log('refused:', String(e).slice(0, 200)); }
  console.log((await c.query(`SELECT CAST(v AS VARCHAR) AS s, typeof(v) AS t FROM tb`)).toArray().map((r: any) => r.toJSON()));
  try { await c.query(`CREATE TYPE e0 AS ENUM (SELECT 'a' WHERE false)`); console.log('empty ok'); } catch (e) { console.log('empty refused', String(e).slice(0, 100)); }
  await db.terminate(); boot.dispose();
}
main();
