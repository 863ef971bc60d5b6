// The prefetch on real files over a real HTTP server (which counts what it sends), its footer
// parser against DuckDB's own reading of the same footers, and the fetched bytes loaded into the
// pinned DuckDB-WASM (its Node build) against native DuckDB over the whole file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../../cli/engine-node';
import { createTableAs, ident, readFile, Sql, str } from '../sql';
import { Engine } from './engine';
import { canPrefetch, footerOnlyFile, PACE_MS, parseParquetFooter, prefetchParquet, PrefetchError, readFooters, type WindowFiles, type WindowPlan } from './prefetch';
import { chunkMemoryBytes } from '../memory-estimate';

const DEMO = path.join(__dirname, '..', '..', 'dashboards', 'examples', 'data', 'orders.parquet');

let dir: string;
let native: DuckDBInstance;
let conn: DuckDBConnection;
/** A Parquet file with many row groups, a nested column and a column no test projection wants. */
let file: string;
let bytes: Uint8Array;
let server: http.Server;
let base: string;
/** What the server answered, one entry per request. */
let served: { range: string; status: number; bytes: number }[] = [];

async function nativeRows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'northstar-prefetch-'));
  native = await DuckDBInstance.create(':memory:');
  conn = await native.connect();
  file = path.join(dir, 'wide.parquet');
  await conn.run(
    `COPY (SELECT i AS id, 'name ' || (i % 977) AS name, {'x': i, 'y': i * 2} AS point, random() AS noise, (i * 7919) % 100003 AS amount
           FROM range(300000) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 50000)`,
  );
  bytes = new Uint8Array(readFileSync(file));
  server = http.createServer((req, res) => {
    const body = req.url === '/demo.parquet' ? readFileSync(DEMO) : req.url === '/wide.parquet' || req.url === '/no-ranges.parquet' ? bytes : null;
    const range = String(req.headers.range ?? '');
    const reply = (status: number, headers: Record<string, string>, data: Uint8Array) => {
      served.push({ range, status, bytes: data.length });
      res.writeHead(status, { 'Content-Length': String(data.length), ...headers });
      res.end(data);
    };
    if (!body) return reply(404, {}, new Uint8Array());
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    if (!m || req.url === '/no-ranges.parquet') return reply(200, {}, body);
    const size = body.length;
    const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
    const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
    reply(206, { 'Content-Range': `bytes ${start}-${end}/${size}` }, body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  conn?.closeSync();
  native?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('parseParquetFooter', () => {
  it('finds every column chunk where DuckDB says it is, with the rows and top-level columns', async () => {
    for (const f of [file, DEMO]) {
      const data = new Uint8Array(readFileSync(f));
      const footer = parseParquetFooter(data, data.length);
      const meta = await nativeRows(
        `SELECT path_in_schema, coalesce(dictionary_page_offset, data_page_offset) AS "start", total_compressed_size AS "length", "type", num_values, total_uncompressed_size, compression FROM parquet_metadata('${f}')`,
      );
      expect(footer.chunks.map((c) => [c.start, c.length])).toEqual(meta.map((r) => [Number(r.start), Number(r.length)]));
      // Each chunk's memory estimate from its type, values and uncompressed size as native DuckDB reads them; all codecs readable.
      expect(footer.chunks.map((c) => c.memoryBytes)).toEqual(meta.map((r) => chunkMemoryBytes(String(r.type), Number(r.num_values), Number(r.total_uncompressed_size))));
      expect(meta.every((r) => ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD'].includes(String(r.compression)))).toBe(true);
      expect(footer.chunks.every((c) => c.readable)).toBe(true);
      const [{ n }] = (await nativeRows(`SELECT count(*) AS n FROM '${f}'`)) as [{ n: unknown }];
      expect(footer.numRows).toBe(Number(n));
      const described = await nativeRows(`DESCRIBE SELECT * FROM '${f}'`);
      expect(footer.columns).toEqual(described.map((r) => String(r.column_name)));
    }
    // The nested column's two leaf chunks belong to its top-level name.
    const wide = parseParquetFooter(bytes, bytes.length);
    expect(wide.chunks.filter((c) => c.column === 'point')).toHaveLength(2 * 6);
  });

  it('marks chunks in a codec the engine cannot decode', () => {
    const brotli = path.resolve(__dirname, '../../../shared/data/parquet-testing/data/large_string_map.brotli.parquet');
    const data = new Uint8Array(readFileSync(brotli));
    const footer = parseParquetFooter(data, data.length);
    expect(footer.chunks.length).toBeGreaterThan(0);
    expect(footer.chunks.every((c) => !c.readable)).toBe(true);
  });

  it('refuses what is not a Parquet footer, in words', () => {
    expect(() => parseParquetFooter(new TextEncoder().encode('order_id,amount\n1,2\n3,4\n'), 25)).toThrow(/not a Parquet file/);
    const broken = bytes.slice();
    broken.fill(0xff, broken.length - 2000, broken.length - 8);
    expect(() => parseParquetFooter(broken, broken.length)).toThrow(PrefetchError);
  });
});

describe('footerOnlyFile', () => {
  it('answers columns, count(*) and parquet_metadata exactly as the whole file does, and refuses to read data', async () => {
    const corpus = path.resolve(__dirname, '../../../shared/data/parquet-testing/data');
    // Many row groups and a struct; legacy nested files whose footer declares other row counts than the data holds (0 for 6).
    const files = [file, DEMO, path.join(corpus, 'repeated_no_annotation.parquet'), path.join(corpus, 'nested_lists.snappy.parquet'), path.join(corpus, 'alltypes_plain.parquet')];
    const boot: NodeEngineBootstrap = nodeBootstrap();
    boot.allowReading(files.flatMap((_, i) => [`whole-${i}.parquet`, `footer-${i}.parquet`]));
    const engine = await Engine.start(boot);
    try {
      for (const [i, f] of files.entries()) {
        const whole = new Uint8Array(readFileSync(f));
        const footer = footerOnlyFile(whole.subarray(whole.length - Math.min(whole.length, 256 * 1024)), whole.length);
        expect(footer.length).toBeLessThan(whole.length);
        await engine.registerFile(`whole-${i}.parquet`, whole);
        await engine.registerFile(`footer-${i}.parquet`, footer);
        const ask = async (name: string) => ({
          columns: (await engine.query(Sql.concat('DESCRIBE SELECT * FROM ', readFile(name, 'parquet')))).rows,
          count: (await engine.query(Sql.concat('SELECT count(*) AS "n" FROM ', readFile(name, 'parquet')))).rows,
          metadata: (await engine.query(Sql.concat('SELECT * EXCLUDE (file_name) FROM parquet_metadata(', str(name), ')'))).rows,
        });
        expect(await ask(`footer-${i}.parquet`), f).toEqual(await ask(`whole-${i}.parquet`));
        // Data is nowhere in it: a read of values fails, it never answers.
        await expect(engine.query(Sql.concat('SELECT * FROM ', readFile(`footer-${i}.parquet`, 'parquet'), ' ORDER BY ALL')), f).rejects.toThrow();
      }
    } finally {
      await engine.terminate();
      boot.dispose();
    }
  }, 60_000);
});

describe('prefetchParquet', () => {
  it('fetches a whole file byte-exactly in a few large reads, reporting progress', async () => {
    served = [];
    const seen: number[] = [];
    // The footers' parse and the work they start are two tasks: the page gets one in between.
    const order: string[] = [];
    const got = await prefetchParquet([`${base}/wide.parquet`], {
      onProgress: (p) => seen.push(p.bytesDone),
      nextTask: async () => void order.push(`next task after ${served.length} read`),
      choose: () => (order.push('footers read'), null),
    });
    expect(order.slice(0, 2)).toEqual(['next task after 1 read', 'footers read']);
    // Any later task breaks are the copy's (see the test below).
    expect(order.slice(2).every((o) => o.startsWith('next task'))).toBe(true);
    expect(got.columns).toBeNull();
    expect(Buffer.from(got.files[0]?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
    expect(got.rows).toBe(300000);
    // The footer read, then chunks of at least 4 MiB: never hundreds of small reads.
    expect(served.length).toBeLessThanOrEqual(1 + Math.ceil(bytes.length / (4 * 1024 ** 2)));
    expect(served.reduce((n, s) => n + s.bytes, 0)).toBe(bytes.length);
    expect(got.bytesFetched).toBe(bytes.length);
    expect(seen[0]).toBe(256 * 1024);
    expect(seen[seen.length - 1]).toBe(bytes.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('copies bytes that are all there already in tasks of at most PACE_MS, not in one long one', async () => {
    // Every response's body is in its stream before it is read (as from the gateway's disk cache):
    // each read answers at once, in a microtask, with no task boundary between them.
    const preloaded: typeof fetch = async (_input, init) => {
      const m = /^bytes=(\d*)-(\d*)$/.exec(new Headers(init?.headers).get('Range') ?? '');
      if (!m) throw new Error('a read without a range');
      const size = bytes.length;
      const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
      const data = bytes.slice(start, end + 1);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < data.length; at += 64 * 1024) controller.enqueue(data.slice(at, at + 64 * 1024));
          controller.close();
        },
      });
      return new Response(body, { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(data.length) } });
    };
    // Each chunk takes 2 ms of work here; the run of chunks between two task breaks is counted.
    const runs: number[] = [];
    let run = 0;
    const got = await prefetchParquet([`${base}/wide.parquet`], {
      fetch: preloaded,
      onProgress: () => {
        const until = performance.now() + 2;
        while (performance.now() < until);
        run += 1;
      },
      nextTask: async () => {
        runs.push(run);
        run = 0;
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    });
    runs.push(run);
    expect(Buffer.from(got.files[0]?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
    const chunks = runs.reduce((a, b) => a + b, 0);
    expect(chunks).toBeGreaterThan(20);
    // Between two breaks: PACE_MS of chunks, give or take a few (the chunk that starts a task's
    // clock, the one that crosses it, a read resolved meanwhile), never twice that; without the
    // breaks, 113 chunks (over 230 ms) went in one task.
    expect(Math.max(...runs) * 2).toBeLessThanOrEqual(2 * PACE_MS);
  });

  it('fetches only the footer and the chosen columns, and DuckDB-WASM loads them with the same numbers as native', async () => {
    served = [];
    const offered: string[][] = [];
    const got = await prefetchParquet([`${base}/wide.parquet`], {
      choose: (columns) => {
        offered.push(columns);
        return ['id', 'amount'];
      },
    });
    expect(offered).toEqual([['id', 'name', 'point', 'noise', 'amount']]);
    const footer = parseParquetFooter(bytes, bytes.length);
    const needed = footer.chunks.filter((c) => c.column === 'id' || c.column === 'amount').reduce((n, c) => n + c.length, 0);
    const sent = served.reduce((n, s) => n + s.bytes, 0);
    expect(sent).toBe(got.bytesFetched);
    // Needed bytes plus the first read from the end of the file (the footer and whatever precedes it in 256 KiB).
    expect(sent).toBeLessThanOrEqual(needed + 256 * 1024);
    expect(sent).toBeLessThan(bytes.length * 0.6);

    const boot: NodeEngineBootstrap = nodeBootstrap();
    // The CLI's engine thread opens only allowed paths, and DuckDB-WASM's Node build asks its file
    // system about a registered name too (the browser build answers from the registered buffer).
    boot.allowReading(['northstar-load-test.parquet']);
    const engine = await Engine.start(boot);
    try {
      const buffer = got.files[0]?.bytes as Uint8Array;
      await engine.registerFile('northstar-load-test.parquet', buffer);
      const from = readFile('northstar-load-test.parquet', 'parquet');
      await engine.exec(createTableAs('t', Sql.concat('SELECT ', Sql.join(['id', 'amount'].map(ident)), ' FROM ', from)));
      await engine.dropFile('northstar-load-test.parquet');
      const wasm = (await engine.query(Sql.concat('SELECT count(*) AS "n", sum("id") AS "ids", sum("amount") AS "amount" FROM "t"'))).rows[0];
      const [truth] = await nativeRows(`SELECT count(*) AS n, sum(id) AS ids, sum(amount) AS amount FROM '${file}'`);
      expect(wasm).toEqual({ n: Number(truth?.n), ids: Number(truth?.ids), amount: Number(truth?.amount) });
      expect((await engine.describe('t')).map((c) => c.name)).toEqual(['id', 'amount']);
      // describe() reads table_info (fast): the same names and types as DESCRIBE.
      const described = (await engine.query(Sql.concat('DESCRIBE ', ident('t')))).rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      expect(await engine.describe('t')).toEqual(described);
      // Dropped: the name no longer reads as the file.
      await expect(engine.query(Sql.concat('SELECT count(*) FROM ', from))).rejects.toThrow();
    } finally {
      await engine.terminate();
      boot.dispose();
    }
  }, 60_000);

  it('fetches a first paint\'s row groups first, and hands over a file of them before the rest arrives', async () => {
    // Time-ordered rows in 30 row groups of about a week each: the last days lie in the last few.
    const timed = path.join(dir, 'timed.parquet');
    // A text column of hashes makes the file big enough for the rest to be several requests.
    await conn.run(`COPY (SELECT i AS id, TIMESTAMP '2025-01-01' + to_minutes(i) AS ts, 'c' || (i % 13) AS city, (i * 7919) % 100003 AS amount, md5(i::VARCHAR) AS h FROM range(300000) t(i)) TO '${timed}' (FORMAT parquet, ROW_GROUP_SIZE 10240)`);
    const data = new Uint8Array(readFileSync(timed));
    const footer = parseParquetFooter(data, data.length);
    const [{ newest }] = (await nativeRows(`SELECT epoch_ms(max(ts)) AS newest FROM '${timed}'`)) as [{ newest: bigint }];
    // 30 days: the last five row groups, over 1 MiB in all, so they come in more than one piece.
    const from = Number(newest) - 30 * 86_400_000;
    for (const columns of [['ts', 'amount'], null]) {
      // Answers outside the first paint's row groups wait until it is handed over (or 5 s, which fails the test).
      let handedOver = false;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
        setTimeout(resolve, 5000);
      });
      const firstGroups = new Set(footer.chunks.filter((c) => c.group >= 25).map((c) => c.start));
      const requests: { start: number; first: boolean; answeredAfterWindow: boolean; madeAfterWindow: boolean }[] = [];
      let firstMade = 0;
      const gated: typeof fetch = async (_url, init) => {
        const range = String(new Headers(init?.headers).get('Range'));
        const m = /^bytes=(\d*)-(\d*)$/.exec(range) as RegExpExecArray;
        const start = m[1] === '' ? data.length - Number(m[2]) : Number(m[1]);
        const end = m[1] === '' || m[2] === '' ? data.length - 1 : Number(m[2]);
        const tail = m[1] === '';
        const inFirst = !tail && footer.chunks.some((c) => c.group >= 25 && start >= c.start && start < c.start + c.length);
        const entry = { start, first: inFirst, answeredAfterWindow: false, madeAfterWindow: handedOver };
        if (!tail) requests.push(entry);
        // The first paint's pieces take unequal times, so one is in while others still download.
        if (inFirst) await new Promise((resolve) => setTimeout(resolve, 15 * ++firstMade));
        if (!tail && !inFirst) await gate;
        entry.answeredAfterWindow = handedOver;
        if (!tail && !inFirst) {
          // Each answer of the rest takes a moment, so requests overlap when several are in flight.
          restInFlight += 1;
          if (painting) mostWhilePainting = Math.max(mostWhilePainting, restInFlight);
          else mostAfter = Math.max(mostAfter, restInFlight);
          await new Promise((resolve) => setTimeout(resolve, 30));
          restInFlight -= 1;
        }
        return new Response(data.slice(start, end + 1), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${data.length}` } });
      };
      let window: WindowFiles | null = null;
      const planned: { plan: WindowPlan; requestsMade: number }[] = [];
      let restInFlight = 0;
      let painting = false;
      let mostWhilePainting = 0;
      let mostAfter = 0;
      const got = await prefetchParquet(['http://data.test/timed.parquet'], {
        fetch: gated,
        ...(columns ? { choose: () => columns } : {}),
        window: {
          column: 'ts',
          from: (n) => {
            expect(n).toBe(Number(newest));
            // The earliest instant whose row groups are few enough is taken: not 150 days back (three quarters of the rows).
            return [from, from - 150 * 86_400_000, from + 86_400_000];
          },
          onPlan: (plan) => {
            expect(handedOver, 'planned before the window is in').toBe(false);
            planned.push({ plan, requestsMade: requests.filter((r) => r.first).length });
          },
          onWindow: (w) => {
            handedOver = true;
            window = w;
            release();
            // While the paint "draws" (its promise pending), the rest waits.
            painting = true;
            return new Promise<void>((resolve) =>
              setTimeout(() => {
                painting = false;
                resolve();
              }, 100),
            );
          },
        },
      });
      expect(firstGroups.size).toBeGreaterThan(0);
      const w = window as WindowFiles | null;
      if (!w) throw new Error('no first paint');
      // Its row groups were asked for first, and nothing else was answered before it was handed over.
      expect(requests.findIndex((r) => !r.first)).toBeGreaterThan(requests.filter((r) => r.first).length - 1);
      expect(requests.filter((r) => !r.first).every((r) => r.answeredAfterWindow)).toBe(true);
      // Nor asked for: they would have shared the link with it.
      expect(requests.filter((r) => !r.first).every((r) => r.madeAfterWindow)).toBe(true);
      if (!columns) expect(requests.filter((r) => r.first).length).toBeGreaterThan(1);
      expect(w.from).toBe(from);
      // Told the plan once, after the window's first requests were made (one per request in flight,
      // 4), with the footer its file has.
      expect(planned).toHaveLength(1);
      expect(planned[0]?.requestsMade).toBe(Math.min(4, requests.filter((r) => r.first).length));
      expect(planned[0]?.plan.from).toBe(from);
      const footerFile = planned[0]?.plan.files[0]?.footerFile as Uint8Array;
      const windowBytes = w.files[0]?.bytes as Uint8Array;
      // Each read as the end of a file large enough for every chunk (the plan's all lie far past its
      // own end; the window's columns not fetched do too).
      const [ofPlan, ofWindow] = [parseParquetFooter(footerFile, 2 ** 42), parseParquetFooter(windowBytes, 2 ** 42)];
      expect([ofPlan.numRows, ofPlan.columns]).toEqual([ofWindow.numRows, ofWindow.columns]);
      expect(ofPlan.chunks.map((c) => [c.group, c.column])).toEqual(ofWindow.chunks.map((c) => [c.group, c.column]));
      expect(ofPlan.chunks.every((c) => c.start >= 2 ** 40)).toBe(true);
      expect(mostWhilePainting).toBe(0);
      // With every column to fetch, the rest is several requests, in parallel again after the paint.
      if (!columns) expect(mostAfter).toBeGreaterThan(1);
      // The whole file still arrives as before: the chosen columns' chunks (every byte with no choice).
      const whole = got.files[0]?.bytes as Uint8Array;
      if (columns) for (const c of footer.chunks.filter((x) => columns.includes(x.column))) expect(Buffer.from(whole.subarray(c.start, c.start + c.length)).equals(Buffer.from(data.subarray(c.start, c.start + c.length)))).toBe(true);
      else expect(Buffer.from(whole).equals(Buffer.from(data))).toBe(true);
      // The first paint's file has every row from `from` on, and only its row groups' rows.
      const windowPath = path.join(dir, 'timed-window.parquet');
      writeFileSync(windowPath, w.files[0]?.bytes as Uint8Array);
      const ask = (f: string) => nativeRows(`SELECT count(*) AS n, sum(amount) AS s, min(ts) AS lo FROM '${f}' WHERE ts >= epoch_ms(${from})`);
      expect(await ask(windowPath)).toEqual(await ask(timed));
      const [{ n }] = (await nativeRows(`SELECT count(*) AS n FROM '${windowPath}'`)) as [{ n: bigint }];
      expect(Number(n)).toBe(w.rows);
      expect(w.rows).toBeLessThan(footer.numRows / 4);
    }
  });

  it('never tells the plan of a window that is in before its task: the paint has it by then', async () => {
    // The file the test above wrote: its window's pieces answered at once, from memory.
    const data = new Uint8Array(readFileSync(path.join(dir, 'timed.parquet')));
    const instant: typeof fetch = async (_url, init) => {
      const m = /^bytes=(\d*)-(\d*)$/.exec(String(new Headers(init?.headers).get('Range'))) as RegExpExecArray;
      const start = m[1] === '' ? data.length - Number(m[2]) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? data.length - 1 : Number(m[2]);
      return new Response(data.slice(start, end + 1), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${data.length}` } });
    };
    const told: string[] = [];
    const run = (taskMs: number) =>
      prefetchParquet(['http://data.test/timed.parquet'], {
        fetch: instant,
        choose: () => ['ts', 'amount'],
        nextTask: () => new Promise((resolve) => setTimeout(resolve, taskMs)),
        window: {
          column: 'ts',
          from: (newest) => [newest - 30 * 86_400_000],
          onPlan: () => void told.push('plan'),
          onWindow: () => void told.push('window'),
        },
      });
    // A task that comes after the window's bytes: no plan.
    await run(200);
    expect(told).toEqual(['window']);
    told.length = 0;
    // One that comes before them (the pieces answer at once here, so only a task of no wait is).
    await run(0);
    expect(told[told.length - 1]).toBe('window');
    expect(told.filter((t) => t === 'window')).toHaveLength(1);
  });

  it('takes footers read ahead for the same files instead of reading them again, and reads them for others', async () => {
    const url = `${base}/wide.parquet`;
    served = [];
    const ahead = readFooters([url]);
    const footers = await ahead;
    expect(served.map((s) => s.range)).toEqual([`bytes=-${256 * 1024}`]);
    expect(footers[0]?.footer.numRows).toBe(300000);
    served = [];
    const got = await prefetchParquet([url], { footers: ahead, choose: () => ['id'] });
    // No second read of the end: every request is of the chosen column's chunks, which come before it.
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((s) => !s.range.startsWith('bytes=-'))).toBe(true);
    const alone = await prefetchParquet([url], { choose: () => ['id'] });
    expect(Buffer.from(got.files[0]?.bytes ?? []).equals(Buffer.from(alone.files[0]?.bytes ?? []))).toBe(true);
    expect(got.bytesFetched).toBe(alone.bytesFetched);
    // Footers of another file: this one's end is read as usual.
    served = [];
    await prefetchParquet([`${base}/demo.parquet`], { footers: ahead, choose: () => null });
    expect(served[0]?.range).toBe(`bytes=-${256 * 1024}`);
    // A read ahead that failed fails the prefetch, as its own read would have.
    await expect(prefetchParquet([`${base}/missing.parquet`], { footers: readFooters([`${base}/missing.parquet`]) })).rejects.toThrow();
  });

  it('reads a footer larger than its first read from the end with one more read', async () => {
    // Many small row groups: a footer of several hundred KB, more than the first 256 KiB read.
    const many = path.join(dir, 'many-groups.parquet');
    await conn.run(`COPY (SELECT i AS id, i % 7 AS a, i % 11 AS b, i % 13 AS c, 'x' || (i % 17) AS d FROM range(1500000) t(i)) TO '${many}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    const data = new Uint8Array(readFileSync(many));
    const footerLength = new DataView(data.buffer, data.byteOffset + data.length - 8, 4).getUint32(0, true);
    expect(footerLength).toBeGreaterThan(256 * 1024);
    const fetchMany: typeof fetch = async (_url, init) => {
      const range = String(new Headers(init?.headers).get('Range'));
      const m = /^bytes=(\d*)-(\d*)$/.exec(range) as RegExpExecArray;
      const start = m[1] === '' ? data.length - Number(m[2]) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? data.length - 1 : Number(m[2]);
      served.push({ range, status: 206, bytes: end - start + 1 });
      return new Response(data.slice(start, end + 1), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${data.length}` } });
    };
    served = [];
    const got = await prefetchParquet(['http://files.test/many-groups.parquet'], { fetch: fetchMany, choose: () => ['id'] });
    expect(served.slice(0, 2).map((s) => s.range)).toEqual([`bytes=-${256 * 1024}`, `bytes=${data.length - footerLength - 8}-${data.length - 256 * 1024 - 1}`]);
    expect(got.rows).toBe(1500000);
    const [groups] = await nativeRows(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata('${many}')`);
    expect(got.files[0]?.footer.chunks.filter((c) => c.column === 'id')).toHaveLength(Number(groups?.n));
  });

  it('names the content version every response vouched for, and stops when a file changes while it is read', async () => {
    // A server whose ETag changes after the footer's read: the object was replaced mid-load.
    const versioned =
      (etagAfterTail: string): typeof fetch =>
      async (_url, init) => {
        const range = String(new Headers(init?.headers).get('Range'));
        const m = /^bytes=(\d*)-(\d*)$/.exec(range) as RegExpExecArray;
        const start = m[1] === '' ? bytes.length - Number(m[2]) : Number(m[1]);
        const end = m[1] === '' || m[2] === '' ? bytes.length - 1 : Number(m[2]);
        const etag = m[1] === '' ? '"a"' : etagAfterTail;
        return new Response(bytes.slice(start, end + 1), { status: 206, headers: { 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, ETag: etag } });
      };
    const got = await prefetchParquet(['http://files.test/wide.parquet'], { fetch: versioned('"a"'), choose: () => ['id'] });
    expect(got.files[0]?.version).toBe(`etag "a" size ${bytes.length}`);
    await expect(prefetchParquet(['http://files.test/wide.parquet'], { fetch: versioned('"b"'), choose: () => ['id'] })).rejects.toThrow(/the file changed while it was read/);
    // A server that names no version: the bytes load as before, with no version to key results by.
    expect((await prefetchParquet([`${base}/wide.parquet`], { choose: () => ['id'] })).files[0]?.version).toBeNull();
  });

  it('stops every request when aborted', async () => {
    const abort = new AbortController();
    const run = prefetchParquet([`${base}/wide.parquet`], {
      signal: abort.signal,
      concurrency: 1,
      onProgress: (p) => {
        if (p.bytesDone > 0) abort.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses servers that ignore ranges, files too large for memory and missing files, so the engine reads them instead', async () => {
    await expect(prefetchParquet([`${base}/no-ranges.parquet`])).rejects.toThrow(/HTTP 200 for a ranged read/);
    await expect(prefetchParquet([`${base}/wide.parquet`], { maxBytes: 1000 })).rejects.toThrow(/more than 1000 to fetch into memory/);
    await expect(prefetchParquet([`${base}/missing.parquet`])).rejects.toThrow(PrefetchError);
  });

  it('prefetches HTTP URLs only, not the local paths of the CLI', () => {
    expect(canPrefetch(['http://127.0.0.1:1/t/o/1/orders.parquet'])).toBe(true);
    expect(canPrefetch(['/data/orders.parquet'])).toBe(false);
    expect(canPrefetch([])).toBe(false);
  });
});
