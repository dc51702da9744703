import { describe, expect, it } from 'vitest';
import { NeedsConstantError } from '../../ir/infer.js';
import { OP_NAMES, type QConvAttrs, type QGemmAttrs, type RequantAttrs } from '../../ir/ops.js';
import { REALIZED_AWAY, STAGES, checkStage } from '../../ir/stages.js';
import { scalar, tensor } from '../../ir/tensor.js';
import { T, graph, i64, infer, mk } from './build.js';

// Inference of tilec's integer ops and Round, int8 through the movement ops, and the `quantized` stage.

const rq: RequantAttrs = { multiplier: [1073741824], shift: [-3], zeroPoint: 0, qmin: -128, qmax: 127 };
const qconv = (over: Partial<QConvAttrs> = {}): QConvAttrs => ({ group: 1, auto_pad: 'NOTSET', ...rq, padValue: 0, ...over });
const qgemm = (over: Partial<QGemmAttrs> = {}): QGemmAttrs => ({ ...rq, transB: 0, ...over });
const pool = { kernel_shape: [2, 2], auto_pad: 'NOTSET' as const, ceil_mode: 0, count_include_pad: 0, storage_order: 0 };
const qadd = {
  leftShift: 20, aMultiplier: 1431655765, aShift: -1, aZeroPoint: 0, bMultiplier: 1073741824, bShift: 0, bZeroPoint: 10,
  outMultiplier: 1610612736, outShift: -19, zeroPoint: 0, qmin: -128, qmax: 127,
};

describe('QConv inference', () => {
  const n = (a: QConvAttrs, inputs = ['x', 'w', 'b']) => mk('QConv', inputs, a);
  it('has Conv window geometry and int8 output', () => {
    expect(infer(n(qconv({ pads: [1, 1, 1, 1], strides: [2, 2] })), [T('int8', 1, 4, 7, 7), T('int8', 6, 4, 3, 3), T('int32', 6)])).toEqual([T('int8', 1, 6, 4, 4)]);
    // depthwise, no bias, per-channel multipliers
    const dw = qconv({ group: 4, multiplier: [1073741824, 0, 2147483647, 1500000000], shift: [0, 0, -31, 30] });
    expect(infer(n(dw, ['x', 'w']), [T('int8', 2, 4, 5, 5), T('int8', 4, 1, 3, 3)])).toEqual([T('int8', 2, 4, 3, 3)]);
  });
  it('rejects wrong dtypes, channel counts and biases', () => {
    expect(() => infer(n(qconv()), [T('uint8', 1, 4, 5, 5), T('int8', 6, 4, 3, 3)])).toThrow("QConv 'n1': input 0 (x) has dtype uint8, expected int8");
    expect(() => infer(n(qconv()), [T('int8', 1, 4, 5, 5), T('float32', 6, 4, 3, 3)])).toThrow('input 1 (w) has dtype float32, expected int8');
    expect(() => infer(n(qconv()), [T('int8', 1, 3, 5, 5), T('int8', 6, 4, 3, 3)])).toThrow('input has 3 channels but weight expects 4 (group 1)');
    expect(() => infer(n(qconv()), [T('int8', 1, 4, 5, 5), T('int8', 6, 4, 3, 3), T('int32', 5)])).toThrow('input 2 (bias) has shape [5], expected [6] (one per output channel)');
    expect(() => infer(n(qconv()), [T('int8', 1, 4, 5, 5), T('int8', 6, 4, 3, 3), T('float32', 6)])).toThrow('input 2 (bias) has dtype float32, expected int32');
  });
  it('validates the requantization attributes', () => {
    const types = [T('int8', 1, 4, 5, 5), T('int8', 6, 4, 3, 3)];
    const bad = (a: Partial<QConvAttrs>) => () => infer(n(qconv(a), ['x', 'w']), types);
    expect(bad({ multiplier: [1073741824, 1073741824], shift: [0, 0] })).toThrow("QConv 'n1': multiplier has 2 entries, expected 1 (per tensor) or 6 (one per output channel)");
    expect(bad({ multiplier: [1073741824], shift: [0, 0] })).toThrow('multiplier has 1 entries but shift has 2; they must match');
    expect(bad({ multiplier: [5] })).toThrow('attribute multiplier[0] = 5 must be 0 or an integer in [2^30, 2^31) (a Q31 multiplier)');
    expect(bad({ multiplier: [2147483648] })).toThrow('multiplier[0] = 2147483648');
    expect(bad({ shift: [31] })).toThrow('attribute shift[0] = 31 must be an integer in [-31, 30]');
    expect(bad({ qmin: 5, qmax: 4 })).toThrow('qmin 5 > qmax 4: the clamp leaves no code');
    expect(bad({ qmax: 128 })).toThrow('attribute qmax = 128 must be an integer in [-128, 127]');
    expect(bad({ zeroPoint: -129 })).toThrow('attribute zeroPoint = -129 must be an integer in [-128, 127]');
    expect(bad({ padValue: 200 })).toThrow('attribute padValue = 200 must be an integer in [-128, 127]');
    expect(bad({ padValue: 0.5 })).toThrow('attribute padValue = 0.5');
  });
});

