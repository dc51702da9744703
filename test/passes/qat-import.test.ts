import { describe, expect, it } from 'vitest';
import { quantizeF32, roundHalfEven, seedStep } from '../../ir/arith.js';
import { UnsupportedError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import type { NodeOf } from '../../ir/ops.js';
import { verifyGraph } from '../../ir/verify.js';
import { importModel } from '../../frontend/index.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { foldQatQuantizer, importQatPass } from '../../passes/qat/import-qat.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { type ModelSpec, type NodeSpec, type TensorSpec, buildModel } from '../helpers/onnx-builder.js';
import { ops, randomTensor } from './build.js';
import { runFakeQuant } from './qdq-fake-quant.js';
import { activationQuantizer, roundToMul, weightQuantizer } from './qat-builder.js';

// The seed's quantizer chains, shaped like torch's export, become quant params: step and offset exactly
// (zero point −alpha/step), weights as exactly the fake-quantized values with their integer codes.

const f = Math.fround;
const ctx = { evaluate: evaluateFloat, options: {} };
const load = (spec: ModelSpec): Graph => importModel(buildModel(spec), { evaluate: evaluateFloat });
const rand = (name: string, shape: number[], seed: number, lo = -1, hi = 1): TensorSpec =>
  ({ name, dtype: 'float32', shape, data: randomTensor(shape, seed, lo, hi).data });

const W1 = rand('w1', [3, 1, 3, 3], 1), B1 = rand('b1', [3], 2, -0.1, 0.1);
const W2 = rand('w2', [4, 48], 3, -0.5, 0.5), B2 = rand('b2', [4], 4, -0.1, 0.1);
const IN = { alpha: f(1.5), bits: 8, alwaysPos: true };
const ACT = { alpha: f(2), bits: 4, alwaysPos: true };
const OUT = { alpha: f(3.3), bits: 8, alwaysPos: false };

function qatModel(): { spec: ModelSpec; steps: number[] } {
  const q1 = weightQuantizer('/q_w1', W1, 8, 'w1q');
  // A weight whose alpha came from an earlier batch: some w/step fall outside [Qn, Qp] and clip.
  const q2 = weightQuantizer('/q_w2', W2, 4, 'w2q', 0.3);
  const nodes: NodeSpec[] = [
    ...activationQuantizer('/q_in', 'x', 'xq', IN),
    ...q1.nodes,
    { op: 'Conv', name: '/Conv', inputs: ['xq', 'w1q', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', name: '/Relu', inputs: ['c1'], outputs: ['r1'] },
    ...activationQuantizer('/q_a1', 'r1', 'a1', ACT),
    { op: 'Flatten', name: '/Flatten', inputs: ['a1'], outputs: ['fl'], attrs: { axis: 1 } },
    ...q2.nodes,
    { op: 'Gemm', name: '/Gemm', inputs: ['fl', 'w2q', 'b2'], outputs: ['g'], attrs: { transB: 1 } },
    ...activationQuantizer('/q_out', 'g', 'logits', OUT),
  ];
  return {
    spec: {
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 4, 4] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 4] }],
      initializers: [q1.init, B1, q2.init, B2],
      nodes,
    },
    steps: [q1.step, q2.step],
  };
}

