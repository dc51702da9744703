import { match, P } from 'ts-pattern';
import type { Graph } from '../ir/graph.js';
import { isFloat } from '../ir/dtype.js';
import type { Node, NodeOf } from '../ir/ops.js';
import { numel, tensor, type Tensor } from '../ir/tensor.js';
import type { Pass } from './pass.js';
import { type RowScaler, scaleRowsTs, wasmWeightKernels } from './quantize/weight-codes.js';
import { applyRules, type RewriteResult, type Rule } from './rewrite.js';
import { constantOf, consumersOf, freshName, isGraphOutput, producerOf } from './query.js';

// Inference BatchNormalization is a per-channel affine map y = s*x + t with s = scale/sqrt(var+eps),
// t = B - s*mean. Right after a Conv or Gemm with constant weights it folds into them: W' = W*s per output
// channel, b' = s*b + t. That removes a whole layer before quantization, and the folded weights are what the
// accelerator will run. Exporters also write BN's affine as separate ops (Caffe2: BN then Mul and Add by
// [C,1,1] constants, as in the model zoo's DenseNet and Inception-v2); those per-channel Mul/Add/Sub/Div
// fold the same way, and into a BatchNormalization that has nothing to fold into. All arithmetic is in
// float64, stored in the weights' dtype.

/** y[.., c, ..] = s[c] * x[.., c, ..] + t[c], channel axis 1. */
interface Affine { readonly s: Float64Array; readonly t: Float64Array }

/** BN's affine over `channels` channels, or undefined when its parameters are not constant float vectors. */
function batchNormAffine(g: Graph, bn: NodeOf<'BatchNormalization'>, channels: number): Affine | undefined {
  const params = bn.inputs.slice(1, 5).map((v) => constantOf(g, v));
  if (params.length !== 4 || !params.every((p) => p && isFloat(p.dtype) && numel(p.shape) === channels)) return undefined;
  const [scale, bias, mean, variance] = params as Tensor[];
  const s = new Float64Array(channels), t = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    s[c] = scale!.data[c]! / Math.sqrt(variance!.data[c]! + bn.attrs.epsilon);
    t[c] = bias!.data[c]! - s[c]! * mean!.data[c]!;
  }
  return { s, t };
}

type ChannelOp = NodeOf<'Mul' | 'Add' | 'Sub' | 'Div'>;

/**
 * The operand of an elementwise op that is not the constant: Mul/Add either way round, Sub/Div only x-k, x/k.
 * undefined unless exactly that operand is non-constant.
 */
function variableOperand(g: Graph, n: ChannelOp): { x: string; k: Tensor } | undefined {
  const [a, b] = [n.inputs[0]!, n.inputs[1]!];
  const [ka, kb] = [constantOf(g, a), constantOf(g, b)];
  if (!ka && kb) return { x: a, k: kb };
  if (ka && !kb && (n.op === 'Mul' || n.op === 'Add')) return { x: b, k: ka };
  return undefined;
}

/**
 * The affine map of `x op k` when k varies along the channel axis only (right-aligned shape of rank <= x's,
 * every dim 1 except dim 1 which is 1 or `channels`), so the result has x's shape.
 */
function channelOpAffine(g: Graph, n: ChannelOp, x: string, k: Tensor, channels: number): Affine | undefined {
  const xt = g.values.get(x);
  if (!xt || !isFloat(k.dtype) || xt.shape.length < 2 || xt.shape[1] !== channels || k.shape.length > xt.shape.length) return undefined;
  const offset = xt.shape.length - k.shape.length;
  const perChannel = k.shape.some((d, i) => i + offset === 1 && d === channels && d !== 1);
  if (!k.shape.every((d, i) => d === 1 || (i + offset === 1 && d === channels))) return undefined;
  // x/0 is +-inf or NaN per element; W*inf inside a sum would not reproduce that. Leave such a Div alone.
  if (n.op === 'Div' && k.data.some((v) => v === 0)) return undefined;
  const s = new Float64Array(channels).fill(1), t = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const v = k.data[perChannel ? c : 0]!;
    match(n.op)
      .with('Mul', () => { s[c] = v; })
      .with('Div', () => { s[c] = 1 / v; })
      .with('Add', () => { t[c] = v; })
      .with('Sub', () => { t[c] = -v; })
      .exhaustive();
  }
  return { s, t };
}

