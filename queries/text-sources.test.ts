// Text sources read over HTTP (a real local server, as the data gateway serves them: Range, 206,
// Content-Range) into the pinned engine (its Node build): JSON inserted as a table, a Windows-1252
// CSV converted, a UTF-8 CSV left to the engine, and files too large refused before their bytes come.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeEngineBootstrap } from '../cli/engine-node';
import { dashboardEnvelope, serveWithEngine, type ServedEngine } from '../cli/test-harness';
import { DashboardFile, type Source } from '../dashboards/schema';
import { runDashboardQueries, type DatasetRunState, type PanelRunState } from './dashboard-runner';
import { Engine } from './engine/engine';
import { Sql, ident, str } from './sql';
import { fetchCsvCopy, jsonToArrow, MAX_CSV_COPY_BYTES, readableSource, type JsonRead } from './text-sources';

const FILES: Record<string, Buffer> = {
  'sales.json': Buffer.from('{"city": "Köln", "n": 2}\n{"city": "Zürich", "n": 3}\n', 'utf8'),
  'bad.json': Buffer.from('[{"n": 1}, {"n": }]', 'utf8'),
  'shops.csv': Buffer.concat([Buffer.from('shop,staff\nCaf\xe9 Ren\xe9,4\nEuro', 'latin1'), Buffer.from([0x80]), Buffer.from('Markt,12\n', 'latin1')]),
  'plain.csv': Buffer.from('a,b\n1,x\n', 'utf8'),
  'sales.csv.gz': gzipSync(Buffer.from('city,n\nKöln,2\nZürich,3\n', 'utf8')),
  'latin.csv.gz': gzipSync(Buffer.from('city,n\nK\xf6ln,2\n', 'latin1')),
  'sales.json.gz': gzipSync(Buffer.from('[{"city": "Köln", "n": 2}]', 'utf8')),
  'book.csv': Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(100)]),
  // 60,000 rows, one object per line (the report comes every 25,000 rows), and two small files of a glob.
  'orders.ndjson': Buffer.from(`${Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ id: i, city: ['Köln', 'Zürich'][i % 2], n: i % 7 })).join('\n')}\n`, 'utf8'),
  'a.ndjson': Buffer.from('{"id": 1}\n{"id": 2}\n', 'utf8'),
  'b.ndjson': Buffer.from('{"id": 3}\n', 'utf8'),
  // Large enough to arrive in several chunks.
  'many.csv': Buffer.from(`a,b\n${Array.from({ length: 40_000 }, (_, i) => `${i},row ${i}`).join('\n')}\n`, 'utf8'),
};
// Files that claim sizes beyond the limits: the server says so in its headers and sends nothing more.
const HUGE = 300 * 1024 * 1024;

let served: ServedEngine | undefined;
let base = '';
let boot: NodeEngineBootstrap;
let engine: Engine;
const requests: { path: string; range: string | undefined }[] = [];

beforeAll(async () => {
  served = await serveWithEngine((req, res) => {
    const name = (req.url ?? '').slice(1);
    requests.push({ path: name, range: req.headers.range });
    if (name === 'huge.json') {
      res.writeHead(200, { 'Content-Length': String(HUGE) });
      res.write('[');
      return; // never finished: the reader must give up on the header alone
    }
    if (name === 'grown.csv') {
      res.writeHead(200, { 'Content-Length': String(600 * 1024 * 1024) });
      res.write('a,b\n');
      return; // never finished, as huge.json
    }
    if (name === 'huge.csv') {
      res.writeHead(206, { 'Content-Range': `bytes 0-3/${HUGE}`, 'Content-Length': '4' });
      res.end(Buffer.from([0x61, 0xe9, 0x0a, 0x62]));
      return;
    }
    const body = FILES[name];
    if (!body) {
      res.writeHead(404).end('no such file');
      return;
    }
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), body.length - 1);
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': String(end - start + 1) });
      res.end(body.subarray(start, end + 1));
    } else {
      res.writeHead(200, { 'Content-Length': String(body.length) });
      res.end(body);
    }
  });
  ({ base, boot, engine } = served);
}, 60_000);

