import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numel } from '../../../ir/tensor.js';
import { batchIndex, gemm2d, matmulCore, matmulShapes } from '../../../runtime/float/matmul-core.js';

// Checked against the definition, element by element; integer data, so results must be bit-exact.

describe('matmulShapes', () => {
  it('follows numpy for 1-D operands and broadcast batch dims', () => {
    expect(matmulShapes('t', [3], [3]).outShape).toEqual([]);
    expect(matmulShapes('t', [4], [2, 4, 1]).outShape).toEqual([2, 1]);
    expect(matmulShapes('t', [1, 2, 4, 3], [3]).outShape).toEqual([1, 2, 4]);
    expect(matmulShapes('t', [3, 1, 3, 4], [1, 2, 4, 2]).outShape).toEqual([3, 2, 3, 2]);
    expect(matmulShapes('t', [5, 3, 4], [4, 2]).outShape).toEqual([5, 3, 2]);
  });
  it('names the node and both shapes when they do not fit', () => {
    expect(() => matmulShapes('MatMul \'mm\'', [2, 3], [4, 5])).toThrow('MatMul \'mm\': inner dimensions differ: A [2,3] has K=3 but B [4,5] has K=4');
    expect(() => matmulShapes('MatMul \'mm\'', [2, 2, 3], [3, 3, 2])).toThrow('batch dimensions of A [2,2,3] and B [3,3,2] cannot be broadcast (2 vs 3)');
    expect(() => matmulShapes('MatMul \'mm\'', [], [3])).toThrow('rank >= 1');
  });
});

describe('batchIndex', () => {
  it('maps broadcast positions to an operand\'s own matrices', () => {
    expect(Array.from(batchIndex([3, 1], [3, 2]))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(batchIndex([2], [3, 2]))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(batchIndex([], [2, 2]))).toEqual([0, 0, 0, 0]);
  });
});

describe('gemm2d', () => {
  it('handles transposed operands and per-row / per-column offsets', () => {
    // A = [[1,2],[3,4]] stored transposed, B = [[5,6],[7,8]] stored transposed; offsets a: [1, 0], b: [0, 2].
    const out = new Float64Array(4);
    gemm2d({ m: 2, k: 2, n: 2, a: [1, 3, 2, 4], transA: true, aOffset: [1, 0], b: [5, 7, 6, 8], transB: true, bOffset: [0, 2] }, out, 0, new Float64Array(2));
    // A' = [[0,1],[3,4]], B' = [[5,4],[7,6]]
    expect(Array.from(out)).toEqual([7, 6, 15 + 28, 12 + 24]);
  });
});

function reference(a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[], aOff: number[], bOff: number[]): number[] {
  const { batch, m, k, n } = matmulShapes('ref', aShape, bShape);
  const aB = aShape.length > 2 ? aShape.slice(0, -2) : [], bB = bShape.length > 2 ? bShape.slice(0, -2) : [];
  const out: number[] = [];
  const pos = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < numel(batch); t++) {
    const own = (dims: number[]): number => dims.reduce((f, d, i) => f * d + (d === 1 ? 0 : pos[batch.length - dims.length + i]!), 0);
    const ai = own(aB), bi = own(bB);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += (a[(ai * m + i) * k + q]! - aOff[i]!) * (b[(bi * k + q) * n + j]! - bOff[j]!);
      out.push(s);
    }
    for (let d = batch.length - 1; d >= 0; d--) { if (++pos[d]! < batch[d]!) break; pos[d] = 0; }
  }
  return out;
}

describe('matmulCore', () => {
  it('computes numpy 1-D x 1-D and 2-D x 1-D products', () => {
    expect(Array.from(matmulCore('t', { a: [1, 2, 3], aShape: [3], b: [4, 5, 6], bShape: [3] }).acc)).toEqual([32]);
    const r = matmulCore('t', { a: [1, 2, 3, 4], aShape: [2, 2], b: [1, 1], bShape: [2] });
    expect(r.shape).toEqual([2]);
    expect(Array.from(r.acc)).toEqual([3, 7]);
  });

  it('matches the definition on random broadcast shapes with offsets (seeded)', () => {
    const dim = fc.integer({ min: 1, max: 4 });
    const arb = fc.record({
      aBatch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
      bBatch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
      m: dim, k: fc.integer({ min: 0, max: 5 }), n: dim,
      aVec: fc.boolean(), bVec: fc.boolean(), aPerRow: fc.boolean(), bPerCol: fc.boolean(), seed: fc.integer({ min: 0, max: 99 }),
    });
    fc.assert(fc.property(arb, (c) => {
      // Make the batch dims broadcast-compatible: where both are present and differ, use 1 on one side.
      const bB = c.bBatch.map((d, i) => {
        const ad = c.aBatch[i - c.bBatch.length + c.aBatch.length]; // right-aligned partner
        return ad !== undefined && ad !== d && ad !== 1 ? 1 : d;
      });
      const aShape = c.aVec ? [c.k] : [...c.aBatch, c.m, c.k];
      const bShape = c.bVec ? [c.k] : [...bB, c.k, c.n];
      const m = c.aVec ? 1 : c.m, n = c.bVec ? 1 : c.n;
      const a = Int8Array.from({ length: numel(aShape) }, (_, i) => ((i * 31 + c.seed) % 19) - 9);
      const b = Uint8Array.from({ length: numel(bShape) }, (_, i) => (i * 17 + c.seed) % 23);
      const aOff = Array.from({ length: m }, (_, i) => (c.aPerRow ? i - 1 : 2));
      const bOff = Array.from({ length: n }, (_, j) => (c.bPerCol ? 3 * j : 5));
      const got = matmulCore('t', { a, aShape, b, bShape, aOffset: c.aPerRow ? aOff : 2, bOffset: c.bPerCol ? bOff : [5] });
      expect(got.shape).toEqual(matmulShapes('t', aShape, bShape).outShape);
      expect(Array.from(got.acc)).toEqual(reference(a, c.aVec ? [1, c.k] : aShape, b, c.bVec ? [c.k, 1] : bShape, aOff, bOff));
    }), { seed: 7, numRuns: 200 });
  });

  it('accepts one offset per row of each of A\'s own matrices', () => {
    // A: 2 matrices of 1x2, offsets [1] for the first and [10] for the second; B = [[1],[1]].
    const r = matmulCore('t', { a: [1, 2, 11, 12], aShape: [2, 1, 2], aOffset: [1, 10], b: [1, 1], bShape: [2, 1] });
    expect(Array.from(r.acc)).toEqual([1, 3]);
    expect(() => matmulCore('MatMulInteger \'q\'', { a: [1, 2, 11, 12], aShape: [2, 1, 2], aOffset: [1, 10, 3], b: [1, 1], bShape: [2, 1] }))
      .toThrow('MatMulInteger \'q\': offset of A has 3 values, expected 1, 1 (one per row) or 2 (one per row of each matrix)');
  });
});
