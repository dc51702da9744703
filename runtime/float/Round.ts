import { roundHalfEven } from '../../ir/arith.js';
import type { Kernel } from './kernel.js';
import { need } from './kernel.js';
import { FLOAT_DTYPES } from './dtypes.js';
import { mapUnary } from './unary.js';

/**
 * ONNX Round: nearest integer, ties to even (numpy.round). Unlike roundHalfEven's codes, a float result
 * keeps the sign of zero (Round(-0.4) = -0, as numpy and onnxruntime give); NaN and ±Infinity pass through.
 */
export const Round: Kernel<'Round'> = (node, inputs) => [
  mapUnary(node, need(node, inputs, 0, 'X'), FLOAT_DTYPES, (v) => {
    const r = roundHalfEven(v);
    return r === 0 && (v < 0 || Object.is(v, -0)) ? -0 : r;
  }),
];
