import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Graph } from '../../ir/graph.js';
import type { ConvAttrs } from '../../ir/ops.js';
import type { Tensor } from '../../ir/tensor.js';
import { verifyGraph } from '../../ir/verify.js';
import { eliminateDeadCode } from '../../passes/dce.js';
import { foldBatchNorm, foldBatchNormPass, foldChannelAffine } from '../../passes/fold-batchnorm.js';
import { maxRelErr, evaluateRef, runGraph } from './reference.js';
import { buildGraph, f32, node, ops, randomTensor, vt } from './build.js';

const ctx = { evaluate: evaluateRef, options: {} };
const conv = (attrs: Partial<ConvAttrs> = {}): ConvAttrs => ({ group: 1, auto_pad: 'NOTSET', ...attrs });

/** BN parameters for `c` channels; variance strictly positive, some scales negative. */
const bnParams = (c: number, seed: number): Record<string, Tensor> => {
  const variance = randomTensor([c], seed + 3, 0.1, 2);
  return {
    scale: randomTensor([c], seed, -2, 2), bias: randomTensor([c], seed + 1), mean: randomTensor([c], seed + 2), var: variance,
  };
};
const bnNode = (x: string, y: string, epsilon = 1e-5) => node('BatchNormalization', 'bn', [x, 'scale', 'bias', 'mean', 'var'], [y], { epsilon });

function convBn(opts: { c: number; m: number; group: number; bias: boolean; seed: number; hw: number; k: number; stride: number; pad: number }): Graph {
  const { c, m, group, bias, seed, hw, k, stride, pad } = opts;
  return buildGraph({
    inputs: { x: vt('float32', [2, c, hw, hw]) },
    initializers: {
      w: randomTensor([m, c / group, k, k], seed + 10), ...(bias ? { b: randomTensor([m], seed + 11) } : {}), ...bnParams(m, seed),
    },
    nodes: [
      node('Conv', 'conv', ['x', 'w', ...(bias ? ['b'] : [])], ['t'], conv({ group, strides: [stride, stride], pads: [pad, pad, pad, pad] })),
      bnNode('t', 'y', 1e-3),
    ],
    outputs: ['y'],
  });
}

/** Runs g and fold-batchnorm + dce of g on the same input and returns the worst relative error. */
function foldError(g: Graph, seed: number): number {
  const folded = eliminateDeadCode(foldBatchNormPass.run(g, ctx));
  for (const op of ['BatchNormalization', 'Mul', 'Add', 'Sub', 'Div']) expect(ops(folded)).not.toContain(op);
  verifyGraph(folded);
  const x = randomTensor(g.values.get(g.inputs[0]!)!.shape, seed + 99);
  const want = runGraph(g, { [g.inputs[0]!]: x }).get('y')!;
  const got = runGraph(folded, { [g.inputs[0]!]: x }).get('y')!;
  expect(got.shape).toEqual(want.shape);
  return maxRelErr(got, want);
}

