import { match, P } from 'ts-pattern';
import { numel, tensor, type Tensor } from '../../ir/tensor.js';
import type { Graph } from '../../ir/graph.js';
import type { Node, NodeOf } from '../../ir/ops.js';
import { consumersOf, isGraphOutput, producerOf } from '../query.js';
import type { RewriteResult, Rule } from '../rewrite.js';
import { constantValue, scalarConstant } from './constants.js';
import { NameSource, makeNode, typesOf } from './new-nodes.js';
import { quantOperands } from './params.js';

// QOperator models (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger, and int8 tensors flowing
// through MaxPool/Reshape/...) are rewritten into the QDQ form — DequantizeLinear -> float op ->
// QuantizeLinear — that qdq-rules.ts then folds into quant params. The float op computes what the integer
// op approximates; realization turns it back into a QConv/QGemm with tilec's integer requantization
// (docs/arithmetic.md section 6), which can differ from ONNX's float requantization (section 12.1) by one
// code on near-ties.

const dq = (name: string, inputs: readonly string[], out: string, axis = 1): Node =>
  makeNode('DequantizeLinear', name, inputs.filter((v, i) => i < 2 || v !== ''), [out], { axis });
const q = (name: string, inputs: readonly string[], out: string): Node =>
  makeNode('QuantizeLinear', name, inputs.filter((v, i) => i < 2 || v !== ''), [out], { axis: 1 });

/** The float bias scale x_scale·w_scale (per output channel), as ONNX quantizers store it: float32. */
function biasScale(g: Graph, xScale: string, wScale: string): Tensor | undefined {
  const sx = scalarConstant(g, xScale), sw = constantValue(g, wScale);
  if (sx === undefined || !sw) return undefined;
  return tensor('float32', sw.shape, Array.from(sw.data, (s) => Math.fround(sx * s)));
}

function finish(g: Graph, nodes: Node[], newInitializers: Map<string, Tensor>, extra: Partial<RewriteResult> = {}): RewriteResult {
  return { replace: nodes, newInitializers, newValues: typesOf(g, nodes, newInitializers), ...extra };
}

/** QLinearConv(x, w, B) -> DQ(x), DQ(w) per output channel, DQ(B) at x_scale·w_scale -> Conv -> Q(y_scale, y_zero_point). */
export const qlinearConvToQdq: Rule = (node, g) =>
  match(node)
    .with({ op: 'QLinearConv' }, (n) => {
      const [x, xs, xz, w, ws, wz, ys, yz, b = ''] = n.inputs as [string, string, string, string, string, string, string, string, string?];
      const names = new NameSource(g);
      const y = n.outputs[0]!;
      const xf = names.value(`${x}:dq`), wf = names.value(`${w}:dq`), yf = names.value(`${y}:f`);
      const nodes = [dq(names.node(`${n.name}:dq_x`), [x, xs, xz], xf), dq(names.node(`${n.name}:dq_w`), [w, ws, wz], wf, 0)];
      const inits = new Map<string, Tensor>();
      const convInputs = [xf, wf];
      if (b !== '') {
        const scale = biasScale(g, xs, ws);
        if (!scale) return undefined;
        const bs = names.value(`${n.name}:bias_scale`), bf = names.value(`${b}:dq`);
        inits.set(bs, scale);
        nodes.push(dq(names.node(`${n.name}:dq_b`), [b, bs], bf, 0));
        convInputs.push(bf);
      }
      nodes.push(makeNode('Conv', n.name, convInputs, [yf], n.attrs), q(names.node(`${n.name}:q`), [yf, ys, yz], y));
      return finish(g, nodes, inits);
    })
    .otherwise(() => undefined);

