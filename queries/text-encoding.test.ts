import { describe, expect, it } from 'vitest';
import { detectTextEncoding, MAX_TRANSCODE_BYTES, toUtf8 } from './text-encoding';

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
