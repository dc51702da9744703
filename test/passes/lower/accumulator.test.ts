import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INT32_MAX, INT32_MIN, accumulatorRange, fitsInt32, requantize } from '../../../ir/arith.js';
import { UnsupportedError } from '../../../ir/errors.js';
import type { Graph } from '../../../ir/graph.js';
import type { NodeOf } from '../../../ir/ops.js';
import { tensor } from '../../../ir/tensor.js';
import { checkAccumulators } from '../../../passes/lower/accumulator.js';
import { lower, qconvGraph, qgemmGraph, runY } from './qgraph.js';

// Accumulator safety: a TileGemm whose rows could leave int32 in some summation order is refused with an error
// naming the layer and the row; a layer exactly at the limit is lowered and runs bit-exact.

/** The graph with its weight set to `w` everywhere and its bias (one value per channel) to `b`. */
function withConstants(g: Graph, w: number, b: number): Graph {
  const initializers = new Map(g.initializers);
  const wt = g.initializers.get('w')!, bt = g.initializers.get('b')!;
  initializers.set('w', tensor('int8', wt.shape, new Array<number>(wt.data.length).fill(w)));
  initializers.set('b', tensor('int32', bt.shape, new Array<number>(bt.data.length).fill(b)));
  return { ...g, initializers };
}

const fc9 = qgemmGraph({ m: 2, k: 9, n: 3, transB: 1, perChannel: false, bias: true, xBits: 8, seed: 5 });
// Every weight 127 and codes in [-128, 127]: Σ ranges over [-9·127·128, 9·127·127].
const sumMax = 9 * 127 * 127;

describe('accumulator safety', () => {
  it('refuses a QGemm whose bias plus products can pass 2^31 - 1, naming the layer and the row', () => {
    const g = withConstants(fc9, 127, INT32_MAX - sumMax + 1);
    expect(() => lower(g)).toThrow(UnsupportedError);
    expect(() => lower(g)).toThrow(
      "QGemm 'fc': output column 0 can overflow the int32 accumulator: bias 2147338487 plus 9 products of its int8 weights with input codes in [-128, 127] "
      + 'range over [-146304, 2147483648] in some summation order, outside [-2147483648, 2147483647]; '
      + 'the complete sum itself can reach [2147192183, 2147483648], so no split of K can help. '
      + 'The layer cannot run on int32 accumulators: quantize it with fewer weight or activation bits, or a smaller bias');
  });

  it('lowers the same layer one below the limit, and the extreme input hits 2^31 - 1 exactly, bit-exact with QGemm', () => {
    const g = withConstants(fc9, 127, INT32_MAX - sumMax);
    const low = lower(g);
    const x = tensor('int8', [2, 9], new Array<number>(18).fill(127));
    const feeds = new Map([['x', x]]);
    const want = runY(g, feeds);
    expect(Array.from(runY(low, feeds))).toEqual(Array.from(want));
    const { multiplier, shift, zeroPoint, qmin, qmax } = (g.nodes[0] as NodeOf<'QGemm'>).attrs;
    expect(want[0]).toBe(requantize(INT32_MAX, multiplier[0]!, shift[0]!, zeroPoint, qmin, qmax));
  });

  it('refuses a grouped QConv naming the output channel and its group; the bound uses the input bit width', () => {
    const g = qconvGraph({
      batch: 1, group: 2, cPerGroup: 1, oPerGroup: 2, spatial: [3, 3], kernel: [3, 3], autoPad: 'NOTSET',
      xBits: 4, wBits: 8, perChannel: true, bias: true, seed: 3,
    });
    // 4-bit codes in [-8, 7]: 9 taps of weight -128 reach 9·(-128)·(-8) = 9216 above the bias.
    const ok = withConstants(g, -128, INT32_MAX - 9216);
    expect(() => lower(ok)).not.toThrow();
    const bad = withConstants(g, -128, INT32_MAX - 9215);
    expect(() => lower(bad)).toThrow("QConv 'conv': output channel 0 (group 0) can overflow the int32 accumulator");
    expect(() => lower(bad)).toThrow('input codes in [-8, 7]');
  });

  it('refuses exactly the rows whose accumulator range leaves int32 (the bound that skips reading a row is sound)', () => {
    // Biases near both limits and near the bound k·128·max|x| that lets a row be accepted unread.
    const bias = fc.oneof(fc.integer({ min: INT32_MIN, max: INT32_MAX }),
      fc.integer({ min: 0, max: 40_000 }).map((d) => INT32_MAX - d), fc.integer({ min: 0, max: 40_000 }).map((d) => INT32_MIN + d));
    fc.assert(fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: 40 }), fc.array(bias, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: -128, max: 0 }), fc.integer({ min: 0, max: 127 }), (row, biases, xmin, xmax) => {
        const k = row.length;
        const a = tensor('int8', [biases.length, k], biases.flatMap(() => row));
        const refused = biases.findIndex((b) => { const [lo, hi] = accumulatorRange(row, 0, k, xmin, xmax, b); return !fitsInt32(lo, hi); });
        const check = () => checkAccumulators("TileGemm 't'", a, tensor('int32', [biases.length], biases), [xmin, xmax], (m) => `row ${m}`);
        if (refused < 0) expect(check).not.toThrow();
        else expect(check).toThrow(`TileGemm 't': row ${refused} can overflow`);
      }), { seed: 20261127, numRuns: 300 });
  });

  it('says when only partial sums taken before the bias overflow (the complete sum fits)', () => {
    // 133,200 weights of 127 against codes in [0, 127] sum to at most 2,148,382,800 > 2^31 - 1; a bias of -10^9
    // keeps the complete sum inside int32, but a partial sum without the bias does not.
    const k = 133_200;
    const a = tensor('int8', [1, k], new Array<number>(k).fill(127));
    const bias = tensor('int32', [1], [-1e9]);
    expect(() => checkAccumulators("TileGemm 't'", a, bias, [0, 127], (m) => `row ${m}`)).toThrow(
      "TileGemm 't': row 0 can overflow the int32 accumulator: bias -1000000000 plus 133200 products of its int8 weights with input codes in [0, 127] "
      + 'range over [-1000000000, 2148382800] in some summation order, outside [-2147483648, 2147483647]; '
      + 'the complete sum always fits, but partial sums taken before the bias is added reach [0, 2148382800]');
    expect(() => checkAccumulators("TileGemm 't'", a, undefined, [0, 127], (m) => `row ${m}`)).toThrow('so no split of K can help');
    expect(() => checkAccumulators("TileGemm 't'", tensor('int8', [1, k - 100], new Array<number>(k - 100).fill(127)), bias, [0, 127], (m) => `row ${m}`)).not.toThrow();
  });
});
