import { describe, expect, it } from 'vitest';
import type { Graph, QuantParams, ValueType } from '../../ir/graph.js';
import { withGraph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { tensor } from '../../ir/tensor.js';
import { T, graph, i64, mk } from './build.js';

/** x -> Conv(W) -> Relu -> Reshape(shape) -> out: small, valid, and exercising initializers. */
function valid(): Graph {
  return graph({
    name: 'tiny',
    inputs: { x: T('float32', 1, 1, 4, 4) },
    initializers: { W: tensor('float32', [2, 1, 3, 3]), shape: i64(1, -1) },
    nodes: [
      mk('Conv', ['x', 'W'], { group: 1, auto_pad: 'NOTSET' }, ['c'], 'conv'),
      mk('Relu', ['c'], {}, ['r'], 'relu'),
      mk('Reshape', ['r', 'shape'], { allowzero: 0 }, ['out'], 'flat'),
    ],
    outputs: ['out'],
  });
}

const setType = (g: Graph, name: string, t: ValueType): Graph => withGraph(g, { values: new Map(g.values).set(name, t) });
const withQuant = (g: Graph, name: string, quant: QuantParams): Graph => setType(g, name, { ...g.values.get(name)!, quant });

describe('verifyGraph', () => {
  it('accepts a valid graph', () => {
    const g = valid();
    expect(g.values.get('out')).toEqual(T('float32', 1, 8));
    expect(() => verifyGraph(g)).not.toThrow();
  });

  it('catches a value defined twice', () => {
    const g = valid();
    const nodes = [...g.nodes, mk('Relu', ['c'], {}, ['r'], 'relu2')];
    expect(() => verifyGraph(withGraph(g, { nodes }))).toThrow("graph 'tiny': value 'r' is defined twice (by Relu 'relu' output 0 and by Relu 'relu2' output 0)");
    expect(() => verifyGraph(withGraph(g, { inputs: ['x', 'W'] }))).toThrow("value 'W' is defined twice (by a graph input and by an initializer)");
  });

  it('catches a use before definition and an undefined value', () => {
    const g = valid();
    const nodes = [g.nodes[1]!, g.nodes[0]!, g.nodes[2]!];
    expect(() => verifyGraph(withGraph(g, { nodes }))).toThrow("Relu 'relu' input 0 'c' is used before the node that defines it (nodes are not in topological order)");
    const dangling = [g.nodes[0]!, mk('Relu', ['nope'], {}, ['r'], 'relu'), g.nodes[2]!];
    expect(() => verifyGraph(withGraph(g, { nodes: dangling }))).toThrow("Relu 'relu' input 0 'nope' is never defined");
  });

  it('allows absent optional inputs', () => {
    const g = valid();
    const nodes = [mk('Conv', ['x', 'W', ''], { group: 1, auto_pad: 'NOTSET' }, ['c'], 'conv'), ...g.nodes.slice(1)];
    expect(() => verifyGraph(withGraph(g, { nodes }))).not.toThrow();
  });

  it('catches duplicate and empty node names', () => {
    const g = valid();
    const nodes = g.nodes.map((n) => (n.name === 'relu' ? { ...n, name: 'conv' } : n));
    expect(() => verifyGraph(withGraph(g, { nodes }))).toThrow("node name 'conv' is used twice (second: Relu 'conv')");
    const unnamed = g.nodes.map((n) => (n.name === 'relu' ? { ...n, name: '' } : n));
    expect(() => verifyGraph(withGraph(g, { nodes: unnamed }))).toThrow('a Relu node has an empty name');
  });

  it('catches untyped values and stale types', () => {
    const g = valid();
    const values = new Map(g.values);
    values.delete('r');
    expect(() => verifyGraph(withGraph(g, { values }))).toThrow("value 'r' (defined by Relu 'relu' output 0) has no type");
    expect(() => verifyGraph(setType(g, 'ghost', T('float32', 1)))).toThrow("value 'ghost' has a type but nothing defines it");
  });

  it('catches initializers that disagree with their types', () => {
    const g = valid();
    expect(() => verifyGraph(setType(g, 'W', T('float32', 2, 1, 3, 4)))).toThrow("initializer 'W' holds float32[2,1,3,3] but its value type says float32[2,1,3,4]");
    const bad = { dtype: 'float32' as const, shape: [2, 1, 3, 3], data: new Float32Array(5) };
    expect(() => verifyGraph(withGraph(g, { initializers: new Map(g.initializers).set('W', bad) }))).toThrow("initializer 'W' has 5 elements but shape [2,1,3,3] needs 18");
  });

  it('catches undefined graph outputs', () => {
    expect(() => verifyGraph(withGraph(valid(), { outputs: ['out', 'missing'] }))).toThrow("graph output 1 'missing' is never defined");
  });

  it('catches recorded types that inference contradicts', () => {
    const g = valid();
    expect(() => verifyGraph(setType(g, 'c', T('float32', 1, 2, 4, 4)))).toThrow("Conv 'conv' output 0 'c' is recorded as float32[1,2,4,4] but inference gives float32[1,2,2,2]");
    expect(() => verifyGraph(setType(g, 'r', T('float64', 1, 2, 2, 2)))).toThrow("Relu 'relu' output 0 'r' is recorded as float64[1,2,2,2] but inference gives float32[1,2,2,2]");
  });

  it('reports inference errors naming the node', () => {
    const g = valid();
    const nodes = [mk('Conv', ['x', 'W'], { group: 2, auto_pad: 'NOTSET' }, ['c'], 'conv'), ...g.nodes.slice(1)];
    expect(() => verifyGraph(withGraph(g, { nodes }))).toThrow("Conv 'conv': input has 1 channels but weight expects 2 (group 2)");
  });

  it('skips the comparison when the type depends on a non-constant value', () => {
    // The reshape's shape comes from a graph input: the recorded type cannot be re-derived.
    const g = valid();
    const initializers = new Map(g.initializers);
    initializers.delete('shape');
    expect(() => verifyGraph(withGraph(g, { initializers, inputs: ['x', 'shape'] }))).not.toThrow();
  });

  it('checks quant params', () => {
    const g = valid();
    const q = (p: Partial<QuantParams>): QuantParams => ({ scale: [0.5], zeroPoint: [0], bits: 8, ...p });
    expect(() => verifyGraph(withQuant(g, 'r', q({})))).not.toThrow();
    expect(() => verifyGraph(withQuant(g, 'W', q({ axis: 0, scale: [0.5, 0.25], zeroPoint: [0, 0] })))).not.toThrow();
    expect(() => verifyGraph(withQuant(g, 'r', q({ scale: [0] })))).toThrow("value 'r' (float32[1,2,2,2]): quant scale[0] = 0 must be finite and > 0");
    expect(() => verifyGraph(withQuant(g, 'r', q({ scale: [Infinity] })))).toThrow('quant scale[0] = Infinity must be finite and > 0');
    expect(() => verifyGraph(withQuant(g, 'r', q({ scale: [NaN] })))).toThrow('must be finite');
    expect(() => verifyGraph(withQuant(g, 'r', q({ zeroPoint: [256] })))).toThrow('quant zeroPoint[0] = 256 is not an integer in [-128, 255]');
    expect(() => verifyGraph(withQuant(g, 'r', q({ zeroPoint: [0.5] })))).toThrow('is not an integer');
    expect(() => verifyGraph(withQuant(g, 'r', q({ zeroPoint: [0, 0] })))).toThrow('quant has 1 scales but 2 zero points');
    expect(() => verifyGraph(withQuant(g, 'W', q({ axis: 0, scale: [1, 1, 1], zeroPoint: [0, 0, 0] })))).toThrow('quant has 3 scales but axis 0 has extent 2');
    expect(() => verifyGraph(withQuant(g, 'W', q({ axis: 4 })))).toThrow('quant axis 4 is out of range [0, 3]');
    expect(() => verifyGraph(withQuant(g, 'W', q({ scale: [1, 1], zeroPoint: [0, 0] })))).toThrow('per-channel parameters need one');
    expect(() => verifyGraph(withQuant(g, 'r', q({ bits: 1 })))).toThrow('quant bits 1 must be an integer in [2, 32]');
  });

  it('checks zero points against an integer dtype', () => {
    const g = graph({
      inputs: { x: T('float32', 4) },
      initializers: { s: tensor('float32', [], [0.1]), z: tensor('int8', [], [0]) },
      nodes: [mk('QuantizeLinear', ['x', 's', 'z'], { axis: 1 }, ['q'], 'q')],
      outputs: ['q'],
    });
    expect(() => verifyGraph(withQuant(g, 'q', { scale: [0.1], zeroPoint: [-128], bits: 8 }))).not.toThrow();
    expect(() => verifyGraph(withQuant(g, 'q', { scale: [0.1], zeroPoint: [128], bits: 8 }))).toThrow('quant zeroPoint[0] = 128 is not an integer in [-128, 127]');
    expect(() => verifyGraph(withQuant(g, 'q', { scale: [0.1], zeroPoint: [0], bits: 16 }))).toThrow('quant bits 16 must be an integer in [2, 8]');
  });

  it('checks opset versions', () => {
    expect(() => verifyGraph(withGraph(valid(), { opsets: new Map([['', 0]]) }))).toThrow("opset version 0 for domain '' must be a positive integer");
  });
});
