import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplier, quantizeMultiplier, requantize, roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../../ir/arith.js';
import {
  multiplyByQuantizedMultiplierRef, roundingDivideByPOTRef, saturatingRoundingDoublingHighMulRef,
} from '../../ir/arith/fixedpoint-reference.js';
import { TilecError } from '../../ir/errors.js';

// The fast fixed-point primitives against their BigInt definitions: every edge pair, then a fast-check
// property (shrinks to a readable counterexample), then a million seeded random inputs.

const SEED = 0x7117ec;

const EDGES = [
  INT32_MIN, INT32_MIN + 1, -(2 ** 30) - 1, -(2 ** 30), -(2 ** 30) + 1, -65537, -65536, -65535, -32768, -2, -1, 0, 1, 2,
  32767, 65535, 65536, 65537, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, INT32_MAX - 1, INT32_MAX,
];

const int32 = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...EDGES) }, { weight: 4, arbitrary: fc.integer({ min: INT32_MIN, max: INT32_MAX }) });
const multiplier = fc.oneof(fc.constantFrom(0, 2 ** 30, INT32_MAX), fc.integer({ min: 2 ** 30, max: INT32_MAX }));

/** xorshift32: a deterministic stream of int32 values. */
function xorshift(seed: number): () => number {
  let s = seed | 0;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s; };
}

describe('saturatingRoundingDoublingHighMul', () => {
  it('equals the BigInt definition on every pair of edge values', () => {
    for (const a of EDGES) for (const b of EDGES) {
      expect(saturatingRoundingDoublingHighMul(a, b), `${a} * ${b}`).toBe(saturatingRoundingDoublingHighMulRef(a, b));
    }
  });

  it('equals the BigInt definition (fast-check)', () => {
    fc.assert(fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === saturatingRoundingDoublingHighMulRef(a, b)),
      { seed: SEED, numRuns: 50_000 });
  });

  it('equals the BigInt definition on a million seeded random pairs', () => {
    const next = xorshift(SEED);
    let mismatches = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const a = next(), b = next();
      if (saturatingRoundingDoublingHighMul(a, b) !== saturatingRoundingDoublingHighMulRef(a, b)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rounds ties upward (gemmlowp\'s nudge) and saturates the one overflow', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    // a*b / 2^31 = 0.5 rounds to 1, -0.5 to 0, -1.5 to -1, but -0.5 - 2^-31 to -1.
    expect(saturatingRoundingDoublingHighMul(2 ** 30, 1)).toBe(1);
    expect(saturatingRoundingDoublingHighMul(-(2 ** 30), 1)).toBe(0);
    expect(saturatingRoundingDoublingHighMul(-3 * 2 ** 30, 1)).toBe(-1);
    expect(saturatingRoundingDoublingHighMul(-(2 ** 30) - 1, 1)).toBe(-1);
    expect(saturatingRoundingDoublingHighMul(2 ** 30 - 1, 1)).toBe(0);
    expect(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX);
  });
});

describe('roundingDivideByPOT', () => {
  const exponent = fc.integer({ min: 0, max: 31 });

  it('equals the BigInt definition (edges x all exponents, fast-check, a million seeded)', () => {
    for (const x of EDGES) for (let e = 0; e <= 31; e++) expect(roundingDivideByPOT(x, e), `${x} >> ${e}`).toBe(roundingDivideByPOTRef(x, e));
    fc.assert(fc.property(int32, exponent, (x, e) => roundingDivideByPOT(x, e) === roundingDivideByPOTRef(x, e)), { seed: SEED, numRuns: 50_000 });
    const next = xorshift(SEED + 1);
    let mismatches = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const x = next(), e = (next() >>> 0) % 32;
      if (roundingDivideByPOT(x, e) !== roundingDivideByPOTRef(x, e)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rounds half away from zero', () => {
    expect([5, 6, 7, -5, -6, -7, 4, -4].map((x) => roundingDivideByPOT(x, 2))).toEqual([1, 2, 2, -1, -2, -2, 1, -1]);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
    expect(roundingDivideByPOT(-(2 ** 30), 31)).toBe(-1);
    expect(roundingDivideByPOT(2 ** 30 - 1, 31)).toBe(0);
  });
});

describe('quantizeMultiplier', () => {
  it('represents the real within half a unit of its Q31 mantissa, in the documented ranges', () => {
    const real = fc.oneof(fc.double({ min: 2 ** -32, max: 2 ** 29, noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -32, max: 29 }).map((e) => 2 ** e), fc.integer({ min: -32, max: 29 }).map((e) => 2 ** e * (1 - 2 ** -40)));
    fc.assert(fc.property(real, (r) => {
      const { multiplier: m, shift } = quantizeMultiplier(r);
      // below 2^-32 the result is 0, unless the mantissa rounds up to exactly 2^-32
      if (m === 0) return shift === 0 && r < 2 ** -32;
      if (r < 2 ** -32) return m === 2 ** 30 && shift === -31;
      expect(m).toBeGreaterThanOrEqual(2 ** 30);
      expect(m).toBeLessThan(2 ** 31);
      expect(shift).toBeGreaterThanOrEqual(-31);
      expect(shift).toBeLessThanOrEqual(30);
      expect(Number.isInteger(m)).toBe(true);
      // |m - r * 2^(31 - shift)| <= 1/2: exact in float64 (scaling by a power of two)
      expect(Math.abs(m - r * 2 ** (31 - shift))).toBeLessThanOrEqual(0.5);
      return true;
    }), { seed: SEED, numRuns: 20_000 });
  });

  it('handles 0, tiny reals, reals >= 1 and the 2^31 rounding edge', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 3 * 2 ** 29, shift: 2 });
    expect(quantizeMultiplier(1 - 2 ** -33)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(1 - 2 ** -31)).toEqual({ multiplier: INT32_MAX, shift: 0 });
  });

  it('rejects negative, non-finite and too large reals with a TilecError naming the value', () => {
    for (const bad of [-0.5, NaN, Infinity, 2 ** 30, 1e12]) {
      expect(() => quantizeMultiplier(bad)).toThrow(TilecError);
      expect(() => quantizeMultiplier(bad)).toThrow(String(bad));
    }
  });
});