describe('QGemm inference', () => {
  it('gives [M, N] int8, with transB', () => {
    expect(infer(mk('QGemm', ['a', 'b', 'c'], qgemm()), [T('int8', 3, 5), T('int8', 5, 7), T('int32', 7)])).toEqual([T('int8', 3, 7)]);
    const per = qgemm({ transB: 1, multiplier: Array(7).fill(1 << 30), shift: Array(7).fill(-2) });
    expect(infer(mk('QGemm', ['a', 'b'], per), [T('int8', 3, 5), T('int8', 7, 5)])).toEqual([T('int8', 3, 7)]);
  });
  it('rejects mismatched K, ranks, bias and multiplier lengths', () => {
    expect(() => infer(mk('QGemm', ['a', 'b'], qgemm()), [T('int8', 3, 5), T('int8', 4, 7)])).toThrow("QGemm 'n1': inner dimensions differ: a [3,5] has K=5 but b [4,7] (transB=0) has K=4");
    expect(() => infer(mk('QGemm', ['a', 'b'], qgemm()), [T('int8', 1, 3, 5), T('int8', 5, 7)])).toThrow('input 0 (a) has rank 3 (shape [1,3,5]), expected rank 2');
    expect(() => infer(mk('QGemm', ['a', 'b', 'c'], qgemm()), [T('int8', 3, 5), T('int8', 5, 7), T('int32', 3)])).toThrow('input 2 (bias) has shape [3], expected [7] (one per output column)');
    const per = qgemm({ multiplier: [1 << 30, 1 << 30, 1 << 30], shift: [0, 0, 0] });
    expect(() => infer(mk('QGemm', ['a', 'b'], per), [T('int8', 3, 5), T('int8', 5, 7)])).toThrow('multiplier has 3 entries, expected 1 (per tensor) or 7 (one per output column)');
    expect(() => infer(mk('QGemm', ['a', 'b'], qgemm({ transB: 2 })), [T('int8', 3, 5), T('int8', 5, 7)])).toThrow('attribute transB = 2 must be an integer in [0, 1]');
  });
});