/** QLinearMatMul(a, b) -> DQ(a) per tensor, DQ(b) per tensor or per column -> MatMul -> Q. */
export const qlinearMatMulToQdq: Rule = (node, g) =>
  match(node)
    .with({ op: 'QLinearMatMul' }, (n) => {
      const [a, as, az, b, bs, bz, ys, yz] = n.inputs as [string, string, string, string, string, string, string, string];
      const aScale = constantValue(g, as), bScale = constantValue(g, bs), bRank = g.values.get(b)?.shape.length ?? 0;
      // Per-row scales of A have no per-tensor/per-axis DequantizeLinear form over A's columns.
      if (!aScale || numel(aScale.shape) !== 1 || !bScale || (numel(bScale.shape) !== 1 && bScale.shape.length !== 1)) return undefined;
      const names = new NameSource(g);
      const y = n.outputs[0]!;
      const af = names.value(`${a}:dq`), bf = names.value(`${b}:dq`), yf = names.value(`${y}:f`);
      const nodes = [
        dq(names.node(`${n.name}:dq_a`), [a, as, az], af), dq(names.node(`${n.name}:dq_b`), [b, bs, bz], bf, Math.max(0, bRank - 1)),
        makeNode('MatMul', n.name, [af, bf], [yf], {}), q(names.node(`${n.name}:q`), [yf, ys, yz], y),
      ];
      return finish(g, nodes, new Map());
    })
    .otherwise(() => undefined);

/**
 * ConvInteger / MatMulInteger produce the raw int32 sum Σ(x − z_x)(w − z_w); a QDQ-style model turns it into
 * reals with DequantizeLinear(acc, s_acc). With x = Q(x_float, s_x, z_x), that is the float op on DQ(x) and on
 * w dequantized at s_w = f32(s_acc / s_x) (per output channel when s_acc is). Other forms (Cast + Mul, as
 * onnxruntime's dynamic quantization writes) are not importable and stay for the final error.
 */
function integerOpToQdq(g: Graph, n: NodeOf<'ConvInteger' | 'MatMulInteger'>, channelAxis: number, weightAxis: number): RewriteResult | undefined {
  const [x, w, xzIn = '', wz = ''] = n.inputs as [string, string, string?, string?];
  const acc = n.outputs[0]!;
  const quantize = producerOf(g, x);
  if (quantize?.op !== 'QuantizeLinear') return undefined;
  const xOps = quantOperands(g, quantize);
  const sx = xOps && numel(xOps.scale.shape) === 1 ? xOps.scale.data[0]! : undefined;
  const zx = xOps?.zeroPoint?.data[0] ?? 0;
  if (sx === undefined || (xzIn === '' ? 0 : scalarConstant(g, xzIn)) !== zx || !constantValue(g, w)) return undefined;

  const readers = consumersOf(g, acc);
  if (readers.length === 0 || isGraphOutput(g, acc)) return undefined;
  let accScale: Tensor | undefined;
  for (const r of readers) {
    if (r.op !== 'DequantizeLinear') return undefined;
    const ops = quantOperands(g, r);
    if (!ops || ops.zeroPoint?.data.some((z) => z !== 0)) return undefined;
    const perChannel = numel(ops.scale.shape) !== 1;
    const rank = g.values.get(acc)!.shape.length;
    if (perChannel && (ops.axis < 0 ? ops.axis + rank : ops.axis) !== channelAxis) return undefined;
    if (accScale && !(accScale.data.length === ops.scale.data.length && accScale.data.every((s, i) => s === ops.scale.data[i]))) return undefined;
    accScale = ops.scale;
  }
  const outs = readers.map((r) => r.outputs[0]!);
  const exposed = outs.filter((o) => isGraphOutput(g, o));
  if (exposed.length > 1 || !accScale) return undefined;
  const target = exposed[0] ?? outs[0]!;

  const names = new NameSource(g);
  const xf = names.value(`${x}:dq`), wf = names.value(`${w}:dq`), wsName = names.value(`${n.name}:w_scale`);
  // DequantizeLinear needs scale and zero point of one shape: a per-channel w_zero_point spreads a per-tensor scale.
  const channels = Math.max(accScale.data.length, wz === '' ? 1 : numel(constantValue(g, wz)?.shape ?? []));
  const wScale = tensor('float32', channels === 1 ? [] : [channels],
    Array.from({ length: channels }, (_, i) => Math.fround(accScale!.data[accScale!.data.length === 1 ? 0 : i]! / sx)));
  const inits = new Map<string, Tensor>([[wsName, wScale]]);
  let wzName = wz;
  const wzValue = wz === '' ? undefined : constantValue(g, wz);
  if (wzValue && channels > 1 && numel(wzValue.shape) === 1) {
    wzName = names.value(`${n.name}:w_zero_point`);
    inits.set(wzName, tensor(wzValue.dtype, [channels], new Array<number>(channels).fill(wzValue.data[0]!)));
  }
  const op = n.op === 'ConvInteger'
    ? makeNode('Conv', n.name, [xf, wf], [target], (n as NodeOf<'ConvInteger'>).attrs)
    : makeNode('MatMul', n.name, [xf, wf], [target], {});
  const nodes = [
    dq(names.node(`${n.name}:dq_x`), quantize.inputs.map((v, i) => (i === 0 ? x : v)), xf),
    dq(names.node(`${n.name}:dq_w`), [w, wsName, wzName], wf, weightAxis),
    op,
  ];
  return finish(g, nodes, inits, {
    remove: readers.map((r) => r.name),
    rename: new Map(outs.filter((o) => o !== target).map((o) => [o, target])),
  });
}

