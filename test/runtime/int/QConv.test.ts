import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TilecError } from '../../../ir/errors.js';
import { windowGeometry } from '../../../ir/geometry.js';
import type { AutoPad, QConvAttrs } from '../../../ir/ops.js';
import { numel, tensor } from '../../../ir/tensor.js';
import { QConv } from '../../../runtime/int/QConv.js';
import { node } from '../../runtime/float/make.js';
import { codes, convAccRef, requantRef } from './reference.js';

const attrs = (over: Partial<QConvAttrs>): QConvAttrs => ({
  group: 1, auto_pad: 'NOTSET', multiplier: [1073741824], shift: [0], zeroPoint: 0, qmin: -128, qmax: 127, padValue: 0, ...over,
});

describe('QConv kernel', () => {
  it('computes the worked example of docs/arithmetic.md section 7 (folded zero point)', () => {
    // One output channel, K = 4 as a 1x4 kernel: Σ w·x + b' = -17372 - 2671 = -20043 -> -72, and 0 with ReLU.
    const x = tensor('int8', [1, 1, 1, 4], [-128, -60, 0, 127]);
    const w = tensor('int8', [1, 1, 1, 4], [12, -7, 100, -128]);
    const b = tensor('int32', [1], [-2671]);
    const a = attrs({ multiplier: [1982292598], shift: [-8] });
    expect(Array.from(QConv(node('QConv', a, 3), [x, w, b])[0]!.data)).toEqual([-72]);
    expect(Array.from(QConv(node('QConv', { ...a, qmin: 0 }, 3), [x, w, b])[0]!.data)).toEqual([0]);
  });

  it('pads with padValue, so padded taps add w·z_x that the folded bias cancels', () => {
    // 1-D, kernel [1, 1], pads 1: the first output sees (pad, x0), the last (x1, pad).
    const x = tensor('int8', [1, 1, 2], [10, 20]), w = tensor('int8', [1, 1, 2], [1, 1]);
    const identity = attrs({ pads: [1, 1], multiplier: [1073741824], shift: [1], padValue: -5 }); // M = 1
    expect(Array.from(QConv(node('QConv', identity, 2), [x, w])[0]!.data)).toEqual([5, 30, 15]);
  });

  it('matches the per-element definition on random grouped, depthwise, strided, padded, dilated convolutions (seeded)', () => {
    const autoPads: AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];
    const dim = fc.record({ size: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }) });
    const caseArb = fc.record({
      rank: fc.integer({ min: 1, max: 3 }),
      n: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 5 }),
      mg: fc.integer({ min: 1, max: 3 }),
      depthwise: fc.boolean(),
      dims: fc.array(dim, { minLength: 3, maxLength: 3 }),
      autoPad: fc.constantFrom(...autoPads),
      perChannel: fc.boolean(),
      hasBias: fc.boolean(),
      padValue: fc.integer({ min: -128, max: 127 }),
      zeroPoint: fc.integer({ min: -128, max: 127 }),
      clamp: fc.tuple(fc.integer({ min: -128, max: 127 }), fc.integer({ min: -128, max: 127 })),
      shiftBase: fc.integer({ min: -14, max: 1 }),
      seed: fc.integer({ min: 1, max: 1 << 20 }),
    });
    fc.assert(fc.property(caseArb, (c) => {
      const dims = c.dims.slice(0, c.rank).map((d) => ({ ...d, size: Math.max(d.size, (d.k - 1) * d.d + 1) }));
      // Depthwise: one input channel per group and as many groups as channels.
      const [group, cg] = c.depthwise ? [c.group * c.cg, 1] : [c.group, c.cg];
      const C = cg * group, M = c.mg * group;
      const xShape = [c.n, C, ...dims.map((d) => d.size)], wShape = [M, cg, ...dims.map((d) => d.k)];
      const nMult = c.perChannel ? M : 1;
      const mult = codes(nMult, c.seed + 1, 1 << 30, 2 ** 31 - 1);
      const shift = codes(nMult, c.seed + 2, c.shiftBase - 3, c.shiftBase);
      const [qmin, qmax] = [Math.min(...c.clamp), Math.max(...c.clamp)];
      const a = attrs({
        group, auto_pad: c.autoPad, strides: dims.map((d) => d.s), dilations: dims.map((d) => d.d),
        ...(c.autoPad === 'NOTSET' ? { pads: [...dims.map((d) => d.pb), ...dims.map((d) => d.pe)] } : {}),
        multiplier: mult, shift, zeroPoint: c.zeroPoint, qmin, qmax, padValue: c.padValue,
      });
      const x = tensor('int8', xShape, codes(numel(xShape), c.seed + 3, -128, 127));
      const w = tensor('int8', wShape, codes(numel(wShape), c.seed + 4, -128, 127));
      const b = c.hasBias ? tensor('int32', [M], codes(M, c.seed + 5, -(2 ** 22), 2 ** 22)) : undefined;
      const [y] = QConv(node('QConv', a, 3), b ? [x, w, b] : [x, w]);
      const geo = windowGeometry(xShape.slice(2), wShape.slice(2), a, 't');
      expect(y!.dtype).toBe('int8');
      expect(y!.shape).toEqual([c.n, M, ...geo.out]);
      const acc = convAccRef(x.data, xShape, w.data, wShape, b?.data, group, geo, c.padValue);
      const plane = numel(geo.out);
      const want = acc.map((v, i) => {
        const k = c.perChannel ? Math.floor(i / plane) % M : 0; // channel = axis 1 of the output
        return requantRef(v, mult[k]!, shift[k]!, c.zeroPoint, qmin, qmax);
      });
      expect(Array.from(y!.data)).toEqual(want);
    }), { seed: 20250711, numRuns: 200 });
  });

  it('rejects an accumulator beyond int32, naming the node, element and value', () => {
    const x = tensor('int8', [1, 1, 1, 2], [127, 127]), w = tensor('int8', [2, 1, 1, 1], [1, -1]);
    const nearMax = tensor('int32', [2], [2 ** 31 - 127, -(2 ** 31) + 126]);
    const k = node('QConv', attrs({}), 3);
    // channel 0: 2^31 - 127 + 127 = 2^31 overflows; channel 1: -2^31 + 126 - 127 = -2^31 - 1 overflows too.
    expect(() => QConv(k, [x, w, nearMax])).toThrow(TilecError);
    expect(() => QConv(k, [x, w, nearMax])).toThrow("QConv 'qconv_1': int32 accumulator overflow at output element 0 (channel 0, output shape [1,2,1,2]): Σ w·x + bias 2147483521 = 2147483648, outside [-2^31, 2^31 - 1]");
    // The ends of int32 themselves are fine.
    const atEdges = tensor('int32', [2], [2 ** 31 - 128, -(2 ** 31) + 127]);
    expect(() => QConv(k, [x, w, atEdges])).not.toThrow();
  });

  it('validates before computing', () => {
    const x = tensor('int8', [1, 2, 3, 3]), w = tensor('int8', [4, 2, 1, 1]);
    const k = (a: Partial<QConvAttrs>) => node('QConv', attrs(a), 3);
    expect(() => QConv(k({ multiplier: [1 << 30, 1 << 30], shift: [0, 0] }), [x, w])).toThrow("QConv 'qconv_1': multiplier has 2 entries, expected 1 (per tensor) or 4 (one per output channel)");
    expect(() => QConv(k({ shift: [0, 0] }), [x, w])).toThrow('multiplier has 1 entries but shift has 2');
    expect(() => QConv(k({ padValue: 128 }), [x, w])).toThrow('attribute padValue = 128 must be an integer in [-128, 127]');
    expect(() => QConv(k({}), [x, w, tensor('int32', [3])])).toThrow('bias input 2 (bias) has shape [3], expected [4] (one per output channel)');
    expect(() => QConv(k({}), [x, w, tensor('float32', [4])])).toThrow('input 2 (bias) has dtype float32, expected int32');
    expect(() => QConv(k({}), [tensor('uint8', [1, 2, 3, 3]), w])).toThrow('input 0 (x) has dtype uint8, expected int8');
    expect(() => QConv(k({}), [tensor('int8', [1, 3, 3, 3]), w])).toThrow('input has 3 channels but weight expects 2');
    expect(() => QConv(k({}), [x])).toThrow("QConv 'qconv_1': missing required input 1 (w)");
  });
});
