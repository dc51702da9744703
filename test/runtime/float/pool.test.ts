import { describe, expect, it } from 'vitest';
import type { PoolAttrs } from '../../../ir/ops.js';
import { TilecError, UnsupportedError } from '../../../ir/errors.js';
import { AveragePool } from '../../../runtime/float/AveragePool.js';
import { GlobalAveragePool } from '../../../runtime/float/GlobalAveragePool.js';
import { GlobalMaxPool } from '../../../runtime/float/GlobalMaxPool.js';
import { MaxPool } from '../../../runtime/float/MaxPool.js';
import { arange, f32, node, t, vals } from './make.js';

const attrs = (a: Partial<PoolAttrs> & { kernel_shape: number[] }): PoolAttrs =>
  ({ auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0, ...a });
const maxPool = (a: Partial<PoolAttrs> & { kernel_shape: number[] }, outputs = 1) => node('MaxPool', attrs(a), 1, outputs);
const avgPool = (a: Partial<PoolAttrs> & { kernel_shape: number[] }) => node('AveragePool', attrs(a));

describe('MaxPool', () => {
  it('returns row-major flat indices into X, batch and channel included; padding never wins', () => {
    // Two channels of 2x2: [[4,1],[2,3]] and [[-5,-6],[-7,-8]], 2x2 windows, pads 1 all round, stride 2.
    const x = f32([1, 2, 2, 2], [4, 1, 2, 3, -5, -6, -7, -8]);
    const [y, idx] = MaxPool(maxPool({ kernel_shape: [2, 2], pads: [1, 1, 1, 1], strides: [2, 2] }, 2), [x]);
    expect(y!.shape).toEqual([1, 2, 2, 2]);
    expect(vals(y!)).toEqual([4, 1, 2, 3, -5, -6, -7, -8]);
    expect(idx!.dtype).toBe('int64');
    expect(vals(idx!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const [y2, idx2] = MaxPool(maxPool({ kernel_shape: [2, 2] }, 2), [x]);
    expect(vals(y2!)).toEqual([4, -5]);
    expect(vals(idx2!)).toEqual([0, 4]);
  });

  it('keeps the first of equal maxima and lets NaN win', () => {
    const [, idx] = MaxPool(maxPool({ kernel_shape: [3] }, 2), [f32([1, 1, 3], [7, 7, 7])]);
    expect(vals(idx!)).toEqual([0]);
    expect(vals(MaxPool(maxPool({ kernel_shape: [2] }), [f32([1, 1, 3], [1, NaN, 2])])[0]!)).toEqual([NaN, NaN]);
  });

  it('pools int8 and uint8 in their own dtype', () => {
    const [y] = MaxPool(maxPool({ kernel_shape: [2] }), [t('int8', [1, 1, 3], [-128, -100, 127])]);
    expect(y!.dtype).toBe('int8');
    expect(vals(y!)).toEqual([-100, 127]);
    const [u] = MaxPool(maxPool({ kernel_shape: [2], pads: [1, 1] }), [t('uint8', [1, 1, 2], [0, 255])]);
    expect(u!.dtype).toBe('uint8');
    expect(vals(u!)).toEqual([0, 255, 255]);
  });

  it('honours ceil_mode and dilations', () => {
    // 1-D [1..5], k 2, s 2, ceil: windows at 0, 2, 4 (the last one half outside).
    expect(vals(MaxPool(maxPool({ kernel_shape: [2], strides: [2], ceil_mode: 1 }), [f32([1, 1, 5], [1, 2, 3, 4, 5])])[0]!)).toEqual([2, 4, 5]);
    expect(vals(MaxPool(maxPool({ kernel_shape: [2], strides: [2] }), [f32([1, 1, 5], [1, 2, 3, 4, 5])])[0]!)).toEqual([2, 4]);
    // k 2 dilated by 2 reads x[o] and x[o + 2].
    expect(vals(MaxPool(maxPool({ kernel_shape: [2], dilations: [2] }), [f32([1, 1, 4], [5, 1, 2, 8])])[0]!)).toEqual([5, 8]);
  });

  it('runs 3-D pools', () => {
    const [y] = MaxPool(maxPool({ kernel_shape: [2, 2, 2] }), [arange('float32', [1, 1, 2, 2, 3])]);
    expect(y!.shape).toEqual([1, 1, 1, 1, 2]);
    expect(vals(y!)).toEqual([10, 11]);
  });

  it('rejects column-major Indices, empty windows and 8-bit-incompatible dtypes', () => {
    const x = f32([1, 1, 3], [1, 2, 3]);
    expect(() => MaxPool(maxPool({ kernel_shape: [2], storage_order: 1 }, 2), [x])).toThrow(UnsupportedError);
    expect(vals(MaxPool(maxPool({ kernel_shape: [2], storage_order: 1 }), [x])[0]!)).toEqual([2, 3]);
    expect(() => MaxPool(maxPool({ kernel_shape: [1], pads: [1, 0] }), [x])).toThrow("MaxPool 'maxpool_1': the window of output 0 along spatial axis 0 lies entirely in padding");
    expect(() => MaxPool(maxPool({ kernel_shape: [1] }), [t('int32', [1, 1, 1], [1])])).toThrow(TilecError);
    expect(() => MaxPool(maxPool({ kernel_shape: [2, 2] }), [x])).toThrow("MaxPool 'maxpool_1': kernel_shape [2,2] has 2 dims but the input has 1 spatial dims");
    expect(() => MaxPool(maxPool({ kernel_shape: [2] }), [f32([3], [1, 2, 3])])).toThrow('expected rank >= 3');
  });
});

describe('AveragePool', () => {
  const x5 = f32([1, 1, 5], [1, 2, 3, 4, 5]);
  it('divides by the cells inside X, or with count_include_pad by those inside X plus its pads', () => {
    expect(vals(AveragePool(avgPool({ kernel_shape: [3], pads: [1, 1] }), [x5])[0]!)).toEqual([1.5, 2, 3, 4, 4.5]);
    expect(vals(AveragePool(avgPool({ kernel_shape: [3], pads: [1, 1], count_include_pad: 1 }), [x5])[0]!)).toEqual([1, 2, 3, 4, 3]);
  });

  it('does not count the cells ceil_mode adds beyond the end padding', () => {
    // k 3, s 2, pads [1, 0], ceil: windows start at -1, 1, 3; the last covers x[3], x[4] and one cell
    // past the end that is not padding, so its divisor is 2 even with count_include_pad.
    const a = { kernel_shape: [3], strides: [2], pads: [1, 0], ceil_mode: 1 };
    expect(vals(AveragePool(avgPool(a), [x5])[0]!)).toEqual([1.5, 3, 4.5]);
    expect(vals(AveragePool(avgPool({ ...a, count_include_pad: 1 }), [x5])[0]!)).toEqual([1, 3, 4.5]);
  });

  it('counts dilated taps, padded ones only with count_include_pad', () => {
    // k 2 dilated by 2, pads [1, 1]: windows start at -1..3 and read x[s], x[s + 2].
    const a = { kernel_shape: [2], dilations: [2], pads: [1, 1] };
    expect(vals(AveragePool(avgPool(a), [x5])[0]!)).toEqual([2, 2, 3, 4, 4]);
    expect(vals(AveragePool(avgPool({ ...a, count_include_pad: 1 }), [x5])[0]!)).toEqual([1, 2, 3, 4, 2]);
  });

  it('pads SAME_UPPER at the end, SAME_LOWER at the start', () => {
    const x = f32([1, 1, 4], [1, 2, 3, 4]);
    expect(vals(AveragePool(avgPool({ kernel_shape: [2], auto_pad: 'SAME_UPPER' }), [x])[0]!)).toEqual([1.5, 2.5, 3.5, 4]);
    expect(vals(AveragePool(avgPool({ kernel_shape: [2], auto_pad: 'SAME_LOWER' }), [x])[0]!)).toEqual([1, 1.5, 2.5, 3.5]);
    expect(vals(AveragePool(avgPool({ kernel_shape: [2], auto_pad: 'SAME_LOWER', count_include_pad: 1 }), [x])[0]!)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  it('keeps float64, rejects integer data and windows with nothing to average', () => {
    const [y] = AveragePool(avgPool({ kernel_shape: [2] }), [t('float64', [1, 1, 2], [0.1, 0.2])]);
    expect(y!.dtype).toBe('float64');
    expect(vals(y!)).toEqual([(0.1 + 0.2) / 2]);
    expect(() => AveragePool(avgPool({ kernel_shape: [2] }), [t('uint8', [1, 1, 2], [1, 2])])).toThrow("AveragePool 'averagepool_1': input 0 (X) has dtype uint8");
    expect(() => AveragePool(avgPool({ kernel_shape: [1], pads: [0, 1] }), [f32([1, 1, 1], [1])])).toThrow('covers no input cell');
  });
});

describe('GlobalAveragePool and GlobalMaxPool', () => {
  it('reduce every spatial axis, any rank', () => {
    const x = arange('float32', [1, 2, 2, 2, 2]);
    const [avg] = GlobalAveragePool(node('GlobalAveragePool', {}), [x]);
    expect(avg!.shape).toEqual([1, 2, 1, 1, 1]);
    expect(vals(avg!)).toEqual([3.5, 11.5]);
    const [mx] = GlobalMaxPool(node('GlobalMaxPool', {}), [x]);
    expect(vals(mx!)).toEqual([7, 15]);
    const [a1] = GlobalAveragePool(node('GlobalAveragePool', {}), [f32([2, 1, 3], [1, 2, 6, -1, -2, -6])]);
    expect(a1!.shape).toEqual([2, 1, 1]);
    expect(vals(a1!)).toEqual([3, -3]);
  });
  it('GlobalMaxPool keeps int8 and lets NaN win', () => {
    const [y] = GlobalMaxPool(node('GlobalMaxPool', {}), [t('int8', [1, 1, 3], [-3, -128, -1])]);
    expect(y!.dtype).toBe('int8');
    expect(vals(y!)).toEqual([-1]);
    expect(vals(GlobalMaxPool(node('GlobalMaxPool', {}), [f32([1, 1, 3], [1, NaN, 3])])[0]!)).toEqual([NaN]);
  });
  it('reject inputs without spatial axes', () => {
    expect(() => GlobalAveragePool(node('GlobalAveragePool', {}), [f32([1, 2], [1, 2])])).toThrow("GlobalAveragePool 'globalaveragepool_1': input has rank 2 (shape [1,2]), expected rank >= 3");
    expect(() => GlobalMaxPool(node('GlobalMaxPool', {}), [f32([1, 1, 0], [])])).toThrow('empty spatial extent');
  });
});
