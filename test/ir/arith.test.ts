import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accumulatorRange, addRescale, averagePoolCode, clampBounds, dequantizeF32, fitsInt32, foldInputZeroPoint, qRange,
  quantizeBias, quantizeF32, quantizedAdd, roundHalfEven, roundingDivideHalfAway, saturate, seedCode, seedFakeQuant,
  seedQuantParams, seedStep,
} from '../../ir/arith.js';
import { TilecError } from '../../ir/errors.js';

const SEED = 0x7117ec;
const f32 = Math.fround;

/** numpy.rint written the long way: floor, then compare the fraction with 1/2. */
function rintRef(x: number): number {
  const fl = Math.floor(x), d = x - fl;
  if (d < 0.5) return fl;
  if (d > 0.5) return fl + 1;
  return fl % 2 === 0 ? fl : fl + 1;
}

describe('roundHalfEven', () => {
  it('matches numpy.rint on ties, near-ties and arbitrary doubles', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 4503599627370495.5, -4503599627370495.5].map(roundHalfEven))
      .toEqual([0, 2, 2, 0, -2, -2, 0, 4503599627370496, -4503599627370496]);
    const halves = fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((k) => k / 2);
    const doubles = fc.double({ min: -1e15, max: 1e15, noNaN: true });
    fc.assert(fc.property(fc.oneof(halves, doubles), (x) => roundHalfEven(x) === rintRef(x) + 0), { seed: SEED, numRuns: 20_000 });
  });

  it('never returns -0, keeps infinities and NaN', () => {
    expect(Object.is(roundHalfEven(-0.4), 0)).toBe(true);
    expect(Object.is(roundHalfEven(-0.5), 0)).toBe(true);
    expect(roundHalfEven(-Infinity)).toBe(-Infinity);
    expect(roundHalfEven(NaN)).toBeNaN();
  });
});

describe('saturate, qRange, roundingDivideHalfAway', () => {
  it('saturate clamps', () => {
    expect([saturate(-200, -128, 127), saturate(300, -128, 127), saturate(5, -128, 127)]).toEqual([-128, 127, 5]);
  });

  it('qRange gives the seed\'s [Qn, Qp] and unsigned ranges, and rejects bad widths', () => {
    expect(qRange(2, true)).toEqual([-2, 1]);
    expect(qRange(8, true)).toEqual([-128, 127]);
    expect(qRange(32, true)).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect(qRange(1, false)).toEqual([0, 1]);
    for (const [b, s] of [[1, true], [0, false], [33, true], [4.5, true]] as const) expect(() => qRange(b, s)).toThrow(TilecError);
  });

  it('roundingDivideHalfAway is exact division rounded half away from zero', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 20 }), (n, d) => {
      const q = roundingDivideHalfAway(n, d);
      // |n - q d| <= d/2, and on a tie q is the one further from zero
      const err = n - q * d;
      if (2 * Math.abs(err) > d) return false;
      if (2 * Math.abs(err) === d) return Math.abs(q) > Math.abs(n / d);
      return true;
    }), { seed: SEED, numRuns: 20_000 });
  });
});

describe('quantizeF32 / dequantizeF32 (ONNX QuantizeLinear / DequantizeLinear)', () => {
  it('divides in float32, rounds ties to even, adds the zero point, saturates', () => {
    const x = [0, 2, 3, 1000, -254, -1000]; // the ONNX test_quantizelinear case
    expect(x.map((v) => quantizeF32(v, 2, 128, 0, 255))).toEqual([128, 129, 130, 255, 1, 0]);
    expect(quantizeF32(NaN, 0.5, 7, -128, 127)).toBe(7);
    expect(quantizeF32(-Infinity, 0.5, 7, -128, 127)).toBe(-128);
    // The quotient is rounded to float32 first (numpy float32 / float32): 2.50000004 in float64 is 2.5 in
    // float32, a tie that goes to 2 (numpy.rint(np.float32(x) / np.float32(s)) == 2.0).
    const x32 = 0.2500017583370209, s32 = 0.10000070184469223;
    expect(x32 / s32).toBeGreaterThan(2.5);
    expect(quantizeF32(x32, s32, 0, -128, 127)).toBe(2);
  });

  it('dequantizes in float32, int32 codes included', () => {
    expect([0, 3, 128, 255].map((q) => dequantizeF32(q, 2, 128))).toEqual([-256, -250, 0, 254]);
    expect(dequantizeF32(2 ** 24 + 1, 1, 0)).toBe(2 ** 24);
    expect(dequantizeF32(7, f32(0.1), 0)).toBe(f32(7 * f32(0.1)));
  });
});

