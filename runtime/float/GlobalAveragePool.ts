import { type Kernel, expectDtype, need, who } from './kernel.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';
import { globalPoolShape } from './global-pool.js';

/** GlobalAveragePool: the mean of each N x C plane over all spatial axes, summed in float64. */
export const GlobalAveragePool: Kernel<'GlobalAveragePool'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', FLOAT_DTYPES);
  const { planes, planeSize, outShape } = globalPoolShape(who(node), x);
  const acc = new Float64Array(planes), xd = x.data;
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = p * planeSize, end = i + planeSize; i < end; i++) sum += xd[i]!;
    acc[p] = sum / planeSize;
  }
  return [storeFloat(x.dtype, outShape, acc)];
};
