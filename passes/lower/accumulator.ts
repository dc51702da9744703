import { INT32_MAX, INT32_MIN, accumulatorRange, accumulatorSurelyFits, fitsInt32, qRange } from '../../ir/arith.js';
import { intRange, isInteger } from '../../ir/dtype.js';
import { unsupported } from '../../ir/errors.js';
import type { ValueType } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';

// Accumulator safety of a TileGemm (docs/lowering.md, "Accumulator safety"): the tile machine sums int8·int8
// products into int32 accumulators that wrap, so the lowering proves, from the constant weights, the bias
// and the input code range, that no partial sum of any row can leave int32 in any summation order (the bias
// included, wherever it is added). A row that could is refused with an error naming the layer; K is never
// split, because splitting cannot shrink that interval (see the docs).

/**
 * Codes the B operand can hold: the signed B-bit range of the value's quant params (the realized graph keeps
 * every int8 code in it, and padded taps hold the zero point, which lies in it), or all of int8 without them.
 */
export function codeRange(t: ValueType): readonly [number, number] {
  return t.quant ? qRange(t.quant.bits, true) : [-128, 127];
}

/**
 * Throws an UnsupportedError naming `who` and the row when some row m of `a` (int8 [M, K]) with bias[m]
 * can reach an accumulator outside int32 for B codes in `codes`. `rowName(m)` says what row m is
 * (`output channel 5`).
 */
export function checkAccumulators(who: string, a: Tensor, bias: Tensor | undefined, codes: readonly [number, number], rowName: (m: number) => string): void {
  const [m, k] = [a.shape[0]!, a.shape[1]!];
  const [xmin, xmax] = [Math.min(0, codes[0]), Math.max(0, codes[1])];
  // Each of the k terms is at most max|a|·max|x| in magnitude (max|a| from a's dtype, 128 for int8): a row
  // whose bias is small enough for that bound needs no look at its weights.
  const [amin, amax] = isInteger(a.dtype) ? intRange(a.dtype) : [-Infinity, Infinity];
  const aAbs = Math.max(-amin, amax), xAbs = Math.max(-xmin, xmax);
  for (let r = 0; r < m; r++) {
    const b = bias ? bias.data[r]! : 0;
    if (accumulatorSurelyFits(b, k, aAbs, xAbs)) continue;
    const [lo, hi] = accumulatorRange(a.data, r * k, k, xmin, xmax, b);
    if (fitsInt32(lo, hi)) continue;
    // The complete sum ranges over [b + Σmin, b + Σmax]; partial sums without the bias over [Σmin, Σmax].
    const [sLo, sHi] = accumulatorRange(a.data, r * k, k, xmin, xmax, 0);
    const why = fitsInt32(b + sLo, b + sHi)
      ? `the complete sum always fits, but partial sums taken before the bias is added reach [${sLo}, ${sHi}]`
      : `the complete sum itself can reach [${b + sLo}, ${b + sHi}], so no split of K can help`;
    unsupported(`${who}: ${rowName(r)} can overflow the int32 accumulator: bias ${b} plus ${k} products of its int8 weights with `
      + `input codes in [${codes[0]}, ${codes[1]}] range over [${lo}, ${hi}] in some summation order, outside [${INT32_MIN}, ${INT32_MAX}]; `
      + `${why}. The layer cannot run on int32 accumulators: quantize it with fewer weight or activation bits, or a smaller bias`);
  }
}
