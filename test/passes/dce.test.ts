import { describe, expect, it } from 'vitest';
import { verifyGraph } from '../../ir/verify.js';
import { dcePass, eliminateDeadCode } from '../../passes/dce.js';
import { evaluateRef } from './reference.js';
import { buildGraph, f32, node, ops, vt } from './build.js';

describe('dce', () => {
  const g = buildGraph({
    inputs: { x: vt('float32', [2, 2]), unused_in: vt('float32', [3]) },
    initializers: { w: f32([2, 2], [1, 2, 3, 4]), dead_w: f32([1], [7]), out_const: f32([1], [5]) },
    nodes: [
      node('Add', 'live', ['x', 'w'], ['a'], {}),
      node('Relu', 'dead1', ['a'], ['d1'], {}),
      node('Mul', 'dead2', ['d1', 'dead_w'], ['d2'], {}),
      node('Dropout', 'half', ['a'], ['y', 'mask'], {}),
    ],
    outputs: ['y', 'out_const'],
  });

  it('removes dead nodes, unread initializers and their value types; keeps graph inputs and outputs', () => {
    const out = eliminateDeadCode(g);
    expect(out.nodes.map((n) => n.name)).toEqual(['live', 'half']);
    expect([...out.initializers.keys()].sort()).toEqual(['out_const', 'w']);
    expect([...out.values.keys()].sort()).toEqual(['a', 'mask', 'out_const', 'unused_in', 'w', 'x', 'y']);
    expect(out.inputs).toEqual(['x', 'unused_in']);
    verifyGraph(out);
  });

  it('keeps a node with one used output (its unused outputs too), and returns the same graph when all is live', () => {
    const out = dcePass.run(g, { evaluate: evaluateRef, options: {} });
    expect(ops(out)).toContain('Dropout');
    expect(dcePass.run(out, { evaluate: evaluateRef, options: {} })).toBe(out);
  });
});
