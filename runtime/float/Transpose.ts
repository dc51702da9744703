import { fail } from '../../ir/errors.js';
import { newTensorData } from '../../ir/dtype.js';
import { strides } from '../../ir/tensor.js';
import { type Kernel, who, need } from './kernel.js';

/** out.shape[i] = x.shape[perm[i]]; perm defaults to the reversed dims. */
export const Transpose: Kernel<'Transpose'> = (node, inputs) => {
  const x = need(node, inputs, 0, 'data');
  const r = x.shape.length;
  const perm = node.attrs.perm ?? x.shape.map((_, i) => r - 1 - i);
  const seen = new Set(perm);
  if (perm.length !== r || seen.size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) {
    fail(`${who(node)}: perm [${perm.join(',')}] is not a permutation of 0..${r - 1} (input shape [${x.shape.join(',')}])`);
  }
  const shape = perm.map((p) => x.shape[p]!);
  const inStrides = strides(x.shape);
  // Strides of the input read in output order: the odometer walks the output and jumps in the input.
  const s = perm.map((p) => inStrides[p]!);
  const src = x.data, out = newTensorData(x.dtype, src.length);
  const n = out.length;
  if (n === 0) return [{ dtype: x.dtype, shape, data: out }];
  const inner = r > 0 ? shape[r - 1]! : 1, si = r > 0 ? s[r - 1]! : 0;
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let o = 0; o < n; o += inner) {
    for (let k = 0, p = off; k < inner; k++, p += si) out[o + k] = src[p]!;
    for (let d = r - 2; d >= 0; d--) {
      off += s[d]!;
      const i = idx[d]! + 1;
      if (i < shape[d]!) { idx[d] = i; break; }
      off -= s[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return [{ dtype: x.dtype, shape, data: out }];
};
