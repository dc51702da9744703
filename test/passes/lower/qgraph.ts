// Hand-built realized int8 graphs (one QConv or QGemm) for the lowering tests: random codes from a fixed
// LCG, quant params the verifier accepts, and helpers to lower and run them with the reference evaluator.
import { qRange, quantizeMultiplier } from '../../../ir/arith.js';
import type { Graph, QuantParams, ValueType } from '../../../ir/graph.js';
import { inferNode } from '../../../ir/infer.js';
import type { AutoPad, Node, QConvAttrs, QGemmAttrs, RequantAttrs } from '../../../ir/ops.js';
import { type Tensor, numel, tensor } from '../../../ir/tensor.js';
import { verifyGraph } from '../../../ir/verify.js';
import { runPasses } from '../../../passes/manager.js';
import { LOWER_PIPELINE } from '../../../passes/pipeline.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runGraph } from '../../../runtime/interpreter.js';

/** Deterministic integers in [lo, hi] (a fixed LCG: tests must be reproducible). */
export function lcg(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0 || 1;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + Math.floor((s / 2 ** 32) * (hi - lo + 1));
  };
}

export const act = (bits: number, zeroPoint: number, scale = 0.02): QuantParams => ({ scale: [scale], zeroPoint: [zeroPoint], bits });

/** Per-channel (along `axis`, `channels` scales) or per-tensor symmetric weight / bias params. */
export function channelQuant(bits: number, channels: number, perChannel: boolean, axis: number, rnd: (lo: number, hi: number) => number): QuantParams {
  if (!perChannel) return { scale: [0.01], zeroPoint: [0], bits };
  return { scale: Array.from({ length: channels }, () => rnd(1, 100) / 1000), zeroPoint: new Array<number>(channels).fill(0), axis, bits };
}

