import { fail } from '../../ir/errors.js';
import { type Kernel, who, need } from './kernel.js';
import { intsOf, normalizeAxes } from './axes.js';
import { withShape } from './view.js';

/** Removes the listed size-1 dims (axes from input 1, opset >= 13, or the attribute), or every size-1 dim. */
export const Squeeze: Kernel<'Squeeze'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const given = inputs[1] ? intsOf(node, inputs[1], 'axes') : node.attrs.axes;
  const r = x.shape.length;
  const axes = given ? normalizeAxes(node, 'axes', given, r) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) {
    if (x.shape[a] !== 1) fail(`${who(node)}: cannot squeeze axis ${a} of shape [${x.shape.join(',')}]: its size is ${x.shape[a]}, not 1`);
  }
  return [withShape(x, x.shape.filter((_, i) => !axes.includes(i)))];
};