afterAll(() => served?.close());

const source = (name: string, format: 'json' | 'csv'): Source => ({ kind: 'url', name, url: `${base}/${name}`, format }) as Source;

/**
 * The engine as the runner sees it. Registering a file first allows the Node build's thread to
 * read that name, as the CLI does (it opens nothing it was not told about); the app's worker needs no such step.
 */
const runnerEngine = () => ({
  exec: (sql: Sql) => engine.exec(sql),
  query: (sql: Sql) => engine.query(sql),
  describe: (table: string) => engine.describe(table),
  insertArrow: (name: string, ipc: Uint8Array) => engine.insertArrow(name, ipc),
  dropFile: (name: string) => engine.dropFile(name),
  registerFile: async (name: string, bytes: Uint8Array) => {
    boot.allowReading([name]);
    await engine.registerFile(name, bytes);
  },
});

async function open(name: string, format: 'json' | 'csv', file: string) {
  const ready = await readableSource(runnerEngine(), source(name, format), { urls: [`${base}/${file}`], location: file });
  await engine.exec(ready.view);
  const { rows } = await engine.query(Sql.concat('SELECT * FROM ', ident(name)));
  return { linked: ready.linked, rows };
}

describe('text sources over HTTP', () => {
  it('inserts a JSON source as a table behind the view named after the source', async () => {
    const { rows, linked } = await open('sales', 'json', 'sales.json');
    expect(rows).toEqual([
      { city: 'Köln', n: 2 },
      { city: 'Zürich', n: 3 },
    ]);
    expect(linked.location).toBe('sales.json');
  });

  it("hands a JSON source's fetched bytes to the engine's own parser where it has one (the app's worker), and says what it refused", async () => {
    const calls: { names: string[]; location: string; bytes: number }[] = [];
    const withParser = {
      ...runnerEngine(),
      jsonToArrow: async (files: JsonRead[], location: string, _signal?: AbortSignal, onParsed?: (share: number, rows: number) => void) => {
        calls.push({ names: files.map((f) => f.name), location, bytes: files.reduce((n, f) => n + f.bytes.length, 0) });
        return jsonToArrow(files, location, onParsed);
      },
    };
    const parsed: [string, number, number][] = [];
    const ready = await readableSource(withParser, source('parsed', 'json'), { urls: [`${base}/sales.json.gz`], location: 'sales.json.gz' }, undefined, (p) => parsed.push([p.stage, p.bytesDone, p.rows]));
    await engine.exec(ready.view);
    // The parser's own reports reach the load's progress (the share of the fetched, still compressed, bytes).
    expect(parsed.filter(([stage]) => stage === 'parsing')).toEqual([
      ['parsing', 0, 0],
      ['parsing', (FILES['sales.json.gz'] as Buffer).length, 1],
    ]);
    expect((await engine.query(Sql.concat('SELECT * FROM "parsed"'))).rows).toEqual([{ city: 'Köln', n: 2 }]);
    // The bytes as fetched (still compressed): the parser decompresses them itself.
    expect(calls).toEqual([{ names: ['sales.json.gz'], location: 'sales.json.gz', bytes: (FILES['sales.json.gz'] as Buffer).length }]);
    await expect(readableSource(withParser, source('broken', 'json'), { urls: [`${base}/bad.json`], location: 'bad.json' })).rejects.toThrow('bad.json is not valid JSON: line 1, column 18');
  });

  it("tells a JSON source's progress: its bytes fetched of the host's figure, then the share parsed and the rows so far", async () => {
    const size = (FILES['orders.ndjson'] as Buffer).length;
    const seen: { stage: string; bytesDone: number; bytesTotal: number; rows: number }[] = [];
    const ready = await readableSource(runnerEngine(), source('progressed', 'json'), { urls: [`${base}/orders.ndjson`], location: 'orders.ndjson', sizeBytes: size }, undefined, (p) => seen.push(p));
    await engine.exec(ready.view);
    expect((await engine.query(Sql.concat('SELECT count(*) AS "n", count(DISTINCT "city") AS "cities" FROM "progressed"'))).rows).toEqual([{ n: 60_000, cities: 2 }]);
    const fetching = seen.filter((p) => p.stage === 'fetching');
    const parsing = seen.filter((p) => p.stage === 'parsing');
    expect(seen.indexOf(parsing[0] as (typeof seen)[number])).toBe(fetching.length);
    expect(fetching[0]).toEqual({ stage: 'fetching', bytesDone: 0, bytesTotal: size, rows: 0 });
    expect(fetching.at(-1)).toEqual({ stage: 'fetching', bytesDone: size, bytesTotal: size, rows: 0 });
    expect(parsing.map((p) => p.rows)).toEqual([0, 25_000, 50_000, 60_000]);
    expect(parsing.every((p, i) => p.bytesTotal === size && (i === 0 ? p.bytesDone === 0 : p.bytesDone > (parsing[i - 1]?.bytesDone ?? 0)))).toBe(true);
    expect(parsing.at(-1)?.bytesDone).toBe(size);
    // Over the files of a glob, the share runs over all of them.
    const files = ['a.ndjson', 'b.ndjson'];
    const both: { stage: string; bytesDone: number; rows: number }[] = [];
    await readableSource(runnerEngine(), source('globbed', 'json'), { urls: files.map((f) => `${base}/${f}`), location: '*.ndjson' }, undefined, (p) => both.push(p));
    expect(both.filter((p) => p.stage === 'parsing').map((p) => [p.bytesDone, p.rows])).toEqual([
      [0, 0],
      [(FILES['a.ndjson'] as Buffer).length, 2],
      [(FILES['a.ndjson'] as Buffer).length + (FILES['b.ndjson'] as Buffer).length, 3],
    ]);
  });

  it('a dashboard over a JSON source says it loads while the file is fetched and parsed, with the rows parsed', async () => {
    const size = (FILES['orders.ndjson'] as Buffer).length;
    const dashboard = DashboardFile.parse({
      ...dashboardEnvelope('a1b2c3d4-0000-4000-8000-000000000001', 'JSON'),
      sources: [{ kind: 'url', name: 'orders', url: `${base}/orders.ndjson`, format: 'json' }],
      datasets: [{ name: 'orders', kind: 'table', source: 'orders', measures: [{ name: 'rows', agg: 'count' }] }],
      panels: [{ id: 'k', kind: 'kpi', title: 'Rows', dataset: 'orders', measure: 'rows', comparison: 'none' }],
      layout: [{ panel: 'k', x: 0, y: 0, w: 3, h: 2 }],
      timeRange: { from: '2025-12-01', to: '2025-12-31' },
    });
    const states: DatasetRunState[] = [];
    const panels: Record<string, PanelRunState> = {};
    await runDashboardQueries(
      runnerEngine(),
      dashboard,
      { linkSource: async () => ({ urls: [`${base}/orders.ndjson`], location: 'orders.ndjson', sizeBytes: size }), onDataset: (_n, st) => states.push(st), onPanel: (id, st) => (panels[id] = st) },
      { trusted: true, now: Date.UTC(2026, 0, 1), cache: new Map() },
    );
    expect(panels.k?.status === 'ready' && Object.values(panels.k.result.rows[0] ?? {})).toContain(60_000);
    const progress = states.flatMap((st) => (st.status === 'loading' && st.progress ? [st.progress] : []));
    expect(progress[0]).toMatchObject({ phase: 'fetching', bytesDone: 0, bytesTotal: size });
    expect(progress).toContainEqual(expect.objectContaining({ phase: 'reading', bytesDone: 0, bytesTotal: size, rowsDone: 0 }));
    // All parsed: the rows are read into the engine.
    expect(progress.at(-1)).toEqual({ phase: 'reading', bytesTotal: size, rowsTotal: 60_000 });
    expect(states.at(-1)?.status).toBe('ready');
  });

  it('converts a Windows-1252 CSV from its first 64 KB (one ranged read) and names the encoding in the location', async () => {
    requests.length = 0;
    const { rows, linked } = await open('shops', 'csv', 'shops.csv');
    expect(rows).toEqual([
      { shop: 'Café René', staff: 4 },
      { shop: 'Euro€Markt', staff: 12 },
    ]);
    expect(linked.location).toBe('shops.csv (Windows-1252, converted)');
    // The file is smaller than the sniffed range: one request was all it took.
    expect(requests).toEqual([{ path: 'shops.csv', range: 'bytes=0-65535' }]);
  });

  it('leaves a UTF-8 CSV to the engine: the view reads its URL, nothing is registered', async () => {
    const ready = await readableSource(engine, source('plain', 'csv'), { urls: [`${base}/plain.csv`], location: 'plain.csv' });
    expect(ready.linked).toEqual({ urls: [`${base}/plain.csv`], location: 'plain.csv' });
    expect(ready.view.text).toContain(`read_csv_auto('${base}/plain.csv', buffer_size = 4194304)`);
  });

  it('refuses bad JSON with its line and column, and files too large before reading their bytes', async () => {
    await expect(readableSource(engine, source('bad', 'json'), { urls: [`${base}/bad.json`], location: 'data/bad.json' })).rejects.toThrow(/^data\/bad\.json is not valid JSON: line 1, column 18: /);
    await expect(readableSource(engine, source('huge', 'json'), { urls: [`${base}/huge.json`], location: 'huge.json' })).rejects.toThrow(
      'huge.json is 314,572,800 bytes, more than the 268,435,456 a JSON source may have (it is read into memory): convert it to Parquet or CSV first.',
    );
    await expect(readableSource(engine, source('huge', 'json'), { urls: [`${base}/huge.json`], location: 'huge.json', sizeBytes: HUGE })).rejects.toThrow(/^huge\.json is 314,572,800 bytes/);
    await expect(readableSource(engine, source('hugecsv', 'csv'), { urls: [`${base}/huge.csv`], location: 'huge.csv' })).rejects.toThrow(
      'huge.csv is Windows-1252 (Latin-1), not UTF-8, and at 314,572,800 bytes too large to convert in memory (at most 268,435,456): save it as UTF-8 first.',
    );
  });

  it('parses JSON bytes the host already read (the CLI: local paths, no fetch), and caps their total', async () => {
    requests.length = 0;
    const found = { urls: ['/data/a.json', '/data/b.json'], location: 'data/*.json', contents: [Buffer.from('[{"n": 1}]'), Buffer.from('{"n": 2, "m": "ß"}')] };
    const ready = await readableSource(runnerEngine(), source('local', 'json'), found);
    await engine.exec(ready.view);
    expect((await engine.query(Sql.concat('SELECT * FROM ', ident('local')))).rows).toEqual([
      { n: 1, m: null },
      { n: 2, m: 'ß' },
    ]);
    expect(requests).toEqual([]);
    // Claimed by length only: the check comes before any parsing.
    const big = { length: 200 * 1024 * 1024 } as Uint8Array;
    await expect(readableSource(runnerEngine(), source('local', 'json'), { ...found, contents: [big, big] })).rejects.toThrow(/^data\/\*\.json is 419,430,400 bytes, more than the 268,435,456/);
  });

  it("copies a CSV source's files for a load: one whole GET each, registered under the names given, with progress, until released", async () => {
    requests.length = 0;
    const files = ['plain.csv', 'many.csv'];
    const total = files.reduce((n, f) => n + (FILES[f] as Buffer).length, 0);
    const progress: [number, number][] = [];
    const found = { urls: files.map((f) => `${base}/${f}`), location: 'csv/*.csv', sizeBytes: total };
    const copy = await fetchCsvCopy(runnerEngine(), found, { onProgress: (done, of) => progress.push([done, of]) });
    // Fresh names for this load, each ending in its file's own name.
    const names = copy?.files ?? [];
    expect(names).toEqual([expect.stringMatching(/^northstar-csv-[0-9a-f-]{36}\/0\/plain\.csv$/), expect.stringMatching(/\/1\/many\.csv$/)]);
    expect(copy?.bytes).toBe(total);
    expect(requests).toEqual(files.map((path) => ({ path, range: undefined })));
    // The total at once, then bytes as they came, across both files, up to the total.
    expect(progress[0]).toEqual([0, total]);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.slice(1).every(([done, of], i) => of === total && done > (progress[i]?.[0] as number))).toBe(true);
    expect(progress.at(-1)).toEqual([total, total]);
    const read = Sql.concat('SELECT count(*) AS "n", max("a") AS "a" FROM read_csv_auto([', str(names[0] as string), ', ', str(names[1] as string), '], union_by_name = true)');
    expect((await engine.query(read)).rows).toEqual([{ n: 40_001, a: 39_999 }]);
    await copy?.release();
    await expect(engine.query(read)).rejects.toThrow();
  });

  it("leaves a CSV source's files to the engine where it cannot copy them, before any request", async () => {
    requests.length = 0;
    const url = `${base}/plain.csv`;
    const size = (FILES['plain.csv'] as Buffer).length;
    // The CLI's paths, a size the host does not know, more than the copy may hold.
    expect(await fetchCsvCopy(runnerEngine(), { urls: ['/data/plain.csv'], location: 'plain.csv', sizeBytes: size })).toBeNull();
    expect(await fetchCsvCopy(runnerEngine(), { urls: [url], location: 'plain.csv' })).toBeNull();
    expect(await fetchCsvCopy(runnerEngine(), { urls: [url], location: 'plain.csv', sizeBytes: MAX_CSV_COPY_BYTES + 1 })).toBeNull();
    expect(requests).toEqual([]);
    // A file that grew past the limit since its size was asked: given up on its headers, nothing left registered.
    const registered: string[] = [];
    const grown = await fetchCsvCopy({ ...runnerEngine(), registerFile: async (name, bytes) => (registered.push(name), runnerEngine().registerFile(name, bytes)) }, { urls: [url, `${base}/grown.csv`], location: 'two', sizeBytes: 100 });
    expect(grown).toBeNull();
    expect(registered).toHaveLength(1);
    await expect(engine.query(Sql.concat('SELECT * FROM read_csv_auto(', str(registered[0] as string), ')'))).rejects.toThrow();
  });

  it('reads a gzip-compressed CSV decompressed (and converted where it is not UTF-8), saying so in the location', async () => {
    const plain = await open('gz', 'csv', 'sales.csv.gz');
    expect(plain.rows).toEqual([
      { city: 'Köln', n: 2 },
      { city: 'Zürich', n: 3 },
    ]);
    expect(plain.linked.location).toBe('sales.csv.gz (gzip, decompressed)');
    // Registered as text: the name no longer ends in .gz, so the engine does not look for gzip in it.
    expect(plain.linked.urls).toEqual(['northstar-text/gz/0/sales.csv']);
    const latin = await open('gzlatin', 'csv', 'latin.csv.gz');
    expect(latin.rows).toEqual([{ city: 'Köln', n: 2 }]);
    expect(latin.linked.location).toBe('latin.csv.gz (gzip, decompressed; Windows-1252, converted)');
    const json = await open('gzjson', 'json', 'sales.json.gz');
    expect(json.rows).toEqual([{ city: 'Köln', n: 2 }]);
  });

  it('says what a file given as CSV or JSON is when it is no text, instead of reading it as Windows-1252', async () => {
    await expect(readableSource(runnerEngine(), source('book', 'csv'), { urls: [`${base}/book.csv`], location: 'data/book.csv' })).rejects.toThrow(
      'data/book.csv is a ZIP archive (an Excel .xlsx workbook is one), not CSV text: export the sheet as CSV, or unzip the file.',
    );
    await expect(readableSource(runnerEngine(), source('book', 'json'), { urls: [`${base}/book.csv`], location: 'data/book.json' })).rejects.toThrow('data/book.json is a ZIP archive (an Excel .xlsx workbook is one), not JSON text');
  });

  it('says which HTTP answer a fetch got', async () => {
    await expect(readableSource(engine, source('gone', 'json'), { urls: [`${base}/gone.json`], location: 'gone.json' })).rejects.toThrow('gone.json: HTTP 404 no such file');
  });
});
