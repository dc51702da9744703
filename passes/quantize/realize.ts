import {
  type ActivationBounds, accumulatorRange, accumulatorSurelyFits, addRescale, clampBounds, fitsInt32, foldInputZeroPoint, qRange, quantizeBias,
  quantizeMultiplier, requantMultiplier,
} from '../../ir/arith.js';
import { fail, invariant, unsupported } from '../../ir/errors.js';
import type { Graph, QuantParams, ValueType } from '../../ir/graph.js';
import { nodeLabel } from '../../ir/infer.js';
import { STAGES } from '../../ir/stages.js';
import type { Node, NodeOf, OpAttrs, OpName } from '../../ir/ops.js';
import { numel, shapeStr, tensor, type Tensor } from '../../ir/tensor.js';
import type { Pass } from '../pass.js';
import { weightChannelAxis } from './annotate.js';
import { type QuantPlan, type Role, int8Output, planQuantization } from './plan.js';
import { type WeightLayout, type WeightQuantizer, wasmWeightKernels } from './weight-codes.js';

// Phase 2 of quantization: the annotated float graph becomes the integer graph (stage `quantized`,
// docs/quantization.md). One walk in topological order emits, per node role, its integer form:
//   Conv -> QConv, Gemm/MatMul -> QGemm (int8 weights, int32 bias with the input zero point folded in,
//   per-channel requantization, a following ReLU/Clip fused into [qmin, qmax]); Add/Sum -> QAdd;
//   AveragePool -> QAveragePool; GlobalAveragePool -> QGlobalAveragePool; movement ops and Concat on codes
//   (Requantize where an input's scale differs); an unfused ReLU/Clip -> Requantize with the clamp; every other
//   op runs in float between Dequantize and Quantize (a float island).
// Graph inputs stay float32 and are quantized on entry; graph outputs are float32, dequantized at the end.
// The int8 value standing for float value X keeps the name X (per-layer comparisons pair them by name); only
// graph inputs and outputs, whose names belong to the float interface, get int8 companions named `X:q`.
// It is one walk, not a set of local rules: every value changes type at once, so no intermediate graph
// would be valid.

/** Per-tensor parameters of an int8 activation, as realize uses them. */
interface ActQuant {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly bits: number;
  readonly qmin: number;
  readonly qmax: number;
}

const sameParams = (a: ActQuant, b: ActQuant): boolean => a.scale === b.scale && a.zeroPoint === b.zeroPoint && a.bits === b.bits;

const int8Type = (shape: readonly number[], q: ActQuant): ValueType => ({
  dtype: 'int8', shape, quant: { scale: [q.scale], zeroPoint: [q.zeroPoint], bits: q.bits },
});

/** The k codes of each of `channels` interleaved channels (element i in channel i % channels), channel after channel. */
function transposedColumns(codes: ArrayLike<number>, channels: number, k: number): Float64Array {
  const out = new Float64Array(codes.length);
  for (let j = 0; j < k; j++) for (let c = 0; c < channels; c++) out[c * k + j] = codes[j * channels + c]!;
  return out;
}

class Realizer {
  readonly nodes: Node[] = [];
  readonly values = new Map<string, ValueType>();
  readonly initializers = new Map<string, Tensor>();
  /** Names in use: every value name of the float graph and every one created here. */
  private readonly taken = new Set<string>();
  private readonly nodeNames = new Set<string>();
  /** float value -> name of its int8 codes, once emitted. */
  private readonly ints = new Map<string, string>();
  /** value -> name of its float version, once emitted (or its own name when it never changes). */
  private readonly floats = new Map<string, string>();
  private readonly plannedInt = new Map<string, string>();
  private readonly int8Weights = new Map<string, string>();
  private readonly requantized = new Map<string, string>();

  constructor(private readonly g: Graph, private readonly plan: QuantPlan, private readonly quantizeWeight: WeightQuantizer) {
    for (const v of g.values.keys()) this.taken.add(v);
    for (const v of [...g.inputs, ...g.outputs, ...g.initializers.keys()]) this.taken.add(v);
    for (const n of g.nodes) this.nodeNames.add(n.name);
    for (const v of g.inputs) {
      const t = g.values.get(v)!;
      this.values.set(v, { dtype: t.dtype, shape: t.shape });
      this.floats.set(v, v);
    }
    for (const [v, t] of g.initializers) {
      this.initializers.set(v, t);
      this.values.set(v, g.values.get(v) ?? { dtype: t.dtype, shape: t.shape });
      this.floats.set(v, v);
    }
  }

