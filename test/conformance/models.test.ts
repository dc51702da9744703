import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';

// Real architectures end to end through `tilec check`: the 9 light models (ConstantOfShape weights,
// expected outputs from ONNX's reference evaluator) and mnist-8 with its 3 onnxruntime test sets.

const LIGHT = ['bvlc_alexnet', 'densenet121', 'inception_v1', 'inception_v2', 'resnet50', 'shufflenet', 'squeezenet', 'vgg19', 'zfnet512'];

const light = sharedPath('models/light');
const mnist = sharedPath('models/mnist-8');
describe.skipIf(!light || !mnist)('model conformance', () => {
  it('all 9 light models and mnist-8 pass', async () => {
    const r = await runCli('check', light!, mnist!, '--json');
    const report = JSON.parse(r.out) as { total: number; passed: number; tests: { name: string; status: string; reason: string | null }[] };
    expect(report.tests.map((t) => [t.name, t.status, t.reason])).toEqual(
      [...LIGHT, 'mnist-8'].sort().map((n) => [n, 'passed', null]),
    );
    expect(report.passed).toBe(10);
    expect(r.code).toBe(0);
  });
});
