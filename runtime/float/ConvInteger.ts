import { type Kernel, expectDtype, need, who } from './kernel.js';
import { convCore, convShapes } from './conv-core.js';
import { INT8_DTYPES, perChannelOf, scalarOf } from './quant-common.js';

/**
 * ConvInteger: Σ (x - x_zero_point)(w - w_zero_point) as int32; padding is the input zero point (adds 0).
 * x_zero_point is per tensor, w_zero_point per tensor or per output channel. Exact sums (conv-core),
 * wrapped to int32 as ONNX's int32 accumulation does.
 */
export const ConvInteger: Kernel<'ConvInteger'> = (node, inputs) => {
  const w_ = who(node);
  const x = need(node, inputs, 0, 'x'), w = need(node, inputs, 1, 'w'), xz = inputs[2], wz = inputs[3];
  expectDtype(node, x, 'input 0 (x)', INT8_DTYPES);
  expectDtype(node, w, 'input 1 (w)', INT8_DTYPES);
  if (xz) expectDtype(node, xz, 'input 2 (x_zero_point)', [x.dtype]);
  if (wz) expectDtype(node, wz, 'input 3 (w_zero_point)', [w.dtype]);
  const { m } = convShapes(w_, node.attrs, x.shape, w.shape);
  const { acc, shape } = convCore(w_, node.attrs, {
    x: x.data, xShape: x.shape, w: w.data, wShape: w.shape,
    xOffset: xz ? scalarOf(node, xz, 'x_zero_point') : 0,
    wOffset: wz ? perChannelOf(node, wz, 'w_zero_point', m) : 0,
  });
  return [{ dtype: 'int32', shape, data: new Int32Array(acc) }];
};
