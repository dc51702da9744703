import { unsupported } from '../../ir/errors.js';
import { type Graph, type ValueType, valueType } from '../../ir/graph.js';
import { nodeLabel } from '../../ir/infer.js';
import type { Node, NodeOf } from '../../ir/ops.js';
import type { Tensor } from '../../ir/tensor.js';
import type { RewriteResult } from '../rewrite.js';
import { constantOf } from '../query.js';
import { checkAccumulators, codeRange } from './accumulator.js';
import { Names, sliceQuant, transposed, typed } from './parts.js';

// QGemm Y[M, N] = A[M, K]·B[K, N] + bias[N] has its output channels in columns, but the tile machine puts the
// bias and the requantization of a channel on a row. So it runs transposed: Yᵀ = Bᵀ·Aᵀ, i.e.
// Transpose(A) -> TileGemm(Bᵀ const, Aᵀ, bias) -> Transpose -> Y (docs/lowering.md). Bᵀ is B itself when
// transB = 1, else a transposed copy made here. With M = 1 (one sample) both transposes move no byte.

export function lowerQGemmNode(n: NodeOf<'QGemm'>, g: Graph): RewriteResult {
  const who = nodeLabel(n);
  const [act, bName] = [n.inputs[0]!, n.inputs[1]!];
  const biasName = n.inputs[2] ?? '';
  const y = n.outputs[0]!;
  const at = valueType(g, act), bt = valueType(g, bName), yt = valueType(g, y);
  const b = constantOf(g, bName);
  if (!b) unsupported(`${who}: weight '${bName}' is not a constant; the accelerator's GEMM needs constant weights`);
  const bias = biasName === '' ? undefined : constantOf(g, biasName);
  if (biasName !== '' && !bias) unsupported(`${who}: bias '${biasName}' is not a constant`);
  const [M, K] = [at.shape[0]!, at.shape[1]!];
  const names = new Names(g);
  const newValues = new Map<string, ValueType>();
  const newInitializers = new Map<string, Tensor>();

  let wName = bName, w = b;
  if (!n.attrs.transB) {
    w = transposed(b);
    wName = names.value(`${bName}:T`);
    newInitializers.set(wName, w);
    newValues.set(wName, typed('int8', w.shape, sliceQuant(bt.quant, 0, w.shape[0]!, 0)));
  }
  const N = w.shape[0]!;
  checkAccumulators(who, w, bias, codeRange(at), (r) => `output column ${r}`);

  const actT = names.value(`${y}:in_T`), out = names.value(`${y}:gemm`);
  newValues.set(actT, typed('int8', [K, M], at.quant));
  newValues.set(out, typed('int8', [N, M], yt.quant));
  const { multiplier, shift, zeroPoint, qmin, qmax } = n.attrs;
  const replace: Node[] = [
    { op: 'Transpose', name: names.node(`${n.name}:in_T`), inputs: [act], outputs: [actT], attrs: { perm: [1, 0] } },
    {
      op: 'TileGemm', name: names.node(`${n.name}:gemm`), inputs: biasName === '' ? [wName, actT] : [wName, actT, biasName], outputs: [out],
      attrs: { multiplier: [...multiplier], shift: [...shift], zeroPoint, qmin, qmax, gather: 'none' },
    },
    { op: 'Transpose', name: names.node(`${n.name}:out_T`), inputs: [out], outputs: [y], attrs: { perm: [1, 0] } },
  ];
  return { replace, newValues, newInitializers };
}
