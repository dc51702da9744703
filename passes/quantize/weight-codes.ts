import { quantizeF32 } from '../../ir/arith.js';
import type { TensorData } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor.js';
import { QUANTIZE_WASM_BASE64 } from './wasm/quantize-wasm.js';

// The walks the compiler makes over every weight element:
// - fold-batchnorm: each output channel's weights times that channel's BN scale;
// - quantize-annotate: max|w| per output channel (or of the whole tensor), from which the symmetric scales follow;
// - quantize-realize: the int8 codes, every element at its channel's scale (ir/arith quantizeF32, zero point 0),
//   plus each channel's code sum, which folding the input zero point into the bias needs.
// Each has a TypeScript loop (the reference) and a WebAssembly SIMD kernel (wasm/quantize.wat) with equal
// results for float32 weights, which is what a large model's weights take; the tests compare them on random
// data, ties, NaN and infinities.

/** How a product's weight is laid out by output channel: element i belongs to channel floor(i / inner) % channels. */
export interface WeightLayout {
  readonly channels: number;
  /** Conv W [O, ...]: the elements per channel; Gemm B [N, K] (transB): K; Gemm B [K, N]: 1. */
  readonly inner: number;
}

/** dst[i] = the code of src[i] at its channel's scale in [qmin, qmax]; rowSums[c] += the codes of channel c. */
export type WeightQuantizer = (src: TensorData, dst: TensorData, scales: readonly number[], layout: WeightLayout,
  qmin: number, qmax: number, rowSums: Float64Array) => void;

/** The reference: block by block (one channel's run of `inner` elements), so the scale is fixed in the inner loop. */
export const quantizeWeightTs: WeightQuantizer = (src, dst, scales, layout, qmin, qmax, rowSums) => {
  const { channels, inner } = layout;
  for (let i = 0; i < src.length;) {
    for (let c = 0; c < channels; c++) {
      const scale = scales[c]!;
      let sum = 0;
      for (const end = i + inner; i < end; i++) {
        const q = quantizeF32(src[i]!, scale, 0, qmin, qmax);
        dst[i] = q;
        sum += q;
      }
      rowSums[c] += sum;
    }
  }
};

/** max|w| of a whole tensor, or per slice along `axis` of a 2-D+ tensor (the reference). */
export function weightAlphas(w: Tensor, axis: number | undefined): number[] {
  if (axis === undefined) {
    let a = 0;
    const data = w.data;
    for (let i = 0; i < data.length; i++) a = Math.max(a, Math.abs(data[i]!));
    return [a];
  }
  const extent = w.shape[axis]!;
  const inner = w.shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const alphas = new Float64Array(extent);
  const data = w.data;
  // Element i is in slice floor(i / inner) % extent: blocks of `inner` elements, cycling through the slices.
  for (let i = 0; i < data.length;) {
    for (let c = 0; c < extent; c++) {
      let a = alphas[c]!;
      for (const end = i + inner; i < end; i++) a = Math.max(a, Math.abs(data[i]!)); // Math.max: a NaN weight stays NaN
      alphas[c] = a;
    }
  }
  return [...alphas];
}

/** dst = src with run r (`inner` elements) times s[r % s.length], each product stored in dst's dtype. */
export type RowScaler = (src: TensorData, dst: TensorData, s: Float64Array, inner: number) => void;

/** The reference. */
export const scaleRowsTs: RowScaler = (src, dst, s, inner) => {
  for (let i = 0; i < src.length;) {
    for (let ch = 0; ch < s.length; ch++) {
      const k = s[ch]!;
      for (const end = i + inner; i < end; i++) dst[i] = src[i]! * k;
    }
  }
};

/** The walks, with (at most) one WebAssembly instance behind them, one per pass run: passes keep no module state. */
export interface WeightKernels {
  readonly scaleRows: RowScaler;
  readonly quantize: WeightQuantizer;
  /** weightAlphas. */
  readonly alphas: (w: Tensor, axis: number | undefined) => number[];
}

/** Elements the kernel's memory holds at once (4 bytes in, 1 out each); at most 2^23 so a sum of codes fits int32. */
const WASM_CHUNK = 2 ** 20;

/** Runs shorter than this (Gemm B [K, N] has runs of 1) are not worth a call into WebAssembly each. */
const MIN_WASM_RUN = 16;

