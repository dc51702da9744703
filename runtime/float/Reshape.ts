import { fail } from '../../ir/errors.js';
import { numel, shapeStr } from '../../ir/tensor.js';
import { type Kernel, who, need, expectDtype } from './kernel.js';
import { intsOf } from './axes.js';
import { withShape } from './view.js';

/**
 * The target shape of Reshape: 0 copies the input dim at that position (unless allowzero, where it is a
 * literal 0), one -1 takes whatever size remains. Exported for shape inference to share.
 */
export function reshapeTarget(node: { op: string; name: string }, inShape: readonly number[], requested: readonly number[], allowzero: number): number[] {
  const req = `[${requested.join(',')}]`;
  const minus = requested.filter((d) => d === -1).length;
  if (minus > 1) fail(`${who(node)}: shape ${req} has more than one -1`);
  if (requested.some((d) => !Number.isInteger(d) || d < -1)) fail(`${who(node)}: shape ${req} has a dim below -1`);
  if (allowzero && minus && requested.includes(0)) fail(`${who(node)}: shape ${req} has both 0 and -1, which allowzero=1 forbids`);
  const out = requested.map((d, i) => {
    if (d !== 0 || allowzero) return d;
    if (i >= inShape.length) fail(`${who(node)}: shape ${req} copies dim ${i} (0) but the input ${shapeStr(inShape)} has rank ${inShape.length}`);
    return inShape[i]!;
  });
  const n = numel(inShape);
  const j = out.indexOf(-1);
  if (j >= 0) {
    const known = numel(out.filter((_, i) => i !== j));
    if (known === 0 || n % known !== 0) fail(`${who(node)}: cannot infer the -1 in shape ${req} for an input of shape ${shapeStr(inShape)} (${n} elements)`);
    out[j] = n / known;
  }
  if (numel(out) !== n) fail(`${who(node)}: cannot reshape ${shapeStr(inShape)} (${n} elements) to ${req} (${numel(out)} elements)`);
  return out;
}

export const Reshape: Kernel<'Reshape'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const s = need(node, inputs, 1, 'shape');
  expectDtype(node, s, 'shape', ['int64']);
  return [withShape(x, reshapeTarget(node, x.shape, intsOf(node, s, 'shape'), node.attrs.allowzero))];
};
