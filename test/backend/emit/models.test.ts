import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../frontend/index.js';
import { decodeTensorFile } from '../../../frontend/import.js';
import type { Graph } from '../../../ir/graph.js';
import { runPasses } from '../../../passes/manager.js';
import { FLOAT_PIPELINE, LOWER_PIPELINE, QUANT_PIPELINE } from '../../../passes/pipeline.js';
import { calibrate } from '../../../runtime/calibrate.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { runProgram } from '../../../runtime/tile/run-program.js';
import { emitProgram } from '../../../backend/emit/index.js';
import { decodeTbin, encodeTbin } from '../../../backend/tbin.js';
import { presetTarget, withTile } from '../../../backend/target.js';
import { sharedPath } from '../../helpers/shared.js';
import { bits } from './fixture.js';

// A real model through the whole pipeline — import, FLOAT_PIPELINE, calibration, QUANT_PIPELINE,
// LOWER_PIPELINE, emission — and its program on the tile machine against the integer references.

const mnist = sharedPath('models/mnist-8');

describe.skipIf(!mnist)('mnist-8 as a tile program', () => {
  const dir = mnist!;
  const sample = (i: number) => decodeTensorFile(readFileSync(path.join(dir, `test_data_set_${i}`, 'input_0.pb')), 'input_0.pb').tensor;
  const float = runPasses(loadModel(path.join(dir, 'model.onnx'), { evaluate: evaluateFloat }), FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} }).graph;
  const feeds = (i: number) => new Map([[float.inputs[0]!, sample(i)]]);
  const stats = calibrate(float, feeds, 3, { method: 'minmax' });
  const quantized = runPasses(float, QUANT_PIPELINE, { evaluate: evaluateFloat, options: { bits: 8, perChannel: true, calibration: stats } }).graph;
  const lower = (im2col: string): Graph => runPasses(quantized, LOWER_PIPELINE, { evaluate: evaluateFloat, options: { im2col } }).graph;

  it.each([
    ['explicit', 'default', 16],
    ['implicit', 'tiny', 7],
    ['implicit', 'seed', 16],
  ])('im2col %s on %s (t=%i): every sample bit for bit equal to the realized graph', (im2col, preset, t) => {
    const low = lower(im2col);
    const { program, totals, report } = emitProgram(low, withTile(presetTarget(preset), t));
    // What `compile` writes is what `run` reads.
    const loaded = decodeTbin(encodeTbin(program), 'mnist.tbin');
    for (let i = 0; i < 3; i++) {
      const want = runGraph(quantized, feeds(i), evaluateFloat);
      const got = runProgram(loaded, feeds(i), { overflow: 'fault' });
      for (const name of quantized.outputs) expect(bits(got.outputs.get(name)!)).toEqual(bits(want.get(name)!));
      expect(got.counters.cycles).toBe(totals.cycles);
    }
    // Two convolutions and the classifier run on the matrix unit.
    expect(report.filter((l) => l.kind === 'tile').map((l) => [l.m, l.k])).toEqual([[8, 25], [16, 200], [10, 256]]);
    expect(totals.macs).toBe(8 * 25 * 784 + 16 * 200 * 196 + 10 * 256);
  });
});
