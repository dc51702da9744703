// Small realized (stage `quantized`) graphs for the text, verifier and end-to-end tests, built by hand
// with ir/arith the way the realize pass builds them (a test-local stand-in for that pass):
//   float:    x -> Conv(W, b) -> Relu -> MaxPool -> Reshape -> Gemm(B, c) -> y
//   realized: x -> Quantize -> QConv (ReLU fused) -> MaxPool -> Reshape -> QGemm -> Dequantize -> y
import {
  clampBounds, foldInputZeroPoint, qRange, quantizeBias, quantizeMultiplier, requantMultiplier, seedCode, seedQuantParams, seedStep,
} from '../../ir/arith.js';
import type { Graph, QuantParams } from '../../ir/graph.js';
import { type Tensor, numel, scalar, tensor } from '../../ir/tensor.js';
import { runGraph } from '../../runtime/interpreter.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { T, graph, i64, mk } from './build.js';

/** The graph with quant params set on some values. */
export function withQuants(g: Graph, quants: Record<string, QuantParams>): Graph {
  const values = new Map(g.values);
  for (const [name, quant] of Object.entries(quants)) {
    const t = values.get(name);
    if (!t) throw new Error(`fixture: no value '${name}'`);
    values.set(name, { ...t, quant });
  }
  return { ...g, values };
}

/** Deterministic pseudo-random floats in [-1, 1) (a tiny LCG: fixtures must not depend on Math.random). */
export function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const maxAbs = (d: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i]!)); return m; };

export const X_SHAPE = [1, 2, 6, 6] as const;
const CONV_OUT = 4, FC_OUT = 5;
export const WEIGHT_BITS = 6;

export interface MiniModel {
  readonly float: Graph;
  readonly realized: Graph;
  /** The calibration / test input. */
  readonly x: Tensor;
}

/**
 * The float mini CNN and its realization. Activations are 8-bit; conv weights WEIGHT_BITS-bit per output
 * channel, the fully connected weight 8-bit per tensor and stored [N, K] (transB). The input zero point is
 * non-zero (3) so the folded bias and padValue matter; the ReLU output is always positive (zero point -128).
 */
