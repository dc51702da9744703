import { type DType, type TensorData, newTensorData } from './dtype.js';

/** A dense row-major tensor. Never mutated after construction. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

export function tensor(dtype: DType, shape: readonly number[], data?: TensorData | ArrayLike<number>): Tensor {
  const n = numel(shape);
  const out = newTensorData(dtype, n);
  if (data !== undefined) {
    if (data.length !== n) throw new Error(`bug: tensor data has ${data.length} elements but shape [${shape.join(',')}] needs ${n}`);
    out.set(data as ArrayLike<number>);
  }
  return { dtype, shape: [...shape], data: out };
}

export const scalar = (dtype: DType, v: number): Tensor => tensor(dtype, [], [v]);

export const shapeStr = (shape: readonly number[]): string => `[${shape.join(',')}]`;

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
