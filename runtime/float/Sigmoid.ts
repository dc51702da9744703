import { type Kernel, need } from './kernel.js';
import { mapUnary } from './unary.js';
import { FLOAT_DTYPES } from './dtypes.js';

/** Never exponentiates a large positive number, so neither branch overflows to Infinity/Infinity. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export const Sigmoid: Kernel<'Sigmoid'> = (node, inputs) => [mapUnary(node, need(node, inputs, 0, 'X'), FLOAT_DTYPES, sigmoid)];