describe('multiplyByQuantizedMultiplier and requantize', () => {
  const shift = fc.integer({ min: -31, max: 30 });

  it('equal the BigInt definition, left shifts (saturating) included', () => {
    fc.assert(fc.property(int32, multiplier, shift, (x, m, s) => multiplyByQuantizedMultiplier(x, m, s) === multiplyByQuantizedMultiplierRef(x, m, s)),
      { seed: SEED, numRuns: 50_000 });
    const next = xorshift(SEED + 2);
    let mismatches = 0;
    for (let i = 0; i < 300_000; i++) {
      const x = next(), m = 2 ** 30 + ((next() >>> 0) % 2 ** 30), s = ((next() >>> 0) % 62) - 31;
      if (multiplyByQuantizedMultiplier(x, m, s) !== multiplyByQuantizedMultiplierRef(x, m, s)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('is within one code of the exact product acc * m * 2^(shift - 31) (two roundings), for shift <= 0', () => {
    fc.assert(fc.property(int32, multiplier, fc.integer({ min: -31, max: 0 }), (x, m, s) => {
      const got = BigInt(multiplyByQuantizedMultiplier(x, m, s));
      // |got * 2^(31 - s) - x * m| <= 2^(31 - s), all in exact BigInt
      const scale = 2n ** BigInt(31 - s);
      const diff = got * scale - BigInt(x) * BigInt(m);
      return (diff < 0n ? -diff : diff) <= scale;
    }), { seed: SEED, numRuns: 20_000 });
  });

  it('requantize adds the zero point and saturates to the code range', () => {
    const { multiplier: m, shift: s } = quantizeMultiplier(0.01);
    expect(requantize(1000, m, s, 5, -128, 127)).toBe(15);
    expect(requantize(100000, m, s, 5, -128, 127)).toBe(127);
    expect(requantize(-100000, m, s, 5, -128, 127)).toBe(-128);
    expect(requantize(-1000, m, s, 5, 0, 255)).toBe(0);
    // a multiplier >= 1 shifts left first, saturating in int32 (1000 = 0.9765625 * 2^10): the saturated
    // 2^31 - 1 times 0.9765625; any code range of up to 30 bits then saturates as the exact product would.
    const big = quantizeMultiplier(1000);
    expect(requantize(INT32_MAX, big.multiplier, big.shift, 0, INT32_MIN, INT32_MAX)).toBe(2097151999);
    expect(requantize(INT32_MAX, big.multiplier, big.shift, 0, -128, 127)).toBe(127);
    expect(requantize(-3_000_000, big.multiplier, big.shift, 0, -(2 ** 29), 2 ** 29 - 1)).toBe(-(2 ** 29));
    expect(requantize(3, big.multiplier, big.shift, 0, INT32_MIN, INT32_MAX)).toBe(3000);
  });
});
