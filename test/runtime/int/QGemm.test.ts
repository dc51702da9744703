import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QGemmAttrs } from '../../../ir/ops.js';
import { tensor } from '../../../ir/tensor.js';
import { QGemm } from '../../../runtime/int/QGemm.js';
import { node } from '../../runtime/float/make.js';
import { codes, requantRef } from './reference.js';

const attrs = (over: Partial<QGemmAttrs>): QGemmAttrs => ({ multiplier: [1073741824], shift: [0], zeroPoint: 0, qmin: -128, qmax: 127, transB: 0, ...over });

describe('QGemm kernel', () => {
  it('computes a small product by hand', () => {
    // a = [[1, 2], [3, -4]], b = [[5, 6, 7], [8, 9, 10]], bias [100, 0, -100]; M = 1/2 (m = 2^30, shift 0).
    const a = tensor('int8', [2, 2], [1, 2, 3, -4]), b = tensor('int8', [2, 3], [5, 6, 7, 8, 9, 10]);
    const bias = tensor('int32', [3], [100, 0, -100]);
    // acc = [[121, 24, -73], [83, -18, -119]]; halving is the doubling high multiply alone (shift 0), whose ties
    // go toward +Infinity (docs/arithmetic.md section 2): [[61, 12, -36], [42, -9, -59]], then + zero point 1.
    const y = QGemm(node('QGemm', attrs({ zeroPoint: 1 }), 3), [a, b, bias])[0]!;
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([62, 13, -35, 43, -8, -58]);
  });

  it('matches the per-element definition with transB, per-column multipliers and clamps (seeded)', () => {
    fc.assert(fc.property(fc.record({
      m: fc.integer({ min: 1, max: 5 }), k: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 7 }),
      transB: fc.integer({ min: 0, max: 1 }), perColumn: fc.boolean(), hasBias: fc.boolean(),
      zeroPoint: fc.integer({ min: -128, max: 127 }), clamp: fc.tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 })),
      shiftBase: fc.integer({ min: -16, max: 1 }), seed: fc.integer({ min: 1, max: 1 << 20 }),
    }), (c) => {
      const nm = c.perColumn ? c.n : 1;
      const mult = codes(nm, c.seed, 1 << 30, 2 ** 31 - 1), shift = codes(nm, c.seed + 1, c.shiftBase - 3, c.shiftBase);
      const [qmin, qmax] = [Math.min(...c.clamp), Math.max(...c.clamp)];
      const a = tensor('int8', [c.m, c.k], codes(c.m * c.k, c.seed + 2, -128, 127));
      const b = tensor('int8', c.transB ? [c.n, c.k] : [c.k, c.n], codes(c.k * c.n, c.seed + 3, -128, 127));
      const bias = c.hasBias ? tensor('int32', [c.n], codes(c.n, c.seed + 4, -(2 ** 24), 2 ** 24)) : undefined;
      const y = QGemm(node('QGemm', attrs({ transB: c.transB, multiplier: mult, shift, zeroPoint: c.zeroPoint, qmin, qmax }), 3), bias ? [a, b, bias] : [a, b])[0]!;
      const want: number[] = [];
      for (let i = 0; i < c.m; i++) {
        for (let j = 0; j < c.n; j++) {
          let acc = bias ? bias.data[j]! : 0;
          for (let k = 0; k < c.k; k++) acc += a.data[i * c.k + k]! * b.data[c.transB ? j * c.k + k : k * c.n + j]!;
          const q = c.perColumn ? j : 0;
          want.push(requantRef(acc, mult[q]!, shift[q]!, c.zeroPoint, qmin, qmax));
        }
      }
      expect(y.dtype).toBe('int8');
      expect(y.shape).toEqual([c.m, c.n]);
      expect(Array.from(y.data)).toEqual(want);
    }), { seed: 20250712, numRuns: 200 });
  });

  it('rejects an accumulator beyond int32 and bad operands', () => {
    const a = tensor('int8', [1, 2], [-128, -128]), b = tensor('int8', [2, 1], [-128, -128]);
    const k = node('QGemm', attrs({}), 3);
    expect(() => QGemm(k, [a, b, tensor('int32', [1], [2 ** 31 - 2 ** 15])])).toThrow("QGemm 'qgemm_1': int32 accumulator overflow at output element 0 (channel 0, output shape [1,1]): Σ w·x + bias 2147450880 = 2147483648, outside [-2^31, 2^31 - 1]");
    expect(() => QGemm(k, [a, tensor('int8', [3, 1])])).toThrow('inner dimensions differ: a [1,2] has K=2 but b [3,1] (transB=0) has K=3');
    expect(() => QGemm(k, [a, b, tensor('int32', [2])])).toThrow('input 2 (bias) has shape [2], expected [1] (one per output column)');
    expect(() => QGemm(node('QGemm', attrs({ multiplier: [1 << 30, 1 << 30], shift: [0, 0] }), 2), [a, b])).toThrow('multiplier has 2 entries, expected 1 (per tensor) or 1 (one per output column)');
    expect(() => QGemm(k, [tensor('int8', [2]), b])).toThrow('input 0 (a) has rank 1 (shape [2]), expected rank 2');
  });
});
