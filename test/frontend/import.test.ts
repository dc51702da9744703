import { describe, expect, it } from 'vitest';
import { type ImportOptions, importModel } from '../../frontend/index.js';
import { TilecError, UnsupportedError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Node } from '../../ir/ops.js';
import { tensor } from '../../ir/tensor.js';
import { type ModelSpec, type NodeSpec, buildModel, buildModelProto, encodeModel } from '../helpers/onnx-builder.js';
import { standInEvaluate } from './stand-in-evaluate.js';

const imp = (spec: ModelSpec, opts: Partial<ImportOptions> = {}): Graph =>
  importModel(buildModel(spec), { evaluate: standInEvaluate(), ...opts });

/** The one node of a one-node model, for attribute tests. */
function single(node: NodeSpec, opset: number, spec: Partial<ModelSpec> = {}): Node {
  const g = imp({
    opset,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }],
    outputs: [{ name: node.outputs[0]!, dtype: 'float32' }],
    ...spec,
    nodes: [...(spec.nodes ?? []), node],
  });
  return g.nodes[g.nodes.length - 1]!;
}

const x4: ModelSpec['inputs'] = [{ name: 'x', dtype: 'float32', shape: [2, 3] }];

describe('importModel: structure', () => {
  it('imports a small graph with initializers, types every value and keeps the opsets', () => {
    const g = imp({
      graphName: 'mlp',
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2, 4] }],
      initializers: [
        { name: 'w', dtype: 'float32', shape: [3, 4], data: Array.from({ length: 12 }, (_, i) => i) },
        { name: 'b', dtype: 'float32', shape: [4], data: [1, 2, 3, 4], encoding: 'typed' },
      ],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'], name: 'mm' },
        { op: 'Add', inputs: ['h', 'b'], outputs: ['y'], name: 'add' },
      ],
    });
    expect(g.name).toBe('mlp');
    expect(g.inputs).toEqual(['x']);
    expect(g.outputs).toEqual(['y']);
    expect(g.nodes.map((n) => `${n.op}:${n.name}`)).toEqual(['MatMul:mm', 'Add:add']);
    expect(g.nodes[0]).toEqual({ op: 'MatMul', name: 'mm', inputs: ['x', 'w'], outputs: ['h'], attrs: {} });
    expect(Object.fromEntries(g.values)).toEqual({
      x: { dtype: 'float32', shape: [2, 3] }, w: { dtype: 'float32', shape: [3, 4] }, b: { dtype: 'float32', shape: [4] },
      h: { dtype: 'float32', shape: [2, 4] }, y: { dtype: 'float32', shape: [2, 4] },
    });
    expect(Array.from(g.initializers.get('b')!.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(g.initializers.get('w')!.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(g.opsets).toEqual(new Map([['', 13]]));
  });

  it('drops initializers from the inputs of IR v3 models, which list every weight as an input', () => {
    const g = imp({
      irVersion: 3, opset: 8, initializersAsInputs: true,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: [{ name: 'w', dtype: 'float32', shape: [3, 1], data: [1, 2, 3] }],
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    expect(g.inputs).toEqual(['x']);
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [2, 1] });
  });

  it('widens float16 initializers and keeps int64 ones exact', () => {
    const g = imp({
      inputs: x4, outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: [
        { name: 'h', dtype: 'float16', shape: [3], data: [0.5, -1, 2048] },
        { name: 'i', dtype: 'int64', shape: [2], data: [2 ** 53, -3], encoding: 'typed' },
      ],
      nodes: [{ op: 'Add', inputs: ['x', 'h'], outputs: ['y'] }],
    });
    expect(g.initializers.get('h')).toEqual(tensor('float32', [3], [0.5, -1, 2048]));
    expect(g.initializers.get('i')).toEqual(tensor('int64', [2], [2 ** 53, -3]));
  });

  it('names unnamed nodes op_index and makes repeated names unique', () => {
    const g = imp({
      inputs: x4, outputs: [{ name: 'c', dtype: 'float32' }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'r' },
        { op: 'Relu', inputs: ['b'], outputs: ['c'], name: 'r' },
      ],
    });
    expect(g.nodes.map((n) => n.name)).toEqual(['Relu_0', 'r', 'r_1']);
  });

  it('sorts nodes topologically and keeps an already valid order', () => {
    const g = imp({
      inputs: x4, outputs: [{ name: 'd', dtype: 'float32' }],
      nodes: [
        { op: 'Add', inputs: ['b', 'c'], outputs: ['d'], name: 'join' },
        { op: 'Sigmoid', inputs: ['a'], outputs: ['c'], name: 'sig' },
        { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'first' },
        { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'relu2' },
      ],
    });
    // depth-first from the first node: each node right after what it reads
    expect(g.nodes.map((n) => n.name)).toEqual(['first', 'relu2', 'sig', 'join']);
  });

  it('reports a cycle with the nodes on it', () => {
    const spec: ModelSpec = {
      inputs: x4, outputs: [{ name: 'c', dtype: 'float32' }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'entry' },
        { op: 'Add', inputs: ['a', 'c'], outputs: ['b'], name: 'add' },
        { op: 'Relu', inputs: ['b'], outputs: ['c'], name: 'back' },
      ],
    };
    expect(() => imp(spec)).toThrow("graph has a cycle (each node reads an output of the next): Add 'add' -> Relu 'back' -> Add 'add' (through value 'b')");
    const self: ModelSpec = { inputs: x4, outputs: [{ name: 'a', dtype: 'float32' }], nodes: [{ op: 'Add', inputs: ['x', 'a'], outputs: ['a'], name: 'loop' }] };
    expect(() => imp(self)).toThrow(/cycle .*: Add 'loop' -> Add 'loop'/);
  });

  it('prefixes every error with the model path and keeps the error class', () => {
    const spec: ModelSpec = { inputs: x4, outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Erf', inputs: ['x'], outputs: ['y'], name: 'e' }] };
    const run = (): Graph => imp(spec, { path: 'models/net.onnx' });
    expect(run).toThrow(UnsupportedError);
    expect(run).toThrow("models/net.onnx: Erf 'e': operator 'Erf' is not supported by tilec");
  });
});