export function miniModel(seed = 7): MiniModel {
  const W = tensor('float32', [CONV_OUT, 2, 3, 3], floats(CONV_OUT * 18, seed + 1));
  const b = tensor('float32', [CONV_OUT], floats(CONV_OUT, seed + 2).map((v) => v * 0.2));
  const B = tensor('float32', [FC_OUT, 36], floats(FC_OUT * 36, seed + 3).map((v) => v * 0.3));
  const c = tensor('float32', [FC_OUT], floats(FC_OUT, seed + 4).map((v) => v * 0.1));
  const x = tensor('float32', [...X_SHAPE], floats(numel(X_SHAPE), seed + 5).map((v) => v * 2));
  const conv = { group: 1, auto_pad: 'NOTSET' as const, pads: [1, 1, 1, 1] };
  const pool = { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'NOTSET' as const, ceil_mode: 0, count_include_pad: 0, storage_order: 0 };

  const float = graph({
    name: 'mini',
    inputs: { x: T('float32', ...X_SHAPE) },
    initializers: { W, b, B, c, shape: i64(1, -1) },
    nodes: [
      mk('Conv', ['x', 'W', 'b'], conv, ['conv'], 'conv'),
      mk('Relu', ['conv'], {}, ['r'], 'relu'),
      mk('MaxPool', ['r'], pool, ['p'], 'pool'),
      mk('Reshape', ['p', 'shape'], { allowzero: 0 }, ['flat'], 'flatten'),
      mk('Gemm', ['flat', 'B', 'c'], { alpha: 1, beta: 1, transA: 0, transB: 1 }, ['y'], 'fc'),
    ],
    outputs: ['y'],
  });
  // Calibration on the input itself: alpha = max|value| of every activation (the seed's first batch).
  const seen = runGraph(float, new Map([['x', x]]), evaluateFloat, { keepAll: true });
  const alpha = (name: string): number => maxAbs(seen.get(name)!.data);

  // Input: scale from alpha, but zero point 3 (an asymmetric input) to exercise folding and padding.
  const sx = seedStep(alpha('x'), 8), zx = 3;
  // Conv weights, seed quantizer per output channel.
  const perM = W.data.length / CONV_OUT;
  const wAlpha = Array.from({ length: CONV_OUT }, (_, o) => maxAbs(W.data.subarray(o * perM, (o + 1) * perM)));
  const sw = wAlpha.map((a) => seedStep(a, WEIGHT_BITS));
  const Wq = tensor('int8', W.shape, Array.from(W.data, (v, i) => seedCode(v, wAlpha[Math.floor(i / perM)]!, WEIGHT_BITS, false)));
  const rowSum = (t: Tensor, o: number, n: number): number => { let s = 0; for (let k = 0; k < n; k++) s += t.data[o * n + k]!; return s; };
  const bq = tensor('int32', [CONV_OUT], Array.from(b.data, (v, o) => foldInputZeroPoint(quantizeBias(v, sx, sw[o]!), rowSum(Wq, o, perM), zx)));
  // ReLU output: always positive.
  const r = seedQuantParams(alpha('r'), 8, true);
  const convMults = sw.map((s) => requantMultiplier(sx, s, r.scale));
  const [rLo, rHi] = clampBounds({ min: 0 }, r.scale, r.zeroPoint, 8);
  // Fully connected: per-tensor 8-bit weight [N, K].
  const bAlpha = maxAbs(B.data), sB = seedStep(bAlpha, 8);
  const Bq = tensor('int8', B.shape, Array.from(B.data, (v) => seedCode(v, bAlpha, 8, false)));
  const cq = tensor('int32', [FC_OUT], Array.from(c.data, (v, j) => foldInputZeroPoint(quantizeBias(v, r.scale, sB), rowSum(Bq, j, 36), r.zeroPoint)));
  const y = seedQuantParams(alpha('y'), 8, false);
  const fcMult = requantMultiplier(r.scale, sB, y.scale);
  const [qlo, qhi] = qRange(8, true);

  const realizedNoQuant = graph({
    name: 'mini',
    inputs: { x: T('float32', ...X_SHAPE) },
    initializers: { W: Wq, b: bq, B: Bq, c: cq, shape: i64(1, -1) },
    nodes: [
      mk('Quantize', ['x'], { scale: sx, zeroPoint: zx, qmin: qlo, qmax: qhi }, ['x:q'], 'x:quantize'),
      mk('QConv', ['x:q', 'W', 'b'], {
        ...conv, multiplier: convMults.map((m) => m.multiplier), shift: convMults.map((m) => m.shift),
        zeroPoint: r.zeroPoint, qmin: rLo, qmax: rHi, padValue: zx,
      }, ['r'], 'conv'),
      mk('MaxPool', ['r'], pool, ['p'], 'pool'),
      mk('Reshape', ['p', 'shape'], { allowzero: 0 }, ['flat'], 'flatten'),
      mk('QGemm', ['flat', 'B', 'c'], { transB: 1, multiplier: [fcMult.multiplier], shift: [fcMult.shift], zeroPoint: y.zeroPoint, qmin: qlo, qmax: qhi }, ['y:q'], 'fc'),
      mk('Dequantize', ['y:q'], { scale: y.scale, zeroPoint: y.zeroPoint }, ['y'], 'y:dequantize'),
    ],
    outputs: ['y'],
  });
  const act = (q: { scale: number; zeroPoint: number }): QuantParams => ({ scale: [q.scale], zeroPoint: [q.zeroPoint], bits: 8 });
  const realized = withQuants(realizedNoQuant, {
    'x:q': act({ scale: sx, zeroPoint: zx }),
    W: { scale: sw, zeroPoint: sw.map(() => 0), axis: 0, bits: WEIGHT_BITS },
    b: { scale: sw.map((s) => sx * s), zeroPoint: sw.map(() => 0), axis: 0, bits: 32 },
    r: act(r), p: act(r), flat: act(r),
    B: { scale: [sB], zeroPoint: [0], bits: 8 },
    c: { scale: [r.scale * sB], zeroPoint: [0], bits: 32 },
    'y:q': act(y),
  });
  return { float, realized, x };
}

