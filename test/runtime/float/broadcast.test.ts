import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { broadcastBinary, broadcastShape, broadcastStrides } from '../../../runtime/float/broadcast.js';
import { TilecError } from '../../../ir/errors.js';
import { numel, strides } from '../../../ir/tensor.js';
import { arange } from './make.js';

describe('broadcastShape', () => {
  it('right-aligns shapes and stretches size-1 dims', () => {
    expect(broadcastShape('Add \'a\'', [[2, 3, 4, 5], [5]])).toEqual([2, 3, 4, 5]);
    expect(broadcastShape('Add \'a\'', [[2, 1, 4], [3, 1]])).toEqual([2, 3, 4]);
    expect(broadcastShape('Sum \'s\'', [[1], [], [4, 1], [1, 6]])).toEqual([4, 6]);
    expect(broadcastShape('Add \'a\'', [[], []])).toEqual([]);
    expect(broadcastShape('Add \'a\'', [[0, 3], [1, 3]])).toEqual([0, 3]);
  });
  it('names the node, all shapes and the clashing dim', () => {
    expect(() => broadcastShape("Add 'a'", [[2, 3], [4, 3]])).toThrow(TilecError);
    expect(() => broadcastShape("Add 'a'", [[2, 3], [4, 3]])).toThrow("Add 'a': shapes [2,3] and [4,3] cannot be broadcast together (dim 0: 2 vs 4)");
  });
});

describe('broadcastStrides', () => {
  it('is 0 along stretched and missing dims', () => {
    expect(broadcastStrides([3, 1], [2, 3, 4])).toEqual([0, 1, 0]);
    expect(broadcastStrides([2, 3, 4], [2, 3, 4])).toEqual([12, 4, 1]);
    expect(broadcastStrides([], [2, 2])).toEqual([0, 0]);
  });
});

describe('broadcastBinary', () => {
  it('matches a per-element index computation on random shapes (seeded)', () => {
    // Random output shape, then each input drops leading dims and turns some dims into 1.
    const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });
    const shrink = (out: number[]) => fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
      .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i] ? 1 : d)));
    const cases = dims.chain((out) => fc.tuple(fc.constant(out), shrink(out), shrink(out)));
    fc.assert(fc.property(cases, ([, as, bs]) => {
      const a = arange('float64', as), b = arange('float64', bs);
      const shape = broadcastShape('t', [as, bs]);
      const out = new Float64Array(numel(shape));
      broadcastBinary(a, b, shape, out, (x, y) => x * 1000 + y);
      const os = strides(shape), sa = strides(as), sb = strides(bs);
      for (let i = 0; i < out.length; i++) {
        let ia = 0, ib = 0;
        for (let d = 0; d < shape.length; d++) {
          const k = Math.floor(i / os[d]!) % shape[d]!;
          const da = d - (shape.length - as.length), db = d - (shape.length - bs.length);
          if (da >= 0 && as[da] !== 1) ia += k * sa[da]!;
          if (db >= 0 && bs[db] !== 1) ib += k * sb[db]!;
        }
        if (out[i] !== ia * 1000 + ib) return false;
      }
      return true;
    }), { seed: 42, numRuns: 200 });
  });
});
