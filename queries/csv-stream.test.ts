// A CSV read into a table piece by piece as it downloads (csv-stream.ts): the cuts (pure), then real
// loads over a real local HTTP server into the pinned engine's Node build, each compared with the
// engine's own read of the whole file. Pieces are made small here, so that a test file has many.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { serveWithEngine, type ServedEngine } from '../cli/test-harness';
import { CsvSplitter, CsvTooLarge, loadCsvStreamed } from './csv-stream';
import { Engine } from './engine/engine';
import { Sql, ident, str } from './sql';

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Feed `input` to a splitter in pushes of the given sizes (cycled); the pieces as text. */
function split(input: string, target: number, pushes: number[] = [7]): { pieces: string[]; splitter: CsvSplitter } {
  const bytes = utf8.encode(input);
  const splitter = new CsvSplitter(target);
  const pieces: string[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = pushes[k % pushes.length] as number;
    for (const piece of splitter.push(bytes.subarray(at, at + n))) pieces.push(text.decode(piece));
    at += n;
  }
  const last = splitter.finish();
  if (last) pieces.push(text.decode(last));
  return { pieces, splitter };
}

/** The pieces with the header line each later one starts with taken off, joined: the input again. */
const rejoin = (pieces: string[], header: string) => pieces.map((p, i) => (i === 0 ? p : p.slice(header.length))).join('');

