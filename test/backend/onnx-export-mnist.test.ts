import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../cli/data/dataset.js';
import { loadFloatModel } from '../../cli/model.js';
import { quantizeF32 } from '../../ir/arith.js';
import { valueType } from '../../ir/graph.js';
import { exportQdq } from '../../backend/onnx-export.js';
import { runPasses } from '../../passes/manager.js';
import { QUANT_PIPELINE } from '../../passes/pipeline.js';
import { calibrate } from '../../runtime/calibrate.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { sharedPath } from '../helpers/shared.js';

// mnist-8 quantized by tilec (seed calibration on the first 32 test images), exported as QDQ and run by
// onnxruntime on all 10,000 MNIST test images, against tilec's integer reference of the same realized graph.
// onnxruntime requantizes in float (docs/arithmetic.md 12.1) where tilec uses the integer rule (section 6),
// so codes may differ by one on near-ties and the difference can propagate; top-1 must agree on >= 99.9%.

const model = sharedPath('models/mnist-8/model.onnx');
const data = sharedPath('data/mnist');
const argmax = (d: ArrayLike<number>): number => {
  let best = 0;
  for (let k = 1; k < d.length; k++) if (d[k]! > d[best]!) best = k;
  return best;
};

describe.skipIf(!model || !data)('QDQ export of mnist-8 on onnxruntime against the integer reference', () => {
  it('agrees on top-1 and stays within a few output codes on 10,000 MNIST test images', async () => {
    const float = loadFloatModel(model!);
    const input = float.inputs[0]!, output = float.outputs[0]!;
    const ds = openDataset(`mnist:${data}`, { name: input, ...valueType(float, input) });
    const calibration = calibrate(float, (i) => new Map([[input, ds.sample(i)]]), 32, { method: 'seed' });
    const realized = runPasses(float, QUANT_PIPELINE, { evaluate: evaluateFloat, options: { calibration } }).graph;
    const session = await ort.InferenceSession.create(exportQdq(realized), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const outQuant = valueType(realized, realized.nodes.find((n) => n.outputs.includes(output))!.inputs[0]!).quant!;
    const [s, z] = [outQuant.scale[0]!, outQuant.zeroPoint[0]!];

    let agree = 0, tilecCorrect = 0, ortCorrect = 0, maxAbs = 0, maxCodes = 0, differingOutputs = 0;
    for (let i = 0; i < ds.size; i++) {
      const x = ds.sample(i);
      const want = runGraph(realized, new Map([[input, x]]), evaluateFloat).get(output)!.data;
      const got = (await session.run({ [input]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) }))[output]!.data as Float32Array;
      for (let k = 0; k < want.length; k++) {
        maxAbs = Math.max(maxAbs, Math.abs(got[k]! - want[k]!));
        const codes = Math.abs(quantizeF32(got[k]!, s, z, -128, 127) - quantizeF32(want[k]!, s, z, -128, 127));
        maxCodes = Math.max(maxCodes, codes);
        if (codes !== 0) differingOutputs++;
      }
      const [a, b] = [argmax(want), argmax(got)];
      if (a === b) agree++;
      if (a === ds.labels![i]) tilecCorrect++;
      if (b === ds.labels![i]) ortCorrect++;
    }
    console.log(`mnist-8 QDQ export on ${ds.size} images: tilec int8 top-1 ${tilecCorrect / ds.size}, onnxruntime top-1 ${ortCorrect / ds.size}, ` +
      `top-1 agreement ${agree / ds.size}; logits differ in ${differingOutputs} of ${ds.size * 10} values, at most ${maxCodes} output codes (${maxAbs} absolute, output scale ${s})`);
    expect(agree / ds.size).toBeGreaterThanOrEqual(0.999);
    expect(maxCodes).toBeLessThanOrEqual(4);
  }, 600_000);
});
