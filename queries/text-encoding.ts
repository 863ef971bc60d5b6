// The text encoding of a CSV file, and its conversion to UTF-8: DuckDB 0.9.1 reads UTF-8 only and
// fails on anything else ("Invalid unicode"), while spreadsheets on Windows write Windows-1252 or
// UTF-16. Detection is by byte order mark, then by UTF-8 validity, then by the NUL pattern of
// UTF-16 without a mark; what is left is read as Windows-1252, the superset of Latin-1 that
// browsers use for "latin1" too (every byte is a character, so it never fails).
/** An encoding this module detects, by its WHATWG label. */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** What was found: the encoding, whether a byte order mark said so, and a name for people. */
export interface DetectedEncoding {
  encoding: TextEncodingName;
  bom: boolean;
  /** e.g. "UTF-16 (little-endian, with BOM)", "Windows-1252 (Latin-1)". */
  label: string;
}

/** Each encoding's short name for people, e.g. in a source's location ("Windows-1252, converted"). */
export const ENCODING_NAMES: Record<TextEncodingName, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', 'windows-1252': 'Windows-1252' };

/** The most bytes converted in memory; a bigger file that is not UTF-8 is refused with this figure. */
export const MAX_TRANSCODE_BYTES = 256 * 1024 * 1024;

/**
 * Detect the encoding of text bytes. `partial`: the bytes are only the start of the file (a
 * character cut at their end is then not an error).
 */
export function detectTextEncoding(bytes: Uint8Array, partial = false): DetectedEncoding {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', bom: true, label: 'UTF-8 (with BOM)' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', bom: true, label: 'UTF-16 (little-endian, with BOM)' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', bom: true, label: 'UTF-16 (big-endian, with BOM)' };
  const utf16 = utf16WithoutBom(bytes);
  if (utf16) return { encoding: utf16, bom: false, label: `UTF-16 (${utf16 === 'utf-16le' ? 'little' : 'big'}-endian)` };
  if (isUtf8(bytes, partial)) return { encoding: 'utf-8', bom: false, label: 'UTF-8' };
  return { encoding: 'windows-1252', bom: false, label: 'Windows-1252 (Latin-1)' };
}

/**
 * The bytes as UTF-8 without a byte order mark (DuckDB reads that), with what they were; the
 * same array when they already were plain UTF-8. Throws when a converted file would be too large.
 */
export function toUtf8(bytes: Uint8Array, name: string, maxBytes: number = MAX_TRANSCODE_BYTES): { bytes: Uint8Array; detected: DetectedEncoding } {
  const detected = detectTextEncoding(bytes);
  if (detected.encoding === 'utf-8' && !detected.bom) return { bytes, detected };
  if (bytes.length > maxBytes) throw new Error(tooLargeToConvert(name, detected, bytes.length, maxBytes));
  // TextDecoder drops the byte order mark itself (ignoreBOM defaults to false).
  const text = detected.encoding === 'windows-1252' ? decodeWindows1252(bytes) : new TextDecoder(detected.encoding).decode(bytes);
  return { bytes: new TextEncoder().encode(text), detected };
}

/** Why a file that is not UTF-8 is not converted: its size. */
export function tooLargeToConvert(name: string, detected: DetectedEncoding, size: number, maxBytes: number = MAX_TRANSCODE_BYTES): string {
  const count = (n: number) => n.toLocaleString('en-US');
  return `${name} is ${detected.label}, not UTF-8, and at ${count(size)} bytes too large to convert in memory (at most ${count(maxBytes)}): save it as UTF-8 first.`;
}

// 0x80-0x9F of Windows-1252 (the rest is Latin-1: byte = code point). Decoded by hand: Node 20's
// TextDecoder("windows-1252") decodes those bytes as Latin-1 control characters.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    out += String.fromCharCode(...Array.from(chunk, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH.charCodeAt(b - 0x80) : b)));
  }
  return out;
}

function isUtf8(bytes: Uint8Array, partial: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: partial });
    return true;
  } catch {
    return false;
  }
}

/**
 * UTF-16 text without a mark: mostly ASCII, so one byte of each pair is NUL. Judged on the first
 * 4 KB: at least a third of the pairs must have a NUL on the same side and none on the other.
 */
function utf16WithoutBom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenNul += 1;
    if (bytes[i + 1] === 0) oddNul += 1;
  }
  const pairs = n / 2;
  if (oddNul >= pairs / 3 && evenNul === 0) return 'utf-16le';
  if (evenNul >= pairs / 3 && oddNul === 0) return 'utf-16be';
  return null;
}
