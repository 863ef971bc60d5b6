// JSON sources on the pinned DuckDB-WASM (its Node build: the same wasm and Engine wrapper as the
// app): the Arrow table json-source.ts builds is inserted with Engine.insertArrow and read back with
// SQL, so each inferred type is what DuckDB itself sees, not what we believe we built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBootstrap, type NodeEngineBootstrap } from '../cli/engine-node';
import { Engine } from './engine/engine';
import { inferColumn, jsonToArrowIpc, jsonTooLarge, parseIsoTimestamp, parseJsonRows, rowsToColumns } from './json-source';
import { Sql, ident } from './sql';

let boot: NodeEngineBootstrap;
let engine: Engine;
let tables = 0;

beforeAll(async () => {
  boot = nodeBootstrap();
  engine = await Engine.start(boot);
}, 60_000);

afterAll(async () => {
  await engine?.terminate();
  boot?.dispose();
});

/** Insert a JSON text as a fresh table and return its DESCRIBE (name → type) and its rows in order. */
async function load(text: string): Promise<{ types: [string, string][]; rows: Record<string, unknown>[] }> {
  const table = `json_${++tables}`;
  await engine.insertArrow(table, jsonToArrowIpc([{ text, name: 'data.json' }], 'data.json').ipc);
  const types = (await engine.describe(table)).map((c) => [c.name, c.type] as [string, string]);
  const { rows } = await engine.query(Sql.concat('SELECT * FROM ', ident(table)));
  return { types, rows };
}

