import { match } from 'ts-pattern';
import type { ActivationBounds } from '../../ir/arith.js';
import { unsupported } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { nodeLabel } from '../../ir/infer.js';
import type { Node, NodeOf } from '../../ir/ops.js';
import { numel, shapeStr } from '../../ir/tensor.js';

// How each node of a float graph becomes integer: the one decision both quantization phases follow. annotate
// gives a scale and zero point to exactly the values this plan says will be int8; realize emits, per role,
// the integer ops of docs/quantization.md. The plan depends only on the graph's structure (never on the data),
// so both phases compute the same plan from the same graph.

/** A ReLU or Clip folded into the clamp of the product (or Add) that feeds it. */
export interface FusedActivation {
  readonly node: NodeOf<'Relu' | 'Clip'>;
  readonly bounds: ActivationBounds;
}

export type Role =
  /** Conv -> QConv (weights int8, bias int32 with the input zero point folded in). */
  | { readonly kind: 'conv'; readonly act?: FusedActivation }
  /** Gemm / MatMul with a constant 2-D weight -> QGemm. */
  | { readonly kind: 'gemm'; readonly act?: FusedActivation }
  /** Add / Sum of same-shape activations -> QAdd (a chain for Sum). */
  | { readonly kind: 'add'; readonly act?: FusedActivation }
  | { readonly kind: 'avgpool' }
  | { readonly kind: 'globalavgpool' }
  /** The same op on int8 codes; the output keeps its input's scale and zero point. */
  | { readonly kind: 'movement' }
  /** Concat on codes; inputs at another scale or zero point are requantized first. */
  | { readonly kind: 'concat' }
  /** A ReLU/Clip that cannot be fused: Requantize with the clamp. */
  | { readonly kind: 'activation'; readonly bounds: ActivationBounds }
  /** A ReLU/Clip fused into its producer: emits nothing of its own. */
  | { readonly kind: 'fused' }
  /** No int8 form: runs in float between Dequantize and Quantize (a float island). */
  | { readonly kind: 'float'; readonly reason: string };

export interface QuantPlan {
  /** Role of every node, by node name. */
  readonly roles: ReadonlyMap<string, Role>;
  /** The values that exist as int8 codes after realization (named by their float value). */
  readonly int8: ReadonlySet<string>;
  /** Values known to be >= 0 from the graph alone (the seed's always_pos tensors). */
  readonly nonNegative: ReadonlySet<string>;
  /** Readers of each value (each node once). */
  readonly consumers: ReadonlyMap<string, readonly Node[]>;
}

/** The inputs of a role's node that are activations (the others are constants: weights, shapes, pads...). */
export function dataInputs(n: Node, role: Role): readonly string[] {
  return match(role.kind)
    .with('conv', 'gemm', 'avgpool', 'globalavgpool', 'movement', 'activation', () => [n.inputs[0]!])
    .with('add', 'concat', () => n.inputs)
    .with('fused', 'float', () => [])
    .exhaustive();
}

/** The value a role's node produces as int8: its fused activation's output, else its first output. */
export function int8Output(n: Node, role: Role): string | undefined {
  if (role.kind === 'fused' || role.kind === 'float') return undefined;
  return 'act' in role && role.act ? role.act.node.outputs[0]! : n.outputs[0]!;
}

const isActivation = (g: Graph, v: string): boolean => v !== '' && !g.initializers.has(v) && g.values.get(v)?.dtype === 'float32';

/** Constant bounds of a Relu/Clip (Clip: attributes before opset 11, constant inputs 1/2 after), else undefined. */
export function activationBounds(g: Graph, n: Node): ActivationBounds | undefined {
  if (n.op === 'Relu') return { min: 0 };
  if (n.op !== 'Clip') return undefined;
  const bound = (i: number, attr: number | undefined): number | undefined | null => {
    const name = n.inputs[i] ?? '';
    if (name === '') return attr;
    const t = g.initializers.get(name);
    return t && numel(t.shape) === 1 ? t.data[0]! : null;
  };
  const min = bound(1, n.attrs.min), max = bound(2, n.attrs.max);
  if (min === null || max === null) return undefined;
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

function consumerIndex(g: Graph): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const v of new Set(n.inputs)) {
      if (v === '') continue;
      const list = out.get(v);
      if (list) list.push(n); else out.set(v, [n]);
    }
  }
  return out;
}