describe('importModel: Constant nodes', () => {
  const constModel = (attrs: NodeSpec['attrs']): Graph => imp({
    inputs: [], outputs: [{ name: 'c', dtype: 'float32' }],
    nodes: [{ op: 'Constant', inputs: [], outputs: ['c'], name: 'k', attrs }],
  });
  const valueOf = (g: Graph) => (g.nodes[0] as Node & { op: 'Constant' }).attrs.value;

  it('turns every value form into a Constant node whose attrs.value is a Tensor', () => {
    expect(valueOf(constModel({ value: { dtype: 'float32', shape: [2, 2], data: [1, 2, 3, 4] } }))).toEqual(tensor('float32', [2, 2], [1, 2, 3, 4]));
    const f = constModel({ value_float: { f: 2.5 } });
    expect(valueOf(f)).toEqual(tensor('float32', [], [2.5]));
    expect(f.values.get('c')).toEqual({ dtype: 'float32', shape: [] });
    expect(valueOf(constModel({ value_floats: { floats: [1, 0.5] } }))).toEqual(tensor('float32', [2], [1, 0.5]));
  });

  it('gives value_int and value_ints int64 tensors (the declared output type must agree)', () => {
    const intModel = (attrs: NodeSpec['attrs']): Graph => imp({
      inputs: [], outputs: [{ name: 'c', dtype: 'int64' }],
      nodes: [{ op: 'Constant', inputs: [], outputs: ['c'], name: 'k', attrs }],
    });
    expect(valueOf(intModel({ value_int: 7 }))).toEqual(tensor('int64', [], [7]));
    expect(valueOf(intModel({ value_ints: [3, -1, 4] }))).toEqual(tensor('int64', [3], [3, -1, 4]));
    expect(() => constModel({ value_int: 7 })).toThrow("graph output 'c' is declared FLOAT but computes int64");
  });

  it('rejects zero or several value attributes and string/sparse values', () => {
    expect(() => constModel({})).toThrow("Constant 'k': needs exactly one value attribute, found none");
    expect(() => constModel({ value_float: { f: 1 }, value_int: 1 })).toThrow('found value_float, value_int');
    expect(() => constModel({ value_string: 'hi' })).toThrow(UnsupportedError);
    expect(() => constModel({ value_string: 'hi' })).toThrow("Constant 'k': attribute value_string is not supported");
  });
});

