import { match } from 'ts-pattern';
import type { Graph } from '../ir/graph.js';
import { isFloat } from '../ir/dtype.js';
import type { Node, NodeOf } from '../ir/ops.js';
import { numel, tensor, type Tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';
import { applyRules, type RewriteResult, type Rule } from './rewrite.js';
import { constantOf, consumersOf, freshName, isGraphOutput, producerOf } from './query.js';

// Inference BatchNormalization is a per-channel affine map y = s*(x - mean) + B with s = scale/sqrt(var+eps).
// Right after a Conv or Gemm with constant weights it folds into them: W' = W*s (per output channel),
// b' = s*(b - mean) + B. That removes a whole layer before quantization, and quantizing the folded weights is
// what the accelerator will actually run. Arithmetic is done in float64 and stored in the weights' dtype.

/** The BN's per-channel scale s and shift t (y = s*x + t) in float64, or undefined if its parameters are not constant. */
function bnAffine(g: Graph, bn: NodeOf<'BatchNormalization'>, channels: number): { s: Float64Array; t: Float64Array } | undefined {
  const params = bn.inputs.slice(1, 5).map((v) => constantOf(g, v));
  if (params.length !== 4) return undefined;
  const [scale, bias, mean, variance] = params;
  if (!scale || !bias || !mean || !variance) return undefined;
  if (![scale, bias, mean, variance].every((p) => isFloat(p.dtype) && numel(p.shape) === channels)) return undefined;
  const s = new Float64Array(channels), t = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    s[c] = scale.data[c]! / Math.sqrt(variance.data[c]! + bn.attrs.epsilon);
    t[c] = bias.data[c]! - s[c]! * mean.data[c]!;
  }
  return { s, t };
}

/** W scaled by s along `axis` (0: rows of a [C, ...] tensor; 1: columns of a [K, C] matrix). */
function scaleAlong(w: Tensor, s: Float64Array, axis: 0 | 1): Tensor {
  const out = tensor(w.dtype, w.shape);
  const n = numel(w.shape), c = s.length;
  const inner = axis === 0 ? n / c : 1;
  for (let i = 0; i < n; i++) {
    const ch = axis === 0 ? Math.floor(i / inner) : i % c;
    out.data[i] = w.data[i]! * s[ch]!;
  }
  return out;
}

/** The folded node (old producer's name, BN's output) and its new initializers. */
function folded<O extends 'Conv' | 'Gemm'>(g: Graph, producer: NodeOf<O>, bn: NodeOf<'BatchNormalization'>,
  inits: [string, Tensor][], attrs: NodeOf<O>['attrs'] = producer.attrs): RewriteResult {
  const taken = new Set<string>();
  const named = inits.map(([base, t]): [string, Tensor] => {
    const name = freshName(g, base, taken);
    taken.add(name);
    return [name, t];
  });
  const node = { ...producer, attrs, inputs: [producer.inputs[0]!, ...named.map(([n]) => n)], outputs: [bn.outputs[0]!] } as Node;
  return { replace: [node], remove: [producer.name], newInitializers: new Map(named) };
}

function foldIntoConv(g: Graph, conv: NodeOf<'Conv'>, bn: NodeOf<'BatchNormalization'>): RewriteResult | undefined {
  const w = constantOf(g, conv.inputs[1]!);
  const bName = conv.inputs[2] ?? '';
  const b = bName === '' ? undefined : constantOf(g, bName);
  if (!w || !isFloat(w.dtype) || (bName !== '' && !b)) return undefined;
  const channels = w.shape[0]!;
  const affine = bnAffine(g, bn, channels);
  if (!affine) return undefined;
  const bias = tensor(w.dtype, [channels]);
  for (let c = 0; c < channels; c++) bias.data[c] = affine.s[c]! * (b ? b.data[c]! : 0) + affine.t[c]!;
  return folded(g, conv, bn, [[`${conv.name}_w_bn`, scaleAlong(w, affine.s, 0)], [`${conv.name}_b_bn`, bias]]);
}

/**
 * Gemm: Y = alpha*A*op(B) + beta*C, BN over Y's columns (axis 1, size N). Scaling op(B)'s columns by s
 * scales alpha*A*op(B); C' = s*beta*C + t becomes the bias with beta 1. C' is a [N] row unless C varies
 * along rows ([M,N] or [M,1]), then it is a full [M,N].
 */
function foldIntoGemm(g: Graph, gemm: NodeOf<'Gemm'>, bn: NodeOf<'BatchNormalization'>): RewriteResult | undefined {
  const w = constantOf(g, gemm.inputs[1]!);
  const cName = gemm.inputs[2] ?? '';
  const c = cName === '' ? undefined : constantOf(g, cName);
  if (!w || !isFloat(w.dtype) || w.shape.length !== 2 || (cName !== '' && !c)) return undefined;
  const transB = gemm.attrs.transB !== 0;
  const n = transB ? w.shape[0]! : w.shape[1]!;
  const affine = bnAffine(g, bn, n);
  if (!affine) return undefined;
  const m = g.values.get(gemm.outputs[0]!)?.shape[0];
  if (m === undefined) return undefined;
  const cDims = c ? [...new Array<number>(2 - c.shape.length).fill(1), ...c.shape] : [1, 1];
  const rows = cDims[0] === 1 ? 1 : m;
  const bias = tensor(w.dtype, rows === 1 ? [n] : [m, n]);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      const cv = c ? c.data[(cDims[0] === 1 ? 0 : i) * cDims[1]! + (cDims[1] === 1 ? 0 : j)]! : 0;
      bias.data[i * n + j] = affine.s[j]! * gemm.attrs.beta * cv + affine.t[j]!;
    }
  }
  return folded(g, gemm, bn,
    [[`${gemm.name}_w_bn`, scaleAlong(w, affine.s, transB ? 0 : 1)], [`${gemm.name}_c_bn`, bias]],
    { ...gemm.attrs, beta: 1 });
}

/** BN folds when its input comes from a Conv/Gemm that nothing else reads, and it has no training outputs. */
export const foldBatchNorm: Rule = (node, g) =>
  match(node)
    .with({ op: 'BatchNormalization' }, (bn) => {
      if (bn.outputs.slice(1).some((o) => o !== '')) return undefined;
      const x = bn.inputs[0]!;
      const producer = producerOf(g, x);
      if (!producer || isGraphOutput(g, x) || consumersOf(g, x).length !== 1) return undefined;
      return match(producer)
        .with({ op: 'Conv' }, (conv) => foldIntoConv(g, conv, bn))
        .with({ op: 'Gemm' }, (gemm) => foldIntoGemm(g, gemm, bn))
        .otherwise(() => undefined);
    })
    .otherwise(() => undefined);

export const FOLD_BATCHNORM_RULES: readonly Rule[] = [foldBatchNorm];

export const foldBatchNormPass: Pass = {
  name: 'fold-batchnorm',
  run: (g, ctx) => applyRules(g, FOLD_BATCHNORM_RULES, { name: 'fold-batchnorm', log: ctx.log }),
};
