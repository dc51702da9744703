import { invariant } from '../ir/errors.js';
import type { QuantParams } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

// Accuracy metrics that compare a reference run (the float graph) with an approximation of it (the
// realized int8 graph, later the tile program): signal-to-quantization-noise ratio per value, top-1,
// and the largest absolute error. Everything is a running sum or a running maximum, so memory does not
// grow with the number of samples.

/**
 * Running sums behind one value's SQNR, over every element of every sample seen so far:
 * signal = Σ ref², noise = Σ (ref − approx)², both in float64.
 */
export interface SqnrSums {
  signal: number;
  noise: number;
  /** Elements accumulated (for reports; SQNR itself does not need it). */
  count: number;
}

export const newSqnrSums = (): SqnrSums => ({ signal: 0, noise: 0, count: 0 });

/**
 * SQNR in decibels: 10·log10(Σ ref² / Σ (ref − approx)²).
 * +Infinity when there is no noise at all (the approximation is exact, including an all-zero value);
 * −Infinity when the reference is all zeros but the approximation is not.
 */
export function sqnrDb(s: Readonly<SqnrSums>): number {
  if (s.noise === 0) return Infinity;
  if (s.signal === 0) return -Infinity;
  return 10 * Math.log10(s.signal / s.noise);
}

/** Adds one sample of a float value and its float approximation (same element count) to `sums`. */
export function accumulateSqnr(sums: SqnrSums, reference: ArrayLike<number>, approx: ArrayLike<number>): void {
  const n = reference.length;
  invariant(approx.length === n, `SQNR: reference has ${n} elements but the approximation has ${approx.length}`);
  let signal = 0, noise = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i]!;
    const d = r - approx[i]!;
    signal += r * r;
    noise += d * d;
  }
  sums.signal += signal;
  sums.noise += noise;
  sums.count += n;
}

/**
 * Per-channel structure of a quantized tensor: element i belongs to channel floor(i / inner) % channels.
 * Per-tensor parameters are one channel spanning everything.
 */
function channelLayout(shape: readonly number[], q: QuantParams): { channels: number; inner: number } {
  if (q.scale.length === 1) return { channels: 1, inner: Number.POSITIVE_INFINITY };
  const axis = q.axis ?? 1;
  invariant(axis >= 0 && axis < shape.length && shape[axis] === q.scale.length,
    `SQNR: ${q.scale.length} per-channel scales do not match axis ${axis} of shape [${shape.join(',')}]`);
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return { channels: q.scale.length, inner };
}

/**
 * Adds one sample of a float value and the integer codes standing for it, dequantized on the fly as
 * scale·(q − zeroPoint) in float64 (per tensor, or per channel along `quant.axis`). No array is allocated.
 */
export function accumulateSqnrQuantized(sums: SqnrSums, reference: ArrayLike<number>, codes: Tensor, quant: QuantParams): void {
  const n = reference.length;
  const q = codes.data;
  invariant(q.length === n, `SQNR: reference has ${n} elements but the quantized value has ${q.length}`);
  const { channels, inner } = channelLayout(codes.shape, quant);
  let signal = 0, noise = 0;
  if (channels === 1) {
    const s = quant.scale[0]!, z = quant.zeroPoint[0] ?? 0;
    for (let i = 0; i < n; i++) {
      const r = reference[i]!;
      const d = r - s * (q[i]! - z);
      signal += r * r;
      noise += d * d;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / inner) % channels;
      const r = reference[i]!;
      const d = r - quant.scale[c]! * (q[i]! - (quant.zeroPoint[c] ?? quant.zeroPoint[0] ?? 0));
      signal += r * r;
      noise += d * d;
    }
  }
  sums.signal += signal;
  sums.noise += noise;
  sums.count += n;
}

/** Index of the largest element (the first one on ties; NaN never wins). -1 for an empty array. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    if (best < 0 || v > values[best]!) best = i;
  }
  return best;
}

/** max |a[i] − b[i]| (0 for empty arrays; NaN anywhere makes it NaN, so a broken output cannot hide). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  invariant(a.length === b.length, `max |a - b|: ${a.length} vs ${b.length} elements`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d !== d) return NaN;
    if (d > m) m = d;
  }
  return m;
}

/** True when both tensors have the same dtype, shape and bit pattern (float32 NaNs compared by bits). */
export function bitEqual(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
