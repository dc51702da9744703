import { describe, expect, it } from 'vitest';
import type { Evaluate } from '../../ir/graph.js';
import { tensor } from '../../ir/tensor.js';
import { verifyGraph } from '../../ir/verify.js';
import { foldConstantNode, foldConstantsPass, foldShape, shapeSlice } from '../../passes/fold-constants.js';
import { eliminateDeadCode } from '../../passes/dce.js';
import { evaluateRef } from './reference.js';
import { buildGraph, f32, i64, node, ops, vt } from './build.js';

const ctx = { evaluate: evaluateRef, options: {} };

describe('shapeSlice', () => {
  it('follows ONNX Shape start/end: negatives from the back, clamped', () => {
    expect(shapeSlice([2, 3, 4], 0, undefined)).toEqual([2, 3, 4]);
    expect(shapeSlice([2, 3, 4], 1, undefined)).toEqual([3, 4]);
    expect(shapeSlice([2, 3, 4], -1, undefined)).toEqual([4]);
    expect(shapeSlice([2, 3, 4], 0, -1)).toEqual([2, 3]);
    expect(shapeSlice([2, 3, 4], -10, 10)).toEqual([2, 3, 4]);
    expect(shapeSlice([2, 3, 4], 2, 1)).toEqual([]);
  });
});

describe('fold-constants rules', () => {
  const g = buildGraph({
    inputs: { x: vt('float32', [2, 3, 4]) },
    initializers: { w: f32([4], [1, 2, 3, 4]) },
    nodes: [
      node('Shape', 'sh', ['x'], ['s'], { start: 1 }),
      node('Relu', 'rw', ['w'], ['rw_out'], {}),
      node('Relu', 'rx', ['x'], ['rx_out'], {}),
    ],
    outputs: ['s', 'rw_out', 'rx_out'],
  });

  it('folds Shape from the static type of a non-constant input', () => {
    const r = foldShape(g.nodes[0]!, g)!;
    expect(r.replace).toEqual([]);
    const s = r.newInitializers!.get('s')!;
    expect(s.dtype).toBe('int64');
    expect([...s.data]).toEqual([3, 4]);
    expect(foldShape(g.nodes[1]!, g)).toBeUndefined();
  });

  it('evaluates a node whose inputs are all initializers, and nothing else', () => {
    const rule = foldConstantNode(evaluateRef);
    const r = rule(g.nodes[1]!, g)!;
    expect([...r.newInitializers!.get('rw_out')!.data]).toEqual([1, 2, 3, 4]);
    expect(rule(g.nodes[2]!, g)).toBeUndefined();
  });

  it('keeps QuantizeLinear/DequantizeLinear of constants: they carry the model\'s own quantization', () => {
    const q = buildGraph({
      inputs: {},
      initializers: { w8: tensor('int8', [2], [-3, 5]), scale: tensor('float32', [], [0.5]), zp: tensor('int8', [], [0]) },
      nodes: [node('DequantizeLinear', 'dq', ['w8', 'scale', 'zp'], ['w'], { axis: 1 })],
      outputs: ['w'],
    });
    expect(foldConstantNode(() => { throw new Error('must not evaluate'); })(q.nodes[0]!, q)).toBeUndefined();
  });

  it('reports an evaluator result that contradicts the recorded type as a tilec bug', () => {
    const lying: Evaluate = () => [f32([2], [1, 2])];
    expect(() => foldConstantNode(lying)(g.nodes[1]!, g)).toThrow(/internal error.*Relu 'rw'.*float32\[2\].*float32\[4\]/);
  });
});

describe('fold-constants pass', () => {
  it('folds a Shape -> Gather -> Unsqueeze -> Concat chain into the Reshape shape', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [2, 3, 4]) },
      initializers: { zero: tensor('int64', [], [0]) },
      nodes: [
        node('Shape', 'shape', ['x'], ['s'], { start: 0 }),
        node('Gather', 'gather', ['s', 'zero'], ['n'], { axis: 0 }),
        node('Unsqueeze', 'unsq', ['n'], ['n1'], { axes: [0] }),
        node('Constant', 'minus1', [], ['m1'], { value: i64([-1]) }),
        node('Concat', 'cat', ['n1', 'm1'], ['shp'], { axis: 0 }),
        node('Reshape', 'reshape', ['x', 'shp'], ['y'], { allowzero: 0 }),
      ],
      outputs: ['y'],
      types: { y: vt('float32', [2, 12]) }, // the shape only becomes constant by folding
    });
    const out = foldConstantsPass.run(g, ctx);
    expect(ops(out)).toEqual(['Reshape']);
    expect([...out.initializers.get('shp')!.data]).toEqual([2, -1]);
    verifyGraph(out);
    const clean = eliminateDeadCode(out);
    expect([...clean.initializers.keys()]).toEqual(['shp']);
    verifyGraph(clean);
    expect(foldConstantsPass.run(clean, ctx)).toBe(clean);
  });

  it('folds Constant and ConstantOfShape, keeping graph output names', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [2, 3]) },
      nodes: [
        node('Constant', 'k', [], ['dims'], { value: i64([2, 3]) }),
        node('ConstantOfShape', 'cos', ['dims'], ['w'], { value: tensor('float32', [1], [0.5]) }),
        node('Add', 'add', ['x', 'w'], ['y'], {}),
        node('Mul', 'mul', ['w', 'w'], ['w2'], {}),
      ],
      outputs: ['y', 'w2'],
    });
    const out = foldConstantsPass.run(g, ctx);
    expect(ops(out)).toEqual(['Add']);
    expect(out.outputs).toEqual(['y', 'w2']);
    expect([...out.initializers.get('w2')!.data]).toEqual(new Array(6).fill(0.25));
    expect(out.values.get('w2')).toEqual(vt('float32', [2, 3]));
    verifyGraph(out);
  });

  it('returns the same graph when nothing is constant', () => {
    const g = buildGraph({ inputs: { x: vt('float32', [3]) }, nodes: [node('Relu', 'r', ['x'], ['y'], {})], outputs: ['y'] });
    expect(foldConstantsPass.run(g, ctx)).toBe(g);
  });
});
