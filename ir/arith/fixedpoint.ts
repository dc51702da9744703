import { fail } from '../errors.js';

// Integer-only requantization (gemmlowp / TFLite): an int32 accumulator is scaled by a real multiplier
// M = m * 2^shift, m a Q31 fixed-point number in [0.5, 1), using only int32 inputs and a 64-bit product.
// JS numbers are exact only up to 2^53, so the 64-bit product is split in two exact halves
// (see saturatingRoundingDoublingHighMul); fixedpoint-reference.ts holds the BigInt definition
// that the tests hold this version to. Rationale and worked examples: docs/arithmetic.md.

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_POW_31 = 2147483648;

/** real ≈ multiplier / 2^31 * 2^shift; multiplier in [2^30, 2^31) (or 0), shift in [-31, 30], positive = left. */
export interface QuantizedMultiplier {
  readonly multiplier: number;
  readonly shift: number;
}

/**
 * The Q31 multiplier and shift of a real multiplier (TFLite's QuantizeMultiplier):
 * real = f * 2^e with f in [0.5, 1) (frexp), multiplier = round(f * 2^31) (ties away from zero),
 * shift = e. Rounding f up to 1.0 gives 2^31, which does not fit: it becomes 2^30 with shift e + 1.
 * Reals below 2^-32 (shift < -31) become { 0, 0 }: every int32 accumulator then maps to 0.
 * Throws a TilecError for negative, non-finite or too large (>= 2^30) reals.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!(real >= 0) || !Number.isFinite(real)) fail(`requantization multiplier ${real} must be a finite number >= 0`);
  if (real === 0) return { multiplier: 0, shift: 0 };
  let e = Math.floor(Math.log2(real)) + 1;
  let f = real / 2 ** e; // exact: division by a power of two
  // Math.log2 may be off by one ulp near powers of two; normalize f into [0.5, 1).
  if (f >= 1) { f /= 2; e += 1; } else if (f < 0.5) { f *= 2; e -= 1; }
  let m = Math.round(f * TWO_POW_31); // f * 2^31 is exact and positive, so this rounds ties away from zero
  if (m === TWO_POW_31) { m /= 2; e += 1; }
  if (e < -31) return { multiplier: 0, shift: 0 };
  if (e > 30) fail(`requantization multiplier ${real} is too large (it must be below 2^30; check the scales that produced it)`);
  return { multiplier: m, shift: e };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b, i.e. trunc((a*b + nudge) / 2^31)
 * with nudge = 2^30 for a*b >= 0 and 1 - 2^30 otherwise: nearest, ties toward +Infinity (-0.5 goes to 0).
 * The one overflow, a = b = INT32_MIN, saturates to INT32_MAX. a and b must be int32 values.
 * Exact on JS numbers: b = bHi * 2^16 + bLo splits a*b into two products below 2^47.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bHi = Math.floor(b / 65536);
  const bLo = b - bHi * 65536; // in [0, 2^16)
  const negative = (a < 0 && b > 0) || (a > 0 && b < 0);
  // p = a*b + nudge = hi * 2^16 + lo, every term exact
  const hi = a * bHi; // |hi| <= 2^46
  const lo = a * bLo + (negative ? 1 - 1073741824 : 1073741824); // |lo| < 2^48
  // hi = hq * 2^15 + hr with hr in [0, 2^15), so p = hq * 2^31 + (hr * 2^16 + lo)
  const hq = Math.floor(hi / 32768);
  const r = (hi - hq * 32768) * 65536 + lo; // |r| < 2^49, exact
  const rq = Math.floor(r / TWO_POW_31);
  const floorQ = hq + rq; // floor(p / 2^31)
  // p < 0 exactly when a*b < 0; then truncation toward zero is the floor plus one unless p divides evenly.
  return negative && r !== rq * TWO_POW_31 ? floorQ + 1 : floorQ + 0;
}

/**
 * gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
 * x must be an int32 value and exponent an integer in [0, 31].
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 0 ? 0 : 0xffffffff >>> (32 - exponent);
  const remainder = x & mask; // low bits (two's complement), in [0, 2^exponent)
  const threshold = (mask >>> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite's MultiplyByQuantizedMultiplier: x * multiplier / 2^31 * 2^shift with gemmlowp's two roundings
 * (the doubling high multiply, then the rounding right shift). For shift > 0, x is first multiplied by
 * 2^shift and saturated to int32 (where TFLite's int32 multiply would overflow).
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  if (shift > 0) {
    const v = x * 2 ** shift; // exact: |x| < 2^31, shift <= 30
    return saturatingRoundingDoublingHighMul(v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v, multiplier);
  }
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

/**
 * The one requantization rule: an int32 accumulator (bias and zero points already folded in) to a code in
 * [qmin, qmax]: saturate(multiplyByQuantizedMultiplier(acc) + zeroPoint). A fused ReLU/Clip is just a
 * narrower [qmin, qmax] (see clampBounds).
 */
export function requantize(acc: number, multiplier: number, shift: number, zeroPoint: number, qmin: number, qmax: number): number {
  const v = multiplyByQuantizedMultiplier(acc, multiplier, shift) + zeroPoint;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}
