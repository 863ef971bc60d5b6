// `northstar inspect` on the Apache parquet-testing corpus (every file must open or fail with a clear
// message; a crash or a hang fails the test) and on hostile-but-small text files made here.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../queries/engine/engine';
import { summarizeParquetFooter } from '../../queries/engine/read-errors';
import { readFile, Sql } from '../../queries/sql';
import { withNodeEngine } from '../headless';
import { InspectSession, inspectDataFile, type InspectOutcome } from './inspect';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CORPUS = path.resolve(ROOT, '../shared/data/parquet-testing');
const DOCS = /\.(md|py|yaml|txt)$|^LICENSE/;

/** Every data file of the corpus (docs and generator scripts left out), relative to its root. */
export function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (!DOCS.test(name)) out.push(path.relative(CORPUS, full));
    }
  };
  walk(path.join(CORPUS, 'data'));
  walk(path.join(CORPUS, 'bad_data'));
  return out;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const inspect = (file: string, timeoutMs = 20_000) => inspectDataFile(file, { timeoutMs });

function failureOf(outcome: InspectOutcome): { kind: string; message: string } {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.info)}`);
  return outcome;
}

describe('the parquet-testing corpus', () => {
  it('every file opens or fails with a clear message; none crashes or hangs', { timeout: 600_000 }, async () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(90);
    const tally = { total: 0, open: 0, clearFailure: 0, crash: 0, hang: 0, unclear: 0 };
    const byKind: Record<string, string[]> = {};
    const problems: string[] = [];
    const session = new InspectSession();
    for (const file of files) {
      const outcome = await session.inspect(path.join(CORPUS, file), { timeoutMs: 20_000 });
      tally.total += 1;
      if (outcome.ok) {
        tally.open += 1;
        continue;
      }
      (byKind[outcome.kind] ??= []).push(file);
      if (outcome.kind === 'crashed') tally.crash += 1;
      else if (outcome.kind === 'timeout') tally.hang += 1;
      else if (outcome.kind === 'other') tally.unclear += 1;
      else tally.clearFailure += 1;
      if (outcome.kind === 'crashed' || outcome.kind === 'timeout' || outcome.kind === 'other') problems.push(`${file}: ${outcome.kind}: ${outcome.message}`);
    }
    session.close();
    console.log(`parquet-testing corpus via inspect: ${JSON.stringify(tally)}`);
    for (const [kind, list] of Object.entries(byKind)) console.log(`  ${kind} (${list.length}): ${list.join(', ')}`);
    expect(problems).toEqual([]);
    // Every encrypted file is named as such, whether its footer is encrypted (PARE) or plaintext.
    const encrypted = files.filter((f) => f.endsWith('.parquet.encrypted'));
    expect(encrypted.length).toBeGreaterThan(0);
    expect([...encrypted].sort()).toEqual([...(byKind.encrypted ?? [])].sort());
  });

  it('reports columns, types, row count, size, row groups and writer of a valid file', async () => {
    const outcome = await inspect(path.join(CORPUS, 'data/alltypes_plain.parquet'));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.info).toMatchObject({ format: 'parquet', sizeBytes: 1851, rows: 8, rowGroups: 1 });
    expect(outcome.info.writer).toMatch(/^impala version 1\.3\.0/);
    expect(outcome.info.columns.slice(0, 3)).toEqual([
      { name: 'id', type: 'INTEGER', nonNull: 8 },
      { name: 'bool_col', type: 'BOOLEAN', nonNull: 8 },
      { name: 'tinyint_col', type: 'INTEGER', nonNull: 8 },
    ]);
  });

  it('describes a tiny file declaring 2 billion rows from its metadata, without decoding, and says the app will not load it', async () => {
    const hostile = path.join(ROOT, 'dashboards/testdata/hostile/two-billion-rows.parquet');
    const outcome = await inspect(hostile);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.info).toMatchObject({ rows: 2_000_000_000, rowGroups: 20, columns: [{ name: 'flag', type: 'BOOLEAN', nonNull: null }] });
    expect(outcome.info.notLoadable).toMatch(/declares 2,000,000,000 rows in its Parquet metadata, more than the 500,000,000 rows a dataset may have/);
  });

  it('names a damaged page as damage, not as an engine error', async () => {
    expect(failureOf(await inspect(path.join(CORPUS, 'bad_data/ARROW-GH-47662.parquet')))).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/damaged or malformed/) });
  });

  it('says a truncated Parquet file (a half-copied download) is truncated', async () => {
    const whole = readFileSync(path.join(CORPUS, 'data/alltypes_plain.parquet'));
    const half = path.join(tmp, 'half.parquet');
    writeFileSync(half, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(failureOf(await inspect(half))).toMatchObject({ kind: 'notParquet', message: expect.stringMatching(/truncated/) });
  });

  it('stops the engine and says so when the deadline passes', async () => {
    const big = path.join(tmp, 'orders.parquet');
    copyFileSync(path.join(ROOT, 'dashboards/examples/data/orders.parquet'), big);
    const started = Date.now();
    expect(failureOf(await inspect(big, 1))).toMatchObject({ kind: 'timeout', message: expect.stringMatching(/^gave up after 0\.0 s: .*the engine was stopped/) });
    // The same file with time to spare reads fine: the deadline, not the file, stopped it.
    const full = await inspect(big);
    const bytes = readFileSync(big);
    const footer = summarizeParquetFooter(bytes.subarray(bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8), bytes.length - 8));
    expect(full.ok && full.info.rows).toBe(footer?.numRows);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('hostile but valid data', () => {
  it('a tiny query that expands to 10 billion rows hits the memory limit with a clear message; the engine survives', { timeout: 180_000 }, async () => {
    const outcome = await withNodeEngine(async (engine) => {
      let error: unknown = null;
      try {
        await engine.exec(Sql.concat('CREATE TABLE huge AS SELECT * FROM range(10000000000)'));
      } catch (err) {
        error = err;
      }
      // Still answering afterwards: the limit stopped the query, not the engine.
      const after = await engine.query(Sql.concat('SELECT 42 AS "answer"'));
      return { error, alive: engine.alive, answer: after.rows[0]?.answer };
    });
    expect(outcome.error).toBeInstanceOf(EngineError);
    expect((outcome.error as EngineError).readFailure?.kind).toBe('tooLarge');
    expect((outcome.error as EngineError).message).toMatch(/^the data does not fit in the memory the query engine may use/);
    expect(outcome).toMatchObject({ alive: true, answer: 42 });
  });
});

describe('files of one source with different schemas', () => {
  it('read as one table by column name (union_by_name): missing columns are NULL, none is shifted', { timeout: 120_000 }, async () => {
    // Parquet written by native DuckDB (the independent engine), CSV by hand: 2024 lacks "channel",
    // 2025 has its columns in another order and an extra one.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const native = await DuckDBInstance.create(':memory:');
    const conn = await native.connect();
    const p1 = path.join(tmp, 'part-2024.parquet');
    const p2 = path.join(tmp, 'part-2025.parquet');
    await conn.run(`COPY (SELECT 1 AS id, 10.5 AS amount) TO '${p1.replaceAll("'", "''")}' (FORMAT PARQUET)`);
    await conn.run(`COPY (SELECT 'web' AS channel, 20.0 AS amount, 2 AS id) TO '${p2.replaceAll("'", "''")}' (FORMAT PARQUET)`);
    conn.closeSync();
    const c1 = path.join(tmp, 'part-2024.csv');
    const c2 = path.join(tmp, 'part-2025.csv');
    writeFileSync(c1, 'id,amount\n1,10.5\n');
    writeFileSync(c2, 'channel,amount,id\nweb,20.0,2\n');
    const rows = await withNodeEngine(async (engine) => {
      const read = async (files: string[], format: 'parquet' | 'csv') =>
        (await engine.query(Sql.concat('SELECT id, amount, channel FROM ', readFile(files, format), ' ORDER BY id'))).rows;
      return { parquet: await read([p1, p2], 'parquet'), csv: await read([c1, c2], 'csv') };
    }, null, [p1, p2, c1, c2]);
    const want = [
      { id: 1, amount: 10.5, channel: null },
      { id: 2, amount: 20, channel: 'web' },
    ];
    expect(rows.parquet).toEqual(want);
    expect(rows.csv).toEqual(want);
  });
});