export const convIntegerToQdq: Rule = (node, g) =>
  match(node)
    .with({ op: 'ConvInteger' }, (n) => integerOpToQdq(g, n, 1, 0))
    .otherwise(() => undefined);

export const matMulIntegerToQdq: Rule = (node, g) =>
  match(node)
    .with({ op: 'MatMulInteger' }, (n) => {
      const outRank = g.values.get(n.outputs[0]!)?.shape.length ?? 0, wRank = g.values.get(n.inputs[1]!)?.shape.length ?? 0;
      return integerOpToQdq(g, n, outRank - 1, Math.max(0, wRank - 1));
    })
    .otherwise(() => undefined);

/** Ops that only move or select elements: on codes they commute with a monotone QuantizeLinear. */
const LAYOUT_OPS = ['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity'] as const;

/**
 * MaxPool (Q is monotone) and pure layout ops on the codes of a QuantizeLinear: op(Q(x)) = Q(op(x)), so they
 * become DQ -> op on floats -> Q with the same parameters. Both pairs then fold, and the op's input and output
 * both carry the parameters. Per-axis parameters only follow the data through MaxPool and Identity.
 */
export const floatMovement: Rule = (node, g) =>
  match(node)
    .with({ op: P.union('MaxPool', ...LAYOUT_OPS) }, (m) => {
      if (m.outputs.slice(1).some((o) => o !== '')) return undefined; // MaxPool's Indices
      const codes = m.inputs[0]!;
      const quant = producerOf(g, codes);
      if (quant?.op !== 'QuantizeLinear') return undefined;
      const ops = quantOperands(g, quant);
      if (!ops || (numel(ops.scale.shape) !== 1 && m.op !== 'MaxPool' && m.op !== 'Identity')) return undefined;
      const names = new NameSource(g);
      const y = m.outputs[0]!, xf = names.value(`${codes}:dq`), yf = names.value(`${y}:f`);
      const params = quant.inputs.slice(1);
      return finish(g, [
        makeNode('DequantizeLinear', names.node(`${m.name}:dq`), [codes, ...params], [xf], quant.attrs),
        { ...m, inputs: [xf, ...m.inputs.slice(1)], outputs: [yf] } as Node,
        makeNode('QuantizeLinear', names.node(`${m.name}:q`), [yf, ...params], [y], quant.attrs),
      ], new Map());
    })
    .otherwise(() => undefined);

export const QOPERATOR_RULES: readonly Rule[] = [qlinearConvToQdq, qlinearMatMulToQdq, convIntegerToQdq, matMulIntegerToQdq, floatMovement];
