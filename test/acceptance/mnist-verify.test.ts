import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { type VerifyJson, tilecJson } from './cli.js';

// Acceptance, "Lowering and tiling" criterion 1: the compiled mnist-8 tile program computes, on the tile
// machine, exactly what the untiled integer reference computes, on every MNIST test image, for the default
// target, for odd and large tile sizes and for every preset. The command is the criterion's, with tilec's
// default calibration (seeded random inputs): bit-exactness does not depend on how good the scales are.
//
// The default target runs on all 10,000 images. The other tiles and presets run on the first 500 images
// here to keep the suite inside its CI budget (--tile 1 alone: one MATMUL per MAC, about 1.1 million
// instructions per image, ~0.2 s of CPU each); the full 10,000-image runs of every variant were measured
// by hand and were bit exact too (numbers in the acceptance report).

const model = sharedPath('models/mnist-8/model.onnx');
const data = sharedPath('data/mnist');

/** The variants run on the first LIMIT images of the test set. */
const LIMIT = 500;
/** The float reference on all 10,000 images: onnxruntime's figure for mnist-8 (../shared/README.md). */
const FLOAT_TOP1_ALL = 0.9891;

const verify = (...options: string[]): Promise<VerifyJson> =>
  tilecJson<VerifyJson>('verify', model!, '--data', `mnist:${data}`, ...options);

function expectBitExact(doc: VerifyJson, samples: number): void {
  expect(doc.samples).toBe(samples);
  expect({ bit_exact: doc.bit_exact, mismatched_samples: doc.mismatched_samples }).toEqual({ bit_exact: true, mismatched_samples: 0 });
}

describe.skipIf(!model || !data)('acceptance: tilec verify mnist-8 is bit exact on the MNIST test set', () => {
  it('default target, all 10,000 images', async () => {
    const doc = await verify();
    expectBitExact(doc, 10_000);
    expect(doc.float_top1).toBe(FLOAT_TOP1_ALL);
    // Labels are present, so int8 accuracy is a number (its level depends on the calibration, not checked here).
    expect(doc.int8_top1).toBeGreaterThanOrEqual(0);
    expect(doc.int8_top1).toBeLessThanOrEqual(1);
  }, 1_800_000);

  // Quantization does not depend on the target, so every variant must agree with the default target on the
  // same images in everything but the tile program, which must again equal the integer reference.
  let reference: Promise<VerifyJson> | undefined;
  const defaultOnLimit = (): Promise<VerifyJson> => (reference ??= verify('--limit', String(LIMIT)));

  const variants: readonly (readonly string[])[] = [
    ['--tile', '1'], ['--tile', '7'], ['--tile', '32'],
    ['--target', 'default'], ['--target', 'tiny'], ['--target', 'seed'],
  ];
  for (const options of variants) {
    it(`${options.join(' ')}, first ${LIMIT} images (all 10,000 measured by hand)`, async () => {
      const base = await defaultOnLimit();
      expectBitExact(base, LIMIT);
      const doc = await verify(...options, '--limit', String(LIMIT));
      expectBitExact(doc, LIMIT);
      const same = (d: VerifyJson) => ({ float_top1: d.float_top1, int8_top1: d.int8_top1, top1_agreement: d.top1_agreement, max_abs_error: d.max_abs_error });
      expect(same(doc)).toEqual(same(base));
    }, 900_000);
  }
});
