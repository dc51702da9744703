import { describe, expect, it } from 'vitest';
import type { ConvAttrs, GemmAttrs } from '../../../ir/ops.js';
import { TilecError, UnsupportedError } from '../../../ir/errors.js';
import { Conv } from '../../../runtime/float/Conv.js';
import { Gemm } from '../../../runtime/float/Gemm.js';
import { MatMul } from '../../../runtime/float/MatMul.js';
import { arange, f32, node, t, vals } from './make.js';

const conv = (a: Partial<ConvAttrs>, nIn = 2) => node('Conv', { group: 1, auto_pad: 'NOTSET', ...a }, nIn);

describe('Conv', () => {
  const x1d = f32([1, 1, 4], [1, 2, 3, 4]), w1d = f32([1, 1, 2], [1, 10]);
  it('pads SAME_UPPER at the end and SAME_LOWER at the start; VALID not at all', () => {
    expect(vals(Conv(conv({ auto_pad: 'SAME_UPPER' }), [x1d, w1d])[0]!)).toEqual([21, 32, 43, 4]);
    expect(vals(Conv(conv({ auto_pad: 'SAME_LOWER' }), [x1d, w1d])[0]!)).toEqual([10, 21, 32, 43]);
    expect(vals(Conv(conv({ auto_pad: 'VALID' }), [x1d, w1d])[0]!)).toEqual([21, 32, 43]);
  });

  it('adds the bias per output channel, for every image of the batch', () => {
    // 2 images, 1 channel 1x2; 2 output channels with 1x1 kernels 1 and 2; bias [100, 200].
    const x = f32([2, 1, 1, 2], [1, 2, 3, 4]);
    const [y] = Conv(conv({}, 3), [x, f32([2, 1, 1, 1], [1, 2]), f32([2], [100, 200])]);
    expect(y!.shape).toEqual([2, 2, 1, 2]);
    expect(vals(y!)).toEqual([101, 102, 202, 204, 103, 104, 206, 208]);
  });

  it('runs 3-D convolutions', () => {
    const [y] = Conv(conv({ pads: [0, 0, 1, 0, 0, 0] }), [arange('float32', [1, 1, 2, 2, 2]), f32([1, 1, 2, 2, 2], new Array(8).fill(1))]);
    expect(y!.shape).toEqual([1, 1, 1, 1, 2]);
    // Window at w = -1 covers columns {-1, 0}: cells 0, 2, 4, 6; at w = 0 the whole cube.
    expect(vals(y!)).toEqual([12, 28]);
  });

  it('keeps float64 and rounds float32 once, from a float64 sum', () => {
    const big = 2 ** 24;
    // In float32 arithmetic 2^24 + 1 + 1 would stay 2^24; the float64 sum is 2^24 + 2, exactly representable.
    const [y32] = Conv(conv({}), [f32([1, 3, 1], [big, 1, 1]), f32([1, 3, 1], [1, 1, 1])]);
    expect(vals(y32!)).toEqual([big + 2]);
    const [y64] = Conv(conv({}), [t('float64', [1, 1, 1], [0.1]), t('float64', [1, 1, 1], [3])]);
    expect(y64!.dtype).toBe('float64');
    expect(vals(y64!)).toEqual([0.1 * 3]);
  });

  it('rejects mismatched inputs, naming the node and the values', () => {
    const x = f32([1, 2, 3], new Array(6).fill(0)), w = f32([4, 2, 1], new Array(8).fill(0));
    expect(() => Conv(conv({}, 3), [x, w, f32([3], [0, 0, 0])])).toThrow("Conv 'conv_1': bias B has shape [3], expected [4] (one per output channel)");
    expect(() => Conv(conv({}), [x, t('float64', [4, 2, 1], new Array(8).fill(0))])).toThrow("Conv 'conv_1': input 1 (W) has dtype float64, expected float32");
    expect(() => Conv(conv({}), [t('int8', [1, 2, 3], new Array(6).fill(0)), w])).toThrow(TilecError);
    expect(() => Conv(conv({}), [x, undefined])).toThrow("Conv 'conv_1': missing required input 1 (W)");
    expect(() => Conv(conv({ group: 2 }), [f32([1, 3, 3], new Array(9).fill(0)), w])).toThrow("Conv 'conv_1': input has 3 channels but weight expects 4 (W.shape[1]=2, group=2)");
  });
});

const gemm = (a: Partial<GemmAttrs>, nIn = 3) => node('Gemm', { alpha: 1, beta: 1, transA: 0, transB: 0, ...a }, nIn);