describe('importModel: opsets and operators', () => {
  const relu = (opsets: ModelSpec['opsets'], node: Partial<NodeSpec> = {}): Graph => imp({
    opsets, inputs: x4, outputs: [{ name: 'y', dtype: 'float32' }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r', ...node }],
  });

  it("treats 'ai.onnx' as the default domain and tolerates declared but unused domains", () => {
    expect(relu([{ domain: 'ai.onnx', version: 14 }]).opsets).toEqual(new Map([['', 14]]));
    expect(relu([{ domain: '', version: 13 }, { domain: 'ai.onnx.ml', version: 3 }]).opsets.get('ai.onnx.ml')).toBe(3);
  });

  it('rejects nodes from other domains, naming node and domain', () => {
    const run = (): Graph => relu([{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }], { domain: 'com.microsoft', op: 'FusedConv' });
    expect(run).toThrow(UnsupportedError);
    expect(run).toThrow("FusedConv 'r': model uses operator domain 'com.microsoft' (opset 1), which is not supported");
  });

  it('rejects opsets outside 7..25 and a missing default opset', () => {
    expect(() => relu([{ domain: '', version: 26 }])).toThrow('model uses opset 26, newer than opset 25, the newest tilec supports');
    expect(() => relu([{ domain: '', version: 6 }])).toThrow(UnsupportedError);
    expect(() => relu([{ domain: 'ai.onnx.ml', version: 2 }])).toThrow('model has no opset_import for the default ONNX domain');
    expect(() => relu([{ domain: '', version: 12 }, { domain: 'ai.onnx', version: 13 }])).toThrow('imports the default domain twice, at opsets 12 and 13');
  });

  it('rejects unknown ops and ops newer than the model opset', () => {
    expect(() => relu([{ domain: '', version: 13 }], { op: 'LSTM' })).toThrow("LSTM 'r': operator 'LSTM' is not supported by tilec");
    const q = (): Graph => imp({
      opset: 9, inputs: x4, outputs: [{ name: 'y', dtype: 'uint8' }],
      initializers: [{ name: 's', dtype: 'float32', shape: [], data: [0.1] }],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'], name: 'q' }],
    });
    expect(q).toThrow("QuantizeLinear 'q': QuantizeLinear does not exist in opset 9 (it was introduced in opset 10)");
  });
});

describe('importModel: attributes', () => {
  it('fills Conv and pool defaults, leaving rank-dependent ones absent', () => {
    const w = { name: 'w', dtype: 'float32' as const, shape: [3, 2, 3, 3], data: new Array(54).fill(0.5) };
    const conv = single({ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'c', attrs: { kernel_shape: [3, 3] } }, 13, { initializers: [w] });
    expect(conv.attrs).toEqual({ kernel_shape: [3, 3], group: 1, auto_pad: 'NOTSET' });
    expect(Object.keys(conv.attrs)).not.toContain('strides');
    const mp = single({ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } }, 13);
    expect(mp.attrs).toEqual({ kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0 });
    const ap = single({ op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], count_include_pad: 1, ceil_mode: 1, auto_pad: 'SAME_UPPER' } }, 19);
    expect(ap.attrs).toEqual({ kernel_shape: [2, 2], auto_pad: 'SAME_UPPER', ceil_mode: 1, count_include_pad: 1, storage_order: 0 });
  });

  it('rejects pool attributes that change semantics or are malformed', () => {
    const pool = (attrs: NodeSpec['attrs'], op = 'MaxPool'): Node => single({ op, inputs: ['x'], outputs: ['y'], name: 'p', attrs }, 13);
    expect(() => pool({ kernel_shape: [2, 2], count_include_pad: 1 })).toThrow("MaxPool 'p': attribute 'count_include_pad' is not supported (opset 13)");
    expect(() => pool({ strides: [1, 1] })).toThrow("MaxPool 'p': required attribute kernel_shape is missing");
    expect(() => pool({ kernel_shape: { floats: [2.5, 2] } })).toThrow("MaxPool 'p': attribute 'kernel_shape' has type FLOATS, expected INTS");
    expect(() => pool({ kernel_shape: [2, 2], ceil_mode: 2 })).toThrow("MaxPool 'p': attribute ceil_mode = 2 must be 0 or 1");
    expect(() => pool({ kernel_shape: [2, 2], auto_pad: 'SAME' })).toThrow(UnsupportedError);
  });

  it('fills Gemm defaults and accepts a float attribute written as an int', () => {
    const b = { name: 'b', dtype: 'float32' as const, shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    const gemm = (attrs: NodeSpec['attrs']): Node => imp({
      inputs: [{ name: 'a', dtype: 'float32', shape: [2, 2] }], outputs: [{ name: 'y', dtype: 'float32' }], initializers: [b],
      nodes: [{ op: 'Gemm', inputs: ['a', 'b'], outputs: ['y'], attrs }],
    }).nodes[0]!;
    expect(gemm({}).attrs).toEqual({ alpha: 1, beta: 1, transA: 0, transB: 0 });
    expect(gemm({ alpha: 2, beta: { f: 0.5 }, transA: 1 }).attrs).toEqual({ alpha: 2, beta: 0.5, transA: 1, transB: 0 });
  });

  it('reads Clip bounds from attributes before opset 11 and from inputs after', () => {
    expect(single({ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { f: -1 }, max: 6.5 } }, 6 + 4).attrs).toEqual({ min: -1, max: 6.5 });
    expect(single({ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { max: { f: 6 } } }, 7).attrs).toEqual({ max: 6 });
    const inputs = { initializers: [{ name: 'lo', dtype: 'float32' as const, shape: [], data: [0] }] };
    expect(single({ op: 'Clip', inputs: ['x', 'lo'], outputs: ['y'] }, 11, inputs).attrs).toEqual({});
    expect(() => single({ op: 'Clip', inputs: ['x'], outputs: ['y'], name: 'c', attrs: { min: { f: 0 } } }, 11))
      .toThrow("Clip 'c': attribute 'min' is not supported (opset 11)");
  });

  it('gives Softmax its opset-dependent axis default and flattening rule', () => {
    expect(single({ op: 'Softmax', inputs: ['x'], outputs: ['y'] }, 11).attrs).toEqual({ axis: 1, coerce2d: true });
    expect(single({ op: 'Softmax', inputs: ['x'], outputs: ['y'] }, 13).attrs).toEqual({ axis: -1, coerce2d: false });
    expect(single({ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 2 } }, 13).attrs).toEqual({ axis: 2, coerce2d: false });
  });

  it('reads Squeeze/Unsqueeze axes from the attribute before opset 13 and from input 1 after', () => {
    const sq = single({ op: 'Squeeze', inputs: ['x'], outputs: ['y'], attrs: { axes: [0] } }, 11);
    expect(sq.attrs).toEqual({ axes: [0] });
    const axes = { initializers: [{ name: 'ax', dtype: 'int64' as const, shape: [1], data: [0] }] };
    const g = imp({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3] }], outputs: [{ name: 'y', dtype: 'float32', shape: [3] }], ...axes,
      nodes: [{ op: 'Squeeze', inputs: ['x', 'ax'], outputs: ['y'] }],
    });
    expect(g.nodes[0]!.attrs).toEqual({});
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [3] });
    expect(() => single({ op: 'Unsqueeze', inputs: ['x'], outputs: ['y'], name: 'u' }, 11)).toThrow("Unsqueeze 'u': required attribute axes is missing");
    expect(() => single({ op: 'Unsqueeze', inputs: ['x'], outputs: ['y'], name: 'u', attrs: { axes: [0] } }, 13)).toThrow("Unsqueeze 'u': attribute 'axes' is not supported (opset 13)");
  });

  it('reads Pad from attributes before opset 11 and inputs after, rejecting wrap mode', () => {
    const p = single({ op: 'Pad', inputs: ['x'], outputs: ['y'], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: { f: 0.5 } } }, 10);
    expect(p.attrs).toEqual({ mode: 'constant', pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0.5 });
    const pads = { initializers: [{ name: 'pads', dtype: 'int64' as const, shape: [8], data: [0, 0, 1, 1, 0, 0, 1, 1] }] };
    expect(single({ op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode: 'reflect' } }, 11, pads).attrs).toEqual({ mode: 'reflect' });
    expect(() => single({ op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'], name: 'p', attrs: { mode: 'wrap' } }, 19, pads))
      .toThrow("Pad 'p': attribute mode = 'wrap' is not supported (expected 'constant', 'reflect', 'edge')");
  });

  it('normalizes BatchNormalization: ignores momentum/spatial=1, rejects training', () => {
    const params = ['s', 'b', 'm', 'v'].map((name) => ({ name, dtype: 'float32' as const, shape: [2], data: [1, 1] }));
    const bn = (attrs: NodeSpec['attrs'], opset = 9, outputs = ['y']): Node => single({ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs, name: 'bn', attrs }, opset, { initializers: params });
    expect(bn({}).attrs).toEqual({ epsilon: 1e-5 });
    expect(bn({ epsilon: { f: 0.001 }, momentum: { f: 0.9 }, spatial: 1 }, 7).attrs).toEqual({ epsilon: Math.fround(0.001) });
    expect(() => bn({ spatial: 0 }, 7)).toThrow(UnsupportedError);
    expect(() => bn({ training_mode: 1 }, 14)).toThrow("BatchNormalization 'bn': training_mode = 1 is not supported");
    expect(() => bn({}, 9, ['y', 'mean', 'var'])).toThrow("BatchNormalization 'bn': training outputs (mean, var) are not supported");
  });

  it('fills LRN, LeakyRelu, Flatten, Gather, Shape and Q/DQ defaults', () => {
    expect(single({ op: 'LRN', inputs: ['x'], outputs: ['y'], attrs: { size: 3 } }, 13).attrs).toEqual({ alpha: 1e-4, beta: 0.75, bias: 1, size: 3 });
    expect(() => single({ op: 'LRN', inputs: ['x'], outputs: ['y'], name: 'l' }, 13)).toThrow("LRN 'l': required attribute size is missing");
    expect(single({ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'] }, 13).attrs).toEqual({ alpha: 0.01 });
    expect(single({ op: 'Flatten', inputs: ['x'], outputs: ['y'] }, 13).attrs).toEqual({ axis: 1 });
    expect(single({ op: 'Shape', inputs: ['x'], outputs: ['y'] }, 15, { outputs: [{ name: 'y', dtype: 'int64' }] }).attrs).toEqual({ start: 0 });
    const sh = imp({ opset: 15, inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 4, 5] }], outputs: [{ name: 'y', dtype: 'int64' }],
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['y'], attrs: { start: 1, end: -1 } }] });
    expect(sh.nodes[0]!.attrs).toEqual({ start: 1, end: -1 });
    expect(sh.values.get('y')).toEqual({ dtype: 'int64', shape: [2] });
    const q = imp({
      opset: 13, inputs: x4, outputs: [{ name: 'y', dtype: 'int8' }],
      initializers: [{ name: 's', dtype: 'float32', shape: [], data: [0.1] }, { name: 'z', dtype: 'int8', shape: [], data: [0] }],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], name: 'q' }],
    });
    expect(q.nodes[0]!.attrs).toEqual({ axis: 1 });
    expect(q.values.get('y')).toEqual({ dtype: 'int8', shape: [2, 3] });
  });

  it('reads Dropout ratio before opset 12 and requires a constant false training_mode after', () => {
    expect(single({ op: 'Dropout', inputs: ['x'], outputs: ['y'], attrs: { ratio: { f: 0.25 } } }, 10).attrs).toEqual({ ratio: 0.25 });
    expect(single({ op: 'Dropout', inputs: ['x'], outputs: ['y'] }, 10).attrs).toEqual({ ratio: 0.5 });
    const mode = (v: number) => ({ initializers: [{ name: 't', dtype: 'bool' as const, shape: [], data: [v] }] });
    expect(single({ op: 'Dropout', inputs: ['x', '', 't'], outputs: ['y'], attrs: { seed: 3 } }, 13, mode(0)).attrs).toEqual({});
    expect(() => single({ op: 'Dropout', inputs: ['x', '', 't'], outputs: ['y'], name: 'd' }, 13, mode(1))).toThrow("Dropout 'd': training_mode = true is not supported");
  });

  it('rejects unknown attributes by name, and duplicate ones', () => {
    expect(() => single({ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r', attrs: { alpha: { f: 1 } } }, 13))
      .toThrow("Relu 'r': attribute 'alpha' is not supported (opset 13)");
    const proto = buildModelProto({ inputs: x4, outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'], name: 'f', attrs: { axis: 1 } }] });
    proto.graph!.node![0]!.attribute!.push({ ...proto.graph!.node![0]!.attribute![0]! });
    expect(() => importModel(encodeModel(proto), { evaluate: standInEvaluate() })).toThrow("Flatten 'f' has attribute 'axis' twice");
  });
});

describe('importModel: typing with constants', () => {
  it('folds a Shape -> Gather -> Unsqueeze -> Concat chain to type a Reshape (PyTorch flatten)', () => {
    const evaluate = standInEvaluate();
    const g = imp({
      opset: 11,
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 6] }],
      initializers: [{ name: 'zero', dtype: 'int64', shape: [], data: [0] }, { name: 'minus1', dtype: 'int64', shape: [1], data: [-1] }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'], name: 'shape' },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], name: 'gather', attrs: { axis: 0 } },
        { op: 'Unsqueeze', inputs: ['n'], outputs: ['n1'], name: 'unsq', attrs: { axes: [0] } },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], name: 'cat', attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'target'], outputs: ['y'], name: 'reshape' },
      ],
    }, { inputShapes: new Map([['x', [5, 2, 3]]]), evaluate });
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [5, 6] });
    expect(evaluate.calls).toEqual(['gather', 'unsq', 'cat']);
    // the folded values only serve typing: the graph keeps its nodes
    expect(g.nodes.map((n) => n.op)).toEqual(['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape']);
  });

  it('types a big ConstantOfShape without evaluating it, and evaluates small constant nodes', () => {
    const evaluate = standInEvaluate();
    const g = imp({
      opset: 9,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32' }, { name: 'small', dtype: 'float32' }],
      initializers: [{ name: 'wshape', dtype: 'int64', shape: [2], data: [4, 70000] }, { name: 'bshape', dtype: 'int64', shape: [1], data: [3] }],
      nodes: [
        { op: 'ConstantOfShape', inputs: ['wshape'], outputs: ['w'], name: 'weights', attrs: { value: { dtype: 'float32', shape: [1], data: [0.5] } } },
        { op: 'ConstantOfShape', inputs: ['bshape'], outputs: ['small'], name: 'bias' },
        { op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'], name: 'mm' },
      ],
    }, { evaluate });
    expect(g.values.get('w')).toEqual({ dtype: 'float32', shape: [4, 70000] });
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [1, 70000] });
    expect(evaluate.calls).toEqual(['bias']); // the stand-in declines it (UnsupportedError), which is tolerated
  });

  it('names the node when an output would exceed the element limit', () => {
    const spec: ModelSpec = {
      opset: 9, inputs: [], outputs: [{ name: 'w', dtype: 'float32' }],
      initializers: [{ name: 's', dtype: 'int64', shape: [2], data: [1000, 1000] }],
      nodes: [{ op: 'ConstantOfShape', inputs: ['s'], outputs: ['w'], name: 'big' }],
    };
    expect(() => imp(spec, { maxTensorElements: 999_999 })).toThrow("ConstantOfShape 'big': output 'w' would have shape [1000,1000], more than the 999999 elements");
    expect(imp(spec, { maxTensorElements: 1_000_000 }).values.get('w')!.shape).toEqual([1000, 1000]);
  });

  it('fails on a declared output dtype that disagrees and warns on a declared shape that does', () => {
    const spec = (dtype: 'float32' | 'int32', shape: number[]): ModelSpec => ({
      inputs: x4, outputs: [{ name: 'y', dtype, shape }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    });
    expect(() => imp(spec('int32', [2, 3]))).toThrow("graph output 'y' is declared INT32 but computes float32");
    const warnings: string[] = [];
    imp(spec('float32', [2, 4]), { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(["graph output 'y' is declared with shape [2,4] but computes [2,3]"]);
  });

  it('binds constantInputs as initializers so value-dependent shapes can be typed', () => {
    const spec: ModelSpec = {
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }, { name: 'shape', dtype: 'int64', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'], name: 'r' }],
    };
    expect(() => imp(spec)).toThrow("Reshape 'r': input 1 (shape) 'shape' must be a constant");
    const g = imp(spec, { constantInputs: new Map([['shape', tensor('int64', [2], [3, 2])]]) });
    expect(g.inputs).toEqual(['x']);
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [3, 2] });
    expect(() => imp(spec, { constantInputs: new Map([['shape', tensor('int32', [2], [3, 2])]]) }))
      .toThrow("constant input 'shape' is int32[2] but the model declares int64[2]");
    expect(() => imp(spec, { constantInputs: new Map([['nope', tensor('int64', [1], [1])]]) })).toThrow("constant input 'nope' is not a graph input");
  });
});