const thrown = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('JSON sources in the engine', () => {
  it('reads an array of objects with each column typed from all its values', async () => {
    const text = JSON.stringify([
      { id: 1, price: 2.5, ok: true, at: '2025-03-01T10:00:00Z', city: 'Zürich', tags: ['a', 'b'], mixed: 1 },
      { id: 2, price: 3, ok: false, at: '2025-03-02T12:30:15.250+02:00', city: 'Málaga', tags: { x: 1 }, mixed: 'two' },
      { id: 3, price: null, ok: null, at: '2025-03-03', city: null, tags: null, mixed: true },
    ]);
    const { types, rows } = await load(text);
    expect(types).toEqual([
      ['id', 'BIGINT'],
      ['price', 'DOUBLE'],
      ['ok', 'BOOLEAN'],
      ['at', 'TIMESTAMP'],
      ['city', 'VARCHAR'],
      ['tags', 'VARCHAR'],
      ['mixed', 'VARCHAR'],
    ]);
    expect(rows).toEqual([
      { id: 1, price: 2.5, ok: true, at: Date.UTC(2025, 2, 1, 10), city: 'Zürich', tags: '["a","b"]', mixed: '1' },
      { id: 2, price: 3, ok: false, at: Date.UTC(2025, 2, 2, 10, 30, 15, 250), city: 'Málaga', tags: '{"x":1}', mixed: 'two' },
      { id: 3, price: null, ok: null, at: Date.UTC(2025, 2, 3), city: null, tags: null, mixed: 'true' },
    ]);
    // Aggregates work on the inserted table as on a Parquet load.
    const { rows: sums } = await engine.query(Sql.concat('SELECT sum("price") AS "p", count(*) AS "n", max("at") AS "last" FROM ', ident(`json_${tables}`)));
    expect(sums).toEqual([{ p: 5.5, n: 3, last: Date.UTC(2025, 2, 3) }]);
  });

  it('writes every value of a long column as it was: text of every UTF-8 width, empty, NULL; times before 1970; false', async () => {
    // Wider than one byte per UTF-16 unit, so the text buffer grows while it is written.
    const words = ['', 'plain', 'Zürich', '日本語のテキスト', 'emoji 😀 pair', 'x'.repeat(5000), '€'.repeat(3000), null];
    const rowsIn = Array.from({ length: 2000 }, (_, i) => ({
      i,
      word: words[i % words.length],
      at: i % 5 === 0 ? null : new Date(Date.UTC(1950 + (i % 100), i % 12, 1 + (i % 28), 13, 7, 9)).toISOString(),
      ok: i % 3 === 0 ? null : i % 3 === 1,
      n: i % 4 === 0 ? null : i * 1.5,
    }));
    const { types, rows } = await load(rowsIn.map((r) => JSON.stringify(r)).join('\n'));
    expect(types).toEqual([['i', 'BIGINT'], ['word', 'VARCHAR'], ['at', 'TIMESTAMP'], ['ok', 'BOOLEAN'], ['n', 'DOUBLE']]);
    expect(rows).toHaveLength(2000);
    rows.forEach((row, k) => {
      const want = rowsIn[k] as (typeof rowsIn)[number];
      expect(row).toEqual({ i: k, word: want.word, at: want.at === null ? null : Date.parse(want.at), ok: want.ok, n: want.n });
    });
  });

  it('reads newline-delimited objects: the union of their keys in first-seen order, a missing key NULL', async () => {
    const { types, rows } = await load('{"a": 1}\r\n\n{"b": "x", "a": 2}\n{"c": false}\n');
    expect(types).toEqual([
      ['a', 'BIGINT'],
      ['b', 'VARCHAR'],
      ['c', 'BOOLEAN'],
    ]);
    expect(rows).toEqual([
      { a: 1, b: null, c: null },
      { a: 2, b: 'x', c: null },
      { a: null, b: null, c: false },
    ]);
  });

  it('reads the rows of an object whose one member is an array of them', async () => {
    const { rows } = await load('{"data": [{"n": 1}, {"n": 2}]}');
    expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('keeps hostile keys as plain column names: __proto__, constructor, quotes, unicode, integer-like, empty-ish', async () => {
    const text = '[{"__proto__": 1, "say \\"hi\\"": "q", "naïve €": "é", "日本": "ß", "10": 10, "2": 2}, {"constructor": "c"}]';
    const { types, rows } = await load(text);
    // First-seen order, except that JSON.parse puts integer-like keys ("2", "10") first in each object.
    expect(types.map(([name]) => name)).toEqual(['2', '10', '__proto__', 'say "hi"', 'naïve €', '日本', 'constructor']);
    // Expected rows via JSON.parse: in an object literal `__proto__: 1` would not be a key.
    expect(rows[0]).toEqual(JSON.parse('{"__proto__": 1, "say \\"hi\\"": "q", "naïve €": "é", "日本": "ß", "10": 10, "2": 2, "constructor": null}'));
    expect(Object.hasOwn(rows[0] ?? {}, '__proto__') && rows[0]?.['__proto__']).toBe(1);
    // The first row has no "constructor": NULL, never Object.prototype.constructor.
    expect(rows[1]).toEqual(JSON.parse('{"__proto__": null, "say \\"hi\\"": null, "naïve €": null, "日本": null, "10": null, "2": null, "constructor": "c"}'));
    expect(Object.getPrototypeOf(parseJsonRows(text, 'f')[0])).toBe(Object.prototype);
  });

  it('types extreme numbers: 1e308 DOUBLE, -0 as BIGINT 0, integers beyond 2^53 DOUBLE (as JavaScript reads them)', async () => {
    const { types, rows } = await load('[{"big": 1e308, "zero": -0, "huge": 9007199254740993, "safe": 9007199254740991}, {"big": -1e308, "zero": 5, "huge": 1, "safe": -9007199254740991}]');
    expect(types).toEqual([
      ['big', 'DOUBLE'],
      ['zero', 'BIGINT'],
      ['huge', 'DOUBLE'],
      ['safe', 'BIGINT'],
    ]);
    expect(rows).toEqual([
      { big: 1e308, zero: 0, huge: 9007199254740992, safe: 9007199254740991 },
      { big: -1e308, zero: 5, huge: 1, safe: -9007199254740991 },
    ]);
    // BIGINT beyond 2^53 would come back as text from the engine; the sum proves DuckDB has exact integers.
    const { rows: sum } = await engine.query(Sql.concat('SELECT CAST(sum("safe") AS VARCHAR) AS "s" FROM ', ident(`json_${tables}`)));
    expect(sum).toEqual([{ s: '0' }]);
  });

  it('keeps a string column as text when one value is not a real ISO-8601 date-time', () => {
    expect(inferColumn('t', ['2024-02-29', '2024-02-30']).type).toBe('VARCHAR');
    expect(inferColumn('t', ['2024-02-29T23:59:59', null]).type).toBe('TIMESTAMP');
    expect(inferColumn('t', ['2024-01-01T10:00', 'soon']).type).toBe('VARCHAR');
    expect(inferColumn('t', [null, null]).type).toBe('VARCHAR');
    expect(parseIsoTimestamp('0099-01-01T00:00:00Z')).toBe(Date.parse('0099-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('2025-06-01T00:00:00-05:30')).toBe(Date.UTC(2025, 5, 1, 5, 30));
    expect(parseIsoTimestamp('2025-13-01')).toBeNull();
    expect(parseIsoTimestamp('2025-01-01T24:00')).toBeNull();
  });

  it('reads the plain shapes (YYYY-MM-DD, with " HH:MM:SS" or "THH:MM:SS") as Date does, over four centuries and leap days', () => {
    const texts: string[] = [];
    for (let ms = Date.UTC(1899, 11, 25); ms < Date.UTC(2301, 0, 10); ms += 86_400_000 * 3 + 3_723_000) {
      const iso = new Date(ms).toISOString();
      texts.push(iso.slice(0, 10), `${iso.slice(0, 10)} ${iso.slice(11, 19)}`, iso.slice(0, 19));
    }
    texts.push('2000-02-29', '1900-02-28 23:59:59', '2400-02-29T00:00:00', '1000-01-01', '9999-12-31 23:59:59');
    for (const text of texts) expect(parseIsoTimestamp(text), text).toBe(Date.parse(`${text.replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : ''}Z`));
    // Not real dates, or not digits where digits go.
    for (const text of ['1900-02-29', '2100-02-29 00:00:00', '2025-04-31', '20a5-01-01', '2025-0x-01', '2025-01-01 1x:00:00', '2025-01-01 12:60:00']) expect(parseIsoTimestamp(text), text).toBeNull();
    // A year before 1000 is read by the full parse.
    expect(parseIsoTimestamp('0999-01-01 00:00:00')).toBe(Date.parse('0999-01-01T00:00:00Z'));
  });

  it('reads several files as one table, rows in file order', async () => {
    const table = `json_${++tables}`;
    await engine.insertArrow(table, jsonToArrowIpc([{ text: '[{"a": 1}]', name: 'one.json' }, { text: '{"b": "x"}\n{"a": 3}', name: 'two.json' }], 'data/*.json').ipc);
    const { rows } = await engine.query(Sql.concat('SELECT * FROM ', ident(table)));
    expect(rows).toEqual([
      { a: 1, b: null },
      { a: null, b: 'x' },
      { a: 3, b: null },
    ]);
  });
});

describe('JSON that cannot be a table', () => {
  it('names the line and column of invalid JSON, in one document and in one object per line', () => {
    expect(thrown(() => parseJsonRows('[\n  {"a": 1},\n  {"a": 2,,}\n]', 'data.json'))).toMatch(/^data\.json is not valid JSON: line 3, column 11: .+\.$/);
    expect(thrown(() => parseJsonRows('{"a": 1}\n{"a": 2}\n{"a": }\n', 'rows.ndjson'))).toMatch(/^rows\.ndjson is not valid JSON at line 3, column 7: .+\.$/);
    expect(thrown(() => parseJsonRows('[{"a": 1}', 'cut.json'))).toMatch(/^cut\.json is not valid JSON: line 1, column 10: /);
    // A long line: V8 quotes it cut with "...", which is left out as the short quote is.
    expect(thrown(() => parseJsonRows('{"day": "2025-01-01"}\n{"day": "2025-01-02", "amount": }\n', 'long.ndjson'))).toBe(`long.ndjson is not valid JSON at line 2, column 33: Unexpected token '}'.`);
    expect(thrown(() => parseJsonRows('[{"day": "2025-01-02", "amount": } , "zzzzzzzzzzzzzzzzzzzzzzzzzz": 1]', 'long.json'))).toBe(`long.json is not valid JSON: line 1, column 34: Unexpected token '}'.`);
  });

  it('names the row that is not an object', () => {
    expect(thrown(() => parseJsonRows('[{"a": 1}, 2]', 'data.json'))).toBe('data.json: row 1 is a number, not an object: every row must be an object of fields.');
    expect(thrown(() => parseJsonRows('{"rows": [{"a": 1}, [1]]}', 'data.json'))).toBe('data.json: row 1 of "rows" is an array, not an object: every row must be an object of fields.');
    expect(thrown(() => parseJsonRows('{"a": 1}\n"x"\n', 'data.json'))).toBe('data.json: row 1 (line 2) is a string, not an object: every row must be an object of fields.');
    expect(thrown(() => parseJsonRows('42', 'data.json'))).toBe('data.json holds a number, not rows: a JSON source needs an array of objects or one object per line.');
  });

  it('refuses an empty file, an empty array, rows without fields, keys that differ only in case, and a file too large', () => {
    expect(thrown(() => parseJsonRows(' \n', 'empty.json'))).toBe('empty.json is empty: a JSON source needs an array of objects or one object per line.');
    expect(thrown(() => parseJsonRows('[]', 'none.json'))).toBe('none.json holds no rows (the array is empty).');
    expect(thrown(() => rowsToColumns([{}, {}], 'blank.json'))).toBe('blank.json: no row has any field, so there are no columns.');
    expect(thrown(() => rowsToColumns([{ City: 'a' }, { city: 'b' }], 'case.json'))).toBe('case.json: the fields "City" and "city" differ only in case, and column names ignore case: rename one.');
    expect(jsonTooLarge('big.json', 300 * 1024 * 1024)).toBe('big.json is 314,572,800 bytes, more than the 268,435,456 a JSON source may have (it is read into memory): convert it to Parquet or CSV first.');
  });
});
