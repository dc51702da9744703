import { checkIntAttr, checkRequantAttrs, INT8_MAX, INT8_MIN } from '../../ir/infer/qattrs.js';
import { numel } from '../../ir/tensor.js';
import { checkConvBias, convCore, convShapes } from '../float/conv-core.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { addBiasChecked, badFor, requantizeBlock } from './common.js';

/**
 * QConv (docs/arithmetic.md): acc = Σ w·x + bias over raw int8 codes, padded cells holding padValue
 * (the input zero point, whose contribution the folded bias cancels). The sum is exact in float64
 * (integers far below 2^53) and must fit int32; then requantize per output channel (axis 1).
 */
export const QConv: Kernel<'QConv'> = (node, inputs) => {
  const w_ = who(node), a = node.attrs, bad = badFor(w_);
  const x = need(node, inputs, 0, 'x'), w = need(node, inputs, 1, 'w'), bias = inputs[2];
  expectDtype(node, x, 'input 0 (x)', ['int8']);
  expectDtype(node, w, 'input 1 (w)', ['int8']);
  if (bias) expectDtype(node, bias, 'input 2 (bias)', ['int32']);
  const { m } = convShapes(w_, a, x.shape, w.shape);
  checkConvBias(w_, bias, m, 'input 2 (bias)');
  checkRequantAttrs(bad, a, m, 'output channel');
  checkIntAttr(bad, 'padValue', a.padValue, INT8_MIN, INT8_MAX);

  const { acc, shape } = convCore(w_, a, { x: x.data, xShape: x.shape, w: w.data, wShape: w.shape, padValue: a.padValue });
  const inner = numel(shape.slice(2));
  addBiasChecked(w_, acc, bias, m, inner, shape);
  return [{ dtype: 'int8', shape: [...shape], data: requantizeBlock(acc, a, m, inner) }];
};
