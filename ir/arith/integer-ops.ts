import { fail } from '../errors.js';
import { roundingDivideHalfAway } from './round.js';
import { INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplier, quantizeMultiplier, requantize, type QuantizedMultiplier } from './fixedpoint.js';

// Integer rules of whole layers, built from the primitives: the input zero point folded into the bias,
// accumulator bounds, average pooling and the residual Add. docs/arithmetic.md derives each one.

/**
 * Bias with the input zero point folded in, so the accelerator can sum raw codes:
 * Σ w·(x - zx) + b = Σ w·x + (b - zx·Σ w). rowSum is Σ w over one output channel's weights (zero point 0).
 * Exact (|result| < 2^53); whether it fits int32 is accumulatorRange's question.
 */
export function foldInputZeroPoint(bias: number, rowSum: number, inputZeroPoint: number): number {
  return bias - inputZeroPoint * rowSum;
}

/**
 * Bounds [lo, hi] of every partial sum of Σ_k w[offset + k]·x_k (k < length) plus the (folded) bias, in any
 * summation order, for codes x_k in [xmin, xmax] with xmin <= 0 <= xmax. Each term then ranges over an
 * interval containing 0, so no subset of terms can leave [Σ min, Σ max]; the bias may be added first or last.
 */
export function accumulatorRange(w: ArrayLike<number>, offset: number, length: number, xmin: number, xmax: number, bias: number): readonly [number, number] {
  if (xmin > 0 || xmax < 0) fail(`accumulatorRange: code range [${xmin}, ${xmax}] must contain 0`);
  let lo = Math.min(0, bias), hi = Math.max(0, bias);
  for (let k = 0; k < length; k++) {
    const wk = w[offset + k]!;
    if (wk > 0) { lo += wk * xmin; hi += wk * xmax; } else { lo += wk * xmax; hi += wk * xmin; }
  }
  return [lo, hi];
}

/** True when an accumulator range fits int32, the width of the accelerator's accumulators. */
export const fitsInt32 = (lo: number, hi: number): boolean => lo >= INT32_MIN && hi <= INT32_MAX;

/**
 * True when every partial sum of `bias` and `length` products of weights within [-wAbs, wAbs] and codes
 * within [-xAbs, xAbs] fits int32 — a proof that needs no look at the weights (accumulatorRange's answer is
 * then inside it); false means only that the weights must be read.
 */
export const accumulatorSurelyFits = (bias: number, length: number, wAbs: number, xAbs: number): boolean => {
  const reach = Math.abs(bias) + length * wAbs * xAbs;
  return fitsInt32(-reach, reach);
};

/**
 * One average-pool output code when input and output share scale and zero point:
 * zp + roundingDivideHalfAway(Σ q - count·zp, count). sum is the sum of the raw codes over the window
 * (padding that counts contributes zp, i.e. real 0); rounding acts on the zero-point-centred value, so it is
 * symmetric in real terms, like requantize.
 */
export function averagePoolCode(sum: number, count: number, zeroPoint: number): number {
  return roundingDivideHalfAway(sum - count * zeroPoint, count) + zeroPoint;
}

/** Fixed-point parameters of a quantized residual Add y = a + b (TFLite's scheme, see docs/arithmetic.md). */
export interface AddRescale {
  /** Both centred inputs are first shifted left by this many bits for headroom (codes of at most 10 bits). */
  readonly leftShift: number;
  /** scaleA / (2·max(scaleA, scaleB)), at most 1/2. */
  readonly a: QuantizedMultiplier;
  readonly b: QuantizedMultiplier;
  /** 2·max(scaleA, scaleB) / (2^leftShift · scaleOut). */
  readonly out: QuantizedMultiplier;
}

export const ADD_LEFT_SHIFT = 20;

export function addRescale(scaleA: number, scaleB: number, scaleOut: number): AddRescale {
  const twiceMax = 2 * Math.max(scaleA, scaleB);
  return {
    leftShift: ADD_LEFT_SHIFT,
    a: quantizeMultiplier(scaleA / twiceMax),
    b: quantizeMultiplier(scaleB / twiceMax),
    out: quantizeMultiplier(twiceMax / (2 ** ADD_LEFT_SHIFT * scaleOut)),
  };
}

/**
 * One code of a quantized Add: each centred input (q - z)·2^leftShift is rescaled to the common scale
 * 2·max(sA, sB)/2^leftShift, the two are summed exactly, and the sum is requantized to the output.
 */
export function quantizedAdd(qa: number, za: number, qb: number, zb: number, p: AddRescale, zeroPointOut: number, qmin: number, qmax: number): number {
  const pow = 2 ** p.leftShift;
  const ra = multiplyByQuantizedMultiplier((qa - za) * pow, p.a.multiplier, p.a.shift);
  const rb = multiplyByQuantizedMultiplier((qb - zb) * pow, p.b.multiplier, p.b.shift);
  return requantize(ra + rb, p.out.multiplier, p.out.shift, zeroPointOut, qmin, qmax);
}
