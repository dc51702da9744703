import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensorFile } from '../../frontend/index.js';
import { randomizeWeights } from '../differential/random-weights.js';
import { sharedPath } from '../helpers/shared.js';
import { type CompileJson, type Runner, type VerifyJson, tempDir, tilec, tilecJson, tilecJsonWith } from './cli.js';

// Acceptance, "Lowering and tiling" criterion 2: each light model-zoo architecture compiles for the default
// target and its tile program verifies bit exact against the integer reference on the model's own
// test_data_set input. Shared by the files that split the models between them (vitest runs files in
// parallel; VGG-19 runs in its own file and process).
//
// One `tilec verify -o DIR` per model does both: verify compiles exactly as `tilec compile` does (the same
// session) and with -o writes NAME.tbin, NAME.tasm and NAME.report.json, the report `compile --json`
// prints. That halves the suite's time; `tilec compile` itself runs in disasm-asm.test.ts.
//
// Caveat, measured: every weight of these models is a ConstantOfShape filling 0.02, so all output channels
// of a layer are equal and the softmax output is exactly uniform (1/1000) whatever the layers computed.
// bit_exact on these outputs mostly proves that the whole program runs without a fault; the check that can
// see a wrong row or tile is lightRandomWeightsSuite below.

/** Generous: an idle run of the slowest model (VGG-19) is several minutes, and CI machines are shared. */
export const LIGHT_TIMEOUT_MS = 900_000;

export function lightModelSuite(models: readonly string[], run: Runner = tilec): void {
  const out = tempDir('acceptance-light');
  describe('acceptance: light architectures compile for the default target and verify bit exact on test_data_set_0', () => {
    for (const name of models) {
      const dir = sharedPath(`models/light/${name}`);
      it.skipIf(!dir)(`${name}`, async () => {
        const model = path.join(dir!, 'model.onnx');
        const files = path.join(out, name);
        const verified = await tilecJsonWith<VerifyJson>(run, 'verify', model, '--data', `pb:${dir}`, '-o', files);
        expect(verified.samples).toBe(1);
        expect({ bit_exact: verified.bit_exact, mismatched_samples: verified.mismatched_samples }).toEqual({ bit_exact: true, mismatched_samples: 0 });

        const report = JSON.parse(readFileSync(path.join(files, 'model.report.json'), 'utf8')) as CompileJson;
        expect(report.files).toEqual(['model.tbin', 'model.tasm', 'model.report.json']);
        for (const f of report.files) expect(existsSync(path.join(files, f)), f).toBe(true);
        const inspected = await tilecJsonWith<{ totals: { macs: number } }>(run, 'inspect', model);
        expectConsistentTotals(report, inspected.totals.macs);
        console.log(`${name}: ${JSON.stringify(report.totals)}`);
      }, LIGHT_TIMEOUT_MS);
    }
  });
}

/**
 * The report's totals obey the cost model's definitions (docs/isa.md §6, docs/host-ops.md §8), and every MAC
 * of the model (as `tilec inspect` counts them on the float graph) runs on the tile unit.
 */
export function expectConsistentTotals(doc: CompileJson, modelMacs: number): void {
  const t = doc.tile;
  const { tile_ops, macs, dram_bytes, cycles, ideal_cycles, utilization } = doc.totals;
  expect(macs).toBe(modelMacs);
  expect(doc.layers.filter((l) => l.kind === 'tile').reduce((a, l) => a + l.macs, 0)).toBe(macs);
  expect(ideal_cycles).toBe(Math.ceil(macs / (t * t)));
  expect(utilization).toBeCloseTo(ideal_cycles / cycles, 12);
  expect(cycles).toBeGreaterThanOrEqual(ideal_cycles);
  // A MATMUL does at most t³ MACs.
  expect(tile_ops).toBeGreaterThanOrEqual(Math.ceil(macs / t ** 3));
  expect(dram_bytes).toBeGreaterThan(0);
}

/** The seed of the differential suite's random weights (test/differential/light-suite.ts), so both see the same models. */
const RANDOM_WEIGHTS_SEED = 20_261_127;

/**
 * Criterion 2 made able to fail on values: the same architectures with seeded random weights
 * (test/differential/random-weights.ts, the classifier scaled to an informative softmax, the logits added as
 * a second graph output), written to a temporary model and verified on the same input. Now every output
 * channel differs, so bit_exact compares a thousand distinct logits and probabilities bit for bit.
 */
export function lightRandomWeightsSuite(models: readonly string[]): void {
  const out = tempDir('acceptance-light-random');
  describe('acceptance: light architectures with seeded random weights verify bit exact on test_data_set_0', () => {
    for (const name of models) {
      const dir = sharedPath(`models/light/${name}`);
      it.skipIf(!dir)(`${name} (random weights, logits as an output)`, async () => {
        const input = decodeTensorFile(readFileSync(path.join(dir!, 'test_data_set_0', 'input_0.pb')), 'input_0.pb');
        const randomized = await randomizeWeights(new Uint8Array(readFileSync(path.join(dir!, 'model.onnx'))), RANDOM_WEIGHTS_SEED, new Map([[input.name, input.tensor]]));
        const model = path.join(out, `${name}.onnx`);
        writeFileSync(model, randomized.bytes);

        const verified = await tilecJson<VerifyJson>('verify', model, '--data', `pb:${dir}`);
        expect(verified.samples).toBe(1);
        expect({ bit_exact: verified.bit_exact, mismatched_samples: verified.mismatched_samples }).toEqual({ bit_exact: true, mismatched_samples: 0 });
        // The outputs vary, so bit-exactness was tested on real numbers: int8 differs from float somewhere.
        expect(verified.max_abs_error).toBeGreaterThan(0);
      }, LIGHT_TIMEOUT_MS);
    }
  });
}
