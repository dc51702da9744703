// Gives the light model-zoo architectures (../shared/models/light: every weight is a ConstantOfShape
// filling 0.02, so their softmax is uniform) seeded random weights of sensible scale, so tilec's float
// interpreter is compared with onnxruntime on numbers that vary, and on a softmax that is not flat.
// The few real initializers some of these models kept (biases, BN statistics) are left as they are.
import onnxProto from 'onnx-proto';
import { type Feeds, runOrt, uniform } from './harness.js';

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;

/** What a weight is, from the node that reads it: decides its distribution. */
type Role = 'kernel' | 'bias' | 'bnScale' | 'bnBias' | 'bnMean' | 'bnVar';

/**
 * Distributions chosen so activations neither explode nor vanish through 20-120 layers:
 * - kernels (Conv W, Gemm B): He-uniform, U(±sqrt(6 / fanIn)), variance 2 / fanIn, which keeps the second
 *   moment of a ReLU network's activations constant from layer to layer;
 * - BatchNormalization: scale and variance near 1, mean and bias near 0, so a BN roughly passes its input
 *   through (the random kernels already keep it at unit scale) while still moving every channel differently;
 * - biases small, so they shift but do not dominate.
 */
function fill(role: Role, n: number, fanIn: number, seed: number): Float32Array {
  const limit = Math.sqrt(6 / Math.max(1, fanIn));
  switch (role) {
    case 'kernel': return uniform(n, seed, -limit, limit);
    case 'bnScale': case 'bnVar': return uniform(n, seed, 0.8, 1.2);
    case 'bias': case 'bnBias': case 'bnMean': return uniform(n, seed, -0.1, 0.1);
  }
}

interface Consumer { readonly node: NodeProto; readonly index: number }

function consumers(nodes: readonly NodeProto[]): Map<string, Consumer[]> {
  const map = new Map<string, Consumer[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((name, index) => {
      if (!map.has(name)) map.set(name, []);
      map.get(name)!.push({ node, index });
    });
  }
  return map;
}

const intAttr = (node: NodeProto, name: string): number => Number(node.attribute?.find((a) => a.name === name)?.i ?? 0);

/** Dims after a Reshape to `target` (0 copies the input dim, -1 takes the rest). */
function reshaped(dims: readonly number[], target: readonly number[]): number[] {
  const total = dims.reduce((a, b) => a * b, 1);
  const out = target.map((d, i) => (d === 0 ? dims[i]! : d));
  const known = out.reduce((a, d) => (d === -1 ? a : a * d), 1);
  return out.map((d) => (d === -1 ? total / known : d));
}

/** The role of weight `name`, and the fan-in of a kernel, from its (first) reader. */
function roleOf(name: string, dims: readonly number[], readers: ReadonlyMap<string, Consumer[]>,
  inits: ReadonlyMap<string, onnxProto.onnx.ITensorProto>): { role: Role; fanIn: number } {
  const c = readers.get(name)?.[0];
  if (!c) throw new Error(`weight '${name}' has no reader`);
  const op = c.node.opType;
  // Inception v1 reshapes its classifier weight to 2-D before the Gemm.
  if (op === 'Reshape' && c.index === 0) {
    const target = inits.get(c.node.input![1]!);
    if (!target) throw new Error(`Reshape of weight '${name}' has a computed shape`);
    return roleOf(c.node.output![0]!, reshaped(dims, int64s(target)), readers, inits);
  }
  if (op === 'Conv' && c.index === 1) return { role: 'kernel', fanIn: dims.slice(1).reduce((a, b) => a * b, 1) };
  if (op === 'Gemm' && c.index === 1) return { role: 'kernel', fanIn: intAttr(c.node, 'transB') ? dims[1]! : dims[0]! };
  if ((op === 'Conv' || op === 'Gemm') && c.index === 2) return { role: 'bias', fanIn: 1 };
  if (op === 'BatchNormalization' && c.index >= 1) return { role: (['bnScale', 'bnBias', 'bnMean', 'bnVar'] as const)[c.index - 1]!, fanIn: 1 };
  // Caffe2 exports (DenseNet, Inception v2) follow a BN with a per-channel Mul and Add, via Unsqueeze.
  if (op === 'Unsqueeze' && c.index === 0) {
    const next = readers.get(c.node.output![0]!)?.[0]?.node.opType;
    if (next === 'Mul') return { role: 'bnScale', fanIn: 1 };
    if (next === 'Add') return { role: 'bnBias', fanIn: 1 };
  }
  throw new Error(`no rule for weight '${name}' read by ${op} input ${c.index}`);
}

