import { fail } from '../../ir/errors.js';
import { tensor } from '../../ir/tensor.js';
import { type Kernel, who, need, expectDtype } from './kernel.js';
import { intsOf } from './axes.js';

/** A tensor of shape input 0 filled with the one-element `value` (default float32 0). */
export const ConstantOfShape: Kernel<'ConstantOfShape'> = (node, inputs) => {
  const s = need(node, inputs, 0, 'input');
  expectDtype(node, s, 'input', ['int64']);
  const shape = intsOf(node, s, 'input');
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`${who(node)}: shape [${shape.join(',')}] has a negative dim`);
  const v = node.attrs.value ?? tensor('float32', [1], [0]);
  if (v.data.length !== 1) fail(`${who(node)}: value must have one element, got shape [${v.shape.join(',')}]`);
  const out = tensor(v.dtype, shape);
  out.data.fill(v.data[0]!);
  return [out];
};
