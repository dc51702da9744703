import { describe, expect, it } from 'vitest';
import type { Graph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { eliminateDeadCode } from '../../passes/dce.js';
import { foldBiasPass, foldMatMulBias, normalizeGemm } from '../../passes/fold-bias.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { evaluateRef, maxRelErr, runGraph } from './reference.js';
import { buildGraph, f32, node, ops, randomTensor, vt } from './build.js';

const ctx = { evaluate: evaluateRef, options: {} };

/** x [3, 4] · w [4, 5] then `op` with a constant k (first or second operand). */
function matmulThen(op: 'Add' | 'Sub', k: ReturnType<typeof f32>, constantFirst = false): Graph {
  return buildGraph({
    inputs: { x: vt('float32', [3, 4]) },
    initializers: { w: randomTensor([4, 5], 1), k },
    nodes: [
      node('MatMul', 'mm', ['x', 'w'], ['t'], {}),
      node(op, 'plus', constantFirst ? ['k', 't'] : ['t', 'k'], ['y'], {}),
    ],
    outputs: ['y'],
  });
}

function sameOutputs(a: Graph, b: Graph): number {
  const x = randomTensor(a.values.get('x')!.shape, 9);
  return maxRelErr(runGraph(b, { x }).get('y')!, runGraph(a, { x }).get('y')!);
}

describe('foldMatMulBias', () => {
  it('MatMul + constant [N] Add -> one Gemm named as the MatMul, defining the Add output, with C', () => {
    const g = matmulThen('Add', f32([5], [1, 2, 3, 4, 5]));
    const r = foldMatMulBias(g.nodes[1]!, g)!;
    expect(r.remove).toEqual(['mm']);
    expect(r.replace).toEqual([{ op: 'Gemm', name: 'mm', inputs: ['x', 'w', 'mm_c'], outputs: ['y'], attrs: { alpha: 1, beta: 1, transA: 0, transB: 0 } }]);
    expect(Array.from(r.newInitializers!.get('mm_c')!.data)).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ['[1, N], constant first', matmulThen('Add', f32([1, 5], [1, 2, 3, 4, 5]), true)],
    ['a scalar', matmulThen('Add', f32([], [0.5]))],
    ['Sub (negated)', matmulThen('Sub', f32([5], [1, 2, 3, 4, 5]))],
  ])('folds %s and keeps the numbers', (_, g) => {
    const folded = eliminateDeadCode(foldBiasPass.run(g, ctx));
    verifyGraph(folded);
    expect(ops(folded)).toEqual(['Gemm']);
    expect(sameOutputs(g, folded)).toBeLessThan(1e-6);
  });

  it('declines a constant that varies along rows, a Sub of the product from a constant, and a shared product', () => {
    const rows = matmulThen('Add', randomTensor([3, 5], 2));
    expect(foldMatMulBias(rows.nodes[1]!, rows)).toBeUndefined();
    const reversed = matmulThen('Sub', f32([5], [1, 2, 3, 4, 5]), true);
    expect(foldMatMulBias(reversed.nodes[1]!, reversed)).toBeUndefined();
    const shared = { ...matmulThen('Add', f32([5], [1, 2, 3, 4, 5])), outputs: ['y', 't'] };
    expect(foldMatMulBias(shared.nodes[1]!, shared)).toBeUndefined();
  });

  it('declines a MatMul whose activation is not 2-D (Gemm is 2-D only)', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [2, 3, 4]) },
      initializers: { w: randomTensor([4, 5], 1), k: f32([5], [1, 2, 3, 4, 5]) },
      nodes: [node('MatMul', 'mm', ['x', 'w'], ['t'], {}), node('Add', 'plus', ['t', 'k'], ['y'], {})],
      outputs: ['y'],
    });
    expect(foldMatMulBias(g.nodes[1]!, g)).toBeUndefined();
  });
});

describe('normalizeGemm', () => {
  const gemm = (alpha: number, beta: number, c: ReturnType<typeof f32>) => buildGraph({
    inputs: { x: vt('float32', [3, 4]) },
    initializers: { w: randomTensor([5, 4], 3), c },
    nodes: [node('Gemm', 'fc', ['x', 'w', 'c'], ['y'], { alpha, beta, transA: 0, transB: 1 })],
    outputs: ['y'],
  });

  it('folds alpha into B and beta into C as a [N] vector', () => {
    const g = gemm(2, 0.5, f32([1, 5], [1, 2, 3, 4, 5]));
    const r = normalizeGemm(g.nodes[0]!, g)!;
    expect(r.replace[0]).toMatchObject({ inputs: ['x', 'fc_b', 'fc_c'], attrs: { alpha: 1, beta: 1, transB: 1 } });
    expect(Array.from(r.newInitializers!.get('fc_c')!.data)).toEqual([0.5, 1, 1.5, 2, 2.5]);
    const folded = eliminateDeadCode(foldBiasPass.run(g, ctx));
    verifyGraph(folded);
    expect(sameOutputs(g, folded)).toBeLessThan(1e-6);
  });

  it('leaves a canonical Gemm and a row-varying C alone', () => {
    const canonical = gemm(1, 1, f32([5], [1, 2, 3, 4, 5]));
    expect(foldBiasPass.run(canonical, ctx)).toBe(canonical);
    const rows = gemm(2, 1, randomTensor([3, 5], 4));
    expect(normalizeGemm(rows.nodes[0]!, rows)).toBeUndefined();
  });
});

describe('FLOAT_PIPELINE', () => {
  it('leaves no Add after a MatMul or a Conv (mnist-8: Times + Plus, Convolution + Plus(Parameter))', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [1, 1, 4, 4]) },
      initializers: { w: randomTensor([2, 1, 3, 3], 5), cb: randomTensor([2, 1, 1], 6), shape: { dtype: 'int64', shape: [2], data: new Float64Array([1, 8]) }, fw: randomTensor([8, 3], 7), fb: randomTensor([1, 3], 8) },
      nodes: [
        node('Conv', 'conv', ['x', 'w'], ['c'], { group: 1, auto_pad: 'NOTSET' }),
        node('Add', 'plus30', ['c', 'cb'], ['p'], {}),
        node('Reshape', 'flat', ['p', 'shape'], ['f'], { allowzero: 0 }),
        node('MatMul', 'times', ['f', 'fw'], ['t'], {}),
        node('Add', 'plus214', ['t', 'fb'], ['y'], {}),
      ],
      outputs: ['y'],
    });
    const { graph } = runPasses(g, FLOAT_PIPELINE, ctx);
    expect(ops(graph)).toEqual(['Conv', 'Reshape', 'Gemm']);
    expect(sameOutputs(g, graph)).toBeLessThan(1e-5);
  });
});
