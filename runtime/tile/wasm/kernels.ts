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

const PAGE = 65536;
/** Bytes the kernel may read past a tile row (one v128 load), rounded up. */
const OVERREAD = 64;
const align = (v: number, to: number): number => Math.ceil(v / to) * to;

/** Scratchpad and accumulator in WebAssembly memory, with the SIMD MATMUL over them. */
export class WasmTileMemory {
  readonly spad: Int8Array;
  readonly acc: Int32Array;
  private readonly matmulFn: MatmulExport;
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
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((tmp + 64) / PAGE)) });
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
    this.matmulFn = instance.exports.matmul as MatmulExport;
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
}
