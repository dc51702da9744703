import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { qRange } from '../../../ir/arith.js';
import { build } from '../../../passes/quantize/wasm/build.js';
import { expectCommittedKernel } from '../../helpers/kernel-build.js';
import { QUANTIZE_WASM_BASE64 } from '../../../passes/quantize/wasm/quantize-wasm.js';
import { tensor } from '../../../ir/tensor.js';
import { type WeightLayout, type WeightQuantizer, quantizeWeightTs, scaleRowsTs, wasmWeightKernels, weightAlphas } from '../../../passes/quantize/weight-codes.js';

// The WebAssembly weight kernels give exactly what the TypeScript reference loops give: the codes and channel
// sums (ir/arith quantizeF32 per element), including ties, NaN, infinities and values far outside the code range,
// max|w| per slice (NaN propagating) and rows times per-channel scales (BN folding), for every layout and however
// the weight is cut into chunks of the kernel's memory.

function run(q: WeightQuantizer, src: Float32Array, scales: readonly number[], layout: WeightLayout, bits: number) {
  const [qmin, qmax] = qRange(bits, true);
  const codes = new Int8Array(src.length), sums = new Float64Array(layout.channels);
  q(src, codes, scales, layout, qmin, qmax, sums);
  return { codes: Array.from(codes), sums: Array.from(sums) };
}

const specials = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, 127.5, -128.5, 1e30, -1e30, Infinity, -Infinity, NaN, 1e-40, Math.fround(0.1)];
const element = fc.oneof(fc.float({ noDefaultInfinity: false, noNaN: false }), fc.float({ min: -300, max: 300 }), fc.constantFrom(...specials));
const scale = fc.oneof(fc.constant(1), fc.float({ min: Math.fround(1e-6), max: 4, noNaN: true }), fc.double({ min: 1e-6, max: 4, noNaN: true }));

describe('weight kernels: WebAssembly vs TypeScript reference', () => {
  it('quantize-wasm.ts holds exactly the assembled quantize.wat, plain SIMD128', async () => {
    await expectCommittedKernel(build, QUANTIZE_WASM_BASE64);
  });

  it('ties go to even, NaN to 0, infinities and far values saturate', () => {
    const src = new Float32Array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, NaN, Infinity, -Infinity, 1e30, -1e30, -0, 127.5, -128.5, 3.4999998, 3.5,
      ...new Array<number>(16).fill(0.25)]);
    const layout = { channels: 1, inner: src.length };
    const got = run(wasmWeightKernels().quantize, src, [1], layout, 8);
    expect(got.codes.slice(0, 16)).toEqual([0, 2, 2, 0, -2, -2, 0, 127, -128, 127, -128, 0, 127, -128, 3, 4]);
    expect(got).toEqual(run(quantizeWeightTs, src, [1], layout, 8));
  });

  it('equals the reference for random weights, scales, bit widths, layouts and chunk sizes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 8 }),
      fc.constantFrom(16, 24, 64, 2 ** 20), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (channels, inner, repeats, bits, chunk, seed) => {
        const n = channels * inner * repeats;
        const src = new Float32Array(fc.sample(element, { numRuns: n, seed }));
        const scales = fc.sample(scale, { numRuns: channels, seed: seed + 1 });
        const layout = { channels, inner };
        expect(run(wasmWeightKernels(chunk).quantize, src, scales, layout, bits)).toEqual(run(quantizeWeightTs, src, scales, layout, bits));
      }), { seed: 20261127, numRuns: 200 });
  });

  it('max|w| per slice equals the reference (NaN stays NaN) for random shapes, axes and chunk sizes', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 4 }),
      fc.constantFrom(16, 24, 64, 2 ** 20), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean(),
      (dims, axisPick, chunk, seed, withNaN) => {
        const shape = [...dims, 16]; // runs of at least 16 along the last axis reach the kernel
        const n = shape.reduce((a, b) => a * b, 1);
        const data = fc.sample(fc.float({ noNaN: true }), { numRuns: n, seed });
        if (withNaN) data[seed % n] = NaN;
        const w = tensor('float32', shape, data);
        const axis = axisPick >= shape.length - 1 ? undefined : axisPick;
        expect(wasmWeightKernels(chunk).alphas(w, axis)).toEqual(weightAlphas(w, axis));
      }), { seed: 20261128, numRuns: 200 });
  });

  it('rows times per-channel factors (rounded once to float32) equal the reference, overflow and NaN included', () => {
    const factor = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(0, -0, 1e38, -1e-45, Infinity));
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 3 }),
      fc.constantFrom(16, 24, 64, 2 ** 20), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (channels, inner, repeats, chunk, seed) => {
        const n = channels * inner * repeats;
        const src = new Float32Array(fc.sample(element, { numRuns: n, seed }));
        const s = new Float64Array(fc.sample(factor, { numRuns: channels, seed: seed + 1 }));
        const want = new Float32Array(n), got = new Float32Array(n);
        scaleRowsTs(src, want, s, inner);
        wasmWeightKernels(chunk).scaleRows(src, got, s, inner);
        expect(Array.from(got)).toEqual(Array.from(want));
      }), { seed: 20261129, numRuns: 200 });
  });
});