describe('Gemm', () => {
  // A = [[1,2],[3,4]], B = [[1,0,1],[0,1,1]]: A B = [[1,2,3],[3,4,7]].
  const A = f32([2, 2], [1, 2, 3, 4]), B = f32([2, 3], [1, 0, 1, 0, 1, 1]);
  it('broadcasts C from every allowed shape', () => {
    const run = (c: ReturnType<typeof f32>) => vals(Gemm(gemm({}), [A, B, c])[0]!);
    expect(run(f32([], [10]))).toEqual([11, 12, 13, 13, 14, 17]);
    expect(run(f32([1], [10]))).toEqual([11, 12, 13, 13, 14, 17]);
    expect(run(f32([3], [10, 20, 30]))).toEqual([11, 22, 33, 13, 24, 37]);
    expect(run(f32([1, 3], [10, 20, 30]))).toEqual([11, 22, 33, 13, 24, 37]);
    expect(run(f32([2, 1], [10, 20]))).toEqual([11, 12, 13, 23, 24, 27]);
    expect(run(f32([2, 3], [1, 1, 1, 2, 2, 2]))).toEqual([2, 3, 4, 5, 6, 9]);
    expect(vals(Gemm(gemm({}, 2), [A, B])[0]!)).toEqual([1, 2, 3, 3, 4, 7]);
  });

  it('applies transA, transB, alpha and beta', () => {
    const At = f32([2, 2], [1, 3, 2, 4]), Bt = f32([3, 2], [1, 0, 0, 1, 1, 1]);
    const [y] = Gemm(gemm({ transA: 1, transB: 1, alpha: 0.5, beta: 2 }), [At, Bt, f32([1, 3], [1, 2, 3])]);
    expect(y!.shape).toEqual([2, 3]);
    expect(vals(y!)).toEqual([0.5 + 2, 1 + 4, 1.5 + 6, 1.5 + 2, 2 + 4, 3.5 + 6]);
  });

  it('rejects shapes that do not fit, naming the node', () => {
    expect(() => Gemm(gemm({}, 2), [A, f32([3, 2], new Array(6).fill(0))])).toThrow("Gemm 'gemm_1': inner dimensions differ: A [2,2] (transA=0) has K=2 but B [3,2] (transB=0) has K=3");
    expect(() => Gemm(gemm({}), [A, B, f32([2], [1, 2])])).toThrow("Gemm 'gemm_1': C has shape [2], which does not broadcast to [2,3]");
    expect(() => Gemm(gemm({}), [A, B, f32([3, 3], new Array(9).fill(0))])).toThrow('does not broadcast to [2,3]');
    expect(() => Gemm(gemm({}, 2), [f32([1, 2, 2], [1, 2, 3, 4]), B])).toThrow("Gemm 'gemm_1': input 0 (A) has rank 3 (shape [1,2,2]), expected rank 2");
  });
});

describe('MatMul', () => {
  it('follows numpy for 1-D operands and broadcast batches', () => {
    expect(vals(MatMul(node('MatMul', {}, 2), [f32([2], [1, 2]), f32([2], [3, 4])])[0]!)).toEqual([11]);
    const [y] = MatMul(node('MatMul', {}, 2), [f32([2, 1, 1, 2], [1, 0, 0, 1]), f32([3, 2, 1], [1, 2, 3, 4, 5, 6])]);
    expect(y!.shape).toEqual([2, 3, 1, 1]);
    expect(vals(y!)).toEqual([1, 3, 5, 2, 4, 6]);
    const [v] = MatMul(node('MatMul', {}, 2), [f32([2], [1, 1]), f32([2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(v!.shape).toEqual([3]);
    expect(vals(v!)).toEqual([5, 7, 9]);
  });
  it('rejects integer operands and mismatched dims', () => {
    expect(() => MatMul(node('MatMul', {}, 2), [t('int32', [1], [1]), t('int32', [1], [1])])).toThrow("MatMul 'matmul_1': input 0 (A) has dtype int32");
    expect(() => MatMul(node('MatMul', {}, 2), [f32([2, 3], new Array(6).fill(0)), f32([2, 3], new Array(6).fill(0))])).toThrow("MatMul 'matmul_1': inner dimensions differ: A [2,3] has K=3 but B [2,3] has K=2");
  });
  it('is not an UnsupportedError for malformed shapes (that is the user\'s input, not a missing feature)', () => {
    let err: unknown;
    try { MatMul(node('MatMul', {}, 2), [f32([2], [1, 1]), f32([3], [1, 1, 1])]); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TilecError);
    expect(err).not.toBeInstanceOf(UnsupportedError);
  });
});
