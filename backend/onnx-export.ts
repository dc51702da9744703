import { match } from 'ts-pattern';
import { dequantizeF32, qRange } from '../ir/arith.js';
import { fail, invariant, unsupported } from '../ir/errors.js';
import { type Graph, type QuantParams, type ValueType, valueType } from '../ir/graph.js';
import type { Node, NodeOf, RequantAttrs } from '../ir/ops.js';
import { type Tensor, numel, tensor } from '../ir/tensor.js';
import { convAttrs, plainNode, poolAttrs } from './onnx-export/float-ops.js';
import { type AttributeProto, type NodeProto, type TensorProto, attr, onnx, tensorProto, valueInfo } from './onnx-export/protos.js';

// `--emit-onnx`: the realized int8 graph (stage `quantized`) as a standard QDQ ONNX model, opset 13, that any
// ONNX runtime executes. Every tilec integer op becomes DequantizeLinear on its int8 inputs -> the float op ->
// QuantizeLinear to its output's (scale, zero point):
//   QConv  -> Conv(DQ(x), DQ(w int8, per channel axis 0), DQ(b int32 at s_x·s_w)) -> [Clip] -> Q
//   QGemm  -> Gemm(DQ(a), DQ(b int8, axis of N), DQ(bias int32)) -> [Clip] -> Q
//   QAdd -> Add, QAveragePool -> AveragePool, QGlobalAveragePool -> GlobalAveragePool, Requantize -> DQ -> [Clip] -> Q
//   Quantize -> [Clip] -> QuantizeLinear, Dequantize -> DequantizeLinear
// A fused ReLU/Clip or a bit width below 8 narrows the codes to [qmin, qmax]; that is a float Clip at
// scale·(qmin − z), scale·(qmax − z) before the QuantizeLinear (quantization is monotone, so this is exact).
// The realized bias has the input zero point folded in (bias − z_x·Σw, docs/arithmetic.md section 7); the
// export unfolds it, since ONNX's DequantizeLinear(x) already subtracts z_x. int8 movement ops (MaxPool,
// Reshape, Flatten, Transpose, ...) stay on int8 tensors, float islands stay float.
// A runtime's requantization is its own (onnxruntime's is float, section 12.1), so its codes can differ from
// tilec's integer reference by one on near-ties; values keep their names so they can be compared.

export const QDQ_EXPORT_OPSET = 13;

class QdqWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly dequantized = new Map<string, string>();
  private readonly paramNames = new Map<string, [string, string]>();

  constructor(private readonly g: Graph) {
    for (const v of g.values.keys()) this.used.add(v);
    for (const n of g.nodes) this.nodeNames.add(n.name);
    for (const [name, t] of g.initializers) this.initializers.push(tensorProto(name, t));
  }

  fresh(base: string, taken: Set<string> = this.used): string {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  }

  constant(base: string, t: Tensor): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, t));
    return name;
  }

  /** Emits a node. The node that stands for an IR node takes its name (`own`); helpers get fresh ones. */
  node(op: string, name: string, inputs: readonly string[], outputs: readonly string[], attrs: readonly AttributeProto[] = [], own = false): void {
    // Trailing absent optional inputs are dropped; inner ones stay ''.
    const ins = [...inputs];
    while (ins.length > 0 && ins[ins.length - 1] === '') ins.pop();
    const nodeName = own ? name : this.fresh(name, this.nodeNames);
    this.nodes.push({ opType: op, name: nodeName, domain: '', input: ins, output: [...outputs], attribute: [...attrs] });
  }

  type(v: string): ValueType { return valueType(this.g, v); }

  quantOf(v: string, who: string): QuantParams {
    const q = this.type(v).quant;
    if (!q) fail(`${who}: '${v}' carries no quant params; the QDQ export needs the realized graph`);
    return q;
  }

  /** scale (float32) and zero point (int8 storage, or int32 for biases) initializers of value `base`, written once. */
  params(base: string, q: QuantParams, zpDtype: 'int8' | 'int32'): [string, string] {
    const have = this.paramNames.get(base);
    if (have) return have;
    const perAxis = q.scale.length !== 1;
    const shape = perAxis ? [q.scale.length] : [];
    const names: [string, string] = [
      this.constant(`${base}:scale`, tensor('float32', shape, q.scale.map(Math.fround))),
      this.constant(`${base}:zero_point`, tensor(zpDtype, shape, q.zeroPoint)),
    ];
    this.paramNames.set(base, names);
    return names;
  }

  private axisAttr(q: QuantParams): AttributeProto[] {
    return q.scale.length !== 1 && q.axis !== undefined ? [attr.int('axis', q.axis)] : [];
  }

  /** The float value of int8 value `v`: one DequantizeLinear per value, shared by all its readers. */
  dq(v: string, who: string): string {
    const have = this.dequantized.get(v);
    if (have) return have;
    const q = this.quantOf(v, who);
    const [s, z] = this.params(v, q, 'int8');
    const out = this.fresh(`${v}:dq`);
    this.node('DequantizeLinear', `${v}:dq`, [v, s, z], [out], this.axisAttr(q));
    this.dequantized.set(v, out);
    return out;
  }

  /** A constant int8 weight or int32 bias (given as codes), dequantized with `q` (per axis when it has several scales). */
  dqConstant(name: string, codes: Tensor, q: QuantParams): string {
    const [s, z] = this.params(name, q, codes.dtype === 'int32' ? 'int32' : 'int8');
    const out = this.fresh(`${name}:dq`);
    this.node('DequantizeLinear', `${name}:dq`, [name, s, z], [out], this.axisAttr(q));
    return out;
  }

  /** float `yf` -> int8 `y`: [Clip to the codes qmin..qmax] -> QuantizeLinear with y's params. */
  quantize(yf: string, y: string, qmin: number, qmax: number, who: string, name: string, own = false): void {
    const q = this.quantOf(y, who);
    if (q.scale.length !== 1) unsupported(`${who}: per-channel activation parameters on '${y}' are not written by the QDQ export`);
    const [s, z] = [Math.fround(q.scale[0]!), q.zeroPoint[0]!];
    let x = yf;
    if (qmin !== -128 || qmax !== 127) {
      // Exact: the bounds are reals that QuantizeLinear maps to qmin and qmax.
      const lo = this.constant(`${name}:clip_min`, tensor('float32', [], [dequantizeF32(qmin, s, z)]));
      const hi = this.constant(`${name}:clip_max`, tensor('float32', [], [dequantizeF32(qmax, s, z)]));
      x = this.fresh(`${yf}:clipped`);
      this.node('Clip', `${name}:clip`, [yf, lo, hi], [x]);
    }
    const [sn, zn] = this.params(y, q, 'int8');
    this.node('QuantizeLinear', `${name}:q`, [x, sn, zn], [y], [], own);
  }

  /** A plain node (float island or int8 movement op), constants it needs added as initializers. */
  plain(n: Node): void {
    const p = plainNode(n, (v) => this.type(v).shape.length);
    const inputs = p.inputs.map((i, k) => (typeof i === 'string' ? i : this.constant(`${n.name}:input${k}`, i)));
    this.node(p.op, n.name, inputs, n.outputs.filter((o, k) => k === 0 || o !== ''), p.attrs, true);
  }
}

