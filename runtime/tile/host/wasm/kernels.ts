import { HOST_WASM_BASE64 } from './kernels-wasm.js';

// The host side's WebAssembly kernels (kernels.wat): ir/arith quantizeF32 over a whole float32 array (the
// .wat says why it is the same arithmetic), for the program boundary's entry quantization and the host
// Quantize op, which fall back to quantizeF32 itself when quantizeWasmApplies is false; the table lookups of
// QAdd (qadd-table.ts), Requantize and Dequantize (table-ops.ts); and the int8 MaxPool of 1-D and 2-D windows
// (maxpool-gather.ts). Operands are copied into the kernels' own memory and back.

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly quantize: (x: number, y: number, n: number, scale: number, zeroPoint: number, qmin: number, qmax: number) => void;
  readonly lookup2: (a: number, b: number, y: number, n: number, table: number) => void;
  readonly lookup1: (x: number, y: number, n: number, inner: number, channels: number, table: number) => void;
  readonly lookupf32: (x: number, y: number, n: number, table: number) => void;
  readonly maxpool: (x: number, y: number, planes: number, h: number, w: number, hout: number, wout: number, dH: number, dW: number, ht: number, wt: number, rows: number) => void;
}

let kernel: Kernel | undefined;

function instance(): Kernel {
  if (kernel === undefined) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(HOST_WASM_BASE64, 'base64'))).exports;
    kernel = exports as unknown as Kernel;
  }
  return kernel;
}

const isInt8 = (v: number): boolean => Number.isInteger(v) && v >= -128 && v <= 127;

/** True when the kernel computes quantizeF32 for these parameters: a positive finite float32 scale, int8 zero point and clamp. */
export function quantizeWasmApplies(scale: number, zeroPoint: number, qmin: number, qmax: number): boolean {
  return Math.fround(scale) === scale && Number.isFinite(scale) && scale > 0 && isInt8(zeroPoint) && isInt8(qmin) && isInt8(qmax) && qmin <= qmax;
}

const PAGE = 65536;

/** The kernels' memory, at least `bytes` long. */
function memoryOf(k: Kernel, bytes: number): ArrayBuffer {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  return k.memory.buffer;
}

/** out[i] = quantizeF32(x[i], scale, zeroPoint, qmin, qmax) for every i; the parameters must pass quantizeWasmApplies. */
export function quantizeF32Wasm(x: Float32Array, scale: number, zeroPoint: number, qmin: number, qmax: number, out: Int8Array): void {
  const k = instance(), n = x.length;
  // x at 0 as float32, the codes after it.
  const memory = memoryOf(k, 5 * n);
  new Float32Array(memory, 0, n).set(x);
  k.quantize(0, 4 * n, n, scale, zeroPoint, qmin, qmax);
  out.set(new Int8Array(memory, 4 * n, n));
}

/**
 * A MaxPool of planes of H x W int8 codes whose windows are products of row and column ranges: output row oh
 * takes rows rowsOf[2 oh] + j·dH for j < rowsOf[2 oh + 1], output column ow columns colsOf[2 ow] + j·dW for
 * j < colsOf[2 ow + 1] (every count >= 1).
 */
export interface RowColumnPool {
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly dH: number;
  readonly dW: number;
  readonly rowsOf: Int32Array;
  readonly colsOf: Int32Array;
}

/** y = the pool of x, both row-major codes (planes x H x W in, planes x Hout x Wout out). */
export function maxPoolWasm(g: RowColumnPool, x: Int8Array, y: Int8Array): void {
  const k = instance(), hout = g.rowsOf.length / 2, wout = g.colsOf.length / 2;
  // x, y (16 bytes on: the row loads may read past x), the two tables (4-byte aligned), one row of scratch
  // rounded up to whole 16-byte chunks.
  const xAt = 0, yAt = x.length + 16, htAt = 4 * Math.ceil((yAt + y.length) / 4), wtAt = htAt + 4 * g.rowsOf.length, rowsAt = wtAt + 4 * g.colsOf.length;
  const memory = memoryOf(k, rowsAt + 16 * Math.ceil(g.w / 16));
  new Int8Array(memory, xAt, x.length).set(x);
  new Int32Array(memory, htAt, g.rowsOf.length).set(g.rowsOf);
  new Int32Array(memory, wtAt, g.colsOf.length).set(g.colsOf);
  k.maxpool(xAt, yAt, g.planes, g.h, g.w, hout, wout, g.dH, g.dW, htAt, wtAt, rowsAt);
  y.set(new Int8Array(memory, yAt, y.length));
}

const TABLE_BYTES = 65536;

/** y[i] = table[(a[i] << 8) | b[i]] over bytes (a, b, y of one length; table of 65536 bytes). */
export function lookup2Wasm(table: Uint8Array, a: Uint8Array, b: Uint8Array, y: Uint8Array): void {
  const k = instance(), n = y.length;
  const memory = memoryOf(k, TABLE_BYTES + 3 * n);
  const bytes = new Uint8Array(memory);
  bytes.set(table, 0);
  bytes.set(a, TABLE_BYTES);
  bytes.set(b, TABLE_BYTES + n);
  k.lookup2(TABLE_BYTES, TABLE_BYTES + n, TABLE_BYTES + 2 * n, n, 0);
  y.set(bytes.subarray(TABLE_BYTES + 2 * n, TABLE_BYTES + 3 * n));
}

/** y[i] = table[256·c + x[i]] over bytes, c = floor(i / inner) mod channels (table: 256·channels bytes). */
export function lookupBytesWasm(table: Uint8Array, x: Uint8Array, y: Uint8Array, inner: number, channels: number): void {
  const k = instance(), n = x.length, t = table.length;
  const bytes = new Uint8Array(memoryOf(k, t + 2 * n));
  bytes.set(table, 0);
  bytes.set(x, t);
  k.lookup1(t, t + n, n, inner, channels, 0);
  y.set(bytes.subarray(t + n, t + 2 * n));
}

/** The little-endian float32 bytes of table[x[i]] for every i into y (4 bytes per x byte; table of 256). */
export function lookupF32Wasm(table: Float32Array, x: Uint8Array, y: Uint8Array): void {
  const k = instance(), n = x.length, xAt = 4 * table.length, yAt = xAt + 4 * Math.ceil(n / 4);
  const memory = memoryOf(k, yAt + 4 * n);
  new Float32Array(memory, 0, table.length).set(table);
  new Uint8Array(memory, xAt, n).set(x);
  k.lookupf32(xAt, yAt, n, 0);
  y.set(new Uint8Array(memory, yAt, 4 * n));
}
