import { describe, expect, it } from 'vitest';
import { TilecError, UnsupportedError } from '../../../ir/errors.js';
import type { NodeOf, OpAttrs, OpName } from '../../../ir/ops.js';
import { type Tensor, tensor } from '../../../ir/tensor.js';
import { ConvInteger } from '../../../runtime/float/ConvInteger.js';
import { DequantizeLinear } from '../../../runtime/float/DequantizeLinear.js';
import { MatMulInteger } from '../../../runtime/float/MatMulInteger.js';
import { QLinearConv } from '../../../runtime/float/QLinearConv.js';
import { QLinearMatMul } from '../../../runtime/float/QLinearMatMul.js';
import { QuantizeLinear } from '../../../runtime/float/QuantizeLinear.js';

// Semantics the ONNX node tests do not reach (per-axis on other axes, per-row/column zero points, biases,
// int32 wrap-around) and the validation errors, which must name the node and the offending values.

const node = <O extends OpName>(op: O, attrs: OpAttrs[O], name = 'q1'): NodeOf<O> => ({ op, name, inputs: [], outputs: ['y'], attrs });
const f = (shape: readonly number[], v: readonly number[]): Tensor => tensor('float32', shape, v);
const u8 = (shape: readonly number[], v: readonly number[]): Tensor => tensor('uint8', shape, v);
const i8 = (shape: readonly number[], v: readonly number[]): Tensor => tensor('int8', shape, v);
const conv = { group: 1, auto_pad: 'NOTSET' } as const;

describe('QuantizeLinear / DequantizeLinear', () => {
  it('defaults to uint8 with zero point 0, and quantizes per axis along a negative axis', () => {
    const [y] = QuantizeLinear(node('QuantizeLinear', { axis: 1 }), [f([3], [-1, 2.5, 3.5]), f([], [1])]);
    expect(y!.dtype).toBe('uint8');
    expect(Array.from(y!.data)).toEqual([0, 2, 4]);
    const [z] = QuantizeLinear(node('QuantizeLinear', { axis: -1 }), [f([2, 2], [1, 1, 3, 3]), f([2], [1, 2]), i8([2], [0, -5])]);
    expect(z!.dtype).toBe('int8');
    expect(Array.from(z!.data)).toEqual([1, -5, 3, -3]); // 1/2 = 0.5 -> 0, 3/2 = 1.5 -> 2
  });

  it('produces int16 codes when the zero point is int16', () => {
    const [y] = QuantizeLinear(node('QuantizeLinear', { axis: 1 }), [f([2], [1e9, -3]), f([], [2]), tensor('int16', [], [10])]);
    expect(y!.dtype).toBe('int16');
    expect(Array.from(y!.data)).toEqual([32767, 8]);
  });

  it('dequantizes int32 with no (or a zero) zero point, and per axis 0', () => {
    const [y] = DequantizeLinear(node('DequantizeLinear', { axis: 1 }), [tensor('int32', [2], [2 ** 24 + 1, -7]), f([], [0.5])]);
    expect(Array.from(y!.data)).toEqual([2 ** 23, -3.5]);
    const [z] = DequantizeLinear(node('DequantizeLinear', { axis: 0 }), [i8([2, 2], [1, 2, 3, 4]), f([2], [1, 10]), i8([2], [1, 0])]);
    expect(Array.from(z!.data)).toEqual([0, 1, 30, 40]);
  });

  it('rejects bad operands naming the node and the values', () => {
    const q = node('QuantizeLinear', { axis: 1 }, 'quant_7');
    expect(() => QuantizeLinear(q, [f([2], [1, 2])])).toThrow(/QuantizeLinear 'quant_7': missing required input 1 \(y_scale\)/);
    expect(() => QuantizeLinear(q, [tensor('int8', [1], [1]), f([], [1])])).toThrow(/input 0 \(x\) has dtype int8/);
    expect(() => QuantizeLinear(q, [f([2], [1, 2]), f([], [0])])).toThrow(/y_scale\[0\] is 0/);
    expect(() => QuantizeLinear(q, [f([1, 2], [1, 2]), f([2], [1, 1]), u8([], [0])])).toThrow(/y_zero_point has shape \[\] but y_scale has shape \[2\]/);
    expect(() => QuantizeLinear(q, [f([1, 3], [1, 2, 3]), f([2], [1, 1])])).toThrow(/y_scale has 2 values but the input has 3 along axis 1/);
    expect(() => QuantizeLinear(node('QuantizeLinear', { axis: 2 }), [f([1, 3], [1, 2, 3]), f([3], [1, 1, 1])])).toThrow(/axis 2 is out of range for an input of rank 2/);
    expect(() => QuantizeLinear(q, [f([2, 2], [1, 2, 3, 4]), f([2, 1], [1, 1])])).toThrow(UnsupportedError);
    const d = node('DequantizeLinear', { axis: 1 }, 'dq');
    expect(() => DequantizeLinear(d, [tensor('int32', [1], [5]), f([], [1]), tensor('int32', [], [3])])).toThrow(/DequantizeLinear 'dq': an int32 input must have zero point 0, got x_zero_point \[3\]/);
    expect(() => DequantizeLinear(d, [u8([1], [5]), f([], [1]), i8([], [0])])).toThrow(/input 2 \(x_zero_point\) has dtype int8, expected uint8/);
  });
});

