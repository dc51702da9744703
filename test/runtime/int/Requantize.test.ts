import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantizeMultiplier } from '../../../ir/arith.js';
import type { RequantizeAttrs } from '../../../ir/ops.js';
import { numel, tensor } from '../../../ir/tensor.js';
import { Requantize } from '../../../runtime/int/Requantize.js';
import { node } from '../../runtime/float/make.js';
import { codes, requantRef } from './reference.js';

const attrs = (over: Partial<RequantizeAttrs>): RequantizeAttrs => ({ multiplier: [1073741824], shift: [1], zeroPoint: 0, qmin: -128, qmax: 127, inZeroPoint: 0, ...over });

describe('Requantize kernel', () => {
  it('rescales codes: 4-bit at scale 0.25 to 4-bit at 0.125 with a new zero point, and clamps (ReLU)', () => {
    const m = quantizeMultiplier(0.25 / 0.125);
    const a = attrs({ multiplier: [m.multiplier], shift: [m.shift], inZeroPoint: 0, zeroPoint: -8, qmin: -8, qmax: 7 });
    expect(Array.from(Requantize(node('Requantize', a), [tensor('int8', [5], [-8, -1, 0, 3, 7])])[0]!.data)).toEqual([-8, -8, -8, -2, 6]);
    // An identity multiplier with a ReLU clamp: real 0 is code inZeroPoint = zeroPoint = -3.
    const relu = attrs({ multiplier: [1073741824], shift: [1], inZeroPoint: -3, zeroPoint: -3, qmin: -3 });
    expect(Array.from(Requantize(node('Requantize', relu), [tensor('int8', [4], [-128, -4, -3, 100])])[0]!.data)).toEqual([-3, -3, -3, 100]);
  });

  it('matches the definition per tensor and per channel along axis 1 (seeded)', () => {
    fc.assert(fc.property(fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), perChannel: fc.boolean(),
      inZp: fc.integer({ min: -128, max: 127 }), zp: fc.integer({ min: -128, max: 127 }), shiftBase: fc.integer({ min: -6, max: 2 }),
      clamp: fc.tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 })), seed: fc.integer({ min: 1, max: 1 << 20 }),
    }), (c) => {
      const ch = c.shape[1]!, nm = c.perChannel ? ch : 1;
      const mult = codes(nm, c.seed, 1 << 30, 2 ** 31 - 1), shift = codes(nm, c.seed + 1, c.shiftBase - 2, c.shiftBase);
      const [qmin, qmax] = [Math.min(...c.clamp), Math.max(...c.clamp)];
      const x = tensor('int8', c.shape, codes(numel(c.shape), c.seed + 2, -128, 127));
      const a = attrs({ multiplier: mult, shift, inZeroPoint: c.inZp, zeroPoint: c.zp, qmin, qmax });
      const inner = numel(c.shape.slice(2));
      const want = Array.from(x.data, (q, i) => {
        const k = c.perChannel ? Math.floor(i / inner) % ch : 0;
        return requantRef(q - c.inZp, mult[k]!, shift[k]!, c.zp, qmin, qmax);
      });
      const y = Requantize(node('Requantize', a), [x])[0]!;
      expect(y.shape).toEqual(c.shape);
      expect(Array.from(y.data)).toEqual(want);
    }), { seed: 20250716, numRuns: 150 });
  });

  it('rejects bad lengths', () => {
    const per = attrs({ multiplier: [1 << 30, 1 << 30], shift: [0, 0] });
    expect(() => Requantize(node('Requantize', per), [tensor('int8', [1, 3, 2])])).toThrow("Requantize 'requantize_1': multiplier has 2 entries, expected 1 (per tensor) or 3 (one per channel (axis 1))");
    expect(() => Requantize(node('Requantize', per), [tensor('int8', [2])])).toThrow('per-channel multipliers (2) need an input of rank >= 2 (channels on axis 1), got shape [2]');
    expect(() => Requantize(node('Requantize', attrs({ inZeroPoint: -129 })), [tensor('int8', [2])])).toThrow('attribute inZeroPoint = -129');
  });
});
