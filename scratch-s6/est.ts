import { readFileSync, statSync, openSync, readSync } from 'node:fs';
import { parseParquetFooter } from '../queries/engine/prefetch';
import { loadedMemoryBytes } from '../queries/memory-estimate';
for (const n of [5, 15, 20, 25, 30, 40]) {
  const f = `bench/.cache/orders-${n}000000.parquet`;
  const size = statSync(f).size; const buf = Buffer.alloc(1 << 20); const fd = openSync(f, 'r'); readSync(fd, buf, 0, buf.length, size - buf.length);
  const footer = parseParquetFooter(new Uint8Array(buf), size);
  console.log(n, (loadedMemoryBytes(footer.chunks, footer.numRows) / 2 ** 30).toFixed(2), 'GiB', (footer.chunks.reduce((a, c) => a + c.memoryBytes, 0) / 2 ** 30).toFixed(2));
}
