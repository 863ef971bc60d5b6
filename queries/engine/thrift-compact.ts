// The Thrift compact protocol, as far as Parquet footers need: the one reader behind
// `summarizeParquetFooter` in read-errors.ts (what a file is, for error messages) and
// `parseParquetFooter` in prefetch.ts (where its column chunks are, for fetching only those), and
// the writer behind parquet-window.ts (a footer of some of a file's row groups, re-encoded).
// Bounded: every length is checked against the bytes there are, and nesting stops at 64 levels.

/** Thrift compact protocol type ids. */
const UTF8 = new TextDecoder('utf-8', { fatal: false });

export const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

/** The bytes are not the Thrift struct they should be (truncated, too deep, an unknown type). */
export class ThriftError extends Error {}

/** Just enough of the Thrift compact protocol to walk a Parquet footer's structs and skip what is not needed. */
export class CompactReader {
  private pos = 0;
  private depth = 0;
  constructor(private readonly bytes: Uint8Array) {}

  /** Where the next read starts: with `skip`, the span of a value, to copy it as it is (`CompactWriter.raw`). */
  get offset(): number {
    return this.pos;
  }

  /** The bytes [from, to) read so far. */
  span(from: number, to: number): Uint8Array {
    return this.bytes.subarray(from, to);
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new ThriftError('footer ends early');
    return this.bytes[this.pos++] as number;
  }

  private varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      // Past 2^53 precision is lost; row counts and lengths never get there in a real file.
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new ThriftError('varint too long');
    }
  }

  /** An i64 read exactly (file offsets and timestamps may pass 2^53). */
  readBigVarLong(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      n |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new ThriftError('varint too long');
    }
    return n & 1n ? -((n + 1n) >> 1n) : n >> 1n;
  }

  /** A binary value's bytes (a view of the footer, not a copy). */
  readBinary(): Uint8Array {
    const length = this.varint();
    if (length > this.bytes.length - this.pos) throw new ThriftError('binary past the end');
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  readVarLong(): number {
    const n = this.varint();
    // zigzag: even → n/2, odd → -(n+1)/2
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  readString(): string {
    const length = this.varint();
    if (length > this.bytes.length - this.pos) throw new ThriftError('string past the end');
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    // Names and small values are nearly always ASCII: made directly, as the decoder would.
    if (length <= 64) {
      let text = '';
      for (const b of slice) {
        if (b >= 0x80) return UTF8.decode(slice);
        text += String.fromCharCode(b);
      }
      return text;
    }
    return UTF8.decode(slice);
  }

  readStruct(onField: (id: number, type: number) => void): void {
    if (++this.depth > 64) throw new ThriftError('nested too deep');
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) break;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.readVarLong() : lastId + delta;
      lastId = id;
      onField(id, type);
    }
    this.depth--;
  }

  /** Walk a list's elements; `element` must consume each one. Returns the list's size. */
  readList(element: () => void): number {
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    if (size > this.bytes.length) throw new ThriftError('list larger than the footer');
    for (let i = 0; i < size; i++) element();
    return size;
  }

  /** Skip a list or set, returning its size. */
  skipList(): number {
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    const elem = header & 0x0f;
    if (size > this.bytes.length) throw new ThriftError('list larger than the footer');
    for (let i = 0; i < size; i++) this.skip(elem, true);
    return size;
  }

  skip(type: number, inCollection = false): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        // In a struct a bool lives in the field header; in a list it takes one byte.
        if (inCollection) this.byte();
        return;
      case T.BYTE:
        this.byte();
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint();
        return;
      case T.DOUBLE:
        if (this.pos + 8 > this.bytes.length) throw new ThriftError('double past the end');
        this.pos += 8;
        return;
      case T.BINARY: {
        const length = this.varint();
        if (length > this.bytes.length - this.pos) throw new ThriftError('binary past the end');
        this.pos += length;
        return;
      }
      case T.LIST:
      case T.SET:
        this.skipList();
        return;
      case T.MAP: {
        const size = this.varint();
        if (size === 0) return;
        const kinds = this.byte();
        if (size > this.bytes.length) throw new ThriftError('map larger than the footer');
        for (let i = 0; i < size; i++) {
          this.skip(kinds >> 4, true);
          this.skip(kinds & 0x0f, true);
        }
        return;
      }
      case T.STRUCT:
        this.readStruct((_, t) => this.skip(t));
        return;
      default:
        throw new ThriftError(`unknown thrift type ${type}`);
    }
  }
}

/**
 * Writes Thrift compact structs: field headers (with their id deltas), integers, list headers, and
 * values copied as they are from a `CompactReader` (`raw`). Only what re-encoding a footer needs.
 */
export class CompactWriter {
  private out = new Uint8Array(1024);
  private length = 0;
  /** The last field id written, per open struct. */
  private readonly lastIds: number[] = [0];

  private ensure(n: number): void {
    if (this.length + n <= this.out.length) return;
    const grown = new Uint8Array(Math.max(this.out.length * 2, this.length + n));
    grown.set(this.out.subarray(0, this.length));
    this.out = grown;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.out[this.length++] = b;
  }

  private varint(n: bigint): void {
    let v = n;
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      this.byte(v > 0n ? low | 0x80 : low);
    } while (v > 0n);
  }

  /** A field's header: its type, and its id as a delta from the last one when that fits in 4 bits. */
  field(id: number, type: number): void {
    const last = this.lastIds[this.lastIds.length - 1] as number;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.i64(BigInt(id));
    }
    this.lastIds[this.lastIds.length - 1] = id;
  }

  /** Open a struct (the field header or list header before it is the caller's). */
  beginStruct(): void {
    this.lastIds.push(0);
  }

  /** Close the struct opened last: its stop byte. */
  endStruct(): void {
    this.byte(0);
    this.lastIds.pop();
  }

  /** A zigzag varint (i16, i32 and i64 alike). */
  i64(n: bigint): void {
    this.varint(n < 0n ? (-n << 1n) - 1n : n << 1n);
  }

  listHeader(size: number, elementType: number): void {
    if (size < 15) this.byte((size << 4) | elementType);
    else {
      this.byte(0xf0 | elementType);
      this.varint(BigInt(size));
    }
  }

  /** Bytes copied as they are: a value read by `CompactReader.skip`, whose encoding needs no context. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.out.set(bytes, this.length);
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    return this.out.slice(0, this.length);
  }
}
