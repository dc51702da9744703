import { describe, expect, it } from 'vitest';
import type { LRNAttrs } from '../../../ir/ops.js';
import { UnsupportedError } from '../../../ir/errors.js';
import { BatchNormalization } from '../../../runtime/float/BatchNormalization.js';
import { LRN } from '../../../runtime/float/LRN.js';
import { f32, node, t, vals } from './make.js';

const bn = (epsilon = 0, outputs = 1) => node('BatchNormalization', { epsilon }, 5, outputs);

describe('BatchNormalization', () => {
  // scale [2, 1], B [0, 1], mean [1, 2], var [4, 0.25]: channel 0 maps x -> (x - 1), channel 1 -> 2 (x - 2) + 1.
  const params = [f32([2], [2, 1]), f32([2], [0, 1]), f32([2], [1, 2]), f32([2], [4, 0.25])];
  it('normalizes per channel along axis 1, any rank >= 2', () => {
    expect(vals(BatchNormalization(bn(), [f32([1, 2, 2], [1, 3, 2, 4]), ...params])[0]!)).toEqual([0, 2, 1, 5]);
    expect(vals(BatchNormalization(bn(), [f32([2, 2], [1, 2, 3, 4]), ...params])[0]!)).toEqual([0, 1, 2, 5]);
    const [y] = BatchNormalization(bn(), [f32([1, 2, 1, 1, 1], [5, 5]), ...params]);
    expect(y!.shape).toEqual([1, 2, 1, 1, 1]);
    expect(vals(y!)).toEqual([4, 7]);
  });
  it('adds epsilon to the variance and treats a 1-D input as one channel', () => {
    const one = [f32([1], [1]), f32([1], [0]), f32([1], [0]), f32([1], [3])];
    expect(vals(BatchNormalization(bn(1), [f32([3], [2, -4, 6]), ...one])[0]!)).toEqual([1, -2, 3]);
    const [y] = BatchNormalization(bn(1), [t('float64', [1, 1, 1], [2]), t('float64', [1], [1]), t('float64', [1], [0]), t('float64', [1], [0]), t('float64', [1], [3])]);
    expect(y!.dtype).toBe('float64');
    expect(vals(y!)).toEqual([1]);
  });
  it('rejects parameters of the wrong length and training-mode outputs', () => {
    expect(() => BatchNormalization(bn(), [f32([1, 3, 1], [1, 2, 3]), ...params])).toThrow("BatchNormalization 'batchnormalization_1': input 1 has shape [2] but X [1,3,1] has 3 channels; expected [3]");
    expect(() => BatchNormalization(bn(0, 3), [f32([1, 2, 2], [1, 3, 2, 4]), ...params])).toThrow(UnsupportedError);
    expect(() => BatchNormalization(bn(), [f32([1, 2, 2], [1, 3, 2, 4]), params[0], params[1], params[2], undefined])).toThrow('missing required input 4 (input_var)');
  });
});

const lrn = (a: Partial<LRNAttrs> & { size: number }) => node('LRN', { alpha: 1e-4, beta: 0.75, bias: 1, ...a });

describe('LRN', () => {
  const x = f32([1, 3, 1, 1], [1, 2, 3]);
  it('sums squares over floor((size-1)/2) channels before and ceil((size-1)/2) after', () => {
    // size 2: windows {0,1}, {1,2}, {2}: square sums 5, 13, 9; alpha/size = 1.
    const y2 = vals(LRN(lrn({ size: 2, alpha: 2, beta: 1 }), [x])[0]!);
    expect(y2).toEqual([1 / 6, 2 / 14, 3 / 10].map(Math.fround));
    // size 3: windows {0,1}, {0,1,2}, {1,2}: 5, 14, 13; bias 2, beta 0.5.
    const y3 = vals(LRN(lrn({ size: 3, alpha: 3, beta: 0.5, bias: 2 }), [x])[0]!);
    expect(y3).toEqual([1 / Math.sqrt(7), 2 / 4, 3 / Math.sqrt(15)].map(Math.fround));
  });
  it('normalizes each spatial position and image separately', () => {
    // Two images, 2 channels, 2 positions, size 1: y = x / (1 + x^2).
    const [y] = LRN(lrn({ size: 1, alpha: 1, beta: 1 }), [f32([2, 2, 2], [1, 2, 3, 0, -1, 1, 2, 3])]);
    expect(vals(y!)).toEqual([1 / 2, 2 / 5, 3 / 10, 0, -1 / 2, 1 / 2, 2 / 5, 3 / 10].map(Math.fround));
  });
  it('rejects a bad size and a rank below 3', () => {
    expect(() => LRN(lrn({ size: 0 }), [x])).toThrow("LRN 'lrn_1': size 0 must be a positive integer");
    expect(() => LRN(lrn({ size: 1 }), [f32([1, 3], [1, 2, 3])])).toThrow('expected rank >= 3');
  });
});
