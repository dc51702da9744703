import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';

// The 170 ONNX backend node tests through `tilec check` (import, FLOAT_PIPELINE, float interpreter).

interface Report {
  total: number; passed: number; failed: number; unsupported: number;
  tests: { name: string; status: 'passed' | 'failed' | 'unsupported'; reason: string | null }[];
}

/** Tests of the quantization ops, which may stay unsupported in the float reference until their kernels land. */
const QUANT_TEST = /^test_(quantizelinear|dequantizelinear|qlinear\w*|convinteger\w*|matmulinteger\w*)$/;
const QUANT_OP = /\b(QuantizeLinear|DequantizeLinear|QLinear\w+|ConvInteger|MatMulInteger)\b/;

const dir = sharedPath('onnx-node-tests');
describe.skipIf(!dir)('ONNX backend node tests', () => {
  it('pass, except quantization tests that may be unsupported; none fail', async () => {
    const r = await runCli('check', dir!, '--json');
    const report = JSON.parse(r.out) as Report;
    const failed = report.tests.filter((t) => t.status === 'failed').map((t) => `${t.name}: ${t.reason}`);
    expect(failed).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.total).toBe(170);
    for (const t of report.tests.filter((x) => x.status === 'unsupported')) {
      expect(t.name).toMatch(QUANT_TEST);
      expect(t.reason).toMatch(QUANT_OP);
    }
    expect(report.passed).toBeGreaterThanOrEqual(155);
    expect(report.passed + report.unsupported).toBe(170);
  });
});