describe('hostile but valid text files', () => {
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(tmp, name);
    writeFileSync(file, content);
    return file;
  };

  it('reads a CSV with a UTF-8 byte-order mark without a garbled first column name', async () => {
    const outcome = await inspect(write('bom.csv', '\uFEFFid,city\n1,Zürich\n2,Oslo\n'));
    expect(outcome.ok && outcome.info.columns.map((c) => c.name)).toEqual(['id', 'city']);
  });

  it('reads a column of mixed numbers and words as text, keeping every row', async () => {
    const outcome = await inspect(write('mixed.csv', `id,code\n${Array.from({ length: 3000 }, (_, i) => `${i},${i === 2500 ? 'N/A' : i}`).join('\n')}\n`));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.info.rows).toBe(3000);
    expect(outcome.info.columns.find((c) => c.name === 'code')?.type).toBe('VARCHAR');
  });

  it('reads a Latin-1 CSV by converting it, and names the encoding', async () => {
    const rows = ['id,city', ...Array.from({ length: 50 }, (_, i) => `${i},Malmö`)].join('\n');
    const outcome = await inspect(write('latin1.csv', Buffer.from(`${rows}\n`, 'latin1')));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.info).toMatchObject({ rows: 50, encoding: 'Windows-1252 (Latin-1)', columns: [{ name: 'id' }, { name: 'city', type: 'VARCHAR', nonNull: 50 }] });
    const utf8 = await inspect(write('utf8.csv', Buffer.from(`${rows}\n`, 'utf8')));
    expect(utf8.ok && utf8.info.encoding).toBe('UTF-8');
  });

  it('says a CSV is not UTF-8 when only its end is Latin-1 (the first megabyte decides the encoding)', async () => {
    const head = Array.from({ length: 150_000 }, (_, i) => `${i},Malmo`).join('\n');
    const failure = failureOf(await inspect(write('mixed.csv', Buffer.concat([Buffer.from(`id,city\n${head}\n`, 'utf8'), Buffer.from('150000,Malmö\n', 'latin1')]))));
    expect(failure).toMatchObject({ kind: 'badText', message: expect.stringMatching(/not UTF-8/) });
  });

  it('fails clearly (or reads consistently) on an unterminated quote', async () => {
    const outcome = await inspect(write('quote.csv', 'id,note\n1,"fine"\n2,"never closed\n3,after\n'));
    if (outcome.ok) expect(outcome.info.rows).toBeGreaterThan(0);
    else expect(outcome.kind).not.toBe('other');
  });

  it('reads JSON as the app does (parsed into a table: the pinned engine has no JSON reader offline), and names bad JSON\'s line', async () => {
    const outcome = await inspect(write('rows.jsonl', '{"a":1,"b":"x"}\n{"a":2,"b":null}\n'));
    expect(outcome.ok && outcome.info).toMatchObject({ format: 'json', rows: 2, columns: [{ name: 'a', type: 'BIGINT', nonNull: 2 }, { name: 'b', type: 'VARCHAR', nonNull: 1 }] });
    const failure = failureOf(await inspect(write('bad.json', '[{"a": 1},\n {"a": }]')));
    expect(failure).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/^bad\.json is not valid JSON: line 2, column 8: /) });
  });

  it('refuses an empty file, a folder, a missing file and a binary non-Parquet file by name', async () => {
    expect(failureOf(await inspect(write('empty.csv', '')))).toMatchObject({ message: 'the file is empty' });
    expect(failureOf(await inspect(tmp))).toMatchObject({ message: 'this is a folder, not a data file' });
    expect(failureOf(await inspect(path.join(tmp, 'nope.parquet')))).toMatchObject({ kind: 'missing', message: 'no such file' });
    expect(failureOf(await inspect(write('fake.parquet', 'id,a\n1,2\n')))).toMatchObject({ kind: 'notParquet', message: expect.stringMatching(/^named \.parquet but it is not a Parquet file/) });
    expect(failureOf(await inspect(write('blob.dat', Buffer.from([0, 1, 2, 3, 0, 9]))))).toMatchObject({ kind: 'notParquet', message: expect.stringMatching(/binary file/) });
    // A workbook saved under a CSV's name says what it is.
    expect(failureOf(await inspect(write('book.csv', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(64)]))))).toMatchObject({
      kind: 'notParquet',
      message: 'a ZIP archive (an Excel .xlsx workbook is one), not Parquet, CSV or JSON: export the sheet as CSV, or unzip the file',
    });
  });

  it('reads gzip-compressed CSV and JSON decompressed, as a source reads them, and says so', async () => {
    const rows = ['id,city', ...Array.from({ length: 50 }, (_, i) => `${i},Malmö`)].join('\n');
    const latin = await inspect(write('latin1.csv.gz', gzipSync(Buffer.from(`${rows}\n`, 'latin1'))));
    expect(latin.ok && latin.info).toMatchObject({ format: 'csv', rows: 50, encoding: 'Windows-1252 (Latin-1), gzip-compressed', columns: [{ name: 'id' }, { name: 'city', type: 'VARCHAR', nonNull: 50 }] });
    const json = await inspect(write('rows.json.gz', gzipSync(Buffer.from('[{"a":1},{"a":2}]'))));
    expect(json.ok && json.info).toMatchObject({ format: 'json', rows: 2 });
    expect(failureOf(await inspect(write('cut.csv.gz', gzipSync(Buffer.from(`${rows}\n`)).subarray(0, 30))))).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/is gzip-compressed, but its data is damaged or cut short/) });
  });
});

