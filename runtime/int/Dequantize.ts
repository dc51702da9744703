import { dequantizeF32 } from '../../ir/arith.js';
import { checkDequantizeAttrs } from '../../ir/infer/qattrs.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { badFor } from './common.js';

/** Dequantize: int8 codes (or int32 accumulators) -> float32 by ir/arith dequantizeF32. */
export const Dequantize: Kernel<'Dequantize'> = (node, inputs) => {
  const a = node.attrs;
  const x = need(node, inputs, 0, 'x');
  expectDtype(node, x, 'input 0 (x)', ['int8', 'int32']);
  checkDequantizeAttrs(badFor(who(node)), a, x.dtype);
  const y = new Float32Array(x.data.length), xd = x.data;
  for (let i = 0; i < y.length; i++) y[i] = dequantizeF32(xd[i]!, a.scale, a.zeroPoint);
  return [{ dtype: 'float32', shape: [...x.shape], data: y }];
};