  // ---- names

  private fresh(base: string): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  private freshNode(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }

  /** The name X's int8 codes will have: X itself, or `X:q` when X is a graph input or output (float names). */
  private intNameOf(v: string): string {
    let name = this.plannedInt.get(v);
    if (name === undefined) {
      name = this.g.inputs.includes(v) || this.g.outputs.includes(v) ? this.fresh(`${v}:q`) : v;
      this.plannedInt.set(v, name);
    }
    return name;
  }

  private shapeOf(v: string): readonly number[] {
    const t = this.g.values.get(v);
    invariant(t, `value '${v}' has no type in graph '${this.g.name}'`);
    return t.shape;
  }

  private emit<O extends OpName>(op: O, name: string, inputs: readonly string[], outputs: readonly string[], attrs: OpAttrs[O]): void {
    this.nodes.push({ op, name, inputs, outputs, attrs } as NodeOf<O> as Node);
  }

  // ---- parameters

  /** The per-tensor int8 parameters annotate gave value v. */
  act(v: string): ActQuant {
    const q = this.g.values.get(v)?.quant;
    if (!q) fail(`quantize-realize: tensor '${v}' has no quantization parameters (run quantize-annotate first)`);
    const [qmin, qmax] = qRange(q.bits, true);
    if (q.scale.length !== 1 || q.bits > 8) fail(`quantize-realize: tensor '${v}' needs per-tensor parameters of at most 8 bits, it has ${q.scale.length} scales and ${q.bits} bits`);
    const z = q.zeroPoint[0]!;
    if (!(Number.isInteger(z) && z >= qmin && z <= qmax)) {
      fail(`quantize-realize: tensor '${v}' has zero point ${z}, outside the signed ${q.bits}-bit codes [${qmin}, ${qmax}] the integer graph stores (unsigned parameters must be shifted by -2^(B-1))`);
    }
    return { scale: q.scale[0]!, zeroPoint: z, bits: q.bits, qmin, qmax };
  }

  /** A product node's weight scales, one per output channel (a per-tensor scale repeated). */
  private weightParams(n: Node, channels: number): { scales: number[]; perChannel: boolean; bits: number } {
    const w = n.inputs[1]!;
    const q: QuantParams | undefined = this.g.values.get(w)?.quant;
    const who = nodeLabel(n);
    if (!q) fail(`quantize-realize: ${who}: weight '${w}' has no quantization parameters (run quantize-annotate first)`);
    if (q.zeroPoint.some((z) => z !== 0)) unsupported(`${who}: weight '${w}' has a non-zero zero point; the integer graph needs symmetric weights`);
    if (q.bits > 8) fail(`quantize-realize: ${who}: weight '${w}' has ${q.bits}-bit parameters, at most 8 are stored`);
    if (q.scale.length === 1) return { scales: new Array<number>(channels).fill(q.scale[0]!), perChannel: false, bits: q.bits };
    if (q.scale.length !== channels || q.axis !== weightChannelAxis(n)) {
      unsupported(`${who}: weight '${w}' has ${q.scale.length} scales along axis ${q.axis}; per-channel weights need one per output channel (${channels}) along axis ${weightChannelAxis(n)}`);
    }
    return { scales: [...q.scale], perChannel: true, bits: q.bits };
  }

  // ---- materializing values

  /** The int8 name of an activation, quantizing a graph input on first use. */
  int(v: string): string {
    const have = this.ints.get(v);
    if (have !== undefined) return have;
    invariant(this.g.inputs.includes(v), `quantize-realize reads the int8 codes of '${v}' before they are computed`);
    return this.quantize(v, v);
  }

  /** Emits Quantize(floatName) as the int8 codes of v. */
  private quantize(v: string, floatName: string): string {
    const q = this.act(v);
    const out = this.intNameOf(v);
    this.emit('Quantize', this.freshNode(`${v}:quantize`), [floatName], [out], { scale: q.scale, zeroPoint: q.zeroPoint, qmin: q.qmin, qmax: q.qmax });
    this.defineInt(v, out, q);
    return out;
  }

  /** Records that `name` holds v's codes; a graph output is dequantized right away under its own name. */
  private defineInt(v: string, name: string, q: ActQuant): void {
    this.values.set(name, int8Type(this.shapeOf(v), q));
    this.ints.set(v, name);
    if (this.g.outputs.includes(v) && !this.floats.has(v)) this.dequantize(v, v);
  }

