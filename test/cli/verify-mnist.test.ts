import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from './run-cli.js';

// The acceptance run: mnist-8 on all 10,000 MNIST test images, calibrated with the seed quantizer on the same
// images. The float reference must match onnxruntime's 98.91% exactly; int8 must stay within 0.11 points, and the
// tile program must compute bit for bit what the integer reference does.

const model = sharedPath('models/mnist-8/model.onnx');
const data = sharedPath('data/mnist');

describe.skipIf(!model || !data)('tilec verify mnist-8 on 10,000 images', () => {
  it('float top-1 is exactly 0.9891 and int8 top-1 is >= 0.988', async () => {
    const r = await runCli('verify', model!, '--data', `mnist:${data}`, '--calib', `mnist:${data}`, '--calib-method', 'seed', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as {
      samples: number; float_top1: number; int8_top1: number; top1_agreement: number; bit_exact: boolean; mismatched_samples: number;
      layers: { name: string; sqnr_db: number }[];
    };
    expect(doc.samples).toBe(10000);
    expect(doc.float_top1).toBe(0.9891);
    expect(doc.int8_top1).toBeGreaterThanOrEqual(0.988);
    // The compiled tile program equals the integer reference on every image.
    expect([doc.bit_exact, doc.mismatched_samples]).toEqual([true, 0]);
    expect(doc.layers.length).toBeGreaterThan(0);
    for (const l of doc.layers) expect(l.sqnr_db).toBeGreaterThan(10);
  }, 900_000);
});
