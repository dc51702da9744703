import { fail } from '../../ir/errors.js';
import { type Kernel, who, need } from './kernel.js';
import { mapUnary } from './unary.js';
import { FLOAT_DTYPES } from './dtypes.js';

export const LeakyRelu: Kernel<'LeakyRelu'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'X');
  const alpha = node.attrs.alpha;
  if (!Number.isFinite(alpha)) fail(`${who(node)}: alpha ${alpha} must be a finite number`);
  return [mapUnary(node, x, FLOAT_DTYPES, (v) => (v < 0 ? alpha * v : v))];
};