type QuantizeKernel = (src: number, dst: number, n: number, scale: number, qmin: number, qmax: number) => number;
type AbsMaxKernel = (src: number, n: number) => number;
type ScaleKernel = (p: number, n: number, k: number) => void;

/**
 * The WebAssembly kernels. Float32 weights whose runs (the elements of one channel in a row) have at least
 * MIN_WASM_RUN elements go through them, copied into the kernel memory `chunk` elements of whole runs at a time
 * (a longer run in pieces); anything else takes the reference loops.
 */
export function wasmWeightKernels(chunk = WASM_CHUNK): WeightKernels {
  const CODES_AT = chunk * 4;
  // Instantiated at the first weight that takes the kernels: small graphs (most tests) never reserve the memory.
  let wasm: { quantize: QuantizeKernel; absMax: AbsMaxKernel; scale: ScaleKernel; input: Float32Array; codes: Int8Array } | undefined;
  const kernels = () => {
    if (!wasm) {
      const memory = new WebAssembly.Memory({ initial: Math.ceil((chunk * 5) / 65536) });
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(QUANTIZE_WASM_BASE64, 'base64')), { env: { memory } });
      wasm = {
        quantize: exports.quantize as QuantizeKernel, absMax: exports.abs_max as AbsMaxKernel, scale: exports.scale as ScaleKernel,
        input: new Float32Array(memory.buffer, 0, chunk), codes: new Int8Array(memory.buffer, CODES_AT, chunk),
      };
    }
    return wasm;
  };

  /**
   * Copies src into the input memory chunk by chunk; visit(run, at, n) for each run (or piece of one) at input
   * element `at`, then copied(srcAt, n) once the chunk's n elements from src[srcAt] are done.
   */
  const walk = (src: Float32Array, inner: number, visit: (run: number, at: number, n: number) => void, copied?: (srcAt: number, n: number) => void): void => {
    const { input } = kernels();
    const runs = src.length / inner;
    for (let r = 0; r < runs;) {
      if (inner > chunk) {
        for (let off = 0; off < inner; off += chunk) {
          const at = r * inner + off, n = Math.min(chunk, inner - off);
          input.set(src.subarray(at, at + n));
          visit(r, 0, n);
          copied?.(at, n);
        }
        r++;
        continue;
      }
      const count = Math.min(runs - r, Math.floor(chunk / inner)), at = r * inner;
      input.set(src.subarray(at, at + count * inner));
      for (let k = 0; k < count; k++) visit(r + k, k * inner, inner);
      copied?.(at, count * inner);
      r += count;
    }
  };

  const quantize: WeightQuantizer = (src, dst, scales, layout, qmin, qmax, rowSums) => {
    const { channels, inner } = layout;
    if (!(src instanceof Float32Array) || !(dst instanceof Int8Array) || inner < MIN_WASM_RUN) {
      quantizeWeightTs(src, dst, scales, layout, qmin, qmax, rowSums);
      return;
    }
    const { quantize: kernel, codes } = kernels();
    walk(src, inner, (run, at, n) => {
      const c = run % channels;
      rowSums[c] += kernel(at * 4, CODES_AT + at, n, scales[c]!, qmin, qmax);
    }, (srcAt, n) => dst.set(codes.subarray(0, n), srcAt));
  };

  const alphas = (w: Tensor, axis: number | undefined): number[] => {
    const extent = axis === undefined ? 1 : w.shape[axis]!;
    const inner = axis === undefined ? w.data.length : w.shape.slice(axis + 1).reduce((x, y) => x * y, 1);
    if (!(w.data instanceof Float32Array) || inner < MIN_WASM_RUN) return weightAlphas(w, axis);
    const out = new Float64Array(extent);
    const { absMax } = kernels();
    walk(w.data, inner, (run, at, n) => {
      const c = run % extent;
      out[c] = Math.max(out[c]!, absMax(at * 4, n));
    });
    return [...out];
  };

  const scaleRows: RowScaler = (src, dst, s, inner) => {
    if (!(src instanceof Float32Array) || !(dst instanceof Float32Array) || inner < MIN_WASM_RUN) {
      scaleRowsTs(src, dst, s, inner);
      return;
    }
    const { scale, input } = kernels();
    // Scaled in place in the input memory, then copied out chunk by chunk.
    walk(src, inner, (run, at, n) => scale(at * 4, n, s[run % s.length]!), (srcAt, n) => dst.set(input.subarray(0, n), srcAt));
  };

  return { scaleRows, quantize, alphas };
}