describe('foldBatchNorm rule', () => {
  it('folds BN into the Conv: one Conv with the old name, the BN output, new weight and bias', () => {
    const g = convBn({ c: 2, m: 3, group: 1, bias: false, seed: 1, hw: 4, k: 3, stride: 1, pad: 1 });
    const r = foldBatchNorm(g.nodes[1]!, g)!;
    expect(r.remove).toEqual(['conv']);
    expect(r.replace).toHaveLength(1);
    const fused = r.replace[0]!;
    expect([fused.op, fused.name, fused.outputs]).toEqual(['Conv', 'conv', ['y']]);
    expect(fused.inputs).toEqual(['x', 'conv_w_bn', 'conv_b_bn']);
    expect(r.newInitializers!.get('conv_w_bn')!.shape).toEqual([3, 2, 3, 3]);
    expect(r.newInitializers!.get('conv_b_bn')!.shape).toEqual([3]);
    expect(foldBatchNorm(g.nodes[0]!, g)).toBeUndefined();
  });

  it('computes W*s and s*(b-mean)+B exactly on a 1x1 example', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [1, 1, 1, 1]) },
      initializers: { w: f32([2, 1, 1, 1], [2, -3]), b: f32([2], [1, 1]), scale: f32([2], [1, 2]), bias: f32([2], [0.5, 0]), mean: f32([2], [1, 3]), var: f32([2], [4, 0.25]) },
      nodes: [node('Conv', 'conv', ['x', 'w', 'b'], ['t'], conv()), bnNode('t', 'y', 0)],
      outputs: ['y'],
    });
    const r = foldBatchNorm(g.nodes[1]!, g)!;
    // s = [1/2, 2/0.5] = [0.5, 4]
    expect([...r.newInitializers!.get('conv_w_bn')!.data]).toEqual([1, -12]);
    expect([...r.newInitializers!.get('conv_b_bn')!.data]).toEqual([0.5 * (1 - 1) + 0.5, 4 * (1 - 3)]);
  });

  it('does not fold after a non-Conv, into a Conv whose output has other readers, or with non-constant weights', () => {
    const afterRelu = buildGraph({
      inputs: { x: vt('float32', [1, 3, 2, 2]) }, initializers: bnParams(3, 5),
      nodes: [node('Relu', 'r', ['x'], ['t'], {}), bnNode('t', 'y')], outputs: ['y'],
    });
    expect(foldBatchNorm(afterRelu.nodes[1]!, afterRelu)).toBeUndefined();

    const shared = buildGraph({
      inputs: { x: vt('float32', [1, 2, 3, 3]) }, initializers: { w: randomTensor([3, 2, 1, 1], 1), ...bnParams(3, 5) },
      nodes: [node('Conv', 'conv', ['x', 'w'], ['t'], conv()), bnNode('t', 'y'), node('Relu', 'r', ['t'], ['z'], {})],
      outputs: ['y', 'z'],
    });
    expect(foldBatchNorm(shared.nodes[1]!, shared)).toBeUndefined();

    const asOutput = buildGraph({
      inputs: { x: vt('float32', [1, 2, 3, 3]) }, initializers: { w: randomTensor([3, 2, 1, 1], 1), ...bnParams(3, 5) },
      nodes: [node('Conv', 'conv', ['x', 'w'], ['t'], conv()), bnNode('t', 'y')],
      outputs: ['y', 't'],
    });
    expect(foldBatchNorm(asOutput.nodes[1]!, asOutput)).toBeUndefined();

    const dynamicWeights = buildGraph({
      inputs: { x: vt('float32', [1, 2, 3, 3]), w: vt('float32', [3, 2, 1, 1]) }, initializers: bnParams(3, 5),
      nodes: [node('Conv', 'conv', ['x', 'w'], ['t'], conv()), bnNode('t', 'y')], outputs: ['y'],
    });
    expect(foldBatchNorm(dynamicWeights.nodes[1]!, dynamicWeights)).toBeUndefined();
  });

  it('picks fresh initializer names when the natural ones are taken', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [1, 2, 3, 3]) },
      initializers: { w: randomTensor([3, 2, 1, 1], 1), conv_w_bn: f32([1], [0]), ...bnParams(3, 5) },
      nodes: [node('Conv', 'conv', ['x', 'w'], ['t'], conv()), bnNode('t', 'y'), node('Add', 'a', ['y', 'conv_w_bn'], ['z'], {})],
      outputs: ['z'],
    });
    const r = foldBatchNorm(g.nodes[1]!, g)!;
    expect(r.replace[0]!.inputs).toEqual(['x', 'conv_w_bn_1', 'conv_b_bn']);
  });
});

