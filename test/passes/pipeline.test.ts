import { describe, expect, it } from 'vitest';
import { checkStage, STAGES } from '../../ir/stages.js';
import { tensor } from '../../ir/tensor.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { evaluateRef, maxRelErr, runGraph } from './reference.js';
import { buildGraph, i64, node, randomTensor, vt } from './build.js';

const ctx = { evaluate: evaluateRef, options: {} };

// What exporters produce: BN parameters as Constant nodes, an Identity between Conv and BN, Dropout before
// the classifier, a Shape -> Gather -> Unsqueeze -> Concat chain building the Flatten-like Reshape shape,
// and a Gemm followed by BN.
const exported = () => buildGraph({
  inputs: { x: vt('float32', [2, 3, 5, 5]) },
  initializers: {
    w: randomTensor([4, 3, 3, 3], 1), fc_w: randomTensor([6, 36], 2), fc_b: randomTensor([6], 3), zero: tensor('int64', [], [0]),
    scale2: randomTensor([6], 4), bias2: randomTensor([6], 5), mean2: randomTensor([6], 6), var2: randomTensor([6], 7, 0.5, 1.5),
  },
  nodes: [
    node('Constant', 'k_scale', [], ['scale'], { value: randomTensor([4], 8) }),
    node('Constant', 'k_bias', [], ['bias'], { value: randomTensor([4], 9) }),
    node('Constant', 'k_mean', [], ['mean'], { value: randomTensor([4], 10) }),
    node('Constant', 'k_var', [], ['var'], { value: randomTensor([4], 11, 0.5, 1.5) }),
    node('Conv', 'conv', ['x', 'w'], ['c'], { group: 1, auto_pad: 'NOTSET' }),
    node('Identity', 'copy', ['c'], ['c2'], {}),
    node('BatchNormalization', 'bn', ['c2', 'scale', 'bias', 'mean', 'var'], ['b'], { epsilon: 1e-5 }),
    node('Relu', 'relu', ['b'], ['r'], {}),
    node('Shape', 'shape', ['r'], ['s'], { start: 0 }),
    node('Gather', 'batch', ['s', 'zero'], ['n'], { axis: 0 }),
    node('Unsqueeze', 'unsq', ['n'], ['n1'], { axes: [0] }),
    node('Constant', 'k_m1', [], ['m1'], { value: i64([-1]) }),
    node('Concat', 'cat', ['n1', 'm1'], ['shp'], { axis: 0 }),
    node('Reshape', 'flatten', ['r', 'shp'], ['f'], { allowzero: 0 }),
    node('Dropout', 'drop', ['f'], ['d', 'mask'], { ratio: 0.5 }),
    node('Gemm', 'fc', ['d', 'fc_w', 'fc_b'], ['g'], { alpha: 1, beta: 1, transA: 0, transB: 1 }),
    node('BatchNormalization', 'bn2', ['g', 'scale2', 'bias2', 'mean2', 'var2'], ['y'], { epsilon: 1e-5 }),
  ],
  outputs: ['y'],
  types: { f: vt('float32', [2, 36]) },
});

describe('FLOAT_PIPELINE', () => {
  it('leaves Conv, Relu, Reshape, Gemm with folded weights and nothing dead, and satisfies the float stage', () => {
    const g = exported();
    const { graph, timings } = runPasses(g, FLOAT_PIPELINE, ctx);
    expect(timings.map((t) => [t.pass, t.changed])).toEqual([
      ['fold-constants', true], ['remove-identity', true], ['fold-bias', false], ['fold-batchnorm', true], ['dce', true],
    ]);
    expect(graph.nodes.map((n) => `${n.op} ${n.name}`)).toEqual(['Conv conv', 'Relu relu', 'Reshape flatten', 'Gemm fc']);
    expect([...graph.initializers.keys()].sort()).toEqual(['conv_b_bn', 'conv_w_bn', 'fc_c_bn', 'fc_w_bn', 'shp']);
    expect(graph.outputs).toEqual(['y']);
    checkStage(graph, STAGES.float);
    // A second run is a no-op: the pipeline reaches its fixed point in one go.
    expect(runPasses(graph, FLOAT_PIPELINE, ctx).graph).toBe(graph);
  });

  it('preserves the outputs within 1e-5 relative', () => {
    const g = exported();
    const { graph } = runPasses(g, FLOAT_PIPELINE, ctx);
    const x = randomTensor([2, 3, 5, 5], 42);
    const err = maxRelErr(runGraph(graph, { x }).get('y')!, runGraph(g, { x }).get('y')!);
    expect(err).toBeLessThan(1e-5);
  });
});