/** `producer` rewritten to compute `consumer`'s output, with new initializers named after the producer. */
function fused<O extends 'Conv' | 'Gemm' | 'BatchNormalization'>(g: Graph, producer: NodeOf<O>, consumer: Node,
  inputs: readonly (string | [string, Tensor])[], attrs: NodeOf<O>['attrs'] = producer.attrs): RewriteResult {
  const taken = new Set<string>();
  const newInitializers = new Map<string, Tensor>();
  const names = inputs.map((i) => {
    if (typeof i === 'string') return i;
    const name = freshName(g, i[0], taken);
    taken.add(name);
    newInitializers.set(name, i[1]);
    return name;
  });
  const node = { ...producer, attrs, inputs: names, outputs: [consumer.outputs[0]!] } as Node;
  return { replace: [node], remove: [producer.name], newInitializers };
}

/**
 * W scaled by s along `axis` (0: rows of a [C, ...] tensor, by `scaleRows`: quantize/weight-codes.ts; 1: columns of a
 * [K, C] matrix).
 */
function scaleAlong(w: Tensor, s: Float64Array, axis: 0 | 1, scaleRows: RowScaler): Tensor {
  const out = tensor(w.dtype, w.shape);
  const n = numel(w.shape), c = s.length;
  const src = w.data, dst = out.data;
  if (axis === 0) {
    // Row ch is one block of n / c elements, all scaled by s[ch].
    scaleRows(src, dst, s, n / c);
  } else {
    for (let i = 0; i < n;) for (let ch = 0; ch < c; ch++, i++) dst[i] = src[i]! * s[ch]!;
  }
  return out;
}

/** An optional constant input: {} when absent, undefined when present but not constant. */
function optionalConstant(g: Graph, name: string | undefined): { t?: Tensor } | undefined {
  if (name === undefined || name === '') return {};
  const t = constantOf(g, name);
  return t ? { t } : undefined;
}

type AffineOf = (channels: number) => Affine | undefined;

function foldIntoConv(g: Graph, conv: NodeOf<'Conv'>, consumer: Node, affineOf: AffineOf, scaleRows: RowScaler): RewriteResult | undefined {
  const w = constantOf(g, conv.inputs[1]!);
  const b = optionalConstant(g, conv.inputs[2]);
  if (!w || !isFloat(w.dtype) || !b) return undefined;
  const channels = w.shape[0]!;
  const a = affineOf(channels);
  if (!a) return undefined;
  const bias = tensor(w.dtype, [channels]);
  for (let c = 0; c < channels; c++) bias.data[c] = a.s[c]! * (b.t ? b.t.data[c]! : 0) + a.t[c]!;
  return fused(g, conv, consumer, [conv.inputs[0]!, [`${conv.name}_w_bn`, scaleAlong(w, a.s, 0, scaleRows)], [`${conv.name}_b_bn`, bias]]);
}

/**
 * Gemm: Y = alpha*A*op(B) + beta*C with channels along Y's columns (N). Scaling op(B)'s columns by s scales
 * alpha*A*op(B); C' = s*beta*C + t becomes the bias with beta 1. C' is a [N] row unless C varies along rows
 * ([M,N] or [M,1]), then it is a full [M,N].
 */
function foldIntoGemm(g: Graph, gemm: NodeOf<'Gemm'>, consumer: Node, affineOf: AffineOf, scaleRows: RowScaler): RewriteResult | undefined {
  const w = constantOf(g, gemm.inputs[1]!);
  const c = optionalConstant(g, gemm.inputs[2]);
  const m = g.values.get(gemm.outputs[0]!)?.shape[0];
  if (!w || !isFloat(w.dtype) || w.shape.length !== 2 || !c || m === undefined) return undefined;
  const transB = gemm.attrs.transB !== 0;
  const n = transB ? w.shape[0]! : w.shape[1]!;
  const a = affineOf(n);
  if (!a) return undefined;
  const cDims = c.t ? [...new Array<number>(2 - c.t.shape.length).fill(1), ...c.t.shape] : [1, 1];
  const rows = cDims[0] === 1 ? 1 : m;
  const bias = tensor(w.dtype, rows === 1 ? [n] : [m, n]);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      const cv = c.t ? c.t.data[(cDims[0] === 1 ? 0 : i) * cDims[1]! + (cDims[1] === 1 ? 0 : j)]! : 0;
      bias.data[i * n + j] = a.s[j]! * gemm.attrs.beta * cv + a.t[j]!;
    }
  }
  return fused(g, gemm, consumer,
    [gemm.inputs[0]!, [`${gemm.name}_w_bn`, scaleAlong(w, a.s, transB ? 0 : 1, scaleRows)], [`${gemm.name}_c_bn`, bias]],
    { ...gemm.attrs, beta: 1 });
}

