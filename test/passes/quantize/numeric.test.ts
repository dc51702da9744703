import { describe, expect, it } from 'vitest';
import { dequantizeF32, quantizeF32 } from '../../../ir/arith.js';
import type { Graph, QuantParams } from '../../../ir/graph.js';
import type { CalibMethod } from '../../../ir/quant/stats.js';
import { tensor, type Tensor } from '../../../ir/tensor.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { runGraph } from '../../../runtime/interpreter.js';
import { buildGraph, node, randomTensor, vt } from '../build.js';
import { calibrated, opsOf, quantize, randomFeeds } from './helpers.js';

// A small seeded CNN with a residual Add, pooling and a classifier, quantized and run by the integer reference
// (runtime/float's evaluator dispatches the realized ops to runtime/int): it must agree with the float graph
// within a few output quantization steps, and pick the same class on most random inputs.
const pool = { auto_pad: 'NOTSET' as const, ceil_mode: 0, count_include_pad: 0, storage_order: 0 };
const convAttrs = { group: 1, auto_pad: 'NOTSET' as const, pads: [1, 1, 1, 1] };

function smallCnn(): Graph {
  return buildGraph({
    inputs: { x: vt('float32', [1, 3, 8, 8]) },
    initializers: {
      w1: randomTensor([8, 3, 3, 3], 11, -0.4, 0.4), b1: randomTensor([8], 12, -0.1, 0.1),
      w2: randomTensor([8, 8, 3, 3], 13, -0.2, 0.2), b2: randomTensor([8], 14, -0.1, 0.1),
      w3: randomTensor([8, 8, 1, 1], 15, -0.5, 0.5),
      fc: randomTensor([10, 8], 16, -1, 1), fcb: randomTensor([10], 17, -0.2, 0.2),
    },
    nodes: [
      node('Conv', 'conv1', ['x', 'w1', 'b1'], ['c1'], convAttrs),
      node('Relu', 'relu1', ['c1'], ['a'], {}),
      node('Conv', 'conv2', ['a', 'w2', 'b2'], ['c2'], convAttrs),
      node('Relu', 'relu2', ['c2'], ['b'], {}),
      node('Add', 'res', ['a', 'b'], ['s'], {}),
      node('MaxPool', 'pool', ['s'], ['m'], { ...pool, kernel_shape: [2, 2], strides: [2, 2] }),
      node('Conv', 'conv3', ['m', 'w3'], ['c3'], { group: 1, auto_pad: 'NOTSET' }),
      node('AveragePool', 'avg', ['c3'], ['v'], { ...pool, kernel_shape: [2, 2], strides: [2, 2] }),
      node('GlobalAveragePool', 'gap', ['v'], ['g'], {}),
      node('Flatten', 'flat', ['g'], ['f'], { axis: 1 }),
      node('Gemm', 'fc', ['f', 'fc', 'fcb'], ['y'], { alpha: 1, beta: 1, transA: 0, transB: 1 }),
    ],
    outputs: ['y'],
  });
}

const argmax = (t: Tensor): number => {
  let best = 0;
  for (let i = 1; i < t.data.length; i++) if (t.data[i]! > t.data[best]!) best = i;
  return best;
};

function compare(float: Graph, quant: Graph, samples: number): { maxSteps: number; meanSteps: number; agreement: number } {
  const q = quant.values.get('y:q')!.quant!;
  const step = q.scale[0]!, z = q.zeroPoint[0]!;
  // Outputs beyond the calibrated range saturate by design (the seed fixes it on the first batch): the error
  // is measured against the float output clipped to what the codes can represent.
  const clip = (v: number): number => Math.min(step * (127 - z), Math.max(step * (-128 - z), v));
  const feeds = randomFeeds(float, 0, 1);
  let maxErr = 0, sumErr = 0, n = 0, agree = 0;
  for (let i = 100; i < 100 + samples; i++) {
    const f = feeds(i);
    const want = runGraph(float, f, evaluateFloat).get('y')!;
    const got = runGraph(quant, f, evaluateFloat).get('y')!;
    for (let k = 0; k < want.data.length; k++) {
      const e = Math.abs(got.data[k]! - clip(want.data[k]!));
      maxErr = Math.max(maxErr, e); sumErr += e; n++;
    }
    agree += +(argmax(want) === argmax(got));
  }
  return { maxSteps: maxErr / step, meanSteps: sumErr / n / step, agreement: agree / samples };
}

