import { describe, expect, it } from 'vitest';
import { IDENTITY_PREPROCESS, resolveCompileOptions } from '../../cli/compile-options.js';
import { openSamples } from '../../cli/samples.js';
import { PASS_NAMES, compileModel } from '../../cli/session.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { ProgramRunner } from '../../runtime/tile/run-program.js';
import { verifySamplesParallel } from '../../runtime/verify-parallel.js';
import { verifySamples } from '../../runtime/verify.js';
import { sharedPath } from '../helpers/shared.js';

// verify over two worker threads must give exactly the single-threaded result (every SQNR sum added in the
// same order), on real mnist-8 with its tile program, and report a broken tile program the same way.

const model = sharedPath('models/mnist-8/model.onnx');
const mnist = sharedPath('data/mnist');
const SAMPLES = 24;

describe.skipIf(!model || !mnist)('verifySamplesParallel', () => {
  const compiled = compileModel(model!, resolveCompileOptions({}, PASS_NAMES), { line: () => {}, print: () => {} });
  const data = openSamples(`mnist:${mnist}`, compiled.float, IDENTITY_PREPROCESS, SAMPLES);
  const base = { float: compiled.float, quantized: compiled.quantized, samples: data.size, feeds: data.feeds, labels: data.labels };

  it('two workers equal one thread on mnist-8, sample order and progress included', async () => {
    const tile = new ProgramRunner(compiled.program);
    const single = verifySamples({ ...base, evaluate: evaluateFloat, runTile: (f) => tile.run(f).outputs });
    const progress: number[] = [];
    const parallel = await verifySamplesParallel({ ...base, program: compiled.program, threads: 2, onSample: (n) => progress.push(n) });
    expect(parallel).toEqual(single);
    expect(JSON.stringify(parallel)).toBe(JSON.stringify(single));
    expect(single.bitExact).toBe(true);
    expect(progress).toEqual(Array.from({ length: SAMPLES }, (_, i) => i + 1));
  }, 120_000);

  it('a corrupted program shows up as mismatched samples, the same with workers', async () => {
    // Flip one weight byte: the tile outputs then differ from the integer reference on some samples.
    const constants = compiled.program.constants.map((c, i) => (i === 0 ? { ...c, data: c.data.map((v, j) => (j < 64 ? v ^ 0x55 : v)) } : c));
    const broken = { ...compiled.program, constants };
    const tile = new ProgramRunner(broken);
    const single = verifySamples({ ...base, evaluate: evaluateFloat, runTile: (f) => tile.run(f).outputs });
    const parallel = await verifySamplesParallel({ ...base, program: broken, threads: 2 });
    expect(single.bitExact).toBe(false);
    expect(parallel).toEqual(single);
  }, 120_000);
});
