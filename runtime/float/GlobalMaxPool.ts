import { newTensorData } from '../../ir/dtype.js';
import { type Kernel, expectDtype, need, who } from './kernel.js';
import { globalPoolShape } from './global-pool.js';

/** GlobalMaxPool: the maximum of each N x C plane over all spatial axes (float or 8-bit data; NaN wins). */
export const GlobalMaxPool: Kernel<'GlobalMaxPool'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'X');
  expectDtype(node, x, 'input 0 (X)', ['float32', 'float64', 'int8', 'uint8']);
  const { planes, planeSize, outShape } = globalPoolShape(who(node), x);
  const y = newTensorData(x.dtype, planes), xd = x.data;
  for (let p = 0; p < planes; p++) {
    let best = xd[p * planeSize]!;
    for (let i = p * planeSize + 1, end = (p + 1) * planeSize; i < end; i++) {
      const v = xd[i]!;
      if (v > best || (v !== v && best === best)) best = v;
    }
    y[p] = best;
  }
  return [{ dtype: x.dtype, shape: [...outShape], data: y }];
};