describe('CsvSplitter', () => {
  it('cuts at line ends once a piece is large enough, and each later piece starts with the header line', () => {
    const input = `id,name\n${Array.from({ length: 50 }, (_, i) => `${i},name ${i}`).join('\n')}\n`;
    const { pieces } = split(input, 60, [5, 13, 1, 40]);
    expect(pieces.length).toBeGreaterThan(5);
    expect(rejoin(pieces, 'id,name\n')).toBe(input);
    for (const [i, piece] of pieces.entries()) {
      expect(piece.endsWith('\n')).toBe(true);
      if (i > 0) expect(piece.startsWith('id,name\n')).toBe(true);
      // Large enough: all but the last reach the target in bytes of the file.
      if (i < pieces.length - 1) expect(piece.length - (i === 0 ? 0 : 8)).toBeGreaterThanOrEqual(60);
    }
  });

  it('never cuts inside a quoted field: line ends and doubled quotes in quotes, across pushes of one byte', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},"line one\nline ""two""\r\n, still ${i}",x`);
    const input = `id,note,flag\r\n${rows.join('\r\n')}\r\n`;
    for (const pushes of [[1], [3, 17], [1000]]) {
      const { pieces, splitter } = split(input, 50, pushes);
      expect(splitter.unsplittable).toBe(false);
      expect(pieces.length).toBeGreaterThan(pushes[0] === 1000 ? 0 : 5);
      expect(rejoin(pieces, 'id,note,flag\r\n')).toBe(input);
      // Every piece holds whole records: its quotes pair up, and it ends a line.
      for (const piece of pieces) {
        expect((piece.match(/"/g) ?? []).length % 2).toBe(0);
        expect(piece.endsWith('\r\n')).toBe(true);
      }
    }
  });

  it('leaves no last piece under half the target when the size is known: that rest joins the piece before', () => {
    const input = `id,name\n${Array.from({ length: 50 }, (_, i) => `${i},name ${i}`).join('\n')}\n`;
    const bytes = utf8.encode(input);
    for (const total of [bytes.length, null]) {
      const splitter = new CsvSplitter(130, total);
      const pieces = [...splitter.push(bytes.subarray(0, 500)), ...splitter.push(bytes.subarray(500))];
      const last = splitter.finish();
      if (last) pieces.push(last);
      const sizes = pieces.map((p, i) => p.length - (i === 0 ? 0 : 8));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(bytes.length);
      // 538 bytes cut every 130: a last piece of under 30 bytes, unless the size is known.
      if (total === null) expect(sizes.at(-1)).toBeLessThan(30);
      else expect(Math.min(...sizes)).toBeGreaterThanOrEqual(65);
    }
  });

  it('gives what follows the last line end, or a file without one, as the last piece', () => {
    expect(split('a,b\n1,2\n3,4', 4, [1000]).pieces).toEqual(['a,b\n1,2\n', 'a,b\n3,4']);
    expect(split('a,b', 100).pieces).toEqual(['a,b']);
    expect(split('', 100).pieces).toEqual([]);
  });

  it('stops cutting where a quote is escaped with a backslash, even across pushes', () => {
    const input = `a,b\n1,"x"\n2,"say \\"hi\\""\n${'3,y\n'.repeat(30)}`;
    for (const pushes of [[1], [1000]]) {
      const { pieces, splitter } = split(input, 10, pushes);
      expect(splitter.unsplittable).toBe(true);
      expect(rejoin(pieces, 'a,b\n')).toBe(input);
    }
  });
});

// --- loads over HTTP ---------------------------------------------------------------------------

const stamp = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 61_000).toISOString().slice(0, 19).replace('T', ' ');
const ORDERS = `order_id,order_ts,region,note,amount,paid\n${Array.from({ length: 6000 }, (_, i) => `${i},${stamp(i)},${['EMEA', 'APAC', 'AMER'][i % 3]},${i % 7 === 0 ? `"a ""quoted"", multi\nline note ${i}"` : `note ${i}`},${(i * 1.25).toFixed(2)},${i % 2 === 0}`).join('\n')}\n`;

/** The orders' rows from `from` to `to` as a file of their own, with the header line. */
const ordersPart = (from: number, to: number) => {
  const lines = ORDERS.split(/\n(?=\d+,2024-)/);
  return `${lines.slice(1 + from, 1 + to).join('\n').replace(/\n?$/, '\n')}`;
};
const ORDERS_HEADER = 'order_id,order_ts,region,note,amount,paid\n';

const FILES: Record<string, string | Buffer> = {
  'orders.csv': ORDERS,
  // The same orders in three files (and one of the header alone between them), as an export by month.
  'part-1.csv': ORDERS_HEADER + ordersPart(0, 2500),
  'part-empty.csv': ORDERS_HEADER,
  'part-2.csv': ORDERS_HEADER + ordersPart(2500, 4000),
  'part-3.csv': ORDERS_HEADER + ordersPart(4000, 6000),
  // Two text columns the other way round: every value would read, in the wrong column.
  'part-other.csv': `order_id,order_ts,note,region,amount,paid\n1,2024-01-01 00:00:00,x,EMEA,1.00,true\n`,
  // Dates the sniffer reads as %y-%m-%d: the ISO reading of the same text is year 24.
  'short-years.csv': `id,day\n${Array.from({ length: 3000 }, (_, i) => `${i},24-0${(i % 9) + 1}-1${i % 10}`).join('\n')}\n`,
  'no-header.csv': Array.from({ length: 3000 }, (_, i) => `${i},${i * 2}`).join('\n'),
  'backslash.csv': `id,note\n${Array.from({ length: 3000 }, (_, i) => `${i},"say \\"hi\\" ${i}"`).join('\n')}\n`,
  // Numbers for the first rows the types are sniffed from, then a word: a later piece's read fails.
  'late-text.csv': `id,n\n${Array.from({ length: 30_000 }, (_, i) => `${i},${i < 25_000 ? i : 'many'}`).join('\n')}\n`,
  // Not UTF-8: the engine refuses the first piece, as it would the whole file.
  // Large enough for several pieces of 1 MB, and for more memory than 16 MB once loaded.
  'big.csv': `id,at,city,amount\n${Array.from({ length: 150_000 }, (_, i) => `${i},${stamp(i)},city number ${i % 5000},${i % 997}.25`).join('\n')}\n`,
  'not-utf8.csv': Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x2c, 0xff, 0xfe, 0x0a]),
};

let served: ServedEngine | undefined;
let base = '';
let boot: NodeEngineBootstrap;
let engine: Engine;
let requests = 0;
/** Each response is written in parts of 4 KB (so a file arrives in many reads), with this pause in ms between them. */
let pauseMs = 0;

beforeAll(async () => {
  served = await serveWithEngine((req, res) => {
    requests += 1;
    const body = FILES[(req.url ?? '').slice(1)];
    if (body === undefined) {
      res.writeHead(404).end('no such file');
      return;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(200, { 'Content-Length': String(bytes.length) });
    let at = 0;
    const write = () => {
      if (res.destroyed) return;
      if (at >= bytes.length) return void res.end();
      res.write(bytes.subarray(at, at + 4096));
      at += 4096;
      if (pauseMs > 0) setTimeout(write, pauseMs);
      else setImmediate(write);
    };
    write();
  });
  ({ base, boot, engine } = served);
}, 60_000);

afterAll(() => served?.close());

/** The engine as the runner sees it, recording the files registered and dropped (the Node build reads only names allowed first). */
function runnerEngine() {
  const registered: string[] = [];
  const dropped: string[] = [];
  const statements: string[] = [];
  return {
    registered,
    dropped,
    statements,
    exec: (sql: Sql) => (statements.push(sql.text), engine.exec(sql)),
    query: (sql: Sql) => (statements.push(sql.text), engine.query(sql)),
    describe: (table: string) => engine.describe(table),
    dropFile: (name: string) => (dropped.push(name), engine.dropFile(name)),
    registerFile: async (name: string, bytes: Uint8Array) => {
      registered.push(name);
      boot.allowReading([name]);
      await engine.registerFile(name, bytes);
    },
  };
}

const found = (file: string) => ({ urls: [`${base}/${file}`], location: file, sizeBytes: Buffer.byteLength(FILES[file] as string | Buffer) });

/** The engine's own read of the whole file, registered once under a name of its own. */
async function wholeRead(file: string, columns = '*'): Promise<Sql> {
  const name = `whole-${file}`;
  boot.allowReading([name]);
  await engine.registerFile(name, utf8.encode(FILES[file] as string));
  return Sql.concat('SELECT ', columns, ' FROM read_csv_auto(', str(name), ')');
}

async function rows(sql: Sql) {
  return (await engine.query(sql)).rows;
}

async function tableNames(): Promise<string[]> {
  return (await rows(Sql.concat("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"))).map((r) => String(r.n));
}

describe('loadCsvStreamed', () => {
  it("loads a file piece by piece into the same table the engine's read of the whole file makes, with progress in bytes and rows", async () => {
    const eng = runnerEngine();
    const progress: [number, number, number][] = [];
    const loaded = await loadCsvStreamed(eng, found('orders.csv'), 'ds_orders', null, { pieceBytes: 16 * 1024, onProgress: (b, of, r) => progress.push([b, of, r]) });
    const size = Buffer.byteLength(ORDERS);
    expect(loaded).toEqual({ rows: 6000, bytes: size });
    const pieces = eng.registered.length;
    expect(pieces).toBeGreaterThan(10);
    // Every piece registered was dropped again; the table was built under another name and renamed.
    expect([...eng.dropped].sort()).toEqual([...eng.registered].sort());
    expect(eng.statements.filter((s) => s.startsWith('INSERT INTO'))).toHaveLength(pieces - 1);
    expect(eng.statements.at(-1)).toMatch(/ALTER TABLE "ds_orders \(loading [0-9a-f]{8}\)" RENAME TO "ds_orders"$/);
    // The same columns, types, rows and row order as the whole file read at once.
    const whole = await wholeRead('orders.csv');
    expect(await engine.describe('ds_orders')).toEqual((await rows(Sql.concat('DESCRIBE ', whole))).map((r) => ({ name: r.column_name, type: r.column_type })));
    const ordered = (from: Sql) => Sql.concat('SELECT * FROM (', from, ') LIMIT 50 OFFSET 2990');
    expect(await rows(ordered(Sql.concat('SELECT * FROM ', ident('ds_orders'))))).toEqual(await rows(ordered(whole)));
    const diff = await rows(Sql.concat('SELECT count(*) AS "n" FROM ((SELECT * FROM "ds_orders" EXCEPT ALL ', whole, ') UNION ALL (', whole, ' EXCEPT ALL SELECT * FROM "ds_orders"))'));
    expect(diff).toEqual([{ n: 0 }]);
    expect(await rows(Sql.concat('SELECT count(*) AS "n", max("order_ts") AS "newest" FROM "ds_orders" WHERE "note" LIKE \'%"quoted"%\''))).toEqual([{ n: 858, newest: expect.anything() }]);
    // Progress: the size at once with nothing read, then rising bytes and rows, up to all of both.
    expect(progress[0]).toEqual([0, size, 0]);
    expect(progress.length).toBe(pieces + 1);
    expect(progress.slice(1).every(([b, of, r], i) => of === size && b > (progress[i]?.[0] as number) && r > (progress[i]?.[2] as number))).toBe(true);
    expect(progress.at(-1)).toEqual([size, size, 6000]);
  });

  it('keeps only the columns asked for, and replaces the view or table of that name', async () => {
    await engine.exec(Sql.concat('CREATE OR REPLACE VIEW "ds_two" AS SELECT 1 AS "x"'));
    const loaded = await loadCsvStreamed(runnerEngine(), found('orders.csv'), 'ds_two', ['region', 'amount'], { pieceBytes: 32 * 1024 });
    expect(loaded?.rows).toBe(6000);
    expect((await engine.describe('ds_two')).map((c) => c.name)).toEqual(['region', 'amount']);
    const whole = await wholeRead('orders.csv', '"region", sum("amount") AS "s"');
    expect(await rows(Sql.concat('SELECT "region", sum("amount") AS "s" FROM "ds_two" GROUP BY 1 ORDER BY 1'))).toEqual(await rows(Sql.concat(whole, ' GROUP BY 1 ORDER BY 1')));
    // Again, over the table it made.
    expect((await loadCsvStreamed(runnerEngine(), found('orders.csv'), 'ds_two', ['paid'], { pieceBytes: 64 * 1024 }))?.rows).toBe(6000);
    expect((await engine.describe('ds_two')).map((c) => c.name)).toEqual(['paid']);
  });

  it('reads a file of one piece as the engine reads it whole, with no checks', async () => {
    const eng = runnerEngine();
    expect(await loadCsvStreamed(eng, found('short-years.csv'), 'ds_one', null)).toEqual({ rows: 3000, bytes: Buffer.byteLength(FILES['short-years.csv'] as string) });
    expect(eng.statements.filter((s) => s.startsWith('DESCRIBE') || s.startsWith('INSERT'))).toEqual([]);
    expect(await rows(Sql.concat('SELECT CAST(min("day") AS VARCHAR) AS "d" FROM "ds_one"'))).toEqual([{ d: '2024-01-10' }]);
  });

  it.each([
    ['short-years.csv', 'dates the first piece read as %y-%m-%d'],
    ['no-header.csv', 'a file without a header line'],
    ['backslash.csv', 'quotes escaped by a backslash'],
    ['late-text.csv', 'a later piece the engine refuses'],
  ])('gives up on %s (%s): null, nothing left behind, an earlier table as it was', async (file) => {
    await engine.exec(Sql.concat('CREATE OR REPLACE TABLE "ds_kept" AS SELECT 42 AS "x"'));
    const before = await tableNames();
    const eng = runnerEngine();
    expect(await loadCsvStreamed(eng, found(file), 'ds_kept', null, { pieceBytes: 8 * 1024 })).toBeNull();
    expect([...eng.dropped].sort()).toEqual([...eng.registered].sort());
    expect(await tableNames()).toEqual(before);
    expect(await rows(Sql.concat('SELECT * FROM "ds_kept"'))).toEqual([{ x: 42 }]);
  });

  it("throws the engine's own error where the first piece cannot be read, and leaves nothing behind", async () => {
    const before = await tableNames();
    const eng = runnerEngine();
    await expect(loadCsvStreamed(eng, found('not-utf8.csv'), 'ds_bad', null)).rejects.toThrow(/not UTF-8/);
    expect([...eng.dropped].sort()).toEqual([...eng.registered].sort());
    expect(await tableNames()).toEqual(before);
    await expect(loadCsvStreamed(eng, { ...found('orders.csv'), urls: [`${base}/gone.csv`] }, 'ds_bad', null)).rejects.toThrow('gone.csv: HTTP 404 no such file');
  });

  it('reads a source of several files, one after the other, into the table the engine reads from all of them', async () => {
    const files = ['part-1.csv', 'part-empty.csv', 'part-2.csv', 'part-3.csv'];
    expect(files.map((f) => FILES[f]).join('').replaceAll(ORDERS_HEADER, '')).toBe(ORDERS.slice(ORDERS_HEADER.length));
    const size = files.reduce((n, f) => n + Buffer.byteLength(FILES[f] as string), 0);
    const eng = runnerEngine();
    const progress: [number, number, number][] = [];
    const loaded = await loadCsvStreamed(eng, { urls: files.map((f) => `${base}/${f}`), location: 'parts', sizeBytes: size }, 'ds_parts', null, { pieceBytes: 16 * 1024, onProgress: (b, of, r) => progress.push([b, of, r]) });
    expect(loaded).toEqual({ rows: 6000, bytes: size });
    expect([...eng.dropped].sort()).toEqual([...eng.registered].sort());
    // Each file's pieces are named after it, for the engine's messages.
    for (const f of files) expect(eng.registered.some((n) => n.endsWith(`/${f}`)), f).toBe(true);
    // The engine's own read of the files: the same types, and the same rows in the same order.
    const names = files.map((f) => `whole-${f}`);
    boot.allowReading(names);
    for (const [i, f] of files.entries()) await engine.registerFile(names[i] as string, utf8.encode(FILES[f] as string));
    const all = Sql.concat('SELECT * FROM read_csv_auto([', Sql.join(names.map((n) => str(n))), '])');
    expect(await engine.describe('ds_parts')).toEqual((await rows(Sql.concat('DESCRIBE ', all))).map((r) => ({ name: r.column_name, type: r.column_type })));
    expect(await engine.describe('ds_parts')).toEqual(await engine.describe('ds_orders'));
    const ordered = (from: Sql) => Sql.concat('SELECT * FROM (', from, ') LIMIT 100 OFFSET 2450');
    expect(await rows(ordered(Sql.concat('SELECT * FROM "ds_parts"')))).toEqual(await rows(ordered(all)));
    const diff = await rows(Sql.concat('SELECT count(*) AS "n" FROM ((SELECT * FROM "ds_parts" EXCEPT ALL ', all, ') UNION ALL (', all, ' EXCEPT ALL SELECT * FROM "ds_parts"))'));
    expect(diff).toEqual([{ n: 0 }]);
    // Progress over the files together, up to all of their bytes.
    expect(progress[0]).toEqual([0, size, 0]);
    expect(progress.at(-1)).toEqual([size, size, 6000]);
  });

  it('gives up on several files whose header lines differ: null, nothing left behind', async () => {
    const before = await tableNames();
    const files = ['part-1.csv', 'part-other.csv'];
    const eng = runnerEngine();
    const size = files.reduce((n, f) => n + Buffer.byteLength(FILES[f] as string), 0);
    expect(await loadCsvStreamed(eng, { urls: files.map((f) => `${base}/${f}`), location: 'parts', sizeBytes: size }, 'ds_mixed', null, { pieceBytes: 16 * 1024 })).toBeNull();
    expect([...eng.dropped].sort()).toEqual([...eng.registered].sort());
    expect(await tableNames()).toEqual(before);
  });

  it('is not for files it cannot stream: a local path, an unknown size (no request made)', async () => {
    requests = 0;
    const one = found('orders.csv');
    expect(await loadCsvStreamed(runnerEngine(), { ...one, urls: [...one.urls, '/data/orders.csv'] }, 't', null)).toBeNull();
    expect(await loadCsvStreamed(runnerEngine(), { ...one, urls: ['/data/orders.csv'] }, 't', null)).toBeNull();
    expect(await loadCsvStreamed(runnerEngine(), { urls: one.urls, location: one.location }, 't', null)).toBeNull();
    expect(requests).toBe(0);
  });

  it('stops after the first piece when the whole table would not fit in the memory the engine has free, and says how much it needs', async () => {
    // ~9 MB of CSV on an engine that may hold 16 MB: the first 1 MB piece takes ~1.5 MB, so the whole ~14 MB.
    const small = nodeBootstrap();
    const tight = await Engine.start(small, { memoryLimit: '16MB' });
    try {
      const registered: string[] = [];
      const eng = {
        exec: (sql: Sql) => tight.exec(sql),
        query: (sql: Sql) => tight.query(sql),
        describe: (table: string) => tight.describe(table),
        dropFile: (name: string) => tight.dropFile(name),
        registerFile: async (name: string, bytes: Uint8Array) => {
          registered.push(name);
          small.allowReading([name]);
          await tight.registerFile(name, bytes);
        },
      };
      await tight.exec(Sql.concat('CREATE TABLE "ds_big" AS SELECT 1 AS "x"'));
      const load = loadCsvStreamed(eng, found('big.csv'), 'ds_big', null, { pieceBytes: 1024 * 1024 });
      const err = (await load.catch((e: unknown) => e)) as CsvTooLarge;
      expect(err).toBeInstanceOf(CsvTooLarge);
      expect(err.needBytes).toBeGreaterThan(err.freeBytes);
      expect(err.freeBytes).toBeLessThanOrEqual(16e6);
      expect(err.describe('orders', 'big.csv')).toMatch(/^"orders" \(big\.csv\) would need about \d+ MB of memory once loaded \(its first 1 MB took \d+ MB\), more than the \d+ MB the query engine has free, so it was not loaded\. Convert the file to Parquet/);
      // Only the first piece was read; it is gone, and so is the table being built. The earlier one stays.
      expect(registered).toHaveLength(1);
      expect((await tight.query(Sql.concat("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = 'main'"))).rows).toEqual([{ n: 'ds_big' }]);
      expect((await tight.query(Sql.concat('SELECT * FROM "ds_big"'))).rows).toEqual([{ x: 1 }]);
      // The same file fits an engine with room for it.
      expect((await loadCsvStreamed(runnerEngine(), found('big.csv'), 'ds_big', null, { pieceBytes: 1024 * 1024 }))?.rows).toBe(150_000);
    } finally {
      await tight.terminate();
      small.dispose();
    }
  });

  it('stops at a cancel between pieces: the download ends, the pieces are dropped, an earlier table stays', async () => {
    pauseMs = 20;
    try {
      await engine.exec(Sql.concat('CREATE OR REPLACE TABLE "ds_cancel" AS SELECT 7 AS "x"'));
      const eng = runnerEngine();
      const stop = new AbortController();
      const seen: number[] = [];
      const load = loadCsvStreamed(eng, found('orders.csv'), 'ds_cancel', null, {
        pieceBytes: 16 * 1024,
        signal: stop.signal,
        onProgress: (b) => {
          seen.push(b);
          if (seen.length === 3) stop.abort();
        },
      });
      await expect(load).rejects.toThrow();
      expect(seen.length).toBeLessThan(5);
      expect(eng.registered.length).toBeLessThan(5);
      expect([...eng.dropped].sort()).toEqual([...eng.registered].sort());
      expect(await rows(Sql.concat('SELECT * FROM "ds_cancel"'))).toEqual([{ x: 7 }]);
      expect((await tableNames()).filter((n) => n.includes('loading'))).toEqual([]);
    } finally {
      pauseMs = 0;
    }
  });
});
