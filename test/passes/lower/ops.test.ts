import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../../ir/dtype.js';
import type { ValueType } from '../../../ir/graph.js';
import { im2colFill, im2colGeometry, im2colSource } from '../../../ir/im2col.js';
import { inferNode } from '../../../ir/infer.js';
import type { Im2ColAttrs, Node, OpAttrs, RequantAttrs, TileGemmAttrs } from '../../../ir/ops.js';
import { type Tensor, tensor } from '../../../ir/tensor.js';
import { evaluateFloat } from '../../../runtime/float/index.js';
import { codes, lcg } from './qgraph.js';

// The lowered stage's ops on their own: inference, the one im2col layout (bulk and per element), and the
// reference kernels on hand-computed values.

const T = (dtype: DType, ...shape: number[]): ValueType => ({ dtype, shape });
const mk = <O extends 'Im2Col' | 'TileGemm' | 'Lift'>(op: O, inputs: string[], attrs: OpAttrs[O]): Node => ({ op, name: 'n', inputs, outputs: ['y'], attrs }) as Node;
const infer = (n: Node, types: ValueType[]): ValueType[] => inferNode(n, types, () => undefined);
const run = (n: Node, inputs: (Tensor | undefined)[]): Tensor => evaluateFloat(n, inputs)[0]!;

const im2col: Im2ColAttrs = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], padValue: 0, channelStart: 0, channels: 2 };
const rq: RequantAttrs = { multiplier: [1073741824], shift: [0], zeroPoint: 0, qmin: -128, qmax: 127 };
const tg = (over: Partial<TileGemmAttrs> = {}): TileGemmAttrs => ({ ...rq, gather: 'none', ...over });

describe('inference', () => {
  it('Im2Col gives [channels·Πkernel, N·Πout] and checks its attributes', () => {
    expect(infer(mk('Im2Col', ['x'], im2col), [T('int8', 2, 2, 5, 6)])).toEqual([T('int8', 18, 60)]);
    expect(infer(mk('Im2Col', ['x'], { ...im2col, kernel_shape: [2], strides: [2], pads: [0, 1], dilations: [2], channelStart: 1, channels: 3 }), [T('int8', 1, 4, 9)]))
      .toEqual([T('int8', 6, 4)]);
    const bad = (a: Partial<Im2ColAttrs>, x = T('int8', 1, 2, 5, 5)) => () => infer(mk('Im2Col', ['x'], { ...im2col, ...a }), [x]);
    expect(bad({}, T('float32', 1, 2, 5, 5))).toThrow("Im2Col 'n': input 0 (x) has dtype float32, expected int8");
    expect(bad({ channelStart: 1 })).toThrow("Im2Col 'n': channel range channelStart=1, channels=2 does not lie within the input's 2 channels");
    expect(bad({ pads: [1, 1] })).toThrow('pads has 2 values, expected 4');
    expect(bad({ strides: [0, 1] })).toThrow('strides [0,1] must hold integers >= 1');
    expect(bad({ padValue: 128 })).toThrow('attribute padValue = 128 must be an integer in [-128, 127]');
    expect(bad({ kernel_shape: [7, 1], pads: [0, 0, 0, 0] })).toThrow('input extent 5 is smaller than the window 7');
  });

  it('TileGemm gives [M, N] for a matrix B or for the im2col of its input', () => {
    expect(infer(mk('TileGemm', ['a', 'b', 'c'], tg()), [T('int8', 4, 6), T('int8', 6, 5), T('int32', 4)])).toEqual([T('int8', 4, 5)]);
    expect(infer(mk('TileGemm', ['a', 'x'], tg({ gather: 'im2col', ...im2col })), [T('int8', 3, 18), T('int8', 2, 2, 5, 6)])).toEqual([T('int8', 3, 60)]);
    const types = [T('int8', 4, 6), T('int8', 6, 5)];
    expect(() => infer(mk('TileGemm', ['a', 'b'], tg()), [T('int8', 4, 7), T('int8', 6, 5)])).toThrow("TileGemm 'n': inner dimensions differ: a [4,7] has K=7 but B has 6 rows");
    expect(() => infer(mk('TileGemm', ['a', 'b', 'c'], tg()), [...types, T('int32', 5)])).toThrow('input 2 (bias) has shape [5], expected [4] (one per output row)');
    expect(() => infer(mk('TileGemm', ['a', 'b'], tg({ multiplier: [1 << 30, 1 << 30], shift: [0, 0] })), types)).toThrow('multiplier has 2 entries, expected 1 (per tensor) or 4 (one per output row)');
    expect(() => infer(mk('TileGemm', ['a', 'b'], tg({ strides: [1, 1] })), types)).toThrow("gather 'none' takes no im2col attributes, got strides");
    expect(() => infer(mk('TileGemm', ['a', 'x'], tg({ gather: 'im2col', ...im2col, channels: undefined })), [T('int8', 3, 18), T('int8', 2, 2, 5, 6)]))
      .toThrow("gather 'im2col' needs the im2col attributes; missing channels");
    expect(() => infer(mk('TileGemm', ['a', 'x'], tg({ gather: 'im2col', ...im2col })), [T('int8', 3, 9), T('int8', 2, 2, 5, 6)]))
      .toThrow('inner dimensions differ: a [3,9] has K=9 but B (im2col of b [2,2,5,6]) has 18 rows');
  });

  it('Lift stacks group outputs into [N, ΣM, spatial...]', () => {
    expect(infer(mk('Lift', ['a', 'b'], { spatial: [2, 3] }), [T('int8', 3, 12), T('int8', 1, 12)])).toEqual([T('int8', 2, 4, 2, 3)]);
    expect(infer(mk('Lift', ['a'], { spatial: [] }), [T('int8', 3, 5)])).toEqual([T('int8', 5, 3)]);
    expect(() => infer(mk('Lift', ['a', 'b'], { spatial: [2, 3] }), [T('int8', 3, 12), T('int8', 1, 6)])).toThrow('input 1 has 6 columns but input 0 has 12');
    expect(() => infer(mk('Lift', ['a'], { spatial: [5] }), [T('int8', 3, 12)])).toThrow('inputs have 12 columns, not a multiple of the 5 output positions of spatial [5]');
  });
});