describe('MatMulInteger', () => {
  const A = u8([2, 3], [1, 2, 3, 4, 5, 6]), B = i8([3, 2], [1, -1, 2, 0, -3, 4]);

  it('subtracts per-tensor, per-row and per-column zero points', () => {
    const run = (az?: Tensor, bz?: Tensor): number[] => Array.from(MatMulInteger(node('MatMulInteger', {}), [A, B, az, bz])[0]!.data);
    expect(run()).toEqual([-4, 11, -4, 20]);
    // per row of A: rows become [0,1,2] and [0,1,2]
    expect(run(u8([2], [1, 4]))).toEqual([-4, 8, -4, 8]);
    // per column of B: columns become [0,1,-4] and [-2,-1,3]
    expect(run(undefined, i8([2], [1, 1]))).toEqual([-10, 5, -19, 5]);
    // the N-D forms [M, 1] and [1, N]
    expect(run(u8([2, 1], [1, 4]), i8([1, 2], [1, 1]))).toEqual([-7, 5, -7, 5]);
  });

  it('per-row zero points of each matrix in a batch ([D, M, 1])', () => {
    const a = u8([2, 1, 2], [3, 4, 3, 4]), b = u8([2, 1], [1, 1]);
    const [y] = MatMulInteger(node('MatMulInteger', {}), [a, b, u8([2, 1, 1], [1, 3])]);
    expect(y!.shape).toEqual([2, 1, 1]);
    expect(Array.from(y!.data)).toEqual([2 + 3, 0 + 1]);
  });

  it('wraps to int32 like ONNX int32 accumulation', () => {
    const k = 33100; // 255 * 255 * 33100 = 2152327500 > 2^31
    const [y] = MatMulInteger(node('MatMulInteger', {}), [u8([1, k], new Array(k).fill(255)), u8([k, 1], new Array(k).fill(255))]);
    expect(y!.data[0]).toBe(2152327500 - 2 ** 32);
  });

  it('rejects mismatched zero points', () => {
    expect(() => MatMulInteger(node('MatMulInteger', {}, 'mm'), [A, B, u8([3], [1, 2, 3])])).toThrow(/MatMulInteger 'mm': a_zero_point has shape \[3\]; expected one value \(per tensor\), \[2\] or \[2,1\] \(per row\)/);
    expect(() => MatMulInteger(node('MatMulInteger', {}, 'mm'), [A, B, undefined, u8([1], [0])])).toThrow(/b_zero_point\) has dtype uint8, expected int8/);
  });
});