/** The realized bias had z_x·Σ_k w[c, k] subtracted (foldInputZeroPoint); ONNX subtracts z_x itself, so add it back. */
function unfoldBias(bias: Tensor, weights: Tensor, channelOf: (i: number) => number, zx: number, who: string): Tensor {
  const sums = new Float64Array(bias.data.length);
  for (let i = 0; i < weights.data.length; i++) sums[channelOf(i)]! += weights.data[i]!;
  const out = tensor('int32', bias.shape);
  for (let c = 0; c < bias.data.length; c++) {
    const v = bias.data[c]! + zx * sums[c]!;
    if (v < -(2 ** 31) || v > 2 ** 31 - 1) fail(`${who}: bias[${c}] with the input zero point unfolded is ${v}, outside int32`);
    out.data[c] = v;
  }
  return out;
}

const constantOf = (g: Graph, v: string, who: string): Tensor => {
  const t = g.initializers.get(v);
  if (!t) fail(`${who}: '${v}' must be an initializer`);
  return t;
};

/** QConv / QGemm: DQ inputs -> Conv / Gemm -> Q. */
function product(w: QdqWriter, g: Graph, n: NodeOf<'QConv' | 'QGemm'>): void {
  const who = `${n.op} '${n.name}'`;
  const [x, wName, bName = ''] = n.inputs as [string, string, string?];
  const xq = w.quantOf(x, who);
  const weights = constantOf(g, wName, who);
  const wq = w.quantOf(wName, who);
  const channels = n.op === 'QConv' ? weights.shape[0]! : (n as NodeOf<'QGemm'>).attrs.transB ? weights.shape[0]! : weights.shape[1]!;
  const inner = numel(weights.shape) / channels;
  const rowMajorChannels = n.op === 'QConv' || (n as NodeOf<'QGemm'>).attrs.transB !== 0;
  const channelOf = (i: number): number => (rowMajorChannels ? Math.floor(i / inner) : i % channels);
  if (n.op === 'QConv' && (n as NodeOf<'QConv'>).attrs.padValue !== xq.zeroPoint[0]) {
    fail(`${who}: padValue ${(n as NodeOf<'QConv'>).attrs.padValue} differs from the input zero point ${xq.zeroPoint[0]}; ONNX Conv pads DequantizeLinear(x) with 0`);
  }
  const inputs = [w.dq(x, who), w.dqConstant(wName, weights, wq)];
  if (bName !== '') {
    const bias = unfoldBias(constantOf(g, bName, who), weights, channelOf, xq.zeroPoint[0]!, who);
    const bq = w.quantOf(bName, who);
    const name = w.constant(`${bName}:unfolded`, bias);
    inputs.push(w.dqConstant(name, bias, { ...bq, scale: bq.scale.map(Math.fround), ...(bq.scale.length > 1 ? { axis: 0 } : {}) }));
  }
  const y = n.outputs[0]!, yf = w.fresh(`${y}:f`);
  const attrs = n.op === 'QConv'
    ? convAttrs((n as NodeOf<'QConv'>).attrs)
    : [attr.float('alpha', 1), attr.float('beta', 1), attr.int('transB', (n as NodeOf<'QGemm'>).attrs.transB)];
  w.node(n.op === 'QConv' ? 'Conv' : 'Gemm', n.name, inputs, [yf], attrs, true);
  w.quantize(yf, y, n.attrs.qmin, n.attrs.qmax, who, n.name);
}

