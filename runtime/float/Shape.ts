import { tensor } from '../../ir/tensor.js';
import { type Kernel, need } from './kernel.js';

/** The input's dims as int64, sliced by start/end; out-of-range ends clamp to [0, rank] as ONNX says. */
export const Shape: Kernel<'Shape'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const r = x.shape.length;
  const clamp = (a: number): number => Math.min(r, Math.max(0, a < 0 ? a + r : a));
  const start = clamp(node.attrs.start), end = clamp(node.attrs.end ?? r);
  const dims = x.shape.slice(start, Math.max(start, end));
  return [tensor('int64', [dims.length], dims)];
};
