import { describe, expect, it } from 'vitest';
import { lastUses, runGraph } from '../../runtime/interpreter.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import type { Evaluate, Graph, ValueType } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { TilecError } from '../../ir/errors.js';

// x[2,3] + b[3] -> Relu -> Reshape to [3,2] (shape from an initializer) -> y; plus a Dropout whose
// mask nobody reads, to check that unread values are dropped.
const vt = (dtype: ValueType['dtype'], shape: number[]): ValueType => ({ dtype, shape });
const nodes: Node[] = [
  { op: 'Add', name: 'add', inputs: ['x', 'b'], outputs: ['s'], attrs: {} },
  { op: 'Relu', name: 'relu', inputs: ['s'], outputs: ['r'], attrs: {} },
  { op: 'Dropout', name: 'drop', inputs: ['r'], outputs: ['d', 'mask'], attrs: {} },
  { op: 'Reshape', name: 'reshape', inputs: ['d', 'shape'], outputs: ['y'], attrs: { allowzero: 0 } },
];
const graph: Graph = {
  name: 'tiny',
  inputs: ['x'],
  outputs: ['y'],
  nodes,
  values: new Map([
    ['x', vt('float32', [2, 3])], ['b', vt('float32', [3])], ['shape', vt('int64', [2])], ['s', vt('float32', [2, 3])],
    ['r', vt('float32', [2, 3])], ['d', vt('float32', [2, 3])], ['mask', vt('bool', [2, 3])], ['y', vt('float32', [3, 2])],
  ]),
  initializers: new Map([['b', tensor('float32', [3], [1, -10, 0])], ['shape', tensor('int64', [2], [3, -1])]]),
  opsets: new Map([['', 13]]),
};
const x = tensor('float32', [2, 3], [1, 2, 3, -4, 5, -6]);
const feeds = new Map([['x', x]]);

describe('runGraph', () => {
  it('runs Add -> Relu -> Dropout -> Reshape end to end', () => {
    const out = runGraph(graph, feeds, evaluateFloat);
    expect([...out.keys()]).toEqual(['y']);
    expect(out.get('y')!.shape).toEqual([3, 2]);
    expect(Array.from(out.get('y')!.data)).toEqual([2, 0, 3, 0, 0, 0]);
  });

  it('reports every computed value in order through onValue', () => {
    const seen: string[] = [];
    runGraph(graph, feeds, evaluateFloat, { onValue: (name, t) => seen.push(`${name}:${t.shape.join('x')}`) });
    expect(seen).toEqual(['s:2x3', 'r:2x3', 'd:2x3', 'mask:2x3', 'y:3x2']);
  });

  it('returns every fed and computed value with keepAll', () => {
    const all = runGraph(graph, feeds, evaluateFloat, { keepAll: true });
    expect([...all.keys()].sort()).toEqual(['d', 'mask', 'r', 's', 'x', 'y']);
    expect(Array.from(all.get('s')!.data)).toEqual([2, -8, 3, -3, -5, -6]);
  });

  it('frees a value only after its last reader, and never a graph output', () => {
    expect(lastUses(graph)).toEqual(new Map([['x', 0], ['b', 0], ['s', 1], ['r', 2], ['d', 3], ['shape', 3]]));
    // a is read by steps 1 and 2 and is also a graph output: freeing it after step 1 would break step 2.
    const diamond: Graph = {
      ...graph,
      nodes: [
        { op: 'Relu', name: 'a', inputs: ['x'], outputs: ['a'], attrs: {} },
        { op: 'Sigmoid', name: 'sig', inputs: ['x'], outputs: ['g'], attrs: {} },
        { op: 'Mul', name: 'm', inputs: ['a', 'g'], outputs: ['m'], attrs: {} },
        { op: 'Add', name: 'y', inputs: ['m', 'a'], outputs: ['y'], attrs: {} },
      ],
      outputs: ['y', 'a'],
      values: new Map(['x', 'a', 'g', 'm', 'y'].map((n) => [n, vt('float32', [2, 3])])),
      initializers: new Map(),
    };
    const out = runGraph(diamond, feeds, evaluateFloat);
    expect([...out.keys()]).toEqual(['y', 'a']);
    const sig = (v: number) => Math.fround(1 / (1 + Math.exp(-v)));
    const want = Array.from(x.data, (v) => { const a = Math.max(v, 0); return Math.fround(Math.fround(a * sig(v)) + a); });
    expect(Array.from(out.get('y')!.data)).toEqual(want);
    expect(Array.from(out.get('a')!.data)).toEqual([1, 2, 3, 0, 5, 0]);
  });

  it('rejects a missing, unknown, mistyped or misshapen feed, naming the input and both types', () => {
    const run = (f: Map<string, Tensor>) => () => runGraph(graph, f, evaluateFloat);
    expect(run(new Map())).toThrow(TilecError);
    expect(run(new Map())).toThrow("graph 'tiny' input 'x' is not fed");
    expect(run(new Map([['x', x], ['z', x]]))).toThrow("feed 'z' is not an input of graph 'tiny' (inputs: x)");
    expect(run(new Map([['b', x]]))).toThrow("feed 'b' is not an input of graph 'tiny' (inputs: x)");
    expect(run(new Map([['x', tensor('float32', [3, 2], x.data)]]))).toThrow("input 'x' is float32[3,2] but graph 'tiny' declares float32[2,3]");
    expect(run(new Map([['x', tensor('float64', [2, 3], x.data)]]))).toThrow("input 'x' is float64[2,3] but graph 'tiny' declares float32[2,3]");
  });

  it('treats a kernel result that contradicts the graph types as a tilec bug naming the node', () => {
    const lying: Evaluate = (node, inputs) => (node.op === 'Relu' ? [tensor('float32', [6], inputs[0]!.data)] : evaluateFloat(node, inputs));
    const run = () => runGraph(graph, feeds, lying);
    expect(run).toThrow(/^internal error \(tilec bug\): Relu 'relu' output 'r' is float32\[6\] but the graph says float32\[2,3\]$/);
    expect(run).not.toThrow(TilecError);
  });

  it('passes kernel errors through unchanged', () => {
    const bad: Graph = { ...graph, initializers: new Map([...graph.initializers, ['shape', tensor('int64', [2], [4, -1])]]) };
    expect(() => runGraph(bad, feeds, evaluateFloat)).toThrow("Reshape 'reshape': cannot infer the -1 in shape [4,-1] for an input of shape [2,3] (6 elements)");
  });

  it('passes absent optional inputs as undefined and skips absent outputs', () => {
    const clip: Graph = {
      ...graph,
      nodes: [{ op: 'Clip', name: 'clip', inputs: ['x', '', 'hi'], outputs: ['y'], attrs: {} }],
      outputs: ['y'],
      values: new Map([['x', vt('float32', [2, 3])], ['hi', vt('float32', [])], ['y', vt('float32', [2, 3])]]),
      initializers: new Map([['hi', tensor('float32', [], [2])]]),
    };
    expect(Array.from(runGraph(clip, feeds, evaluateFloat).get('y')!.data)).toEqual([1, 2, 2, -4, 2, -6]);
  });
});
