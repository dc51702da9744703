import { describe, expect, it } from 'vitest';
import { openDataset } from '../../cli/data/dataset.js';
import { loadFloatModel } from '../../cli/model.js';
import { valueType } from '../../ir/graph.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { sharedPath } from '../helpers/shared.js';

// mnist-8 on all 10,000 official MNIST test images with the float reference interpreter. onnxruntime
// measures 98.91% on this machine class; the float reference must classify exactly as many correctly.

const model = sharedPath('models/mnist-8/model.onnx');
const data = sharedPath('data/mnist');
describe.skipIf(!model || !data)('mnist-8 float accuracy', () => {
  it('top-1 is 0.9891 (9891 of 10,000)', { timeout: 600_000 }, () => {
    const g = loadFloatModel(model!);
    const input = g.inputs[0]!;
    const ds = openDataset(`mnist:${data}`, { name: input, ...valueType(g, input) });
    expect(ds.size).toBe(10000);
    const out = g.outputs[0]!;
    let correct = 0;
    for (let i = 0; i < ds.size; i++) {
      const logits = runGraph(g, new Map([[input, ds.sample(i)]]), evaluateFloat).get(out)!.data;
      let best = 0;
      for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k;
      if (best === ds.labels![i]) correct++;
    }
    expect(correct).toBe(9891);
    expect(correct / ds.size).toBe(0.9891);
  });
});
