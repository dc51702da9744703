import { describe, expect, it } from 'vitest';
import { graphDiff } from '../../ir/equal.js';
import { OP_NAMES } from '../../ir/ops.js';
import { parseGraph } from '../../ir/parse.js';
import { printGraph } from '../../ir/print.js';
import { scalar, tensor } from '../../ir/tensor.js';
import { verifyGraph } from '../../ir/verify.js';
import type { QuantParams } from '../../ir/graph.js';
import { T, graph, i64, mk } from './build.js';
import { withQuants } from './quant-ops-fixture.js';

// One valid graph that uses every op of the IR: inference types it, the verifier accepts it, and the
// text form round-trips it. Adding an op to ir/ops.ts without an example here fails the first test.

const conv = { group: 1, auto_pad: 'NOTSET' as const };
const pool = { kernel_shape: [2, 2], auto_pad: 'NOTSET' as const, ceil_mode: 0, count_include_pad: 0, storage_order: 0 };

const rq8 = { zeroPoint: 0, qmin: -128, qmax: 127 };
const requant = { multiplier: [1073741824], shift: [0], ...rq8 };
const act = (scale: number): QuantParams => ({ scale: [scale], zeroPoint: [0], bits: 8 });
const im2col = { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], padValue: 0, channelStart: 0, channels: 2 };