/** Conv's constant weight and optional constant bias, or an UnsupportedError: a float Conv may not survive. */
function checkConv(g: Graph, n: NodeOf<'Conv'>): void {
  const who = nodeLabel(n);
  if (!isActivation(g, n.inputs[0]!)) unsupported(`${who}: only a float32 activation input can be quantized (input '${n.inputs[0]}' is ${g.initializers.has(n.inputs[0]!) ? 'a constant' : g.values.get(n.inputs[0]!)?.dtype})`);
  const w = g.initializers.get(n.inputs[1]!);
  if (!w || w.dtype !== 'float32') unsupported(`${who}: the weight '${n.inputs[1]}' must be a float32 constant to be quantized`);
  const b = n.inputs[2] ?? '';
  if (b !== '' && g.initializers.get(b)?.dtype !== 'float32') unsupported(`${who}: the bias '${b}' must be a float32 constant to be quantized`);
}

/** Gemm/MatMul as Y[M,N] = A[M,K]·B + C with B a constant 2-D weight, C a constant per-column bias. */
function checkGemm(g: Graph, n: NodeOf<'Gemm'> | NodeOf<'MatMul'>): void {
  const who = nodeLabel(n);
  const a = n.inputs[0]!;
  const at = g.values.get(a);
  if (!isActivation(g, a) || at!.shape.length !== 2) {
    unsupported(`${who}: only a 2-D float32 activation input can be quantized (input '${a}' is ${g.initializers.has(a) ? 'a constant' : `${at?.dtype}${shapeStr(at?.shape ?? [])}`})`);
  }
  const w = g.initializers.get(n.inputs[1]!);
  if (!w || w.dtype !== 'float32' || w.shape.length !== 2) unsupported(`${who}: the weight '${n.inputs[1]}' must be a 2-D float32 constant to be quantized`);
  if (n.op === 'MatMul') return;
  if (n.attrs.transA !== 0) unsupported(`${who}: transA=1 cannot be quantized (the activation would need a transpose)`);
  if (n.attrs.alpha !== 1) unsupported(`${who}: alpha=${n.attrs.alpha} must be folded into the weight first (FLOAT_PIPELINE's fold-bias does it)`);
  const c = n.inputs[2] ?? '';
  if (c === '') return;
  const ct = g.initializers.get(c);
  if (!ct || ct.dtype !== 'float32') unsupported(`${who}: the bias C '${c}' must be a float32 constant to be quantized`);
  if (n.attrs.beta !== 1) unsupported(`${who}: beta=${n.attrs.beta} must be folded into C first (FLOAT_PIPELINE's fold-bias does it)`);
  const nOut = n.attrs.transB ? w.shape[0]! : w.shape[1]!;
  const perColumn = numel(ct.shape) === nOut && ct.shape.slice(0, -1).every((d) => d === 1) && ct.shape[ct.shape.length - 1] === nOut;
  if (!perColumn && numel(ct.shape) !== 1) unsupported(`${who}: the bias C has shape ${shapeStr(ct.shape)}; only one value per output column ([${nOut}]) or a scalar can be quantized`);
}

/**
 * The fused activation of a product/Add node: its output's only reader is a Relu or a constant-bound Clip,
 * and the output is not a graph output (it disappears into the clamp).
 */
function fusableActivation(g: Graph, n: Node, consumers: ReadonlyMap<string, readonly Node[]>): FusedActivation | undefined {
  const y = n.outputs[0]!;
  const readers = consumers.get(y) ?? [];
  if (g.outputs.includes(y) || readers.length !== 1) return undefined;
  const r = readers[0]!;
  if ((r.op !== 'Relu' && r.op !== 'Clip') || r.inputs[0] !== y || r.inputs.slice(1).includes(y)) return undefined;
  const bounds = activationBounds(g, r);
  return bounds ? { node: r as NodeOf<'Relu' | 'Clip'>, bounds } : undefined;
}

