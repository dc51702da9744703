import { averagePoolCode } from '../../ir/arith.js';
import { checkIntAttr, INT8_MAX, INT8_MIN } from '../../ir/infer/qattrs.js';
import { numel } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from '../float/kernel.js';
import { forEachAverageWindow, poolPlan } from '../float/pool-core.js';
import { badFor } from './common.js';

/**
 * QAveragePool: averagePoolCode(sum, count, zeroPoint) over each window, input and output sharing scale
 * and zero point. The divisor follows ONNX AveragePool (pool-core): with count_include_pad, cells of the
 * explicit (or auto) padding count and hold the zero point (real 0); cells that ceil_mode reaches beyond
 * the end padding never count. The integer sum is exact.
 */
export const QAveragePool: Kernel<'QAveragePool'> = (node, inputs) => {
  const w_ = who(node), a = node.attrs, bad = badFor(w_);
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', ['int8']);
  checkIntAttr(bad, 'count_include_pad', a.count_include_pad, 0, 1);
  checkIntAttr(bad, 'zeroPoint', a.zeroPoint, INT8_MIN, INT8_MAX);
  const zp = a.zeroPoint, includePad = a.count_include_pad !== 0;
  const plan = poolPlan(w_, a, x.shape);
  const y = new Int8Array(numel(plan.outShape));
  // Padded cells that count hold the zero point (real 0).
  forEachAverageWindow(w_, plan, includePad, x.data, (o, sum, count, inside) => { y[o] = averagePoolCode(sum + (count - inside) * zp, count, zp); });
  return [{ dtype: 'int8', shape: [...plan.outShape], data: y }];
};
