import type { Node } from '../../../ir/ops.js';
import type { Target } from '../../../backend/target.js';
import { HOST_FN, decodeHostOperands, hostOpCycles, type HostOpName } from '../../../backend/host-ops.js';
import { evaluateFloat } from '../../float/index.js';
import type { HostOp, HostOpContext } from '../machine.js';
import { readTensorAt, writeTensorAt } from './dram.js';

// A host operation that runs one IR op with the reference kernels — the very functions
// runGraph(graph, feeds, evaluateFloat) calls for the integer reference — on operands read from DRAM.
// There is therefore no second copy of any arithmetic: a host op equals the reference by construction,
// and only the operand plumbing and the cycle charge (backend/host-ops.ts) live here.

export function kernelHostOp(op: HostOpName, target: Target): HostOp {
  return {
    name: `fn ${HOST_FN[op]} (${op})`,
    run(ctx: HostOpContext): number {
      const o = decodeHostOperands(ctx.operands, 'operand block');
      const inputs = o.inputs.map((r, i) => (r ? readTensorAt(ctx.dram, r, `input ${i}`) : undefined));
      // Absent operands stay '' so kernels see exactly the node the graph had (e.g. MaxPool's Indices).
      const node = {
        op, name: o.node, attrs: o.attrs,
        inputs: o.inputs.map((r, i) => (r ? `in${i}` : '')),
        outputs: o.outputs.map((r, i) => (r ? `out${i}` : '')),
      } as unknown as Node;
      const results = evaluateFloat(node, inputs);
      o.outputs.forEach((r, j) => {
        if (!r) return;
        const t = results[j];
        if (!t) throw new Error(`internal error (tilec bug): ${op} '${o.node}' produced no output ${j}`);
        writeTensorAt(ctx.dram, r, t, `${op} '${o.node}' output ${j}`);
      });
      return hostOpCycles(op, o.inputs, o.outputs, o.attrs, target);
    },
  };
}
