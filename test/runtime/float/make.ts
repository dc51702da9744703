// Tiny builders for kernel tests: a node of op O with given attrs and `n` anonymous inputs.
import type { DType } from '../../../ir/dtype.js';
import type { NodeOf, OpAttrs, OpName } from '../../../ir/ops.js';
import { type Tensor, tensor } from '../../../ir/tensor.js';

export function node<O extends OpName>(op: O, attrs: OpAttrs[O], nInputs = 1, nOutputs = 1): NodeOf<O> {
  return {
    op, name: `${op.toLowerCase()}_1`, attrs,
    inputs: Array.from({ length: nInputs }, (_, i) => `in${i}`),
    outputs: Array.from({ length: nOutputs }, (_, i) => `out${i}`),
  };
}

export const f32 = (shape: readonly number[], data: ArrayLike<number>): Tensor => tensor('float32', shape, data);
export const i64 = (data: readonly number[], shape: readonly number[] = [data.length]): Tensor => tensor('int64', shape, data);
export const t = (dtype: DType, shape: readonly number[], data: ArrayLike<number>): Tensor => tensor(dtype, shape, data);
export const arange = (dtype: DType, shape: readonly number[]): Tensor =>
  tensor(dtype, shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));
/** A tensor's values as a plain array, for toEqual. */
export const vals = (x: Tensor): number[] => Array.from(x.data);
