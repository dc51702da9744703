// Shared pieces of the quantization pass tests: hand-written statistics, calibration on seeded random data,
// and QUANT_PIPELINE through the pass manager (so the verifier and the stage check run after every pass).
import type { Graph } from '../../../ir/graph.js';
import type { CalibMethod, CalibrationStats, TensorStats } from '../../../ir/quant/stats.js';
import type { Tensor } from '../../../ir/tensor.js';
import { runPasses } from '../../../passes/manager.js';
import { QUANT_PIPELINE } from '../../../passes/pipeline.js';
import { calibrate } from '../../../runtime/calibrate.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { buildGraph, f32, node, randomTensor, vt } from '../build.js';

/** Statistics written by hand: per tensor [min, max, max|x| of the first batch]. */
export function handStats(t: Record<string, readonly [number, number, number]>, method: CalibMethod = 'seed'): CalibrationStats {
  const tensors = new Map<string, TensorStats>(Object.entries(t).map(([k, [min, max, first]]) => [k, { count: 100, min, max, firstBatchAbsMax: first }]));
  return { method, batchSize: 1, samples: 100, batches: 100, tensors };
}

/** Feeds of sample i: every graph input uniform in [lo, hi), seeded by i. */
export const randomFeeds = (g: Graph, lo = -1, hi = 1) => (i: number): ReadonlyMap<string, Tensor> =>
  new Map(g.inputs.map((name, k) => [name, randomTensor(g.values.get(name)!.shape, 1000 + 97 * i + k, lo, hi)]));

export function calibrated(g: Graph, method: CalibMethod, samples = 16, batchSize = 4, lo = -1, hi = 1): CalibrationStats {
  return calibrate(g, randomFeeds(g, lo, hi), samples, { method, batchSize });
}

/** QUANT_PIPELINE with these options through the pass manager. */
export function quantize(g: Graph, options: Record<string, unknown>): Graph {
  return runPasses(g, QUANT_PIPELINE, { evaluate: evaluateFloat, options }).graph;
}

export const opsOf = (g: Graph): string[] => g.nodes.map((n) => n.op);

// x -> Conv(+b) -> c -> Relu -> r -> MaxPool -> p -> Flatten -> f -> Gemm(W^T, C) -> y
export const convNet = (): Graph => buildGraph({
  inputs: { x: vt('float32', [1, 1, 4, 4]) },
  initializers: {
    w: f32([2, 1, 2, 2], [0.5, -0.25, 0.125, 1, -0.75, 0.5, 0.25, -0.5]), b: f32([2], [0.1, -0.2]),
    W: randomTensor([3, 8], 5), C: f32([3], [0.5, 0, -0.5]),
  },
  nodes: [
    node('Conv', 'conv', ['x', 'w', 'b'], ['c'], { group: 1, auto_pad: 'NOTSET', pads: [1, 1, 0, 0] }),
    node('Relu', 'relu', ['c'], ['r'], {}),
    node('MaxPool', 'pool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0 }),
    node('Flatten', 'flat', ['p'], ['f'], { axis: 1 }),
    node('Gemm', 'fc', ['f', 'W', 'C'], ['y'], { alpha: 1, beta: 1, transA: 0, transB: 1 }),
  ],
  outputs: ['y'],
});

/** Hand statistics of convNet: [min, max, max|x| of the first batch]. */
export const convNetStats = () => handStats({ x: [-1.5, 1.75, 2], c: [-3, 5, 4.5], r: [0, 5, 4], p: [0, 5, 4], f: [0, 5, 4], y: [-9, 7, 8] });

