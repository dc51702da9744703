import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { windowGeometry } from '../../../ir/geometry.js';
import type { AutoPad, QAveragePoolAttrs } from '../../../ir/ops.js';
import { numel, strides, tensor } from '../../../ir/tensor.js';
import { QAveragePool } from '../../../runtime/int/QAveragePool.js';
import { QGlobalAveragePool } from '../../../runtime/int/QGlobalAveragePool.js';
import { node } from '../../runtime/float/make.js';
import { avgPoolRef, codes, indices } from './reference.js';

const attrs = (over: Partial<QAveragePoolAttrs>): QAveragePoolAttrs => ({
  kernel_shape: [2, 2], auto_pad: 'NOTSET', ceil_mode: 0, count_include_pad: 0, storage_order: 0, zeroPoint: 0, ...over,
});

describe('QAveragePool kernel', () => {
  it('rounds the centred average half away from zero (docs/arithmetic.md section 10)', () => {
    const pool = (data: number[], zp: number) => Array.from(QAveragePool(node('QAveragePool', attrs({ kernel_shape: [1, data.length], zeroPoint: zp })), [tensor('int8', [1, 1, 1, data.length], data)])[0]!.data);
    expect(pool([-128, -127], -128)).toEqual([-127]);
    expect(pool([3, 4, 4, 4], 0)).toEqual([4]);
    expect(pool([1, 2], 0)).toEqual([2]);
    expect(pool([-1, -2], 0)).toEqual([-2]);
  });

  it('counts padding as the zero point with count_include_pad', () => {
    // 1x3 input [10, 20, 30], kernel 1x2, pads 1 on the left: windows (pad, 10), (20, 30).
    const x = tensor('int8', [1, 1, 1, 3], [10, 20, 30]);
    const a = attrs({ kernel_shape: [1, 2], strides: [1, 2], pads: [0, 1, 0, 0], zeroPoint: 4 });
    expect(Array.from(QAveragePool(node('QAveragePool', a), [x])[0]!.data)).toEqual([10, 25]);
    // (4 + 10) / 2 = 7 with the padded cell holding the zero point 4.
    expect(Array.from(QAveragePool(node('QAveragePool', { ...a, count_include_pad: 1 }), [x])[0]!.data)).toEqual([7, 25]);
  });

  it('matches the per-element definition on random windows (seeded)', () => {
    const autoPads: AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];
    const dim = fc.record({ size: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }) });
    fc.assert(fc.property(fc.record({
      rank: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }),
      dims: fc.array(dim, { minLength: 3, maxLength: 3 }), autoPad: fc.constantFrom(...autoPads),
      ceil: fc.integer({ min: 0, max: 1 }), includePad: fc.integer({ min: 0, max: 1 }), zp: fc.integer({ min: -128, max: 127 }),
      seed: fc.integer({ min: 1, max: 1 << 20 }),
    }), (c) => {
      // Pads smaller than the kernel (ONNX requires it), so no window lies entirely in padding.
      const dims = c.dims.slice(0, c.rank).map((d) => ({ ...d, size: Math.max(d.size, (d.k - 1) * d.d + 1), pb: Math.min(d.pb, d.k - 1), pe: Math.min(d.pe, d.k - 1) }));
      const a = attrs({
        kernel_shape: dims.map((d) => d.k), strides: dims.map((d) => d.s), dilations: dims.map((d) => d.d), auto_pad: c.autoPad,
        ...(c.autoPad === 'NOTSET' ? { pads: [...dims.map((d) => d.pb), ...dims.map((d) => d.pe)] } : {}),
        ceil_mode: c.autoPad === 'NOTSET' ? c.ceil : 0, count_include_pad: c.includePad, zeroPoint: c.zp,
      });
      const xShape = [c.n, c.c, ...dims.map((d) => d.size)];
      const x = tensor('int8', xShape, codes(numel(xShape), c.seed, -128, 127));
      const geo = windowGeometry(xShape.slice(2), a.kernel_shape, a, 't');
      const xs = strides(xShape);
      const want: number[] = [];
      for (let p = 0; p < c.n * c.c; p++) {
        for (const o of indices(geo.out)) {
          let sum = 0, count = 0;
          for (const k of indices(a.kernel_shape)) {
            let inside = true, inPadded = true, xi = p * xs[1]!;
            dims.forEach((d, i) => {
              const at = o[i]! * geo.strides[i]! - geo.padsBegin[i]! + k[i]! * geo.dilations[i]!;
              if (at < 0 || at >= d.size) inside = false;
              if (at < -geo.padsBegin[i]! || at >= d.size + geo.padsEnd[i]!) inPadded = false;
              xi += at * xs[i + 2]!;
            });
            if (inside) { sum += x.data[xi]!; count++; } else if (inPadded && c.includePad) { sum += c.zp; count++; }
          }
          want.push(count === 0 ? NaN : avgPoolRef(sum, count, c.zp));
        }
      }
      // Pads below the kernel extent and inputs at least one window wide leave every window an input cell.
      expect(want.some(Number.isNaN)).toBe(false);
      const y = QAveragePool(node('QAveragePool', a), [x])[0]!;
      expect(y.shape).toEqual([c.n, c.c, ...geo.out]);
      expect(Array.from(y.data)).toEqual(want);
    }), { seed: 20250714, numRuns: 200 });
  });

  it('rejects a window that covers no input cell (pads as large as the kernel)', () => {
    const a = attrs({ kernel_shape: [1, 1], pads: [0, 1, 0, 0] });
    expect(() => QAveragePool(node('QAveragePool', a), [tensor('int8', [1, 1, 1, 2])])).toThrow("QAveragePool 'qaveragepool_1': the window of output element 0 covers no input cell (it lies entirely in padding); its average is undefined");
    expect(Array.from(QAveragePool(node('QAveragePool', { ...a, count_include_pad: 1, zeroPoint: -3 }), [tensor('int8', [1, 1, 1, 2], [5, 6])])[0]!.data)).toEqual([-3, 5, 6]);
  });

  it('rejects non-int8 input and a bad zero point', () => {
    expect(() => QAveragePool(node('QAveragePool', attrs({})), [tensor('float32', [1, 1, 2, 2])])).toThrow("QAveragePool 'qaveragepool_1': input 0 (X) has dtype float32, expected int8");
    expect(() => QAveragePool(node('QAveragePool', attrs({ zeroPoint: 128 })), [tensor('int8', [1, 1, 2, 2])])).toThrow('attribute zeroPoint = 128 must be an integer in [-128, 127]');
  });
});

