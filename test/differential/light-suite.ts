// The light-model differential suite, shared by the test files that split the models between them (so
// vitest runs VGG-19, the longest, in parallel with the rest).
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../ir/tensor.js';
import { sharedPath } from '../helpers/shared.js';
import { difference, runOrt, runTilec, uniform } from './harness.js';
import { randomizeWeights } from './random-weights.js';

// Tolerances (numpy.isclose rule |tilec - ort| <= ATOL + RTOL * |ort|): 20 to 120 layers, each rounded to
// float32 by ORT (tilec sums each layer in float64 and rounds once) and tilec's BN folding rounding the
// folded weights once more; the per-layer ~1e-7 relative differences compound but stay far below 1e-3
// (measured: at most ~5e-5 relative, ~2e-6 absolute). ATOL 1e-5 covers the small probabilities whose
// relative error is meaningless; it is 100x below the uniform probability 1e-3, so the softmax's shape
// is still checked. The logits (compared too) are O(10): there ATOL is taken in units of their largest
// magnitude, because the float32 rounding of 4096- to 25088-term dot products in the last layers is
// ~sqrt(K) ulps of the layer's scale, i.e. ~1e-5 absolute at logits ~10 even where a logit crosses zero.
const RTOL = 1e-3;
const ATOL = 1e-5;

/** ~5x an idle run of VGG-19 (tilec ~45 s on a loaded machine): generous for a busy shared CI box. */
const PER_MODEL_TIMEOUT_MS = 300_000;

const SEED = 20_261_127;

/** The model's one real input (graph inputs minus initializers, which IR v3 lists as inputs too). */
function realInput(bytes: Uint8Array): { name: string; shape: number[] } {
  const g = onnxProto.onnx.ModelProto.decode(bytes).graph!;
  const inits = new Set(g.initializer!.map((t) => t.name));
  const inputs = g.input!.filter((v) => !inits.has(v.name));
  expect(inputs).toHaveLength(1);
  const v = inputs[0]!;
  return { name: v.name!, shape: v.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue)) };
}

/** The softmax says something: its top probability well above uniform (1 / classes) and far from one-hot. */
function expectInformativeSoftmax(out: Tensor): void {
  const top = Math.max(...Array.from(out.data));
  expect(top).toBeGreaterThan(20 / out.shape[1]!);
  expect(top).toBeLessThan(0.99);
}

/** The logits spread: not all equal, with a standard deviation of order 1 (calibrated to ~3). */
function expectSpreadLogits(out: Tensor): void {
  const data = Array.from(out.data);
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  const std = Math.sqrt(data.reduce((a, v) => a + (v - mean) ** 2, 0) / data.length);
  expect(std).toBeGreaterThan(0.5);
}

export function lightModelSuite(models: readonly string[]): void {
  describe('light model-zoo architectures with seeded random weights: tilec float interpreter vs onnxruntime', () => {
    for (const name of models) {
      const file = sharedPath(`models/light/${name}/model.onnx`);
      it.skipIf(!file)(`${name}: outputs match onnxruntime and are informative`, async () => {
        const original = new Uint8Array(readFileSync(file!));
        const input = realInput(original);
        const feeds = new Map([[input.name, tensor('float32', input.shape, uniform(input.shape.reduce((a, b) => a * b, 1), SEED))]]);
        const model = await randomizeWeights(original, SEED, feeds);
        expect(model.replaced).toBeGreaterThan(0);

        const want = await runOrt(model.bytes, feeds);
        const got = runTilec(model.bytes, feeds).outputs;
        expect([...got.keys()]).toEqual([...want.keys()]);
        expect(want.has(model.logits)).toBe(true);
        for (const [out, w] of want) {
          const g = got.get(out)!;
          expect(g.shape).toEqual(w.shape);
          const atol = out === model.logits ? ATOL * Math.max(1, ...Array.from(w.data, Math.abs)) : ATOL;
          const d = difference(g, w, RTOL, atol);
          if (process.env.TILEC_DIFF_REPORT) {
            console.info(`${name} ${out}: max abs ${d.maxAbs.toExponential(2)}, max rel ${d.maxRel.toExponential(2)}, logit scale ${model.logitScale.toExponential(2)}, max ${Math.max(...Array.from(g.data)).toFixed(4)}`);
          }
          expect(d.bad, `${name} ${out}: ${d.worst} (max abs ${d.maxAbs}, max rel ${d.maxRel})`).toBe(0);
          if (out === model.logits) expectSpreadLogits(g); else expectInformativeSoftmax(g);
        }
      }, PER_MODEL_TIMEOUT_MS);
    }
  });
}
