// The mapping from engine messages to user words, and the byte-level Parquet checks, against the real
// messages DuckDB 0.9.1 prints for the Apache parquet-testing corpus and the corpus files themselves.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeOutOfMemory, describeQueryOutOfMemory, describeReadFailure, ENCRYPTED_PARQUET, outOfMemoryReason, summarizeParquetFooter, sniffParquetMagic } from './read-errors';

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/parquet-testing');

function footerOf(file: string): Uint8Array {
  const bytes = readFileSync(path.join(CORPUS, file));
  const length = bytes.readUInt32LE(bytes.length - 8);
  return bytes.subarray(bytes.length - 8 - length, bytes.length - 8);
}

describe('describeReadFailure', () => {
  // Each line is a message DuckDB-WASM 1.28.0 really printed for a corpus file (see inspect.test.ts).
  const cases: [string, string, RegExp][] = [
    ["Invalid Input error: Encrypted Parquet files are not supported for file '/d/x.parquet.encrypted'", 'encrypted', /^encrypted Parquet is not supported/],
    ['Invalid Error: Failed to read Parquet file "/d/x": Encrypted Parquet files are not supported', 'encrypted', /^encrypted Parquet is not supported/],
    ['Invalid Error: Unsupported compression codec "7". Supported options are uncompressed, gzip, snappy or zstd', 'unsupportedCodec', /compressed with LZ4_RAW/],
    ['Invalid Error: Unsupported compression codec "BROTLI". Supported options are uncompressed, gzip, snappy or zstd', 'unsupportedCodec', /compressed with BROTLI/],
    ['Invalid Error: BYTE_STREAM_SPLIT encoding is only supported for FLOAT or DOUBLE data', 'unsupportedEncoding', /BYTE_STREAM_SPLIT encoding/],
    ["Invalid Input Error: No magic bytes found at end of file '/d/notes.json'", 'notParquet', /^not a Parquet file/],
    ['Invalid Error: TProtocolException: Invalid data', 'malformed', /damaged or malformed .*TProtocolException/],
    ['Invalid Error: Out of buffer', 'malformed', /damaged or malformed/],
    ['Invalid Error: Decode bit width too large', 'malformed', /damaged or malformed/],
    ['Invalid Error: Snappy decompression failure', 'malformed', /damaged or malformed/],
    ['Not implemented Error: INVALID', 'malformed', /damaged or malformed/],
    ['IO Error: MAP_KEY_VALUE requires two children', 'malformed', /damaged or malformed/],
    ['Out of Memory Error: could not allocate block of size 256KB (1.9GB/2.0GB used)', 'tooLarge', /does not fit in the memory/],
    ['Invalid Input Error: Invalid unicode (byte sequence mismatch) detected in CSV file', 'badText', /not UTF-8/],
    ['Invalid Input Error: Error in file "/d/a.csv" on line 3: expected 2 values per row, but got 3', 'badText', /could not be parsed as a table/],
    ['Catalog Error: Table Function with name "read_json_auto" is not in the catalog, but it exists in the json extension.', 'unsupportedFormat', /^JSON files cannot be read by this build/],
    ['Invalid Error: Error: Range request for http://127.0.0.1:1/t/o/x/a.parquet failed with error: Error: Range request for http://127.0.0.1:1/t/o/x/a.parquet did returned non-success status: 502 "Bad Gateway"', 'unreachable', /^the data could not be fetched: HTTP 502 Bad Gateway, the storage behind it failed/],
    ['IO Error: HTTP Error: HTTP GET error on \'http://127.0.0.1:1/x\' (HTTP 503)', 'unreachable', /could not be fetched/],
  ];
  it.each(cases)('%s', (message, kind, words) => {
    const failure = describeReadFailure(message);
    expect(failure.kind).toBe(kind);
    expect(failure.message).toMatch(words);
    // The engine's own text stays available, without the file path that only clutters it.
    expect(failure.detail).not.toContain('/d/');
  });

  it('says what to do about out-of-memory, and that the engine was started again only when it stopped', () => {
    // The words the pinned engine (its Node build) gave for a 6M-row table of 1 KB strings.
    const buffers = describeReadFailure('Out of Memory Error: could not allocate block of size 262KB (3.4GB/3.4GB used)\nDatabase is launched in in-memory mode and no temporary directory is specified.');
    const refused = Object.assign(new Error(buffers.message), { code: 'sql', readFailure: buffers });
    expect(describeOutOfMemory(refused, 'orders', 'data/orders.csv')).toBe(
      '"orders" (data/orders.csv) does not fit in the memory the query engine may use (3.4GB). Load less of it: filter it in a SQL dataset, remove panels and measures you do not need (only the columns panels read are loaded), or split the data. Parquet data estimated larger than the memory budget is read from disk instead (scan mode).',
    );
    expect(outOfMemoryReason(refused)).toBe('too large for memory');
    // A wasm heap that cannot grow aborts the engine (engine.ts gives code "crashed"; the app restarts it).
    const aborted = Object.assign(new Error('The query engine stopped unexpectedly (RuntimeError: Aborted(OOM). Build with -sASSERTIONS for more info.).'), { code: 'crashed' });
    expect(describeOutOfMemory(aborted, 'orders')).toMatch(/^"orders" does not fit in the memory the query engine may use: the query engine ran out of memory and stopped, and Northstar started it again\. Load less/);
    expect(outOfMemoryReason(aborted)).toBe('too large for memory; the query engine was restarted');
    // One's own query (a SQL preview) is told to read less, with the limit when the engine says it.
    expect(describeQueryOutOfMemory(refused)).toBe(
      'The query needs more memory than the query engine may use (3.4GB). Make it hold less at once: aggregate or filter the rows in the query, select fewer columns, or add a LIMIT.',
    );
    expect(describeQueryOutOfMemory(aborted)).toMatch(/^The query needs more memory than the query engine may use: the query engine ran out of memory and stopped, and Northstar started it again\. Make it/);
    // An engine that survived the error and was started afresh by the app to free the memory.
    expect(describeQueryOutOfMemory(refused, { restarted: true })).toBe(
      'The query needs more memory than the query engine may use (3.4GB); Northstar started the query engine again to free the memory it took, and the data is loaded again. Make it hold less at once: aggregate or filter the rows in the query, select fewer columns, or add a LIMIT.',
    );
    // An aborted engine was started again already: said once.
    expect(describeQueryOutOfMemory(aborted, { restarted: true })).not.toContain('free the memory');
    // Other failures are not called out-of-memory.
    const trap = Object.assign(new Error('The query engine stopped unexpectedly (RuntimeError: unreachable executed).'), { code: 'crashed' });
    expect([describeOutOfMemory(trap, 'orders'), describeQueryOutOfMemory(trap), outOfMemoryReason(trap), outOfMemoryReason('Out of Memory')]).toEqual([null, null, null, null]);
  });

  it('does not call a locked setting an out-of-memory', () => {
    expect(describeReadFailure('Invalid Input Error: Cannot change memory_limit: the configuration has been locked').kind).toBe('other');
  });

  it('passes an unknown message through as its first line, without the error-class prefix', () => {
    expect(describeReadFailure('Binder Error: something new\nLINE 1: ...')).toEqual({ kind: 'other', message: 'something new', detail: 'something new\nLINE 1: ...' });
  });
});

