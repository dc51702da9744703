import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../ir/quant/histogram.js';
import { type ActivationQuantOptions, activationQuant, weightScales } from '../../../ir/quant/params.js';
import type { TensorStats } from '../../../ir/quant/stats.js';

const opts = (o: Partial<ActivationQuantOptions>): ActivationQuantOptions =>
  ({ method: 'seed', bits: 8, nonNegative: false, unsignedMapping: 'seed', percentile: 99.99, ...o });

const stats = (s: Partial<TensorStats>): TensorStats => ({ count: 10, min: -1, max: 1, firstBatchAbsMax: 1, ...s });

describe('activationQuant', () => {
  it('seed: alpha = max|x| of the first batch, step 2·alpha/2^B, zero point 0 or -2^(B-1) for always_pos', () => {
    // alpha 2.0, B = 8: step 2·2/256 = 2/128 = 0.015625.
    const s = stats({ min: -5, max: 7, firstBatchAbsMax: 2 });
    expect(activationQuant(s, opts({}), 'x')).toEqual({ scale: 2 / 128, zeroPoint: 0, qmin: -128, qmax: 127 });
    expect(activationQuant(s, opts({ nonNegative: true }), 'x')).toEqual({ scale: 2 / 128, zeroPoint: -128, qmin: -128, qmax: 127 });
    // B = 4: step 2·2/16 = 0.25, zero point -8.
    expect(activationQuant(s, opts({ bits: 4, nonNegative: true }), 'x')).toEqual({ scale: 0.25, zeroPoint: -8, qmin: -8, qmax: 7 });
    // 'full' spreads [0, alpha] over all codes.
    expect(activationQuant(s, opts({ nonNegative: true, unsignedMapping: 'full' }), 'x')).toEqual({ scale: Math.fround(2 / 255), zeroPoint: -128, qmin: -128, qmax: 127 });
  });

  it('a range whose float32 scale underflows is a clear error, not a zero scale (found by the fuzzer: Clip(0, 1e-45))', () => {
    const tiny = stats({ min: 0, max: 1.4e-45, firstBatchAbsMax: 1.4e-45 });
    for (const method of ['seed', 'minmax'] as const) {
      expect(() => activationQuant(tiny, opts({ method }), "tensor 'r'")).toThrow(/tensor 'r': calibrated range .* is too small to quantize at 8 bits/);
    }
    expect(() => weightScales([1e-45], 8, 'seed')).toThrow(/too small to quantize/);
  });

  it('seed ignores every batch after the first (min/max of all batches play no part)', () => {
    const a = activationQuant(stats({ min: -100, max: 100, firstBatchAbsMax: 3 }), opts({}), 'x');
    const b = activationQuant(stats({ min: -3, max: 1, firstBatchAbsMax: 3 }), opts({}), 'x');
    expect(a).toEqual(b);
  });

  it('minmax: the asymmetric range of all batches', () => {
    expect(activationQuant(stats({ min: -1, max: 3, firstBatchAbsMax: 0.5 }), opts({ method: 'minmax' }), 'x'))
      .toEqual({ scale: Math.fround(4 / 255), zeroPoint: -64, qmin: -128, qmax: 127 });
    // A positive-only tensor starts at 0.
    expect(activationQuant(stats({ min: 2, max: 4 }), opts({ method: 'minmax' }), 'x').zeroPoint).toBe(-128);
  });

  it('a tensor that was always 0 gets scale 1 (any scale represents it exactly)', () => {
    const dead = stats({ min: 0, max: 0, firstBatchAbsMax: 0 });
    expect(activationQuant(dead, opts({ nonNegative: true }), 'x')).toEqual({ scale: 1, zeroPoint: -128, qmin: -128, qmax: 127 });
    expect(activationQuant(dead, opts({ method: 'entropy' }), 'x').scale).toBe(1);
  });

  it('histogram methods name the tensor when the statistics have no histogram', () => {
    expect(() => activationQuant(stats({}), opts({ method: 'entropy' }), "tensor 'c1'")).toThrow(/tensor 'c1' have no histogram/);
  });

  it('entropy: symmetric for signed data, [0, T] over all codes for one-sided data', () => {
    const h = new Histogram(64, 1);
    const xs = Array.from({ length: 1000 }, (_, i) => (i % 200) / 200 - 0.5);
    h.add(xs, 0.5);
    const signed = activationQuant(stats({ min: -0.5, max: 0.495, histogram: h }), opts({ method: 'entropy' }), 'x');
    expect(signed.zeroPoint).toBe(0);
    const pos = new Histogram(64, 1);
    pos.add(xs.map(Math.abs), 0.5);
    const one = activationQuant(stats({ min: 0, max: 0.5, histogram: pos }), opts({ method: 'entropy' }), 'x');
    expect(one.zeroPoint).toBe(-128);
    expect(one.scale).toBeLessThanOrEqual(Math.fround(0.5 / 255));
  });
});

describe('weightScales', () => {
  it('seed: step 2·alpha/2^B; other methods alpha/Qp; an all-zero channel borrows the widest alpha', () => {
    expect(weightScales([2, 0, 1], 8, 'seed')).toEqual([2 / 128, 2 / 128, 1 / 128]);
    expect(weightScales([2, 0, 1], 8, 'minmax')).toEqual([Math.fround(2 / 127), Math.fround(2 / 127), Math.fround(1 / 127)]);
    expect(weightScales([0], 8, 'seed')).toEqual([1 / 128]);
  });
});
