import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT32_MAX, INT32_MIN, quantizeMultiplier, requantize } from '../../ir/arith.js';
import { multiplyByQuantizedMultiplierRef } from '../../ir/arith/fixedpoint-reference.js';
import { wasmRequantize } from '../../runtime/tile/wasm/kernels.js';

// STORE's requantization in WebAssembly (runtime/tile/wasm/matmul.wat) must be ir/arith requantize, the one
// rule, on every input STORE accepts: int32 accumulator and zero point, multiplier in 0..2^31-1, shift in
// -31..30, clamp bounds in int8. Checked on edges exhaustively combined, on random values, and against the
// BigInt reference of the fixed-point multiply.

const EDGE_X = [0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -256, 2 ** 15, -(2 ** 15), 2 ** 30, -(2 ** 30), 2 ** 30 + 1, -(2 ** 30) - 1, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1];
const EDGE_M = [0, 1, 2, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 2 ** 31 - 2, 1518500250, 1073741823];
const EDGE_SHIFT = [-31, -30, -17, -16, -2, -1, 0, 1, 2, 15, 29, 30];
const EDGE_ZP = [0, 1, -1, 127, -128, INT32_MAX, INT32_MIN];

describe('WebAssembly requantization equals ir/arith requantize', () => {
  it('on every combination of edge values', () => {
    let checked = 0;
    for (const x of EDGE_X) for (const m of EDGE_M) for (const shift of EDGE_SHIFT) for (const zp of EDGE_ZP) {
      for (const [qmin, qmax] of [[-128, 127], [0, 127], [-5, 5]] as const) {
        const want = requantize(x, m, shift, zp, qmin, qmax);
        const got = wasmRequantize(x, m, shift, zp, qmin, qmax);
        if (got !== want) expect({ x, m, shift, zp, qmin, qmax, got }).toEqual({ x, m, shift, zp, qmin, qmax, got: want });
        checked++;
      }
    }
    expect(checked).toBe(EDGE_X.length * EDGE_M.length * EDGE_SHIFT.length * EDGE_ZP.length * 3);
  });

  it('on random inputs, and the unclamped value matches the BigInt reference', () => {
    const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });
    fc.assert(fc.property(
      int32, fc.integer({ min: 0, max: INT32_MAX }), fc.integer({ min: -31, max: 30 }), fc.integer({ min: -300, max: 300 }),
      fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 }),
      (x, m, shift, zp, a, b) => {
        const [qmin, qmax] = a <= b ? [a, b] : [b, a];
        expect(wasmRequantize(x, m, shift, zp, qmin, qmax)).toBe(requantize(x, m, shift, zp, qmin, qmax));
        // Wide bounds leave the fixed-point result unclamped whenever it fits int8 + zp: check it exactly.
        const exact = multiplyByQuantizedMultiplierRef(x, m, shift) + zp;
        if (exact >= -128 && exact <= 127) expect(wasmRequantize(x, m, shift, zp, -128, 127)).toBe(exact);
      },
    ), { seed: 0x5eed, numRuns: 20_000 });
  });

  it('on realistic multipliers (quantizeMultiplier of scales) and accumulators near rounding ties', () => {
    fc.assert(fc.property(
      fc.double({ min: 1e-9, max: 1000, noNaN: true }), fc.integer({ min: -(2 ** 24), max: 2 ** 24 }), fc.integer({ min: -128, max: 127 }),
      (real, x, zp) => {
        const { multiplier, shift } = quantizeMultiplier(real);
        for (const v of [x, x + 1, x - 1, 2 * x + 1]) {
          expect(wasmRequantize(v, multiplier, shift, zp, -128, 127)).toBe(requantize(v, multiplier, shift, zp, -128, 127));
        }
      },
    ), { seed: 0xa11, numRuns: 5_000 });
  });
});
