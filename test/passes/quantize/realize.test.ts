import { describe, expect, it } from 'vitest';
import { clampBounds, quantizeMultiplier, requantMultiplier } from '../../../ir/arith.js';
import type { Graph } from '../../../ir/graph.js';
import type { Node, NodeOf, OpName } from '../../../ir/ops.js';
import { STAGES, checkStage } from '../../../ir/stages.js';
import { tensor } from '../../../ir/tensor.js';
import { annotateQuantization } from '../../../passes/quantize/annotate.js';
import { DEFAULT_QUANT_OPTIONS } from '../../../passes/quantize/options.js';
import { floatIslands, realizeQuantization } from '../../../passes/quantize/realize.js';
import { buildGraph, f32, node, randomTensor, vt } from '../build.js';
import { calibrated, convNet, convNetStats, opsOf, quantize } from './helpers.js';

const conv = (name: string, x: string, w: string, y: string, b?: string) =>
  node('Conv', name, [x, w, ...(b ? [b] : [])], [y], { group: 1, auto_pad: 'NOTSET', pads: [1, 1, 1, 1] });
const find = <O extends OpName>(g: Graph, name: string): NodeOf<O> => {
  const n = g.nodes.find((m) => m.name === name);
  expect(n, `node ${name}`).toBeDefined();
  return n as Node as NodeOf<O>;
};
const quantOf = (g: Graph, v: string) => g.values.get(v)?.quant;