describe('sniffParquetMagic', () => {
  const b = (s: string) => new TextEncoder().encode(s);
  it('tells plain, encrypted-footer, truncated and other files apart', () => {
    expect(sniffParquetMagic(b('PAR1'), b('PAR1'))).toEqual({ kind: 'parquet' });
    expect(sniffParquetMagic(b('PARE'), b('PARE'))).toEqual({ kind: 'encryptedParquet' });
    expect(sniffParquetMagic(b('PAR1'), b('\0\0\0\0'))).toEqual({ kind: 'truncatedParquet' });
    expect(sniffParquetMagic(b('id,a'), b('3,4\n'))).toEqual({ kind: 'notParquet' });
    expect(sniffParquetMagic(b('PA'), b('R1'))).toEqual({ kind: 'notParquet' });
  });
});

describe('summarizeParquetFooter', () => {
  it('reads rows, row groups and writer of a real file', () => {
    expect(summarizeParquetFooter(footerOf('data/alltypes_tiny_pages.parquet'))).toEqual({
      numRows: 7300,
      rowGroups: 1,
      writer: 'parquet-mr version 1.12.0-SNAPSHOT (build 6901a2040848c6b37fa61f4b0a76246445f396db)',
      encrypted: false,
    });
  });

  it('sees the encryption algorithm of a plaintext-footer encrypted file (PAR1 magic, encrypted columns)', () => {
    const bytes = readFileSync(path.join(CORPUS, 'data/encrypt_columns_plaintext_footer.parquet.encrypted'));
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
    expect(summarizeParquetFooter(footerOf('data/encrypt_columns_plaintext_footer.parquet.encrypted'))?.encrypted).toBe(true);
    expect(ENCRYPTED_PARQUET).toMatch(/^encrypted Parquet is not supported/);
  });

  it('returns null (never throws, never loops) on damaged footers', () => {
    const good = footerOf('data/alltypes_plain.parquet');
    // Every truncation and a deterministic spread of single-byte corruptions.
    for (let n = 0; n < good.length; n += 1) {
      const result = summarizeParquetFooter(good.subarray(0, n));
      expect(result === null || typeof result === 'object').toBe(true);
    }
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i += 1) {
      const copy = Uint8Array.from(good);
      copy[next() % copy.length] = next() % 256;
      const result = summarizeParquetFooter(copy);
      expect(result === null || typeof result === 'object').toBe(true);
    }
    expect(summarizeParquetFooter(new Uint8Array([0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f]))).toBeNull();
  });
});