const floatRole = (reason: string): Role => ({ kind: 'float', reason });

/** Add of two activations (QAdd broadcasts), or Sum of same-shape activations (a QAdd chain). */
function addRole(g: Graph, n: Node): boolean {
  if (n.inputs.length < 2 || !n.inputs.every((v) => isActivation(g, v))) return false;
  if (n.op === 'Add') return true;
  const shape = shapeStr(g.values.get(n.inputs[0]!)!.shape);
  return n.inputs.every((v) => shapeStr(g.values.get(v)!.shape) === shape);
}

/** Pad realizes on codes when its pads are constant and it pads with real 0 (then the code is the zero point). */
function padRealizable(g: Graph, n: NodeOf<'Pad'>): boolean {
  const constant = (i: number): boolean => (n.inputs[i] ?? '') === '' || g.initializers.has(n.inputs[i]!);
  if (!constant(1) || !constant(2) || !constant(3)) return false;
  if (n.attrs.mode !== 'constant') return true;
  const v = n.inputs[2] ?? '';
  return (v === '' ? n.attrs.value ?? 0 : g.initializers.get(v)!.data[0]!) === 0;
}

function roleOf(g: Graph, n: Node, fusedInto: ReadonlyMap<string, FusedActivation>, acts: ReadonlyMap<string, FusedActivation>): Role {
  const act = acts.get(n.name);
  const movementIfActivation = (): Role => (isActivation(g, n.inputs[0]!) ? { kind: 'movement' } : floatRole('its input is not a float32 activation'));
  return match(n)
    .with({ op: 'Conv' }, (c): Role => { checkConv(g, c); return { kind: 'conv', act }; })
    .with({ op: 'Gemm' }, { op: 'MatMul' }, (c): Role => { checkGemm(g, c); return { kind: 'gemm', act }; })
    .with({ op: 'Add' }, { op: 'Sum' }, (c): Role => (addRole(g, c) ? { kind: 'add', act } : floatRole('an input is a constant (QAdd adds activations), or a Sum of different shapes')))
    .with({ op: 'Relu' }, { op: 'Clip' }, (c): Role => {
      if (fusedInto.has(c.name)) return { kind: 'fused' };
      const bounds = activationBounds(g, c);
      if (!bounds) return floatRole('its bounds are not constant');
      return isActivation(g, c.inputs[0]!) ? { kind: 'activation', bounds } : floatRole('its input is not a float32 activation');
    })
    .with({ op: 'AveragePool' }, (): Role => (isActivation(g, n.inputs[0]!) ? { kind: 'avgpool' } : floatRole('its input is not a float32 activation')))
    .with({ op: 'GlobalAveragePool' }, (): Role => (isActivation(g, n.inputs[0]!) ? { kind: 'globalavgpool' } : floatRole('its input is not a float32 activation')))
    .with({ op: 'MaxPool' }, { op: 'GlobalMaxPool' }, { op: 'Reshape' }, { op: 'Flatten' }, { op: 'Transpose' }, { op: 'Squeeze' },
      { op: 'Unsqueeze' }, { op: 'Identity' }, movementIfActivation)
    .with({ op: 'Pad' }, (p): Role => (padRealizable(g, p) ? movementIfActivation() : floatRole('its pads are not constant or it pads with a value other than 0')))
    .with({ op: 'Concat' }, (c): Role => (c.inputs.every((v) => isActivation(g, v)) ? { kind: 'concat' } : floatRole('an input is a constant or not float32')))
    .with({ op: 'QuantizeLinear' }, { op: 'DequantizeLinear' }, { op: 'ConvInteger' }, { op: 'MatMulInteger' }, { op: 'QLinearConv' },
      { op: 'QLinearMatMul' }, (c): Role => unsupported(`${nodeLabel(c)}: ONNX quantization ops must be turned into quantization parameters by the QDQ importer before tilec's quantization`))
    .with({ op: 'QConv' }, { op: 'QGemm' }, { op: 'QAdd' }, { op: 'QAveragePool' }, { op: 'QGlobalAveragePool' }, { op: 'Requantize' },
      { op: 'Quantize' }, { op: 'Dequantize' }, { op: 'Im2Col' }, { op: 'TileGemm' }, { op: 'Lift' },
      (c): Role => unsupported(`${nodeLabel(c)}: the graph is already quantized`))
    .with({ op: 'LeakyRelu' }, { op: 'Sigmoid' }, { op: 'Softmax' }, { op: 'BatchNormalization' }, { op: 'LRN' }, { op: 'Sub' }, { op: 'Mul' },
      { op: 'Div' }, { op: 'Shape' }, { op: 'Gather' }, { op: 'Dropout' }, { op: 'Constant' }, { op: 'ConstantOfShape' }, { op: 'Round' },
      (): Role => floatRole('no int8 form'))
    .exhaustive();
}