describe('the seed quantizer', () => {
  const alphaArb = fc.float({ min: f32(1e-3), max: 1e3, noNaN: true, noDefaultInfinity: true }).filter((a) => a > 0);
  const bitsArb = fc.integer({ min: 2, max: 8 });

  it('step = 2 alpha / 2^B exactly', () => {
    fc.assert(fc.property(alphaArb, bitsArb, (a, b) => seedStep(a, b) === a * 2 ** (1 - b)), { seed: SEED, numRuns: 2000 });
  });

  it('its (scale, zeroPoint) form gives the same code except within float32 noise of a tie', () => {
    fc.assert(fc.property(alphaArb, bitsArb, fc.boolean(), fc.double({ min: -1.5, max: 2.5, noNaN: true }), (alpha, bits, pos, u) => {
      const x = f32(u * alpha);
      const p = seedQuantParams(alpha, bits, pos);
      const t = (x - (pos ? alpha : 0)) / p.scale; // float64, for the tie distance only
      if (Math.abs(t - Math.floor(t) - 0.5) < 1e-4) return true;
      return seedCode(x, alpha, bits, pos) === quantizeF32(x, p.scale, p.zeroPoint, p.qmin, p.qmax);
    }), { seed: SEED, numRuns: 20_000 });
  });

  it('its dequantized value equals scale * (q - zp) up to float32 rounding', () => {
    fc.assert(fc.property(alphaArb, bitsArb, fc.boolean(), fc.double({ min: -1.5, max: 2.5, noNaN: true }), (alpha, bits, pos, u) => {
      const x = f32(u * alpha);
      const p = seedQuantParams(alpha, bits, pos);
      const q = seedCode(x, alpha, bits, pos);
      return Math.abs(seedFakeQuant(x, alpha, bits, pos) - p.scale * (q - p.zeroPoint)) <= 4 * alpha * 2 ** -24;
    }), { seed: SEED, numRuns: 5_000 });
  });

  it('always_pos: zero point Qn, [0, alpha] uses only codes Qn..0, alpha is exact, headroom to 2 alpha - step', () => {
    for (const bits of [2, 4, 8]) {
      const alpha = 3.75, p = seedQuantParams(alpha, bits, true), [qn, qp] = qRange(bits, true);
      expect(p.zeroPoint).toBe(qn);
      const used = new Set<number>();
      for (let i = 0; i <= 4096; i++) used.add(seedCode(f32((alpha * i) / 4096), alpha, bits, true));
      expect(Math.min(...used)).toBe(qn);
      expect(Math.max(...used)).toBe(0);
      expect(used.size).toBe(2 ** (bits - 1) + 1);
      expect(seedFakeQuant(alpha, alpha, bits, true)).toBe(alpha);
      expect(seedFakeQuant(10 * alpha, alpha, bits, true)).toBe(2 * alpha - p.scale);
      expect(seedCode(10 * alpha, alpha, bits, true)).toBe(qp);
    }
  });

  it("signed: alpha saturates to alpha - step, -alpha is exact; 'full' mapping uses all 2^B codes on [0, alpha]", () => {
    expect(seedFakeQuant(2, 2, 4, false)).toBe(1.75);
    expect(seedFakeQuant(-2, 2, 4, false)).toBe(-2);
    for (const bits of [2, 4, 8]) {
      const alpha = 3.75, p = seedQuantParams(alpha, bits, true, 'full');
      const used = new Set<number>();
      for (let i = 0; i <= 4096; i++) used.add(quantizeF32(f32((alpha * i) / 4096), p.scale, p.zeroPoint, p.qmin, p.qmax));
      expect(used.size).toBe(2 ** bits);
      expect(quantizeF32(alpha, p.scale, p.zeroPoint, p.qmin, p.qmax)).toBe(p.qmax);
    }
  });

  it('rejects a zero or non-finite alpha and a 1-bit width', () => {
    expect(() => seedQuantParams(0, 8, false)).toThrow(/alpha/);
    expect(() => seedQuantParams(NaN, 8, false)).toThrow(TilecError);
    expect(() => seedQuantParams(1, 1, false)).toThrow(TilecError);
  });
});

describe('fused activation bounds', () => {
  it('clamping codes to [Q(min), Q(max)] equals quantizing the clipped real value', () => {
    const scale = f32(0.0478), zp = -3;
    const [lo, hi] = clampBounds({ min: 0, max: 6 }, scale, zp, 8);
    fc.assert(fc.property(fc.float({ min: -20, max: 20, noNaN: true }), (r) => {
      const clipped = r < 0 ? 0 : r > 6 ? 6 : r;
      return quantizeF32(clipped, scale, zp, -128, 127) === saturate(quantizeF32(r, scale, zp, -128, 127), lo, hi);
    }), { seed: SEED, numRuns: 10_000 });
  });

  it('no activation is the whole range; an empty range is an error', () => {
    expect(clampBounds(undefined, 0.1, 0, 8)).toEqual([-128, 127]);
    expect(clampBounds({}, 0.1, 3, 4, false)).toEqual([0, 15]);
    expect(() => clampBounds({ min: 5, max: 1 }, 0.1, 0, 8)).toThrow(/leave no code/);
  });
});

