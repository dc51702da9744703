import { intRange, newTensorData } from '../../ir/dtype.js';
import { qlinearMultiplierF32, requantizeF32 } from '../../ir/arith.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { checkConvBias, convCore, convShapes } from './conv-core.js';
import { INT8_DTYPES, perChannelOf, samePairing, scalarOf } from './quant-common.js';

/**
 * QLinearConv: acc = Σ (x - x_zp)(w - w_zp[m]) + B[m] exactly (padding is x_zp), then ONNX's float
 * requantization y = saturate(roundHalfEven(f32(f32(acc) · f32(f32(x_scale·w_scale[m]) / y_scale))) + y_zp)
 * (docs/arithmetic.md section 12.1). Weight scale and zero point per tensor or per output channel.
 */
export const QLinearConv: Kernel<'QLinearConv'> = (node, inputs) => {
  const w_ = who(node);
  const x = need(node, inputs, 0, 'x'), xs = need(node, inputs, 1, 'x_scale'), xz = need(node, inputs, 2, 'x_zero_point');
  const w = need(node, inputs, 3, 'w'), ws = need(node, inputs, 4, 'w_scale'), wz = need(node, inputs, 5, 'w_zero_point');
  const ys = need(node, inputs, 6, 'y_scale'), yz = need(node, inputs, 7, 'y_zero_point'), b = inputs[8];
  expectDtype(node, x, 'input 0 (x)', INT8_DTYPES);
  expectDtype(node, xz, 'input 2 (x_zero_point)', [x.dtype]);
  expectDtype(node, w, 'input 3 (w)', INT8_DTYPES);
  expectDtype(node, wz, 'input 5 (w_zero_point)', [w.dtype]);
  expectDtype(node, yz, 'input 7 (y_zero_point)', INT8_DTYPES);
  for (const [t, role] of [[xs, 'input 1 (x_scale)'], [ws, 'input 4 (w_scale)'], [ys, 'input 6 (y_scale)']] as const) expectDtype(node, t, role, ['float32']);
  if (b) expectDtype(node, b, 'input 8 (B)', ['int32']);
  const { m } = convShapes(w_, node.attrs, x.shape, w.shape);
  checkConvBias(w_, b, m);
  samePairing(node, ws, wz, 'w_scale', 'w_zero_point');
  const sx = scalarOf(node, xs, 'x_scale'), sy = scalarOf(node, ys, 'y_scale'), zy = scalarOf(node, yz, 'y_zero_point');
  const sw = perChannelOf(node, ws, 'w_scale', m);

  const { acc, shape } = convCore(w_, node.attrs, {
    x: x.data, xShape: x.shape, xOffset: scalarOf(node, xz, 'x_zero_point'),
    w: w.data, wShape: w.shape, wOffset: perChannelOf(node, wz, 'w_zero_point', m),
  });
  const [qmin, qmax] = intRange(yz.dtype);
  const out = newTensorData(yz.dtype, acc.length);
  const plane = acc.length / Math.max(1, shape[0]! * m);
  for (let i = 0, ch = 0; i < acc.length; i += plane, ch = (ch + 1) % m) {
    const mult = qlinearMultiplierF32(sx, sw.length === 1 ? sw[0]! : sw[ch]!, sy);
    const bias = b ? b.data[ch]! : 0;
    for (let j = i; j < i + plane; j++) out[j] = requantizeF32(acc[j]! + bias, mult, zy, qmin, qmax);
  }
  return [{ dtype: yz.dtype, shape, data: out }];
};