/** int64 values of a TensorProto, raw or typed. */
function int64s(t: onnxProto.onnx.ITensorProto): number[] {
  if (t.rawData && t.rawData.length) {
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Array.from({ length: t.rawData.length / 8 }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
  }
  return (t.int64Data ?? []).map(Number);
}

function floatProto(name: string, dims: readonly number[], data: Float32Array): onnxProto.onnx.TensorProto {
  return onnx.TensorProto.create({
    name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

/**
 * The logits (the Softmax input, or the graph output of a model without Softmax, e.g. DenseNet-121) and the
 * Conv or Gemm computing them through shape-only and positively homogeneous ops: scaling that layer's
 * weight and bias by f scales the logits by f.
 */
function head(g: onnxProto.onnx.IGraphProto): { logits: string; classifier: NodeProto } {
  const nodes = g.node ?? [];
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const softmax = nodes.find((n) => n.opType === 'Softmax');
  const logits = softmax ? softmax.input![0]! : g.output![0]!.name!;
  const passThrough = new Set(['Relu', 'Reshape', 'Flatten', 'Dropout', 'Identity', 'GlobalAveragePool', 'AveragePool', 'Squeeze']);
  let n = producer.get(logits);
  while (n && passThrough.has(n.opType ?? '')) n = producer.get(n.input![0]!);
  if (!n || (n.opType !== 'Conv' && n.opType !== 'Gemm')) throw new Error(`the logits '${logits}' are not computed by a Conv or Gemm (found ${n?.opType})`);
  return { logits, classifier: n };
}

export interface RandomizedModel {
  readonly bytes: Uint8Array;
  /** ConstantOfShape nodes replaced by random initializers. */
  readonly replaced: number;
  /** The classifier's output (Softmax input), added as a graph output when it is not one already. */
  readonly logits: string;
  /** Factor applied to the classifier's weights to reach the target softmax (or logit spread). */
  readonly logitScale: number;
}

/**
 * Calibration targets. A softmax's top probability of 0.3 is ~300x uniform over 1000 classes and far from
 * one-hot, so every probability carries signal. A model without Softmax gets logits of standard deviation 3.
 */
const TARGET_TOP_PROBABILITY = 0.3;
const TARGET_LOGIT_STD = 3;

/**
 * `bytes` with every ConstantOfShape weight replaced by a seeded random initializer (see `fill`), the
 * logits added as a graph output (so they are compared too, at full scale), and the classifier's weights
 * scaled to reach the calibration target on `feeds`, measured with onnxruntime: deep residual stacks grow
 * their activations, and without this the softmax would saturate to one-hot or stay near uniform.
 */
export async function randomizeWeights(bytes: Uint8Array, seed: number, feeds: Feeds): Promise<RandomizedModel> {
  const model = onnx.ModelProto.decode(bytes);
  const g = model.graph as onnxProto.onnx.GraphProto;
  if (!g) throw new Error('model has no graph');
  const readers = consumers(g.node);
  const inits = new Map(g.initializer.map((t) => [t.name ?? '', t] as const));
  const weights = new Map<string, { dims: number[]; data: Float32Array }>();
  const dropped = new Set<string>();
  let replaced = 0;
  g.node = g.node.filter((n) => {
    if (n.opType !== 'ConstantOfShape') return true;
    const shapeName = n.input![0]!, out = n.output![0]!;
    const shape = inits.get(shapeName);
    if (!shape) throw new Error(`ConstantOfShape '${out}' takes its shape from '${shapeName}', which is not an initializer`);
    const dims = int64s(shape);
    const { role, fanIn } = roleOf(out, dims, readers, inits);
    // One seed per weight, so a weight's values do not depend on the ones before it.
    weights.set(out, { dims, data: fill(role, dims.reduce((a, b) => a * b, 1), fanIn, seed + 7919 * replaced) });
    if ((readers.get(shapeName) ?? []).length === 1) dropped.add(shapeName);
    replaced++;
    return false;
  });
  // The shape tensors are dead now; IR v3 models list every initializer as a graph input too.
  g.initializer = g.initializer.filter((t) => !dropped.has(t.name ?? ''));
  g.input = g.input.filter((v) => !dropped.has(v.name ?? ''));
  const irV3 = Number(model.irVersion) < 4;

  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output ?? []) producer.set(o, n);
  /** The stored tensor behind a weight input: through the Reshape Inception v1 applies to its classifier weight. */
  const stored = (name: string): string => {
    const p = producer.get(name);
    return p?.opType === 'Reshape' ? stored(p.input![0]!) : name;
  };
  const { logits, classifier } = head(g);
  const scaled = new Set(classifier.input!.slice(1).map(stored));

  const encode = (scale: number, extraOutput?: string): Uint8Array => {
    // A copy down to the lists this changes; the (large) tensors are shared, never modified.
    const graph = onnx.GraphProto.create({
      ...g,
      initializer: g.initializer.map((t) => (scaled.has(t.name ?? '') ? scaleProto(t, scale) : t)),
      input: [...g.input],
      output: [...g.output],
    });
    for (const [name, w] of weights) {
      graph.initializer.push(floatProto(name, w.dims, scaled.has(name) ? w.data.map((v) => v * scale) : w.data));
      if (irV3) graph.input.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1, shape: { dim: w.dims.map((d) => ({ dimValue: d })) } } } }));
    }
    if (extraOutput && !graph.output.some((o) => o.name === extraOutput)) graph.output.push(onnx.ValueInfoProto.create({ name: extraOutput, type: { tensorType: { elemType: 1 } } }));
    const encoded = onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph })).finish();
    return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength); // a view: VGG-19 is 550 MB
  };

  const probe = (await runOrt(encode(1, logits), feeds)).get(logits);
  if (!probe) throw new Error(`probe model did not output '${logits}'`);
  const std = standardDeviation(probe.data);
  if (!(std > 0)) throw new Error(`logits '${logits}' are constant (${probe.data[0]}): the random weights left nothing to compare`);
  const hasSoftmax = g.node.some((n) => n.opType === 'Softmax');
  const logitScale = hasSoftmax ? scaleForTopProbability(probe.data, probe.shape[0]!, TARGET_TOP_PROBABILITY) : TARGET_LOGIT_STD / std;
  return { bytes: encode(logitScale, logits), replaced, logits, logitScale };
}

