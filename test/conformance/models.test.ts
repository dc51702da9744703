import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';

// Real architectures end to end through `tilec check`: the 9 light models (ConstantOfShape weights,
// expected outputs from ONNX's reference evaluator) and mnist-8 with its 3 onnxruntime test sets.
// One test per model, so a failure names the model and a slow machine gets a timeout per model.

const LIGHT = ['bvlc_alexnet', 'densenet121', 'inception_v1', 'inception_v2', 'resnet50', 'shufflenet', 'squeezenet', 'vgg19', 'zfnet512'];
const PER_MODEL_TIMEOUT_MS = 300_000;

interface Report { total: number; passed: number; tests: { name: string; status: string; reason: string | null }[] }

async function checkOne(dir: string): Promise<void> {
  const r = await runCli('check', dir, '--json');
  const report = JSON.parse(r.out) as Report;
  expect(report.tests).toEqual([{ name: path.basename(dir), status: 'passed', reason: null }]);
  expect(r.code).toBe(0);
}

const light = sharedPath('models/light');
describe.skipIf(!light)('light models', () => {
  it.each(LIGHT)('%s passes', (name) => checkOne(path.join(light!, name)), PER_MODEL_TIMEOUT_MS);
});

const mnist = sharedPath('models/mnist-8');
describe.skipIf(!mnist)('mnist-8', () => {
  it('passes all three test data sets', () => checkOne(mnist!), PER_MODEL_TIMEOUT_MS);
});
