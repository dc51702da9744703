import { fail } from '../../ir/errors.js';
import type { Tensor } from '../../ir/tensor.js';
import { type Kernel, who, need } from './kernel.js';
import { mapUnary } from './unary.js';
import { scalarOf } from './axes.js';
import { NUMERIC_DTYPES } from './dtypes.js';

/**
 * y = min(max, max(x, min)): bounds come from inputs 1 and 2 (opset >= 11) or from the attributes
 * (opset < 11); a missing bound does not clip. When min > max every element becomes max, as ONNX says.
 */
export const Clip: Kernel<'Clip'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'input');
  const bound = (i: number, role: 'min' | 'max'): number | undefined => {
    const t: Tensor | undefined = inputs[i];
    if (!t) return node.attrs[role];
    if (t.dtype !== x.dtype) fail(`${who(node)}: ${role} has dtype ${t.dtype} but the input has ${x.dtype}`);
    return scalarOf(node, t, role);
  };
  const lo = bound(1, 'min') ?? -Infinity, hi = bound(2, 'max') ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) fail(`${who(node)}: bounds min=${lo} max=${hi} must not be NaN`);
  return [mapUnary(node, x, NUMERIC_DTYPES, (v) => {
    const up = v < lo ? lo : v;
    return up > hi ? hi : up;
  })];
};