/** The largest softmax probability over the rows of `z` (batch first, the rest one row each, as these models' Softmax). */
function topProbability(z: ArrayLike<number>, rows: number, f: number): number {
  const width = z.length / rows;
  let top = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let i = 0; i < width; i++) max = Math.max(max, z[r * width + i]!);
    let sum = 0;
    for (let i = 0; i < width; i++) sum += Math.exp(f * (z[r * width + i]! - max));
    top = Math.max(top, 1 / sum);
  }
  return top;
}

/** f with topProbability(f z) = target, by bisection on log f (the top probability grows with f). */
function scaleForTopProbability(z: ArrayLike<number>, rows: number, target: number): number {
  let lo = -40, hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (topProbability(z, rows, Math.exp(mid)) < target) lo = mid; else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** A float32 initializer (a real classifier weight) times `scale`. */
function scaleProto(t: onnxProto.onnx.ITensorProto, scale: number): onnxProto.onnx.TensorProto {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new Error(`classifier weight '${t.name}' is not float32`);
  const src = t.rawData && t.rawData.length
    ? new Float32Array(new Uint8Array(t.rawData).buffer)
    : Float32Array.from(t.floatData ?? []);
  return floatProto(t.name ?? '', (t.dims ?? []).map(Number), src.map((v) => v * scale));
}

function standardDeviation(xs: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i]!;
  mean /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return Math.sqrt(v / xs.length);
}