const dequantized = (t: Tensor, q: QuantParams, axis = 0): Tensor => {
  const out = tensor('float32', t.shape);
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1), extent = t.shape[axis] ?? 1;
  for (let i = 0; i < t.data.length; i++) {
    const c = q.scale.length === 1 ? 0 : Math.floor(i / inner) % extent;
    out.data[i] = dequantizeF32(t.data[i]!, q.scale[c]!, q.zeroPoint[c]!);
  }
  return out;
};

/**
 * Layer by layer: every QConv/QGemm/QAdd output, given the int8 inputs it actually received, is within one code
 * of quantizing the float op on the dequantized inputs and weights (with the float bias). One code is the
 * double rounding of requantization plus the bias rounding; anything more is an arithmetic bug.
 */
function layerErrors(float: Graph, quant: Graph, samples: number): number {
  const feeds = randomFeeds(float, 0, 1);
  let worst = 0;
  for (let i = 200; i < 200 + samples; i++) {
    const env = runGraph(quant, feeds(i), evaluateFloat, { keepAll: true });
    const val = (v: string): Tensor => env.get(v) ?? quant.initializers.get(v)!;
    for (const n of quant.nodes) {
      if (n.op !== 'QConv' && n.op !== 'QGemm' && n.op !== 'QAdd') continue;
      const fnode = float.nodes.find((m) => m.name === n.name)!;
      const qt = (v: string): QuantParams => quant.values.get(v)!.quant!;
      let ins: Tensor[];
      if (n.op === 'QAdd') ins = n.inputs.map((v) => dequantized(val(v), qt(v)));
      else {
        const w = float.initializers.get(fnode.inputs[1]!)!;
        const wq = qt(n.inputs[1]!);
        ins = [dequantized(val(n.inputs[0]!), qt(n.inputs[0]!)), dequantized(val(n.inputs[1]!), wq, wq.axis ?? 0), ...(fnode.inputs[2] ? [float.initializers.get(fnode.inputs[2])!] : [])];
        expect(ins[1]!.shape).toEqual(w.shape);
      }
      const ref = evaluateFloat(fnode, ins)[0]!;
      const y = qt(n.outputs[0]!);
      const { qmin, qmax } = n.attrs as { qmin: number; qmax: number };
      const got = val(n.outputs[0]!);
      for (let k = 0; k < ref.data.length; k++) {
        const want = Math.min(qmax, Math.max(qmin, quantizeF32(ref.data[k]!, y.scale[0]!, y.zeroPoint[0]!, -128, 127)));
        worst = Math.max(worst, Math.abs(want - got.data[k]!));
      }
    }
  }
  return worst;
}

describe('realized small CNN against the float graph', () => {
  it.each([['minmax', false], ['seed', true], ['entropy', false]] as const)('%s (per channel: %s): every integer layer is within one code of its float op', (method, perChannel) => {
    const g = smallCnn();
    const q = quantize(g, { method, perChannel, calibration: calibrated(g, method, 32, 8, 0, 1) });
    expect(layerErrors(g, q, 4)).toBeLessThanOrEqual(1);
  });

  const cases: [CalibMethod, boolean][] = [['minmax', false], ['seed', false], ['seed', true], ['percentile', true]];
  it.each(cases)('%s calibration (per channel: %s): outputs within a few steps on average, same top-1 on most inputs', (method, perChannel) => {
    const g = smallCnn();
    // Calibrate on the input range the test draws from ([0, 1), like pixels).
    const q = quantize(g, { method, perChannel, calibration: calibrated(g, method, 64, 16, 0, 1) });
    expect(opsOf(q)).toEqual(['Quantize', 'QConv', 'QConv', 'QAdd', 'MaxPool', 'QConv', 'QAveragePool', 'QGlobalAveragePool', 'Flatten', 'QGemm', 'Dequantize']);
    const r = compare(g, q, 40);
    // The error accumulates over five integer layers (and saturation inside them, for the seed's first-batch ranges).
    expect(r.meanSteps).toBeLessThan(1.5);
    expect(r.maxSteps).toBeLessThan(6);
    expect(r.agreement).toBeGreaterThanOrEqual(0.85);
  });
});
