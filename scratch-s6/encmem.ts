import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseParquetFooter } from '../queries/engine/prefetch';
import { encodableColumns, loadedMemoryBytes } from '../queries/memory-estimate';
async function main() {
  for (const f of ['dashboards/examples/data/orders.parquet', 'bench/.cache/orders-1000000.parquet', 'bench/.cache/orders-5000000.parquet']) {
    const bytes = readFileSync(f);
    const footer = parseParquetFooter(new Uint8Array(bytes), bytes.byteLength);
    const cols = [...encodableColumns(footer.chunks)];
    const plain = footer.chunks.reduce((n, c) => n + c.memoryBytes, 0);
    const enc = loadedMemoryBytes(footer.chunks, footer.numRows, 0);
    const db = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
    const used = async () => Number((await db.runAndReadAll('SELECT sum(memory_usage_bytes)::DOUBLE AS b FROM duckdb_memory()')).getRowObjectsJS()[0]!.b);
    for (const c of cols) await db.run(`CREATE TYPE "p ${c}" AS ENUM (SELECT DISTINCT "${c}" FROM read_parquet('${f}') WHERE "${c}" IS NOT NULL ORDER BY 1)`);
    let b = await used();
    await db.run(`CREATE TABLE e AS SELECT * REPLACE (${cols.map((c) => `CAST("${c}" AS "p ${c}") AS "${c}"`).join(', ')}) FROM read_parquet('${f}')`);
    const te = (await used()) - b;
    await db.run('DROP TABLE e');
    b = await used();
    await db.run(`CREATE TABLE p AS SELECT * FROM read_parquet('${f}')`);
    const tp = (await used()) - b;
    console.log(f, footer.numRows, 'plain est', (plain/1e6).toFixed(1), 'table', (tp/1e6).toFixed(1), 'enc est', (enc/1e6).toFixed(1), 'table', (te/1e6).toFixed(1), 'ratio', (enc/te).toFixed(2), (plain/tp).toFixed(2));
  }
}
main();
