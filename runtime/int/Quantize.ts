import { quantizeF32 } from '../../ir/arith.js';
import { checkQuantizeAttrs } from '../../ir/infer/qattrs.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { badFor } from './common.js';

/** Quantize: float32 -> int8 by ir/arith quantizeF32 (round half to even, clamp to [qmin, qmax]). */
export const Quantize: Kernel<'Quantize'> = (node, inputs) => {
  const a = node.attrs;
  const x = need(node, inputs, 0, 'x');
  expectDtype(node, x, 'input 0 (x)', ['float32']);
  checkQuantizeAttrs(badFor(who(node)), a);
  const y = new Int8Array(x.data.length), xd = x.data;
  for (let i = 0; i < y.length; i++) y[i] = quantizeF32(xd[i]!, a.scale, a.zeroPoint, a.qmin, a.qmax);
  return [{ dtype: 'int8', shape: [...x.shape], data: y }];
};
