import type { Tensor } from '../../ir/tensor.js';

/** The same elements under another shape of equal size. Shares the buffer: tensors are never mutated. */
export const withShape = (t: Tensor, shape: readonly number[]): Tensor => ({ dtype: t.dtype, shape: [...shape], data: t.data });
