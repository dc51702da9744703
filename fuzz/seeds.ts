import { type ModelSpec, type TensorSpec, buildModel } from '../test/helpers/onnx-builder.js';

// The valid models the fuzzer mutates: small enough that a whole compile and tile run takes milliseconds,
// varied enough that mutations reach every stage (conv lowering with groups and strides, BN folding, bias
// folding, pools, Pad, Concat, Reshape, residual Add, float islands).

/** Fixed values in [-0.5, 0.5) (an LCG: seeds must be the same on every run). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const f32 = (name: string, shape: number[], seed: number): TensorSpec =>
  ({ name, dtype: 'float32', shape, data: values(shape.reduce((a, b) => a * b, 1), seed) });

/** Conv -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm. */
const cnn: ModelSpec = {
  opset: 13,
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 6, 6] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 10] }],
  initializers: [
    f32('w', [4, 2, 3, 3], 1), f32('b', [4], 2),
    { name: 'bn_scale', dtype: 'float32', shape: [4], data: [1.2, 0.8, 1, 0.5] }, f32('bn_bias', [4], 3),
    f32('bn_mean', [4], 4), { name: 'bn_var', dtype: 'float32', shape: [4], data: [0.9, 1.1, 0.5, 2] },
    f32('wf', [10, 36], 5), f32('bf', [10], 6),
  ],
  nodes: [
    { op: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
    { op: 'BatchNormalization', name: 'bn', inputs: ['c', 'bn_scale', 'bn_bias', 'bn_mean', 'bn_var'], outputs: ['n'], attrs: { epsilon: 1e-5 } },
    { op: 'Relu', name: 'relu', inputs: ['n'], outputs: ['r'] },
    { op: 'MaxPool', name: 'pool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'wf', 'bf'], outputs: ['logits'], attrs: { transB: 1 } },
  ],
};

/** MatMul + Add (folded into Gemm) -> Relu -> MatMul + Add -> Softmax. */
const mlp: ModelSpec = {
  opset: 13,
  inputs: [{ name: 'x', dtype: 'float32', shape: [2, 8] }],
  outputs: [{ name: 'probs', dtype: 'float32', shape: [2, 4] }],
  initializers: [f32('w1', [8, 16], 11), f32('b1', [16], 12), f32('w2', [16, 4], 13), f32('b2', [4], 14)],
  nodes: [
    { op: 'MatMul', name: 'mm1', inputs: ['x', 'w1'], outputs: ['h0'] },
    { op: 'Add', name: 'add1', inputs: ['h0', 'b1'], outputs: ['h1'] },
    { op: 'Relu', name: 'relu1', inputs: ['h1'], outputs: ['h'] },
    { op: 'MatMul', name: 'mm2', inputs: ['h', 'w2'], outputs: ['z0'] },
    { op: 'Add', name: 'add2', inputs: ['z0', 'b2'], outputs: ['z'] },
    { op: 'Softmax', name: 'softmax', inputs: ['z'], outputs: ['probs'], attrs: { axis: 1 } },
  ],
};

/** Pad -> Conv, then MaxPool and AveragePool branches -> Concat -> 1x1 Conv + residual Add -> LeakyRelu -> Reshape -> Gemm. */
const shapes: ModelSpec = {
  opset: 13,
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1, 5] }],
  initializers: [
    { name: 'pads', dtype: 'int64', shape: [8], data: [0, 0, 1, 1, 0, 0, 1, 1] },
    f32('w1', [6, 3, 3, 3], 21), f32('b1', [6], 22),
    f32('w2', [12, 12, 1, 1], 23),
    { name: 'shape', dtype: 'int64', shape: [2], data: [1, -1] },
    f32('wf', [192, 5], 24), f32('bf', [5], 25),
  ],
  nodes: [
    { op: 'Pad', name: 'pad', inputs: ['x', 'pads'], outputs: ['xp'] },
    { op: 'Conv', name: 'conv1', inputs: ['xp', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3] } },
    { op: 'MaxPool', name: 'maxpool', inputs: ['c1'], outputs: ['m'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'AveragePool', name: 'avgpool', inputs: ['c1'], outputs: ['a'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'Concat', name: 'concat', inputs: ['m', 'a'], outputs: ['cat'], attrs: { axis: 1 } },
    { op: 'Conv', name: 'conv2', inputs: ['cat', 'w2'], outputs: ['c2'], attrs: { kernel_shape: [1, 1] } },
    { op: 'Add', name: 'residual', inputs: ['cat', 'c2'], outputs: ['s'] },
    { op: 'LeakyRelu', name: 'leaky', inputs: ['s'], outputs: ['l'], attrs: { alpha: 0.1 } },
    { op: 'Reshape', name: 'reshape', inputs: ['l', 'shape'], outputs: ['flat'] },
    { op: 'Gemm', name: 'fc', inputs: ['flat', 'wf', 'bf'], outputs: ['y'] },
  ],
};

/** Depthwise strided Conv -> Clip -> pointwise Conv -> Sigmoid -> GlobalAveragePool -> Flatten -> Gemm. */
const depthwise: ModelSpec = {
  opset: 13,
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4, 7, 7] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3] }],
  initializers: [
    f32('dw', [4, 1, 3, 3], 31), f32('db', [4], 32),
    { name: 'lo', dtype: 'float32', shape: [], data: [0] }, { name: 'hi', dtype: 'float32', shape: [], data: [6] },
    f32('pw', [8, 4, 1, 1], 33), f32('wf', [3, 8], 34),
  ],
  nodes: [
    { op: 'Conv', name: 'dwconv', inputs: ['x', 'dw', 'db'], outputs: ['d'], attrs: { group: 4, kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'Clip', name: 'relu6', inputs: ['d', 'lo', 'hi'], outputs: ['r'] },
    { op: 'Conv', name: 'pwconv', inputs: ['r', 'pw'], outputs: ['p'], attrs: { kernel_shape: [1, 1] } },
    { op: 'Sigmoid', name: 'sigmoid', inputs: ['p'], outputs: ['s'] },
    { op: 'GlobalAveragePool', name: 'gap', inputs: ['s'], outputs: ['g'] },
    { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 } },
  ],
};

export const SEED_SPECS: Readonly<Record<string, ModelSpec>> = { cnn, mlp, shapes, depthwise };

/** Encoded seed models, by name, in a fixed order. */
export const SEED_MODELS: readonly { readonly name: string; readonly bytes: Uint8Array }[] =
  Object.entries(SEED_SPECS).map(([name, spec]) => ({ name, bytes: buildModel(spec) }));