describe('importModel: graph inputs and --input-shape', () => {
  const relu = (shape: ModelSpec['inputs'][number]['shape'], opts: Partial<ImportOptions> = {}, dtype: ModelSpec['inputs'][number]['dtype'] = 'float32'): Graph => imp({
    inputs: [{ name: 'x', dtype, shape }], outputs: [{ name: 'y', dtype: dtype === 'float16' ? 'float32' : dtype }],
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  }, opts);

  it('sets symbolic and unknown dims to 1 with a warning', () => {
    const warnings: string[] = [];
    const g = relu(['batch', 3, null], { warn: (m) => warnings.push(m) });
    expect(g.values.get('x')).toEqual({ dtype: 'float32', shape: [1, 3, 1] });
    expect(warnings).toEqual(["graph input 'x' has dynamic dims [batch,3,?]; using 1 for batch, ? (set them with --input-shape x=D0,D1,...)"]);
  });

  it('keeps a declared 0 extent (an empty input, as ONNX says) with a warning, and lets inputShapes replace it', () => {
    const warnings: string[] = [];
    expect(relu([0, 3], { warn: (m) => warnings.push(m) }).values.get('y')).toEqual({ dtype: 'float32', shape: [0, 3] });
    expect(warnings).toEqual(["graph input 'x' has a 0 extent in [0,3], i.e. it is empty; if the exporter meant a dynamic dim, set it with --input-shape x=D0,D1,..."]);
    expect(relu([0, 3], { inputShapes: new Map([['x', [4, 3]]]) }).values.get('y')!.shape).toEqual([4, 3]);
  });

  it('takes dims from inputShapes, checking names, ranks and fixed dims', () => {
    const warnings: string[] = [];
    const g = relu(['N', 3], { inputShapes: new Map([['x', [8, 3]]]), warn: (m) => warnings.push(m) });
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [8, 3] });
    expect(warnings).toEqual([]);
    expect(() => relu(['N', 3], { inputShapes: new Map([['z', [1, 3]]]) })).toThrow("--input-shape names 'z', which is not a model input (inputs: 'x')");
    expect(() => relu(['N', 3], { inputShapes: new Map([['x', [1, 3, 1]]]) })).toThrow("--input-shape x=1,3,1 has rank 3 but graph input 'x' has rank 2 ([N,3])");
    expect(() => relu(['N', 3], { inputShapes: new Map([['x', [1, 4]]]) })).toThrow('sets axis 1 to 4, but the model fixes it at 3');
    expect(() => relu(['N', 3], { inputShapes: new Map([['x', [0, 3]]]) })).toThrow('dims must be positive integers');
  });

  it('needs a shape from somewhere', () => {
    expect(() => relu(undefined)).toThrow("graph input 'x' has no shape; give one with --input-shape x=D0,D1,...");
    expect(relu(undefined, { inputShapes: new Map([['x', [2, 2]]]) }).values.get('x')!.shape).toEqual([2, 2]);
  });

  it('widens float16 inputs and rejects unsupported input types', () => {
    expect(relu([2], {}, 'float16').values.get('x')).toEqual({ dtype: 'float32', shape: [2] });
    expect(() => relu([2], {}, 8)).toThrow("graph input 'x' has element type STRING, which tilec does not support");
    const proto = buildModelProto({ inputs: x4, outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
    proto.graph!.input![0]!.type = { sequenceType: { elemType: { tensorType: { elemType: 1 } } } };
    expect(() => importModel(encodeModel(proto), { evaluate: standInEvaluate() })).toThrow(/graph input 'x' is not a tensor/);
  });
});

