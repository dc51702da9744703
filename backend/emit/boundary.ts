import { valueType, type Graph, type QuantParams } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';

// The program's boundary. A realized graph takes float32 inputs and quantizes them (Quantize), and ends in
// Dequantize nodes producing float32 outputs. The accelerator program itself is int8 in, int8 out: where
// the graph allows it, the entry Quantize and the exit Dequantize are *folded* into the tensor table — the
// input or output tensor is int8 with the quantization parameters of that node, and `tilec run`
// (runtime/tile/run-program.ts) quantizes the float feed on entry / dequantizes on exit with the very
// functions those nodes use (ir/arith quantizeF32 / dequantizeF32). Where it does not (an input read by
// something else, a clamp narrower than the bit width...), the node stays a HOST instruction.

export interface BoundaryFolds {
  /** Graph input -> the int8 quantization its Quantize consumers apply. */
  readonly entry: ReadonlyMap<string, QuantParams>;
  /** Graph output -> the int8 value it dequantizes and that value's quantization as the Dequantize applies it. */
  readonly exit: ReadonlyMap<string, { readonly source: string; readonly quant: QuantParams }>;
  /** The Quantize / Dequantize nodes that folding removes. */
  readonly folded: ReadonlySet<Node>;
}

/** The bit width B whose signed range [-2^(B-1), 2^(B-1) - 1] is [qmin, qmax], if any (2..8). */
function fullRangeBits(qmin: number, qmax: number): number | undefined {
  for (let b = 2; b <= 8; b++) if (qmin === -(2 ** (b - 1)) && qmax === 2 ** (b - 1) - 1) return b;
  return undefined;
}

export function boundaryFolds(g: Graph, enabled: boolean): BoundaryFolds {
  const entry = new Map<string, QuantParams>();
  const exit = new Map<string, { source: string; quant: QuantParams }>();
  const folded = new Set<Node>();
  if (!enabled) return { entry, exit, folded };
  const readers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const v of new Set(n.inputs)) if (v !== '') readers.set(v, [...(readers.get(v) ?? []), n]);
  const outputs = new Set(g.outputs);

  for (const x of g.inputs) {
    const users = readers.get(x) ?? [];
    if (outputs.has(x) || valueType(g, x).dtype !== 'float32' || users.length === 0) continue;
    const q = users[0]!;
    if (q.op !== 'Quantize') continue;
    const a = q.attrs;
    const same = users.every((u) => u.op === 'Quantize' && u.inputs[0] === x && u.attrs.scale === a.scale
      && u.attrs.zeroPoint === a.zeroPoint && u.attrs.qmin === a.qmin && u.attrs.qmax === a.qmax);
    const bits = fullRangeBits(a.qmin, a.qmax);
    if (!same || bits === undefined) continue;
    entry.set(x, { scale: [a.scale], zeroPoint: [a.zeroPoint], bits });
    for (const u of users) folded.add(u);
  }

  const counted = new Map<string, number>();
  for (const y of g.outputs) counted.set(y, (counted.get(y) ?? 0) + 1);
  for (const n of g.nodes) {
    if (n.op !== 'Dequantize') continue;
    const y = n.outputs[0]!, z = n.inputs[0]!;
    if (counted.get(y) !== 1 || (readers.get(y) ?? []).length > 0 || g.inputs.includes(y)) continue;
    const zt = valueType(g, z);
    if (zt.dtype !== 'int8') continue;
    exit.set(y, { source: z, quant: { scale: [n.attrs.scale], zeroPoint: [n.attrs.zeroPoint], bits: zt.quant?.bits ?? 8 } });
    folded.add(n);
  }
  return { entry, exit, folded };
}
