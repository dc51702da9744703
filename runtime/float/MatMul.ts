import { type Kernel, expectDtype, need, who } from './kernel.js';
import { matmulCore } from './matmul-core.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { storeFloat } from './float-out.js';

/** MatMul: numpy matmul (1-D operands, broadcast batch dims), summed in float64. */
export const MatMul: Kernel<'MatMul'> = (node, inputs) => {
  const a = need(node, inputs, 0, 'A'), b = need(node, inputs, 1, 'B');
  expectDtype(node, a, 'input 0 (A)', FLOAT_DTYPES);
  expectDtype(node, b, 'input 1 (B)', [a.dtype]);
  const { acc, shape } = matmulCore(who(node), { a: a.data, aShape: a.shape, b: b.data, bShape: b.shape });
  return [storeFloat(a.dtype, shape, acc)];
};
