import { describe, expect, it } from 'vitest';
import { isMatching, match, P } from 'ts-pattern';
import { verifyGraph } from '../../ir/verify.js';
import { applyResult, applyRules, type Rule } from '../../passes/rewrite.js';
import { buildGraph, f32, node, ops, vt } from './build.js';

// x -> Relu r1 -> Relu r2 -> Sigmoid -> y
const chain = () => buildGraph({
  inputs: { x: vt('float32', [2, 3]) },
  nodes: [
    node('Relu', 'r1', ['x'], ['a'], {}),
    node('Relu', 'r2', ['a'], ['b'], {}),
    node('Sigmoid', 's', ['b'], ['y'], {}),
  ],
  outputs: ['y'],
});

/** Relu(Relu(v)) = Relu(v): the second Relu reads the first one's input instead. */
const dropDoubleRelu: Rule = (n, g) =>
  match(n)
    .with({ op: 'Relu', inputs: [P.select(P.string)] }, (a) => {
      const p = g.nodes.find((m) => m.outputs.includes(a));
      if (!p || !isMatching({ op: 'Relu' }, p) || g.outputs.includes(n.outputs[0]!)) return undefined;
      return { replace: [], rename: new Map([[n.outputs[0]!, a]]) };
    })
    .otherwise(() => undefined);

describe('applyRules', () => {
  it('returns the same graph object when no rule matches', () => {
    const g = chain();
    const never: Rule = () => undefined;
    expect(applyRules(g, [never])).toBe(g);
    expect(applyRules(g, [])).toBe(g);
  });

  it('applies a rule, renames uses, drops the dead value type, and stays valid', () => {
    const g = chain();
    const out = applyRules(g, [dropDoubleRelu], { name: 'test' });
    expect(out).not.toBe(g);
    expect(ops(out)).toEqual(['Relu', 'Sigmoid']);
    expect(out.nodes[1]!.inputs).toEqual(['a']);
    expect(out.values.has('b')).toBe(false);
    expect(g.nodes).toHaveLength(3); // the input graph is untouched
    verifyGraph(out);
  });

  it('lets later nodes of the same sweep see earlier rewrites (one sweep folds a chain)', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [4]) },
      nodes: ['a', 'b', 'c', 'd'].map((v, i, all) => node('Relu', `r${i}`, [i === 0 ? 'x' : all[i - 1]!], [v], {})),
      outputs: ['d'],
    });
    const lines: string[] = [];
    const out = applyRules(g, [dropDoubleRelu], { name: 'relu', log: (l) => lines.push(l), maxIterations: 2 });
    expect(ops(out)).toEqual(['Relu', 'Relu']);
    expect(out.nodes[1]!.inputs).toEqual(['a']);
    expect(lines).toEqual(["relu: dropDoubleRelu on Relu 'r1'", "relu: dropDoubleRelu on Relu 'r2'"]);
    verifyGraph(out);
  });

  it('rewrites its own copies: the input graph stays untouched through removals, new initializers and renames', () => {
    // k -> c; x -> Relu r1 -> a -> Relu r2 -> b -> Identity i -> d -> Add s (d + c) -> y
    const g = buildGraph({
      inputs: { x: vt('float32', [2]) },
      nodes: [
        node('Constant', 'k', [], ['c'], { value: f32([2], [1, 2]) }),
        node('Relu', 'r1', ['x'], ['a'], {}),
        node('Relu', 'r2', ['a'], ['b'], {}),
        node('Identity', 'i', ['b'], ['d'], {}),
        node('Add', 's', ['d', 'c'], ['y'], {}),
      ],
      outputs: ['y'],
    });
    const before = { nodes: [...g.nodes], values: [...g.values.keys()], initializers: [...g.initializers.keys()] };
    const fold: Rule = (n) => (n.op === 'Constant' ? { replace: [], newInitializers: new Map([[n.outputs[0]!, f32([2], [1, 2])]]) } : undefined);
    // Relu(Relu(v)): one Relu 'fused' in the second one's place, the first one removed.
    const fuse: Rule = (n, cur) => {
      const p = n.op === 'Relu' ? cur.nodes.find((m) => m.outputs.includes(n.inputs[0]!)) : undefined;
      return p?.op === 'Relu' ? { replace: [node('Relu', 'fused', p.inputs, n.outputs, {})], remove: [p.name] } : undefined;
    };
    const skipIdentity: Rule = (n) => (n.op === 'Identity' ? { replace: [], rename: new Map([[n.outputs[0]!, n.inputs[0]!]]) } : undefined);
    const lines: string[] = [];
    const out = applyRules(g, [fold, fuse, skipIdentity], { name: 't', log: (l) => lines.push(l) });
    // One sweep: after 'fused' took r2's place (r1 before it removed), the sweep goes on with the Identity.
    expect(lines).toEqual(["t: fold on Constant 'k'", "t: fuse on Relu 'r2'", "t: skipIdentity on Identity 'i'"]);
    expect(out.nodes.map((n) => [n.name, n.inputs, n.outputs])).toEqual([['fused', ['x'], ['b']], ['s', ['b', 'c'], ['y']]]);
    expect([...out.initializers.keys()]).toEqual(['c']);
    expect(out.values.has('a') || out.values.has('d')).toBe(false);
    verifyGraph(out);
    expect({ nodes: g.nodes, values: [...g.values.keys()], initializers: [...g.initializers.keys()] }).toEqual(before);
    expect(g.nodes.every((n, i) => n === before.nodes[i])).toBe(true);
  });

  it('throws, naming the pass and the rule, when rules do not converge', () => {
    // Swaps Relu <-> Sigmoid forever.
    const flip: Rule = (n) =>
      match(n)
        .with({ op: P.union('Relu', 'Sigmoid') }, (m) => ({ replace: [{ ...m, op: m.op === 'Relu' ? 'Sigmoid' : 'Relu' } as typeof m] }))
        .otherwise(() => undefined);
    expect(() => applyRules(chain(), [flip], { name: 'flipper', maxIterations: 7 }))
      .toThrow(/internal error \(tilec bug\): pass 'flipper' did not reach a fixed point after 7 iterations.*flip on Relu 'r1'/);
  });

  it('rejects a bad iteration cap', () => {
    expect(() => applyRules(chain(), [], { maxIterations: 0 })).toThrow(/maxIterations/);
  });
});

