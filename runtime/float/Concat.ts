import { fail } from '../../ir/errors.js';
import { newTensorData } from '../../ir/dtype.js';
import { numel, shapeStr } from '../../ir/tensor.js';
import { type Kernel, who, need } from './kernel.js';
import { normalizeAxis } from './axes.js';

/** Joins inputs of one dtype along `axis`; every other dim must agree. Block copies, no per-element work. */
export const Concat: Kernel<'Concat'> = (node, inputs) => {
  if (inputs.length === 0) fail(`${who(node)}: needs at least one input`);
  const xs = inputs.map((_, i) => need(node, inputs, i, `input ${i}`));
  const first = xs[0]!, r = first.shape.length;
  if (r === 0) fail(`${who(node)}: cannot concatenate scalars`);
  const axis = normalizeAxis(node, 'axis', node.attrs.axis, r);
  for (const [i, x] of xs.entries()) {
    if (x.dtype !== first.dtype) fail(`${who(node)}: input ${i} has dtype ${x.dtype} but input 0 has ${first.dtype}`);
    if (x.shape.length !== r || x.shape.some((d, k) => k !== axis && d !== first.shape[k])) {
      fail(`${who(node)}: input ${i} has shape ${shapeStr(x.shape)}, which does not match input 0 ${shapeStr(first.shape)} outside axis ${axis}`);
    }
  }
  const shape = [...first.shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  const outer = numel(first.shape.slice(0, axis)), inner = numel(first.shape.slice(axis + 1));
  const out = newTensorData(first.dtype, numel(shape));
  const rowOut = shape[axis]! * inner;
  let col = 0;
  for (const x of xs) {
    const block = x.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) out.set(x.data.subarray(o * block, (o + 1) * block), o * rowOut + col);
    col += block;
  }
  return [{ dtype: first.dtype, shape, data: out }];
};
