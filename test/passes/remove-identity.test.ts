import { describe, expect, it } from 'vitest';
import { tensor } from '../../ir/tensor.js';
import { verifyGraph } from '../../ir/verify.js';
import { removeDropout, removeIdentity, removeIdentityPass } from '../../passes/remove-identity.js';
import { evaluateRef } from './reference.js';
import { buildGraph, node, ops, vt } from './build.js';

const ctx = { evaluate: evaluateRef, options: {} };

describe('removeIdentity rule', () => {
  it('renames uses of the copy to its source', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [3]) },
      nodes: [node('Identity', 'id', ['x'], ['a'], {}), node('Relu', 'r', ['a'], ['y'], {})],
      outputs: ['y'],
    });
    expect(removeIdentity(g.nodes[0]!, g)).toEqual({ replace: [], rename: new Map([['a', 'x']]) });
    expect(removeIdentity(g.nodes[1]!, g)).toBeUndefined();
  });

  it("makes the producer define a graph output's name instead of renaming the output", () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [3]) },
      nodes: [node('Relu', 'r', ['x'], ['a'], {}), node('Identity', 'id', ['a'], ['y'], {})],
      outputs: ['y'],
    });
    expect(removeIdentity(g.nodes[1]!, g)).toEqual({ replace: [], rename: new Map([['a', 'y']]) });
  });

  it('keeps a copy from a graph input, or between two graph outputs', () => {
    const fromInput = buildGraph({ inputs: { x: vt('float32', [3]) }, nodes: [node('Identity', 'id', ['x'], ['y'], {})], outputs: ['y'] });
    expect(removeIdentity(fromInput.nodes[0]!, fromInput)).toBeUndefined();
    const twoOutputs = buildGraph({
      inputs: { x: vt('float32', [3]) },
      nodes: [node('Relu', 'r', ['x'], ['a'], {}), node('Identity', 'id', ['a'], ['y'], {})],
      outputs: ['a', 'y'],
    });
    expect(removeIdentity(twoOutputs.nodes[1]!, twoOutputs)).toBeUndefined();
  });
});

describe('removeDropout rule', () => {
  const dropout = (inputs: string[], outputs: string[], outs: string[], inits = {}) => buildGraph({
    inputs: { x: vt('float32', [2, 2]) },
    initializers: inits,
    nodes: [node('Relu', 'r', ['x'], ['a'], {}), node('Dropout', 'd', inputs, outputs, {}), node('Sigmoid', 's', [outputs[0]!], ['z'], {})],
    outputs: outs,
  });

  it('removes an inference Dropout with no mask', () => {
    const g = dropout(['a'], ['b'], ['z']);
    expect(removeDropout(g.nodes[1]!, g)).toEqual({ replace: [], rename: new Map([['b', 'a']]), newInitializers: new Map() });
  });

  it('replaces a used mask by an all-true constant of the mask type', () => {
    const g = dropout(['a'], ['b', 'm'], ['z', 'm']);
    const r = removeDropout(g.nodes[1]!, g)!;
    const mask = r.newInitializers!.get('m')!;
    expect(mask.dtype).toBe('bool');
    expect(mask.shape).toEqual([2, 2]);
    expect([...mask.data]).toEqual([1, 1, 1, 1]);
  });

  it('drops an unused mask', () => {
    const g = dropout(['a'], ['b', 'm'], ['z']);
    expect(removeDropout(g.nodes[1]!, g)!.newInitializers!.size).toBe(0);
  });

  it('leaves Dropout alone in training mode or when the mode is not constant', () => {
    const t = { ratio: tensor('float32', [], [0.5]), on: tensor('bool', [], [1]), off: tensor('bool', [], [0]) };
    const training = dropout(['a', 'ratio', 'on'], ['b'], ['z'], t);
    expect(removeDropout(training.nodes[1]!, training)).toBeUndefined();
    const inference = dropout(['a', 'ratio', 'off'], ['b'], ['z'], t);
    expect(removeDropout(inference.nodes[1]!, inference)).toBeDefined();
  });

  it('keeps a plain Identity when a graph input goes straight to a graph output', () => {
    const g = buildGraph({ inputs: { x: vt('float32', [3]) }, nodes: [node('Dropout', 'd', ['x'], ['y'], {})], outputs: ['y'] });
    expect(removeDropout(g.nodes[0]!, g)).toEqual({
      replace: [node('Identity', 'd', ['x'], ['y'], {})], newInitializers: new Map(),
    });
  });
});

describe('remove-identity pass', () => {
  it('removes chains of Identity and Dropout, keeps graph output names, and stays valid', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [1, 4]) },
      nodes: [
        node('Identity', 'i0', ['x'], ['a'], {}),
        node('Relu', 'r', ['a'], ['b'], {}),
        node('Dropout', 'd', ['b'], ['c', 'mask'], { ratio: 0.5 }),
        node('Identity', 'i1', ['c'], ['d'], {}),
        node('Sigmoid', 's', ['d'], ['e'], {}),
        node('Identity', 'i2', ['e'], ['y'], {}),
      ],
      outputs: ['y', 'mask'],
    });
    const out = removeIdentityPass.run(g, ctx);
    expect(out.nodes.map((n) => [n.op, n.inputs, n.outputs])).toEqual([['Relu', ['x'], ['b']], ['Sigmoid', ['b'], ['y']]]);
    expect(out.outputs).toEqual(['y', 'mask']);
    expect(out.initializers.get('mask')?.dtype).toBe('bool');
    expect([...out.values.keys()].sort()).toEqual(['b', 'mask', 'x', 'y']);
    verifyGraph(out);
    expect(removeIdentityPass.run(out, ctx)).toBe(out);
  });

  it('returns the same graph when there is nothing to remove', () => {
    const g = buildGraph({ inputs: { x: vt('float32', [3]) }, nodes: [node('Relu', 'r', ['x'], ['y'], {})], outputs: ['y'] });
    expect(removeIdentityPass.run(g, ctx)).toBe(g);
    expect(ops(g)).toEqual(['Relu']);
  });
});