  private dequantize(v: string, out: string): string {
    const q = this.act(v);
    this.emit('Dequantize', this.freshNode(`${v}:dequantize`), [this.ints.get(v)!], [out], { scale: q.scale, zeroPoint: q.zeroPoint });
    this.values.set(out, { dtype: 'float32', shape: this.shapeOf(v) });
    this.floats.set(v, out);
    return out;
  }

  /** The float name of a value for a float island: as is, or dequantized on first use. */
  float(v: string): string {
    const have = this.floats.get(v);
    if (have !== undefined) return have;
    invariant(this.ints.has(v), `quantize-realize reads '${v}' before it is computed`);
    return this.dequantize(v, this.fresh(`${v}:f`));
  }

  /** Emits a Requantize of int8 value `from` (parameters fromQ) to toQ, clamped by `bounds`, into `out`. */
  private requantize(nodeName: string, from: string, fromQ: ActQuant, toQ: ActQuant, out: string, bounds?: ActivationBounds): void {
    const m = quantizeMultiplier(fromQ.scale / toQ.scale);
    const [qmin, qmax] = clampBounds(bounds, toQ.scale, toQ.zeroPoint, toQ.bits);
    this.emit('Requantize', nodeName, [from], [out], {
      multiplier: [m.multiplier], shift: [m.shift], zeroPoint: toQ.zeroPoint, qmin, qmax, inZeroPoint: fromQ.zeroPoint,
    });
  }

  /** Codes of v at parameters q: v's own codes, or a Requantize of them (shared by every reader that needs q). */
  private intAt(v: string, q: ActQuant): string {
    const vq = this.act(v);
    if (sameParams(vq, q)) return this.int(v);
    const key = `${v}\u0000${q.scale}\u0000${q.zeroPoint}\u0000${q.bits}`;
    let out = this.requantized.get(key);
    if (out === undefined) {
      out = this.fresh(`${v}:rq`);
      this.requantize(this.freshNode(`${v}:requantize`), this.int(v), vq, q, out);
      this.values.set(out, int8Type(this.shapeOf(v), q));
      this.requantized.set(key, out);
    }
    return out;
  }

  // ---- weights and biases

  /**
   * Int8 weight codes (symmetric, round half to even), and the sum of each channel's codes (what folding the
   * input zero point into the bias needs), in one walk over the float weight (weight-codes.ts). Element i belongs
   * to channel floor(i / inner) % channels (`WeightLayout`).
   */
  private int8Weight(n: Node, scales: readonly number[], bits: number, layout: WeightLayout): { codes: Tensor; rowSums: Float64Array } {
    const w = this.g.initializers.get(n.inputs[1]!)!;
    const [qmin, qmax] = qRange(bits, true);
    const codes = tensor('int8', w.shape);
    const rowSums = new Float64Array(layout.channels);
    this.quantizeWeight(w.data, codes.data, scales, layout, qmin, qmax, rowSums);
    return { codes, rowSums };
  }

  private weightName(n: Node, codes: Tensor, quant: QuantParams): string {
    const w = n.inputs[1]!;
    const have = this.int8Weights.get(w);
    if (have !== undefined) return have;
    const onlyWeight = (this.plan.consumers.get(w) ?? []).every((c) => c.inputs.indexOf(w) === 1 && c.inputs.lastIndexOf(w) === 1 && isProduct(this.plan.roles.get(c.name)!));
    const name = onlyWeight && !this.g.outputs.includes(w) ? w : this.fresh(`${w}:q`);
    this.initializers.set(name, codes);
    this.values.set(name, { dtype: 'int8', shape: codes.shape, quant });
    this.int8Weights.set(w, name);
    return name;
  }

  /** The int32 bias of one product node; named after the float bias when this node is its only reader. */
  private biasName(n: Node, biasInput: string, codes: Tensor, quant: QuantParams): string {
    const only = biasInput !== '' && (this.plan.consumers.get(biasInput) ?? []).length === 1 && !this.g.outputs.includes(biasInput);
    const name = only ? biasInput : this.fresh(biasInput !== '' ? `${biasInput}:${n.name}` : `${n.name}:bias`);
    this.initializers.set(name, codes);
    this.values.set(name, { dtype: 'int32', shape: codes.shape, quant });
    return name;
  }

