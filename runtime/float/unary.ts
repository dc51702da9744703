import type { DType } from '../../ir/dtype.js';
import { newTensorData } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor.js';
import { expectDtype } from './kernel.js';

/**
 * y = f(x) elementwise, same dtype and shape. f works on doubles; the typed-array store rounds to
 * float32 (or saturates/wraps for integers, which the callers' f never leaves the range of).
 */
export function mapUnary(node: { op: string; name: string }, x: Tensor, allowed: readonly DType[], f: (v: number) => number): Tensor {
  expectDtype(node, x, 'input', allowed);
  const src = x.data, out = newTensorData(x.dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  return { dtype: x.dtype, shape: x.shape, data: out };
}
