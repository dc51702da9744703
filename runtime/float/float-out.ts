import type { DType } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor.js';

// The compute-heavy float kernels accumulate in float64 and round once when storing, into the input's
// float type (float32 stays float32, float64 stays float64).

/** A float tensor of `dtype` holding `acc` (rounded once to float32 when dtype is float32). */
export function storeFloat(dtype: DType, shape: readonly number[], acc: Float64Array): Tensor {
  return { dtype, shape: [...shape], data: dtype === 'float64' ? acc : new Float32Array(acc) };
}