describe('import-qat on a torch-shaped QAT graph', () => {
  const { spec, steps } = qatModel();
  const original = load(spec);
  const imported = importQatPass.run(original, ctx);
  const g = runPasses(imported, FLOAT_PIPELINE, ctx).graph;

  it('removes every quantizer chain, leaving the float layers', () => {
    verifyGraph(imported);
    expect(ops(imported).filter((o) => o !== 'Constant')).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm']);
    expect(ops(g)).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm']);
    expect(g.nodes[0]!.inputs).toEqual(['x', 'w1q', 'b1']);
    expect(g.nodes[2]!.inputs).toEqual(['r1']);
    expect(g.nodes[3]!.outputs).toEqual(['logits']); // the graph output keeps its name: Gemm defines it
  });

  it('takes step and offset exactly: always_pos zero point is −2^(B−1), signed is 0', () => {
    expect(g.values.get('x')!.quant).toEqual({ scale: [seedStep(IN.alpha, 8)], zeroPoint: [-128], bits: 8 });
    expect(g.values.get('r1')!.quant).toEqual({ scale: [0.25], zeroPoint: [-8], bits: 4 });
    expect(g.values.get('logits')!.quant).toEqual({ scale: [seedStep(OUT.alpha, 8)], zeroPoint: [0], bits: 8 });
    expect(g.values.get('c1')!.quant).toBeUndefined();
  });

  it('turns weights into the exact fake-quantized values, their codes clamp(round(w/step))', () => {
    for (const [name, w, step, bits] of [['w1q', W1, steps[0]!, 8], ['w2q', W2, steps[1]!, 4]] as const) {
      expect(g.values.get(name)!.quant).toEqual({ scale: [step], zeroPoint: [0], bits });
      const t = g.initializers.get(name)!;
      const [qn, qp] = [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
      let clipped = 0;
      Array.from(w.data).forEach((v, i) => {
        const r = roundHalfEven(f(f(v) / step));
        const q = Math.min(qp, Math.max(qn, r));
        if (q !== r) clipped++;
        expect(t.data[i]).toBe(f(q * step));
        expect(quantizeF32(t.data[i]!, step, 0, qn, qp)).toBe(q);
      });
      if (name === 'w2q') expect(clipped).toBeGreaterThan(0);
    }
  });

  it('with its params applied, computes what the QAT graph computes', () => {
    for (const seed of [5, 6, 7, 8]) {
      const x = randomTensor([1, 1, 4, 4], seed, 0, 1.6);
      const want = runGraph(original, new Map([['x', x]]), evaluateFloat).get('logits')!;
      const got = runFakeQuant(g, new Map([['x', x]])).get('logits')!;
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
  });
});

describe('foldQatQuantizer declines what is not the seed quantizer', () => {
  const chainModel = (tweak: (nodes: NodeSpec[]) => NodeSpec[]): Graph => load({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
    nodes: tweak([{ op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['r'] }, ...activationQuantizer('/q', 'r', 'y', { alpha: 2, bits: 8, alwaysPos: false })]),
  });
  const roundOf = (g: Graph) => g.nodes.find((n) => n.op === 'Round') as NodeOf<'Round'>;

  it('matches the plain chain', () => {
    const g = chainModel((n) => n);
    expect(foldQatQuantizer(roundOf(g), g)).toBeDefined();
  });

  it('a Round whose result feeds something else', () => {
    const g = load({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
      nodes: [{ op: 'Round', name: 'r', inputs: ['x'], outputs: ['t'] }, { op: 'Relu', name: 'relu', inputs: ['t'], outputs: ['y'] }],
    });
    expect(foldQatQuantizer(roundOf(g), g)).toBeUndefined();
    expect(importQatPass.run(g, ctx)).toBe(g);
  });

  it('a Div step that differs from the Mul step', () => {
    const g = chainModel((nodes) => nodes.map((n) => (n.name === '/q/step' ? { ...n, attrs: { value: { dtype: 'float32', shape: [], data: [0.5] } } } : n)));
    expect(foldQatQuantizer(roundOf(g), g)).toBeUndefined();
  });

  it('an intermediate value read outside the chain', () => {
    const g = chainModel((nodes) => [...nodes, { op: 'Relu', name: 'peek', inputs: ['/q/Clip_out'], outputs: ['z'] }]);
    expect(foldQatQuantizer(roundOf(g), g)).toBeUndefined();
  });

  it('a chain without the straight-through estimator (round directly into Clip) is the same quantizer', () => {
    const g = load({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['x1'] },
        { op: 'Div', name: 'div', inputs: ['x1', 's'], outputs: ['v'] },
        { op: 'Round', name: 'round', inputs: ['v'], outputs: ['r'] },
        { op: 'Clip', name: 'clip', inputs: ['r', 'lo', 'hi'], outputs: ['c'] },
        { op: 'Mul', name: 'mul', inputs: ['s', 'c'], outputs: ['y'] },
      ],
      initializers: [{ name: 's', dtype: 'float32', shape: [], data: [0.125] }, { name: 'lo', dtype: 'float32', shape: [], data: [-4] }, { name: 'hi', dtype: 'float32', shape: [], data: [3] }],
    });
    const out = importQatPass.run(g, ctx);
    expect(ops(out)).toEqual(['Relu']);
    expect(out.values.get('y')!.quant).toEqual({ scale: [0.125], zeroPoint: [0], bits: 3 });
  });
});