describe('the other integer ops', () => {
  it('QAdd broadcasts like Add', () => {
    expect(infer(mk('QAdd', ['a', 'b'], qadd), [T('int8', 1, 3, 4, 4), T('int8', 1, 3, 1, 1)])).toEqual([T('int8', 1, 3, 4, 4)]);
    expect(() => infer(mk('QAdd', ['a', 'b'], qadd), [T('int8', 2, 3), T('int8', 3, 2)])).toThrow('not broadcastable');
    expect(() => infer(mk('QAdd', ['a', 'b'], { ...qadd, leftShift: 24 }), [T('int8', 2), T('int8', 2)])).toThrow('attribute leftShift = 24 must be an integer in [0, 23]');
    expect(() => infer(mk('QAdd', ['a', 'b'], { ...qadd, bZeroPoint: 128 }), [T('int8', 2), T('int8', 2)])).toThrow('attribute bZeroPoint = 128');
    expect(() => infer(mk('QAdd', ['a', 'b'], qadd), [T('int8', 2), T('float32', 2)])).toThrow('input 1 (B) has dtype float32, expected int8');
  });
  it('QAveragePool and QGlobalAveragePool', () => {
    expect(infer(mk('QAveragePool', ['x'], { ...pool, strides: [2, 2], zeroPoint: -128 }), [T('int8', 1, 3, 5, 5)])).toEqual([T('int8', 1, 3, 2, 2)]);
    expect(infer(mk('QAveragePool', ['x'], { ...pool, ceil_mode: 1, strides: [2, 2], zeroPoint: 0 }), [T('int8', 1, 3, 5, 5)])).toEqual([T('int8', 1, 3, 3, 3)]);
    expect(() => infer(mk('QAveragePool', ['x'], { ...pool, zeroPoint: 0 }), [T('float32', 1, 3, 5, 5)])).toThrow('expected int8');
    expect(() => infer(mk('QAveragePool', ['x'], { ...pool, zeroPoint: 0, count_include_pad: 2 }), [T('int8', 1, 3, 5, 5)])).toThrow('count_include_pad = 2');
    expect(infer(mk('QGlobalAveragePool', ['x'], { zeroPoint: 3 }), [T('int8', 2, 3, 5, 4)])).toEqual([T('int8', 2, 3, 1, 1)]);
    expect(() => infer(mk('QGlobalAveragePool', ['x'], { zeroPoint: 3 }), [T('int8', 2, 3)])).toThrow('rank >= 3');
  });
  it('Requantize keeps the shape; per-channel along axis 1', () => {
    const a = { ...rq, inZeroPoint: -128 };
    expect(infer(mk('Requantize', ['x'], a), [T('int8', 2, 3, 4)])).toEqual([T('int8', 2, 3, 4)]);
    const per = { ...a, multiplier: [1 << 30, 1 << 30, 1 << 30], shift: [0, -1, -2] };
    expect(infer(mk('Requantize', ['x'], per), [T('int8', 2, 3, 4)])).toEqual([T('int8', 2, 3, 4)]);
    expect(() => infer(mk('Requantize', ['x'], per), [T('int8', 2, 4)])).toThrow('multiplier has 3 entries, expected 1 (per tensor) or 4 (one per channel (axis 1))');
    expect(() => infer(mk('Requantize', ['x'], per), [T('int8', 3)])).toThrow('per-channel multipliers (3) need an input of rank >= 2');
    expect(() => infer(mk('Requantize', ['x'], { ...a, inZeroPoint: 300 }), [T('int8', 3)])).toThrow('inZeroPoint = 300');
  });
  it('Quantize is float32 -> int8, Dequantize int8/int32 -> float32', () => {
    const q = { scale: 0.05, zeroPoint: -128, qmin: -128, qmax: 127 };
    expect(infer(mk('Quantize', ['x'], q), [T('float32', 1, 3)])).toEqual([T('int8', 1, 3)]);
    expect(() => infer(mk('Quantize', ['x'], q), [T('float64', 1, 3)])).toThrow('input 0 (x) has dtype float64, expected float32');
    for (const scale of [0, -1, Infinity, NaN]) expect(() => infer(mk('Quantize', ['x'], { ...q, scale }), [T('float32', 1)])).toThrow(`attribute scale = ${scale} must be finite and > 0`);
    expect(() => infer(mk('Quantize', ['x'], { ...q, qmin: -129 }), [T('float32', 1)])).toThrow('qmin = -129');
    expect(infer(mk('Dequantize', ['x'], { scale: 0.5, zeroPoint: 3 }), [T('int8', 4)])).toEqual([T('float32', 4)]);
    expect(infer(mk('Dequantize', ['x'], { scale: 0.5, zeroPoint: 0 }), [T('int32', 4)])).toEqual([T('float32', 4)]);
    expect(() => infer(mk('Dequantize', ['x'], { scale: 0.5, zeroPoint: 200 }), [T('int8', 4)])).toThrow('zeroPoint = 200 must be an integer in [-128, 127]');
    expect(() => infer(mk('Dequantize', ['x'], { scale: 0.5, zeroPoint: 0 }), [T('uint8', 4)])).toThrow('expected int8 or int32');
  });
  it('Round is float only', () => {
    expect(infer(mk('Round', ['x'], {}), [T('float32', 2, 2)])).toEqual([T('float32', 2, 2)]);
    expect(() => infer(mk('Round', ['x'], {}), [T('int8', 2)])).toThrow("Round 'n1': input 0 (X) has dtype int8, expected float32 or float64");
  });
  it('outputs carry no quant', () => {
    for (const t of infer(mk('QConv', ['x', 'w'], qconv()), [T('int8', 1, 1, 3, 3), T('int8', 1, 1, 1, 1)])) expect(t.quant).toBeUndefined();
  });
});