  /**
   * Everything a QConv/QGemm needs from its constants: int8 weights, the int32 bias with the input zero point
   * folded in (bias_q − z_x·Σw per channel), an int32 overflow proof per channel, and the requantization
   * multipliers s_x·s_w/s_y.
   */
  private product(n: Node, layout: WeightLayout, biasOf: (c: number) => number, x: ActQuant, y: ActQuant) {
    const who = nodeLabel(n);
    const { channels } = layout;
    const { scales, perChannel, bits } = this.weightParams(n, channels);
    const { codes, rowSums } = this.int8Weight(n, scales, bits, layout);
    const axis = weightChannelAxis(n);
    const wName = this.weightName(n, codes, { scale: perChannel ? scales : [scales[0]!], zeroPoint: perChannel ? scales.map(() => 0) : [0], bits, ...(perChannel ? { axis } : {}) });

    const k = codes.data.length / channels;
    // Any k products of these codes with input codes stay within k·max|w|·max|x| of the bias: when that bound
    // fits int32 the channel is proven without reading its weights again.
    const [wmin, wmax] = qRange(bits, true);
    const wAbs = Math.max(-wmin, wmax), xAbs = Math.max(-x.qmin, x.qmax);
    let columns: ArrayLike<number> | undefined;
    const bias = tensor('int32', [channels]);
    for (let c = 0; c < channels; c++) {
      const folded = foldInputZeroPoint(quantizeBias(biasOf(c), x.scale, scales[c]!, `${who} bias[${c}]`), rowSums[c]!, x.zeroPoint);
      if (!accumulatorSurelyFits(folded, k, wAbs, xAbs)) {
        // Each channel's codes as one contiguous run: the weight itself when a channel is a block (inner = k),
        // else (Gemm B [K, N]) a transposed copy.
        columns ??= layout.inner === k ? codes.data : transposedColumns(codes.data, channels, k);
        const [lo, hi] = accumulatorRange(columns, c * k, k, x.qmin, x.qmax, folded);
        if (!fitsInt32(lo, hi)) {
          fail(`${who}: output channel ${c} can accumulate [${lo}, ${hi}] (bias ${folded} with the input zero point folded in), beyond int32; the layer cannot run on 32-bit accumulators`);
        }
      }
      bias.data[c] = folded;
    }
    const biasScales = scales.map((s) => x.scale * s);
    const biasQuant: QuantParams = perChannel
      ? { scale: biasScales, zeroPoint: biasScales.map(() => 0), bits: 32, axis: 0 }
      : { scale: [biasScales[0]!], zeroPoint: [0], bits: 32 };
    const multipliers = (perChannel ? scales : [scales[0]!]).map((s) => requantMultiplier(x.scale, s, y.scale));
    return {
      wName, biasQuant, bias,
      requant: { multiplier: multipliers.map((m) => m.multiplier), shift: multipliers.map((m) => m.shift) },
    };
  }

  // ---- roles

  conv(n: NodeOf<'Conv'>, role: Extract<Role, { kind: 'conv' }>): void {
    const x = n.inputs[0]!, y = int8Output(n, role)!;
    const xq = this.act(x), yq = this.act(y);
    const w = this.g.initializers.get(n.inputs[1]!)!;
    const channels = w.shape[0]!, inner = numel(w.shape) / channels;
    const b = this.g.initializers.get(n.inputs[2] ?? '');
    const p = this.product(n, { channels, inner }, (c) => (b ? b.data[c]! : 0), xq, yq);
    const bName = this.biasName(n, n.inputs[2] ?? '', p.bias, p.biasQuant);
    const [qmin, qmax] = clampBounds(role.act?.bounds, yq.scale, yq.zeroPoint, yq.bits);
    const out = this.intNameOf(y);
    this.emit('QConv', n.name, [this.int(x), p.wName, bName], [out], {
      ...n.attrs, ...p.requant, zeroPoint: yq.zeroPoint, qmin, qmax, padValue: xq.zeroPoint,
    });
    this.defineInt(y, out, yq);
  }

  gemm(n: NodeOf<'Gemm'> | NodeOf<'MatMul'>, role: Extract<Role, { kind: 'gemm' }>): void {
    const a = n.inputs[0]!, y = int8Output(n, role)!;
    const aq = this.act(a), yq = this.act(y);
    const w = this.g.initializers.get(n.inputs[1]!)!;
    const transB = n.op === 'Gemm' ? n.attrs.transB : 0;
    const [rows, cols] = [w.shape[0]!, w.shape[1]!];
    const channels = transB ? rows : cols;
    const c = n.op === 'Gemm' ? this.g.initializers.get(n.inputs[2] ?? '') : undefined;
    const p = this.product(n, { channels, inner: transB ? cols : 1 },
      (j) => (c ? c.data[c.data.length === 1 ? 0 : j]! : 0), aq, yq);
    const bName = this.biasName(n, n.op === 'Gemm' ? n.inputs[2] ?? '' : '', p.bias, p.biasQuant);
    const [qmin, qmax] = clampBounds(role.act?.bounds, yq.scale, yq.zeroPoint, yq.bits);
    const out = this.intNameOf(y);
    this.emit('QGemm', n.name, [this.int(a), p.wName, bName], [out], { ...p.requant, zeroPoint: yq.zeroPoint, qmin, qmax, transB });
    this.defineInt(y, out, yq);
  }