/** s*BN(x) + t is BN(x) with scale' = s*scale and B' = s*B + t (mean and variance unchanged). */
function foldIntoBatchNorm(g: Graph, bn: NodeOf<'BatchNormalization'>, consumer: Node, affineOf: AffineOf): RewriteResult | undefined {
  const [x, scaleName, biasName, mean, variance] = bn.inputs;
  const scale = constantOf(g, scaleName ?? ''), bias = constantOf(g, biasName ?? '');
  if (!scale || !bias || !isFloat(scale.dtype) || !isFloat(bias.dtype) || bn.outputs.slice(1).some((o) => o !== '')) return undefined;
  const channels = numel(scale.shape);
  const a = affineOf(channels);
  if (!a || numel(bias.shape) !== channels) return undefined;
  const scale2 = tensor(scale.dtype, scale.shape), bias2 = tensor(bias.dtype, bias.shape);
  for (let c = 0; c < channels; c++) {
    scale2.data[c] = a.s[c]! * scale.data[c]!;
    bias2.data[c] = a.s[c]! * bias.data[c]! + a.t[c]!;
  }
  return fused(g, bn, consumer, [x!, [`${bn.name}_scale_bn`, scale2], [`${bn.name}_bias_bn`, bias2], mean!, variance!]);
}

/**
 * Folds the per-channel affine map `consumer` applies to `x` into x's producer, when the producer is a
 * Conv, Gemm or BatchNormalization with constant parameters and `consumer` is its only reader.
 * The fused node keeps the producer's name and defines the consumer's output.
 */
function foldIntoProducer(g: Graph, consumer: Node, x: string, affineOf: AffineOf, scaleRows: RowScaler): RewriteResult | undefined {
  const producer = producerOf(g, x);
  if (!producer || isGraphOutput(g, x) || consumersOf(g, x).length !== 1) return undefined;
  return match(producer)
    .with({ op: 'Conv' }, (p) => foldIntoConv(g, p, consumer, affineOf, scaleRows))
    .with({ op: 'Gemm' }, (p) => foldIntoGemm(g, p, consumer, affineOf, scaleRows))
    .with({ op: 'BatchNormalization' }, (p) => foldIntoBatchNorm(g, p, consumer, affineOf))
    .otherwise(() => undefined);
}

/**
 * The rules, scaling weights with `scaleRows`: the pass gives them the WebAssembly kernel, the exported rules below
 * use the TypeScript reference (the tests compare the two).
 */
export function foldBatchNormRules(scaleRows: RowScaler): readonly Rule[] {
  /** An inference BN (no training outputs) after a Conv, Gemm or another BN. */
  const foldBatchNorm: Rule = (node, g) =>
    match(node)
      .with({ op: 'BatchNormalization' }, (bn) => bn.outputs.slice(1).some((o) => o !== '')
        ? undefined
        : foldIntoProducer(g, bn, bn.inputs[0]!, (c) => batchNormAffine(g, bn, c), scaleRows))
      .otherwise(() => undefined);

  /** x*k, x+k, k*x, k+x, x-k, x/k with k constant per channel, after a Conv, Gemm or BN. */
  const foldChannelAffine: Rule = (node, g) =>
    match(node)
      .with({ op: P.union('Mul', 'Add', 'Sub', 'Div') }, (n) => {
        const operands = variableOperand(g, n);
        return operands && foldIntoProducer(g, n, operands.x, (c) => channelOpAffine(g, n, operands.x, operands.k, c), scaleRows);
      })
      .otherwise(() => undefined);

  return [foldBatchNorm, foldChannelAffine];
}

export const FOLD_BATCHNORM_RULES: readonly Rule[] = foldBatchNormRules(scaleRowsTs);
export const [foldBatchNorm, foldChannelAffine] = FOLD_BATCHNORM_RULES as [Rule, Rule];

export const foldBatchNormPass: Pass = {
  name: 'fold-batchnorm',
  run: (g, ctx) => applyRules(g, foldBatchNormRules(wasmWeightKernels().scaleRows), { name: 'fold-batchnorm', log: ctx.log }),
};
