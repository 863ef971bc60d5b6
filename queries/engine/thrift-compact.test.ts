import { describe, expect, it } from 'vitest';
import { CompactReader } from './thrift-compact';

/** A compact-protocol binary field's bytes: its length as a varint, then the bytes. */
function binary(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let n = bytes.length;
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return new Uint8Array([...out, ...bytes]);
}

describe('CompactReader.readString', () => {
  it('reads text as a UTF-8 decoder does: ASCII, accents, NUL, invalid bytes, short and long', () => {
    const utf8 = new TextEncoder();
    const samples = [
      new Uint8Array(0),
      utf8.encode('order_ts'),
      utf8.encode('Zürich'),
      utf8.encode('日本の売上'),
      utf8.encode('a\0b'),
      new Uint8Array([0x61, 0xff, 0x62]),
      new Uint8Array([0xef, 0xbb, 0xbf, 0x61]),
      utf8.encode('x'.repeat(64)),
      utf8.encode(`${'y'.repeat(70)}é`),
      utf8.encode('z'.repeat(300)),
    ];
    for (const sample of samples) {
      const reader = new CompactReader(binary(sample));
      expect(reader.readString()).toBe(new TextDecoder('utf-8', { fatal: false }).decode(sample));
    }
  });
});
