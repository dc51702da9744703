import { fail } from '../../ir/errors.js';
import { shapeStr } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';

/**
 * LRN across channels: y = x / (bias + alpha / size * square_sum) ^ beta, square_sum over channels
 * [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C), in float64.
 */
export const LRN: Kernel<'LRN'> = (node, inputs) => {
  const w_ = who(node);
  const { alpha, beta, bias, size } = node.attrs;
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', FLOAT_DTYPES);
  if (x.shape.length < 3) fail(`${w_}: input has rank ${x.shape.length} (shape ${shapeStr(x.shape)}), expected rank >= 3 (N x C x spatial...)`);
  if (!(Number.isInteger(size) && size >= 1)) fail(`${w_}: size ${size} must be a positive integer`);
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const before = Math.floor((size - 1) / 2), after = Math.ceil((size - 1) / 2);
  const xd = x.data, acc = new Float64Array(xd.length), sq = new Float64Array(inner);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      sq.fill(0);
      for (let j = Math.max(0, ch - before); j <= Math.min(c - 1, ch + after); j++) {
        const p = (b * c + j) * inner;
        for (let i = 0; i < inner; i++) { const v = xd[p + i]!; sq[i] = sq[i]! + v * v; }
      }
      const p = (b * c + ch) * inner;
      for (let i = 0; i < inner; i++) acc[p + i] = xd[p + i]! / Math.pow(bias + (alpha / size) * sq[i]!, beta);
    }
  }
  return [storeFloat(x.dtype, x.shape, acc)];
};
