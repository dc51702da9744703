import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AutoPad, ConvAttrs } from '../../../ir/ops.js';
import { TilecError, UnsupportedError } from '../../../ir/errors.js';
import { numel, strides } from '../../../ir/tensor.js';
import { convCore } from '../../../runtime/float/conv-core.js';

// The convolution loop against a per-output-element definition written straight from the ONNX spec:
// y[n, m, o...] = sum over c in m's group and taps k of (x[n, c, o*s + k*d - padBegin] - xOff) * (w[m, c, k] - wOff[m]),
// where a position outside the input reads padValue. Integer data, so results must be bit-exact.

function reference(
  x: ArrayLike<number>, xShape: number[], w: ArrayLike<number>, wShape: number[], group: number,
  geo: { out: readonly number[]; padsBegin: readonly number[]; strides: readonly number[]; dilations: readonly number[] },
  xOff: number, padValue: number, wOff: number[],
): number[] {
  const [N, C] = xShape as [number, number];
  const [M, Cg] = wShape as [number, number];
  const sp = xShape.slice(2), ks = wShape.slice(2), r = sp.length;
  const xs = strides(xShape), ws = strides(wShape);
  const out: number[] = [];
  const outSp = [...geo.out];
  const Mg = M / group;
  const forEach = (dims: readonly number[], f: (idx: number[]) => void): void => {
    const idx = new Array<number>(dims.length).fill(0);
    for (let t = 0; t < numel(dims); t++) {
      f(idx);
      for (let d = dims.length - 1; d >= 0; d--) { if (++idx[d]! < dims[d]!) break; idx[d] = 0; }
    }
  };
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
    const g = Math.floor(m / Mg);
    forEach(outSp, (o) => {
      let s = 0;
      for (let ci = 0; ci < Cg; ci++) {
        const c = g * Cg + ci;
        forEach(ks, (k) => {
          let inside = true, xi = n * xs[0]! + c * xs[1]!;
          for (let i = 0; i < r; i++) {
            const p = o[i]! * geo.strides[i]! + k[i]! * geo.dilations[i]! - geo.padsBegin[i]!;
            if (p < 0 || p >= sp[i]!) inside = false;
            xi += p * xs[i + 2]!;
          }
          let wi = m * ws[0]! + ci * ws[1]!;
          for (let i = 0; i < r; i++) wi += k[i]! * ws[i + 2]!;
          s += ((inside ? x[xi]! : padValue) - xOff) * (w[wi]! - wOff[m]!);
        });
      }
      out.push(s);
    });
  }
  return out;
}

const attrs = (a: Partial<ConvAttrs>): ConvAttrs => ({ group: 1, auto_pad: 'NOTSET', ...a });

