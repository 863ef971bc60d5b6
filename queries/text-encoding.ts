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

/** A file that is no text, told by its first bytes; gzip is the one a text source may be (it is read decompressed). */
export interface BinaryFormat {
  kind: 'gzip' | 'zip' | 'xls' | 'parquet' | 'zstd' | 'bzip2' | 'xz' | 'pdf';
  /** What it is, for people: "a ZIP archive (an Excel .xlsx workbook is one)". */
  what: string;
  /** What to do instead. */
  advice: string;
}

const DECOMPRESS = 'decompress it first (a gzip-compressed file is read as it is)';
const SIGNATURES: { bytes: readonly number[]; format: BinaryFormat }[] = [
  { bytes: [0x1f, 0x8b, 0x08], format: { kind: 'gzip', what: 'gzip-compressed', advice: '' } },
  { bytes: [0x50, 0x4b, 0x03, 0x04], format: { kind: 'zip', what: 'a ZIP archive (an Excel .xlsx workbook is one)', advice: 'export the sheet as CSV, or unzip the file' } },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], format: { kind: 'xls', what: 'an Excel 97-2003 workbook', advice: 'save the sheet as CSV' } },
  { bytes: [0x50, 0x41, 0x52, 0x31], format: { kind: 'parquet', what: 'a Parquet file', advice: "set the source's format to Parquet" } },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], format: { kind: 'zstd', what: 'zstd-compressed', advice: DECOMPRESS } },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], format: { kind: 'xz', what: 'xz-compressed', advice: DECOMPRESS } },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], format: { kind: 'pdf', what: 'a PDF document', advice: 'export its table as CSV' } },
];

/** The binary format a file's first bytes show, or null for anything that may be text. */
export function binaryFormat(start: Uint8Array): BinaryFormat | null {
  for (const { bytes, format } of SIGNATURES) if (bytes.every((b, i) => start[i] === b)) return format;
  // "BZh", a block size digit, then the block magic (the digits of pi): no CSV header starts so.
  const bzip2 = [0x42, 0x5a, 0x68, -1, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
  if (bzip2.every((b, i) => (b === -1 ? (start[i] ?? 0) >= 0x31 && (start[i] ?? 0) <= 0x39 : start[i] === b))) return { kind: 'bzip2', what: 'bzip2-compressed', advice: DECOMPRESS };
  return null;
}

/** Why a text source cannot be read: what its bytes are, and what to do. */
export function notTextMessage(name: string, format: BinaryFormat, expected: 'CSV' | 'JSON'): string {
  return `${name} is ${format.what}, not ${expected} text: ${format.advice}.`;
}

/** Why a gzip-compressed file is not decompressed: its size. */
export function tooLargeToDecompress(name: string, size: number, maxBytes: number): string {
  return `${name} is gzip-compressed and, at ${size.toLocaleString('en-US')} bytes, too large to decompress in memory (at most ${maxBytes.toLocaleString('en-US')}): decompress it first.`;
}

/**
 * Gzip-compressed bytes decompressed (by the platform's DecompressionStream, in the page and in
 * Node alike), refused beyond `max` bytes of text or when they are not valid gzip.
 */
export async function gunzip(bytes: Uint8Array, name: string, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel();
        throw new GunzipError(`${name} holds more than ${max.toLocaleString('en-US')} bytes of text once decompressed, too many to read in memory: split it, or convert it to Parquet.`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof GunzipError) throw err;
    throw new Error(`${name} is gzip-compressed, but its data is damaged or cut short (${err instanceof Error ? err.message : String(err)}): compress it again.`);
  }
  return concatBytes(chunks, total);
}

/** Chunks of `total` bytes in all, as one array. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

class GunzipError extends Error {}

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
