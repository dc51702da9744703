import { numel } from '../../ir/tensor.js';
import { type Kernel, need } from './kernel.js';
import { normalizeAxis } from './axes.js';
import { withShape } from './view.js';

/** [prod(shape[:axis]), prod(shape[axis:])]; axis may be -rank..rank (0 gives [1, n]). */
export const Flatten: Kernel<'Flatten'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'input');
  const axis = normalizeAxis(node, 'axis', node.attrs.axis, x.shape.length, true);
  return [withShape(x, [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))])];
};
