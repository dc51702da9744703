import { describe, expect, it } from 'vitest';
import { quantizeF32 } from '../../ir/arith.js';
import { UnsupportedError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { importModel } from '../../frontend/index.js';
import { dequantizeConstant, foldQuantizePair } from '../../passes/qdq/qdq-rules.js';
import { importQdq } from '../../passes/qdq/import-qdq.js';
import { FLOAT_PIPELINE } from '../../passes/pipeline.js';
import { runPasses } from '../../passes/manager.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { type ModelSpec, type NodeSpec, type TensorSpec, buildModel } from '../helpers/onnx-builder.js';
import { ops, randomTensor } from './build.js';
import { runFakeQuant } from './qdq-fake-quant.js';

// QDQ models built in code: after import-qdq no quantization op is left, every tensor's parameters arrive
// exactly (uint8 mapped to int8 storage), weights keep their exact codes, and the float graph run with its
// quant params reproduces the original QDQ model bit for bit under the float reference.

const f = Math.fround;
const load = (spec: ModelSpec): Graph => importModel(buildModel(spec), { evaluate: evaluateFloat });
const ctx = { evaluate: evaluateFloat, options: {} };

/** Codes of a deterministic pseudo-random tensor in [lo, hi]. */
const codes = (n: number, seed: number, lo: number, hi: number): number[] =>
  Array.from(randomTensor([n], seed, lo, hi + 1).data, Math.floor);
const scalarF = (name: string, v: number): TensorSpec => ({ name, dtype: 'float32', shape: [], data: [v] });
const scalarT = (name: string, dtype: 'uint8' | 'int8', v: number): TensorSpec => ({ name, dtype, shape: [], data: [v] });
const qdq = (x: string, s: string, z: string, y: string): NodeSpec[] => [
  { op: 'QuantizeLinear', name: `q_${x}`, inputs: [x, s, z], outputs: [`${x}_q`] },
  { op: 'DequantizeLinear', name: `dq_${x}`, inputs: [`${x}_q`, s, z], outputs: [y] },
];

const WS = [0.011, 0.0073, 0.02].map(f);
const XS = f(0.031), RS = f(0.047), GS = f(0.09);
const W_CODES = codes(3 * 2 * 9, 7, -127, 127);
const G_CODES = codes(4 * 27, 8, 0, 255); // uint8 weights, zero point 128: recentred to int8 exactly
const B_CODES = [1234, -5678, 42];

/** Conv with per-channel int8 weights and int32 bias, Relu, Flatten, Gemm with uint8 weights; uint8 activations. */
function qdqModel(): ModelSpec {
  return {
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 6, 6] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
    initializers: [
      scalarF('xs', XS), scalarT('xz', 'uint8', 128), scalarF('rs', RS), scalarT('rz', 'uint8', 0), scalarF('gs', GS), scalarT('gz', 'uint8', 120),
      { name: 'w', dtype: 'int8', shape: [3, 2, 3, 3], data: W_CODES },
      { name: 'ws', dtype: 'float32', shape: [3], data: WS },
      { name: 'wz', dtype: 'int8', shape: [3], data: [0, 0, 0] },
      { name: 'b', dtype: 'int32', shape: [3], data: B_CODES },
      { name: 'bs', dtype: 'float32', shape: [3], data: WS.map((s) => f(XS * s)) },
      { name: 'g', dtype: 'uint8', shape: [4, 27], data: G_CODES },
      scalarF('gws', f(0.004)), scalarT('gwz', 'uint8', 128),
    ],
    nodes: [
      ...qdq('x', 'xs', 'xz', 'xf'),
      { op: 'DequantizeLinear', name: 'dq_w', inputs: ['w', 'ws', 'wz'], outputs: ['wf'], attrs: { axis: 0 } },
      { op: 'DequantizeLinear', name: 'dq_b', inputs: ['b', 'bs'], outputs: ['bf'], attrs: { axis: 0 } },
      { op: 'Conv', name: 'conv', inputs: ['xf', 'wf', 'bf'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      ...qdq('r', 'rs', 'rz', 'rf'),
      { op: 'Flatten', name: 'flat', inputs: ['rf'], outputs: ['fl'], attrs: { axis: 1 } },
      { op: 'DequantizeLinear', name: 'dq_g', inputs: ['g', 'gws', 'gwz'], outputs: ['gf'] },
      { op: 'Gemm', name: 'fc', inputs: ['fl', 'gf'], outputs: ['o'], attrs: { transB: 1 } },
      ...qdq('o', 'gs', 'gz', 'y'),
    ],
  };
}

describe('import-qdq on a QDQ model', () => {
  const original = load(qdqModel());
  const g = importQdq(original);

  it('leaves the float graph the pairs were wrapped around', () => {
    verifyGraph(g);
    expect(ops(g)).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm']);
    expect(g.nodes.find((n) => n.op === 'Conv')!.inputs).toEqual(['x', 'wf', 'bf']);
    expect(g.nodes.find((n) => n.op === 'Flatten')!.inputs).toEqual(['r']);
    // The Gemm output is a graph output: Gemm now defines 'y' itself.
    expect(g.nodes.find((n) => n.op === 'Gemm')!.outputs).toEqual(['y']);
  });

  it('puts every activation parameter on its float value exactly, uint8 zero points in int8 storage', () => {
    expect(g.values.get('x')!.quant).toEqual({ scale: [XS], zeroPoint: [0], bits: 8 });
    expect(g.values.get('r')!.quant).toEqual({ scale: [RS], zeroPoint: [-128], bits: 8 });
    expect(g.values.get('y')!.quant).toEqual({ scale: [GS], zeroPoint: [120 - 128], bits: 8 });
    expect(g.values.get('c')!.quant).toBeUndefined(); // Relu's input: realize fuses it, annotate may calibrate it
  });

  it('turns weights into the float constants ONNX computes, with their exact codes in the params', () => {
    const w = g.initializers.get('wf')!;
    expect(g.values.get('wf')!.quant).toEqual({ scale: WS, zeroPoint: [0, 0, 0], axis: 0, bits: 8 });
    W_CODES.forEach((q, i) => {
      const s = WS[Math.floor(i / 18)]!;
      expect(w.data[i]).toBe(f(q * s));
      expect(quantizeF32(w.data[i]!, s, 0, -128, 127)).toBe(q);
    });
    // uint8 weights with zero point 128 are int8 codes q - 128 with zero point 0: the same reals.
    const gw = g.initializers.get('gf')!;
    expect(g.values.get('gf')!.quant).toEqual({ scale: [f(0.004)], zeroPoint: [0], bits: 8 });
    G_CODES.forEach((q, i) => expect(quantizeF32(gw.data[i]!, f(0.004), 0, -128, 127)).toBe(q - 128));
  });

  it('keeps the int32 bias codes with 32-bit params', () => {
    const b = g.initializers.get('bf')!;
    expect(g.values.get('bf')!.quant).toEqual({ scale: WS.map((s) => f(XS * s)), zeroPoint: [0, 0, 0], axis: 0, bits: 32 });
    B_CODES.forEach((q, i) => expect(Math.round(b.data[i]! / f(XS * WS[i]!))).toBe(q));
  });

  it('computes, with its params applied, exactly what the QDQ model computes', () => {
    for (const seed of [1, 2, 3]) {
      const x = randomTensor([1, 2, 6, 6], seed, -4, 4);
      const want = runGraph(original, new Map([['x', x]]), evaluateFloat).get('y')!;
      const got = runFakeQuant(g, new Map([['x', x]])).get('y')!;
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
  });

  it('gives the same result after FLOAT_PIPELINE (fold-constants keeps Q/DQ for it)', () => {
    const cleaned = runPasses(original, FLOAT_PIPELINE, ctx).graph;
    const g2 = importQdq(cleaned);
    expect(ops(g2)).toEqual(ops(g));
    for (const v of ['x', 'r', 'y', 'wf', 'gf', 'bf']) expect(g2.values.get(v)).toEqual(g.values.get(v));
  });

  it('rules decline what is not theirs', () => {
    const conv = original.nodes.find((n) => n.op === 'Conv')!;
    expect(dequantizeConstant(conv, original)).toBeUndefined();
    expect(foldQuantizePair(conv, original)).toBeUndefined();
    // A DequantizeLinear of an activation is not a constant.
    expect(dequantizeConstant(original.nodes.find((n) => n.name === 'dq_x')!, original)).toBeUndefined();
  });
});

describe('import-qdq on weights kept in float behind a QuantizeLinear -> DequantizeLinear pair', () => {
  it('becomes the fake-quantized constant, its codes those QuantizeLinear gives', () => {
    const w = randomTensor([3, 4], 31, -1, 1);
    const spec: ModelSpec = {
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2, 4] }],
      initializers: [
        { name: 'w', dtype: 'float32', shape: [3, 4], data: w.data },
        { name: 'ws', dtype: 'float32', shape: [4], data: [0.01, 0.008, 0.009, 0.0075].map(f) },
        { name: 'wz', dtype: 'uint8', shape: [4], data: [128, 128, 128, 128] },
      ],
      nodes: [
        { op: 'QuantizeLinear', name: 'qw', inputs: ['w', 'ws', 'wz'], outputs: ['wq'], attrs: { axis: 1 } },
        { op: 'DequantizeLinear', name: 'dqw', inputs: ['wq', 'ws', 'wz'], outputs: ['wf'], attrs: { axis: 1 } },
        { op: 'MatMul', name: 'mm', inputs: ['x', 'wf'], outputs: ['y'] },
      ],
    };
    const original = load(spec);
    const g = importQdq(original);
    expect(ops(g)).toEqual(['MatMul']);
    expect(g.values.get('wf')!.quant).toEqual({ scale: [0.01, 0.008, 0.009, 0.0075].map(f), zeroPoint: [0, 0, 0, 0], axis: 1, bits: 8 });
    const x = randomTensor([2, 3], 32);
    const want = runGraph(original, new Map([['x', x]]), evaluateFloat).get('y')!;
    expect(Array.from(runGraph(g, new Map([['x', x]]), evaluateFloat).get('y')!.data)).toEqual(Array.from(want.data));
    const wf = g.initializers.get('wf')!;
    Array.from(w.data).forEach((v, i) => {
      const s = [0.01, 0.008, 0.009, 0.0075].map(f)[i % 4]!;
      expect(quantizeF32(wf.data[i]!, s, 0, -128, 127)).toBe(quantizeF32(v, s, 128, 0, 255) - 128);
    });
  });
});
