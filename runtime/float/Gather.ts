import { fail } from '../../ir/errors.js';
import { newTensorData } from '../../ir/dtype.js';
import { numel } from '../../ir/tensor.js';
import { type Kernel, who, need, expectDtype } from './kernel.js';
import { normalizeAxis } from './axes.js';
import { INDEX_DTYPES } from './dtypes.js';

/**
 * out[pre, idx..., post] = data[pre, indices[idx...], post], shape data[:axis] + indices + data[axis+1:].
 * Negative indices count from the end; anything outside [-n, n) is an error naming the index.
 */
export const Gather: Kernel<'Gather'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const ind = need(node, inputs, 1, 'indices');
  expectDtype(node, ind, 'indices', INDEX_DTYPES);
  const r = x.shape.length;
  if (r === 0) fail(`${who(node)}: data must have rank >= 1, got a scalar`);
  const axis = normalizeAxis(node, 'axis', node.attrs.axis, r);
  const n = x.shape[axis]!;
  const idx = Array.from(ind.data, (v, i) => {
    if (!(v >= -n && v < n)) fail(`${who(node)}: index ${v} (element ${i} of indices) is out of range for axis ${axis} of size ${n} (data shape [${x.shape.join(',')}])`);
    return v < 0 ? v + n : v;
  });
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const outer = numel(x.shape.slice(0, axis)), inner = numel(x.shape.slice(axis + 1));
  const out = newTensorData(x.dtype, numel(shape));
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (const i of idx) {
      const from = (o * n + i) * inner;
      out.set(x.data.subarray(from, from + inner), p);
      p += inner;
    }
  }
  return [{ dtype: x.dtype, shape, data: out }];
};