  /** Add -> QAdd; Sum of k inputs -> a chain of k−1 QAdds at the output's parameters (only the last one clamps). */
  add(n: NodeOf<'Add'> | NodeOf<'Sum'>, role: Extract<Role, { kind: 'add' }>): void {
    const y = int8Output(n, role)!;
    const yq = this.act(y);
    let accName = this.int(n.inputs[0]!), accQ = this.act(n.inputs[0]!);
    for (let k = 1; k < n.inputs.length; k++) {
      const b = n.inputs[k]!, bq = this.act(b);
      const last = k === n.inputs.length - 1;
      const out = last ? this.intNameOf(y) : this.fresh(`${y}:sum${k}`);
      const [qmin, qmax] = last ? clampBounds(role.act?.bounds, yq.scale, yq.zeroPoint, yq.bits) : [yq.qmin, yq.qmax];
      const r = addRescale(accQ.scale, bq.scale, yq.scale);
      this.emit('QAdd', last ? n.name : this.freshNode(`${n.name}:${k}`), [accName, this.int(b)], [out], {
        leftShift: r.leftShift,
        aMultiplier: r.a.multiplier, aShift: r.a.shift, aZeroPoint: accQ.zeroPoint,
        bMultiplier: r.b.multiplier, bShift: r.b.shift, bZeroPoint: bq.zeroPoint,
        outMultiplier: r.out.multiplier, outShift: r.out.shift,
        zeroPoint: yq.zeroPoint, qmin, qmax,
      });
      if (last) this.defineInt(y, out, yq);
      else { this.values.set(out, int8Type(this.shapeOf(y), yq)); accName = out; accQ = yq; }
    }
  }

  /**
   * An op whose int8 output has its input's parameters (pools, movement). If the output was annotated with other
   * parameters (a QDQ import can do that), a Requantize follows.
   */
  private sameScaleOp(n: Node, emitOp: (input: string, out: string, xq: ActQuant) => void): void {
    const x = n.inputs[0]!, y = n.outputs[0]!;
    const xq = this.act(x), yq = this.act(y);
    const same = sameParams(xq, yq);
    const out = same ? this.intNameOf(y) : this.fresh(`${y}:pre`);
    emitOp(this.int(x), out, xq);
    for (const o of n.outputs.slice(1)) {
      if (o === '') continue;
      this.values.set(o, this.g.values.get(o)!);
      this.floats.set(o, o);
    }
    if (same) { this.defineInt(y, out, yq); return; }
    this.values.set(out, int8Type(this.shapeOf(y), xq));
    const final = this.intNameOf(y);
    this.requantize(this.freshNode(`${n.name}:requantize`), out, xq, yq, final);
    this.defineInt(y, final, yq);
  }

  avgpool(n: NodeOf<'AveragePool'>): void {
    this.sameScaleOp(n, (x, out, xq) => this.emit('QAveragePool', n.name, [x], [out], { ...n.attrs, zeroPoint: xq.zeroPoint }));
  }

  globalAvgpool(n: NodeOf<'GlobalAveragePool'>): void {
    this.sameScaleOp(n, (x, out, xq) => this.emit('QGlobalAveragePool', n.name, [x], [out], { zeroPoint: xq.zeroPoint }));
  }