describe('int8 through the movement ops and the max pools', () => {
  it('keeps int8', () => {
    const x = T('int8', 1, 2, 4, 4);
    expect(infer(mk('MaxPool', ['x'], pool), [x])[0]).toEqual(T('int8', 1, 2, 3, 3));
    expect(infer(mk('GlobalMaxPool', ['x'], {}), [x])).toEqual([T('int8', 1, 2, 1, 1)]);
    expect(infer(mk('Reshape', ['x', 's'], { allowzero: 0 }), [x, T('int64', 2)], { s: i64(1, -1) })).toEqual([T('int8', 1, 32)]);
    expect(infer(mk('Flatten', ['x'], { axis: 1 }), [x])).toEqual([T('int8', 1, 32)]);
    expect(infer(mk('Transpose', ['x'], { perm: [0, 2, 3, 1] }), [x])).toEqual([T('int8', 1, 4, 4, 2)]);
    expect(infer(mk('Squeeze', ['x'], { axes: [0] }), [x])).toEqual([T('int8', 2, 4, 4)]);
    expect(infer(mk('Unsqueeze', ['x'], { axes: [0] }), [x])).toEqual([T('int8', 1, 1, 2, 4, 4)]);
    expect(infer(mk('Identity', ['x'], {}), [x])).toEqual([x]);
    expect(infer(mk('Concat', ['x', 'x'], { axis: 1 }), [x, x])).toEqual([T('int8', 1, 4, 4, 4)]);
    expect(infer(mk('Pad', ['x', 'p', 'v'], { mode: 'constant' }), [x, T('int64', 8), T('int8')], { p: i64(0, 0, 1, 1, 0, 0, 1, 1), v: scalar('int8', -128) })).toEqual([T('int8', 1, 2, 6, 6)]);
  });
  it('the average pools stay float (their integer forms are QAveragePool, QGlobalAveragePool)', () => {
    expect(() => infer(mk('GlobalAveragePool', ['x'], {}), [T('int8', 1, 2, 4, 4)])).toThrow('expected float32 or float64');
    expect(() => infer(mk('AveragePool', ['x'], pool), [T('int8', 1, 2, 4, 4)])).toThrow('expected float32 or float64');
  });
  it('a weight that is not constant is fine for inference (the verifier demands initializers)', () => {
    expect(() => infer(mk('QConv', ['x', 'w'], qconv()), [T('int8', 1, 1, 3, 3), T('int8', 1, 1, 1, 1)])).not.toThrow(NeedsConstantError);
  });
});

describe('stage quantized', () => {
  it('allows every op but float GEMMs and ONNX quantization ops', () => {
    expect(REALIZED_AWAY).toEqual(['Conv', 'Gemm', 'MatMul', 'ConvInteger', 'QLinearConv', 'MatMulInteger', 'QLinearMatMul', 'QuantizeLinear', 'DequantizeLinear']);
    expect([...STAGES.quantized.allowed].sort()).toEqual(OP_NAMES.filter((o) => !REALIZED_AWAY.includes(o)).sort());
    expect(STAGES.quantized.allowed.has('QConv')).toBe(true);
    expect(STAGES.quantized.allowed.has('Softmax')).toBe(true);
  });
  it('names the first float GEMM left behind', () => {
    const g = graph({
      name: 'half',
      inputs: { x: T('float32', 1, 4) },
      initializers: { w: tensor('float32', [4, 2]) },
      nodes: [mk('Relu', ['x'], {}, ['r'], 'relu'), mk('MatMul', ['r', 'w'], {}, ['y'], 'fc')],
      outputs: ['y'],
    });
    expect(() => checkStage(g, STAGES.quantized)).toThrow(/graph 'half' violates stage 'quantized' \(realized int8 graph: .*no float GEMM.*\): MatMul 'fc' is not allowed/);
  });
});
