import { describe, expect, it } from 'vitest';
import { FLOAT_KERNELS_IMPLEMENTED, evaluateFloat } from '../../../runtime/float/index.js';
import { OP_NAMES, type Node } from '../../../ir/ops.js';
import { UnsupportedError } from '../../../ir/errors.js';
import { f32, node, vals } from './make.js';

describe('evaluateFloat', () => {
  it('dispatches each op to its kernel', () => {
    expect(vals(evaluateFloat(node('Relu', {}), [f32([2], [-1, 1])])[0]!)).toEqual([0, 1]);
    expect(vals(evaluateFloat(node('Sub', {}, 2), [f32([1], [5]), f32([1], [3])])[0]!)).toEqual([2]);
    expect(vals(evaluateFloat(node('MatMul', {}, 2), [f32([1, 2], [1, 2]), f32([2, 1], [3, 4])])[0]!)).toEqual([11]);
  });
  it('implements the elementwise, shape and matrix ops', () => {
    for (const op of ['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Softmax', 'Add', 'Sub', 'Mul', 'Div', 'Sum', 'Concat', 'Flatten',
      'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Pad', 'Shape', 'Gather', 'Identity', 'Dropout', 'Constant', 'ConstantOfShape',
      'Conv', 'Gemm', 'MatMul'] as const) {
      expect(FLOAT_KERNELS_IMPLEMENTED.has(op), op).toBe(true);
    }
  });
  it('answers every op not yet implemented with an UnsupportedError naming the node', () => {
    const missing = OP_NAMES.filter((op) => !FLOAT_KERNELS_IMPLEMENTED.has(op));
    for (const op of missing) {
      const n = { op, name: 'n_7', inputs: [], outputs: ['y'], attrs: {} } as unknown as Node;
      expect(() => evaluateFloat(n, []), op).toThrow(UnsupportedError);
      expect(() => evaluateFloat(n, []), op).toThrow(`${op} 'n_7': not implemented in the float reference yet`);
    }
  });
});
