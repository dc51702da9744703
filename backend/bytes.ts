import { fail } from '../ir/errors.js';

// Little-endian byte writing and bounds-checked reading for the .tbin format.

export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private n = 0;

  get length(): number { return this.n; }

  u8(v: number): void { this.at(1).setUint8(this.n - 1, v); }
  u16(v: number): void { this.at(2).setUint16(this.n - 2, v, true); }
  u32(v: number): void { this.at(4).setUint32(this.n - 4, v, true); }
  i32(v: number): void { this.at(4).setInt32(this.n - 4, v, true); }
  f64(v: number): void { this.at(8).setFloat64(this.n - 8, v, true); }

  bytes(b: Uint8Array): void {
    this.at(b.length);
    this.buf.set(b, this.n - b.length);
  }

  /** u16 byte length, then UTF-8. */
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    if (b.length > 0xffff) fail(`name '${s.slice(0, 40)}...' is longer than 65535 bytes`);
    this.u16(b.length);
    this.bytes(b);
  }

  /** Zero bytes up to a multiple of `align`. */
  pad(align: number): void {
    const rem = this.n % align;
    if (rem) this.at(align - rem);
  }

  /** Overwrites a u32 written earlier (section lengths). */
  patchU32(offset: number, v: number): void { this.view.setUint32(offset, v, true); }

  result(): Uint8Array { return this.buf.slice(0, this.n); }

  /** Grows by `k` bytes (zeroed) and returns the view. */
  private at(k: number): DataView {
    if (this.n + k > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.n + k) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.n += k;
    return this.view;
  }
}

export class ByteReader {
  private readonly view: DataView;
  pos: number;

  /** Reads bytes[start, end); errors name `where` and the offset. */
  constructor(private readonly src: Uint8Array, private readonly where: string, start = 0, private readonly end = src.length) {
    this.view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    this.pos = start;
  }

  get remaining(): number { return this.end - this.pos; }

  private take(k: number, what: string): number {
    if (this.pos + k > this.end) fail(`${this.where}: truncated: needs ${k} bytes for ${what} at byte ${this.pos}, only ${this.end - this.pos} left`);
    const p = this.pos;
    this.pos += k;
    return p;
  }

  u8(what: string): number { return this.view.getUint8(this.take(1, what)); }
  u16(what: string): number { return this.view.getUint16(this.take(2, what), true); }
  u32(what: string): number { return this.view.getUint32(this.take(4, what), true); }
  i32(what: string): number { return this.view.getInt32(this.take(4, what), true); }
  f64(what: string): number { return this.view.getFloat64(this.take(8, what), true); }

  bytes(k: number, what: string): Uint8Array {
    const p = this.take(k, what);
    return this.src.slice(p, p + k);
  }

  str(what: string): string {
    const n = this.u16(`${what} length`);
    const p = this.take(n, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.src.subarray(p, p + n));
    } catch {
      fail(`${this.where}: ${what} at byte ${p} is not valid UTF-8`);
    }
  }

  /** Skips padding up to a multiple of `align` (relative to the file start); padding must be zero. */
  zeroPad(align: number, what: string): void {
    while (this.pos % align !== 0) {
      const p = this.pos;
      if (this.u8(what) !== 0) fail(`${this.where}: ${what} padding byte at ${p} is not zero`);
    }
  }
}
