import { describe, expect, it } from 'vitest';
import { DEFAULT_QUANT_OPTIONS, readQuantOptions } from '../../../passes/quantize/options.js';
import type { CalibrationStats } from '../../../ir/quant/stats.js';

const stats: CalibrationStats = { method: 'seed', batchSize: 32, samples: 32, batches: 1, tensors: new Map() };

describe('readQuantOptions', () => {
  it('fills defaults and ignores options of other passes', () => {
    expect(readQuantOptions({ target: 'default' })).toEqual(DEFAULT_QUANT_OPTIONS);
    expect(DEFAULT_QUANT_OPTIONS).toEqual({ bits: 8, perChannel: false, method: 'seed', unsignedMapping: 'seed', percentile: 99.99 });
  });

  it('passes valid values through', () => {
    const o = readQuantOptions({ bits: 4, perChannel: true, method: 'entropy', unsignedMapping: 'full', percentile: 99.9, calibration: stats });
    expect(o).toEqual({ bits: 4, perChannel: true, method: 'entropy', unsignedMapping: 'full', percentile: 99.9, calibration: stats });
  });

  it('defaults the method to the one the statistics were collected for', () => {
    expect(readQuantOptions({ calibration: { ...stats, method: 'entropy' } }).method).toBe('entropy');
    expect(readQuantOptions({ method: 'minmax', calibration: { ...stats, method: 'entropy' } }).method).toBe('minmax');
  });

  it.each([
    [{ bits: 9 }, /bits must be an integer in 2..8, got 9/],
    [{ bits: 1 }, /bits must be an integer in 2..8, got 1/],
    [{ bits: 7.5 }, /bits must be an integer in 2..8, got 7.5/],
    [{ bits: '8' }, /bits must be an integer in 2..8, got '8'/],
    [{ perChannel: 'yes' }, /perChannel must be true or false, got 'yes'/],
    [{ method: 'kl' }, /method must be one of seed, minmax, percentile, mse, entropy, got 'kl'/],
    [{ unsignedMapping: 'half' }, /unsignedMapping must be 'seed' or 'full', got 'half'/],
    [{ percentile: 30 }, /percentile must be a number in \(50, 100\], got 30/],
    [{ calibration: { samples: 3 } }, /calibration must be the statistics runtime\/calibrate.ts returns/],
  ])('rejects %j', (options, message) => {
    expect(() => readQuantOptions(options)).toThrow(message);
  });
});
