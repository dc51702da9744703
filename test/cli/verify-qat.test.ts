import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/tilec.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

// `tilec verify` on the QAT example reads the model's own quantizers (QUANT_IMPORT_PIPELINE) instead of
// calibrating, and compares the int8 program with the QAT model's own float forward.
const model = path.join(REPO_ROOT, 'examples/qat_mnist/qat_mnist.onnx');
const mnist = sharedPath('data/mnist');

const run = async (argv: string[]) => {
  let out = '', err = '';
  const code = await main(argv, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
};

describe.skipIf(!mnist)('tilec verify on the QAT example', () => {
  it('agrees with the QAT float forward on every one of 500 digits, bit-exact on the tile machine', async () => {
    const r = await run(['verify', model, '--data', `mnist:${mnist}`, '--limit', '500', '--json']);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.samples).toBe(500);
    expect(doc.top1_agreement).toBe(1);
    expect(doc.bit_exact).toBe(true);
    expect(doc.int8_top1).toBe(doc.float_top1);
    expect(doc.float_top1).toBeGreaterThan(0.95);
    // The output quantizer's step (0.2007...) bounds the error: int8 and float differ by at most one code.
    expect(doc.max_abs_error).toBeLessThanOrEqual(0.2008);
  });
});