/** Values >= 0 by construction, propagated forward through ops that keep the sign. */
function nonNegativeValues(g: Graph): Set<string> {
  const nonNeg = new Set<string>();
  const all = (vs: readonly string[]): boolean => vs.length > 0 && vs.every((v) => nonNeg.has(v));
  for (const n of g.nodes) {
    const y = n.outputs[0];
    if (y === undefined || y === '') continue;
    const yes = match(n)
      .with({ op: 'Relu' }, { op: 'Sigmoid' }, { op: 'Softmax' }, () => true)
      .with({ op: 'Clip' }, (c) => (activationBounds(g, c)?.min ?? -1) >= 0 || nonNeg.has(c.inputs[0]!))
      .with({ op: 'MaxPool' }, { op: 'GlobalMaxPool' }, { op: 'AveragePool' }, { op: 'GlobalAveragePool' }, { op: 'Reshape' }, { op: 'Flatten' },
        { op: 'Transpose' }, { op: 'Squeeze' }, { op: 'Unsqueeze' }, { op: 'Identity' }, (c) => nonNeg.has(c.inputs[0]!))
      .with({ op: 'Pad' }, (c) => nonNeg.has(c.inputs[0]!) && padValueNonNegative(g, c))
      .with({ op: 'Concat' }, { op: 'Add' }, { op: 'Sum' }, { op: 'Mul' }, (c) => all(c.inputs))
      .otherwise(() => false);
    if (yes) nonNeg.add(y);
  }
  return nonNeg;
}

function padValueNonNegative(g: Graph, n: NodeOf<'Pad'>): boolean {
  if (n.attrs.mode !== 'constant') return true;
  const v = n.inputs[2] ?? '';
  if (v === '') return (n.attrs.value ?? 0) >= 0;
  const t = g.initializers.get(v);
  return t !== undefined && t.data[0]! >= 0;
}

/** The quantization plan of a float graph (throws UnsupportedError for a Conv/Gemm/MatMul that cannot be quantized). */
export function planQuantization(g: Graph): QuantPlan {
  const consumers = consumerIndex(g);
  const acts = new Map<string, FusedActivation>(); // producer name -> its fused activation
  const fusedInto = new Map<string, FusedActivation>(); // activation node name -> itself, when fused
  for (const n of g.nodes) {
    if (n.op !== 'Conv' && n.op !== 'Gemm' && n.op !== 'MatMul' && !((n.op === 'Add' || n.op === 'Sum') && addRole(g, n))) continue;
    const act = fusableActivation(g, n, consumers);
    if (act) { acts.set(n.name, act); fusedInto.set(act.node.name, act); }
  }
  const roles = new Map<string, Role>();
  const int8 = new Set<string>();
  for (const n of g.nodes) {
    const role = roleOf(g, n, fusedInto, acts);
    roles.set(n.name, role);
    const out = int8Output(n, role);
    if (out !== undefined) int8.add(out);
    for (const v of dataInputs(n, role)) int8.add(v);
  }
  return { roles, int8, nonNegative: nonNegativeValues(g), consumers };
}
