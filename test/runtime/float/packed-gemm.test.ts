import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MR, NR, type PackB, gemmPacked, packRows, packedABuffer, paddedRows } from '../../../runtime/float/packed-gemm.js';
import { build } from '../../../runtime/float/wasm/build.js';
import { expectCommittedKernel } from '../../helpers/kernel-build.js';
import { GEMM_WASM_BASE64 } from '../../../runtime/float/wasm/gemm-wasm.js';

// The blocked GEMM of the convolution: the WebAssembly block and the TypeScript tile against the plain
// triple loop, on shapes that cross every block edge (K past one 256-term block, columns past one 512-column
// block, rows past one 128-row block, none a multiple of the 4 x 4 tile). Integer data: the sums are exact,
// so all three must agree bit for bit; float data: the two kernels must still agree bit for bit (same order).

/** Deterministic pseudo-random values (a small LCG), integers in [-range, range] or floats when `float`. */
function values(n: number, seed: number, range: number, float = false): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = float ? (s / 2 ** 32 - 0.5) * range : (s % (2 * range + 1)) - range;
  }
  return out;
}

/** B [K, cols] row-major as a PackB. */
const packFrom = (b: Float64Array, cols: number): PackB => (dst, k0, kc, c0, nc) => {
  for (let q = 0; q * NR < nc; q++) {
    for (let k = 0; k < kc; k++) {
      for (let r = 0; r < NR; r++) {
        const col = c0 + q * NR + r;
        dst[(q * kc + k) * NR + r] = col < c0 + nc ? b[(k0 + k) * cols + col]! : 0;
      }
    }
  }
};

function product(a: Float64Array, b: Float64Array, rows: number, K: number, cols: number, simd: boolean, aOffset = 0): Float64Array {
  const ap = packedABuffer(paddedRows(rows) * K, simd);
  packRows(a, 0, rows, K, K, () => aOffset, ap, 0);
  // Start from ones: gemmPacked adds to C.
  const c = new Float64Array(rows * cols).fill(1);
  gemmPacked(ap, 0, rows, K, packFrom(b, cols), cols, c, 0, cols);
  return c;
}

function naive(a: Float64Array, b: Float64Array, rows: number, K: number, cols: number, aOffset = 0): Float64Array {
  const c = new Float64Array(rows * cols).fill(1);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (a[i * K + k]! - aOffset) * b[k * cols + j]!;
      c[i * cols + j] += s;
    }
  }
  return c;
}

describe('packed GEMM', () => {
  it('uses 4 x 4 tiles (gemm.wat hard-codes them)', () => {
    expect([MR, NR]).toEqual([4, 4]);
  });

  // 33,000 terms: too long for one B panel in WebAssembly memory, so the TypeScript block takes over.
  for (const [rows, K, cols] of [[1, 1, 1], [3, 5, 7], [4, 4, 4], [133, 300, 37], [6, 257, 517], [5, 33000, 3]] as const) {
    it(`computes [${rows}x${K}]·[${K}x${cols}] exactly on integers, WebAssembly and TypeScript alike`, () => {
      const a = values(rows * K, rows + K, 127), b = values(K * cols, cols * 7, 127);
      const want = naive(a, b, rows, K, cols, 3);
      expect(Array.from(product(a, b, rows, K, cols, true, 3))).toEqual(Array.from(want));
      expect(Array.from(product(a, b, rows, K, cols, false, 3))).toEqual(Array.from(want));
    });
  }

  it('gives the same float64 sums in WebAssembly and TypeScript (same order, no fused multiply-add)', () => {
    const [rows, K, cols] = [9, 700, 530];
    const a = values(rows * K, 11, 2, true), b = values(K * cols, 12, 2, true);
    const simd = product(a, b, rows, K, cols, true), ts = product(a, b, rows, K, cols, false);
    expect(Buffer.from(simd.buffer).equals(Buffer.from(ts.buffer))).toBe(true);
    // And close to the straightforward sum (only the order differs).
    const want = naive(a, b, rows, K, cols);
    for (let i = 0; i < want.length; i++) expect(Math.abs(simd[i]! - want[i]!)).toBeLessThan(1e-12);
  });
});

describe('float GEMM WebAssembly module', () => {
  it('gemm-wasm.ts holds exactly the assembled gemm.wat, plain SIMD128 only', async () => {
    await expectCommittedKernel(build, GEMM_WASM_BASE64);
    // Relaxed SIMD (incl. its fused multiply-add) may differ between machines.
    expect(readFileSync(new URL('../../../runtime/float/wasm/gemm.wat', import.meta.url), 'utf8')).not.toMatch(/relaxed|fma/);
  });
});
