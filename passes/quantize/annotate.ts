import { fail } from '../../ir/errors.js';
import type { Graph, QuantParams, ValueType } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';
import { activationQuant, weightScales } from '../../ir/quant/index.js';
import type { Pass } from '../pass.js';
import { type QuantOptions, readQuantOptions } from './options.js';
import { type QuantPlan, type Role, dataInputs, int8Output, planQuantization } from './plan.js';
import { type WeightKernels, wasmWeightKernels } from './weight-codes.js';

// Phase 1 of quantization: the graph stays float, and every value that will be int8 gets its scale and zero
// point (ValueType.quant), chosen from the calibration statistics; weights get their symmetric scales (per
// tensor or per output channel) and biases their int32 scale s_x·s_w. The result is the "fake-quant" view:
// exactly the numbers the integer graph will use, which realize turns into integer ops and QDQ export writes
// as QuantizeLinear/DequantizeLinear pairs. A value that already carries quant (a QDQ import) keeps it.

const activationParams = (scale: number, zeroPoint: number, bits: number): QuantParams => ({ scale: [scale], zeroPoint: [zeroPoint], bits });

/** The axis of a product node's weight that indexes output channels: Conv W [O, ...] 0; Gemm B [K, N] 1, [N, K] (transB) 0. */
export function weightChannelAxis(n: Node): number {
  if (n.op === 'Conv') return 0;
  return n.op === 'Gemm' && n.attrs.transB !== 0 ? 0 : 1;
}

class Annotator {
  readonly values: Map<string, ValueType>;
  changed = false;

  constructor(private readonly g: Graph, private readonly plan: QuantPlan, private readonly o: QuantOptions,
    private readonly kernels: WeightKernels, private readonly log?: (line: string) => void) {
    this.values = new Map(g.values);
  }

  private type(v: string): ValueType {
    const t = this.values.get(v);
    if (!t) fail(`graph '${this.g.name}': value '${v}' has no type`);
    return t;
  }

  quantOf(v: string): QuantParams | undefined { return this.values.get(v)?.quant; }

  private set(v: string, quant: QuantParams): void {
    this.values.set(v, { ...this.type(v), quant });
    this.changed = true;
  }

  /** An activation's parameters from its calibration statistics, unless it already has some. */
  fromStats(v: string): void {
    if (this.quantOf(v)) return;
    const stats = this.o.calibration?.tensors.get(v);
    if (!stats) {
      const origin = this.o.calibration?.origin;
      fail(this.o.calibration
        ? origin !== undefined
          ? `${origin} has no statistics for tensor '${v}' of graph '${this.g.name}': it was saved for another model (or other --input-shape/options)`
          : `calibration has no statistics for tensor '${v}' of graph '${this.g.name}': calibrate the same float graph that is quantized`
        : `quantizing graph '${this.g.name}' needs calibration statistics (option calibration) for tensor '${v}'`);
    }
    const q = activationQuant(stats, {
      method: this.o.method, bits: this.o.bits, nonNegative: this.plan.nonNegative.has(v),
      unsignedMapping: this.o.unsignedMapping, percentile: this.o.percentile,
    }, `tensor '${v}'`);
    this.set(v, activationParams(q.scale, q.zeroPoint, this.o.bits));
    this.log?.(`quantize-annotate: %${v} scale=${q.scale} zeroPoint=${q.zeroPoint} (${this.o.method}${this.plan.nonNegative.has(v) ? ', non-negative' : ''})`);
  }

  /** A value that keeps its input's scale and zero point (movement, average pooling, unfused ReLU). */
  copy(from: string, to: string): void {
    if (this.quantOf(to)) return;
    const q = this.quantOf(from);
    if (!q) fail(`quantize-annotate: '${from}' has no quantization parameters to pass on to '${to}'`);
    this.set(to, q);
  }

  /** Symmetric weight scales of a Conv/Gemm/MatMul, and the int32 scale s_x·s_w of its bias. */
  weightsAndBias(n: Node): void {
    const w = n.inputs[1]!;
    const axis = this.o.perChannel ? weightChannelAxis(n) : undefined;
    if (!this.quantOf(w)) {
      const scales = weightScales(this.kernels.alphas(this.g.initializers.get(w)!, axis), this.o.bits, this.o.method);
      this.set(w, { scale: scales, zeroPoint: scales.map(() => 0), bits: this.o.bits, ...(axis !== undefined ? { axis } : {}) });
    }
    const b = n.inputs[2] ?? '';
    const sx = this.quantOf(n.inputs[0]!)?.scale[0];
    const sw = this.quantOf(w)!.scale;
    if (b === '' || this.quantOf(b) || sx === undefined) return;
    const bt = this.type(b);
    const scale = sw.map((s) => sx * s);
    if (scale.length === 1) { this.set(b, { scale, zeroPoint: [0], bits: 32 }); return; }
    // Per channel: the bias's channel axis is its last (Conv B [O], Gemm C [N] or [1, N]).
    const last = bt.shape.length - 1;
    if (last >= 0 && bt.shape[last] === scale.length) this.set(b, { scale, zeroPoint: scale.map(() => 0), bits: 32, axis: last });
  }
}

function annotateNode(a: Annotator, n: Node, role: Role, plan: QuantPlan): void {
  switch (role.kind) {
    case 'conv': case 'gemm': case 'add': case 'concat':
      a.fromStats(int8Output(n, role)!);
      if (role.kind === 'conv' || role.kind === 'gemm') a.weightsAndBias(n);
      return;
    case 'movement': case 'avgpool': case 'globalavgpool': case 'activation':
      a.copy(dataInputs(n, role)[0]!, n.outputs[0]!);
      return;
    case 'float':
      for (const o of n.outputs) if (plan.int8.has(o)) a.fromStats(o);
      return;
    case 'fused':
      return;
  }
}

/** Phase 1: quantization parameters on every value the plan makes int8, plus weights and biases. */
export function annotateQuantization(g: Graph, o: QuantOptions, log?: (line: string) => void): Graph {
  const plan = planQuantization(g);
  const a = new Annotator(g, plan, o, wasmWeightKernels(), log);
  for (const v of g.inputs) if (plan.int8.has(v)) a.fromStats(v);
  for (const n of g.nodes) {
    annotateNode(a, n, plan.roles.get(n.name)!, plan);
  }
  return a.changed ? { ...g, values: a.values } : g;
}

export const quantizeAnnotatePass: Pass = {
  name: 'quantize-annotate',
  run: (g, ctx) => annotateQuantization(g, readQuantOptions(ctx.options), ctx.log),
};
