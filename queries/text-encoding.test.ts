import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { binaryFormat, detectTextEncoding, gunzip, MAX_TRANSCODE_BYTES, notTextMessage, toUtf8, type BinaryFormat } from './text-encoding';

const TEXT = 'name,city,price\nZoë,Zürich,12\nJosé,Málaga,3\n';
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
// Windows-1252 bytes that Latin-1 does not have: € (0x80), “ and ” (0x93, 0x94), – (0x96).
const CP1252 = Buffer.concat([Buffer.from('label,price\n', 'latin1'), Buffer.from([0x93]), Buffer.from('Caf', 'latin1'), Buffer.from([0xe9, 0x94, 0x2c, 0x80, 0x35, 0x20, 0x96, 0x20, 0x36, 0x0a])]);

describe('detectTextEncoding', () => {
  it('tells UTF-8, UTF-8 with BOM, UTF-16 with and without BOM (both byte orders) and Latin-1 apart', () => {
    const cases: [Uint8Array, string][] = [
      [Buffer.from(TEXT, 'utf8'), 'UTF-8'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]), 'UTF-8 (with BOM)'],
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]), 'UTF-16 (little-endian, with BOM)'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]), 'UTF-16 (big-endian, with BOM)'],
      [Buffer.from(TEXT, 'utf16le'), 'UTF-16 (little-endian)'],
      [utf16be(TEXT), 'UTF-16 (big-endian)'],
      [Buffer.from(TEXT, 'latin1'), 'Windows-1252 (Latin-1)'],
      [CP1252, 'Windows-1252 (Latin-1)'],
    ];
    for (const [bytes, label] of cases) expect(detectTextEncoding(bytes).label, label).toBe(label);
  });

  it('takes a UTF-8 start cut inside a character as UTF-8 when told the bytes are only the start', () => {
    const bytes = Buffer.from('a,b\nZoë', 'utf8');
    const cut = bytes.subarray(0, bytes.length - 1);
    expect(detectTextEncoding(cut, true).encoding).toBe('utf-8');
    expect(detectTextEncoding(cut, false).encoding).toBe('windows-1252');
  });
});

describe('toUtf8', () => {
  it('converts each encoding to the same UTF-8 text without a BOM; plain UTF-8 passes through untouched', () => {
    for (const bytes of [Buffer.from(TEXT, 'latin1'), Buffer.from(TEXT, 'utf16le'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]), Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)])]) {
      const out = toUtf8(bytes, 'f.csv');
      expect(Buffer.from(out.bytes).toString('utf8')).toBe(TEXT);
    }
    const plain = Buffer.from(TEXT, 'utf8');
    expect(toUtf8(plain, 'f.csv').bytes).toBe(plain);
  });

  it('reads the Windows-1252 characters Latin-1 lacks (€, curly quotes, dash)', () => {
    expect(Buffer.from(toUtf8(CP1252, 'f.csv').bytes).toString('utf8')).toBe('label,price\n“Café”,€5 – 6\n');
  });

  it('refuses a file too large to convert, naming it, its encoding, its size and the limit', () => {
    expect(() => toUtf8(Buffer.from(TEXT, 'latin1'), 'data/big.csv', 10)).toThrow(
      `data/big.csv is Windows-1252 (Latin-1), not UTF-8, and at ${Buffer.byteLength(TEXT, 'latin1')} bytes too large to convert in memory (at most 10): save it as UTF-8 first.`,
    );
    expect(MAX_TRANSCODE_BYTES).toBe(256 * 1024 * 1024);
  });
});

describe('binaryFormat', () => {
  it('tells a workbook, an archive, a Parquet file, a PDF and compressed files from text, by their first bytes', () => {
    const starts: Record<string, number[]> = {
      gzip: [...gzipSync(Buffer.from(TEXT)).subarray(0, 8)],
      zip: [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00],
      xls: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00],
      parquet: [...Buffer.from('PAR1\x15\x04\x15')],
      zstd: [0x28, 0xb5, 0x2f, 0xfd, 0x04],
      xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00],
      pdf: [...Buffer.from('%PDF-1.7\n')],
      bzip2: [...Buffer.from('BZh91AY&SY')],
    };
    for (const [kind, bytes] of Object.entries(starts)) expect(binaryFormat(new Uint8Array(bytes))?.kind, kind).toBe(kind);
    // Text that happens to start like some of them is text.
    for (const text of [TEXT, 'PK,name\n1,a\n', 'BZh,x\n1,2\n', 'PAR,n\n', '%PDF,n\n', '']) expect(binaryFormat(Buffer.from(text)), text).toBeNull();
    expect(binaryFormat(Buffer.from(TEXT, 'utf16le'))).toBeNull();
    expect(notTextMessage('data/sales.csv', binaryFormat(new Uint8Array(starts.zip ?? [])) as BinaryFormat, 'CSV')).toBe(
      'data/sales.csv is a ZIP archive (an Excel .xlsx workbook is one), not CSV text: export the sheet as CSV, or unzip the file.',
    );
  });
});

describe('gunzip', () => {
  it('decompresses gzip, and refuses more text than allowed or damaged data, naming the file', async () => {
    const packed = gzipSync(Buffer.from(TEXT.repeat(1000)));
    expect(Buffer.from(await gunzip(packed, 'f.csv.gz', 1024 * 1024)).toString('utf8')).toBe(TEXT.repeat(1000));
    await expect(gunzip(packed, 'f.csv.gz', 1000)).rejects.toThrow('f.csv.gz holds more than 1,000 bytes of text once decompressed, too many to read in memory: split it, or convert it to Parquet.');
    await expect(gunzip(packed.subarray(0, packed.length / 2), 'f.csv.gz', 1024 * 1024)).rejects.toThrow(/^f\.csv\.gz is gzip-compressed, but its data is damaged or cut short \(.+\): compress it again\.$/);
  });
});
