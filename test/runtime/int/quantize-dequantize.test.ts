import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../../ir/tensor.js';
import { Dequantize } from '../../../runtime/int/Dequantize.js';
import { Quantize } from '../../../runtime/int/Quantize.js';
import { node } from '../../runtime/float/make.js';
import { clamp, codes } from './reference.js';

/** Nearest integer, ties to even, written out. */
const rint = (v: number): number => {
  const f = Math.floor(v), d = v - f;
  return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
};

describe('Quantize kernel', () => {
  it('is saturate(roundHalfEven(f32(x / scale)) + zeroPoint) (docs/arithmetic.md section 4)', () => {
    const q = (xs: number[], scale: number, zeroPoint: number, qmin = -128, qmax = 127) =>
      Array.from(Quantize(node('Quantize', { scale, zeroPoint, qmin, qmax }), [tensor('float32', [xs.length], xs)])[0]!.data);
    expect(q([0.25, 0.75, -0.25, -0.75, 1000, -1000, NaN], 0.5, 0)).toEqual([0, 2, 0, -2, 127, -128, 0]);
    expect(q([0, 1, 2, 3.9], 0.25, -8, -8, 7)).toEqual([-8, -4, 0, 7]);
    expect(q([Infinity, -Infinity], 0.1, 3)).toEqual([127, -128]);
  });

  it('matches the definition on random floats (seeded)', () => {
    fc.assert(fc.property(fc.record({
      xs: fc.array(fc.float({ noNaN: true, min: -300, max: 300 }), { minLength: 1, maxLength: 40 }),
      scale: fc.float({ min: Math.fround(0.001), max: 4, noNaN: true }), zp: fc.integer({ min: -128, max: 127 }),
      bits: fc.integer({ min: 2, max: 8 }),
    }), (c) => {
      const [qmin, qmax] = [-(2 ** (c.bits - 1)), 2 ** (c.bits - 1) - 1];
      const zp = clamp(c.zp, qmin, qmax);
      const y = Quantize(node('Quantize', { scale: c.scale, zeroPoint: zp, qmin, qmax }), [tensor('float32', [c.xs.length], c.xs)])[0]!;
      expect(y.dtype).toBe('int8');
      expect(Array.from(y.data)).toEqual(c.xs.map((x) => clamp(rint(Math.fround(Math.fround(x) / c.scale)) + zp, qmin, qmax)));
    }), { seed: 20250717, numRuns: 150 });
  });

  it('rejects float64 input and bad attributes', () => {
    expect(() => Quantize(node('Quantize', { scale: 1, zeroPoint: 0, qmin: -128, qmax: 127 }), [tensor('float64', [1])])).toThrow("Quantize 'quantize_1': input 0 (x) has dtype float64, expected float32");
    expect(() => Quantize(node('Quantize', { scale: 0, zeroPoint: 0, qmin: -128, qmax: 127 }), [tensor('float32', [1])])).toThrow('attribute scale = 0 must be finite and > 0');
    expect(() => Quantize(node('Quantize', { scale: 1, zeroPoint: 0, qmin: 1, qmax: 0 }), [tensor('float32', [1])])).toThrow('qmin 1 > qmax 0');
  });
});

describe('Dequantize kernel', () => {
  it('is f32(f32(q - zeroPoint) * scale), for int8 codes and int32 accumulators (seeded)', () => {
    fc.assert(fc.property(fc.record({ seed: fc.integer({ min: 1, max: 1 << 20 }), scale: fc.float({ min: Math.fround(1e-6), max: 10, noNaN: true }), zp: fc.integer({ min: -128, max: 127 }) }), (c) => {
      const q8 = codes(20, c.seed, -128, 127);
      const y8 = Dequantize(node('Dequantize', { scale: c.scale, zeroPoint: c.zp }), [tensor('int8', [4, 5], q8)])[0]!;
      expect(y8.dtype).toBe('float32');
      expect(y8.shape).toEqual([4, 5]);
      expect(Array.from(y8.data)).toEqual(q8.map((q) => Math.fround(Math.fround(q - c.zp) * c.scale)));
      const q32 = codes(10, c.seed + 1, -(2 ** 31), 2 ** 31 - 1);
      const y32 = Dequantize(node('Dequantize', { scale: c.scale, zeroPoint: 0 }), [tensor('int32', [10], q32)])[0]!;
      expect(Array.from(y32.data)).toEqual(q32.map((q) => Math.fround(Math.fround(q) * c.scale)));
    }), { seed: 20250718, numRuns: 100 });
  });

  it('round-trips Quantize on the code grid', () => {
    const codesIn = tensor('int8', [256], Array.from({ length: 256 }, (_, i) => i - 128));
    const f = Dequantize(node('Dequantize', { scale: 0.0625, zeroPoint: -5 }), [codesIn])[0]!;
    const back = Quantize(node('Quantize', { scale: 0.0625, zeroPoint: -5, qmin: -128, qmax: 127 }), [f])[0]!;
    expect(Array.from(back.data)).toEqual(Array.from(codesIn.data));
  });

  it('rejects other dtypes and out-of-range zero points', () => {
    expect(() => Dequantize(node('Dequantize', { scale: 1, zeroPoint: 0 }), [tensor('uint8', [1])])).toThrow("Dequantize 'dequantize_1': input 0 (x) has dtype uint8, expected int8 or int32");
    expect(() => Dequantize(node('Dequantize', { scale: 1, zeroPoint: 128 }), [tensor('int8', [1])])).toThrow('attribute zeroPoint = 128 must be an integer in [-128, 127]');
    expect(() => Dequantize(node('Dequantize', { scale: 1, zeroPoint: 128 }), [tensor('int32', [1])])).not.toThrow();
  });
});
