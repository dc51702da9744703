import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Histogram, binCenter, binWidth, histogramTotal } from '../../../ir/quant/histogram.js';
import { TensorObserver } from '../../../ir/quant/observer.js';
import { absHistogram } from '../../../ir/quant/range.js';

const absMax = (xs: readonly number[]): number => xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const add = (h: Histogram, xs: readonly number[]): void => h.add(xs, absMax(xs));

describe('Histogram', () => {
  it('bins over [-R, R] with R from the first data: hand-counted', () => {
    const h = new Histogram(8); // w = 0.5 over [-2, 2]
    add(h, [-2, -1.9, -0.1, 0, 0.25, 0.5, 1.99, 2]);
    expect(h.halfRange).toBe(2);
    expect(binWidth(h)).toBe(0.5);
    // bins: [-2,-1.5) [-1.5,-1) [-1,-.5) [-.5,0) [0,.5) [.5,1) [1,1.5) [1.5,2]
    expect(Array.from(h.counts)).toEqual([2, 0, 0, 1, 2, 1, 0, 2]);
    expect(binCenter(h, 0)).toBe(-1.75);
  });

  it('doubles its range by merging neighbouring bins exactly', () => {
    const h = new Histogram(8);
    add(h, [-2, -1.9, -0.1, 0, 0.25, 0.5, 1.99, 2]);
    add(h, [3]); // R 2 -> 4: old pairs merge into the middle half, w = 1
    expect(h.halfRange).toBe(4);
    // [-4,-3) [-3,-2) [-2,-1) [-1,0) [0,1) [1,2) [2,3) [3,4]
    expect(Array.from(h.counts)).toEqual([0, 0, 2, 1, 3, 2, 0, 1]);
    add(h, [-20]); // 4 -> 8 -> 16 -> 32
    expect(h.halfRange).toBe(32);
    expect(histogramTotal(h)).toBe(10);
    expect(Array.from(h.counts)).toEqual([0, 1, 0, 3, 6, 0, 0, 0]); // w = 8: -20 in [-24, -16)
  });

  it('counts zeros seen before any non-zero value in the bin above 0', () => {
    const h = new Histogram(8);
    add(h, [0, 0, 0]);
    expect(h.halfRange).toBe(0);
    add(h, [1, -1]);
    expect(h.halfRange).toBe(1);
    expect(Array.from(h.counts)).toEqual([1, 0, 0, 0, 3, 0, 0, 1]);
  });

  it('after any sequence of batches, puts every value in its bin of the final grid (up to values on a bin edge)', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 8 }),
      (batches) => {
        const h = new Histogram(16);
        for (const b of batches) add(h, b);
        const all = batches.flat();
        expect(histogramTotal(h)).toBe(all.length);
        if (h.halfRange === 0) return;
        // cum_i = values counted below edge e_i must be #{x < e_i}, give or take values within rounding of e_i.
        const w = binWidth(h), tol = 1e-9 * h.halfRange;
        let cum = 0;
        for (let i = 0; i <= 16; i++) {
          const e = -h.halfRange + i * w;
          const below = all.filter((x) => x < e - tol).length, atOrBelow = all.filter((x) => x <= e + tol).length;
          expect(cum).toBeGreaterThanOrEqual(i === 16 ? all.length : below);
          expect(cum).toBeLessThanOrEqual(atOrBelow);
          cum += h.counts[i] ?? 0;
        }
      },
    ), { seed: 7, numRuns: 200 });
  });

  it('can start from a fixed range (a first pass), and grows from there', () => {
    const h = new Histogram(8, 4);
    add(h, [1, -1]);
    expect(Array.from(h.counts)).toEqual([0, 0, 0, 1, 0, 1, 0, 0]);
    add(h, [5]);
    expect(h.halfRange).toBe(8);
  });

  it('folds into an |x| histogram of half the bins', () => {
    const h = new Histogram(8);
    add(h, [-2, -1.9, -0.1, 0, 0.25, 0.5, 1.99, 2]);
    expect(Array.from(absHistogram(h))).toEqual([3, 1, 0, 4]);
  });
});

describe('TensorObserver', () => {
  it('keeps min, max, count over all batches and max|x| over batch 0 only', () => {
    const o = new TensorObserver("tensor 'x'", { histogram: false });
    o.observe([1, -2, 0.5], 0);
    o.observe([3, 0], 0);
    o.observe([-7, 4], 1);
    o.observe([9], 5);
    expect(o.stats()).toEqual({ count: 8, min: -7, max: 9, firstBatchAbsMax: 3 });
  });

  it('has constant size however many batches it sees (memory bounded)', () => {
    const o = new TensorObserver("tensor 'x'", { histogram: true, bins: 64 });
    const data = new Float32Array(100);
    const sizeAfter = (batches: number): number => {
      for (let b = 0; b < batches; b++) {
        for (let i = 0; i < data.length; i++) data[i] = Math.sin(b * 131 + i) * (1 + b);
        o.observe(data, b);
      }
      const s = o.stats();
      return s.histogram!.counts.length + Object.keys(s).length;
    };
    const small = sizeAfter(1);
    const big = sizeAfter(500);
    expect(big).toBe(small);
    expect(o.stats().histogram!.counts.length).toBe(64);
    expect(o.stats().count).toBe(501 * 100);
  });

  it('rejects NaN and infinities, naming the tensor', () => {
    const o = new TensorObserver("tensor 'conv1'", { histogram: true });
    expect(() => o.observe([1, NaN], 0)).toThrow(/tensor 'conv1' has NaN at element 1/);
    expect(() => o.observe([1, -Infinity], 0)).toThrow(/tensor 'conv1' holds an infinite value/);
  });

  it('returns snapshots: later observations do not change earlier stats', () => {
    const o = new TensorObserver("tensor 'x'", { histogram: true, bins: 8 });
    o.observe([1, -1], 0);
    const before = o.stats();
    o.observe([1, 1, 1], 1);
    expect(histogramTotal(before.histogram!)).toBe(2);
  });
});
