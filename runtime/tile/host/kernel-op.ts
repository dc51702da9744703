import type { Node } from '../../../ir/ops.js';
import type { Target } from '../../../backend/target.js';
import { HOST_FN, decodeHostOperands, hostOpCycles, type HostOperands, type HostOpName } from '../../../backend/host-ops.js';
import { evaluateFloat } from '../../float/index.js';
import type { HostOp, HostOpContext } from '../machine.js';
import { readTensorAt, writeTensorAt } from './dram.js';
import { hostFastPath } from './fast-paths.js';
import type { HostGather } from './im2col-gather.js';

// A host operation that runs one IR op with the reference kernels — the very functions
// runGraph(graph, feeds, evaluateFloat) calls for the integer reference — on operands read from DRAM.
// There is therefore no second copy of any arithmetic: a host op equals the reference by construction,
// and only the operand plumbing and the cycle charge (backend/host-ops.ts) live here. The fast paths
// (fast-paths.ts) call the same ir/arith rules or tables built from the kernels themselves; the one
// re-implementation, the WebAssembly quantizeF32 (wasm/kernels.wat), is held equal to it by tests.
//
// An operand block is program data (never DRAM), so what it decodes to — the node, the cycle charge, and
// the op's fast path if it has one (fast-paths.ts) — is computed on its first call and reused on every later call and run.

interface Decoded {
  readonly operands: Uint8Array;
  readonly o: HostOperands;
  readonly node: Node;
  readonly cycles: number;
  readonly gather: HostGather | undefined;
}

export function kernelHostOp(op: HostOpName, target: Target, fastPaths: boolean): HostOp {
  /** By the block's position in its program's host data; `operands` confirms it is the same block. */
  const decoded = new Map<number, Decoded>();
  const decode = (operands: Uint8Array): Decoded => {
    const hit = decoded.get(operands.byteOffset);
    if (hit !== undefined && hit.operands.buffer === operands.buffer && hit.operands.length === operands.length) return hit;
    const o = decodeHostOperands(operands, 'operand block');
    // Absent operands stay '' so kernels see exactly the node the graph had (e.g. MaxPool's Indices).
    const node = {
      op, name: o.node, attrs: o.attrs,
      inputs: o.inputs.map((r, i) => (r ? `in${i}` : '')),
      outputs: o.outputs.map((r, i) => (r ? `out${i}` : '')),
    } as unknown as Node;
    const entry: Decoded = {
      operands, o, node, cycles: hostOpCycles(op, o.inputs, o.outputs, o.attrs, target),
      gather: fastPaths ? hostFastPath(op, o, node) : undefined,
    };
    decoded.set(operands.byteOffset, entry);
    return entry;
  };
  return {
    name: `fn ${HOST_FN[op]} (${op})`,
    run(ctx: HostOpContext): number {
      const d = decode(ctx.operands);
      if (d.gather !== undefined && d.gather.run(ctx.dram)) return d.cycles;
      const { o } = d;
      const inputs = o.inputs.map((r, i) => (r ? readTensorAt(ctx.dram, r, `input ${i}`) : undefined));
      const results = evaluateFloat(d.node, inputs);
      o.outputs.forEach((r, j) => {
        if (!r) return;
        const t = results[j];
        if (!t) throw new Error(`internal error (tilec bug): ${op} '${o.node}' produced no output ${j}`);
        writeTensorAt(ctx.dram, r, t, `${op} '${o.node}' output ${j}`);
      });
      return d.cycles;
    },
  };
}
