import { describe, expect, it } from 'vitest';
import type { Graph, QuantParams } from '../../ir/graph.js';
import { TilecError } from '../../ir/errors.js';
import type { Node } from '../../ir/ops.js';
import { tensor } from '../../ir/tensor.js';
import { verifyGraph } from '../../ir/verify.js';
import { T, graph, i64, mk } from './build.js';
import { everyRealizedOp, miniModel, withQuants } from './quant-ops-fixture.js';

// The verifier's checks of realized graphs: int8 values of tilec's ops carry well-formed quant params,
// weights are symmetric int8 initializers within their bit width, biases int32 at bits 32, attributes agree
// with the quant params they refer to, and int8 movement ops keep their input's params.

const mini = (): Graph => miniModel().realized;
const quantOf = (g: Graph, name: string): QuantParams => g.values.get(name)!.quant!;
const dropQuant = (g: Graph, name: string): Graph => {
  const values = new Map(g.values);
  const { quant: _, ...rest } = values.get(name)!;
  values.set(name, rest);
  return { ...g, values };
};
const patchNode = (g: Graph, name: string, f: (n: Node) => Node): Graph => ({ ...g, nodes: g.nodes.map((n) => (n.name === name ? f(n) : n)) });
const attrs = (g: Graph, name: string, over: Record<string, unknown>): Graph => patchNode(g, name, (n) => ({ ...n, attrs: { ...n.attrs, ...over } }) as Node);
const rejects = (g: Graph, message: string | RegExp): void => {
  expect(() => verifyGraph(g)).toThrow(TilecError);
  expect(() => verifyGraph(g)).toThrow(message);
};