describe('convCore', () => {
  it('computes a hand-checked 2-D case with padding and stride', () => {
    // x = 1..9 as 3x3, w = ones 2x2, pads 1 all round, stride 2: windows at (-1,-1), (-1,1), (1,-1), (1,1).
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const r = convCore('Conv \'t\'', attrs({ pads: [1, 1, 1, 1], strides: [2, 2] }), { x, xShape: [1, 1, 3, 3], w: new Float32Array(4).fill(1), wShape: [1, 1, 2, 2] });
    expect(r.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(r.acc)).toEqual([1, 2 + 3, 4 + 7, 5 + 6 + 8 + 9]);
  });

  it('computes a hand-checked depthwise 1-D case with dilation and asymmetric pads', () => {
    // Two channels, group 2, kernel [1, -1] dilated by 2, pads [0, 2]: y[o] = x[o] - x[o + 2] (x beyond the end = 0).
    const x = Float64Array.from([1, 2, 4, 8, 10, 20, 30, 40]);
    const r = convCore('Conv \'t\'', attrs({ group: 2, dilations: [2], pads: [0, 2] }), { x, xShape: [1, 2, 4], w: Float64Array.from([1, -1, 1, -1]), wShape: [2, 1, 2] });
    expect(r.shape).toEqual([1, 2, 4]);
    expect(Array.from(r.acc)).toEqual([1 - 4, 2 - 8, 4, 8, 10 - 30, 20 - 40, 30, 40]);
  });

  it('subtracts the input offset and pads with padValue (the ConvInteger zero point by default)', () => {
    // uint8 input with zero point 100: padded cells read 100 and contribute 0.
    const x = Uint8Array.from([101, 102, 103]);
    const w = Int8Array.from([1, 1, 1]);
    const a = attrs({ pads: [1, 1] });
    const zp = convCore('t', a, { x, xShape: [1, 1, 3], w, wShape: [1, 1, 3], xOffset: 100 });
    expect(Array.from(zp.acc)).toEqual([3, 6, 5]);
    // An explicit padValue of 0 with the same offset: each padded cell contributes (0 - 100).
    const raw = convCore('t', a, { x, xShape: [1, 1, 3], w, wShape: [1, 1, 3], xOffset: 100, padValue: 0 });
    expect(Array.from(raw.acc)).toEqual([3 - 100, 6, 5 - 100]);
  });

  it('subtracts a per-output-channel weight offset', () => {
    const x = Uint8Array.from([1, 2, 3]);
    const w = Uint8Array.from([5, 5, 5, 9, 9, 9]);
    const r = convCore('t', attrs({}), { x, xShape: [1, 1, 3], w, wShape: [2, 1, 3], wOffset: [4, 10] });
    expect(Array.from(r.acc)).toEqual([6, -6]);
  });

  it('matches the definition on random 1-D, 2-D and 3-D grouped convolutions (seeded)', () => {
    const autoPads: AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];
    const caseArb = fc.record({
      rank: fc.integer({ min: 1, max: 3 }),
      n: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      cg: fc.integer({ min: 1, max: 6 }),
      // Up to 6 output channels per group: 4 or more take the packed GEMM path (packed-gemm.ts), fewer the direct loop.
      mg: fc.integer({ min: 1, max: 6 }),
      dims: fc.array(fc.record({ size: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }) }), { minLength: 3, maxLength: 3 }),
      autoPad: fc.constantFrom(...autoPads),
      xOff: fc.integer({ min: -3, max: 3 }),
      padValue: fc.integer({ min: -3, max: 3 }),
      wOffs: fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 9, maxLength: 9 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(fc.property(caseArb, (c) => {
      const dims = c.dims.slice(0, c.rank).map((d) => ({ ...d, size: Math.max(d.size, (d.k - 1) * d.d + 1) }));
      const C = c.cg * c.group, M = c.mg * c.group;
      const xShape = [c.n, C, ...dims.map((d) => d.size)], wShape = [M, c.cg, ...dims.map((d) => d.k)];
      const a = attrs({
        group: c.group, auto_pad: c.autoPad, strides: dims.map((d) => d.s), dilations: dims.map((d) => d.d),
        ...(c.autoPad === 'NOTSET' ? { pads: [...dims.map((d) => d.pb), ...dims.map((d) => d.pe)] } : {}),
      });
      const x = Int8Array.from({ length: numel(xShape) }, (_, i) => ((i * 37 + c.seed) % 21) - 10);
      const w = Int8Array.from({ length: numel(wShape) }, (_, i) => ((i * 53 + c.seed * 7) % 15) - 7);
      const wOff = c.wOffs.slice(0, M);
      while (wOff.length < M) wOff.push(0);
      const got = convCore('t', a, { x, xShape, w, wShape, xOffset: c.xOff, padValue: c.padValue, wOffset: wOff });
      const want = reference(x, xShape, w, wShape, c.group, got.geometry, c.xOff, c.padValue, wOff);
      expect(got.shape).toEqual([c.n, M, ...got.geometry.out]);
      expect(Array.from(got.acc)).toEqual(want);
    }), { seed: 20240601, numRuns: 150 });
  });

  it('names the node and the values in shape errors', () => {
    const x = new Float32Array(3 * 4 * 4), w = new Float32Array(4 * 2 * 3 * 3);
    expect(() => convCore('Conv \'conv_2\'', attrs({ group: 2 }), { x, xShape: [1, 3, 4, 4], w, wShape: [4, 2, 3, 3] }))
      .toThrow(new TilecError('Conv \'conv_2\': input has 3 channels but weight expects 4 (W.shape[1]=2, group=2)'));
    expect(() => convCore('Conv \'c\'', attrs({ group: 2 }), { x: new Float32Array(4 * 16), xShape: [1, 4, 4, 4], w: new Float32Array(3 * 2 * 9), wShape: [3, 2, 3, 3] }))
      .toThrow('weight has 3 output channels, which group 2 does not divide');
    expect(() => convCore('Conv \'c\'', attrs({ kernel_shape: [2, 2] }), { x: new Float32Array(16), xShape: [1, 1, 4, 4], w: new Float32Array(9), wShape: [1, 1, 3, 3] }))
      .toThrow('kernel_shape [2,2] does not match the weight\'s spatial shape [3,3]');
    expect(() => convCore('Conv \'c\'', attrs({}), { x: new Float32Array(16), xShape: [1, 16], w: new Float32Array(9), wShape: [1, 1, 9] }))
      .toThrow('input has rank 2 (shape [1,16]), expected rank >= 3');
    expect(() => convCore('Conv \'c\'', attrs({}), { x: new Float32Array(16), xShape: [1, 1, 4, 4], w: new Float32Array(3), wShape: [1, 1, 3] }))
      .toThrow('weight has rank 3 (shape [1,1,3]) but the input has rank 4');
    expect(() => convCore('Conv \'c\'', attrs({}), { x: new Float32Array(1), xShape: [1, 1, 1, 1, 1, 1], w: new Float32Array(1), wShape: [1, 1, 1, 1, 1, 1] }))
      .toThrow(UnsupportedError);
    expect(() => convCore('Conv \'c\'', attrs({}), { x: new Float32Array(3), xShape: [1, 1, 3], w: new Float32Array(6), wShape: [2, 1, 3], wOffset: [1, 2, 3] }))
      .toThrow('weight offset has 3 values, expected 1 or 2');
    expect(() => convCore('Conv \'c\'', attrs({}), { x: new Float32Array(2), xShape: [1, 1, 2], w: new Float32Array(3), wShape: [1, 1, 3] }))
      .toThrow('input extent 2 is smaller than the window 3');
  });
});
