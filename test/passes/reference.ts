// A tiny, obviously-correct float64 evaluator for the ops the float reference does not have yet
// (Conv, BatchNormalization, Gemm), falling back to runtime/float for the rest, plus a graph runner.
// Only for checking that passes preserve numbers; deliberately naive.
import type { Evaluate, Graph } from '../../ir/graph.js';
import { windowGeometry } from '../../ir/geometry.js';
import type { NodeOf } from '../../ir/ops.js';
import { numel, strides, tensor, type Tensor } from '../../ir/tensor.js';
import { evaluateFloat } from '../../runtime/float/index.js';

function conv2d(n: NodeOf<'Conv'>, [x, w, b]: readonly (Tensor | undefined)[]): Tensor[] {
  const [N, , H, W] = x!.shape as [number, number, number, number];
  const [M, Cg, KH, KW] = w!.shape as [number, number, number, number];
  const geo = windowGeometry([H, W], [KH, KW], n.attrs, n.name);
  const [OH, OW] = geo.out as [number, number];
  const G = n.attrs.group, Mg = M / G;
  const out = tensor('float32', [N, M, OH, OW]);
  const xs = strides(x!.shape), ws = strides(w!.shape);
  for (let b0 = 0; b0 < N; b0++) for (let m = 0; m < M; m++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = b ? b.data[m]! : 0;
    const g0 = Math.floor(m / Mg);
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * geo.strides[0]! - geo.padsBegin[0]! + kh * geo.dilations[0]!;
      const iw = ow * geo.strides[1]! - geo.padsBegin[1]! + kw * geo.dilations[1]!;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      acc += x!.data[b0 * xs[0]! + (g0 * Cg + c) * xs[1]! + ih * xs[2]! + iw]! * w!.data[m * ws[0]! + c * ws[1]! + kh * ws[2]! + kw]!;
    }
    out.data[((b0 * M + m) * OH + oh) * OW + ow] = acc;
  }
  return [out];
}

function batchNorm(n: NodeOf<'BatchNormalization'>, [x, scale, bias, mean, variance]: readonly (Tensor | undefined)[]): Tensor[] {
  const C = x!.shape[1]!, inner = numel(x!.shape.slice(2));
  const out = tensor('float32', x!.shape);
  for (let i = 0; i < numel(x!.shape); i++) {
    const c = Math.floor(i / inner) % C;
    out.data[i] = (x!.data[i]! - mean!.data[c]!) / Math.sqrt(variance!.data[c]! + n.attrs.epsilon) * scale!.data[c]! + bias!.data[c]!;
  }
  return [out];
}

function gemm(n: NodeOf<'Gemm'>, [a, b, c]: readonly (Tensor | undefined)[]): Tensor[] {
  const { alpha, beta, transA, transB } = n.attrs;
  const M = transA ? a!.shape[1]! : a!.shape[0]!, K = transA ? a!.shape[0]! : a!.shape[1]!;
  const N = transB ? b!.shape[0]! : b!.shape[1]!;
  const at = (i: number, k: number): number => a!.data[transA ? k * M + i : i * K + k]!;
  const bt = (k: number, j: number): number => b!.data[transB ? j * K + k : k * N + j]!;
  const cd = c ? [...new Array<number>(2 - c.shape.length).fill(1), ...c.shape] : [1, 1];
  const out = tensor('float32', [M, N]);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += at(i, k) * bt(k, j);
    const cv = c ? c.data[(cd[0] === 1 ? 0 : i) * cd[1]! + (cd[1] === 1 ? 0 : j)]! : 0;
    out.data[i * N + j] = alpha * acc + beta * cv;
  }
  return [out];
}

export const evaluateRef: Evaluate = (node, inputs) => {
  switch (node.op) {
    case 'Conv': return conv2d(node, inputs);
    case 'BatchNormalization': return batchNorm(node, inputs);
    case 'Gemm': return gemm(node, inputs);
    default: return evaluateFloat(node, inputs);
  }
};

/** Runs a graph node by node; returns the graph outputs by name. */
export function runGraph(g: Graph, feeds: Record<string, Tensor>, evaluate: Evaluate = evaluateRef): Map<string, Tensor> {
  const env = new Map<string, Tensor>([...g.initializers, ...Object.entries(feeds)]);
  for (const n of g.nodes) {
    const outs = evaluate(n, n.inputs.map((i) => (i === '' ? undefined : env.get(i))));
    n.outputs.forEach((o, k) => { if (o !== '') env.set(o, outs[k]!); });
  }
  return new Map(g.outputs.map((o) => [o, env.get(o)!]));
}

/**
 * max|a-b| / max|b|: error relative to the reference output's magnitude. (Per-element relative error is
 * meaningless for outputs near zero, where float32 rounding of the two computation orders dominates.)
 */
export function maxRelErr(a: Tensor, b: Tensor): number {
  let diff = 0, mag = 0;
  for (let i = 0; i < b.data.length; i++) {
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
    mag = Math.max(mag, Math.abs(b.data[i]!));
  }
  return diff / Math.max(mag, Number.MIN_VALUE);
}
