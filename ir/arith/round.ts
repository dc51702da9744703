import { fail } from '../errors.js';

// Rounding, saturation and integer code ranges: the primitives every other rule in ir/arith is built
// from. Definitions and the reasons for each choice are in docs/arithmetic.md.

/**
 * Nearest integer, ties to even: torch.round, numpy.rint, ONNX QuantizeLinear.
 * Used wherever a float becomes an integer code. Returns +0 (never -0) for a zero result,
 * NaN for NaN and ±Infinity unchanged.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +Infinity; exact for every double
  // r - x is exact here (r and x are within 1/2 of each other), so the tie test is exact too.
  return (r - x === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
}

/** v clamped to [lo, hi] (lo <= hi). */
export function saturate(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Integer division n / d of integers (d > 0, |n| <= 2^53), rounded to nearest with ties away from zero.
 * The same tie rule as roundingDivideByPOT, for divisors that are not powers of two (average pooling).
 */
export function roundingDivideHalfAway(n: number, d: number): number {
  const r = n % d; // exact for integers; has the sign of n
  const q = (n - r) / d; // exact: n - r is a multiple of d
  if (2 * Math.abs(r) >= d) return n < 0 ? q - 1 : q + 1;
  return q + 0;
}

/** Smallest code of a B-bit integer: -2^(B-1) signed, 0 unsigned. */
export function qMin(bits: number, signed: boolean): number {
  checkBits(bits, signed);
  return signed ? -(2 ** (bits - 1)) : 0;
}

/** Largest code of a B-bit integer: 2^(B-1) - 1 signed, 2^B - 1 unsigned. */
export function qMax(bits: number, signed: boolean): number {
  checkBits(bits, signed);
  return signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
}

/** [Qn, Qp] of a B-bit integer, as the seed names them: [-2^(B-1), 2^(B-1)-1] when signed. */
export function qRange(bits: number, signed: boolean): readonly [number, number] {
  return [qMin(bits, signed), qMax(bits, signed)];
}

function checkBits(bits: number, signed: boolean): void {
  const lo = signed ? 2 : 1;
  if (!Number.isInteger(bits) || bits < lo || bits > 32) {
    fail(`bit width ${bits} is not supported for ${signed ? 'signed' : 'unsigned'} codes (expected an integer in ${lo}..32)`);
  }
}
