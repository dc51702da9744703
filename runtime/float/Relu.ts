import { type Kernel, need } from './kernel.js';
import { mapUnary } from './unary.js';
import { SIGNED_DTYPES } from './dtypes.js';

// `x < 0 ? 0 : x` rather than Math.max so NaN passes through as it does in onnxruntime.
export const Relu: Kernel<'Relu'> = (node, inputs) => [mapUnary(node, need(node, inputs, 0, 'X'), SIGNED_DTYPES, (v) => (v < 0 ? 0 : v))];
