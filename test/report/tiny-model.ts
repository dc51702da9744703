import { buildModel } from '../helpers/onnx-builder.js';

// A tiny CNN built in code for the report and package tests:
//   x [1,1,4,4] -> Conv CONV (3x1x3x3, pad 1) -> Relu 'relu' -> Flatten 'flat' -> Gemm 'fc' (2x48, transB) -> y [1,2]
// MACs: conv 3 channels · 16 pixels · 9 = 432; fc 2 · 48 = 96.

export function tinyCnn(convName = 'conv'): Uint8Array {
  const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (((i * 7 + seed * 13) % 17) - 8) / 16);
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2] }],
    initializers: [
      { name: 'w', dtype: 'float32', shape: [3, 1, 3, 3], data: values(27, 1) },
      { name: 'wf', dtype: 'float32', shape: [2, 48], data: values(96, 2) },
    ],
    nodes: [
      { op: 'Conv', name: convName, inputs: ['x', 'w'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Flatten', name: 'flat', inputs: ['r'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
  });
}