describe('the im2col layout', () => {
  it('im2colSource names the x element (or padding) that im2colFill writes, for random geometries', () => {
    const geo = fc.record({
      r: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), cs: fc.integer({ min: 0, max: 2 }),
      axes: fc.array(fc.record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), extra: fc.integer({ min: 0, max: 3 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }) }), { minLength: 3, maxLength: 3 }),
    });
    fc.assert(fc.property(geo, ({ r, n, c, cs, axes }) => {
      const ax = axes.slice(0, r);
      const xShape = [n, c + cs, ...ax.map((a) => (a.k - 1) * a.d + 1 + a.extra)];
      const attrs: Im2ColAttrs = {
        kernel_shape: ax.map((a) => a.k), strides: ax.map((a) => a.s), dilations: ax.map((a) => a.d), pads: [...ax.map((a) => a.pb), ...ax.map((a) => a.pe)],
        padValue: -7, channelStart: cs, channels: c,
      };
      const g = im2colGeometry(xShape, attrs, 't');
      const x = codes('int8', xShape, -128, 127, lcg(n * 31 + c));
      const out = new Int8Array(g.rows * g.cols);
      im2colFill(g, x.data, attrs.padValue, out);
      for (let row = 0; row < g.rows; row++) {
        for (let col = 0; col < g.cols; col++) {
          const at = im2colSource(g, row, col);
          expect(out[row * g.cols + col]).toBe(at < 0 ? -7 : x.data[at]);
        }
      }
    }), { seed: 31337, numRuns: 80 });
  });

  it('1-D with stride 2, dilation 2 and asymmetric pads, by hand', () => {
    // x = [1..7] on one channel; kernel 2, dilation 2, stride 2, pads [1, 2]: output 4 positions
    // starting at -1, 1, 3, 5; taps at +0 and +2.
    const x = tensor('int8', [1, 1, 7], [1, 2, 3, 4, 5, 6, 7]);
    const y = run(mk('Im2Col', ['x'], { kernel_shape: [2], strides: [2], dilations: [2], pads: [1, 2], padValue: -1, channelStart: 0, channels: 1 }), [x]);
    expect(y.shape).toEqual([2, 4]);
    expect(Array.from(y.data)).toEqual([-1, 2, 4, 6, /* */ 2, 4, 6, -1]);
  });
});

describe('kernels', () => {
  it('TileGemm: bias first, then requantized per row; gather equals the explicit matrix', () => {
    const a = tensor('int8', [2, 3], [1, 2, 3, -1, 0, 2]);
    const b = tensor('int8', [3, 2], [1, 2, 3, 4, 5, 6]);
    const bias = tensor('int32', [2], [10, -20]);
    // acc = [[22+10, 28+10], [9-20, 10-20]] = [[32, 38], [-11, -10]]; row 0 × 0.5, row 1 × 1 (shift 1 on 2^30)
    const y = run(mk('TileGemm', ['a', 'b', 'c'], tg({ multiplier: [1 << 30, 1 << 30], shift: [0, 1], zeroPoint: 3, qmin: -10, qmax: 20 })), [a, b, bias]);
    expect(Array.from(y.data)).toEqual([19, 20, -8, -7]);

    const x = codes('int8', [2, 2, 4, 3], -128, 127, lcg(9));
    const w = codes('int8', [3, 18], -128, 127, lcg(10));
    const matrix = run(mk('Im2Col', ['x'], im2col), [x]);
    const explicit = run(mk('TileGemm', ['w', 'm'], tg({ shift: [-9] })), [w, matrix]);
    const implicit = run(mk('TileGemm', ['w', 'x'], tg({ shift: [-9], gather: 'im2col', ...im2col })), [w, x]);
    expect(Array.from(implicit.data)).toEqual(Array.from(explicit.data));
  });

  it('TileGemm: an accumulator outside int32 is an error naming the element, not a wrap', () => {
    const a = tensor('int8', [1, 1], [127]), b = tensor('int8', [1, 1], [127]);
    const bias = tensor('int32', [1], [2147483647 - 127 * 127 + 1]);
    expect(() => run(mk('TileGemm', ['a', 'b', 'c'], tg()), [a, b, bias])).toThrow("TileGemm 'n': int32 accumulator overflow at output element 0");
  });

  it('Lift: out[n, m, p] = in_g[m, n·P + p], groups stacked along channels', () => {
    const g0 = tensor('int8', [1, 4], [1, 2, 3, 4]), g1 = tensor('int8', [2, 4], [5, 6, 7, 8, 9, 10, 11, 12]);
    const y = run(mk('Lift', ['a', 'b'], { spatial: [2] }), [g0, g1]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(Array.from(y.data)).toEqual([1, 2, 5, 6, 9, 10, /* n=1 */ 3, 4, 7, 8, 11, 12]);
  });
});
