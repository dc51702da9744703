import { P, match } from 'ts-pattern';
import type { DType } from '../../ir/dtype.js';
import { fail, invariant, unsupported } from '../../ir/errors.js';
import { valueType, type Graph, type QuantParams } from '../../ir/graph.js';
import { im2colGeometry, type Im2ColGeometry } from '../../ir/im2col.js';
import { gatherAttrs } from '../../ir/infer/lowered.js';
import type { Im2ColAttrs, Node, NodeOf } from '../../ir/ops.js';
import { numel } from '../../ir/tensor.js';
import { gatherDescriptorBytes } from '../gather.js';
import { isHostOp, tensorBytes, type HostOpName } from '../host-ops.js';
import { dtypeBytes, requantTableBytes, type ConstantKind, type TensorRole } from '../program.js';
import { boundaryFolds } from './boundary.js';
import { StorageMap } from './storage.js';

// What every node of a lowered graph becomes, and where every tensor lives. One walk over the nodes in
// order decides, per node, one step — a GEMM on the matrix unit, a HOST instruction, or nothing at all
// (a view of bytes already in DRAM) — and records each value's buffer and its readers; the allocator then
// lays out DRAM (storage.ts). Emission (emit-program.ts) only turns the steps into bytes.

/** How a TileGemm gets its B matrix. */
export type GemmSource =
  /** b is the [K, N] matrix. */
  | { readonly kind: 'matrix' }
  /** gather 'im2col' whose matrix is already in DRAM as rows of x (1×1 kernel, stride 1, no padding, batch 1). */
  | { readonly kind: 'view'; readonly geometry: Im2ColGeometry }
  /** gather 'im2col': a HOST Im2Col writes the matrix into the temporary `matrix` first (EmitOptions.hostIm2col). */
  | { readonly kind: 'gather'; readonly gather: Im2ColAttrs; readonly matrix: string }
  /** gather 'im2col': LOAD_IM2COL gathers B's tiles from x through the constant gather descriptor `descriptor`. */
  | { readonly kind: 'load'; readonly gather: Im2ColAttrs; readonly geometry: Im2ColGeometry; readonly descriptor: string };

export type Step =
  | {
      readonly kind: 'gemm'; readonly node: NodeOf<'TileGemm'>; readonly m: number; readonly n: number; readonly k: number;
      readonly source: GemmSource; readonly table: string; readonly scratch?: string;
    }
  | { readonly kind: 'host'; readonly node: Node; readonly op: HostOpName }
  /** No instruction: the outputs are views of bytes that are already in place. */
  | { readonly kind: 'none'; readonly node: Node; readonly why: string };

export interface TensorInfo {
  readonly name: string;
  readonly role: TensorRole;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly quant?: QuantParams;
}

export interface ConstantInfo {
  readonly name: string;
  readonly kind: ConstantKind;
  readonly data: Uint8Array;
}

export interface Analysis {
  readonly steps: readonly Step[];
  readonly storage: StorageMap;
  /** The tensor table, in order of first appearance; each name is also its storage key. */
  readonly tensors: readonly TensorInfo[];
  readonly constants: readonly ConstantInfo[];
}

export interface AnalyzeOptions {
  /** Give each GEMM a DRAM scratch buffer for spilled partial sums (weight-stationary schedules). */
  readonly scratch: boolean;
  /** Fold the entry Quantize / exit Dequantize into the tensor table (boundary.ts). */
  readonly foldBoundary: boolean;
  /** Run gather 'im2col' as a host Im2Col into a DRAM buffer instead of gathering loads. */
  readonly hostIm2col?: boolean;
}

const bytesOf = (dtype: DType, shape: readonly number[]): number => numel(shape) * dtypeBytes(dtype);

const constantKind = (d: DType): ConstantKind => (d === 'int8' ? 'int8' : d === 'int32' ? 'int32' : 'bytes');