describe('northstar inspect (the bin)', () => {
  const bin = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'cli/northstar.mjs'), 'inspect', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('prints the columns and exits 0, or one line on stderr and exits 1, or usage and exits 2', () => {
    const ok = bin([path.join(CORPUS, 'data/alltypes_plain.parquet')]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Parquet, 1\.8 KiB, 8 rows, 11 columns\n {2}row groups: 1\n {2}written by: impala/);
    expect(ok.stdout).toMatch(/\n {2}timestamp_col +TIMESTAMP +0\n$/);
    const encrypted = bin(['--json', path.join(CORPUS, 'data/uniform_encryption.parquet.encrypted')]);
    expect(encrypted.status).toBe(1);
    expect(JSON.parse(encrypted.stdout)).toMatchObject({ error: { kind: 'encrypted', message: expect.stringMatching(/^encrypted Parquet is not supported/) } });
    expect(encrypted.stderr).toMatch(/^northstar: .*uniform_encryption\.parquet\.encrypted: encrypted Parquet is not supported .*\n$/);
    const usage = bin(['--timeout', 'soon', 'x.csv']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^northstar: --timeout needs a number of seconds/);
    expect(bin(['s3://bucket/x.parquet']).status).toBe(2);
  });

  it('says "1 row, 1 column" in the singular', () => {
    const one = path.join(tmp, 'one.csv');
    writeFileSync(one, 'only\n7\n');
    const out = bin([one]);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/one\.csv: CSV, 7 B, 1 row, 1 column\n/);
  });
});
