import { quantizeF32 } from '../../ir/arith.js';
import type { TensorData } from '../../ir/dtype.js';
import { QUANTIZE_WASM_BASE64 } from './wasm/quantize-wasm.js';

// The int8 codes of a product's weight: every element at its output channel's symmetric scale (ir/arith
// quantizeF32, zero point 0), plus each channel's code sum, which folding the input zero point into the bias
// needs. Two implementations with equal results: the TypeScript loop (the reference) and a WebAssembly SIMD
// kernel (wasm/quantize.wat) for float32 weights, which is what a large model's weights take; the tests
// compare them on random data, ties, NaN and infinities.

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

/** Elements the kernel's memory holds at once (4 bytes in, 1 out each); at most 2^23 so a sum of codes fits int32. */
export const WASM_CHUNK = 2 ** 20;

/** Runs shorter than this (Gemm B [K, N] has runs of 1) are not worth a call into WebAssembly each. */
const MIN_WASM_RUN = 16;

type QuantizeKernel = (src: number, dst: number, n: number, scale: number, qmin: number, qmax: number) => number;

/**
 * A quantizer with its own WebAssembly instance (one per pass run: passes keep no module state). Float32
 * weights with runs of at least MIN_WASM_RUN go through the kernel, `chunk` elements of whole runs at a time
 * (a longer run in pieces); anything else takes the reference loop.
 */
export function wasmWeightQuantizer(chunk = WASM_CHUNK): WeightQuantizer {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((chunk * 5) / 65536) });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(QUANTIZE_WASM_BASE64, 'base64')), { env: { memory } });
  const kernel = instance.exports.quantize as QuantizeKernel;
  const input = new Float32Array(memory.buffer, 0, chunk), codes = new Int8Array(memory.buffer, chunk * 4, chunk);
  const CODES_AT = chunk * 4;
  return (src, dst, scales, layout, qmin, qmax, rowSums) => {
    const { channels, inner } = layout;
    if (!(src instanceof Float32Array) || !(dst instanceof Int8Array) || inner < MIN_WASM_RUN) {
      quantizeWeightTs(src, dst, scales, layout, qmin, qmax, rowSums);
      return;
    }
    const runs = src.length / inner;
    for (let r = 0; r < runs;) {
      if (inner > chunk) {
        // One run in pieces.
        const c = r % channels;
        for (let off = 0; off < inner; off += chunk) {
          const at = r * inner + off, n = Math.min(chunk, inner - off);
          input.set(src.subarray(at, at + n));
          rowSums[c] += kernel(0, CODES_AT, n, scales[c]!, qmin, qmax);
          dst.set(codes.subarray(0, n), at);
        }
        r++;
        continue;
      }
      const count = Math.min(runs - r, Math.floor(chunk / inner)), at = r * inner;
      input.set(src.subarray(at, at + count * inner));
      for (let k = 0; k < count; k++) {
        const c = (r + k) % channels;
        rowSums[c] += kernel(k * inner * 4, CODES_AT + k * inner, inner, scales[c]!, qmin, qmax);
      }
      dst.set(codes.subarray(0, count * inner), at);
      r += count;
    }
  };
}
