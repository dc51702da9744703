import { fitsInt32, requantize } from '../../ir/arith.js';
import { fail } from '../../ir/errors.js';
import type { Bad } from '../../ir/infer/qattrs.js';
import type { RequantAttrs } from '../../ir/ops.js';
import type { Tensor } from '../../ir/tensor.js';
import { shapeStr } from '../../ir/tensor.js';
import { expectDtype, expectRank, need } from '../float/kernel.js';

// Pieces every integer kernel shares: attribute errors named like inference's, the int32 accumulator
// bound, and the per-channel requantization of a block of accumulators.

/** The `bad` callback of ir/infer/qattrs checks, prefixed with the node's label. */
export const badFor = (who: string): Bad => (message) => fail(`${who}: ${message}`);

/**
 * acc[i] + bias[channel] for every accumulator, each checked against int32: the tile machine accumulates
 * in int32 and the compiler must have proven that no sum overflows, so an overflow here is an error
 * naming the node and the element, never a silent wrap. Element i belongs to channel
 * floor(i / inner) % channels.
 */
export function addBiasChecked(who: string, acc: Float64Array, bias: Tensor | undefined, channels: number, inner: number, outShape: readonly number[]): void {
  const b = bias?.data;
  // Runs of `inner` elements share a channel: elements in index order, channel advanced per run.
  for (let start = 0, ch = 0; start < acc.length; start += inner, ch = ch + 1 === channels ? 0 : ch + 1) {
    const add = b ? b[ch]! : 0;
    for (let i = start, end = Math.min(acc.length, start + inner); i < end; i++) {
      const v = acc[i]! + add;
      if (!fitsInt32(v, v)) {
        fail(`${who}: int32 accumulator overflow at output element ${i} (channel ${ch}, output shape ${shapeStr(outShape)}): `
          + `Σ w·x${b ? ` + bias ${b[ch]}` : ''} = ${v}, outside [-2^31, 2^31 - 1]; the weights/bias of this layer cannot run on int32 accumulators`);
      }
      acc[i] = v;
    }
  }
}

/**
 * Codes from int32 accumulators by ir/arith requantize, with the multiplier/shift of channel
 * floor(i / inner) % channels (or the single pair per tensor).
 */
export function requantizeBlock(acc: ArrayLike<number>, a: RequantAttrs, channels: number, inner: number): Int8Array {
  const out = new Int8Array(acc.length);
  const perChannel = a.multiplier.length !== 1;
  const { zeroPoint, qmin, qmax } = a;
  for (let start = 0, ch = 0; start < acc.length; start += inner, ch = ch + 1 === channels ? 0 : ch + 1) {
    const k = perChannel ? ch : 0;
    const mult = a.multiplier[k]!, shift = a.shift[k]!;
    for (let i = start, end = Math.min(acc.length, start + inner); i < end; i++) out[i] = requantize(acc[i]!, mult, shift, zeroPoint, qmin, qmax);
  }
  return out;
}

/** The operands every int8 GEMM kernel (QGemm, TileGemm) takes: int8 a [M,K], int8 b, optional int32 bias. */
export function int8GemmOperands(
  node: { op: string; name: string; inputs: readonly string[] }, inputs: readonly (Tensor | undefined)[],
): { a: Tensor; b: Tensor; bias: Tensor | undefined } {
  const a = need(node, inputs, 0, 'a'), b = need(node, inputs, 1, 'b'), bias = inputs[2];
  expectDtype(node, a, 'input 0 (a)', ['int8']);
  expectDtype(node, b, 'input 1 (b)', ['int8']);
  if (bias) expectDtype(node, bias, 'input 2 (bias)', ['int32']);
  expectRank(node, a, 'input 0 (a)', [2]);
  return { a, b, bias };
}
