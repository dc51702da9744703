import { describe, expect, it } from 'vitest';
import { seedStep } from '../../../ir/arith.js';
import type { Graph } from '../../../ir/graph.js';
import { verifyGraph } from '../../../ir/verify.js';
import { annotateQuantization, quantizeAnnotatePass } from '../../../passes/quantize/annotate.js';
import { DEFAULT_QUANT_OPTIONS, type QuantOptions } from '../../../passes/quantize/options.js';
import { planQuantization } from '../../../passes/quantize/plan.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { buildGraph, node, vt } from '../build.js';
import { convNet, convNetStats } from './helpers.js';

const opts = (o: Partial<QuantOptions> = {}): QuantOptions => ({ ...DEFAULT_QUANT_OPTIONS, calibration: convNetStats(), ...o });
const quantOf = (g: Graph, v: string) => g.values.get(v)?.quant;

describe('quantize-annotate', () => {
  it('gives the seed parameters exactly: step 2·alpha/2^B from the first batch, zero point -2^(B-1) for always_pos', () => {
    const g = annotateQuantization(convNet(), opts());
    verifyGraph(g);
    expect(quantOf(g, 'x')).toEqual({ scale: [2 / 128], zeroPoint: [0], bits: 8 });
    // The ReLU is fused into the conv: r is the conv's int8 output, non-negative; c never exists as int8.
    expect(quantOf(g, 'r')).toEqual({ scale: [4 / 128], zeroPoint: [-128], bits: 8 });
    expect(quantOf(g, 'c')).toBeUndefined();
    // Movement ops keep their input's parameters, whatever their own statistics say.
    expect(quantOf(g, 'p')).toEqual(quantOf(g, 'r'));
    expect(quantOf(g, 'f')).toEqual(quantOf(g, 'r'));
    expect(quantOf(g, 'y')).toEqual({ scale: [8 / 128], zeroPoint: [0], bits: 8 });
    // Weights: alpha = max|w| = 1 -> step 2/256; bias at s_x·s_w, int32.
    expect(quantOf(g, 'w')).toEqual({ scale: [1 / 128], zeroPoint: [0], bits: 8 });
    expect(quantOf(g, 'b')).toEqual({ scale: [(2 / 128) * (1 / 128)], zeroPoint: [0], bits: 32 });
    const wFc = quantOf(g, 'W')!;
    expect(wFc.scale).toHaveLength(1);
    expect(quantOf(g, 'C')).toEqual({ scale: [(4 / 128) * wFc.scale[0]!], zeroPoint: [0], bits: 32 });
  });

  it('per channel: one weight scale per output channel along the output-channel axis, and per-channel bias scales', () => {
    const g = annotateQuantization(convNet(), opts({ perChannel: true }));
    verifyGraph(g);
    // conv w channel maxima: 1 and 0.75; Gemm W [3, 8] with transB: axis 0.
    expect(quantOf(g, 'w')).toEqual({ scale: [seedStep(1, 8), seedStep(0.75, 8)], zeroPoint: [0, 0], bits: 8, axis: 0 });
    expect(quantOf(g, 'b')).toEqual({ scale: [(2 / 128) * seedStep(1, 8), (2 / 128) * seedStep(0.75, 8)], zeroPoint: [0, 0], bits: 32, axis: 0 });
    expect(quantOf(g, 'W')).toMatchObject({ axis: 0, zeroPoint: [0, 0, 0] });
  });

  it('uses B bits for every code: B = 4 gives step 2·alpha/16 and zero point -8', () => {
    const g = annotateQuantization(convNet(), opts({ bits: 4 }));
    expect(quantOf(g, 'x')).toEqual({ scale: [0.25], zeroPoint: [0], bits: 4 });
    expect(quantOf(g, 'r')).toEqual({ scale: [0.5], zeroPoint: [-8], bits: 4 });
  });

  it('keeps parameters a value already carries (a QDQ import), and needs no statistics for it', () => {
    const base = convNet();
    const values = new Map(base.values);
    values.set('x', { ...values.get('x')!, quant: { scale: [0.01], zeroPoint: [3], bits: 8 } });
    const stats = convNetStats();
    const tensors = new Map(stats.tensors);
    tensors.delete('x');
    const g = annotateQuantization({ ...base, values }, opts({ calibration: { ...stats, tensors } }));
    expect(quantOf(g, 'x')).toEqual({ scale: [0.01], zeroPoint: [3], bits: 8 });
    expect(quantOf(g, 'b')!.scale).toEqual([0.01 * (1 / 128)]);
  });

  it('names the tensor whose statistics are missing', () => {
    const stats = convNetStats();
    const tensors = new Map(stats.tensors);
    tensors.delete('r');
    expect(() => annotateQuantization(convNet(), opts({ calibration: { ...stats, tensors } }))).toThrow(/no statistics for tensor 'r'/);
    expect(() => annotateQuantization(convNet(), { ...DEFAULT_QUANT_OPTIONS })).toThrow(/needs calibration statistics \(option calibration\) for tensor 'x'/);
  });

  it('runs as a pass reading ctx.options, and validates them', () => {
    const g = quantizeAnnotatePass.run(convNet(), { evaluate: evaluateFloat, options: { bits: 8, calibration: convNetStats() } });
    expect(quantOf(g, 'r')!.zeroPoint).toEqual([-128]);
    expect(() => quantizeAnnotatePass.run(convNet(), { evaluate: evaluateFloat, options: { bits: 12 } })).toThrow(/bits must be an integer in 2..8, got 12/);
  });
});

describe('the quantization plan', () => {
  it('knows non-negative values from the graph alone, and fuses a ReLU only into its single producer', () => {
    const plan = planQuantization(convNet());
    expect([...plan.nonNegative].sort()).toEqual(['f', 'p', 'r']);
    expect(plan.roles.get('conv')).toMatchObject({ kind: 'conv', act: { bounds: { min: 0 } } });
    expect(plan.roles.get('relu')).toEqual({ kind: 'fused' });
    expect(plan.roles.get('pool')).toEqual({ kind: 'movement' });
    expect([...plan.int8].sort()).toEqual(['f', 'p', 'r', 'x', 'y']);
  });

  it('refuses a Conv it cannot quantize instead of leaving a float Conv', () => {
    const g = buildGraph({
      inputs: { x: vt('float32', [1, 1, 3, 3]), w: vt('float32', [1, 1, 1, 1]) },
      nodes: [node('Conv', 'c1', ['x', 'w'], ['y'], { group: 1, auto_pad: 'NOTSET' })],
      outputs: ['y'],
    });
    expect(() => planQuantization(g)).toThrow(/Conv 'c1': the weight 'w' must be a float32 constant/);
  });
});
