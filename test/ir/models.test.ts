import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensorFile, loadModel } from '../../frontend/index.js';
import { graphDiff } from '../../ir/equal.js';
import type { Graph } from '../../ir/graph.js';
import { NeedsConstantError } from '../../ir/infer.js';
import type { Tensor } from '../../ir/tensor.js';
import { parseGraph } from '../../ir/parse.js';
import { printGraph } from '../../ir/print.js';
import { verifyGraph } from '../../ir/verify.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { sharedPath } from '../helpers/shared.js';

// Real imported graphs through the verifier and the text form: what the importer produces must
// verify, print, parse back equal, and print the same text again.

function checkRoundTrip(g: Graph, source: string): void {
  verifyGraph(g);
  const text = printGraph(g);
  const back = parseGraph(text, source);
  expect(graphDiff(back, g), source).toBeUndefined();
  expect(printGraph(back)).toBe(text);
  verifyGraph(back);
}

const models = sharedPath('models');
const nodeTests = sharedPath('onnx-node-tests');

describe.skipIf(!models)('shared models', () => {
  const names = models ? ['mnist-8', ...readdirSync(path.join(models, 'light')).map((d) => `light/${d}`)] : [];
  it.each(names)('%s verifies and round-trips', (name) => {
    const file = path.join(models!, name, 'model.onnx');
    checkRoundTrip(loadModel(file, { evaluate: evaluateFloat }), `${name}.ir`);
  });
});

/** The test's inputs, for models whose output shapes depend on input values (Reshape's shape...). */
function testInputs(dir: string): Map<string, Tensor> {
  const data = path.join(dir, 'test_data_set_0');
  const files = readdirSync(data).filter((f) => f.startsWith('input_'));
  return new Map(files.map((f) => {
    const { name, tensor } = decodeTensorFile(readFileSync(path.join(data, f)), f);
    return [name, tensor];
  }));
}

describe.skipIf(!nodeTests)('ONNX node tests', () => {
  it('every node-test model imports, verifies and round-trips', () => {
    const dirs = readdirSync(nodeTests!).sort();
    let withConstants = 0;
    for (const d of dirs) {
      const file = path.join(nodeTests!, d, 'model.onnx');
      let g: Graph;
      try {
        g = loadModel(file, { evaluate: evaluateFloat });
      } catch (e) {
        if (!(e instanceof NeedsConstantError)) throw e;
        g = loadModel(file, { evaluate: evaluateFloat, constantInputs: testInputs(path.join(nodeTests!, d)) });
        withConstants++;
      }
      checkRoundTrip(g, `${d}.ir`);
    }
    expect(dirs.length).toBeGreaterThanOrEqual(170);
    // Reshape, Squeeze/Unsqueeze (opset 13), Pad (opset 11) and ConstantOfShape tests feed shapes as inputs.
    expect(withConstants).toBeLessThan(30);
  });
});
