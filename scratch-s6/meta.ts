import { readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeBootstrap } from '../cli/engine-node';
import { ENGINE_CONFIG } from '../queries/engine/engine-settings';
async function main() {
  const boot = nodeBootstrap();
  boot.allowReading([path.resolve('p.parquet')]);
  const db = await boot.createDatabase({ log: () => {} }, () => {});
  await db.open(ENGINE_CONFIG);
  const c = await db.connect();
  await db.registerFileBuffer('p.parquet', new Uint8Array(readFileSync(process.argv[2] ?? 'bench/.cache/orders-5000000.parquet')));
  const r = await c.query(`SELECT path_in_schema, type, count(*) AS groups, min(dictionary_page_offset IS NOT NULL) AS all_dict, max(data_page_offset - dictionary_page_offset) AS max_dict, min(data_page_offset - dictionary_page_offset) AS min_dict, max(encodings) AS enc, sum(num_values) AS vals FROM parquet_metadata('p.parquet') GROUP BY ALL ORDER BY 1`);
  for (const row of r.toArray()) console.log(JSON.stringify(row.toJSON(), (_k, v) => typeof v === 'bigint' ? Number(v) : v));
  await db.terminate(); boot.dispose();
}
main();