/**
 * One realized graph holding every other tilec op and the int8 movement ops (for the text round trip and
 * the verifier): 4-bit activations, a Requantize before a Concat, QAdd, the two average pools, a Pad with
 * the zero point, Round on a float island, and a Dequantize of int32.
 */
export function everyRealizedOp(): Graph {
  const a4 = (scale: number, zeroPoint: number): QuantParams => ({ scale: [scale], zeroPoint: [zeroPoint], bits: 4 });
  const qa = a4(0.25, 0), qb = a4(0.125, -8), qc = a4(0.5, 1);
  const add = { leftShift: 20, a: quantizeMultiplier(0.25 / 0.5), b: quantizeMultiplier(0.125 / 0.5), out: quantizeMultiplier(0.5 / (2 ** 20 * 0.5)) };
  const pool = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], auto_pad: 'NOTSET' as const, ceil_mode: 1, count_include_pad: 1, storage_order: 0 };
  const rq = quantizeMultiplier(0.125 / 0.25);
  const g = graph({
    name: 'every realized op',
    inputs: { x: T('float32', 1, 2, 4, 4) },
    initializers: { pads: i64(0, 0, 1, 1, 0, 0, 1, 1), zb: scalar('int8', -8), acc: tensor('int32', [2], [123456, -7]) },
    nodes: [
      mk('Round', ['x'], {}, ['xr'], 'round'),
      mk('Quantize', ['xr'], { scale: 0.25, zeroPoint: 0, qmin: -8, qmax: 7 }, ['a'], 'qa'),
      mk('Quantize', ['x'], { scale: 0.125, zeroPoint: -8, qmin: -8, qmax: 7 }, ['b'], 'qb'),
      mk('QAdd', ['a', 'b'], {
        leftShift: add.leftShift, aMultiplier: add.a.multiplier, aShift: add.a.shift, aZeroPoint: 0,
        bMultiplier: add.b.multiplier, bShift: add.b.shift, bZeroPoint: -8, outMultiplier: add.out.multiplier, outShift: add.out.shift,
        zeroPoint: 1, qmin: -8, qmax: 7,
      }, ['s'], 'add'),
      mk('Requantize', ['a'], { multiplier: [rq.multiplier], shift: [rq.shift], zeroPoint: -8, qmin: -8, qmax: 7, inZeroPoint: 0 }, ['a:rq'], 'a:requantize'),
      mk('Concat', ['a:rq', 'b'], { axis: 1 }, ['cat'], 'concat'),
      mk('Pad', ['b', 'pads', 'zb'], { mode: 'constant' }, ['bp'], 'pad'),
      mk('QAveragePool', ['s'], { ...pool, zeroPoint: 1 }, ['avg'], 'avgpool'),
      mk('QGlobalAveragePool', ['avg'], { zeroPoint: 1 }, ['gap'], 'gap'),
      mk('Dequantize', ['gap'], { scale: 0.5, zeroPoint: 1 }, ['y'], 'y:dequantize'),
      mk('Dequantize', ['acc'], { scale: 1e-6, zeroPoint: 0 }, ['acc:f'], 'acc:dequantize'),
    ],
    outputs: ['y', 'cat', 'bp', 'acc:f'],
  });
  return withQuants(g, {
    a: qa, b: qb, s: qc, 'a:rq': qb, cat: qb, bp: qb, avg: qc, gap: qc,
    acc: { scale: [1e-6], zeroPoint: [0], bits: 32 },
  });
}