describe('QGlobalAveragePool kernel', () => {
  it('averages each plane by the same rule (seeded)', () => {
    fc.assert(fc.property(fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 5 }), zp: fc.integer({ min: -128, max: 127 }), seed: fc.integer({ min: 1, max: 1 << 20 }),
    }), (c) => {
      const x = tensor('int8', c.shape, codes(numel(c.shape), c.seed, -128, 127));
      const y = QGlobalAveragePool(node('QGlobalAveragePool', { zeroPoint: c.zp }), [x])[0]!;
      const plane = numel(c.shape.slice(2)), planes = c.shape[0]! * c.shape[1]!;
      const want = Array.from({ length: planes }, (_, p) => avgPoolRef(Array.from(x.data.subarray(p * plane, (p + 1) * plane)).reduce((s, v) => s + v, 0), plane, c.zp));
      expect(y.shape).toEqual([c.shape[0], c.shape[1], ...c.shape.slice(2).map(() => 1)]);
      expect(Array.from(y.data)).toEqual(want);
    }), { seed: 20250715, numRuns: 100 });
  });

  it('gives the example [-128, -127] at zero point -128 -> -127', () => {
    expect(Array.from(QGlobalAveragePool(node('QGlobalAveragePool', { zeroPoint: -128 }), [tensor('int8', [1, 1, 2], [-128, -127])])[0]!.data)).toEqual([-127]);
  });
});
