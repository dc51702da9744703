import type { TensorData } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor.js';
import { sameShape, shapeStr } from '../../ir/tensor.js';
import { fail } from '../../ir/errors.js';

// Multidirectional (numpy-style) broadcasting, written once for Add, Sub, Mul, Div and Sum.

/** The broadcast shape of `shapes`, or an error naming `who` and every shape. */
export function broadcastShape(who: string, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const lead = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!, o = out[lead + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[lead + i] = d;
      else fail(`${who}: shapes ${shapes.map(shapeStr).join(' and ')} cannot be broadcast together (dim ${lead + i}: ${o} vs ${d})`);
    }
  }
  return out;
}

/**
 * Element strides of a tensor of shape `from` read as shape `to` (right-aligned): 0 along broadcast
 * dims, so one odometer walks output and inputs together without an index array per element.
 */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const s = new Array<number>(to.length).fill(0);
  let acc = 1;
  for (let i = from.length - 1; i >= 0; i--) {
    const j = to.length - from.length + i;
    s[j] = from[i] === 1 ? 0 : acc;
    acc *= from[i]!;
  }
  return s;
}

/**
 * out[i] = f(a[ia], b[ib]) over the broadcast shape `outShape` (which must be the broadcast of both).
 * The innermost dim is a strided loop; the outer dims advance an odometer.
 */
export function broadcastBinary(a: Tensor, b: Tensor, outShape: readonly number[], out: TensorData, f: (x: number, y: number) => number): void {
  const ad = a.data, bd = b.data, n = out.length;
  if (sameShape(a.shape, outShape) && sameShape(b.shape, outShape)) {
    for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bd[i]!);
    return;
  }
  if (n === 0) return;
  const r = outShape.length;
  const sa = broadcastStrides(a.shape, outShape), sb = broadcastStrides(b.shape, outShape);
  const inner = r > 0 ? outShape[r - 1]! : 1;
  const ia = r > 0 ? sa[r - 1]! : 0, ib = r > 0 ? sb[r - 1]! : 0;
  const idx = new Array<number>(r).fill(0);
  let offA = 0, offB = 0;
  for (let o = 0; o < n; o += inner) {
    for (let k = 0, pa = offA, pb = offB; k < inner; k++, pa += ia, pb += ib) out[o + k] = f(ad[pa]!, bd[pb]!);
    for (let d = r - 2; d >= 0; d--) {
      offA += sa[d]!; offB += sb[d]!;
      const i = idx[d]! + 1;
      if (i < outShape[d]!) { idx[d] = i; break; }
      offA -= sa[d]! * outShape[d]!; offB -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}