describe('ConvInteger / QLinearConv', () => {
  const x = u8([1, 1, 2, 2], [1, 2, 3, 4]);
  const w = i8([2, 1, 1, 1], [2, -1]);

  it('ConvInteger pads with the zero point and subtracts per-channel weight zero points', () => {
    const [y] = ConvInteger(node('ConvInteger', { ...conv, pads: [0, 0, 0, 1] }), [x, w, u8([], [1]), i8([2], [0, 1])]);
    expect(y!.shape).toEqual([1, 2, 2, 3]);
    // channel 0: 2*(x-1), pad column 0; channel 1: (-1-1)*(x-1)
    expect(Array.from(y!.data)).toEqual([0, 2, 0, 4, 6, 0, 0, -2, 0, -4, -6, 0]);
  });

  it('QLinearConv adds the int32 bias before the float requantization, per-channel scales', () => {
    const s = (v: number): Tensor => f([], [v]);
    const [y] = QLinearConv(node('QLinearConv', conv), [x, s(0.5), u8([], [0]), w, f([2], [0.25, 1]), i8([2], [0, 0]), s(0.25), i8([], [3]), tensor('int32', [2], [1, -2])]);
    expect(y!.dtype).toBe('int8');
    // channel 0: acc = 2x + 1, * 0.5 -> [1.5, 2.5, 3.5, 4.5] -> [2, 2, 4, 4] + 3; channel 1: acc = -x - 2, * 2 -> [-6, -8, -10, -12] + 3
    expect(Array.from(y!.data)).toEqual([5, 5, 7, 7, -3, -5, -7, -9]);
  });

  it('rejects per-tensor operands that are not, and a bias of the wrong shape', () => {
    const s = (v: number): Tensor => f([], [v]);
    const q = node('QLinearConv', conv, 'qc');
    expect(() => QLinearConv(q, [x, f([2], [1, 1]), u8([], [0]), w, s(1), i8([], [0]), s(1), u8([], [0])])).toThrow(/QLinearConv 'qc': x_scale must hold one value \(per tensor\), got shape \[2\]/);
    expect(() => QLinearConv(q, [x, s(1), u8([], [0]), w, f([3], [1, 1, 1]), i8([3], [0, 0, 0]), s(1), u8([], [0])])).toThrow(/w_scale has shape \[3\], expected one value or \[2\]/);
    expect(() => QLinearConv(q, [x, s(1), u8([], [0]), w, s(1), i8([], [0]), s(1), u8([], [0]), tensor('int32', [3], [0, 0, 0])])).toThrow(/bias B has shape \[3\], expected \[2\]/);
    expect(() => ConvInteger(node('ConvInteger', conv, 'ci'), [x, w, u8([2], [1, 1])])).toThrow(/ConvInteger 'ci': x_zero_point must hold one value/);
  });
});

describe('QLinearMatMul', () => {
  it('uses per-column scales and zero points of b', () => {
    const s = (v: number): Tensor => f([], [v]);
    const a = u8([1, 2], [3, 5]), b = i8([2, 2], [1, 2, 3, 4]);
    const [y] = QLinearMatMul(node('QLinearMatMul', {}), [a, s(1), u8([], [1]), b, f([2], [0.5, 0.25]), i8([2], [0, 1]), s(1), u8([], [100])]);
    // a' = [2, 4]; column 0: 2*1 + 4*3 = 14 * 0.5 = 7; column 1: 2*1 + 4*3 = 14 * 0.25 = 3.5 -> 4
    expect(Array.from(y!.data)).toEqual([107, 104]);
  });

  it('requires its zero points and rejects a per-tensor y_scale with several values', () => {
    const s = (v: number): Tensor => f([], [v]);
    const a = u8([1, 2], [3, 5]), b = u8([2, 1], [1, 2]);
    expect(() => QLinearMatMul(node('QLinearMatMul', {}, 'qm'), [a, s(1), undefined, b, s(1), u8([], [0]), s(1), u8([], [0])])).toThrow(TilecError);
    expect(() => QLinearMatMul(node('QLinearMatMul', {}, 'qm'), [a, s(1), u8([], [0]), b, s(1), u8([], [0]), f([2], [1, 1]), u8([], [0])])).toThrow(/QLinearMatMul 'qm': y_scale must hold one value/);
  });
});