export function codes(dtype: 'int8' | 'int32', shape: readonly number[], lo: number, hi: number, rnd: (lo: number, hi: number) => number): Tensor {
  const t = tensor(dtype, shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rnd(lo, hi);
  return t;
}

/** Requant attributes with random Q31 multipliers (one per channel or one), zero point and clamp of `out`. */
export function randomRequant(channels: number, perChannel: boolean, out: QuantParams, rnd: (lo: number, hi: number) => number): RequantAttrs {
  const n = perChannel ? channels : 1;
  const ms = Array.from({ length: n }, () => quantizeMultiplier(rnd(1000, 4000) / 2 ** rnd(20, 24)));
  const [lo, hi] = qRange(out.bits, true);
  const qmin = rnd(lo, lo + 2), qmax = rnd(hi - 2, hi);
  return { multiplier: ms.map((m) => m.multiplier), shift: ms.map((m) => m.shift), zeroPoint: out.zeroPoint[0]!, qmin, qmax };
}

/** A one-node graph: `x` (input, with its quant) -> node -> `y` (with quant `yq`); initializers carry their quant. */
export function oneNodeGraph(name: string, x: ValueType, inits: Record<string, { t: Tensor; q: QuantParams }>, node: Node, yq: QuantParams): Graph {
  const values = new Map<string, ValueType>([['x', x]]);
  const initializers = new Map<string, Tensor>();
  for (const [k, { t, q }] of Object.entries(inits)) {
    initializers.set(k, t);
    values.set(k, { dtype: t.dtype, shape: t.shape, quant: q });
  }
  const [yt] = inferNode(node, node.inputs.map((i) => (i === '' ? undefined : values.get(i))), (i) => initializers.get(node.inputs[i] ?? ''));
  values.set('y', { ...yt!, quant: yq });
  const g: Graph = { name, inputs: ['x'], outputs: ['y'], nodes: [node], values, initializers, opsets: new Map([['', 17]]) };
  verifyGraph(g);
  return g;
}

export interface ConvCase {
  readonly batch: number;
  readonly group: number;
  readonly cPerGroup: number;
  readonly oPerGroup: number;
  readonly spatial: readonly number[];
  readonly kernel: readonly number[];
  readonly strides?: readonly number[];
  readonly dilations?: readonly number[];
  readonly pads?: readonly number[];
  readonly autoPad: AutoPad;
  readonly xBits: number;
  readonly wBits: number;
  readonly perChannel: boolean;
  readonly bias: boolean;
  readonly seed: number;
}

export function qconvGraph(c: ConvCase): Graph {
  const rnd = lcg(c.seed);
  const C = c.group * c.cPerGroup, O = c.group * c.oPerGroup;
  const [xlo, xhi] = qRange(c.xBits, true), [wlo, whi] = qRange(c.wBits, true);
  const xq = act(c.xBits, rnd(xlo, xhi)), yq = act(8, rnd(-128, 127), 0.05);
  const inits: Record<string, { t: Tensor; q: QuantParams }> = {
    w: { t: codes('int8', [O, c.cPerGroup, ...c.kernel], wlo, whi, rnd), q: channelQuant(c.wBits, O, c.perChannel, 0, rnd) },
  };
  if (c.bias) inits['b'] = { t: codes('int32', [O], -(2 ** 14), 2 ** 14, rnd), q: { ...channelQuant(32, O, c.perChannel, 0, rnd), bits: 32 } };
  const attrs: QConvAttrs = {
    group: c.group, auto_pad: c.autoPad, kernel_shape: c.kernel,
    ...(c.strides ? { strides: c.strides } : {}), ...(c.dilations ? { dilations: c.dilations } : {}), ...(c.pads ? { pads: c.pads } : {}),
    ...randomRequant(O, c.perChannel, yq, rnd), padValue: xq.zeroPoint[0]!,
  };
  const node: Node = { op: 'QConv', name: 'conv', inputs: c.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'], attrs };
  return oneNodeGraph('qconv', { dtype: 'int8', shape: [c.batch, C, ...c.spatial], quant: xq }, inits, node, yq);
}

export interface GemmCase {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transB: number;
  readonly perChannel: boolean;
  readonly bias: boolean;
  readonly xBits: number;
  readonly seed: number;
}

export function qgemmGraph(c: GemmCase): Graph {
  const rnd = lcg(c.seed);
  const [xlo, xhi] = qRange(c.xBits, true);
  const xq = act(c.xBits, rnd(xlo, xhi)), yq = act(8, rnd(-128, 127), 0.05);
  const inits: Record<string, { t: Tensor; q: QuantParams }> = {
    w: { t: codes('int8', c.transB ? [c.n, c.k] : [c.k, c.n], -128, 127, rnd), q: channelQuant(8, c.n, c.perChannel, c.transB ? 0 : 1, rnd) },
  };
  if (c.bias) inits['b'] = { t: codes('int32', [c.n], -(2 ** 14), 2 ** 14, rnd), q: { ...channelQuant(32, c.n, c.perChannel, 0, rnd), bits: 32 } };
  const attrs: QGemmAttrs = { ...randomRequant(c.n, c.perChannel, yq, rnd), transB: c.transB };
  const node: Node = { op: 'QGemm', name: 'fc', inputs: c.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'], attrs };
  return oneNodeGraph('qgemm', { dtype: 'int8', shape: [c.m, c.k], quant: xq }, inits, node, yq);
}

/** LOWER_PIPELINE through the pass manager (verifier and stage check after every pass). */
export const lower = (g: Graph, im2col: 'explicit' | 'implicit' = 'explicit'): Graph =>
  runPasses(g, LOWER_PIPELINE, { evaluate: evaluateFloat, options: { im2col } }).graph;

/** Random codes for the graph input x, within its quant's code range. */
export function feedX(g: Graph, seed: number): Map<string, Tensor> {
  const t = g.values.get('x')!;
  const [lo, hi] = qRange(t.quant!.bits, true);
  return new Map([['x', codes('int8', t.shape, lo, hi, lcg(seed))]]);
}

export const runY = (g: Graph, feeds: ReadonlyMap<string, Tensor>): Int8Array => runGraph(g, feeds, evaluateFloat).get('y')!.data as Int8Array;

export const size = (t: ValueType): number => numel(t.shape);