describe('verifier: realized graphs', () => {
  it('accepts the fixtures', () => {
    expect(() => verifyGraph(mini())).not.toThrow();
    expect(() => verifyGraph(everyRealizedOp())).not.toThrow();
  });

  it('demands quant params on the int8 values of integer ops, naming node and value', () => {
    rejects(dropQuant(mini(), 'r'), "graph 'mini': QConv 'conv' output 0 (y) 'r' (int8[1,4,6,6]) carries no quant params");
    rejects(dropQuant(mini(), 'x:q'), "Quantize 'x:quantize' output 0 (y) 'x:q' (int8[1,2,6,6]) carries no quant params");
    rejects(dropQuant(mini(), 'W'), "QConv 'conv' input 1 (w) 'W' (int8[4,2,3,3]) carries no quant params");
    rejects(dropQuant(mini(), 'b'), "QConv 'conv' input 2 (bias) 'b' (int32[4]) carries no quant params (scale s_x·s_w, zero point 0, bits 32)");
    rejects(dropQuant(everyRealizedOp(), 'acc'), "Dequantize 'acc:dequantize' input 0 (x) 'acc' (int32[2]) carries no quant params");
  });

  it('checks the quant params themselves', () => {
    const g = mini();
    rejects(withQuants(g, { r: { ...quantOf(g, 'r'), scale: [0] } }), "value 'r' (int8[1,4,6,6]): quant scale[0] = 0 must be finite and > 0");
    rejects(withQuants(g, { r: { ...quantOf(g, 'r'), bits: 9 } }), 'quant bits 9 must be an integer in [2, 8]');
    rejects(withQuants(g, { 'x:q': { scale: [0.1], zeroPoint: [9], bits: 4 } }), "Quantize 'x:quantize' output 0 (y) 'x:q' has zero point 9, outside the 4-bit code range [-8, 7]");
    rejects(withQuants(g, { 'x:q': { scale: [0.1, 0.2], zeroPoint: [3, 3], axis: 1, bits: 8 } }), "'x:q' has 2 scales; activations are quantized per tensor");
    rejects(withQuants(g, { b: { ...quantOf(g, 'b'), bits: 8 } }), "input 2 (bias) 'b' has quant bits 8; int32 biases have bits 32");
    rejects(withQuants(g, { c: { ...quantOf(g, 'c'), zeroPoint: [1] } }), "QGemm 'fc' input 2 (bias) 'c' has zero points [1]; biases have zero point 0");
  });

  it('checks weights: initializers, symmetric, per channel along the output axis, codes within the bit width', () => {
    const g = mini();
    rejects(withQuants(g, { W: { ...quantOf(g, 'W'), zeroPoint: [0, 1, 0, 0] } }), "QConv 'conv' input 1 (w) 'W' has zero points [0,1,0,0]; weights are symmetric (zero point 0)");
    rejects(withQuants(g, { B: { scale: new Array(36).fill(0.01), zeroPoint: new Array(36).fill(0), axis: 1, bits: 8 } }),
      "QGemm 'fc' input 1 (w) 'B' has 36 scales along axis 1; per-channel weight scales must be 5 along axis 0 (the output channels)");
    rejects(withQuants(g, { W: { ...quantOf(g, 'W'), bits: 4 } }), /QConv 'conv' input 1 \(w\) 'W' element \d+ = -?\d+ is outside the 4-bit code range \[-8, 7\] its quant params declare/);
    // The weight as a graph input instead of an initializer.
    const initializers = new Map(g.initializers);
    initializers.delete('W');
    rejects({ ...g, initializers, inputs: [...g.inputs, 'W'] }, "QConv 'conv' input 1 (w) 'W' must be an initializer (a constant int8 weight)");
  });

  it('checks that attributes agree with the quant params', () => {
    const g = mini();
    rejects(attrs(g, 'conv', { padValue: 0 }), "QConv 'conv' attribute padValue 0 differs from the zero point 3 of input 0 (x) 'x:q'");
    rejects(attrs(g, 'conv', { zeroPoint: 0, qmin: 0 }), "QConv 'conv' attribute zeroPoint 0 differs from the zero point -128 of output 0 (y) 'r'");
    rejects(attrs(g, 'x:quantize', { scale: 0.5 }), /Quantize 'x:quantize' attribute scale 0.5 differs from the scale [\d.e-]+ of output 0 \(y\) 'x:q'/);
    rejects(attrs(g, 'y:dequantize', { zeroPoint: 2 }), "Dequantize 'y:dequantize' attribute zeroPoint 2 differs from the zero point 0 of input 0 (x) 'y:q'");
    rejects(attrs(g, 'y:dequantize', { scale: 1 }), "Dequantize 'y:dequantize' attribute scale 1 differs from the scale");
    const e = everyRealizedOp();
    rejects(attrs(e, 'add', { qmax: 127 }), "QAdd 'add' clamp [-8, 127] leaves the 4-bit code range [-8, 7] of output 0 (y) 's'");
    rejects(attrs(e, 'add', { bZeroPoint: 0 }), "QAdd 'add' attribute bZeroPoint 0 differs from the zero point -8 of input 1 (B) 'b'");
    rejects(attrs(e, 'a:requantize', { inZeroPoint: 1 }), "Requantize 'a:requantize' attribute inZeroPoint 1 differs from the zero point 0 of input 0 (x) 'a'");
    rejects(attrs(e, 'avgpool', { zeroPoint: 0 }), "QAveragePool 'avgpool' attribute zeroPoint 0 differs from the zero point 1 of input 0 (X) 's'");
    rejects(withQuants(e, { gap: { scale: [0.25], zeroPoint: [1], bits: 4 } }), "QGlobalAveragePool 'gap' averages codes, so output 0 'gap' must carry the quant params of input 0 'avg': input has {bits=4, scale=[0.5], zeroPoint=[1]}, output has {bits=4, scale=[0.25], zeroPoint=[1]}");
  });

  it('int8 movement ops keep their input quant params; Pad pads with the zero point', () => {
    const g = mini();
    rejects(withQuants(g, { p: { ...quantOf(g, 'p'), scale: [1] } }), "MaxPool 'pool' moves int8 codes, so output 0 'p' must carry the quant params of input 0 'r'");
    rejects(dropQuant(g, 'flat'), "Reshape 'flatten' moves int8 codes, so output 0 'flat' must carry the quant params of input 0 'p': input has {bits=8");
    const e = everyRealizedOp();
    rejects(patchNode(e, 'concat', (n) => ({ ...n, inputs: ['a', 'b'] })), "Concat 'concat' moves int8 codes, so output 0 'cat' must carry the quant params of input 0 'a': input has {bits=4, scale=[0.25], zeroPoint=[0]}, output has {bits=4, scale=[0.125], zeroPoint=[-8]} (Requantize the inputs to one scale first)");
    const initializers = new Map(e.initializers).set('zb', tensor('int8', [], [0]));
    rejects({ ...e, initializers }, "Pad 'pad' pads int8 codes with 0, but the zero point (the code of real 0) is -8");
  });

  it('leaves int8 values without quant alone outside tilec ops (imported ONNX graphs)', () => {
    const g = graph({
      name: 'onnx int8',
      inputs: { x: T('int8', 1, 1, 4, 4) },
      initializers: { shape: i64(1, -1) },
      nodes: [
        mk('MaxPool', ['x'], { kernel_shape: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0 }, ['p'], 'pool'),
        mk('Reshape', ['p', 'shape'], { allowzero: 0 }, ['y'], 'flat'),
      ],
      outputs: ['y'],
    });
    expect(() => verifyGraph(g)).not.toThrow();
    // Once the input carries params, the movement ops must pass them on.
    rejects(withQuants(g, { x: { scale: [0.1], zeroPoint: [0], bits: 8 } }), "MaxPool 'pool' moves int8 codes, so output 0 'p' must carry the quant params of input 0 'x': input has {bits=8, scale=[0.1], zeroPoint=[0]}, output has none");
  });
});
