import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantizeF32 } from '../../ir/arith.js';
import { build } from '../../runtime/tile/host/wasm/build.js';
import { expectCommittedKernel } from '../helpers/kernel-build.js';
import { quantizeF32Wasm, quantizeWasmApplies } from '../../runtime/tile/host/wasm/kernels.js';
import { HOST_WASM_BASE64 } from '../../runtime/tile/host/wasm/kernels-wasm.js';

// The host side's WebAssembly kernels: the committed bytes are what kernels.wat assembles to, and its
// quantize equals ir/arith quantizeF32 element for element — ties, NaN, infinities, subnormals, saturation, every
// clamp — through both its 16-wide SIMD body and its scalar tail.

/** Both ways over `values`; expects equal codes. */
function expectSame(values: number[], scale: number, zeroPoint: number, qmin: number, qmax: number): void {
  const x = Float32Array.from(values), out = new Int8Array(x.length);
  quantizeF32Wasm(x, scale, zeroPoint, qmin, qmax, out);
  const want = Array.from(x, (v) => quantizeF32(v, scale, zeroPoint, qmin, qmax));
  const bad = want.findIndex((q, i) => q !== out[i]);
  if (bad >= 0) expect({ x: x[bad], got: out[bad] }).toEqual({ x: x[bad], got: want[bad] });
}

const int8 = fc.oneof(fc.constantFrom(-128, 0, 127), fc.integer({ min: -128, max: 127 }));
const scale = fc.oneof(
  fc.constantFrom(1, 0.5, 2 ** -20, 3e-39, 1e-30, 1e30, 0.0078122299164533615, 0.1),
  fc.float({ min: Math.fround(1e-38), max: Math.fround(1e38), noNaN: true }),
).map(Math.fround);

describe('host WebAssembly kernels', () => {
  it('kernels-wasm.ts holds exactly the assembled kernels.wat, plain SIMD128', async () => {
    await expectCommittedKernel(build, HOST_WASM_BASE64);
  });

  it('equals quantizeF32 on ties, NaN, infinities, zeros, subnormals and extremes at every clamp', () => {
    fc.assert(fc.property(scale, int8, fc.tuple(int8, int8), (s, zeroPoint, clamp) => {
      const [qmin, qmax] = [Math.min(...clamp), Math.max(...clamp)];
      const values = [Number.NaN, -Number.NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38];
      // Exact ties k + 1/2 (and their neighbours) at this scale, over and beyond the code range.
      for (let k = -300; k <= 300; k += 7) {
        const t = Math.fround((k + 0.5) * s);
        values.push(t, Math.fround(k * s), Math.fround(t * (1 + 2 ** -23)), Math.fround(t * (1 - 2 ** -23)));
      }
      expectSame(values, s, zeroPoint, qmin, qmax);
    }), { seed: 0x5eed, numRuns: 150 });
  });

  it('equals quantizeF32 on random float32 arrays of every length (SIMD body and tail)', () => {
    fc.assert(fc.property(fc.array(fc.float(), { minLength: 0, maxLength: 70 }), scale, int8, fc.tuple(int8, int8), (values, s, zeroPoint, clamp) => {
      expectSame(values, s, zeroPoint, Math.min(...clamp), Math.max(...clamp));
    }), { seed: 0x5eee, numRuns: 300 });
  });

  it('grows its memory for large arrays and applies only to float32 scales and int8 parameters', () => {
    const n = 70_000, values = Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    expectSame(values, Math.fround(0.0213), -7, -128, 127);
    expect(quantizeWasmApplies(0.1, 0, -128, 127)).toBe(false); // 0.1 is not a float32 value
    expect(quantizeWasmApplies(Math.fround(0.1), 0, -128, 127)).toBe(true);
    expect(quantizeWasmApplies(Math.fround(0.1), 128, -128, 127)).toBe(false);
    expect(quantizeWasmApplies(Math.fround(0.1), 0, -200, 127)).toBe(false);
    expect(quantizeWasmApplies(0, 0, -128, 127)).toBe(false);
    expect(quantizeWasmApplies(Infinity, 0, -128, 127)).toBe(false);
  });
});