describe('applyResult', () => {
  it('puts replacement nodes at the matched position and returns the index after them', () => {
    const g = chain();
    const sig = node('Sigmoid', 'new', ['a'], ['b'], {});
    const { graph, next } = applyResult(g, 1, { replace: [sig] });
    expect(graph.nodes.map((n) => n.name)).toEqual(['r1', 'new', 's']);
    expect(next).toBe(2);
    verifyGraph(graph);
  });

  it('removes extra nodes by name and adjusts the resume index', () => {
    const g = chain();
    // Replace r2 and remove r1: Sigmoid(x) -> b directly.
    const { graph, next } = applyResult(g, 1, { replace: [node('Sigmoid', 'fused', ['x'], ['b'], {})], remove: ['r1'] });
    expect(graph.nodes.map((n) => n.name)).toEqual(['fused', 's']);
    expect(next).toBe(1);
    expect(graph.values.has('a')).toBe(false);
    verifyGraph(graph);
  });

  it('turns outputs into initializers, keeping their names and types', () => {
    const g = buildGraph({
      inputs: {}, nodes: [node('Constant', 'k', [], ['c'], { value: f32([2], [1, 2]) }), node('Relu', 'r', ['c'], ['y'], {})], outputs: ['y'],
    });
    const { graph } = applyResult(g, 0, { replace: [], newInitializers: new Map([['c', f32([2], [1, 2])]]) });
    expect(ops(graph)).toEqual(['Relu']);
    expect(graph.initializers.get('c')?.data).toEqual(new Float32Array([1, 2]));
    expect(graph.values.get('c')).toEqual(vt('float32', [2]));
    verifyGraph(graph);
  });

  it('renames a producer output onto a graph output name (rename x -> y)', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [3]) },
      nodes: [node('Relu', 'r', ['x'], ['a'], {}), node('Identity', 'id', ['a'], ['y'], {}), node('Sigmoid', 's', ['a'], ['z'], {})],
      outputs: ['y', 'z'],
    });
    const { graph } = applyResult(g, 1, { replace: [], rename: new Map([['a', 'y']]) });
    expect(graph.nodes.map((n) => [n.name, n.inputs, n.outputs])).toEqual([['r', ['x'], ['y']], ['s', ['y'], ['z']]]);
    expect(graph.values.has('a')).toBe(false);
    expect(graph.outputs).toEqual(['y', 'z']);
    verifyGraph(graph);
  });

  it('refuses to rename interface names or to remove unknown nodes (tilec bugs)', () => {
    const g = chain();
    expect(() => applyResult(g, 2, { replace: [], rename: new Map([['y', 'b']]) })).toThrow(/internal error.*renames 'y'/);
    expect(() => applyResult(g, 1, { replace: [], rename: new Map([['x', 'a']]) })).toThrow(/internal error.*renames 'x'/);
    expect(() => applyResult(g, 1, { replace: [], remove: ['nope'] })).toThrow(/internal error.*nope/);
  });
});
