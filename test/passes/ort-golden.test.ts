import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importModel } from '../../frontend/index.js';
import { tensor } from '../../ir/tensor.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { buildModel, type TensorSpec } from '../helpers/onnx-builder.js';
import { randomTensor } from './build.js';
import { maxRelErr } from './reference.js';

// External golden: onnxruntime runs the model as exported (BN, Mul/Add, Identity, Dropout, shape chain);
// tilec's float reference runs the graph after FLOAT_PIPELINE (Conv, Relu, Reshape, Gemm only). They must
// agree, which checks the folds against an implementation that shares no code with tilec.

const rand = (name: string, shape: number[], seed: number, lo = -1, hi = 1): TensorSpec =>
  ({ name, dtype: 'float32', shape, data: randomTensor(shape, seed, lo, hi).data });
const bn = (p: string, c: number, seed: number): TensorSpec[] => [
  rand(`${p}_scale`, [c], seed, -2, 2), rand(`${p}_bias`, [c], seed + 1), rand(`${p}_mean`, [c], seed + 2), rand(`${p}_var`, [c], seed + 3, 0.2, 2),
];
const bnNode = (p: string, x: string, y: string) =>
  ({ op: 'BatchNormalization', name: p, inputs: [x, `${p}_scale`, `${p}_bias`, `${p}_mean`, `${p}_var`], outputs: [y], attrs: { epsilon: { f: 1e-5 } } });

const model = () => buildModel({
  opset: 13,
  inputs: [{ name: 'x', dtype: 'float32', shape: [2, 4, 9, 9] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [2, 5] }],
  initializers: [
    rand('w1', [6, 2, 3, 3], 1), rand('b1', [6], 2), ...bn('bn1', 6, 10), rand('mul1', [6, 1, 1], 20, -2, 2), rand('add1', [6, 1, 1], 21),
    rand('w2', [3, 6, 1, 1], 3), ...bn('bn2', 3, 30),
    { name: 'zero', dtype: 'int64', shape: [], data: [0] }, { name: 'axes0', dtype: 'int64', shape: [1], data: [0] },
    rand('fc_w', [5, 75], 4), rand('fc_b', [5], 5), ...bn('bn3', 5, 40),
  ],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] } },
    bnNode('bn1', 'c1', 'n1'),
    { op: 'Mul', name: 'mul1', inputs: ['n1', 'mul1'], outputs: ['m1'] },
    { op: 'Add', name: 'add1', inputs: ['m1', 'add1'], outputs: ['a1'] },
    { op: 'Relu', name: 'relu1', inputs: ['a1'], outputs: ['r1'] },
    { op: 'Identity', name: 'copy', inputs: ['r1'], outputs: ['r1c'] },
    { op: 'Conv', name: 'conv2', inputs: ['r1c', 'w2'], outputs: ['c2'] },
    bnNode('bn2', 'c2', 'n2'),
    { op: 'Relu', name: 'relu2', inputs: ['n2'], outputs: ['r2'] },
    { op: 'Shape', name: 'shape', inputs: ['r2'], outputs: ['s'] },
    { op: 'Gather', name: 'batch', inputs: ['s', 'zero'], outputs: ['nb'], attrs: { axis: 0 } },
    { op: 'Unsqueeze', name: 'unsq', inputs: ['nb', 'axes0'], outputs: ['nb1'] },
    { op: 'Constant', name: 'minus1', inputs: [], outputs: ['m1c'], attrs: { value: { dtype: 'int64', shape: [1], data: [-1] } } },
    { op: 'Concat', name: 'cat', inputs: ['nb1', 'm1c'], outputs: ['shp'], attrs: { axis: 0 } },
    { op: 'Reshape', name: 'flatten', inputs: ['r2', 'shp'], outputs: ['f'] },
    { op: 'Dropout', name: 'drop', inputs: ['f'], outputs: ['d'] },
    { op: 'Gemm', name: 'fc', inputs: ['d', 'fc_w', 'fc_b'], outputs: ['g'], attrs: { transB: 1, alpha: { f: 0.5 } } },
    bnNode('bn3', 'g', 'y'),
  ],
});

describe('FLOAT_PIPELINE against onnxruntime', () => {
  it('the cleaned graph (no BN, Mul/Add, Identity, Dropout or shape chain) computes what ORT computes on the original', async () => {
    const bytes = model();
    const x = randomTensor([2, 4, 9, 9], 77);
    const session = await ort.InferenceSession.create(bytes);
    const want = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [2, 4, 9, 9]) })).y!;

    const imported = importModel(bytes, { evaluate: evaluateFloat });
    const { graph } = runPasses(imported, FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} });
    expect(graph.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'Conv', 'Relu', 'Reshape', 'Gemm']);
    const got = runGraph(graph, new Map([['x', x]]), evaluateFloat).get('y')!;
    expect(got.shape).toEqual([2, 5]);
    expect(maxRelErr(got, tensor('float32', [2, 5], want.data as Float32Array))).toBeLessThan(1e-5);
  });
});