describe('importModel: validation', () => {
  const base = (patch: Partial<ModelSpec>): ModelSpec => ({
    inputs: x4, outputs: [{ name: 'y', dtype: 'float32' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }], ...patch,
  });
  const cases: [string, ModelSpec, string][] = [
    ['two producers of one value', base({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'a' }, { op: 'Sigmoid', inputs: ['x'], outputs: ['y'], name: 'b' }] }),
      "value 'y' is produced twice: by Relu 'a' and by Sigmoid 'b'"],
    ['a node output that is a graph input', base({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['x'], name: 'a' }], outputs: [{ name: 'x', dtype: 'float32' }] }),
      "Relu 'a': output 'x' is also a graph input"],
    ['a node output that is an initializer', base({ initializers: [{ name: 'y', dtype: 'float32', shape: [1], data: [0] }] }),
      "Relu 'r': output 'y' is also an initializer"],
    ['duplicate initializers', base({ initializers: [{ name: 'w', dtype: 'float32', shape: [1], data: [0] }, { name: 'w', dtype: 'float32', shape: [1], data: [1] }] }),
      "initializer 'w' is defined twice"],
    ['duplicate graph inputs', base({ inputs: [...x4, ...x4] }), "graph input 'x' is listed twice"],
    ['duplicate graph outputs', base({ outputs: [{ name: 'y', dtype: 'float32' }, { name: 'y', dtype: 'float32' }] }), "graph output 'y' is listed twice"],
    ['a dangling input', base({ nodes: [{ op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'], name: 'add' }] }),
      "Add 'add': input 'ghost' is not produced by any node, nor a graph input or initializer"],
    ['an output nothing produces', base({ outputs: [{ name: 'z', dtype: 'float32' }] }),
      "graph output 'z' is not produced by any node, nor a graph input or initializer"],
    ['no outputs', base({ outputs: [] }), 'graph has no outputs'],
    ['no nodes', base({ nodes: [], initializers: [{ name: 'y', dtype: 'float32', shape: [1], data: [0] }] }), "graph 'test_graph' has no nodes"],
    ['an initializer whose raw data is short', base({ initializers: [{ name: 'w', dtype: 'float32', shape: [3], data: [1, 2] }] }),
      "initializer 'w': raw_data has 8 bytes but dims [3] of FLOAT need 12"],
    ['an initializer over the element limit', base({ initializers: [{ name: 'w', dtype: 'float32', shape: [4, 4], data: new Array(16).fill(0) }] }),
      "initializer 'w' has dims [4,4], more than the 10 elements"],
  ];
  it.each(cases)('rejects %s', (_, spec, message) => {
    const run = (): Graph => imp(spec, { maxTensorElements: 10, path: 'dir/m.onnx' });
    expect(run).toThrow(TilecError);
    expect(run).toThrow(`dir/m.onnx: ${message}`);
  });

  it('accepts a graph whose only output is its input', () => {
    const g = imp(base({ nodes: [], outputs: [{ name: 'x', dtype: 'float32' }] }));
    expect(g.nodes).toEqual([]);
    expect(g.outputs).toEqual(['x']);
  });

  it('rejects a model without a graph or with a nameless initializer', () => {
    const none = encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }] });
    expect(() => importModel(none, { evaluate: standInEvaluate(), path: 'm.onnx' })).toThrow('m.onnx: model has no graph');
    const proto = buildModelProto(base({ initializers: [{ name: 'w', dtype: 'float32', shape: [1], data: [0] }] }));
    proto.graph!.initializer![0]!.name = '';
    expect(() => importModel(encodeModel(proto), { evaluate: standInEvaluate() })).toThrow('initializer #0 has no name');
  });
});
