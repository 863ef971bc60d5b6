// CSV files in the encodings spreadsheets write (Latin-1 / Windows-1252, UTF-16 with and without a
// byte order mark, UTF-8 with a BOM), run through the real bin: each reads as the same text, and
// the dataset's location names the encoding found.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { binRunner, dashboardEnvelope, expectNoStack } from './test-harness';

const RUN_TIMEOUT_MS = 60_000;
const TEXT = 'city,n\nZürich,1\nMálaga,2\n';
const FILES: Record<string, Buffer> = {
  latin1: Buffer.from(TEXT, 'latin1'),
  cp1252: Buffer.concat([Buffer.from('city,n\n', 'latin1'), Buffer.from([0x93, 0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68, 0x94]), Buffer.from(',1\nM\xe1laga,2\n', 'latin1')]),
  utf16le: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]),
  utf16be: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(TEXT, 'utf16le').swap16()]),
  utf16nobom: Buffer.from(TEXT, 'utf16le'),
  utf8bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]),
  // Compressed as exports often are: decompressed, then (the second) converted.
  gzip: gzipSync(Buffer.from(TEXT, 'utf8')),
  gzlatin1: gzipSync(Buffer.from(TEXT, 'latin1')),
};

let tmp = '';
const northstar = binRunner({ timeoutMs: RUN_TIMEOUT_MS });

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'northstar-cli-encodings-'));
  for (const [name, bytes] of Object.entries(FILES)) writeFileSync(path.join(tmp, `${name}.csv`), bytes);
  const names = Object.keys(FILES);
  const doc = {
    ...dashboardEnvelope('00000000-0000-4000-8000-00000000b003', 'Encodings'),
    checks: [],
    sources: names.map((name) => ({ kind: 'file', name, path: `${name}.csv`, format: 'csv' })),
    datasets: names.map((name) => ({ kind: 'table', name, source: name, label: name, dimensions: [], hierarchies: [], measures: [] })),
    panels: names.map((name) => ({ id: `t_${name}`, kind: 'table', title: name, dataset: name, columns: ['city'] })),
    layout: names.map((name, i) => ({ panel: `t_${name}`, x: 0, y: i * 4, w: 12, h: 4 })),
  };
  writeFileSync(path.join(tmp, 'encodings.dashboard.json'), `${JSON.stringify(doc, null, 2)}\n`);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

it('reads Latin-1, Windows-1252, UTF-16 (BOM either way, or none) and UTF-8 with BOM as the same text, naming the encoding', { timeout: 3 * RUN_TIMEOUT_MS }, async () => {
  const file = path.join(tmp, 'encodings.dashboard.json');
  const json = await northstar(['run', file, '--json']);
  expectNoStack(json);
  expect(json.stderr).toBe('');
  expect(json.status).toBe(0);
  const panels = (JSON.parse(json.stdout) as { panels: { id: string; rows: { city: string }[] }[] }).panels;
  const cities = Object.fromEntries(panels.map((p) => [p.id.slice(2), p.rows.map((r) => r.city).sort()]));
  expect(cities).toEqual({
    latin1: ['Málaga', 'Zürich'],
    cp1252: ['Málaga', '“Zürich”'],
    utf16le: ['Málaga', 'Zürich'],
    utf16be: ['Málaga', 'Zürich'],
    utf16nobom: ['Málaga', 'Zürich'],
    utf8bom: ['Málaga', 'Zürich'],
    gzip: ['Málaga', 'Zürich'],
    gzlatin1: ['Málaga', 'Zürich'],
  });
  const text = await northstar(['run', file]);
  expect(text.status).toBe(0);
  expect(text.stdout).toContain(`dataset latin1: 2 rows from ${path.join(tmp, 'latin1.csv')} (Windows-1252 (Latin-1), read as UTF-8)`);
  expect(text.stdout).toContain(`dataset utf16le: 2 rows from ${path.join(tmp, 'utf16le.csv')} (UTF-16 (little-endian, with BOM), read as UTF-8)`);
  expect(text.stdout).toContain(`dataset utf16nobom: 2 rows from ${path.join(tmp, 'utf16nobom.csv')} (UTF-16 (little-endian), read as UTF-8)`);
  // UTF-8 with a BOM is read where it is: DuckDB handles the mark.
  expect(text.stdout).toContain(`dataset utf8bom: 2 rows from ${path.join(tmp, 'utf8bom.csv')}\n`);
  expect(text.stdout).toContain(`dataset gzip: 2 rows from ${path.join(tmp, 'gzip.csv')} (gzip, decompressed)\n`);
  expect(text.stdout).toContain(`dataset gzlatin1: 2 rows from ${path.join(tmp, 'gzlatin1.csv')} (gzip, decompressed; Windows-1252 (Latin-1), read as UTF-8)\n`);
});

it('says what a file given as CSV is when it is no text: a workbook, or a Parquet file', { timeout: RUN_TIMEOUT_MS }, async () => {
  const workbook = path.join(tmp, 'sales.csv');
  writeFileSync(workbook, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), Buffer.alloc(200)]));
  const doc = {
    ...dashboardEnvelope('00000000-0000-4000-8000-00000000b004', 'Not text'),
    checks: [],
    sources: [{ kind: 'file', name: 'sales', path: 'sales.csv', format: 'csv' }],
    datasets: [{ kind: 'table', name: 'sales', source: 'sales', label: 'sales', dimensions: [], hierarchies: [], measures: [] }],
    panels: [{ id: 't', kind: 'table', title: 'sales', dataset: 'sales', columns: ['city'] }],
    layout: [{ panel: 't', x: 0, y: 0, w: 12, h: 4 }],
  };
  const file = path.join(tmp, 'not-text.dashboard.json');
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  const run = await northstar(['run', file]);
  expectNoStack(run);
  expect(run.status).toBe(1);
  expect(run.stdout + run.stderr).toContain(`${workbook} is a ZIP archive (an Excel .xlsx workbook is one), not CSV text: export the sheet as CSV, or unzip the file.`);
});
