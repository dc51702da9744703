import type { HostOperands } from '../../../backend/host-ops.js';
import { checkQAddAttrs } from '../../../ir/infer/qattrs.js';
import type { Node, QAddAttrs } from '../../../ir/ops.js';
import { qAddByteTable, qAddRule } from '../../int/qadd-rule.js';
import type { HostGather } from './im2col-gather.js';
import { disjoint, refBytes, sameLayout } from './region.js';
import { lookup2Wasm } from './wasm/kernels.js';

// The QAdd host op on same-shape int8 operands, element by element between DRAM regions, with the reference
// kernel's own rule (runtime/int/qadd-rule.ts): first called per element, then, once this block has
// computed as many elements as the table has entries, looked up in the table of all 256 x 256 results
// (qAddByteTable, built from the same rule) by the WebAssembly kernel lookup2 (wasm/kernels.wat). The parameters are the block's attributes (program data), so
// the table belongs to the block for every later run. Broadcasting, other dtypes, bad attributes and
// partly overlapping operands take the generic path (the reference kernel, which reports any error).

const TABLE_ENTRIES = 256 * 256;

/** The fast path for a same-shape int8 QAdd block, or undefined (the generic path handles the rest). */
export function qAddFastPath(o: HostOperands, node: Node): HostGather | undefined {
  const a = o.inputs[0], b = o.inputs[1], y = o.outputs[0];
  if (o.inputs.length !== 2 || o.outputs.length !== 1 || !a || !b || !y || y.dtype !== 'int8') return undefined;
  if (!sameLayout(a, y) || !sameLayout(b, y)) return undefined;
  const attrs = (node as unknown as { attrs: QAddAttrs }).attrs;
  try {
    checkQAddAttrs((message) => { throw new Error(message); }, attrs);
  } catch {
    return undefined;
  }
  // Element i is read from both inputs before it is written, so y may be an input exactly, never in part.
  if ((a.addr !== y.addr && !disjoint(a, y)) || (b.addr !== y.addr && !disjoint(b, y))) return undefined;
  const n = refBytes(y), as = a.addr, bs = b.addr, ys = y.addr;
  const rule = qAddRule(attrs);
  let table: Uint8Array | undefined, computed = 0;
  return {
    run(dram) {
      if (Math.max(as, bs, ys) + n > dram.length) return false;
      if (table === undefined && computed + n >= TABLE_ENTRIES) table = qAddByteTable(attrs);
      if (table !== undefined) {
        lookup2Wasm(table, dram.subarray(as, as + n), dram.subarray(bs, bs + n), dram.subarray(ys, ys + n));
      } else {
        computed += n;
        for (let i = 0; i < n; i++) dram[ys + i] = rule((dram[as + i]! << 24) >> 24, (dram[bs + i]! << 24) >> 24);
      }
      return true;
    },
  };
}
