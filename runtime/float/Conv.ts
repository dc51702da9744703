import { type Kernel, expectDtype, need, who } from './kernel.js';
import { checkConvBias, convCore, convShapes } from './conv-core.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';

/** Conv: sums in float64 (conv-core), plus the bias, stored in the input's float type. */
export const Conv: Kernel<'Conv'> = (node, inputs) => {
  const w_ = who(node);
  const x = need(node, inputs, 0, 'X'), w = need(node, inputs, 1, 'W'), b = inputs[2];
  expectDtype(node, x, 'input 0 (X)', FLOAT_DTYPES);
  expectDtype(node, w, 'input 1 (W)', [x.dtype]);
  if (b) expectDtype(node, b, 'input 2 (B)', [x.dtype]);
  checkConvBias(w_, b, convShapes(w_, node.attrs, x.shape, w.shape).m);
  const { acc, shape } = convCore(w_, node.attrs, { x: x.data, xShape: x.shape, w: w.data, wShape: w.shape });
  const m = shape[1]!;
  if (b) {
    const plane = acc.length / Math.max(1, shape[0]! * m);
    for (let i = 0, ch = 0; i < acc.length; i += plane, ch = (ch + 1) % m) {
      const bias = b.data[ch]!;
      for (let j = i; j < i + plane; j++) acc[j] = acc[j]! + bias;
    }
  }
  return [storeFloat(x.dtype, shape, acc)];
};
