import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../ir/quant/histogram.js';
import { affineQuant, symmetricQuant } from '../../../ir/quant/params.js';
import { entropyThreshold, histogramSquaredError, mseRange, percentileRange } from '../../../ir/quant/range.js';
import { gaussian, laplace, minMax, uniform } from './distributions.js';

function histogramOf(xs: Float32Array, bins = 4096): Histogram {
  const h = new Histogram(bins);
  const { min, max } = minMax(xs);
  h.add(xs, Math.max(-min, max));
  return h;
}

const quant8 = (r: { lo: number; hi: number }) => affineQuant(r, 8);

describe('percentileRange', () => {
  it('interpolates inside a bin: hand-computed', () => {
    const h = new Histogram(4, 2); // bins of width 1 over [-2, 2]
    h.add([-1.5, -0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5], 1.5);
    // 10 values, p = 90: tails of 1 value. Lower: bin 0 holds 1 -> edge -2 + 1·(1/1) = -1.
    // Upper: bin 3 holds 3 -> 2 - 1·(1/3).
    const r = percentileRange(h, 90, -2, 2);
    expect(r.lo).toBeCloseTo(-1, 12);
    expect(r.hi).toBeCloseTo(2 - 1 / 3, 12);
    // ... and never beyond the observed extremes.
    expect(percentileRange(h, 90, -1.5, 1.5).hi).toBe(1.5);
  });

  it('p = 100 is the observed range, always containing 0', () => {
    const xs = uniform(1000, 0.5, 3, 1);
    const { min, max } = minMax(xs);
    expect(percentileRange(histogramOf(xs), 100, min, max)).toEqual({ lo: 0, hi: max });
  });

  it('cuts the tails of a uniform distribution by the requested mass', () => {
    const xs = uniform(100000, -1, 1, 2);
    const { min, max } = minMax(xs);
    const r = percentileRange(histogramOf(xs), 99, min, max);
    expect(r.lo).toBeCloseTo(-0.98, 2);
    expect(r.hi).toBeCloseTo(0.98, 2);
  });
});

describe('mseRange', () => {
  it('is never worse than the full range, and clips the tails of a Laplace distribution', () => {
    const xs = laplace(200000, 1, 3);
    const { min, max } = minMax(xs);
    const h = histogramOf(xs);
    const r = mseRange(h, min, max, quant8);
    const full = histogramSquaredError(h, quant8({ lo: min, hi: max }));
    expect(histogramSquaredError(h, quant8(r))).toBeLessThan(full * 0.9);
    // Known result (Banner et al. 2019): the 8-bit MSE-optimal clip of Laplace(b) is about 9.9 b.
    expect(r.hi).toBeGreaterThan(6);
    expect(r.hi).toBeLessThan(max);
    expect(-r.lo).toBeGreaterThan(6);
  });

  it('keeps nearly the whole range of a uniform distribution (clipping it never pays)', () => {
    const xs = uniform(100000, -1, 3, 4);
    const { min, max } = minMax(xs);
    const r = mseRange(histogramOf(xs), min, max, quant8);
    expect(r.hi).toBeGreaterThan(0.95 * max);
    expect(r.lo).toBeLessThan(0.95 * min);
  });

  it('moves only the upper end of a one-sided tensor', () => {
    const xs = laplace(50000, 1, 5).map(Math.abs);
    const { min, max } = minMax(xs);
    expect(mseRange(histogramOf(xs), min, max, quant8).lo).toBe(0);
  });
});

describe('entropyThreshold (TensorRT KL)', () => {
  it('clips the long tail of a Gaussian but keeps its bulk', () => {
    const xs = gaussian(200000, 6);
    const { min, max } = minMax(xs);
    const t = entropyThreshold(histogramOf(xs), 128);
    expect(t).toBeGreaterThan(2);
    expect(t).toBeLessThan(Math.max(-min, max));
  });

  it('keeps (almost) all of a uniform distribution', () => {
    const xs = uniform(100000, -2, 2, 7);
    const t = entropyThreshold(histogramOf(xs), 128);
    expect(t).toBeGreaterThan(1.9);
    expect(t).toBeLessThanOrEqual(2.01);
  });

  // mnist-8's input: raw pixels, most exactly 0, many saturated at 255, the rest spread over the integers.
  // The spike at 0 once chose T = `levels` integers (clipping to [0, 16] at 4 bits, [0, 64] at 6).
  it.each([
    ['integer', (v: number) => Math.round(v)],
    ['continuous', (v: number) => v],
  ] as const)('keeps the mode at 255 of a mostly-zero %s image distribution at 4, 6 and 8 bits', (_, grid) => {
    const u = uniform(200000, 0, 1, 11);
    const xs = new Float32Array(u.length);
    for (let i = 0; i < u.length; i++) {
      const v = u[i]!;
      xs[i] = v < 0.76 ? 0 : v < 0.84 ? 255 : grid(1 + ((v - 0.84) / 0.16) * 253);
    }
    const h = histogramOf(xs);
    for (const bits of [4, 6, 8]) expect(entropyThreshold(h, 2 ** bits)).toBeGreaterThanOrEqual(250);
  });

  it('ignores the count of the zero bin (any threshold represents 0 exactly)', () => {
    const xs = gaussian(100000, 12);
    const h = histogramOf(xs), spiked = histogramOf(xs);
    spiked.counts[spiked.counts.length / 2] += 1e6;
    expect(entropyThreshold(spiked, 128)).toBe(entropyThreshold(h, 128));
  });

  it('returns the data edge when there are fewer occupied bins than levels', () => {
    const h = new Histogram(8, 4); // |x| bins of width 1
    h.add([0.5, -1.5], 1.5);
    expect(entropyThreshold(h, 128)).toBe(2);
  });
});

describe('affineQuant / symmetricQuant', () => {
  it('map [lo, hi] onto all 2^B codes with real 0 exactly a code: hand-computed', () => {
    // [-1, 3]: scale 4/255, zero point -128 - round(-1/scale) = -128 + round(63.75) = -64.
    expect(affineQuant({ lo: -1, hi: 3 }, 8)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: -64, qmin: -128, qmax: 127 });
    expect(affineQuant({ lo: 0, hi: 2 }, 4)).toEqual({ scale: Math.fround(2 / 15), zeroPoint: -8, qmin: -8, qmax: 7 });
    expect(symmetricQuant(1.27, 8)).toEqual({ scale: Math.fround(0.01), zeroPoint: 0, qmin: -128, qmax: 127 });
  });

  it('reject ranges without 0 or empty', () => {
    expect(() => affineQuant({ lo: 1, hi: 2 }, 8)).toThrow(/must contain 0/);
    expect(() => affineQuant({ lo: 0, hi: 0 }, 8)).toThrow(/non-empty/);
    expect(() => symmetricQuant(0, 8)).toThrow(/positive/);
  });
});