  /** The op itself on codes; a constant Pad (of 0) pads with the zero point, the code of real 0. */
  movement(n: Node): void {
    this.sameScaleOp(n, (x, out, xq) => {
      const inputs = n.inputs.map((v, i) => (i === 0 ? x : v));
      const outputs = [out, ...n.outputs.slice(1)];
      if (n.op !== 'Pad' || n.attrs.mode !== 'constant') {
        this.nodes.push({ ...n, inputs, outputs } as Node);
        return;
      }
      // The plan sends a Pad with a non-zero value to a float island: on codes it pads with the zero point.
      if ((n.inputs[1] ?? '') === '' && n.attrs.pads) {
        this.nodes.push({ ...n, inputs, outputs, attrs: { ...n.attrs, value: xq.zeroPoint } });
        return;
      }
      const valueInput = n.inputs[2] ?? '';
      const shape = valueInput !== '' ? this.g.initializers.get(valueInput)!.shape : [];
      const codeName = this.fresh(`${n.name}:pad_value`);
      this.initializers.set(codeName, tensor('int8', shape, [xq.zeroPoint]));
      this.values.set(codeName, { dtype: 'int8', shape });
      this.nodes.push({ ...n, inputs: [inputs[0]!, inputs[1]!, codeName, ...inputs.slice(3)], outputs });
    });
  }

  /** Concat on codes at the output's parameters; inputs at other parameters are requantized to them. */
  concat(n: NodeOf<'Concat'>): void {
    const y = n.outputs[0]!;
    const yq = this.act(y);
    const inputs = n.inputs.map((v) => this.intAt(v, yq));
    const out = this.intNameOf(y);
    this.emit('Concat', n.name, inputs, [out], n.attrs);
    this.defineInt(y, out, yq);
  }

  /** An unfused ReLU/Clip: a Requantize whose clamp is the activation (identity multiplier at equal scales). */
  activation(n: Node, bounds: ActivationBounds): void {
    const x = n.inputs[0]!, y = n.outputs[0]!;
    const out = this.intNameOf(y), yq = this.act(y);
    this.requantize(n.name, this.int(x), this.act(x), yq, out, bounds);
    this.defineInt(y, out, yq);
  }

  /** A float island: the op on dequantized inputs; outputs that int8 ops read are quantized again. */
  island(n: Node): void {
    const inputs = n.inputs.map((v) => (v === '' ? '' : this.float(v)));
    const outputs = n.outputs.map((o) => {
      if (o === '') return '';
      const name = this.plan.int8.has(o) && !this.g.outputs.includes(o) ? this.fresh(`${o}:f`) : o;
      const t = this.g.values.get(o)!;
      this.values.set(name, { dtype: t.dtype, shape: t.shape });
      this.floats.set(o, name);
      return name;
    });
    this.nodes.push({ ...n, inputs, outputs } as Node);
    n.outputs.forEach((o, k) => { if (o !== '' && this.plan.int8.has(o)) this.quantize(o, outputs[k]!); });
  }
}

const isProduct = (r: Role): boolean => r.kind === 'conv' || r.kind === 'gemm';

function realizeNode(r: Realizer, n: Node, role: Role): void {
  switch (role.kind) {
    case 'conv': return r.conv(n as NodeOf<'Conv'>, role);
    case 'gemm': return r.gemm(n as NodeOf<'Gemm'> | NodeOf<'MatMul'>, role);
    case 'add': return r.add(n as NodeOf<'Add'> | NodeOf<'Sum'>, role);
    case 'avgpool': return r.avgpool(n as NodeOf<'AveragePool'>);
    case 'globalavgpool': return r.globalAvgpool(n as NodeOf<'GlobalAveragePool'>);
    case 'movement': return r.movement(n);
    case 'concat': return r.concat(n as NodeOf<'Concat'>);
    case 'activation': return r.activation(n, role.bounds);
    case 'fused': return;
    case 'float': return r.island(n);
  }
}

/** Phase 2: the integer graph of an annotated float graph. */
export function realizeQuantization(g: Graph): Graph {
  const plan = planQuantization(g);
  const r = new Realizer(g, plan, wasmWeightKernels().quantize);
  for (const n of g.nodes) realizeNode(r, n, plan.roles.get(n.name)!);
  for (const o of g.outputs) invariant(r.values.has(o), `quantize-realize left graph output '${o}' undefined (type ${shapeStr(g.values.get(o)?.shape ?? [])})`);
  return { ...g, nodes: r.nodes, values: r.values, initializers: r.initializers };
}

/** The nodes of a float (or annotated) graph that realize leaves in float islands, with the reason, for reports. */
export function floatIslands(g: Graph): { node: string; op: string; reason: string }[] {
  const plan = planQuantization(g);
  return g.nodes.flatMap((n) => {
    const role = plan.roles.get(n.name)!;
    return role.kind === 'float' ? [{ node: n.name, op: n.op, reason: role.reason }] : [];
  });
}

export const quantizeRealizePass: Pass = {
  name: 'quantize-realize',
  stage: STAGES.quantized,
  run: (g) => realizeQuantization(g),
};