describe('bias and zero-point folding', () => {
  it('quantizeBias rounds ties to even at scale s_x*s_w and rejects int32 overflow naming the node', () => {
    expect(quantizeBias(2.5, 1, 1)).toBe(2);
    expect(quantizeBias(-0.05, 0.0625, 0.0029296875)).toBe(-273);
    expect(() => quantizeBias(1e6, 1e-4, 1e-4, "Conv 'c1'")).toThrow(/Conv 'c1'.*outside int32/);
  });

  it('folding z_x into the bias leaves the accumulator unchanged', () => {
    const code = fc.integer({ min: -128, max: 127 });
    fc.assert(fc.property(fc.array(fc.tuple(code, code), { minLength: 1, maxLength: 64 }), code, fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
      (wx, zx, b) => {
        let centred = b, raw = 0, rowSum = 0;
        for (const [w, x] of wx) { centred += w * (x - zx); raw += w * x; rowSum += w; }
        return raw + foldInputZeroPoint(b, rowSum, zx) === centred;
      }), { seed: SEED, numRuns: 5_000 });
  });
});

describe('accumulatorRange', () => {
  it('bounds every partial sum in any order, and the bounds are attained', () => {
    const code = fc.integer({ min: -128, max: 127 });
    fc.assert(fc.property(fc.array(fc.tuple(code, code), { minLength: 1, maxLength: 40 }), fc.integer({ min: -5000, max: 5000 }), fc.boolean(),
      (wx, bias, biasFirst) => {
        const w = wx.map(([a]) => a);
        const [lo, hi] = accumulatorRange(w, 0, w.length, -128, 127, bias);
        let s = biasFirst ? bias : 0;
        for (const [wk, xk] of wx) { s += wk * xk; if (s < lo || s > hi) return false; }
        s += biasFirst ? 0 : bias;
        if (s < lo || s > hi) return false;
        const attainHi = w.reduce((acc, wk) => acc + wk * (wk > 0 ? 127 : -128), 0) + Math.max(0, bias);
        return attainHi === hi;
      }), { seed: SEED, numRuns: 5_000 });
  });

  it('fitsInt32 and the int8 x int8 worst case', () => {
    const w = new Int8Array(131072).fill(-128);
    const [lo, hi] = accumulatorRange(w, 0, w.length, -128, 127, 0);
    expect(hi).toBe(2 ** 31);
    expect(fitsInt32(lo, hi)).toBe(false);
    const [lo2, hi2] = accumulatorRange(w, 1, w.length - 1, -128, 127, 0);
    expect(fitsInt32(lo2, hi2)).toBe(true);
    expect(() => accumulatorRange(w, 0, 1, 1, 127, 0)).toThrow(/contain 0/);
  });
});

describe('average pooling and residual Add', () => {
  it('averagePoolCode rounds the centred mean half away from zero', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: 49 }), fc.integer({ min: -128, max: 127 }), (codes, zp) => {
      const sum = codes.reduce((a, b) => a + b, 0);
      const got = averagePoolCode(sum, codes.length, zp);
      const mean = (sum - codes.length * zp) / codes.length;
      const want = Math.sign(mean) * Math.floor(Math.abs(mean) + 0.5) + zp;
      return got === want + 0 && got >= Math.min(...codes) && got <= Math.max(...codes);
    }), { seed: SEED, numRuns: 5_000 });
  });

  it('quantizedAdd is within one code of the exactly rounded real sum', () => {
    const scale = fc.float({ min: f32(1e-3), max: 1, noNaN: true }).filter((s) => s > 0);
    const code = fc.integer({ min: -128, max: 127 });
    fc.assert(fc.property(scale, scale, scale, code, code, code, code, code, (sa, sb, sy, qa, za, qb, zb, zy) => {
      const real = sa * (qa - za) + sb * (qb - zb);
      fc.pre(real / sy < 2 ** 20);
      let p;
      try { p = addRescale(sa, sb, sy); } catch { return true; } // output multiplier beyond 2^30: rejected by design
      const got = quantizedAdd(qa, za, qb, zb, p, zy, -128, 127);
      const want = saturate(roundHalfEven(real / sy) + zy, -128, 127);
      return Math.abs(got - want) <= 1;
    }), { seed: SEED, numRuns: 20_000 });
  });
});
