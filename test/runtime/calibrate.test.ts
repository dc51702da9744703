import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../ir/tensor.js';
import { histogramTotal } from '../../ir/quant/histogram.js';
import { calibrate, DEFAULT_CALIB_BATCH_SIZE } from '../../runtime/calibrate.js';
import { buildGraph, node, vt } from '../passes/build.js';

// x [1,3] -> Relu -> r -> Shape -> s (int64, not observed); sample i is x = [i, -2i, 0.5].
const g = buildGraph({
  inputs: { x: vt('float32', [1, 3]) },
  nodes: [node('Relu', 'relu', ['x'], ['r'], {}), node('Shape', 'shape', ['r'], ['s'], { start: 0 })],
  outputs: ['r', 's'],
});
const sample = (i: number): ReadonlyMap<string, Tensor> => new Map([['x', tensor('float32', [1, 3], [i, -2 * i, 0.5])]]);

describe('calibrate', () => {
  it('seed runs only the first batch: alpha = max|x| of samples 0..batchSize-1', () => {
    const progress: [number, number][] = [];
    const s = calibrate(g, sample, 100, { method: 'seed', batchSize: 4, onProgress: (d, t) => progress.push([d, t]) });
    expect(s.samples).toBe(4);
    expect(s.batches).toBe(1);
    expect(progress).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    // samples 0..3: |x| max is 2·3 = 6; relu output max 3.
    expect(s.tensors.get('x')).toEqual({ count: 12, min: -6, max: 3, firstBatchAbsMax: 6 });
    expect(s.tensors.get('r')!.firstBatchAbsMax).toBe(3);
    expect(s.tensors.has('s')).toBe(false);
  });

  it('minmax runs every sample; the first batch still only feeds firstBatchAbsMax', () => {
    const s = calibrate(g, sample, 10, { method: 'minmax', batchSize: 4 });
    expect(s.samples).toBe(10);
    expect(s.batches).toBe(3);
    expect(s.tensors.get('x')).toEqual({ count: 30, min: -18, max: 9, firstBatchAbsMax: 6 });
    expect(s.tensors.get('r')).toEqual({ count: 30, min: 0, max: 9, firstBatchAbsMax: 3 });
  });

  it('histogram methods keep a fixed-size histogram: its size does not depend on the sample count', () => {
    const few = calibrate(g, sample, 5, { method: 'entropy', bins: 256 });
    const many = calibrate(g, sample, 400, { method: 'entropy', bins: 256 });
    const hf = few.tensors.get('x')!.histogram!, hm = many.tensors.get('x')!.histogram!;
    expect(hm.counts.length).toBe(256);
    expect(hf.counts.length).toBe(hm.counts.length);
    expect(histogramTotal(hm)).toBe(1200);
    // The range grew from the first non-zero sample (|x| = 2) by doubling until 2·399 fit.
    expect(hm.halfRange).toBe(1024);
    expect(few.tensors.get('x')!.histogram!.halfRange).toBe(8);
  });

  it('takes an iterable, and stops where it ends', () => {
    function* three(): Generator<ReadonlyMap<string, Tensor>> { for (let i = 0; i < 3; i++) yield sample(i); }
    const s = calibrate(g, three(), 50, { method: 'minmax' });
    expect(s.samples).toBe(3);
    expect(s.batchSize).toBe(DEFAULT_CALIB_BATCH_SIZE);
  });

  it('rejects bad requests with clear errors', () => {
    expect(() => calibrate(g, sample, 0, { method: 'seed' })).toThrow(/at least one sample/);
    expect(() => calibrate(g, sample, 5, { method: 'seed', batchSize: 0 })).toThrow(/batch size must be an integer >= 1, got 0/);
    expect(() => calibrate(g, sample, 5, { method: 'max' as never })).toThrow(/method 'max' is unknown/);
    expect(() => calibrate(g, [], 5, { method: 'seed' })).toThrow(/sample source is empty/);
    expect(() => calibrate(g, () => new Map(), 5, { method: 'seed' })).toThrow(/input 'x' is not fed/);
    const nan = (): ReadonlyMap<string, Tensor> => new Map([['x', tensor('float32', [1, 3], [1, NaN, 0])]]);
    expect(() => calibrate(g, nan, 1, { method: 'minmax' })).toThrow(/tensor 'x' has NaN/);
  });
});