/** A transpose that keeps every non-unit axis in order moves no byte. */
function transposeIsReshape(shape: readonly number[], perm: readonly number[] | undefined): boolean {
  const p = perm ?? shape.map((_, i) => shape.length - 1 - i);
  let last = -1;
  for (const axis of p) {
    if (shape[axis] === 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

/** The im2col matrix of a batch-1, 1×1, stride-1, unpadded window is x's channel rows themselves. */
function im2colIsView(g: Im2ColGeometry): boolean {
  return g.batch === 1 && g.kernel.every((k) => k === 1) && g.strides.every((s) => s === 1)
    && g.padsBegin.every((p) => p === 0) && g.out.every((o, d) => o === g.spatial[d]);
}

const who = (n: Node): string => `${n.op} '${n.name}'`;

export function analyze(g: Graph, opts: AnalyzeOptions): Analysis {
  const storage = new StorageMap();
  const tensors: TensorInfo[] = [];
  const constants: ConstantInfo[] = [];
  const steps: Step[] = [];
  const outputs = new Set(g.outputs);
  const folds = boundaryFolds(g, opts.foldBoundary);
  const taken = new Set<string>([...g.values.keys(), ...g.initializers.keys()]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}#${i}`;
    taken.add(name);
    return name;
  };
  const type = (v: string) => valueType(g, v);
  const roleOf = (v: string, otherwise: TensorRole): TensorRole => (outputs.has(v) ? 'output' : otherwise);

  for (const x of g.inputs) {
    if (outputs.has(x)) unsupported(`graph input '${x}' is also a graph output; a tile program cannot pass an input through unchanged`);
    const t = type(x), quant = folds.entry.get(x);
    const dtype = quant ? 'int8' : t.dtype;
    storage.bind(x, storage.newRoot('input', bytesOf(dtype, t.shape), -1));
    tensors.push({ name: x, role: 'input', dtype, shape: t.shape, ...(quant ?? t.quant ? { quant: quant ?? t.quant } : {}) });
  }

  /** A constant enters DRAM the first time a step reads it. */
  const constant = (name: string, role: TensorRole): void => {
    if (storage.has(name)) return;
    const t = g.initializers.get(name);
    invariant(t, `'${name}' is not an initializer`);
    const data = tensorBytes(t);
    storage.bind(name, storage.newRoot('constant', data.length, -1));
    constants.push({ name, kind: constantKind(t.dtype), data });
    const q = type(name).quant;
    tensors.push({ name, role: roleOf(name, role), dtype: t.dtype, shape: t.shape, ...(q ? { quant: q } : {}) });
  };
  const read = (v: string, step: number): void => {
    if (v === '') return;
    if (g.initializers.has(v)) constant(v, 'weight');
    storage.use(v, step);
  };
  /** A value a step writes gets a fresh buffer (graph outputs live to the end). */
  const define = (v: string, step: number): void => {
    if (v === '') return;
    const t = type(v);
    storage.bind(v, storage.newRoot('activation', bytesOf(t.dtype, t.shape), step));
    tensors.push({ name: v, role: roleOf(v, 'activation'), dtype: t.dtype, shape: t.shape, ...(t.quant ? { quant: t.quant } : {}) });
    if (outputs.has(v)) storage.pin(v);
  };
  /** A value that is the bytes of `src` from `offset` (a view). */
  const view = (v: string, src: string, step: number, offset = 0, entry?: TensorInfo): void => {
    read(src, step);
    storage.alias(v, src, offset);
    const t = type(v);
    tensors.push(entry ?? { name: v, role: roleOf(v, 'activation'), dtype: t.dtype, shape: t.shape, ...(t.quant ? { quant: t.quant } : {}) });
    if (outputs.has(v)) storage.pin(v);
  };
  /** A temporary buffer of one step (its name is fresh), listed in the tensor table as scratch. */
  const temp = (base: string, dtype: DType, shape: readonly number[], step: number): string => {
    const name = fresh(base);
    const r = storage.newRoot('temp', bytesOf(dtype, shape), step);
    storage.bind(name, r);
    tensors.push({ name, role: 'scratch', dtype, shape });
    return name;
  };
  const host = (node: Node, step: number): Step => {
    invariant(isHostOp(node.op), `${who(node)} has no host function code`);
    for (const v of node.inputs) read(v, step);
    for (const v of node.outputs) define(v, step);
    return { kind: 'host', node, op: node.op };
  };
  const aliasStep = (node: Node, step: number, why: string, offset = 0): Step => {
    view(node.outputs[0]!, node.inputs[0]!, step, offset);
    return { kind: 'none', node, why };
  };
  /**
   * Concat-like nodes whose output is its inputs' bytes one after another (all axes before the joined one
   * have extent 1): each input that owns a whole activation buffer is placed at its slice of the output, so
   * its producer writes there directly. If every input could be placed, nothing is left to copy.
   */
  const concatenate = (node: Node, step: number, contiguous: boolean): Step => {
    const inputs = node.inputs.filter((v) => v !== '');
    if (contiguous && inputs.length === 1) return aliasStep(node, step, 'a single input: the output is its bytes');
    if (!contiguous) return host(node, step);
    const out = node.outputs[0]!;
    define(out, step);
    const outer = storage.locate(out).root;
    let offset = 0, placed = 0;
    for (const v of inputs) {
      const t = type(v), bytes = bytesOf(t.dtype, t.shape);
      const at = g.initializers.has(v) ? undefined : storage.locate(v);
      const once = inputs.indexOf(v) === inputs.lastIndexOf(v);
      if (at && once && at.offset === 0 && at.root.kind === 'activation' && at.root.bytes === bytes && at.root !== outer) {
        storage.place(at.root, outer, offset);
        placed++;
      }
      read(v, step);
      offset += bytes;
    }
    if (placed === inputs.length) return { kind: 'none', node, why: 'every input was written in place' };
    return { kind: 'host', node, op: node.op as HostOpName };
  };

  g.nodes.forEach((node, step) => {
    const s: Step = match(node)
      .with({ op: 'TileGemm' }, (n) => tileGemmStep(n, step))
      .with({ op: P.union('Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity') }, (n) => aliasStep(n, step, 'same bytes, another shape'))
      .with({ op: 'Transpose' }, (n) => (transposeIsReshape(type(n.inputs[0]!).shape, n.attrs.perm)
        ? aliasStep(n, step, 'the permutation moves only unit axes') : host(n, step)))
      .with({ op: 'Im2Col' }, (n) => {
        const geo = im2colGeometry(type(n.inputs[0]!).shape, n.attrs, who(n));
        return im2colIsView(geo)
          ? aliasStep(n, step, 'a 1x1 stride-1 window over batch 1: the matrix is x\'s channel rows', geo.channelStart * geo.positions)
          : host(n, step);
      })
      .with({ op: 'Lift' }, (n) => concatenate(n, step, type(n.outputs[0]!).shape[0] === 1))
      .with({ op: 'Concat' }, (n) => {
        const shape = type(n.outputs[0]!).shape;
        const axis = n.attrs.axis < 0 ? n.attrs.axis + shape.length : n.attrs.axis;
        return concatenate(n, step, shape.slice(0, axis).every((d) => d === 1));
      })
      .with({ op: 'Quantize' }, (n) => {
        if (!folds.folded.has(n)) return host(n, step);
        // Folded entry: the program input already holds these codes.
        return aliasStep(n, step, 'entry quantization: `tilec run` quantizes the input as the tensor table says');
      })
      .with({ op: 'Dequantize' }, (n) => {
        const fold = folds.exit.get(n.outputs[0]!);
        if (!fold || !folds.folded.has(n)) return host(n, step);
        const z = type(fold.source), y = n.outputs[0]!;
        view(y, fold.source, step, 0, { name: y, role: 'output', dtype: 'int8', shape: z.shape, quant: fold.quant });
        return { kind: 'none' as const, node: n, why: 'exit dequantization: `tilec run` dequantizes the output as the tensor table says' };
      })
      .with({ op: P.union('QConv', 'QGemm') }, (n) =>
        fail(`${who(n)} reached the backend unlowered: LOWER_PIPELINE turns it into Im2Col/TileGemm/Lift before emission`))
      .with({ op: P.union('QLinearConv', 'ConvInteger', 'MatMulInteger', 'QLinearMatMul', 'QuantizeLinear', 'DequantizeLinear') }, (n) =>
        fail(`${who(n)} is an ONNX quantization op; QUANT_PIPELINE realizes it as tilec's int8 ops before emission`))
      .with({
        op: P.union('Conv', 'Gemm', 'MatMul', 'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Softmax', 'MaxPool', 'AveragePool',
          'GlobalAveragePool', 'GlobalMaxPool', 'BatchNormalization', 'LRN', 'Add', 'Sub', 'Mul', 'Div', 'Sum', 'Pad', 'Shape',
          'Gather', 'Dropout', 'Constant', 'ConstantOfShape', 'Round', 'QAdd', 'QAveragePool', 'QGlobalAveragePool', 'Requantize'),
      }, (n) => host(n, step))
      .exhaustive();
    steps.push(s);
  });

  for (const y of g.outputs) {
    if (!storage.has(y)) fail(`graph output '${y}' is computed by no node and is no initializer`);
  }
  return { steps, storage, tensors, constants };

  function tileGemmStep(node: NodeOf<'TileGemm'>, step: number): Step {
    const [a, b, bias = ''] = node.inputs as [string, string, string?];
    if (!g.initializers.has(a)) fail(`${who(node)}: input a '${a}' (the weights) must be an initializer: the tiler reads A from constant DRAM`);
    if (bias !== '' && !g.initializers.has(bias)) fail(`${who(node)}: input bias '${bias}' must be an initializer`);
    const [m, k] = type(a).shape as [number, number];
    const out = node.outputs[0]!;
    const n = type(out).shape[1]!;
    constant(a, 'weight');
    if (bias !== '') constant(bias, 'bias');
    read(a, step);
    read(b, step);
    read(bias, step);
    define(out, step);
    const gather = gatherAttrs(node.attrs, (msg) => fail(`${who(node)}: ${msg}`));
    let source: GemmSource = { kind: 'matrix' };
    if (gather) {
      const geometry = im2colGeometry(type(b).shape, gather, who(node));
      if (im2colIsView(geometry)) source = { kind: 'view', geometry };
      else if (opts.hostIm2col) source = { kind: 'gather', gather, matrix: temp(`${node.name}:im2col`, 'int8', [k, n], step) };
      else {
        // The descriptor's bytes hold x's address, known only once DRAM is laid out: emission writes them.
        const descriptor = fresh(`${node.name}:gather`);
        const data = new Uint8Array(gatherDescriptorBytes(geometry.spatial.length));
        storage.bind(descriptor, storage.newRoot('constant', data.length, -1));
        constants.push({ name: descriptor, kind: 'int32', data });
        source = { kind: 'load', gather, geometry, descriptor };
      }
    }
    const at = node.attrs;
    const entries = at.multiplier.map((multiplier, i) => ({ multiplier, shift: at.shift[i]!, zeroPoint: at.zeroPoint }));
    const table = fresh(`${node.name}:requant`);
    const data = requantTableBytes(entries);
    storage.bind(table, storage.newRoot('constant', data.length, -1));
    constants.push({ name: table, kind: 'requant', data });
    tensors.push({ name: table, role: 'requant', dtype: 'int32', shape: [entries.length, 3] });
    const scratch = opts.scratch ? temp(`${node.name}:scratch`, 'int32', [m, n], step) : undefined;
    return { kind: 'gemm', node, m, n, k, source, table, ...(scratch ? { scratch } : {}) };
  }
}
