import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { quantizeF32 } from '../../ir/arith.js';
import { UnsupportedError } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { exportQdq } from '../../backend/onnx-export.js';
import { importModel } from '../../frontend/index.js';
import { runPasses } from '../../passes/manager.js';
import { FLOAT_PIPELINE, LOWER_PIPELINE, QUANT_PIPELINE } from '../../passes/pipeline.js';
import { importQdqPass } from '../../passes/qdq/import-qdq.js';
import { calibrate } from '../../runtime/calibrate.js';
import { evaluateFloat } from '../../runtime/float/index.js';
import { runGraph } from '../../runtime/interpreter.js';
import { type ModelSpec, type NodeSpec, type TensorSpec, buildModel, onnx } from '../helpers/onnx-builder.js';
import { randomTensor } from '../passes/build.js';

// exportQdq writes the realized graph as a QDQ model. Checked three ways: its structure (only standard ONNX
// ops, biases unfolded), onnxruntime running it against tilec's integer reference (onnxruntime requantizes in
// float, so codes may differ by one on near-ties), and a round trip: importing the export again (import-qdq)
// and realizing it gives a program that computes bit for bit what the original one does.

const f = Math.fround;
const ctx = { evaluate: evaluateFloat, options: {} };
const codes = (n: number, seed: number, lo: number, hi: number): number[] => Array.from(randomTensor([n], seed, lo, hi + 1).data, Math.floor);
const s = (name: string, v: number): TensorSpec => ({ name, dtype: 'float32', shape: [], data: [v] });
const z = (name: string, v: number): TensorSpec => ({ name, dtype: 'int8', shape: [], data: [v] });
const qdq = (x: string, p: string, y: string): NodeSpec[] => [
  { op: 'QuantizeLinear', name: `q_${x}`, inputs: [x, `${p}_s`, `${p}_z`], outputs: [`${x}_q`] },
  { op: 'DequantizeLinear', name: `dq_${x}`, inputs: [`${x}_q`, `${p}_s`, `${p}_z`], outputs: [y] },
];
const dqw = (w: string, shape: number[], seed: number, scales: number[], axis = 0): { inits: TensorSpec[]; node: NodeSpec } => ({
  inits: [
    { name: w, dtype: 'int8', shape, data: codes(shape.reduce((a, b) => a * b, 1), seed, -127, 127) },
    { name: `${w}_s`, dtype: 'float32', shape: scales.length === 1 ? [] : [scales.length], data: scales.map(f) },
    { name: `${w}_z`, dtype: 'int8', shape: scales.length === 1 ? [] : [scales.length], data: scales.map(() => 0) },
  ],
  node: { op: 'DequantizeLinear', name: `dq_${w}`, inputs: [w, `${w}_s`, `${w}_z`], outputs: [`${w}_f`], attrs: { axis } },
});

/**
 * x -> Conv(per-channel, bias, fused Relu) -> MaxPool -> {Conv 1x1 -> Relu6-clipped} + {AveragePool 3x3 same} -> Add
 * -> Flatten -> Gemm(bias) -> y. Every tensor carries QDQ parameters, the input zero point is not 0 (biases
 * fold it), so the realized graph has QConv (fused Relu and Clip), MaxPool, QAveragePool, QAdd, Flatten, QGemm.
 */
