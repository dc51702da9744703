import { describe, expect, it } from 'vitest';
import { quantizeF32 } from '../../ir/arith.js';
import type { Graph } from '../../ir/graph.js';
import { verifyGraph } from '../../ir/verify.js';
import { importModel } from '../../frontend/index.js';
import { importQdq } from '../../passes/qdq/import-qdq.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { type ModelSpec, type TensorSpec, buildModel } from '../helpers/onnx-builder.js';
import { ops, randomTensor } from './build.js';
import { runFakeQuant } from './qdq-fake-quant.js';

// QOperator models (QLinearConv, QLinearMatMul, int8 tensors through MaxPool/Reshape, ConvInteger and
// MatMulInteger followed by an int32 DequantizeLinear) become float ops with quant params. QLinear ops
// requantize in float (docs/arithmetic.md 12.1) on the exact integer sum, the imported form quantizes a float
// sum: the two may differ by one output code on near-ties, never more.

const f = Math.fround;
const load = (spec: ModelSpec): Graph => importModel(buildModel(spec), { evaluate: evaluateFloat });
const codes = (n: number, seed: number, lo: number, hi: number): number[] =>
  Array.from(randomTensor([n], seed, lo, hi + 1).data, Math.floor);
const s = (name: string, v: number): TensorSpec => ({ name, dtype: 'float32', shape: [], data: [v] });
const z = (name: string, dtype: 'uint8' | 'int8', v: number): TensorSpec => ({ name, dtype, shape: [], data: [v] });

const XS = f(0.05), YS = f(0.03), OS = f(0.07);
const WS = [0.01, 0.013, 0.008, 0.02].map(f);
const BS = [0.004, 0.006, 0.005].map(f);

function qlinearModel(): ModelSpec {
  return {
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 6, 6] }],
    outputs: [{ name: 'out', dtype: 'float32', shape: [1, 3] }],
    initializers: [
      s('xs', XS), z('xz', 'uint8', 128), s('ys', YS), z('yz', 'uint8', 10), s('os', OS), z('oz', 'int8', -5),
      { name: 'w', dtype: 'int8', shape: [4, 2, 3, 3], data: codes(72, 3, -127, 127) },
      { name: 'ws', dtype: 'float32', shape: [4], data: WS },
      { name: 'wz', dtype: 'int8', shape: [4], data: [0, 0, 0, 0] },
      { name: 'bias', dtype: 'int32', shape: [4], data: [300, -200, 0, 1000] },
      { name: 'b', dtype: 'int8', shape: [36, 3], data: codes(108, 4, -127, 127) },
      { name: 'bs', dtype: 'float32', shape: [3], data: BS },
      { name: 'bz', dtype: 'int8', shape: [3], data: [0, 0, 0] },
      { name: 'shape', dtype: 'int64', shape: [2], data: [1, -1] },
    ],
    nodes: [
      { op: 'QuantizeLinear', name: 'qx', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
      { op: 'QLinearConv', name: 'conv', inputs: ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'], outputs: ['yq'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'MaxPool', name: 'pool', inputs: ['yq'], outputs: ['pq'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Reshape', name: 'flat', inputs: ['pq', 'shape'], outputs: ['rq'] },
      { op: 'QLinearMatMul', name: 'mm', inputs: ['rq', 'ys', 'yz', 'b', 'bs', 'bz', 'os', 'oz'], outputs: ['oq'] },
      { op: 'DequantizeLinear', name: 'dqo', inputs: ['oq', 'os', 'oz'], outputs: ['out'] },
    ],
  };
}

describe('import-qdq on a QOperator model', () => {
  const original = load(qlinearModel());
  const g = importQdq(original);

  it('becomes Conv, MaxPool, Reshape, MatMul with every parameter on its float value', () => {
    verifyGraph(g);
    expect(ops(g)).toEqual(['Conv', 'MaxPool', 'Reshape', 'MatMul']);
    const [conv, pool, , mm] = g.nodes;
    expect(conv!.inputs[0]).toBe('x');
    expect(g.values.get('x')!.quant).toEqual({ scale: [XS], zeroPoint: [0], bits: 8 });
    expect(g.values.get(conv!.outputs[0]!)!.quant).toEqual({ scale: [YS], zeroPoint: [10 - 128], bits: 8 });
    expect(pool!.inputs[0]).toBe(conv!.outputs[0]);
    expect(g.values.get(pool!.outputs[0]!)!.quant).toEqual({ scale: [YS], zeroPoint: [10 - 128], bits: 8 });
    expect(mm!.outputs).toEqual(['out']);
    expect(g.values.get('out')!.quant).toEqual({ scale: [OS], zeroPoint: [-5], bits: 8 });
    expect(g.values.get(conv!.inputs[1]!)!.quant).toEqual({ scale: WS, zeroPoint: [0, 0, 0, 0], axis: 0, bits: 8 });
    expect(g.values.get(mm!.inputs[1]!)!.quant).toEqual({ scale: BS, zeroPoint: [0, 0, 0], axis: 1, bits: 8 });
    // The bias is dequantized at x_scale * w_scale, as onnxruntime's quantizer stores it.
    expect(g.values.get(conv!.inputs[2]!)!.quant).toEqual({ scale: WS.map((w) => f(XS * w)), zeroPoint: [0, 0, 0, 0], axis: 0, bits: 32 });
  });

  it('computes, with its params applied, the QLinear model up to one output code', () => {
    let differing = 0;
    for (const seed of [11, 12, 13, 14]) {
      const x = randomTensor([1, 2, 6, 6], seed, -5, 5);
      const want = runGraph(original, new Map([['x', x]]), evaluateFloat).get('out')!;
      const got = runFakeQuant(g, new Map([['x', x]])).get('out')!;
      want.data.forEach((v, i) => {
        const d = Math.abs(quantizeF32(got.data[i]!, OS, -5, -128, 127) - quantizeF32(v, OS, -5, -128, 127));
        expect(d).toBeLessThanOrEqual(1);
        differing += d;
      });
    }
    expect(differing).toBeLessThanOrEqual(2);
  });
});