describe('fold-batchnorm preserves numbers (within 1e-5 relative)', () => {
  it('Conv + BN over random shapes, groups, strides, pads, with and without bias', () => {
    fc.assert(fc.property(
      fc.record({
        cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 3 }), group: fc.integer({ min: 1, max: 2 }),
        bias: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }), hw: fc.integer({ min: 3, max: 6 }),
        k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }),
      }),
      ({ cg, mg, group, ...rest }) => {
        const g = convBn({ c: cg * group, m: mg * group, group, ...rest });
        expect(foldError(g, rest.seed)).toBeLessThan(1e-5);
      },
    ), { seed: 20261127, numRuns: 40 });
  });

  const gemmBn = (transB: number, cShape: number[] | undefined, beta: number) => {
    const M = 3, K = 4, N = 5;
    return buildGraph({
      inputs: { x: vt('float32', [M, K]) },
      initializers: {
        w: randomTensor(transB ? [N, K] : [K, N], 7), ...(cShape ? { c: randomTensor(cShape, 8) } : {}), ...bnParams(N, 9),
      },
      nodes: [
        node('Gemm', 'fc', ['x', 'w', ...(cShape ? ['c'] : [])], ['t'], { alpha: 0.75, beta, transA: 0, transB }),
        bnNode('t', 'y'),
      ],
      outputs: ['y'],
    });
  };

  for (const transB of [0, 1]) {
    for (const cShape of [undefined, [], [1], [5], [1, 5], [3, 1], [3, 5]]) {
      it(`Gemm (transB=${transB}, C ${cShape ? `[${cShape.join(',')}]` : 'absent'}) + BN`, () => {
        const g = gemmBn(transB, cShape, 1.5);
        const folded = foldBatchNormPass.run(g, ctx);
        const gemm = folded.nodes.find((n) => n.op === 'Gemm')!;
        expect(gemm.attrs).toMatchObject({ alpha: 0.75, beta: 1, transB });
        const rowVarying = cShape !== undefined && cShape.length === 2 && cShape[0] === 3;
        expect(folded.values.get(gemm.inputs[2]!)!.shape).toEqual(rowVarying ? [3, 5] : [5]);
        expect(foldError(g, 4)).toBeLessThan(1e-5);
      });
    }
  }
});

describe('fold-batchnorm pass', () => {
  it('folds every foldable BN, leaves the others, and returns the same graph when nothing folds', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [1, 3, 4, 4]) },
      initializers: { w: randomTensor([3, 3, 1, 1], 2), ...bnParams(3, 3) },
      nodes: [
        node('Conv', 'conv', ['x', 'w'], ['t'], conv()),
        bnNode('t', 'u'),
        node('Relu', 'relu', ['u'], ['v'], {}),
        node('BatchNormalization', 'bn2', ['v', 'scale', 'bias', 'mean', 'var'], ['y'], { epsilon: 1e-5 }),
      ],
      outputs: ['y'],
    });
    const out = foldBatchNormPass.run(g, ctx);
    expect(ops(out)).toEqual(['Conv', 'Relu', 'BatchNormalization']);
    expect(out.values.has('t')).toBe(false);
    verifyGraph(out);
    expect(foldBatchNormPass.run(out, ctx)).toBe(out);
  });
});