/** An integer op as DQ(inputs) -> float op -> Q(output). */
function viaFloat(w: QdqWriter, n: Node, op: string, attrs: AttributeProto[], requant: Pick<RequantAttrs, 'qmin' | 'qmax'>): void {
  const who = `${n.op} '${n.name}'`;
  const y = n.outputs[0]!, yf = w.fresh(`${y}:f`);
  w.node(op, n.name, n.inputs.map((v) => w.dq(v, who)), [yf], attrs, true);
  w.quantize(yf, y, requant.qmin, requant.qmax, who, n.name);
}

function writeNode(w: QdqWriter, g: Graph, node: Node): void {
  const who = `${node.op} '${node.name}'`;
  match(node)
    .with({ op: 'QConv' }, { op: 'QGemm' }, (n) => product(w, g, n))
    .with({ op: 'QAdd' }, (n) => viaFloat(w, n, 'Add', [], n.attrs))
    .with({ op: 'QAveragePool' }, (n) => viaFloat(w, n, 'AveragePool', poolAttrs(n.attrs, 'average', who), { qmin: -128, qmax: 127 }))
    .with({ op: 'QGlobalAveragePool' }, (n) => viaFloat(w, n, 'GlobalAveragePool', [], { qmin: -128, qmax: 127 }))
    .with({ op: 'Requantize' }, (n) => {
      // Requantize's multiplier is s_in/s_out; the DQ/Q pair carries the same ratio through the values' params.
      invariant(w.quantOf(n.inputs[0]!, who).zeroPoint[0] === n.attrs.inZeroPoint, `${who}: inZeroPoint differs from its input's zero point`);
      w.quantize(w.dq(n.inputs[0]!, who), n.outputs[0]!, n.attrs.qmin, n.attrs.qmax, who, n.name, true);
    })
    .with({ op: 'Quantize' }, (n) => {
      const q = w.quantOf(n.outputs[0]!, who);
      invariant(q.zeroPoint[0] === n.attrs.zeroPoint && Math.fround(q.scale[0]!) === Math.fround(n.attrs.scale), `${who}: attributes differ from its output's quant params`);
      w.quantize(n.inputs[0]!, n.outputs[0]!, n.attrs.qmin, n.attrs.qmax, who, n.name, true);
    })
    .with({ op: 'Dequantize' }, (n) => {
      const q = w.quantOf(n.inputs[0]!, who);
      invariant(q.zeroPoint[0] === n.attrs.zeroPoint && Math.fround(q.scale[0]!) === Math.fround(n.attrs.scale), `${who}: attributes differ from its input's quant params`);
      const [s, z] = w.params(n.inputs[0]!, q, 'int8');
      w.node('DequantizeLinear', n.name, [n.inputs[0]!, s, z], [n.outputs[0]!], [], true);
    })
    // Max of codes is the code of the max (Q is monotone), but ONNX defines GlobalMaxPool on floats only.
    .with({ op: 'GlobalMaxPool' }, (n) => (valueType(g, n.inputs[0]!).dtype === 'int8' ? viaFloat(w, n, 'GlobalMaxPool', [], { qmin: -128, qmax: 127 }) : w.plain(n)))
    .otherwise((n) => w.plain(n));
}

/**
 * The realized graph as a QDQ ONNX model (ModelProto bytes, opset 13). Inputs and outputs keep their names
 * and float32 types; int8 values keep their names, so a runtime's intermediate values can be compared with
 * tilec's. Throws an UnsupportedError naming the node for what opset 13 cannot express.
 */
export function exportQdq(realized: Graph): Uint8Array {
  const w = new QdqWriter(realized);
  for (const n of realized.nodes) writeNode(w, realized, n);
  // The folded biases were written unfolded; initializers no node reads are left out.
  const read = new Set(w.nodes.flatMap((n) => n.input ?? []));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tilec',
    opsetImport: [{ domain: '', version: QDQ_EXPORT_OPSET }],
    graph: {
      name: realized.name,
      input: realized.inputs.map((v) => valueInfo(v, valueType(realized, v))),
      output: realized.outputs.map((v) => valueInfo(v, valueType(realized, v))),
      initializer: w.initializers.filter((t) => read.has(t.name ?? '')),
      node: w.nodes,
    },
  });
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
