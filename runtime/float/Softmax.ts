import { newTensorData } from '../../ir/dtype.js';
import { numel } from '../../ir/tensor.js';
import { type Kernel, need, expectDtype } from './kernel.js';
import { normalizeAxis } from './axes.js';
import { FLOAT_DTYPES } from './dtypes.js';

/**
 * Softmax along `axis` (opset >= 13), or over the 2-D coercion [prod(shape[:axis]), prod(shape[axis:])]
 * when attrs.coerce2d (opset < 13). Both are "normalize groups of `n` elements `inner` apart"; the max is
 * subtracted first so exp never overflows (test_softmax_large_number), and sums accumulate in double.
 */
export const Softmax: Kernel<'Softmax'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'input');
  expectDtype(node, x, 'input', FLOAT_DTYPES);
  const rank = x.shape.length;
  // A scalar has one element: its softmax is 1 along the (only, implicit) axis.
  const axis = rank === 0 ? 0 : normalizeAxis(node, 'axis', node.attrs.axis, rank);
  const outer = numel(x.shape.slice(0, axis));
  const n = node.attrs.coerce2d || rank === 0 ? numel(x.shape.slice(axis)) : x.shape[axis]!;
  const inner = node.attrs.coerce2d || rank === 0 ? 1 : numel(x.shape.slice(axis + 1));
  const src = x.data, out = newTensorData(x.dtype, src.length);
  const exps = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let max = -Infinity;
      for (let j = 0; j < n; j++) { const v = src[base + j * inner]!; if (v > max) max = v; }
      let sum = 0;
      for (let j = 0; j < n; j++) { const e = Math.exp(src[base + j * inner]! - max); exps[j] = e; sum += e; }
      for (let j = 0; j < n; j++) out[base + j * inner] = exps[j]! / sum;
    }
  }
  return [{ dtype: x.dtype, shape: x.shape, data: out }];
};
