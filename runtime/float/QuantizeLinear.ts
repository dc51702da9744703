import { intRange, newTensorData } from '../../ir/dtype.js';
import { quantizeF32 } from '../../ir/arith.js';
import { type Kernel, expectDtype, need } from './kernel.js';
import { QUANT_CODE_DTYPES, axisLayout, checkDivisorScales, samePairing } from './quant-common.js';

/**
 * QuantizeLinear: y = saturate(roundHalfEven(f32(x / y_scale)) + y_zero_point), per tensor or per axis
 * (docs/arithmetic.md section 4). The output type is the zero point's, uint8 when it is absent.
 */
export const QuantizeLinear: Kernel<'QuantizeLinear'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'x'), s = need(node, inputs, 1, 'y_scale'), z = inputs[2];
  expectDtype(node, x, 'input 0 (x)', ['float32']);
  expectDtype(node, s, 'input 1 (y_scale)', ['float32']);
  if (z) expectDtype(node, z, 'input 2 (y_zero_point)', QUANT_CODE_DTYPES);
  samePairing(node, s, z, 'y_scale', 'y_zero_point');
  checkDivisorScales(node, s, 'y_scale');
  const { outer, channels, inner } = axisLayout(node, x.shape, s, node.attrs.axis, 'y_scale');
  const dtype = z?.dtype ?? 'uint8';
  const [qmin, qmax] = intRange(dtype);
  const xd = x.data, sd = s.data, zd = z?.data;
  const out = newTensorData(dtype, xd.length);
  for (let o = 0, i = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const scale = sd[c]!, zp = zd ? zd[c]! : 0;
      for (const end = i + inner; i < end; i++) out[i] = quantizeF32(xd[i]!, scale, zp, qmin, qmax);
    }
  }
  return [{ dtype, shape: [...x.shape], data: out }];
};
