import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel } from '../helpers/onnx-builder.js';
import { sharedPath } from '../helpers/shared.js';
import { runCli } from './run-cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tilec-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const seq = (n: number) => Array.from({ length: n }, (_, i) => (i % 7) / 7);

// Conv (pad 1) -> grouped strided Conv -> Flatten -> Gemm, plus a batched MatMul branch: MACs by hand.
const modelFile = path.join(tmp, 'layers.onnx');
writeFileSync(modelFile, buildModel({
  inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 8, 8] }, { name: 'a', dtype: 'float32', shape: [2, 3, 5, 6] }],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['N', 10] }, { name: 'mm', dtype: 'float32', shape: [2, 3, 5, 7] }],
  initializers: [
    { name: 'w1', dtype: 'float32', shape: [4, 3, 3, 3], data: seq(108) },
    { name: 'b1', dtype: 'float32', shape: [4], data: seq(4) },
    { name: 'w2', dtype: 'float32', shape: [4, 2, 3, 3], data: seq(72) },
    { name: 'wf', dtype: 'float32', shape: [10, 64], data: seq(640) },
    { name: 'bf', dtype: 'float32', shape: [10], data: seq(10) },
    { name: 'bm', dtype: 'float32', shape: [6, 7], data: seq(42) },
  ],
  nodes: [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', name: 'conv2', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'Flatten', name: 'flat', inputs: ['c2'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'wf', 'bf'], outputs: ['logits'], attrs: { transB: 1 } },
    { op: 'MatMul', name: 'mm', inputs: ['a', 'bm'], outputs: ['mm'] },
  ],
}));

interface InspectDoc {
  model: string; pipeline: string; name: string;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: { name: string; dtype: string; shape: number[] }[];
  op_counts: Record<string, number>;
  layers: { name: string; op: string; output_shape: number[]; macs: number; params: number }[];
  totals: { nodes: number; macs: number; params: number };
}

describe('tilec inspect', () => {
  it('--json gives shapes, op counts and per-layer MACs and params', async () => {
    const r = await runCli('inspect', modelFile, '--input-shape', 'x=1,3,8,8', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as InspectDoc;
    expect(doc.pipeline).toBe('float');
    expect(doc.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }, { name: 'a', dtype: 'float32', shape: [2, 3, 5, 6] }]);
    expect(doc.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: [1, 10] }, { name: 'mm', dtype: 'float32', shape: [2, 3, 5, 7] }]);
    expect(doc.op_counts).toEqual({ Conv: 2, Flatten: 1, Gemm: 1, MatMul: 1, Relu: 1 });
    expect(doc.layers.map((l) => [l.name, l.op, l.output_shape, l.macs, l.params])).toEqual([
      ['conv1', 'Conv', [1, 4, 8, 8], 4 * 64 * 3 * 9, 112], // N*M*HW*(C/g)*kHkW
      ['relu1', 'Relu', [1, 4, 8, 8], 0, 0],
      ['conv2', 'Conv', [1, 4, 4, 4], 4 * 16 * 2 * 9, 72],
      ['flat', 'Flatten', [1, 64], 0, 0],
      ['fc', 'Gemm', [1, 10], 10 * 64, 650], // M*N*K
      ['mm', 'MatMul', [2, 3, 5, 7], 6 * 5 * 7 * 6, 42], // per broadcast batch
    ]);
    expect(doc.totals).toEqual({ nodes: 6, macs: 6912 + 1152 + 640 + 1260, params: 876 });
  });

  it('prints a readable summary that says which pipeline ran', async () => {
    const r = await runCli('inspect', modelFile, '--input-shape', 'x=1,3,8,8');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/after the float pipeline/);
    expect(r.out).toMatch(/ops \(6 nodes\): Conv 2, Flatten 1, Gemm 1, MatMul 1, Relu 1/);
    expect(r.out).toMatch(/^ {2}conv1 +Conv +\[1,4,8,8\] +6,912 +112$/m);
    expect(r.out).toMatch(/^totals: 6 nodes, 9,964 MACs, 876 parameters$/m);
  });

  it('names an --input-shape for an input the model does not have', async () => {
    const r = await runCli('inspect', modelFile, '--input-shape', 'x=1,3,8,8', '--input-shape', 'nope=1');
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([expect.stringMatching(/^error: .*layers\.onnx: --input-shape names 'nope'.*'x', 'a'/)]);
  });

  it('--print-ir-after all prints the IR to stderr only', async () => {
    const r = await runCli('inspect', modelFile, '--input-shape', 'x=1,3,8,8', '--print-ir-after', 'all', '--json');
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.out)).not.toThrow();
    expect(r.err).toMatch(/IR after pass/);
  });

  const mnist = sharedPath('models/mnist-8/model.onnx');
  it.skipIf(!mnist)('summarizes mnist-8: 786,560 MACs', async () => {
    const doc = JSON.parse((await runCli('inspect', mnist!, '--json')).out) as InspectDoc;
    expect(doc.inputs).toEqual([{ name: 'Input3', dtype: 'float32', shape: [1, 1, 28, 28] }]);
    expect(doc.outputs).toEqual([{ name: 'Plus214_Output_0', dtype: 'float32', shape: [1, 10] }]);
    const macs = doc.layers.filter((l) => l.macs > 0).map((l) => [l.op, l.output_shape, l.macs]);
    expect(macs).toEqual([
      ['Conv', [1, 8, 28, 28], 8 * 784 * 25],
      ['Conv', [1, 16, 14, 14], 16 * 196 * 8 * 25],
      ['Gemm', [1, 10], 10 * 256], // MatMul + Plus folded into one Gemm by fold-bias
    ]);
    expect(doc.totals.macs).toBe(786_560);
  });
});