describe('quantize-realize', () => {
  it('Conv + Relu -> one QConv with the ReLU as clamp, input quantized on entry, output dequantized at the end', () => {
    const g = quantize(convNet(), { calibration: convNetStats() });
    checkStage(g, STAGES.quantized);
    expect(opsOf(g)).toEqual(['Quantize', 'QConv', 'MaxPool', 'Flatten', 'QGemm', 'Dequantize']);
    const qconv = find<'QConv'>(g, 'conv');
    expect(qconv.inputs).toEqual(['x:q', 'w', 'b']);
    expect(qconv.outputs).toEqual(['r']);
    // s_x = 2/128, s_w = 1/128, s_y = 4/128: M = 1/256 = 0.5·2^-7.
    expect(qconv.attrs).toMatchObject({ multiplier: [1 << 30], shift: [-7], zeroPoint: -128, qmin: -128, qmax: 127, padValue: 0, pads: [1, 1, 0, 0] });
    // Weights: w/(1/128) rounded half to even; w = 1 = alpha is 128, saturating to 127 as the seed does.
    expect(Array.from(g.initializers.get('w')!.data)).toEqual([64, -32, 16, 127, -96, 64, 32, -64]);
    expect(g.values.get('w')).toEqual({ dtype: 'int8', shape: [2, 1, 2, 2], quant: { scale: [1 / 128], zeroPoint: [0], bits: 8 } });
    // Bias: round(0.1 / (2/128 · 1/128)) = round(819.2), round(-1638.4); the input zero point is 0.
    expect(Array.from(g.initializers.get('b')!.data)).toEqual([819, -1638]);
    expect(g.values.get('b')!.dtype).toBe('int32');
    expect(g.values.get('x')).toEqual({ dtype: 'float32', shape: [1, 1, 4, 4] });
    expect(find<'Dequantize'>(g, 'y:dequantize')).toMatchObject({ inputs: ['y:q'], outputs: ['y'], attrs: { scale: 8 / 128, zeroPoint: 0 } });
    // The int8 value standing for float value X is named X.
    expect(quantOf(g, 'p')).toEqual({ scale: [4 / 128], zeroPoint: [-128], bits: 8 });
    expect(g.values.get('c')).toBeUndefined();
    expect([...g.initializers.keys()].sort()).toEqual(['C', 'W', 'b', 'w']);
  });

  it('proves each output channel fits int32 accumulators: a bias close to 2^31 is checked exactly, one too close fails', () => {
    // s_x·s_w = 2/128 · 1/128 = 1/8192, input zero point 0. Channel 0's codes [64, -32, 16, 127] with inputs in
    // [-128, 127] add at most 207·127 + 32·128 = 30385 to its bias (at least -(207·128 + 32·127) = -30560):
    // 2147452928 fits (though not within the unread bound 4·128·128 = 65536), 2147481600 does not.
    const withBias = (b0: number): Graph => {
      const g = convNet();
      return { ...g, initializers: new Map(g.initializers).set('b', f32([2], [b0, 0])) };
    };
    const g = quantize(withBias(262140.25), { calibration: convNetStats() });
    expect(Array.from(g.initializers.get('b')!.data)).toEqual([2147452928, 0]);
    expect(() => quantize(withBias(262143.75), { calibration: convNetStats() }))
      .toThrow("Conv 'conv': output channel 0 can accumulate [-30560, 2147511985] (bias 2147481600 with the input zero point folded in), beyond int32");
  });

  it('per channel: one multiplier per output channel', () => {
    const g = quantize(convNet(), { calibration: convNetStats(), perChannel: true });
    const qconv = find<'QConv'>(g, 'conv');
    const ms = [1 / 128, 0.75 / 128].map((sw) => requantMultiplier(2 / 128, sw, 4 / 128));
    expect(qconv.attrs.multiplier).toEqual(ms.map((m) => m.multiplier));
    expect(qconv.attrs.shift).toEqual(ms.map((m) => m.shift));
    expect(find<'QGemm'>(g, 'fc').attrs.multiplier).toHaveLength(3);
  });

  it('a Clip(0, 6) after a Conv becomes the clamp [Q(0), Q(6)]', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 2, 4, 4]) },
      initializers: { w: randomTensor([3, 2, 3, 3], 1), lo: f32([], [0]), hi: f32([], [6]) },
      nodes: [conv('c1', 'x', 'w', 'c'), node('Clip', 'relu6', ['c', 'lo', 'hi'], ['y'], {})],
      outputs: ['y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'minmax', 8, 4, -4, 4) });
    expect(opsOf(g)).toEqual(['Quantize', 'QConv', 'Dequantize']);
    const y = quantOf(g, 'y:q')!;
    expect(y.zeroPoint[0]).toBe(-128); // non-negative: [0, max] over all codes
    const qc = find<'QConv'>(g, 'c1');
    expect([qc.attrs.qmin, qc.attrs.qmax]).toEqual(clampBounds({ min: 0, max: 6 }, y.scale[0]!, -128, 8));
    // The input had no padding zero point: padValue is x's zero point, and the bias carries z_x·Σw.
    expect(qc.attrs.padValue).toBe(quantOf(g, 'x:q')!.zeroPoint[0]);
  });

  it('Add of two activations -> QAdd, with a following ReLU fused into its clamp', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 2, 4, 4]) },
      initializers: { w1: randomTensor([2, 2, 3, 3], 2), w2: randomTensor([2, 2, 3, 3], 3) },
      nodes: [conv('c1', 'x', 'w1', 'a'), conv('c2', 'x', 'w2', 'b'), node('Add', 'add', ['a', 'b'], ['s'], {}), node('Relu', 'relu', ['s'], ['y'], {})],
      outputs: ['y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'seed') });
    expect(opsOf(g)).toEqual(['Quantize', 'QConv', 'QConv', 'QAdd', 'Dequantize']);
    const add = find<'QAdd'>(g, 'add');
    expect(add.inputs).toEqual(['a', 'b']);
    const [qa, qb, qy] = ['a', 'b', 'y:q'].map((v) => quantOf(g, v)!);
    expect(qy.zeroPoint).toEqual([-128]); // seed, always_pos (the ReLU output)
    expect(add.attrs).toMatchObject({ aZeroPoint: qa!.zeroPoint[0], bZeroPoint: qb!.zeroPoint[0], zeroPoint: -128, qmin: -128, qmax: 127, leftShift: 20 });
  });

  it('Sum of three activations -> a chain of two QAdds', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 4]), u: vt('float32', [1, 4]), v: vt('float32', [1, 4]) },
      nodes: [node('Sum', 'sum', ['x', 'u', 'v'], ['y'], {})],
      outputs: ['y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'minmax') });
    expect(opsOf(g)).toEqual(['Quantize', 'Quantize', 'QAdd', 'Quantize', 'QAdd', 'Dequantize']);
    expect(g.nodes[2]!.outputs).toEqual(['y:sum1']);
    expect(g.nodes[4]!.inputs).toEqual(['y:sum1', 'v:q']);
  });

  it('Softmax runs as a float island: Dequantize -> Softmax; a float graph output stays float', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [2, 6]) },
      initializers: { w: randomTensor([6, 4], 4) },
      nodes: [node('MatMul', 'mm', ['x', 'w'], ['z'], {}), node('Softmax', 'sm', ['z'], ['y'], { axis: 1, coerce2d: false })],
      outputs: ['y'],
    });
    const annotated = annotateQuantization(g0, { ...DEFAULT_QUANT_OPTIONS, calibration: calibrated(g0, 'seed') });
    expect(floatIslands(annotated)).toEqual([{ node: 'sm', op: 'Softmax', reason: 'no int8 form' }]);
    const g = quantize(g0, { calibration: calibrated(g0, 'seed') });
    expect(opsOf(g)).toEqual(['Quantize', 'QGemm', 'Dequantize', 'Softmax']);
    expect(find(g, 'mm')).toMatchObject({ op: 'QGemm', inputs: ['x:q', 'w', 'mm:bias'], outputs: ['z'], attrs: { transB: 0 } });
    expect(find(g, 'sm').inputs).toEqual(['z:f']);
    expect(g.values.get('y')).toEqual({ dtype: 'float32', shape: [2, 4] });
    expect(Array.from(g.initializers.get('mm:bias')!.data)).toEqual([0, 0, 0, 0]); // z_x = 0 (seed, signed): nothing to fold
  });

  it('an island feeding an int8 op is quantized again: its float output is X:f, its codes keep the name X', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 2, 4, 4]) },
      initializers: { w: randomTensor([2, 2, 3, 3], 6) },
      nodes: [node('Sigmoid', 'sig', ['x'], ['s'], {}), conv('c1', 's', 'w', 'y')],
      outputs: ['y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'seed') });
    expect(opsOf(g)).toEqual(['Sigmoid', 'Quantize', 'QConv', 'Dequantize']);
    expect(g.nodes[0]!.outputs).toEqual(['s:f']);
    expect(g.nodes[1]).toMatchObject({ inputs: ['s:f'], outputs: ['s'] });
    expect(quantOf(g, 's')!.zeroPoint).toEqual([-128]); // a Sigmoid output is known non-negative
  });

  it('Concat of inputs at different scales: Requantize to the output scale first', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 2, 4, 4]) },
      initializers: { w1: randomTensor([2, 2, 3, 3], 7, -0.1, 0.1), w2: randomTensor([3, 2, 3, 3], 8, -2, 2) },
      nodes: [conv('c1', 'x', 'w1', 'a'), conv('c2', 'x', 'w2', 'b'), node('Concat', 'cat', ['a', 'b'], ['y'], { axis: 1 })],
      outputs: ['y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'minmax') });
    const cat = find<'Concat'>(g, 'cat');
    expect(opsOf(g)).toContain('Requantize');
    for (const v of cat.inputs) expect(quantOf(g, v)).toEqual(quantOf(g, 'y:q'));
    const rq = g.nodes.find((n) => n.op === 'Requantize')!;
    expect(rq.outputs[0]).toMatch(/^[ab]:rq$/);
  });

  it('a ReLU that cannot be fused (its input is also an output) -> Requantize with the identity multiplier and the clamp', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 2, 4, 4]) },
      initializers: { w: randomTensor([2, 2, 3, 3], 9) },
      nodes: [conv('c1', 'x', 'w', 'c'), node('Relu', 'relu', ['c'], ['y'], {})],
      outputs: ['c', 'y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'seed') });
    expect(opsOf(g)).toEqual(['Quantize', 'QConv', 'Dequantize', 'Requantize', 'Dequantize']);
    const rq = find<'Requantize'>(g, 'relu');
    const qc = quantOf(g, 'c:q')!;
    expect(rq.inputs).toEqual(['c:q']);
    expect(quantOf(g, 'y:q')).toEqual(qc);
    expect(rq.attrs).toEqual({ multiplier: [quantizeMultiplier(1).multiplier], shift: [1], zeroPoint: 0, inZeroPoint: 0, qmin: 0, qmax: 127 });
  });

  it('pools and Pad on codes: AveragePool -> QAveragePool, GlobalAveragePool -> QGlobalAveragePool, Pad pads with the zero point', () => {
    const g0 = buildGraph({
      inputs: { x: vt('float32', [1, 2, 4, 4]) },
      initializers: { pads: tensor('int64', [8], [0, 0, 1, 1, 0, 0, 1, 1]) },
      nodes: [
        node('Pad', 'pad', ['x', 'pads'], ['p'], { mode: 'constant' }),
        node('AveragePool', 'ap', ['p'], ['a'], { kernel_shape: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0 }),
        node('GlobalAveragePool', 'gap', ['a'], ['y'], {}),
      ],
      outputs: ['y'],
    });
    const g = quantize(g0, { calibration: calibrated(g0, 'minmax', 8, 4, 0, 1) });
    expect(opsOf(g)).toEqual(['Quantize', 'Pad', 'QAveragePool', 'QGlobalAveragePool', 'Dequantize']);
    const z = quantOf(g, 'x:q')!.zeroPoint[0]!;
    expect(z).toBe(-128);
    const pad = find<'Pad'>(g, 'pad');
    expect(Array.from(g.initializers.get(pad.inputs[2]!)!.data)).toEqual([z]);
    expect(find<'QAveragePool'>(g, 'ap').attrs.zeroPoint).toBe(z);
    expect(quantOf(g, 'y:q')).toEqual(quantOf(g, 'x:q'));
  });

  it('needs the annotations: realizing an unannotated graph names the value', () => {
    expect(() => realizeQuantization(convNet())).toThrow(/tensor 'x' has no quantization parameters \(run quantize-annotate first\)/);
  });
});
