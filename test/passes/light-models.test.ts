import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../frontend/index.js';
import type { Graph } from '../../ir/graph.js';
import { checkStage, STAGES } from '../../ir/stages.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { producerOf } from '../../passes/query.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { sharedPath } from '../helpers/shared.js';

// FLOAT_PIPELINE on real architectures (../shared/models/light: weights are ConstantOfShape nodes).
// A few of the nine, chosen for what they exercise; the big-FC ones (VGG, AlexNet, ZFNet) only add memory.

const root = sharedPath('models/light');
const ctx = { evaluate: evaluateFloat, options: {} };

function pipeline(name: string): { before: Graph; after: Graph } {
  const before = loadModel(path.join(root!, name, 'model.onnx'), { evaluate: evaluateFloat });
  return { before, after: runPasses(before, FLOAT_PIPELINE, ctx).graph };
}

const count = (g: Graph, op: string): number => g.nodes.filter((n) => n.op === op).length;

/** What every cleaned graph satisfies: constants are initializers, no copies, no BN left that could fold. */
function expectClean(g: Graph): void {
  checkStage(g, STAGES.float);
  expect(count(g, 'ConstantOfShape')).toBe(0);
  for (const n of g.nodes) {
    if (n.op !== 'BatchNormalization') continue;
    expect(producerOf(g, n.inputs[0]!)?.op, `producer of BN '${n.name}'`).not.toMatch(/^(Conv|Gemm|BatchNormalization)$/);
  }
  const read = new Set([...g.outputs, ...g.nodes.flatMap((n) => n.inputs)]);
  for (const name of g.initializers.keys()) expect(read.has(name), `initializer '${name}' is read`).toBe(true);
}

describe.skipIf(!root)('FLOAT_PIPELINE on light models', () => {
  it('squeezenet: weights folded, Dropout gone', () => {
    const { before, after } = pipeline('squeezenet');
    expect(count(before, 'Dropout')).toBe(1);
    expectClean(after);
    expect(after.nodes).toHaveLength(65);
    expect(after.initializers.size).toBe(2 * count(after, 'Conv'));
    expect(after.outputs).toEqual(before.outputs);
  });

  it('resnet50: all 53 BatchNormalizations fold into their Convs', () => {
    const { before, after } = pipeline('resnet50');
    expect(count(before, 'BatchNormalization')).toBe(53);
    expectClean(after);
    expect(count(after, 'BatchNormalization')).toBe(0);
    expect(count(after, 'Conv')).toBe(53);
    expect(after.nodes).toHaveLength(123);
  });

  it('inception_v2: BN + per-channel Mul/Add (Caffe2 form) all fold into the Convs', () => {
    const { before, after } = pipeline('inception_v2');
    expect([count(before, 'BatchNormalization'), count(before, 'Mul'), count(before, 'Add')]).toEqual([69, 69, 69]);
    expectClean(after);
    expect([count(after, 'BatchNormalization'), count(after, 'Mul'), count(after, 'Add')]).toEqual([0, 0, 0]);
    expect(after.nodes).toHaveLength(164);
  });

  it('densenet121: pre-activation BNs (after Concat/MaxPool) stay, each absorbing its Mul/Add', () => {
    const { after } = pipeline('densenet121');
    expectClean(after);
    expect([count(after, 'BatchNormalization'), count(after, 'Mul'), count(after, 'Add')]).toEqual([62, 0, 0]);
    expect(after.nodes).toHaveLength(367);
  });
});