function model(): ModelSpec {
  const w1 = dqw('w1', [4, 3, 3, 3], 1, [0.02, 0.03, 0.025, 0.015]);
  const w2 = dqw('w2', [4, 4, 1, 1], 2, [0.04]);
  const w3 = dqw('w3', [5, 64], 3, [0.01, 0.012, 0.009, 0.011, 0.013]);
  return {
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 5] }],
    initializers: [
      s('x_s', 0.02), z('x_z', 10), s('r_s', 0.03), z('r_z', -128), s('c_s', 0.025), z('c_z', -128), s('a_s', 0.03), z('a_z', -128),
      s('sum_s', 0.05), z('sum_z', -128), s('y_s', 0.1), z('y_z', 3),
      ...w1.inits, ...w2.inits, ...w3.inits,
      { name: 'b1', dtype: 'float32', shape: [4], data: [0.1, -0.2, 0.05, 0.3] },
      { name: 'b3', dtype: 'float32', shape: [5], data: [0.01, 0.02, -0.03, 0.04, 0] },
      s('six', 0.7), s('zero', 0),
    ],
    nodes: [
      ...qdq('x', 'x', 'xf'),
      w1.node, w2.node, w3.node,
      { op: 'Conv', name: 'conv1', inputs: ['xf', 'w1_f', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', name: 'relu1', inputs: ['c1'], outputs: ['r1'] },
      ...qdq('r1', 'r', 'r1f'),
      { op: 'MaxPool', name: 'pool', inputs: ['r1f'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      ...qdq('p', 'r', 'pf'),
      { op: 'Conv', name: 'conv2', inputs: ['pf', 'w2_f'], outputs: ['c2'] },
      { op: 'Clip', name: 'clip2', inputs: ['c2', 'zero', 'six'], outputs: ['k2'] },
      ...qdq('k2', 'c', 'k2f'),
      { op: 'AveragePool', name: 'avg', inputs: ['pf'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 } },
      ...qdq('a', 'a', 'af'),
      { op: 'Add', name: 'add', inputs: ['k2f', 'af'], outputs: ['sum'] },
      ...qdq('sum', 'sum', 'sumf'),
      { op: 'Flatten', name: 'flat', inputs: ['sumf'], outputs: ['fl'], attrs: { axis: 1 } },
      { op: 'Gemm', name: 'fc', inputs: ['fl', 'w3_f', 'b3'], outputs: ['g'], attrs: { transB: 1 } },
      ...qdq('g', 'y', 'y'),
    ],
  };
}

function realize(bytes: Uint8Array): Graph {
  const g = importModel(bytes, { evaluate: evaluateFloat });
  return runPasses(g, [importQdqPass, ...FLOAT_PIPELINE, ...QUANT_PIPELINE], ctx).graph;
}

const run = (g: Graph, x: Tensor): Tensor => runGraph(g, new Map([['x', x]]), evaluateFloat).get('y')!;

async function runOrt(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
  return out.y!.data as Float32Array;
}

describe('exportQdq', () => {
  const realized = realize(buildModel(model()));
  const bytes = exportQdq(realized);
  const decoded = onnx.ModelProto.decode(bytes);
  const opset = decoded.opsetImport;
  const nodes = (decoded.graph?.node ?? []).map((n) => ({ op: n.opType ?? '', name: n.name ?? '', input: n.input ?? [], output: n.output ?? [] }));
  const inits = new Map((decoded.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));

  it('realizes the test model into every integer op it writes', () => {
    expect(realized.nodes.map((n) => n.op)).toEqual(['Quantize', 'QConv', 'MaxPool', 'QConv', 'QAveragePool', 'QAdd', 'Flatten', 'QGemm', 'Dequantize']);
  });

  it('writes standard ONNX ops only, opset 13, with int8 weights and int32 biases behind DequantizeLinear', () => {
    expect(opset.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const ops = nodes.map((n) => n.op);
    expect(new Set(ops)).toEqual(new Set(['QuantizeLinear', 'DequantizeLinear', 'Conv', 'Clip', 'MaxPool', 'AveragePool', 'Add', 'Flatten', 'Gemm']));
    expect(ops.filter((o) => o === 'Conv' || o === 'Gemm')).toHaveLength(3);
    const conv1 = nodes.find((n) => n.name === 'conv1')!;
    const [, wdq, bdq] = conv1.input.map((v) => nodes.find((n) => n.output.includes(v))!);
    expect(wdq!.op).toBe('DequantizeLinear');
    expect(inits.get(wdq!.input[0]!)!.dataType).toBe(3); // int8
    expect(inits.get(wdq!.input[1]!)!.dims!.map(Number)).toEqual([4]); // per output channel
    expect(inits.get(bdq!.input[0]!)!.dataType).toBe(6); // int32
    // The bias is unfolded: bias + z_x·Σw equals round(b / (s_x·s_w)), the bias ONNX adds to Σ(x − z_x)·w.
    const bias = new Int32Array(inits.get(bdq!.input[0]!)!.rawData!.slice().buffer);
    const ws = [0.02, 0.03, 0.025, 0.015].map(f);
    [0.1, -0.2, 0.05, 0.3].forEach((b, c) => expect(bias[c]).toBe(Math.round(f(b) / (f(0.02) * ws[c]!))));
    // A fused Clip(0, 0.7) narrows the codes: a float Clip before the QuantizeLinear. The fused Relu of conv1
    // does not: its output zero point is -128, so ReLU's bound is the end of the range already.
    expect(nodes.filter((n) => n.op === 'Clip').map((n) => n.name)).toEqual(['conv2:clip']);
  });

  it('onnxruntime runs it and agrees with the integer reference to one output code', async () => {
    let differing = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const x = randomTensor([1, 3, 8, 8], seed, -1.5, 2.5);
      const want = run(realized, x);
      const got = await runOrt(bytes, x);
      want.data.forEach((v, i) => {
        const d = Math.abs(quantizeF32(got[i]!, f(0.1), 3, -128, 127) - quantizeF32(v, f(0.1), 3, -128, 127));
        expect(d).toBeLessThanOrEqual(1);
        differing += d === 0 ? 0 : 1;
      });
    }
    expect(differing).toBeLessThanOrEqual(3);
  });

  it('round-trips: importing the export and realizing it again computes bit for bit the same program', () => {
    const again = realize(bytes);
    expect(again.nodes.map((n) => n.op)).toEqual(realized.nodes.map((n) => n.op));
    for (const seed of [7, 8, 9]) {
      const x = randomTensor([1, 3, 8, 8], seed, -1.5, 2.5);
      expect(Array.from(run(again, x).data)).toEqual(Array.from(run(realized, x).data));
    }
  });

  it('narrows 4-bit codes with a Clip: onnxruntime still agrees to one code', async () => {
    // The same network without its QDQ pairs, calibrated (seed method) and quantized to 4 bits per channel.
    const spec = model();
    const floatOnly: ModelSpec = {
      ...spec,
      nodes: spec.nodes.filter((n) => n.op !== 'QuantizeLinear' && !(n.op === 'DequantizeLinear' && !n.inputs[0]!.startsWith('w')))
        .map((n) => ({ ...n, inputs: n.inputs.map((v) => v.replace(/^(x|r1|p|k2|a|sum)f$/, '$1')) , outputs: n.outputs.map((v) => (v === 'g' ? 'y' : v)) })),
    };
    const withParams = runPasses(importModel(buildModel(floatOnly), { evaluate: evaluateFloat }), [importQdqPass, ...FLOAT_PIPELINE], ctx).graph;
    // Forget the weights' 8-bit params: annotate derives 4-bit ones.
    const float: Graph = { ...withParams, values: new Map([...withParams.values].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }])) };
    const calibration = calibrate(float, (i) => new Map([['x', randomTensor([1, 3, 8, 8], 100 + i, -1.5, 2.5)]]), 8, { method: 'minmax' });
    const four = runPasses(float, QUANT_PIPELINE, { evaluate: evaluateFloat, options: { calibration, bits: 4, perChannel: true } }).graph;
    const q = four.values.get(four.nodes.find((n) => n.op === 'Dequantize')!.inputs[0]!)!.quant!;
    expect(q.bits).toBe(4);
    expect(four.values.get(four.nodes.find((n) => n.op === 'QConv')!.inputs[1]!)!.quant).toMatchObject({ bits: 4, axis: 0 });
    const b4 = exportQdq(four);
    const clips = onnx.ModelProto.decode(b4).graph!.node!.filter((n) => n.opType === 'Clip');
    expect(clips.length).toBeGreaterThanOrEqual(5); // every requantized output and the input quantization
    for (const seed of [21, 22, 23]) {
      const x = randomTensor([1, 3, 8, 8], seed, -1.5, 2.5);
      const want = run(four, x);
      const got = await runOrt(b4, x);
      want.data.forEach((v, i) => {
        const code = (u: number): number => quantizeF32(u, q.scale[0]!, q.zeroPoint[0]!, -8, 7);
        expect(Math.abs(code(got[i]!) - code(v))).toBeLessThanOrEqual(1);
      });
    }
  });

  it('refuses a lowered graph', () => {
    const lowered = runPasses(realized, LOWER_PIPELINE, ctx).graph;
    expect(() => exportQdq(lowered)).toThrow(UnsupportedError);
    expect(() => exportQdq(lowered)).toThrow(/takes the realized graph \(stage 'quantized'\), before lowering to tile ops/);
  });
});
