import { numel } from '../../ir/tensor.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';
import { forEachAverageWindow, poolPlan } from './pool-core.js';

/**
 * AveragePool, summed in float64. The divisor is the number of window cells inside X, or with
 * count_include_pad those inside X plus its explicit (or auto) padding; cells that ceil_mode reaches
 * beyond the end padding never count (PyTorch, onnxruntime).
 */
export const AveragePool: Kernel<'AveragePool'> = (node, inputs) => {
  const w_ = who(node);
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', FLOAT_DTYPES);
  const plan = poolPlan(w_, node.attrs, x.shape);
  const includePad = node.attrs.count_include_pad !== 0;
  const acc = new Float64Array(numel(plan.outShape));
  forEachAverageWindow(w_, plan, includePad, x.data, (o, sum, count) => { acc[o] = sum / count; });
  return [storeFloat(x.dtype, plan.outShape, acc)];
};
