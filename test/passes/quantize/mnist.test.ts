import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../../cli/data/mnist.js';
import { loadModel } from '../../../frontend/index.js';
import { STAGES, checkStage } from '../../../ir/stages.js';
import { type Tensor, tensor } from '../../../ir/tensor.js';
import { runPasses } from '../../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../../passes/pipeline.js';
import { calibrate } from '../../../runtime/calibrate.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { sharedPath } from '../../helpers/shared.js';
import { opsOf, quantize } from './helpers.js';

// End to end on the model zoo's MNIST CNN (real trained weights, raw 0..255 pixels in): 100 calibration images,
// the seed method at 8 bits, then the integer reference on test images against the float graph.
// (The full 10,000-image figures are in docs/quantization.md; 300 images keep this test quick.)
const model = sharedPath('models/mnist-8/model.onnx');
const data = sharedPath('data/mnist');

const EVAL = 300;

describe.skipIf(!model || !data)('mnist-8 quantized with the seed method', () => {
  it('keeps top-1 accuracy within a point of float and agrees with it on >= 98% of images', () => {
    const imported = loadModel(model!, { evaluate: evaluateFloat });
    const float = runPasses(imported, FLOAT_PIPELINE, { evaluate: evaluateFloat, options: {} }).graph;
    expect(opsOf(float)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'Relu', 'MaxPool', 'Reshape', 'Gemm']);
    const input = float.inputs[0]!;
    const { images, labels } = loadMnist(path.resolve(data!));
    const pixels = images.rows * images.cols;
    const feeds = (i: number): ReadonlyMap<string, Tensor> =>
      new Map([[input, tensor('float32', float.values.get(input)!.shape, images.pixels.subarray(i * pixels, (i + 1) * pixels))]]);

    const stats = calibrate(float, feeds, 100, { method: 'seed', batchSize: 100 });
    expect(stats.samples).toBe(100);
    const q = quantize(float, { bits: 8, method: 'seed', calibration: stats });
    checkStage(q, STAGES.quantized);
    expect(opsOf(q)).toEqual(['Quantize', 'QConv', 'MaxPool', 'QConv', 'MaxPool', 'Reshape', 'QGemm', 'Dequantize']);
    // The seed parameters: input alpha 255 (step 255/128), ReLU outputs always_pos (zero point -128).
    expect(q.values.get(`${input}:q`)!.quant).toEqual({ scale: [255 / 128], zeroPoint: [0], bits: 8 });
    expect(q.values.get('ReLU32_Output_0')!.quant!.zeroPoint).toEqual([-128]);

    const argmax = (t: Tensor): number => t.data.indexOf(Math.max(...t.data));
    let floatOk = 0, intOk = 0, agree = 0;
    for (let i = 0; i < EVAL; i++) {
      const f = feeds(i);
      const a = argmax(runGraph(float, f, evaluateFloat).get(float.outputs[0]!)!);
      const b = argmax(runGraph(q, f, evaluateFloat).get(q.outputs[0]!)!);
      floatOk += +(a === labels[i]);
      intOk += +(b === labels[i]);
      agree += +(a === b);
    }
    expect(intOk / EVAL).toBeGreaterThanOrEqual(floatOk / EVAL - 0.01);
    expect(agree / EVAL).toBeGreaterThanOrEqual(0.98);
  }, 120_000);
});
