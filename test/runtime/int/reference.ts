// Direct per-element definitions of the integer ops, written from docs/arithmetic.md for the kernel tests:
// plain loops over every output element, requantization on BigInt (ir/arith/fixedpoint-reference.ts is the
// definition the fast fixed-point code is held to), rounding divisions on BigInt. Slow and obvious on purpose.
import type { WindowGeometry } from '../../../ir/geometry.js';
import { multiplyByQuantizedMultiplierRef } from '../../../ir/arith/fixedpoint-reference.js';
import { numel, strides } from '../../../ir/tensor.js';

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Section 6: saturate(MBQM(acc, m, shift) + zp, qmin, qmax). */
export const requantRef = (acc: number, m: number, shift: number, zp: number, qmin: number, qmax: number): number =>
  clamp(multiplyByQuantizedMultiplierRef(acc, m, shift) + zp, qmin, qmax);

/** n / d (d > 0) to nearest, ties away from zero, on BigInt. */
export function divHalfAwayRef(n: number, d: number): number {
  const N = BigInt(n), D = BigInt(d);
  const mag = N < 0n ? -N : N;
  const q = (2n * mag + D) / (2n * D); // floor((|n| + d/2) / d)
  return Number(N < 0n ? -q : q);
}

/** Section 10: z + round((S - count·z) / count), ties away from zero. */
export const avgPoolRef = (sum: number, count: number, zp: number): number => zp + divHalfAwayRef(sum - count * zp, count);

/** Deterministic int codes in [lo, hi] (an LCG; the properties pass a seed). */
export function codes(n: number, seed: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + (s % (hi - lo + 1)));
  }
  return out;
}

/** Every index tuple of `shape`, row-major. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const n = numel(shape);
  const st = strides(shape);
  for (let f = 0; f < n; f++) yield shape.map((d, i) => Math.floor(f / st[i]!) % d);
}

/**
 * QConv's accumulators: acc[n, m, o...] = bias[m] + Σ_{c in group, taps} w[m, c, k...]·x[n, g·Cg + c, o·s − pb + k·d]
 * with padValue outside the input. `geo` gives output extents and begin pads.
 */
export function convAccRef(x: ArrayLike<number>, xShape: readonly number[], w: ArrayLike<number>, wShape: readonly number[],
  bias: ArrayLike<number> | undefined, group: number, geo: WindowGeometry, padValue: number): number[] {
  const N = xShape[0]!;
  const [M, Cg] = [wShape[0]!, wShape[1]!];
  const spatial = xShape.slice(2), kernel = wShape.slice(2);
  const xs = strides(xShape), ws = strides(wShape);
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / (M / group));
      for (const o of indices(geo.out)) {
        let acc = bias ? bias[m]! : 0;
        for (let c = 0; c < Cg; c++) {
          for (const k of indices(kernel)) {
            let inside = true, xi = n * xs[0]! + (g * Cg + c) * xs[1]!;
            spatial.forEach((size, d) => {
              const i = o[d]! * geo.strides[d]! - geo.padsBegin[d]! + k[d]! * geo.dilations[d]!;
              if (i < 0 || i >= size) inside = false;
              xi += i * xs[d + 2]!;
            });
            const wi = m * ws[0]! + c * ws[1]! + k.reduce((s, kd, d) => s + kd * ws[d + 2]!, 0);
            acc += w[wi]! * (inside ? x[xi]! : padValue);
          }
        }
        out.push(acc);
      }
    }
  }
  return out;
}
