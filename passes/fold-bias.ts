import { match, P } from 'ts-pattern';
import type { Graph } from '../ir/graph.js';
import type { NodeOf } from '../ir/ops.js';
import { numel, tensor, type Tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';
import { applyRules, type RewriteResult, type Rule } from './rewrite.js';
import { constantOf, consumersOf, freshName, isGraphOutput, producerOf } from './query.js';

// Biases written as separate ops become the bias of the product they follow, so quantization sees one layer
// with an int32 bias instead of a product plus a float Add (which would be a float island, or a second
// rounding). Exporters write MatMul + Add (CNTK's Times + Plus in mnist-8, ONNX's Linear without Gemm): that
// pair becomes Gemm(A, B, C). A Gemm's alpha and beta fold into B and C, so every quantizable Gemm reads
// Y = A·B + C with one bias value per output column. (Conv/Gemm followed by a per-channel constant Add or Sub
// is already folded by fold-batchnorm's channel-affine rule, which this pass runs before.)
// Weights are scaled in float64 and stored as float32, like fold-batchnorm.

/** A constant that adds one value per column of an [M, N] result: shape [N], [1, N], [1], [1, 1] or a scalar. */
function perColumn(k: Tensor, n: number): Float64Array | undefined {
  const size = numel(k.shape);
  if (k.dtype !== 'float32' || k.shape.length > 2 || (size !== n && size !== 1)) return undefined;
  if (size === n && n !== 1 && k.shape[k.shape.length - 1] !== n) return undefined;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = k.data[size === 1 ? 0 : j]!;
  return out;
}

/** The 2-D constant weight [K, N] of a MatMul whose activation is 2-D, or undefined. */
function matmulWeight(g: Graph, mm: NodeOf<'MatMul'>): Tensor | undefined {
  const b = constantOf(g, mm.inputs[1]!);
  const a = g.values.get(mm.inputs[0]!);
  if (!b || b.dtype !== 'float32' || b.shape.length !== 2 || !a || a.shape.length !== 2 || constantOf(g, mm.inputs[0]!)) return undefined;
  return b;
}

/** MatMul(A, B) then + c or − c (c constant per column) -> Gemm(A, B, ±c), named as the MatMul, defining the Add's output. */
export const foldMatMulBias: Rule = (node, g) =>
  match(node)
    .with({ op: P.union('Add', 'Sub') }, (n): RewriteResult | undefined => {
      const [x, y] = [n.inputs[0]!, n.inputs[1]!];
      const mmInput = n.op === 'Sub' ? x : producerOf(g, x)?.op === 'MatMul' ? x : y;
      const kInput = mmInput === x ? y : x;
      const mm = producerOf(g, mmInput);
      const k = constantOf(g, kInput);
      if (!mm || mm.op !== 'MatMul' || !k || isGraphOutput(g, mmInput) || consumersOf(g, mmInput).length !== 1) return undefined;
      const w = matmulWeight(g, mm);
      if (!w) return undefined;
      const cols = w.shape[1]!;
      const c = perColumn(k, cols);
      if (!c) return undefined;
      const bias = tensor('float32', [cols], n.op === 'Sub' ? c.map((v) => -v) : c);
      const cName = freshName(g, `${mm.name}_c`);
      const gemm: NodeOf<'Gemm'> = {
        op: 'Gemm', name: mm.name, inputs: [mm.inputs[0]!, mm.inputs[1]!, cName], outputs: [n.outputs[0]!],
        attrs: { alpha: 1, beta: 1, transA: 0, transB: 0 },
      };
      return { replace: [gemm], remove: [mm.name], newInitializers: new Map([[cName, bias]]) };
    })
    .otherwise(() => undefined);

/**
 * Gemm with a constant B and alpha != 1, beta != 1 or a C that is not a [N] vector -> alpha·B, beta·C as [N]
 * (only when C adds one value per column; a C varying along rows stays, and cannot be quantized).
 */
export const normalizeGemm: Rule = (node, g) =>
  match(node)
    .with({ op: 'Gemm' }, (n): RewriteResult | undefined => {
      const b = constantOf(g, n.inputs[1]!);
      if (!b || b.dtype !== 'float32' || b.shape.length !== 2) return undefined;
      const cols = n.attrs.transB ? b.shape[0]! : b.shape[1]!;
      const cInput = n.inputs[2] ?? '';
      const cConst = cInput === '' ? undefined : constantOf(g, cInput);
      if (cInput !== '' && !cConst) return undefined;
      const c = cConst ? perColumn(cConst, cols) : undefined;
      if (cConst && !c) return undefined;
      const cIsVector = !cConst || (cConst.shape.length === 1 && cConst.shape[0] === cols);
      if (n.attrs.alpha === 1 && (n.attrs.beta === 1 || !cConst) && cIsVector) return undefined;
      const newInitializers = new Map<string, Tensor>();
      const inputs = [...n.inputs];
      if (n.attrs.alpha !== 1) {
        const name = freshName(g, `${n.name}_b`);
        newInitializers.set(name, tensor('float32', b.shape, Array.from(b.data, (v) => v * n.attrs.alpha)));
        inputs[1] = name;
      }
      if (c) {
        const name = freshName(g, `${n.name}_c`, new Set(newInitializers.keys()));
        newInitializers.set(name, tensor('float32', [cols], c.map((v) => v * n.attrs.beta)));
        inputs[2] = name;
      }
      return { replace: [{ ...n, inputs, attrs: { ...n.attrs, alpha: 1, beta: 1 } }], newInitializers };
    })
    .otherwise(() => undefined);

export const FOLD_BIAS_RULES: readonly Rule[] = [foldMatMulBias, normalizeGemm];

export const foldBiasPass: Pass = {
  name: 'fold-bias',
  run: (g, ctx) => applyRules(g, FOLD_BIAS_RULES, { name: 'fold-bias', log: ctx.log }),
};
