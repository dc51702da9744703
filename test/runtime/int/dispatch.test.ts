import { describe, expect, it } from 'vitest';
import type { Node } from '../../../ir/ops.js';
import { type Tensor, tensor } from '../../../ir/tensor.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { Round } from '../../../runtime/float/Round.js';
import { node } from '../../runtime/float/make.js';

// evaluateFloat is the reference evaluator for float and integer ops: tilec's integer ops reach their
// runtime/int kernels, and the ONNX ops a realized graph keeps on int8 codes return int8.

/** The realized int8 ops, one kernel each in runtime/int. */
const REALIZED_OPS = new Set(['QConv', 'QGemm', 'QAdd', 'QAveragePool', 'QGlobalAveragePool', 'Requantize', 'Quantize', 'Dequantize']);

const run = (n: Node, inputs: (Tensor | undefined)[]): Tensor[] => evaluateFloat(n, inputs);
const x8 = tensor('int8', [1, 2, 2, 2], [-128, 5, -3, 127, 0, -1, 100, -100]);

describe('Round kernel', () => {
  it('rounds half to even and keeps the sign of zero', () => {
    const y = Round(node('Round', {}), [tensor('float32', [10], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -0.4, NaN, -Infinity])])[0]!;
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([0, 2, 2, -0, -2, -2, 2, -0, NaN, -Infinity]);
    expect(Object.is(y.data[3], -0)).toBe(true);
    expect(Array.from(Round(node('Round', {}), [tensor('float64', [2], [2 ** 52 + 0.5 - 0.5, 1e300])])[0]!.data)).toEqual([2 ** 52, 1e300]);
    expect(() => Round(node('Round', {}), [tensor('int8', [1])])).toThrow("Round 'round_1': input has dtype int8, expected float32 or float64");
  });
});

describe('evaluateFloat on the integer ops', () => {
  it('dispatches every tilec op to its integer kernel', () => {
    const rq = { multiplier: [1073741824], shift: [1], zeroPoint: 0, qmin: -128, qmax: 127 };
    const cases: [Node, (Tensor | undefined)[], number[]][] = [
      [node('Quantize', { scale: 0.5, zeroPoint: 1, qmin: -128, qmax: 127 }), [tensor('float32', [2], [1, -1])], [3, -1]],
      [node('Dequantize', { scale: 0.5, zeroPoint: 1 }), [tensor('int8', [2], [3, -1])], [1, -1]],
      [node('Requantize', { ...rq, inZeroPoint: 2 }), [tensor('int8', [2], [3, -1])], [1, -3]],
      [node('QConv', { group: 1, auto_pad: 'NOTSET', ...rq, padValue: 0 }, 2), [tensor('int8', [1, 1, 1, 2], [3, 4]), tensor('int8', [1, 1, 1, 2], [1, 1])], [7]],
      [node('QGemm', { ...rq, transB: 0 }, 3), [tensor('int8', [1, 2], [3, 4]), tensor('int8', [2, 1], [1, 1]), tensor('int32', [1], [10])], [17]],
      [node('QAdd', { leftShift: 0, aMultiplier: 1073741824, aShift: 1, aZeroPoint: 0, bMultiplier: 1073741824, bShift: 1, bZeroPoint: 0, outMultiplier: 1073741824, outShift: 1, zeroPoint: 0, qmin: -128, qmax: 127 }, 2),
        [tensor('int8', [2], [3, 100]), tensor('int8', [1], [4])], [7, 104]],
      [node('QAveragePool', { kernel_shape: [2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0, zeroPoint: 0 }), [tensor('int8', [1, 1, 2], [3, 4])], [4]],
      [node('QGlobalAveragePool', { zeroPoint: 0 }), [tensor('int8', [1, 1, 2], [-3, -4])], [-4]],
    ];
    expect(new Set(cases.map(([n]) => n.op))).toEqual(REALIZED_OPS);
    for (const [n, inputs, want] of cases) {
      const [y] = run(n, inputs);
      expect(Array.from(y!.data), n.op).toEqual(want);
      expect(y!.dtype, n.op).toBe(n.op === 'Dequantize' ? 'float32' : 'int8');
    }
    expect(Array.from(run(node('Round', {}), [tensor('float32', [1], [2.5])])[0]!.data)).toEqual([2]);
  });
});

describe('the float kernels on int8 codes', () => {
  it('keep int8 through the movement ops and the max pools, codes unchanged', () => {
    const pool = { kernel_shape: [2, 2], auto_pad: 'NOTSET' as const, ceil_mode: 0, count_include_pad: 0, storage_order: 0 };
    const i64 = (...v: number[]) => tensor('int64', [v.length], v);
    const cases: [Node, (Tensor | undefined)[], number[], number[]][] = [
      [node('MaxPool', pool), [x8], [1, 2, 1, 1], [127, 100]],
      [node('GlobalMaxPool', {}), [x8], [1, 2, 1, 1], [127, 100]],
      [node('Reshape', { allowzero: 0 }, 2), [x8, i64(1, -1)], [1, 8], Array.from(x8.data)],
      [node('Flatten', { axis: 2 }), [x8], [2, 4], Array.from(x8.data)],
      [node('Transpose', { perm: [0, 1, 3, 2] }), [x8], [1, 2, 2, 2], [-128, -3, 5, 127, 0, 100, -1, -100]],
      [node('Squeeze', { axes: [0] }), [x8], [2, 2, 2], Array.from(x8.data)],
      [node('Unsqueeze', { axes: [0] }), [x8], [1, 1, 2, 2, 2], Array.from(x8.data)],
      [node('Identity', {}), [x8], [1, 2, 2, 2], Array.from(x8.data)],
      [node('Concat', { axis: 1 }, 2), [x8, x8], [1, 4, 2, 2], [...x8.data, ...x8.data]],
      [node('Pad', { mode: 'constant' }, 3), [x8, i64(0, 0, 0, 1, 0, 0, 0, 0), tensor('int8', [], [-7])], [1, 2, 2, 3], [-7, -128, 5, -7, -3, 127, -7, 0, -1, -7, 100, -100]],
    ];
    for (const [n, inputs, shape, want] of cases) {
      const [y] = run(n, inputs);
      expect(y!.dtype, n.op).toBe('int8');
      expect(y!.shape, n.op).toEqual(shape);
      expect(Array.from(y!.data), n.op).toEqual(want);
    }
  });
});