describe('import-qdq on ConvInteger / MatMulInteger followed by an int32 DequantizeLinear', () => {
  it('ConvInteger becomes a Conv whose weights carry s_acc / s_x per channel', () => {
    const accScale = [0.0004, 0.0007].map(f);
    const wCodes = codes(2 * 3 * 4, 5, 0, 255);
    const original = load({
      opset: 13,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 5, 5] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 2, 4, 4] }],
      initializers: [
        s('xs', f(0.02)), z('xz', 'uint8', 100), { name: 'w', dtype: 'uint8', shape: [2, 3, 2, 2], data: wCodes }, z('wz', 'uint8', 128),
        { name: 'accs', dtype: 'float32', shape: [2], data: accScale },
      ],
      nodes: [
        { op: 'QuantizeLinear', name: 'qx', inputs: ['x', 'xs', 'xz'], outputs: ['xq'] },
        { op: 'ConvInteger', name: 'ci', inputs: ['xq', 'w', 'xz', 'wz'], outputs: ['acc'] },
        { op: 'DequantizeLinear', name: 'dq', inputs: ['acc', 'accs'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    });
    const g = importQdq(original);
    verifyGraph(g);
    expect(ops(g)).toEqual(['Conv']);
    expect(g.nodes[0]!.outputs).toEqual(['y']);
    expect(g.values.get('x')!.quant).toEqual({ scale: [f(0.02)], zeroPoint: [100 - 128], bits: 8 });
    const wName = g.nodes[0]!.inputs[1]!;
    const wScale = accScale.map((a) => f(a / f(0.02)));
    expect(g.values.get(wName)!.quant).toEqual({ scale: wScale, zeroPoint: [0, 0], axis: 0, bits: 8 });
    const w = g.initializers.get(wName)!;
    wCodes.forEach((q, i) => expect(quantizeF32(w.data[i]!, wScale[Math.floor(i / 12)]!, 0, -128, 127)).toBe(q - 128));
    const x = randomTensor([1, 3, 5, 5], 9, -2, 2);
    const want = runGraph(original, new Map([['x', x]]), evaluateFloat).get('y')!;
    const got = runFakeQuant(g, new Map([['x', x]])).get('y')!;
    // s_x * f32(s_acc / s_x) is s_acc up to float32 rounding: agreement to a few ulps, not bits.
    want.data.forEach((v, i) => expect(got.data[i]).toBeCloseTo(v, 5));
  });

  it('MatMulInteger becomes a MatMul with per-column weight scales', () => {
    const original = load({
      opset: 13,
      inputs: [{ name: 'a', dtype: 'float32', shape: [2, 5] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2, 3] }],
      initializers: [
        s('as', f(0.1)), z('az', 'int8', 3), { name: 'b', dtype: 'int8', shape: [5, 3], data: codes(15, 6, -100, 100) },
        { name: 'accs', dtype: 'float32', shape: [3], data: [0.001, 0.002, 0.003].map(f) },
      ],
      nodes: [
        { op: 'QuantizeLinear', name: 'qa', inputs: ['a', 'as', 'az'], outputs: ['aq'] },
        { op: 'MatMulInteger', name: 'mi', inputs: ['aq', 'b', 'az'], outputs: ['acc'] },
        { op: 'DequantizeLinear', name: 'dq', inputs: ['acc', 'accs'], outputs: ['y'], attrs: { axis: 1 } },
      ],
    });
    const g = importQdq(original);
    expect(ops(g)).toEqual(['MatMul']);
    expect(g.values.get('a')!.quant).toEqual({ scale: [f(0.1)], zeroPoint: [3], bits: 8 });
    expect(g.values.get(g.nodes[0]!.inputs[1]!)!.quant).toEqual({ scale: [0.001, 0.002, 0.003].map((v) => f(f(v) / f(0.1))), zeroPoint: [0, 0, 0], axis: 1, bits: 8 });
    const a = randomTensor([2, 5], 3, -3, 3);
    const want = runGraph(original, new Map([['a', a]]), evaluateFloat).get('y')!;
    const got = runFakeQuant(g, new Map([['a', a]])).get('y')!;
    want.data.forEach((v, i) => expect(got.data[i]).toBeCloseTo(v, 5));
  });
});
