import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { type CompileJson, type VerifyJson, tempDir, tilecJson, tilecJsonWith, tilecProcess } from './cli.js';
import { LIGHT_TIMEOUT_MS, expectConsistentTotals } from './light-suite.js';

// Criterion 2 for VGG-19 (19.6 GMAC, 7.2 million instructions, a ~660 MB .tasm: the largest program by far),
// in its own file so vitest runs it beside the other models, and in its own tilec process with node's default
// heap, as a user runs it: if it ever runs out of memory, this test fails with node's message instead of
// taking the test worker down.
//
// As lightModelSuite does for the others: one `tilec verify -o DIR` compiles for the default target, writes
// NAME.tbin, NAME.tasm (streamed: it does not fit in a JS string) and NAME.report.json, and checks the tile
// program bit exact against the integer reference on test_data_set_0. One difference: calibration runs on
// that same input (--calib pb:DIR, 1 sample) instead of the default 8 random samples, which would be 8 float
// passes of 19.6 GMAC each, most of the test's time on CI's two cores; the target, the tiling and the cost
// model totals do not depend on it.

const out = tempDir('acceptance-vgg19');

describe('acceptance: VGG-19 compiles for the default target and verifies bit exact on test_data_set_0', () => {
  const dir = sharedPath('models/light/vgg19');
  it.skipIf(!dir)('vgg19', async () => {
    const model = path.join(dir!, 'model.onnx');
    const files = path.join(out, 'vgg19');
    const verified = await tilecJsonWith<VerifyJson>(tilecProcess, 'verify', model, '--data', `pb:${dir}`, '--calib', `pb:${dir}`, '-o', files);
    expect(verified.samples).toBe(1);
    expect({ bit_exact: verified.bit_exact, mismatched_samples: verified.mismatched_samples }).toEqual({ bit_exact: true, mismatched_samples: 0 });

    const report = JSON.parse(readFileSync(path.join(files, 'model.report.json'), 'utf8')) as CompileJson & { totals: { instructions: number } };
    expect(report.files).toEqual(['model.tbin', 'model.tasm', 'model.report.json']);
    for (const f of report.files) expect(existsSync(path.join(files, f)), f).toBe(true);
    const tasmBytes = statSync(path.join(files, 'model.tasm')).size;
    expect(tasmBytes).toBeGreaterThan(0);
    const inspected = await tilecJson<{ totals: { macs: number } }>('inspect', model);
    expectConsistentTotals(report, inspected.totals.macs);
    expect(report.totals.instructions).toBeGreaterThan(report.totals.tile_ops);
    console.log(`vgg19: ${JSON.stringify(report.totals)}, .tasm ${tasmBytes} bytes`);
  }, LIGHT_TIMEOUT_MS);
});