const g = withQuants(graph({
  name: 'every op',
  inputs: { x: T('float32', 1, 2, 6, 6) },
  initializers: {
    w: tensor('float32', [3, 2, 3, 3]), b: tensor('float32', [3]), b4: tensor('float32', [4]), c3: tensor('float32', [3], [1, 2, 3]),
    s: scalar('float32', 0.05), zu: scalar('uint8', 128), zi: scalar('int8', 0), wq: tensor('int8', [3, 2, 1, 1]),
    bq: tensor('int32', [3]), shape: i64(1, -1), axes: i64(-1), pads: i64(0, 0, 1, 1, 0, 0, 1, 1), shp: i64(2, 2),
    idx: i64(0, 2), m: tensor('float32', [4, 3]), mq: tensor('uint8', [4, 3]), lo: scalar('float32', 0), hi: scalar('float32', 6),
    wg: tensor('int8', [3, 2]),
  },
  nodes: [
    mk('Identity', ['x'], {}, ['x1'], 'identity'),
    mk('Dropout', ['x1'], { ratio: 0.5 }, ['x2', 'mask'], 'dropout'),
    mk('Conv', ['x2', 'w', 'b'], { ...conv, pads: [1, 1, 1, 1] }, ['c'], 'conv'),
    mk('BatchNormalization', ['c', 'c3', 'b', 'b', 'c3'], { epsilon: 1e-5 }, ['bn'], 'bn'),
    mk('Relu', ['bn'], {}, ['r'], 'relu'),
    mk('Clip', ['r', 'lo', 'hi'], {}, ['cl'], 'clip'),
    mk('LeakyRelu', ['cl'], { alpha: 0.01 }, ['lr'], 'leaky'),
    mk('Sigmoid', ['lr'], {}, ['sg'], 'sigmoid'),
    mk('LRN', ['sg'], { alpha: 1e-4, beta: 0.75, bias: 1, size: 3 }, ['lrn'], 'lrn'),
    mk('MaxPool', ['lrn'], pool, ['mp', 'mpi'], 'maxpool'),
    mk('AveragePool', ['lrn'], { ...pool, strides: [2, 2] }, ['ap'], 'avgpool'),
    mk('GlobalAveragePool', ['mp'], {}, ['gap'], 'gap'),
    mk('GlobalMaxPool', ['ap'], {}, ['gmp'], 'gmp'),
    mk('Add', ['gap', 'gmp'], {}, ['add'], 'add'),
    mk('Sub', ['add', 's'], {}, ['sub'], 'sub'),
    mk('Mul', ['sub', 's'], {}, ['mul'], 'mul'),
    mk('Div', ['mul', 's'], {}, ['div'], 'div'),
    mk('Sum', ['div', 'add', 'sub'], {}, ['sum'], 'sum'),
    mk('Flatten', ['sum'], { axis: 1 }, ['flat'], 'flatten'),
    mk('Gemm', ['flat', 'm', 'b4'], { alpha: 1, beta: 1, transA: 0, transB: 1 }, ['fc'], 'gemm'),
    mk('MatMul', ['fc', 'm'], {}, ['mm'], 'matmul'),
    mk('Softmax', ['mm'], { axis: -1, coerce2d: false }, ['sm'], 'softmax'),
    mk('Reshape', ['sm', 'shape'], { allowzero: 0 }, ['rs'], 'reshape'),
    mk('Transpose', ['rs'], {}, ['tr'], 'transpose'),
    mk('Squeeze', ['tr', 'axes'], {}, ['sq'], 'squeeze'),
    mk('Unsqueeze', ['sq'], { axes: [0] }, ['us'], 'unsqueeze'),
    mk('Concat', ['us', 'us'], { axis: -1 }, ['cat'], 'concat'),
    mk('Pad', ['c', 'pads'], { mode: 'constant' }, ['pad'], 'pad'),
    mk('Shape', ['pad'], { start: 0 }, ['shape_of'], 'shape'),
    mk('Gather', ['shape_of', 'idx'], { axis: 0 }, ['g'], 'gather'),
    mk('Constant', [], { value: scalar('float32', 1.5) }, ['k'], 'constant'),
    mk('ConstantOfShape', ['shp'], { value: tensor('int64', [1], [7]) }, ['cos'], 'constant_of_shape'),
    mk('QuantizeLinear', ['x', 's', 'zu'], { axis: 1 }, ['xq'], 'quantize'),
    mk('QLinearConv', ['xq', 's', 'zu', 'wq', 's', 'zi', 's', 'zu', 'bq'], conv, ['qc'], 'qlinearconv'),
    mk('ConvInteger', ['xq', 'wq', 'zu', 'zi'], conv, ['ci'], 'convinteger'),
    mk('DequantizeLinear', ['qc', 's', 'zu'], { axis: 1 }, ['dq'], 'dequantize'),
    mk('Transpose', ['mq'], {}, ['mqt'], 'transpose_q'),
    mk('QLinearMatMul', ['mq', 's', 'zu', 'mqt', 's', 'zu', 's', 'zi'], {}, ['qmm'], 'qlinearmatmul'),
    mk('MatMulInteger', ['mq', 'mqt', 'zu', 'zu'], {}, ['mmi'], 'matmulinteger'),
    // tilec's realized int8 ops (their values carry quant params, set below).
    mk('Round', ['x'], {}, ['xr'], 'round'),
    mk('Quantize', ['xr'], { scale: 0.05, ...rq8 }, ['x8'], 'q_quantize'),
    mk('QConv', ['x8', 'wq', 'bq'], { ...conv, ...requant, padValue: 0 }, ['qconv'], 'qconv'),
    mk('QAveragePool', ['qconv'], { ...pool, zeroPoint: 0 }, ['qap'], 'qavgpool'),
    mk('QGlobalAveragePool', ['qconv'], { zeroPoint: 0 }, ['qgap'], 'qgap'),
    mk('Flatten', ['qgap'], { axis: 1 }, ['qflat'], 'flatten_q'),
    mk('QGemm', ['qflat', 'wg'], { ...requant, transB: 0 }, ['qg'], 'qgemm'),
    mk('QAdd', ['qg', 'qg'], {
      leftShift: 20, aMultiplier: 1073741824, aShift: 0, aZeroPoint: 0, bMultiplier: 1073741824, bShift: 0, bZeroPoint: 0,
      outMultiplier: 1073741824, outShift: -20, ...rq8,
    }, ['qadd'], 'qadd'),
    mk('Requantize', ['qadd'], { ...requant, inZeroPoint: 0 }, ['rq'], 'requantize'),
    mk('Dequantize', ['rq'], { scale: 0.8, zeroPoint: 0 }, ['dq8'], 'q_dequantize'),
    // the lowered stage's ops (passes/lower): a 1x1 conv as explicit and as gathering (implicit im2col) GEMM
    mk('Im2Col', ['x8'], im2col, ['cols'], 'im2col'),
    mk('TileGemm', ['wg', 'cols'], { ...requant, gather: 'none' }, ['tg'], 'tilegemm'),
    mk('TileGemm', ['wg', 'x8'], { ...requant, gather: 'im2col', ...im2col }, ['tgi'], 'tilegemm_gather'),
    mk('Lift', ['tg', 'tgi'], { spatial: [6, 6] }, ['lift'], 'lift'),
  ],
  outputs: ['cat', 'g', 'k', 'cos', 'dq', 'ci', 'qmm', 'mmi', 'mask', 'mpi', 'qap', 'dq8', 'lift'],
}), {
  cols: act(0.05), tg: act(0.1), tgi: act(0.1), lift: act(0.1),
  x8: act(0.05), qconv: act(0.1), qap: act(0.1), qgap: act(0.1), qflat: act(0.1), qg: act(0.2), qadd: act(0.4), rq: act(0.8),
  wq: { scale: [0.01], zeroPoint: [0], bits: 8 }, bq: { scale: [0.0005], zeroPoint: [0], bits: 32 }, wg: { scale: [0.02], zeroPoint: [0], bits: 8 },
});

