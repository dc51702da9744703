import { describe, expect, it } from 'vitest';
import { tensor } from '../../ir/tensor.js';
import {
  accumulateSqnr, accumulateSqnrQuantized, argmax, bitEqual, maxAbsDiff, newSqnrSums, sqnrDb,
} from '../../runtime/metrics.js';

// Every expected value is computed by hand in the comment next to it.

describe('SQNR', () => {
  it('is 10*log10(sum ref^2 / sum (ref - approx)^2)', () => {
    const s = newSqnrSums();
    accumulateSqnr(s, [3, 4], [3, 3]); // signal 9 + 16 = 25, noise 0 + 1 = 1
    expect(s).toEqual({ signal: 25, noise: 1, count: 2 });
    expect(sqnrDb(s)).toBeCloseTo(10 * Math.log10(25), 12); // 13.9794 dB
    expect(sqnrDb(s)).toBeCloseTo(13.979400086720377, 12);
  });

  it('accumulates sums over samples (not an average of per-sample dB)', () => {
    const s = newSqnrSums();
    accumulateSqnr(s, [1], [0]); // signal 1, noise 1 -> 0 dB alone
    accumulateSqnr(s, [2], [2]); // signal 4, noise 0 -> +inf alone
    expect(s).toEqual({ signal: 5, noise: 1, count: 2 });
    expect(sqnrDb(s)).toBeCloseTo(6.989700043360188, 12); // 10*log10(5)
  });

  it('scales: halving the error adds 6.02 dB', () => {
    const a = newSqnrSums(), b = newSqnrSums();
    accumulateSqnr(a, [1, -1, 2], [1.2, -1, 2]);
    accumulateSqnr(b, [1, -1, 2], [1.1, -1, 2]);
    expect(sqnrDb(b) - sqnrDb(a)).toBeCloseTo(20 * Math.log10(2), 10);
  });

  it('is +inf without noise (also for all zeros) and -inf when only the reference is zero', () => {
    const exact = newSqnrSums();
    accumulateSqnr(exact, [1, 2], [1, 2]);
    expect(sqnrDb(exact)).toBe(Infinity);
    const zeros = newSqnrSums();
    accumulateSqnr(zeros, [0, 0], [0, 0]);
    expect(sqnrDb(zeros)).toBe(Infinity);
    const dead = newSqnrSums();
    accumulateSqnr(dead, [0, 0], [0, 0.5]);
    expect(sqnrDb(dead)).toBe(-Infinity);
    expect(sqnrDb(newSqnrSums())).toBe(Infinity);
  });

  it('dequantizes per-tensor codes as scale*(q - zeroPoint)', () => {
    const s = newSqnrSums();
    // codes -128, -126 at scale 0.5, zero point -128 -> 0, 1; reference 0, 1.5: signal 2.25, noise 0.25.
    const q = tensor('int8', [2], [-128, -126]);
    accumulateSqnrQuantized(s, [0, 1.5], q, { scale: [0.5], zeroPoint: [-128], bits: 8 });
    expect(s).toEqual({ signal: 2.25, noise: 0.25, count: 2 });
    expect(sqnrDb(s)).toBeCloseTo(10 * Math.log10(9), 12); // 9.5424 dB
  });

  it('dequantizes per-channel codes along the axis', () => {
    const s = newSqnrSums();
    // shape [1,2,2], axis 1, scales [1, 0.5]: codes 1,2 | 4,6 -> 1,2 | 2,3; reference 1,2 | 2,4.
    const q = tensor('int8', [1, 2, 2], [1, 2, 4, 6]);
    accumulateSqnrQuantized(s, [1, 2, 2, 4], q, { scale: [1, 0.5], zeroPoint: [0, 0], axis: 1, bits: 8 });
    expect(s).toEqual({ signal: 25, noise: 1, count: 4 });
  });

  it('rejects a size mismatch as a tilec bug', () => {
    expect(() => accumulateSqnr(newSqnrSums(), [1, 2], [1])).toThrow(/internal error \(tilec bug\): SQNR/);
    expect(() => accumulateSqnrQuantized(newSqnrSums(), [1], tensor('int8', [2], [1, 2]), { scale: [1], zeroPoint: [0], bits: 8 }))
      .toThrow(/internal error/);
  });
});

describe('argmax, max |a - b|, bit equality', () => {
  it('argmax takes the first maximum and skips NaN', () => {
    expect(argmax([0.1, 0.7, 0.7, 0.2])).toBe(1);
    expect(argmax([NaN, -3, -1])).toBe(2);
    expect(argmax([])).toBe(-1);
  });

  it('max |a - b|, NaN propagates', () => {
    expect(maxAbsDiff([1, -2, 3], [1.5, 1, 3])).toBe(3);
    expect(maxAbsDiff([], [])).toBe(0);
    expect(maxAbsDiff([1, NaN], [1, 2])).toBeNaN();
  });

  it('bitEqual compares dtype, shape and bytes', () => {
    const a = tensor('float32', [2], [1, NaN]);
    expect(bitEqual(a, tensor('float32', [2], [1, NaN]))).toBe(true);
    expect(bitEqual(a, tensor('float32', [1, 2], [1, NaN]))).toBe(false);
    expect(bitEqual(tensor('float32', [1], [0]), tensor('float32', [1], [-0]))).toBe(false);
    expect(bitEqual(tensor('int8', [1], [1]), tensor('uint8', [1], [1]))).toBe(false);
  });
});
