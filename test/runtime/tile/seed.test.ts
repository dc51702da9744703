import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { presetTarget, withTile } from '../../../backend/target.js';
import { decodeCode } from '../../../backend/program.js';
import type { Instruction } from '../../../backend/isa.js';
import { TileMachine } from '../../../runtime/tile/machine.js';
import { buildGemm, outputOf } from '../../backend/gemm-fixture.js';

// The seed's Tiling section, transcribed line by line (torch float32 matrices, Python slices that clip at
// the edges), and shown equal to the tile program the `seed` target produces.

interface Mat { readonly rows: number; readonly cols: number; readonly data: Float32Array }

const zeros = (rows: number, cols: number): Mat => ({ rows, cols, data: new Float32Array(rows * cols) });

/** mat[r0:r1, c0:c1], clipped like a Python slice. */
function slice(m: Mat, r0: number, r1: number, c0: number, c1: number): Mat {
  r1 = Math.min(r1, m.rows); c1 = Math.min(c1, m.cols);
  const out = zeros(Math.max(0, r1 - r0), Math.max(0, c1 - c0));
  for (let r = 0; r < out.rows; r++) for (let c = 0; c < out.cols; c++) out.data[r * out.cols + c] = m.data[(r0 + r) * m.cols + c0 + c]!;
  return out;
}

/** def tmul(tileA, tileB, t): assert ...; return tileA @ tileB */
function tmul(tileA: Mat, tileB: Mat, t: number): Mat {
  if (!(tileA.rows <= t)) throw new Error('assert tileA.size(0) <= t');
  if (!(tileA.cols <= t)) throw new Error('assert tileA.size(1) <= t');
  if (!(tileB.cols <= t)) throw new Error('assert tileB.size(1) <= t');
  const out = zeros(tileA.rows, tileB.cols);
  for (let i = 0; i < out.rows; i++) for (let j = 0; j < out.cols; j++) {
    let s = 0;
    for (let k = 0; k < tileA.cols; k++) s = Math.fround(s + tileA.data[i * tileA.cols + k]! * tileB.data[k * tileB.cols + j]!);
    out.data[i * out.cols + j] = s;
  }
  return out;
}

/** def mmul_tiling(matA, matB, t) */
function mmulTiling(matA: Mat, matB: Mat, t: number): Mat {
  const a = matA.rows, c = matA.cols, b = matB.cols;
  const matC = zeros(a, b);
  for (let i = 0; i < Math.ceil(a / t); i++) {
    for (let j = 0; j < Math.ceil(b / t); j++) {
      for (let k = 0; k < Math.ceil(c / t); k++) {
        const p = tmul(slice(matA, i * t, (i + 1) * t, k * t, (k + 1) * t), slice(matB, k * t, (k + 1) * t, j * t, (j + 1) * t), t);
        // matC[i*t:(i+1)*t, j*t:(j+1)*t] += p
        for (let r = 0; r < p.rows; r++) for (let q = 0; q < p.cols; q++) {
          const at = (i * t + r) * b + j * t + q;
          matC.data[at] = Math.fround(matC.data[at]! + p.data[r * p.cols + q]!);
        }
      }
    }
  }
  return matC;
}

const shapes = fc.record({
  t: fc.integer({ min: 1, max: 9 }),
  m: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.integer({ min: 1, max: 40 }),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

describe('the seed target runs the seed\'s mmul_tiling', () => {
  it('raw int32 results equal mmul_tiling on float-as-int matrices', () => {
    fc.assert(fc.property(shapes, ({ t, m, n, k, seed }) => {
      const target = withTile(presetTarget('seed'), t);
      const f = buildGemm({ m, n, k, seed, raw: true }, target);
      expect(f.plan!.strategy).toBe('seed');
      const machine = new TileMachine(f.program);
      machine.run();
      const got = outputOf(machine.readTensor('C').data, m, n, n);
      const want = mmulTiling({ rows: m, cols: k, data: Float32Array.from(f.a) }, { rows: k, cols: n, data: Float32Array.from(f.b) }, t);
      expect(got).toEqual(Array.from(want.data));
    }), { seed: 1234, numRuns: 60 });
  });

  it('with identity requantization (multiplier 1.0, zero point 0) the int8 results equal mmul_tiling too', () => {
    fc.assert(fc.property(shapes, ({ t, m, n, k, seed }) => {
      const target = withTile(presetTarget('seed'), t);
      // Entries in {-1, 0, 1} and k <= 40 keep every sum inside int8, so identity requant changes nothing.
      const f = buildGemm({ m, n, k, seed, ternary: true, identity: true }, target);
      const machine = new TileMachine(f.program);
      machine.run();
      const got = outputOf(machine.readTensor('C').data, m, n, n);
      const want = mmulTiling({ rows: m, cols: k, data: Float32Array.from(f.a) }, { rows: k, cols: n, data: Float32Array.from(f.b) }, t);
      expect(got).toEqual(Array.from(want.data));
    }), { seed: 4321, numRuns: 60 });
  });

  it('emits exactly the seed loop: for i, j: for k: load A(i,k), load B(k,j), tmul; then store C(i,j)', () => {
    const t = 4, m = 10, n = 7, k = 9;
    const f = buildGemm({ m, n, k, seed: 1, raw: true }, withTile(presetTarget('seed'), t));
    const { a, b, c } = f.spec;
    const want: Instruction[] = [];
    const side = (total: number, i: number): number => Math.min(t, total - i * t);
    for (let i = 0; i < Math.ceil(m / t); i++) {
      for (let j = 0; j < Math.ceil(n / t); j++) {
        for (let kk = 0; kk < Math.ceil(k / t); kk++) {
          want.push({ op: 'LOAD', spad: 0, dram: a.addr + i * t * a.stride + kk * t, stride: a.stride, rows: side(m, i), cols: side(k, kk) });
          want.push({ op: 'LOAD', spad: 1, dram: b.addr + kk * t * b.stride + j * t, stride: b.stride, rows: side(k, kk), cols: side(n, j) });
          want.push({ op: 'MATMUL', acc: 0, a: 0, b: 1, m: side(m, i), n: side(n, j), k: side(k, kk), accumulate: kk > 0 });
        }
        want.push({ op: 'STORE', acc: 0, dram: c.addr + i * t * c.stride + j * t * 4, stride: c.stride, rows: side(m, i), cols: side(n, j), mode: 'raw32', table: 0, perRow: false, qmin: 0, qmax: 0 });
      }
    }
    expect(decodeCode(f.program.code, 'instruction ')).toEqual(want);
  });
});
