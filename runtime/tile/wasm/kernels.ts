import { MATMUL_WASM_BASE64 } from './kernels-wasm.js';

// The WebAssembly side of the tile machine: one memory holding the scratchpad, the accumulator and the
// kernel's working space, and the SIMD128 MATMUL of matmul.wat. The TypeScript MATMUL in machine.ts stays
// the reference; tests run both on the same programs and require identical memories and counters.

let compiled: WebAssembly.Module | undefined;

/** The compiled module, once per process (a small module: synchronous compilation is fine). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(MATMUL_WASM_BASE64, 'base64'));
  return compiled;
}

type MatmulExport = (c: number, a: number, b: number, t: number, m: number, n: number, k: number, accumulate: number, pack: number, tmp: number) => void;
type RequantizeExport = (x: number, m: number, shift: number, zp: number, qmin: number, qmax: number) => number;
type RequantizeRowExport = (acc: number, out: number, n: number, m: number, shift: number, zp: number, qmin: number, qmax: number) => void;

let probe: WasmTileMemory | undefined;

/**
 * The kernel's requantization of one value (what STORE applies), for tests that hold it equal to ir/arith
 * requantize. multiplier >= 0 and shift in -31..30, as STORE checks.
 */
export function wasmRequantize(x: number, multiplier: number, shift: number, zeroPoint: number, qmin: number, qmax: number): number {
  probe ??= new WasmTileMemory(1, 1, 1);
  return probe.requantizeOne(x, multiplier, shift, zeroPoint, qmin, qmax);
}

const PAGE = 65536;
/** Bytes the kernel may read past a tile row (one v128 load), rounded up. */
const OVERREAD = 64;
const align = (v: number, to: number): number => Math.ceil(v / to) * to;

/** Scratchpad and accumulator in WebAssembly memory, with the SIMD MATMUL over them. */
export class WasmTileMemory {
  readonly spad: Int8Array;
  readonly acc: Int32Array;
  /** The last requantizeRow's int8 results. */
  readonly rowOut: Int8Array;
  private readonly matmulFn: MatmulExport;
  private readonly requantizeFn: RequantizeExport;
  private readonly requantizeRowFn: RequantizeRowExport;
  private readonly rowOutOffset: number;
  private readonly accOffset: number;
  private readonly pack: number;
  private readonly tmp: number;
  private readonly tt: number;

  /** `spadBytes` int8 scratchpad, `accWords` int32 accumulator, tiles of t×t. */
  constructor(readonly t: number, spadBytes: number, accWords: number) {
    this.tt = t * t;
    const accOffset = align(spadBytes + OVERREAD, 16);
    // Packed B: ceil(t/2) k-pairs × 64·ceil(t/16) bytes; then 64 bytes for a partial column group.
    const pack = align(accOffset + 4 * accWords + OVERREAD, 16);
    const packBytes = Math.ceil(t / 2) * 64 * Math.ceil(t / 16);
    const tmp = pack + packBytes;
    const rowOut = tmp + 64;
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((rowOut + align(t, 16)) / PAGE)) });
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
    this.matmulFn = instance.exports.matmul as MatmulExport;
    this.requantizeFn = instance.exports.requantize as RequantizeExport;
    this.requantizeRowFn = instance.exports.requantizeRow as RequantizeRowExport;
    this.rowOut = new Int8Array(memory.buffer, rowOut, t);
    this.rowOutOffset = rowOut;
    // The memory never grows, so these views stay valid.
    this.spad = new Int8Array(memory.buffer, 0, spadBytes);
    this.acc = new Int32Array(memory.buffer, accOffset, accWords);
    this.accOffset = accOffset;
    this.pack = pack;
    this.tmp = tmp;
  }

  /** acc[accSlot] (+)= spad[aSlot](m×k) · spad[bSlot](k×n), exactly as the TypeScript reference. Slots are checked by the caller. */
  matmul(accSlot: number, aSlot: number, bSlot: number, m: number, n: number, k: number, accumulate: boolean): void {
    const tt = this.tt;
    this.matmulFn(this.accOffset + 4 * accSlot * tt, aSlot * tt, bSlot * tt, this.t, m, n, k, accumulate ? 1 : 0, this.pack, this.tmp);
  }

  /**
   * rowOut[c] = requantize(acc[at + c]) for c < n (the arithmetic of ir/arith requantize; multiplier >= 0 and
   * shift in -31..30 are the caller's to check).
   */
  requantizeRow(at: number, n: number, multiplier: number, shift: number, zeroPoint: number, qmin: number, qmax: number): void {
    this.requantizeRowFn(this.accOffset + 4 * at, this.rowOutOffset, n, multiplier, shift, zeroPoint, qmin, qmax);
  }

  requantizeOne(x: number, multiplier: number, shift: number, zeroPoint: number, qmin: number, qmax: number): number {
    return this.requantizeFn(x, multiplier, shift, zeroPoint, qmin, qmax);
  }
}
