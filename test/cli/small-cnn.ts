import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeNpy } from '../../cli/data/npy.js';
import { tensor } from '../../ir/tensor.js';
import { buildModel } from '../helpers/onnx-builder.js';

// A small CNN for compile/verify tests, built in code:
//   x [1,2,6,6] -> Conv 'conv' (4x2x3x3, pad 1, bias) -> Relu 'relu' -> MaxPool 'pool' (2x2) -> Flatten 'flat'
//   -> Gemm 'fc' (transB, 10x36, bias) -> logits [1,10]
// Weights are a fixed pseudo-random pattern in [-0.5, 0.5), so results are reproducible.

/** Deterministic values in [-0.5, 0.5) (a small LCG; tests only need "varied, fixed"). */
export function pattern(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

export function smallCnnBytes(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 6, 6] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 10] }],
    initializers: [
      { name: 'w', dtype: 'float32', shape: [4, 2, 3, 3], data: pattern(72, 1) },
      { name: 'b', dtype: 'float32', shape: [4], data: pattern(4, 2) },
      { name: 'wf', dtype: 'float32', shape: [10, 36], data: pattern(360, 3) },
      { name: 'bf', dtype: 'float32', shape: [10], data: pattern(10, 4) },
    ],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { op: 'MaxPool', name: 'pool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Flatten', name: 'flat', inputs: ['p'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'wf', 'bf'], outputs: ['logits'], attrs: { transB: 1 } },
    ],
  });
}

export function writeSmallCnn(dir: string, name = 'small.onnx'): string {
  const file = path.join(dir, name);
  writeFileSync(file, smallCnnBytes());
  return file;
}

/** An npy:DIR data set of `n` samples for the small CNN, with labels.npy when labels are given. */
export function writeNpySamples(dir: string, n: number, seed: number, labels?: readonly number[]): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const x = pattern(72, seed + i).map((v) => v + 0.5); // [0, 1)
    writeFileSync(path.join(dir, `sample_${String(i).padStart(3, '0')}.npy`), encodeNpy(tensor('float32', [1, 2, 6, 6], x)));
  }
  if (labels) writeFileSync(path.join(dir, 'labels.npy'), encodeNpy(tensor('int64', [labels.length], labels)));
  return dir;
}