describe('import-qat errors', () => {
  const expectUnsupported = (g: Graph, re: RegExp): void => {
    expect(() => importQatPass.run(g, ctx)).toThrow(UnsupportedError);
    expect(() => importQatPass.run(g, ctx)).toThrow(re);
  };
  const model = (lo: number, hi: number, off?: number): Graph => load({
    opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
    initializers: [
      { name: 'off', dtype: 'float32', shape: [], data: [off ?? 0] }, { name: 'step', dtype: 'float32', shape: [], data: [0.5] },
      { name: 'lo', dtype: 'float32', shape: [], data: [lo] }, { name: 'hi', dtype: 'float32', shape: [], data: [hi] },
    ],
    nodes: [
      { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['xr'] },
      { op: 'Sub', name: 'sub', inputs: ['xr', 'off'], outputs: ['u'] },
      { op: 'Div', name: 'div', inputs: ['u', 'step'], outputs: ['v'] },
      ...roundToMul('/q', 'v', 8, 0.5, 'm').map((n) => (n.op === 'Clip' ? { ...n, inputs: [n.inputs[0]!, 'lo', 'hi'] } : n)),
      { op: 'Add', name: 'add', inputs: ['m', 'off'], outputs: ['y'] },
    ],
  });

  it('a code range that is not 2^B codes with B in 2..8', () => {
    expectUnsupported(model(-100, 100), /QAT quantizer at Round '\/q\/Round': Clip bounds \[-100, 100\] give 201 codes/);
    expectUnsupported(model(-256, 255), /give 512 codes; tilec quantizes to 2\^B codes with B in 2\.\.8/);
  });

  it('an offset that is not a whole number of steps', () => {
    expectUnsupported(model(-128, 127, 0.3), /offset 0\.3\d* is 0\.6\d* steps of 0\.5, not a whole number/);
  });

  it('an offset that puts real 0 outside the codes', () => {
    // x_hat = 0.5·(q + 2), q in [0, 255]: real 0 would be code −2.
    expectUnsupported(model(0, 255, 1), /offset 1 with step 0\.5 puts the zero point at -130, outside the 8-bit codes \[-128, 127\]/);
  });

  it('an unsigned code range [0, 255] maps to int8 storage', () => {
    const g = importQatPass.run(model(0, 255, 0), ctx);
    verifyGraph(g);
    expect(ops(g).filter((o) => o !== 'Constant')).toEqual(['Relu']);
    expect(g.nodes.find((n) => n.op === 'Relu')!.outputs).toEqual(['y']); // the graph output keeps its name
    expect(g.values.get('y')!.quant).toEqual({ scale: [0.5], zeroPoint: [-128], bits: 8 });
  });

  it('a quantizer straight from a graph input to a graph output stays as it is', () => {
    const g = load({
      opset: 13, inputs: [{ name: 'x', dtype: 'float32', shape: [4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
      nodes: activationQuantizer('/q', 'x', 'y', { alpha: 2, bits: 8, alwaysPos: false }),
    });
    expect(importQatPass.run(g, ctx)).toBe(g);
  });
});
