import { fail } from '../../ir/errors.js';
import { type Kernel, who, need } from './kernel.js';
import { intsOf, normalizeAxes } from './axes.js';
import { withShape } from './view.js';

/** Inserts size-1 dims at `axes`, which index the OUTPUT (rank + len(axes)); any order, negatives wrap. */
export const Unsqueeze: Kernel<'Unsqueeze'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const given = inputs[1] ? intsOf(node, inputs[1], 'axes') : node.attrs.axes;
  if (!given) fail(`${who(node)}: needs axes (input 1 or the axes attribute)`);
  const outRank = x.shape.length + given.length;
  const axes = new Set(normalizeAxes(node, 'axes', given, outRank));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < outRank; i++) shape.push(axes.has(i) ? 1 : x.shape[j++]!);
  return [withShape(x, shape)];
};
