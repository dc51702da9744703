import { describe, expect, it } from 'vitest';
import { TilecError } from '../../../ir/errors.js';
import type { CalibrationStats } from '../../../ir/quant/index.js';
import { calibrationTableJson, parseCalibrationTable } from '../../../ir/quant/table.js';

// The table must give back the very same doubles (and -0), so a compile from it equals the calibrated one.

const stats = (method: CalibrationStats['method'], withHistogram: boolean): CalibrationStats => ({
  method, batchSize: 32, samples: 3, batches: 1,
  tensors: new Map([
    ['in.0', { count: 12, min: -0, max: 0.1 + 0.2, firstBatchAbsMax: 1 / 3, ...(withHistogram ? { histogram: { halfRange: Math.PI, counts: Float64Array.from([0, 5, 2 ** 40, 7]) } } : {}) }],
    ['relu "out"', { count: 0, min: 0, max: 0, firstBatchAbsMax: 0, ...(withHistogram ? { histogram: { halfRange: 0, counts: new Float64Array(8) } } : {}) }],
  ]),
});

describe('calibration table text', () => {
  it('round-trips every number exactly, -0 included, and keeps the tensor order', () => {
    const s = stats('entropy', true);
    const t = parseCalibrationTable(calibrationTableJson(s, 'npy:data', new Map([['in.0', [1, 3, 2, 2]]])), 'table');
    expect(t.spec).toBe('npy:data');
    expect([...t.inputs]).toEqual([['in.0', [1, 3, 2, 2]]]);
    expect(t.stats.method).toBe('entropy');
    expect([t.stats.batchSize, t.stats.samples, t.stats.batches]).toEqual([32, 3, 1]);
    expect([...t.stats.tensors.keys()]).toEqual(['in.0', 'relu "out"']);
    const a = t.stats.tensors.get('in.0')!;
    expect(Object.is(a.min, -0)).toBe(true);
    expect(a.max).toBe(0.1 + 0.2);
    expect(a.firstBatchAbsMax).toBe(1 / 3);
    expect(a.histogram!.halfRange).toBe(Math.PI);
    expect([...a.histogram!.counts]).toEqual([0, 5, 2 ** 40, 7]);
    expect(t.stats.tensors.get('relu "out"')!.histogram!.counts.length).toBe(8);
  });

  it('leaves out histograms the method does not use', () => {
    const t = parseCalibrationTable(calibrationTableJson(stats('minmax', false), 'random:8:0', new Map()), 'table');
    expect(t.stats.tensors.get('in.0')!.histogram).toBeUndefined();
  });

  it('rejects malformed fields with the field and the tensor named', () => {
    const good = JSON.parse(calibrationTableJson(stats('percentile', true), 'x', new Map())) as { tensors: Record<string, { histogram: { counts: unknown[] }; count: unknown }> };
    const bad = (mutate: (d: typeof good) => void): string => { const d = structuredClone(good); mutate(d); return JSON.stringify(d); };
    expect(() => parseCalibrationTable(bad((d) => { d.tensors['in.0']!.histogram.counts[1] = -1; }), 'T')).toThrow(/T, tensor 'in\.0': "histogram.counts"\[1\] must be an integer >= 0, got -1/);
    expect(() => parseCalibrationTable(bad((d) => { d.tensors['in.0']!.histogram.counts = [1, 2, 3]; }), 'T')).toThrow(/multiple of 4/);
    expect(() => parseCalibrationTable(bad((d) => { d.tensors['in.0']!.count = 1.5; }), 'T')).toThrow(/field "count" must be an integer >= 0, got 1.5/);
    expect(() => parseCalibrationTable(bad((d) => { (d as Record<string, unknown>).method = 'median'; }), 'T')).toThrow(/field "method" must be one of seed, minmax/);
    expect(() => parseCalibrationTable('[]', 'T')).toThrow(TilecError);
  });
});
