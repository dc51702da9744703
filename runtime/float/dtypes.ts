import type { DType } from '../../ir/dtype.js';

// Dtype groups the float-reference kernels accept, named once so every kernel's error lists the same set.

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64'];
export const SIGNED_DTYPES: readonly DType[] = ['float32', 'float64', 'int8', 'int16', 'int32', 'int64'];
export const NUMERIC_DTYPES: readonly DType[] = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'int64'];
/** Index-like tensors: shapes, axes, pads, Gather indices. */
export const INDEX_DTYPES: readonly DType[] = ['int64', 'int32'];