describe('a graph with every op', () => {
  it('uses every op', () => {
    expect(new Set(g.nodes.map((n) => n.op))).toEqual(new Set(OP_NAMES));
  });
  it('has the types inference gives', () => {
    const t = (v: string) => g.values.get(v);
    expect(t('c')).toEqual(T('float32', 1, 3, 6, 6));
    expect(t('mp')).toEqual(T('float32', 1, 3, 5, 5));
    expect(t('mpi')).toEqual(T('int64', 1, 3, 5, 5));
    expect(t('ap')).toEqual(T('float32', 1, 3, 3, 3));
    expect(t('flat')).toEqual(T('float32', 1, 3));
    expect(t('fc')).toEqual(T('float32', 1, 4));
    expect(t('mm')).toEqual(T('float32', 1, 3));
    expect(t('cat')).toEqual(T('float32', 1, 6));
    expect(t('pad')).toEqual(T('float32', 1, 3, 8, 8));
    expect(t('g')).toEqual(T('int64', 2));
    expect(t('cos')).toEqual(T('int64', 2, 2));
    expect(t('qc')).toEqual(T('uint8', 1, 3, 6, 6));
    expect(t('ci')).toEqual(T('int32', 1, 3, 6, 6));
    expect(t('dq')).toEqual(T('float32', 1, 3, 6, 6));
    expect(t('qmm')).toEqual(T('int8', 4, 4));
    expect(t('mmi')).toEqual(T('int32', 4, 4));
    expect(t('mask')).toEqual(T('bool', 1, 2, 6, 6));
    expect(t('qconv')).toEqual({ ...T('int8', 1, 3, 6, 6), quant: act(0.1) });
    expect(t('qap')).toEqual({ ...T('int8', 1, 3, 5, 5), quant: act(0.1) });
    expect(t('qg')).toEqual({ ...T('int8', 1, 2), quant: act(0.2) });
    expect(t('dq8')).toEqual(T('float32', 1, 2));
    expect(t('cols')).toEqual({ ...T('int8', 2, 36), quant: act(0.05) });
    expect(t('lift')).toEqual({ ...T('int8', 1, 6, 6, 6), quant: act(0.1) });
  });
  it('verifies and round-trips through text', () => {
    verifyGraph(g);
    const text = printGraph(g);
    const back = parseGraph(text, 'every-op.ir');
    expect(graphDiff(back, g)).toBeUndefined();
    expect(printGraph(back)).toBe(text);
    verifyGraph(back);
  });
});
