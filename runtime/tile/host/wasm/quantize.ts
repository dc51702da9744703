import { QUANTIZE_WASM_BASE64 } from './quantize-wasm.js';

// ir/arith quantizeF32 over a whole float32 array in WebAssembly SIMD (quantize.wat says why it is the same
// arithmetic). For the program boundary's entry quantization and the host Quantize op; each falls back to
// quantizeF32 itself when quantizeWasmApplies is false.

interface Kernel {
  readonly memory: WebAssembly.Memory;
  readonly quantize: (x: number, y: number, n: number, scale: number, zeroPoint: number, qmin: number, qmax: number) => void;
}

let kernel: Kernel | undefined;

function instance(): Kernel {
  if (kernel === undefined) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(QUANTIZE_WASM_BASE64, 'base64'))).exports;
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

/** out[i] = quantizeF32(x[i], scale, zeroPoint, qmin, qmax) for every i; the parameters must pass quantizeWasmApplies. */
export function quantizeF32Wasm(x: Float32Array, scale: number, zeroPoint: number, qmin: number, qmax: number, out: Int8Array): void {
  const k = instance(), n = x.length;
  // x at 0 as float32, the codes after it.
  const need = 5 * n, have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / PAGE));
  new Float32Array(k.memory.buffer, 0, n).set(x);
  k.quantize(0, 4 * n, n, scale, zeroPoint, qmin, qmax);
  out.set(new Int8Array(k.memory.buffer, 4 * n, n));
}
