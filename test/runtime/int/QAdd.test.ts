import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addRescale } from '../../../ir/arith.js';
import { multiplyByQuantizedMultiplierRef } from '../../../ir/arith/fixedpoint-reference.js';
import type { QAddAttrs } from '../../../ir/ops.js';
import { tensor } from '../../../ir/tensor.js';
import { QAdd } from '../../../runtime/int/QAdd.js';
import { node } from '../../runtime/float/make.js';
import { codes, requantRef } from './reference.js';

function attrsFor(sa: number, sb: number, sy: number, za: number, zb: number, zy: number, qmin = -128, qmax = 127): QAddAttrs {
  const p = addRescale(sa, sb, sy);
  return {
    leftShift: p.leftShift, aMultiplier: p.a.multiplier, aShift: p.a.shift, aZeroPoint: za,
    bMultiplier: p.b.multiplier, bShift: p.b.shift, bZeroPoint: zb, outMultiplier: p.out.multiplier, outShift: p.out.shift,
    zeroPoint: zy, qmin, qmax,
  };
}

/** Section 11 per element: both centred inputs shifted left, rescaled, summed, requantized. */
function addRef(qa: number, qb: number, t: QAddAttrs): number {
  const ra = multiplyByQuantizedMultiplierRef((qa - t.aZeroPoint) * 2 ** t.leftShift, t.aMultiplier, t.aShift);
  const rb = multiplyByQuantizedMultiplierRef((qb - t.bZeroPoint) * 2 ** t.leftShift, t.bMultiplier, t.bShift);
  return requantRef(ra + rb, t.outMultiplier, t.outShift, t.zeroPoint, t.qmin, t.qmax);
}

describe('QAdd kernel', () => {
  it('gives the worked example of section 11', () => {
    const t = attrsFor(0.0625, 0.09375, 0.125, 0, 10, 0);
    const y = QAdd(node('QAdd', t, 2), [tensor('int8', [1], [40]), tensor('int8', [1], [-30])])[0]!;
    expect(Array.from(y.data)).toEqual([-10]);
  });

  it('matches the definition with broadcasting (seeded)', () => {
    const scale = fc.double({ min: 0.001, max: 1, noNaN: true }).map(Math.fround);
    fc.assert(fc.property(fc.record({
      sa: scale, sb: scale, sy: scale, za: fc.integer({ min: -128, max: 127 }), zb: fc.integer({ min: -128, max: 127 }), zy: fc.integer({ min: -128, max: 127 }),
      shapes: fc.constantFrom<number[][]>([[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [3, 1]], [[1, 4], [3, 1]], [[5], []], [[2, 1, 3], [1, 4, 1]]),
      swap: fc.boolean(), seed: fc.integer({ min: 1, max: 1 << 20 }),
    }), (c) => {
      const [sa, sb] = c.swap ? [c.shapes[1]!, c.shapes[0]!] : [c.shapes[0]!, c.shapes[1]!];
      const t = attrsFor(c.sa, c.sb, c.sy, c.za, c.zb, c.zy);
      const na = sa.reduce((x, y) => x * y, 1), nb = sb.reduce((x, y) => x * y, 1);
      const a = tensor('int8', sa, codes(na, c.seed, -128, 127)), b = tensor('int8', sb, codes(nb, c.seed + 1, -128, 127));
      const y = QAdd(node('QAdd', t, 2), [a, b])[0]!;
      // Broadcast by hand: right-aligned index arithmetic.
      const rank = Math.max(sa.length, sb.length);
      const out = Array.from({ length: rank }, (_, i) => Math.max(sa[i - rank + sa.length] ?? 1, sb[i - rank + sb.length] ?? 1));
      expect(y.shape).toEqual(out);
      const at = (shape: readonly number[], idx: number[]): number => {
        let f = 0;
        shape.forEach((d, i) => { f = f * d + (d === 1 ? 0 : idx[i + rank - shape.length]!); });
        return f;
      };
      const want: number[] = [];
      const n = out.reduce((x, y) => x * y, 1);
      for (let i = 0; i < n; i++) {
        const idx = out.map((_, d) => Math.floor(i / out.slice(d + 1).reduce((x, y) => x * y, 1)) % out[d]!);
        want.push(addRef(a.data[at(sa, idx)]!, b.data[at(sb, idx)]!, t));
      }
      expect(Array.from(y.data)).toEqual(want);
    }), { seed: 20250713, numRuns: 150 });
  });

  it('gives every one of the 256 x 256 input pairs right on a tensor large enough for the lookup table', () => {
    // [256, 1] + [1, 256]: 65,536 outputs, the size from which QAdd reads a precomputed table.
    const t = attrsFor(0.05, 0.0173, 0.061, -7, 12, 3, -128, 100);
    const all = Array.from({ length: 256 }, (_, i) => i - 128);
    const y = QAdd(node('QAdd', t, 2), [tensor('int8', [256, 1], all), tensor('int8', [1, 256], all)])[0]!;
    const want = new Int8Array(256 * 256);
    for (let i = 0; i < 256; i++) for (let j = 0; j < 256; j++) want[i * 256 + j] = addRef(all[i]!, all[j]!, t);
    expect(Buffer.from(y.data.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });

  it('rejects bad attributes and shapes', () => {
    const t = attrsFor(0.1, 0.1, 0.1, 0, 0, 0);
    expect(() => QAdd(node('QAdd', { ...t, aMultiplier: 7 }, 2), [tensor('int8', [1]), tensor('int8', [1])])).toThrow("QAdd 'qadd_1': attribute aMultiplier = 7 must be 0 or an integer in [2^30, 2^31)");
    expect(() => QAdd(node('QAdd', t, 2), [tensor('int8', [2]), tensor('int8', [3])])).toThrow("QAdd 'qadd_1': shapes [2] and [3] cannot be broadcast together");
  });
});
