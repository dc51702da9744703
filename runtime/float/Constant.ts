import { fail } from '../../ir/errors.js';
import { type Kernel, who } from './kernel.js';

export const Constant: Kernel<'Constant'> = (node, inputs) => {
  if (inputs.length > 0) fail(`${who(node)}: takes no inputs, got ${inputs.length}`);
  const v = node.attrs.value;
  if (!v) fail(`${who(node)}: has no value attribute`);
  return [v];
};