describe('foldChannelAffine rule (BN written as Mul/Add by per-channel constants)', () => {
  const convThen = (op: 'Mul' | 'Add' | 'Sub' | 'Div', k: Tensor, constantFirst = false) => buildGraph({
    inputs: { x: vt('float32', [1, 2, 3, 3]) },
    initializers: { w: randomTensor([3, 2, 1, 1], 1), k },
    nodes: [node('Conv', 'conv', ['x', 'w'], ['t'], conv()), node(op, 'op', constantFirst ? ['k', 't'] : ['t', 'k'], ['y'], {})],
    outputs: ['y'],
  });

  it('folds a [C,1,1] or [1,C,1,1] or scalar constant, either operand order for Mul/Add', () => {
    for (const k of [f32([3, 1, 1], [1, 2, 3]), f32([1, 3, 1, 1], [1, 2, 3]), f32([], [2]), f32([1], [2])]) {
      for (const op of ['Mul', 'Add', 'Sub', 'Div'] as const) {
        const g = convThen(op, k);
        expect(foldChannelAffine(g.nodes[1]!, g)?.remove, `${op} by ${k.shape}`).toEqual(['conv']);
      }
      for (const op of ['Mul', 'Add'] as const) {
        const g = convThen(op, k, true);
        expect(foldChannelAffine(g.nodes[1]!, g)?.remove, `${op} by ${k.shape} reversed`).toEqual(['conv']);
      }
    }
  });

  it('declines constants that vary along other axes, k-x and k/x, and division by zero', () => {
    const wrongAxis = convThen('Mul', f32([3], [1, 2, 3])); // [3] aligns with the last axis, not channels
    expect(foldChannelAffine(wrongAxis.nodes[1]!, wrongAxis)).toBeUndefined();
    const spatial = convThen('Add', randomTensor([3, 3, 3], 4));
    expect(foldChannelAffine(spatial.nodes[1]!, spatial)).toBeUndefined();
    const reversedSub = convThen('Sub', f32([3, 1, 1], [1, 2, 3]), true);
    expect(foldChannelAffine(reversedSub.nodes[1]!, reversedSub)).toBeUndefined();
    const byZero = convThen('Div', f32([3, 1, 1], [1, 0, 3]));
    expect(foldChannelAffine(byZero.nodes[1]!, byZero)).toBeUndefined();
  });

  it('Conv -> BN -> Mul -> Add -> Relu (Caffe2 export) becomes Conv -> Relu with the same outputs', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [2, 3, 5, 5]) },
      initializers: {
        w: randomTensor([4, 3, 3, 3], 1), ...bnParams(4, 2), m: randomTensor([4, 1, 1], 3, -2, 2), a: randomTensor([4, 1, 1], 4),
      },
      nodes: [
        node('Conv', 'conv', ['x', 'w'], ['c'], conv({ pads: [1, 1, 1, 1] })),
        bnNode('c', 'b'),
        node('Mul', 'mul', ['b', 'm'], ['bm'], {}),
        node('Add', 'add', ['bm', 'a'], ['ba'], {}),
        node('Relu', 'relu', ['ba'], ['y'], {}),
      ],
      outputs: ['y'],
    });
    expect(ops(eliminateDeadCode(foldBatchNormPass.run(g, ctx)))).toEqual(['Conv', 'Relu']);
    expect(foldError(g, 5)).toBeLessThan(1e-5);
  });

  it('a BN with nothing to fold into absorbs the Mul/Add after it', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [2, 4, 3, 3]) },
      initializers: { ...bnParams(4, 2), m: randomTensor([1, 4, 1, 1], 3, -2, 2), a: randomTensor([4, 1, 1], 4) },
      nodes: [
        node('Relu', 'relu', ['x'], ['r'], {}),
        bnNode('r', 'b'),
        node('Mul', 'mul', ['m', 'b'], ['bm'], {}),
        node('Sub', 'sub', ['bm', 'a'], ['y'], {}),
      ],
      outputs: ['y'],
    });
    const folded = eliminateDeadCode(foldBatchNormPass.run(g, ctx));
    expect(folded.nodes.map((n) => [n.op, n.name, n.outputs[0]])).toEqual([['Relu', 'relu', 'r'], ['BatchNormalization', 'bn', 'y']]);
    const x = randomTensor([2, 4, 3, 3], 6);
    expect(maxRelErr(runGraph(folded, { x }).get('y')!, runGraph(g, { x }).get('y')!)).toBeLessThan(1e-5);
  });

  it('Gemm -> Mul [N] -> Add [1,N] folds into the Gemm', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [3, 4]) },
      initializers: { w: randomTensor([4, 5], 1), c: randomTensor([5], 2), m: randomTensor([5], 3), a: randomTensor([1, 5], 4) },
      nodes: [
        node('Gemm', 'fc', ['x', 'w', 'c'], ['t'], { alpha: 1, beta: 1, transA: 0, transB: 0 }),
        node('Mul', 'mul', ['t', 'm'], ['tm'], {}),
        node('Add', 'add', ['tm', 'a'], ['y'], {}),
      ],
      outputs: ['y'],
    });
    expect(ops(eliminateDeadCode(foldBatchNormPass.run(g, ctx)))).toEqual(['Gemm']);
    expect(foldError(g, 7)).toBeLessThan(1e-5);
  });
});
