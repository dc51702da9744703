import type { HostOperands } from '../../../backend/host-ops.js';
import type { Node } from '../../../ir/ops.js';
import { numel, tensor } from '../../../ir/tensor.js';
import { evaluateFloat } from '../../float/index.js';
import { tableGather, type HostGather } from './im2col-gather.js';
import { sameLayout } from './region.js';

// The Transpose host op on one-byte elements (ShuffleNet's channel shuffles) as a gather between DRAM
// regions. The table is the reference kernel's own output for an input holding its element indices, so
// output i copies the x element the kernel would copy there; runs of consecutive elements are block copies.

const ONE_BYTE = new Set(['int8', 'uint8', 'bool']);

/** A gather for a one-byte Transpose block, or undefined (the generic path handles and reports the rest). */
export function transposeGather(o: HostOperands, node: Node): HostGather | undefined {
  const x = o.inputs[0], y = o.outputs[0];
  if (o.inputs.length !== 1 || o.outputs.length !== 1 || !x || !y || !ONE_BYTE.has(x.dtype) || y.dtype !== x.dtype) return undefined;
  const n = numel(x.shape);
  const iota = new Int32Array(n);
  for (let i = 0; i < n; i++) iota[i] = i;
  let table: Int32Array;
  try {
    const t = evaluateFloat(node, [tensor('int32', x.shape, iota)])[0];
    if (t === undefined || !sameLayout({ ...y, dtype: 'int32' }, { addr: 0, dtype: t.dtype, shape: t.shape })) return undefined;
    table = Int32Array.from(t.data);
  } catch {
    return undefined;
  }
  return tableGather(x.addr, n, y.addr, table, 0);
}
