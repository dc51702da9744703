import { dequantizeF32 } from '../../ir/arith.js';
import { fail } from '../../ir/errors.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { QUANT_CODE_DTYPES, axisLayout, samePairing } from './quant-common.js';

/**
 * DequantizeLinear: y = f32(f32(x - x_zero_point) * x_scale), per tensor or per axis, float32 output
 * (docs/arithmetic.md section 4). int32 codes (biases) have no zero point, or a zero one.
 */
export const DequantizeLinear: Kernel<'DequantizeLinear'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'x'), s = need(node, inputs, 1, 'x_scale'), z = inputs[2];
  expectDtype(node, x, 'input 0 (x)', [...QUANT_CODE_DTYPES, 'int32']);
  expectDtype(node, s, 'input 1 (x_scale)', ['float32']);
  if (z) expectDtype(node, z, 'input 2 (x_zero_point)', [x.dtype]);
  samePairing(node, s, z, 'x_scale', 'x_zero_point');
  if (x.dtype === 'int32' && z && z.data.some((v) => v !== 0)) {
    fail(`${who(node)}: an int32 input must have zero point 0, got x_zero_point [${Array.from(z.data).join(',')}]`);
  }
  const { outer, channels, inner } = axisLayout(node, x.shape, s, node.attrs.axis, 'x_scale');
  const xd = x.data, sd = s.data, zd = z?.data;
  const out = new Float32Array(xd.length);
  for (let o = 0, i = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const scale = sd[c]!, zp = zd ? zd[c]! : 0;
      for (const end = i + inner; i < end; i++) out[i] = dequantizeF32(xd[i]!, scale, zp);
    }
  }
  return [{ dtype: 'float32', shape: [...x.shape], data: out }];
};
