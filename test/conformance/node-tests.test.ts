import { describe, expect, it } from 'vitest';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';

// The 170 ONNX backend node tests through `tilec check` (import, FLOAT_PIPELINE, float interpreter),
// the 16 quantization-op tests included now that their float-reference kernels exist.

interface Report {
  total: number; passed: number; failed: number; unsupported: number;
  tests: { name: string; status: 'passed' | 'failed' | 'unsupported'; reason: string | null }[];
}

const dir = sharedPath('onnx-node-tests');
describe.skipIf(!dir)('ONNX backend node tests', () => {
  it('all 170 pass', async () => {
    const r = await runCli('check', dir!, '--json');
    const report = JSON.parse(r.out) as Report;
    // Listing the non-passing tests with their reasons makes a regression readable from the diff.
    expect(report.tests.filter((t) => t.status !== 'passed').map((t) => `${t.status} ${t.name}: ${t.reason}`)).toEqual([]);
    expect({ total: report.total, passed: report.passed, failed: report.failed, unsupported: report.unsupported })
      .toEqual({ total: 170, passed: 170, failed: 0, unsupported: 0 });
    expect(r.code).toBe(0);
  });
});
